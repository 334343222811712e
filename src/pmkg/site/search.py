"""The search index the site's browser search reads (``assets/search-index.js``).

One entry per page: ``[path, label, Chinese label, aliases, description, kind]``; the
typo-tolerant matching itself is in ``static/search.js``.
"""

from __future__ import annotations

from pmkg.site.graph import SiteGraph
from pmkg.site.pages import kind_title, page_path

DESCRIPTION_CHARS = 240
# n-ary helper nodes are found through the entities they belong to
NOT_INDEXED = {"membership", "participation", "figure", "observation"}


def index_entries(graph: SiteGraph) -> list[list[str]]:
    entries = []
    for iri, e in sorted(graph.entities.items()):
        path = page_path(iri)
        if path is None or e.segment in NOT_INDEXED:
            continue
        description = (e.description or "")[:DESCRIPTION_CHARS]
        entries.append([path, e.label, e.label_zh or "", " | ".join(e.aliases), description, kind_title(e.segment)])
    return entries
