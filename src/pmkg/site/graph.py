"""The built graph as the site needs it, fetched in four SPARQL queries (not one per entity or fact).

Every triple whose subject is a resource under ``…/id/`` is read once with its named graph;
the reification (``rdf:Statement`` -> ``pm:Citation``) is read once and joined in Python, so
each fact carries the document, location and quote it came from.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from pmkg.namespaces import GRAPH, ID

PM = "https://w3id.org/pmkg/ontology#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
ALT_LABEL = "http://www.w3.org/2004/02/skos/core#altLabel"
DESCRIPTION = "http://purl.org/dc/terms/description"
TITLE = "http://purl.org/dc/terms/title"
EXACT_MATCH = "http://www.w3.org/2004/02/skos/core#exactMatch"
# Resources that are not pages of their own: reification and citation nodes.
NO_PAGE = {"statement", "citation"}
# Segments without pages (imported publications have pages: pmkg.site.publications).
SKIPPED_SEGMENTS: set[str] = set()
PREFIXES = {
    PM: "pm:", "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf:", "http://www.w3.org/2000/01/rdf-schema#": "rdfs:",
    "http://www.w3.org/2004/02/skos/core#": "skos:", "http://www.w3.org/ns/org#": "org:",
    "https://schema.org/": "schema:", "http://purl.org/dc/terms/": "dcterms:", "http://xmlns.com/foaf/0.1/": "foaf:",
    "http://www.w3.org/ns/prov#": "prov:", "http://purl.org/ontology/bibo/": "bibo:",
    "http://www.w3.org/2002/07/owl#": "owl:",
}

# pm:nameKey (a lower-cased copy of each name, for parameter lookup: pmkg.materialise) is no fact to show
TRIPLES = f"""SELECT ?g ?s ?p ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o }}
  FILTER(STRSTARTS(STR(?s), "{ID}") && !STRSTARTS(STR(?s), "{ID}statement/") && ?p != <{PM}nameKey>) }}"""
STATEMENTS = """PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> PREFIX pm: <https://w3id.org/pmkg/ontology#>
SELECT ?s ?p ?o ?cite WHERE { ?st rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; pm:citation ?cite }"""
CITATIONS = """PREFIX pm: <https://w3id.org/pmkg/ontology#>
SELECT ?cite ?doc ?location ?quote WHERE { ?cite a pm:Citation ; pm:citedIn ?doc ; pm:location ?location .
  OPTIONAL { ?cite pm:quote ?quote } }"""
VOCAB_LABELS = f"""PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?term ?label WHERE {{ GRAPH <{GRAPH}ontology> {{ ?term rdfs:label ?label }}
  FILTER(LANG(?label) IN ("en", "")) }}"""


@dataclass(frozen=True)
class Source:
    """Where a fact comes from: a document (its id), the place in it, and the quote for prose."""

    doc: str
    location: str
    quote: str | None = None


@dataclass
class Fact:
    """One triple of the entity: predicate, object, the graphs that hold it and the citations behind it."""

    predicate: str
    obj: ox.NamedNode | ox.Literal | ox.BlankNode
    graphs: set[str] = field(default_factory=set)
    sources: list[Source] = field(default_factory=list)

    @property
    def is_iri(self) -> bool:
        return isinstance(self.obj, ox.NamedNode)

    @property
    def text(self) -> str:
        return self.obj.value

    @property
    def language(self) -> str | None:
        return self.obj.language if isinstance(self.obj, ox.Literal) else None


@dataclass
class Entity:
    iri: str
    facts: list[Fact] = field(default_factory=list)
    incoming: list[tuple[str, str]] = field(default_factory=list)  # (subject IRI, predicate)

    @property
    def segment(self) -> str:
        return self.iri[len(ID):].split("/", 1)[0]

    @property
    def slug(self) -> str:
        return self.iri[len(ID):].split("/", 1)[1]

    def values(self, predicate: str, language: str | None = None) -> list[str]:
        return [f.text for f in self.facts if f.predicate == predicate
                and (language is None or f.language == language)]

    def first(self, predicate: str, language: str | None = None) -> str | None:
        found = self.values(predicate, language)
        return found[0] if found else None

    @property
    def label(self) -> str:
        return (self.first(RDFS_LABEL, "en") or self.first(RDFS_LABEL) or self.first(TITLE)
                or self.first(PM + "figureText") or self.slug)

    @property
    def label_zh(self) -> str | None:
        return self.first(RDFS_LABEL, "zh")

    @property
    def aliases(self) -> list[str]:
        return sorted(set(self.values(ALT_LABEL)))

    @property
    def description(self) -> str | None:
        return self.first(DESCRIPTION, "en") or self.first(DESCRIPTION)

    @property
    def types(self) -> list[str]:
        return sorted({f.text for f in self.facts if f.predicate == RDF_TYPE})


def curie(iri: str) -> str:
    for ns, prefix in PREFIXES.items():
        if iri.startswith(ns):
            return prefix + iri[len(ns):]
    return iri


def has_page(iri: str) -> bool:
    if not iri.startswith(ID) or "/" not in iri[len(ID):]:
        return False
    segment = iri[len(ID):].split("/", 1)[0]
    return segment not in NO_PAGE and segment not in SKIPPED_SEGMENTS


@dataclass
class SiteGraph:
    entities: dict[str, Entity]
    vocab_labels: dict[str, str]

    def by_segment(self) -> dict[str, list[Entity]]:
        out: dict[str, list[Entity]] = defaultdict(list)
        for e in self.entities.values():
            out[e.segment].append(e)
        for items in out.values():
            items.sort(key=lambda e: (e.label.lower(), e.slug))
        return dict(sorted(out.items()))

    def label_of(self, iri: str) -> str:
        if iri in self.entities:
            return self.entities[iri].label
        return self.vocab_labels.get(iri) or curie(iri)


def _query(store: ox.Store, text: str) -> ox.QuerySolutions:
    return store.query(text, use_default_graph_as_union=True)


def _citations(store: ox.Store) -> dict[str, Source]:
    out = {}
    for row in _query(store, CITATIONS):
        quote = row["quote"].value if row["quote"] is not None else None
        out[row["cite"].value] = Source(row["doc"].value.rsplit("/", 1)[-1], row["location"].value, quote)
    return out


def _sources(store: ox.Store) -> dict[tuple[str, str, str], list[Source]]:
    """(subject, predicate, object N-Triples form) -> its citations, sorted by document and location."""
    cites = _citations(store)
    out: dict[tuple[str, str, str], set[Source]] = defaultdict(set)
    for row in _query(store, STATEMENTS):
        source = cites.get(row["cite"].value)
        if source is not None:
            out[(row["s"].value, row["p"].value, str(row["o"]))].add(source)
    return {k: sorted(v, key=lambda s: (s.doc, s.location, s.quote or "")) for k, v in out.items()}


def load_site_graph(store: ox.Store) -> SiteGraph:
    """Every page-worthy resource with its facts (and their sources) and its incoming links."""
    sources = _sources(store)
    facts: dict[tuple[str, str, str], Fact] = {}
    entities: dict[str, Entity] = {}
    incoming: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for row in _query(store, TRIPLES):
        s, p, o, g = row["s"].value, row["p"].value, row["o"], row["g"].value
        if not has_page(s):
            continue
        key = (s, p, str(o))
        fact = facts.get(key)
        if fact is None:
            fact = facts[key] = Fact(p, o, sources=sources.get(key, []))
            entities.setdefault(s, Entity(s)).facts.append(fact)
            if isinstance(o, ox.NamedNode) and p != RDF_TYPE and has_page(o.value):
                incoming[o.value].add((s, p))
        fact.graphs.add(g)
    for iri, links in incoming.items():
        if iri in entities:
            entities[iri].incoming = sorted(links)
    vocab = {row["term"].value: row["label"].value for row in _query(store, VOCAB_LABELS)}
    return SiteGraph(entities, vocab)
