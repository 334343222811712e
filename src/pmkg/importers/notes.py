"""What an answer read from the import summaries (:mod:`pmkg.importers.summary`) must say besides its rows:
the imports it leaves out because they have no summary yet (made before summaries existed, see
:mod:`pmkg.importers.upgrade`), and, without ``source``, the imports that hold some of the same papers (the
summaries are added up import by import, so such a paper counts in each).  ``pmkg.query.run_query`` adds
these notes to the result's notice."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pmkg.catalogue import QuerySpec
    from pmkg.query import Backend

# A query that reads the import summaries (pmkg.importers.summary) rather than the papers themselves.
READS_SUMMARIES = re.compile(r"pm:(?:summaryPapers|profileActor|profileCountry|fundingTally)\b")
# The import graphs with papers but no summary (made before summaries existed, not yet upgraded): a few
# index lookups per import graph, not a pass over the papers.
LACKING_SUMMARY = """PREFIX pm: <https://w3id.org/pmkg/ontology#>
SELECT ?g WHERE {
  GRAPH ?g { ?g a pm:SourceDocument }
  FILTER(STRSTARTS(STR(?g), "https://w3id.org/pmkg/id/document/import-"))
  FILTER NOT EXISTS { GRAPH ?g { ?g pm:summaryPapers ?n } }
  FILTER EXISTS { GRAPH ?g { ?p a pm:Publication } }
} ORDER BY ?g"""
# Pairs of imports (both still in the store) that hold some of the same papers (pm:sharesPapersWith,
# recorded by the later import of the two).
OVERLAPPING = """PREFIX pm: <https://w3id.org/pmkg/ontology#>
SELECT DISTINCT ?g ?other WHERE {
  GRAPH ?g { ?g pm:sharesPapersWith ?other }
  GRAPH ?other { ?other a pm:SourceDocument }
} ORDER BY ?g ?other"""


def summary_notes(spec: QuerySpec, text: str, given: dict[str, str | list[str]], backend: Backend) -> list[str]:
    """What an answer read from the import summaries must say: imports it leaves out (no summary yet), and
    imports holding the same papers (added up without ``source``).  ``text``: the query without its
    comments.  Index lookups only (< 1 ms)."""
    curated_table = (any(p.name == "database" for p in spec.params)  # top-funders/-institutions on a table
                     and not str(given.get("database") or "").startswith("imported:"))
    if curated_table or not READS_SUMMARIES.search(text):
        return []
    notes = []
    lacking = [row[0].text for row in backend.select(LACKING_SUMMARY).rows if row[0] is not None]
    if lacking:
        names = ", ".join(g.rsplit("/", 1)[-1] for g in lacking)
        notes.append(f"{names} {'has' if len(lacking) == 1 else 'have'} papers but no import summary (imported "
                     "before summaries existed), so this answer leaves their papers out; `pmkg build` or any "
                     "`pmkg query` on the project adds the summary (with a writable dist/)")
    if any(p.name == "source" for p in spec.params) and not given.get("source"):
        pairs = [(a.text.rsplit("/", 1)[-1], b.text.rsplit("/", 1)[-1])
                 for a, b in backend.select(OVERLAPPING).rows if a is not None and b is not None]
        if pairs:
            shown = "; ".join(f"{a} and {b}" for a, b in pairs)
            notes.append(f"some papers are in more than one import ({shown}): without `source` the imports are "
                         "added up, so such a paper counts once per import holding it; give `source` for one "
                         "import's exact counts")
    return notes

