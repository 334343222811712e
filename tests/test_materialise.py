"""The facts materialised at build time agree with their definitions, in the built store."""

from __future__ import annotations

from pmkg.materialise import DEFINITIONS
from pmkg.namespaces import INFERRED_GRAPH

PM = "https://w3id.org/pmkg/ontology#"
# the definitions restated as the property paths the queries used before materialisation
PATHS = {
    "withinPlace": "?x pm:locatedIn/(pm:locatedIn|pm:memberOf)* ?y",
    "region": "?x pm:locatedIn/(pm:locatedIn|pm:memberOf)* ?y . ?y a pm:Place "
              "FILTER NOT EXISTS { ?y pm:locatedIn|pm:memberOf ?h . ?h a pm:Place }",
    "withinTopic": "?s pm:focus|pm:topic ?x . ?x <http://www.w3.org/2004/02/skos/core#broader>* ?y",
    "displayLabel": "{ SELECT ?x (MIN(?l) AS ?y) WHERE { ?x <http://www.w3.org/2000/01/rdf-schema#label> ?l "
                    "FILTER(LANG(?l) = 'en') } GROUP BY ?x }",
    "nameKey": "?x <http://www.w3.org/2000/01/rdf-schema#label>|<http://www.w3.org/2004/02/skos/core#altLabel> ?n "
               "BIND(LCASE(STR(?n)) AS ?y)",
}


def pairs(backend, where: str) -> set[tuple[str, str]]:
    text = f"PREFIX pm: <{PM}> SELECT DISTINCT ?x ?y WHERE {{ {where} }}"
    return {(r[0].text, r[1].text) for r in backend.select(text).rows}


def test_materialised_facts_agree_with_their_definition(backend):
    for name, path in PATHS.items():
        stored = pairs(backend, f"GRAPH <{INFERRED_GRAPH}> {{ ?x pm:{name} ?y }}")
        assert stored, f"no pm:{name} facts in the inferred graph"
        assert stored == pairs(backend, path), name


def test_every_definition_is_checked():
    assert set(DEFINITIONS) == set(PATHS)


def test_region_is_a_top_place(backend):
    regions = {y for _x, y in pairs(backend, "?x pm:region ?y")}
    assert {f"https://w3id.org/pmkg/id/place/{p}" for p in ("eu", "china")} <= regions
    assert not pairs(backend, "?x pm:region ?y . ?y pm:locatedIn|pm:memberOf ?z . ?z a pm:Place")


def test_name_lookup_reads_the_name_keys_and_falls_back_without_them(backend):
    """A parameter given by name resolves through pm:nameKey; on a store without the keys (built
    before them, or an endpoint) the same name resolves by lower-casing every name, to the same entity."""
    import pyoxigraph as ox

    from pmkg.catalogue import Param
    from pmkg.query import EmbeddedBackend, resolve_entity
    param = Param("country", "entity", kinds=("place",))
    assert resolve_entity(param, "GERMANY", backend).value.endswith("/place/germany")
    keyless = ox.Store()
    keyless.extend(q for q in backend.store.quads_for_pattern(None, None, None, None)
                   if q.predicate.value != f"{PM}nameKey")
    for name in ("GERMANY", "Germany", "germany"):
        assert resolve_entity(param, name, EmbeddedBackend(keyless)) == resolve_entity(param, name, backend)


def test_countries_within_a_place_are_its_countries_along_located_in(backend):
    """actor-counts reads an actor's countries as ``pm:withinPlace ?c . ?c a pm:Country``; its definition is
    ``pm:locatedIn/pm:locatedIn* ?c . ?c a pm:Country``.  They agree because no ``pm:memberOf`` step reaches a
    country (the memberships are countries in the EU or EU27, and China in an organisation): this checks that
    on the built graph, for every thing, not only actors."""
    country = "?y a pm:Country"
    materialised = pairs(backend, f"?x pm:withinPlace ?y . {country}")
    assert materialised
    assert materialised == pairs(backend, f"?x pm:locatedIn/pm:locatedIn* ?y . {country}")
