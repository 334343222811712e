"""Registry organisations minted with their ROR children (issue 11 item 1), on real ROR records
(fixtures/registry/resolve-ror-children.jsonl): the quads the Minter writes are loaded into Oxigraph and read
back with SPARQL."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from pmkg.registry import mint
from pmkg.registry.index import build_ror
from pmkg.registry.mint import Minter, ror_iri

DUMP = Path(__file__).parent / "fixtures" / "registry" / "resolve-ror-children.jsonl"
CAS = "https://w3id.org/pmkg/id/actor/chinese-academy-of-sciences"
PM = "PREFIX pm: <https://w3id.org/pmkg/ontology#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
ISO = {"CN": "https://w3id.org/pmkg/id/place/china", "DE": "https://w3id.org/pmkg/id/place/germany"}


def minter(curated: dict[str, str]) -> Minter:
    return Minter(build_ror(DUMP), None, curated, {}, ISO)


def rows(quads: list[ox.Quad], query: str) -> set[tuple[str, ...]]:
    store = ox.Store()
    store.extend(quads)
    return {tuple(t.value for t in r) for r in store.query(PM + query, use_default_graph_as_union=True)}


def test_minted_organisation_has_its_children_minted_minimally() -> None:
    m = minter({"034t30j35": CAS})
    assert m.org("022c3hy66") == ror_iri("022c3hy66")  # CAS's Institute of Automation: not curated
    quads = m.take()
    children = rows(quads, """SELECT ?child ?label ?rid ?type ?place WHERE { ?child pm:subOrganisationOf
        <https://w3id.org/pmkg/id/organisation/ror-022c3hy66> ; rdfs:label ?label ; pm:rorId ?rid ;
        pm:registryType ?type ; pm:locatedIn ?place ; a pm:RegistryOrganisation }""")
    assert {(r[2], r[1]) for r in children} == {("03bdmv123", "State Key Laboratory of Complex System Management "
                                                 "and Control"), ("02aztsv52", "State Key Laboratory of Pattern "
                                                 "Recognition")}
    assert {r[4] for r in children} == {ISO["CN"]}
    # the unit itself still rolls up to the curated CAS, and CAS is not minted (nor its other children)
    assert rows(quads, "SELECT ?p WHERE { <https://w3id.org/pmkg/id/organisation/ror-022c3hy66> "
                       "pm:subOrganisationOf ?p }") == {(CAS,)}
    assert not rows(quads, f"SELECT ?p ?o WHERE {{ <{CAS}> ?p ?o }}")


def test_child_linked_to_a_curated_actor_is_not_put_under_the_registry_organisation() -> None:
    dresden_unit = "https://w3id.org/pmkg/id/actor/ifa-dresden"
    m = minter({"056qj1t15": dresden_unit})
    m.org("042aqky30")  # TU Dresden, registry; its Institute of Automation is (here) curated
    assert not rows(m.take(), f"SELECT ?p ?o WHERE {{ <{dresden_unit}> ?p ?o }}")


def test_stubbed_child_minted_later_in_full_adds_no_duplicate() -> None:
    m = minter({"034t30j35": CAS})
    m.org("022c3hy66")
    first = m.take()
    m.org("03bdmv123")  # a paper reaches the state key laboratory itself
    later = m.take()
    assert not set(first) & set(later)
    s = ox.NamedNode(ror_iri("03bdmv123"))
    assert {q.predicate.value.rsplit("#", 1)[-1] for q in later if q.subject == s} >= {"altLabel"}
    assert m.org("03bdmv123") == ror_iri("03bdmv123") and not m.take()  # once only


def test_organisation_with_too_many_children_lists_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mint, "MAX_CHILDREN", 1)  # the cap that keeps CNRS's 1,034 children out of an import
    m = minter({"034t30j35": CAS})
    m.org("022c3hy66")  # two children in the dump
    assert not rows(m.take(), "SELECT ?c WHERE { ?c pm:subOrganisationOf "
                              "<https://w3id.org/pmkg/id/organisation/ror-022c3hy66> }")
