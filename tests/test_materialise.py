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
