"""Facts many canned queries would otherwise recompute, materialised once at build time.

Each fact is defined by a SPARQL CONSTRUCT (``DEFINITIONS``) over the curated graph plus the
ontology and the reasoner's output; the build runs the definitions and puts their results
into the inferred graph, next to the reasoner's.  Queries then read one triple instead of
following a property path for every actor (``pm:locatedIn/(pm:locatedIn|pm:memberOf)*``) or
testing ``NOT EXISTS`` over every place.  ``tests/test_materialise.py`` checks that the
built store holds exactly what the definitions give.

- ``pm:withinPlace``: every place a thing lies in, following ``pm:locatedIn`` once, then
  ``pm:locatedIn`` or ``pm:memberOf`` upwards (a city in its region, a country in the EU);
- ``pm:region``: the tops among those (a place that lies in no other place): EU, China,
  United States;
- ``pm:withinTopic``: for every topic something has as its ``pm:focus`` or ``pm:topic``, that
  topic itself and every broader one (``skos:broader*``), so a topic filter reads
  ``pm:focus/pm:withinTopic ?topic`` instead of following ``skos:broader*`` for every actor;
- ``pm:displayLabel``: the name a table shows for a thing, its English ``rdfs:label`` (the least,
  should it have several), so a query reads one triple instead of grouping every labelled thing in a
  subquery for ``MIN(?label)``;
- ``pm:nameKey``: each name (``rdfs:label``, ``skos:altLabel``) lower-cased, a plain literal, so
  :func:`pmkg.query.resolve_entity` finds ``--param country=germany`` with one triple pattern
  instead of ``LCASE`` over every name in the graph.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import RDF, RDFS, SKOS, BNode, Literal, URIRef

from pmkg.vocab import PM

PREFIXES = ("PREFIX pm: <https://w3id.org/pmkg/ontology#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
            "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n")
DEFINITIONS = {
    "withinPlace": PREFIXES + """
CONSTRUCT { ?x pm:withinPlace ?place }
WHERE { ?x pm:locatedIn/(pm:locatedIn|pm:memberOf)* ?place }""",
    "region": PREFIXES + """
CONSTRUCT { ?x pm:region ?top }
WHERE {
  { SELECT DISTINCT ?top WHERE {
      ?top a/rdfs:subClassOf* pm:Place .
      FILTER NOT EXISTS { ?top pm:locatedIn|pm:memberOf ?higher . ?higher a/rdfs:subClassOf* pm:Place } } }
  ?x pm:locatedIn/(pm:locatedIn|pm:memberOf)* ?top .
}""",
    "withinTopic": PREFIXES + """
CONSTRUCT { ?t pm:withinTopic ?broader }
WHERE { ?x pm:focus|pm:topic ?t . ?t skos:broader* ?broader }""",
    "displayLabel": PREFIXES + """
CONSTRUCT { ?x pm:displayLabel ?label }
WHERE { { SELECT ?x (MIN(?l) AS ?label) WHERE { ?x rdfs:label ?l . FILTER(LANG(?l) = "en") } GROUP BY ?x } }""",
    "nameKey": PREFIXES + """
CONSTRUCT { ?x pm:nameKey ?key }
WHERE { ?x rdfs:label|skos:altLabel ?name . BIND(LCASE(STR(?name)) AS ?key) }""",
}
# region: the tops (a handful of places) first, then the paths up to them - the same facts as joining every
# path with the test of its end, ~9x faster at 10x the curated graph (0.52 -> 0.06 s) and growing linearly
# the only predicates the definitions read
READS = {PM.locatedIn, PM.memberOf, RDF.type, RDFS.subClassOf, PM.focus, PM.topic, SKOS.broader, RDFS.label,
         SKOS.altLabel}
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
Triple = tuple[URIRef, URIRef, URIRef | Literal]


def _ox(term: URIRef | BNode | Literal) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if term.language:
        return ox.Literal(str(term), language=term.language)
    return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)) if term.datatype else None)


def _rdflib_literal(term: ox.Literal) -> Literal:
    if term.language:
        return Literal(term.value, lang=term.language)
    return Literal(term.value, datatype=None if term.datatype.value == XSD_STRING else URIRef(term.datatype.value))


def materialised_in(store: ox.Store) -> set[Triple]:
    """The facts the definitions give over ``store`` (its default graph the union of its graphs)."""
    out: set[Triple] = set()
    for text in DEFINITIONS.values():
        for t in store.query(text, use_default_graph_as_union=True):
            if not isinstance(t.subject, ox.NamedNode):
                continue
            if isinstance(t.object, ox.NamedNode):
                out.add((URIRef(t.subject.value), URIRef(t.predicate.value), URIRef(t.object.value)))
            elif isinstance(t.object, ox.Literal):  # a name key (plain) or a display label (@en)
                out.add((URIRef(t.subject.value), URIRef(t.predicate.value), _rdflib_literal(t.object)))
    return out


def materialise(triples: Iterable[tuple]) -> set[Triple]:
    """The materialised facts for a build, from its triples (curated, ontology and inferred)."""
    store = ox.Store()
    store.extend(ox.Quad(_ox(s), _ox(p), _ox(o)) for s, p, o in triples if p in READS)
    return materialised_in(store)


def materialise_store(store: ox.Store, graph: str) -> int:
    """Add the facts to an existing store's ``graph`` (for a store built before this step); their count."""
    facts = materialised_in(store)
    g = ox.NamedNode(graph)
    store.extend(ox.Quad(ox.NamedNode(s), ox.NamedNode(p), _ox(o), g) for s, p, o in facts)
    return len(facts)
