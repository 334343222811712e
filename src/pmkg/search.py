"""Finding entities by what people remember of them: labels, aliases, descriptions, quoted text.

One SPARQL query collects the searchable text of every resource of the graph
(``https://w3id.org/pmkg/id/<kind>/<id>``); rapidfuzz scores each text against the
search (typo-tolerant: "Zhejinag" finds Zhejiang, "Bejing genomics" finds BGI through
its alias Beijing Genomics Institute).  Names (labels, aliases) count fully, longer
texts (descriptions, quotes) less, so a name match ranks above a mention.  The site's
browser search (``pmkg/site/static/search.js``) implements the same scoring over the
same texts (``pmkg.site.search``); a test holds the two to the same ranking.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from rapidfuzz import fuzz, utils

from pmkg.ids import ID, IRI_SEGMENT
from pmkg.query import Backend

KINDS = tuple(sorted(set(IRI_SEGMENT.values())))
FIELDS = {"label": 1.0, "alias": 1.0, "description": 0.7, "quote": 0.65}
MIN_SCORE = 70.0
PREFIX_SCORE = 90.0
TEXT_QUERY = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX pm: <https://w3id.org/pmkg/ontology#>
SELECT DISTINCT ?e ?field ?text (LANG(?text) AS ?lang) WHERE {
  { ?e rdfs:label ?text . BIND("label" AS ?field) }
  UNION { ?e skos:altLabel|pm:formerName ?text . BIND("alias" AS ?field) }
  UNION { ?e dcterms:description ?text . BIND("description" AS ?field) }
  UNION { ?cite pm:about ?e ; pm:quote ?text . BIND("quote" AS ?field) }
  FILTER(isIRI(?e) && STRSTARTS(STR(?e), "https://w3id.org/pmkg/id/"))
}
"""


@dataclass(frozen=True)
class Hit:
    iri: str
    kind: str
    label: str
    score: float
    field: str
    matched: str

    @property
    def id(self) -> str:
        return self.iri.rsplit("/", 1)[-1]

    @property
    def why(self) -> str:
        text = self.matched if len(self.matched) <= 90 else self.matched[:89] + "…"
        return f"{self.field} “{text}” ({self.score:.0f})"


@dataclass
class Entry:
    iri: str
    kind: str
    label: str
    texts: list[tuple[str, str]]


def kind_of(iri: str) -> str:
    return iri[len(ID):].split("/", 1)[0] if iri.startswith(ID) else ""


def load_index(backend: Backend) -> list[Entry]:
    """Every resource with its searchable texts (one query)."""
    entries: dict[str, Entry] = {}
    for row in backend.select(TEXT_QUERY).rows:
        iri, field, text, lang = (v.text if v else "" for v in row)
        kind = kind_of(iri)
        if kind not in KINDS or not text:
            continue
        entry = entries.setdefault(iri, Entry(iri, kind, "", []))
        if field == "label" and (not entry.label or lang == "en"):
            entry.label = text if lang in ("en", "") or not entry.label else entry.label
        entry.texts.append((field, text))
    for entry in entries.values():
        entry.label = entry.label or entry.iri.rsplit("/", 1)[-1]
    return list(entries.values())


def _tokens(text: str) -> list[str]:
    return utils.default_process(text).split()


def word_score(query: str, word: str) -> float:
    """One search word against one word of a name (0-100): rapidfuzz's ratio (a typo costs a few
    points), at least PREFIX_SCORE when the word begins with a search word of 3+ letters ("univ")."""
    if query == word:
        return 100.0
    value = fuzz.ratio(query, word)
    return max(value, PREFIX_SCORE) if len(query) >= 3 and word.startswith(query) else value


def best_words(query: list[str], text: list[str]) -> list[tuple[float, int]]:
    """For each search word, its best score among the text's words and where that word is (the first
    of equal bests)."""
    out = []
    for q in query:
        best, where = 0.0, 0
        for i, t in enumerate(text):
            value = word_score(q, t)
            if value > best:
                best, where = value, i
        out.append((best, where))
    return out


def coverage(query: list[str], text: list[str]) -> float:
    """How much of the search the text holds: each search word's best fuzzy match among the text's
    words, averaged by word length (0-100)."""
    if not query or not text:
        return 0.0
    total = sum(len(q) for q in query)
    return sum(len(q) * s for q, (s, _) in zip(query, best_words(query, text), strict=True)) / total


def adjacency(query: list[str], text: list[str]) -> float:
    """The share of neighbouring search words that match neighbouring words of the name, in order
    ("Bejing genomics" in "Beijing Genomics Institute", not in "Beijing Institute of Genomics")."""
    if len(query) < 2 or not text:
        return 1.0
    at = [where for _, where in best_words(query, text)]
    return sum(1 for a, b in pairwise(at) if b == a + 1) / (len(at) - 1)


def _name_score(query: str, text: str) -> float:
    """A name: the search's coverage, a little less when the name has much more besides, and a little
    less when the search's words are scattered over it."""
    q, t = _tokens(query), _tokens(text)
    if q == t:
        return 100.0
    share = min(1.0, sum(map(len, q)) / max(1, sum(map(len, t))))
    return coverage(q, t) * (0.8 + 0.2 * share) * (0.9 + 0.1 * adjacency(q, t))


def _text_score(query: str, text: str) -> float:
    """A search inside a long text (description, quote): its coverage, searches of 4 letters or more."""
    return coverage(_tokens(query), _tokens(text)) if len(query) >= 4 else 0.0


def score(entry: Entry, query: str, fields: tuple[str, ...] = tuple(FIELDS)) -> tuple[float, str, str]:
    best = (0.0, "", "")
    for field, text in entry.texts:
        if field not in fields:
            continue
        raw = _name_score(query, text) if field in ("label", "alias") else _text_score(query, text)
        value = raw * FIELDS[field]
        if value > best[0]:
            best = (value, field, text)
    if entry.iri.rsplit("/", 1)[-1] == query.strip().lower():
        best = (100.0, "id", entry.iri.rsplit("/", 1)[-1])
    return best


def search(backend: Backend, query: str, kinds: tuple[str, ...] = (), limit: int = 10,
           fields: tuple[str, ...] = tuple(FIELDS), minimum: float = MIN_SCORE,
           index: list[Entry] | None = None) -> list[Hit]:
    """The best matches, best first (ties: names before mentions, then the shorter label, then the id)."""
    query = re.sub(r"\s+", " ", query).strip()
    if not query:
        return []
    hits = []
    for entry in index if index is not None else load_index(backend):
        if kinds and entry.kind not in kinds:
            continue
        value, field, text = score(entry, query, fields)
        if value >= minimum:
            hits.append(Hit(entry.iri, entry.kind, entry.label, round(value, 1), field, text))
    order = {"id": 0, "label": 1, "alias": 2, "description": 3, "quote": 4}
    hits.sort(key=lambda h: (-h.score, order[h.field], h.kind == "document", len(h.label), h.iri))
    return hits[:limit]


def suggest(backend: Backend, raw: str, kinds: tuple[str, ...], limit: int = 3) -> list[Hit]:
    """Nearest names for a value that did not resolve (ids count as names: ``track-ii`` finds
    ``track-ii-dialogue-healthcare-2024``)."""
    wanted = () if "any" in kinds else kinds
    index = load_index(backend)
    for entry in index:
        entry.texts.append(("alias", entry.iri.rsplit("/", 1)[-1].replace("-", " ")))
    return search(backend, raw.replace("-", " "), wanted, limit, ("label", "alias"), 60.0, index)
