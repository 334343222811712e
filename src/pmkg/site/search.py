"""The search index the site's browser search reads (``assets/search-index.js``).

The texts are those ``pmkg search`` scores (:func:`pmkg.search.load_index`: labels, aliases,
descriptions, quotes), for every resource that has a page, so the browser and the command line
search the same things; ``static/search.js`` scores them as :mod:`pmkg.search` does.  One entry
per page: ``[path, label, Chinese label, aliases, description (shown, shortened), kind, the IRI
after …/id/, [[field, text], …]]`` with fields ``l`` label, ``a`` alias, ``d`` description,
``q`` quote.
"""

from __future__ import annotations

from pmkg.namespaces import ID
from pmkg.search import Entry
from pmkg.site.graph import SiteGraph
from pmkg.site.pages import kind_title, page_path

DESCRIPTION_CHARS = 240
FIELD_CODES = {"label": "l", "alias": "a", "description": "d", "quote": "q"}


def index_entries(graph: SiteGraph, index: list[Entry]) -> list[list[object]]:
    entries: list[list[object]] = []
    for entry in sorted(index, key=lambda e: e.iri):
        path = page_path(entry.iri)
        page = graph.entities.get(entry.iri)
        if path is None or page is None:
            continue
        # in pmkg.search's order: of equal scores the first text names the field, as there
        texts = list(dict.fromkeys((FIELD_CODES[f], t) for f, t in entry.texts if f in FIELD_CODES))
        aliases = sorted({t for f, t in entry.texts if f == "alias"})
        description = (page.description or "")[:DESCRIPTION_CHARS]
        entries.append([path, entry.label, page.label_zh or "", aliases, description, kind_title(page.segment),
                        entry.iri[len(ID):], [list(t) for t in texts]])
    return entries
