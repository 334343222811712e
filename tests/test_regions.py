"""Regions said explicitly (issue 12): `region=EU` is causio-2023's grouping (the UK counted as EU),
`EU+UK` names that grouping, `EU27` is the member states without the United Kingdom."""

from __future__ import annotations

import re

import pytest
import yaml

from pmkg.catalogue import load_catalogue
from pmkg.query import run_query
from tests.conftest import ROOT, needs_seeds
from tests.seedtables import seed_text

ID = "https://w3id.org/pmkg/id/"
CATALOGUE = load_catalogue(ROOT / "queries")


def actors(backend, region: str) -> set[str]:
    return {r["actor"] for r in run_query(CATALOGUE["actors"], {"region": region}, backend).records()}


def in_uk(backend) -> set[str]:
    text = ("SELECT DISTINCT ?a WHERE { ?a a <https://w3id.org/pmkg/ontology#Actor> ; "
            f"<https://w3id.org/pmkg/ontology#withinPlace> <{ID}place/united-kingdom> }}")
    return {row[0].text for row in backend.select(text).rows}


def test_eu_plus_uk_is_the_eu_grouping(backend):
    assert actors(backend, "EU+UK") == actors(backend, "EU") == actors(backend, "EU28")


def at_eu_level(backend) -> set[str]:
    """Actors placed at the EU itself (the European Commission), in no member state."""
    text = ("SELECT DISTINCT ?a WHERE { ?a a <https://w3id.org/pmkg/ontology#Actor> ; "
            f"<https://w3id.org/pmkg/ontology#locatedIn> <{ID}place/eu> }}")
    return {row[0].text for row in backend.select(text).rows}


def test_eu27_is_the_eu_grouping_without_uk_actors(backend):
    """EU27 holds the actors of its 27 member states: the EU grouping without the UK's actors and without
    the actors placed at the EU itself (documented in places.yaml and the README)."""
    eu, eu27, uk = actors(backend, "EU"), actors(backend, "EU27"), in_uk(backend)
    assert uk and uk <= eu  # causio-2023 counts the UK's actors as EU
    assert eu27 == eu - uk - at_eu_level(backend)
    assert len(eu27) > len(eu) / 2


def test_actor_counts_filters_by_eu27(backend):
    """region=EU27 is not a top region (pm:region): actor-counts must still filter by it, not return nothing."""
    rows = run_query(CATALOGUE["actor-counts"], {"region": "EU27"}, backend).records()
    assert sum(int(r["actors"]) for r in rows) == len(actors(backend, "EU27")) > 0
    everyone = run_query(CATALOGUE["actor-counts"], {"region": "EU"}, backend).records()
    assert sum(int(r["actors"]) for r in everyone) == len(actors(backend, "EU"))


@needs_seeds()
def test_eu27_is_defined_by_a_quoted_seed_sentence():
    places = yaml.safe_load((ROOT / "kg" / "places.yaml").read_text(encoding="utf-8"))["places"]
    eu27 = next(p for p in places if p["id"] == "eu27")
    source = eu27["source"]
    assert source["doc"] == "causio-2023"
    assert re.sub(r"\s+", " ", source["quote"]) in re.sub(r"\s+", " ", seed_text("causio-2023"))
    members = {p["id"] for p in places for a in p.get("also", []) if "eu27" in a.get("member_of", [])}
    in_eu = {p["id"] for p in places for a in p.get("also", []) if "eu" in a.get("member_of", [])} - {"eu27"}
    assert members == in_eu - {"united-kingdom"} and len(members) == 27


@pytest.mark.parametrize("query", ["actors", "actor-counts"])
def test_region_parameter_documents_the_groupings(query: str):
    text = CATALOGUE[query].param("region").description
    assert all(word in text for word in ("EU27", "EU+UK", "UK"))
