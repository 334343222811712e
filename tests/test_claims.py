"""Ranked claims: where the sources disagree, the default view carries one value and a marker.

Over the real graph: each conflict has one preferred claim, asserted on the entity; its normal
and deprecated claims are only in the reification (still in their document's graph); every
entity with two values of a single-valued attribute is marked pm:disputedIn a conflict about
that attribute.  Plus the severity rule, the conflicts query's grouping and filter, and the
succession between bodies that `policies --param include-predecessors=true` follows.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pmkg import schema as s
from pmkg.load import load_kg
from pmkg.map import conflict_severity
from tests.conftest import ROOT

PM = "https://w3id.org/pmkg/ontology#"
ID = "https://w3id.org/pmkg/id/"
PREFIXES = (f"PREFIX pm: <{PM}> PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> "
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> PREFIX schema: <https://schema.org/> "
            "PREFIX dcterms: <http://purl.org/dc/terms/> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> ")
# Attributes an entity has at most one value of (labels: one per language).
SINGLE_VALUED = {"rdfs:label": "label", "dcterms:issued": "issued", "schema:foundingDate": "founded",
                 "pm:start": "start", "pm:end": "end", "schema:url": "website"}


@pytest.fixture(scope="module")
def kg():
    return load_kg(ROOT / "kg")


def select(backend, text: str) -> list[dict[str, str | None]]:
    return backend.select(PREFIXES + text).records()


@pytest.mark.parametrize("predicate", sorted(SINGLE_VALUED))
def test_default_view_has_one_value_per_single_valued_attribute_or_a_disputed_marker(backend, predicate):
    rows = select(backend, f"""
        SELECT ?e (COUNT(DISTINCT ?v) AS ?n) (SAMPLE(?prop) AS ?disputed) WHERE {{
          ?e {predicate} ?v . BIND(IF(isLiteral(?v), LANG(?v), "") AS ?lang)
          OPTIONAL {{ ?e pm:disputedIn ?c . ?c pm:conflictProperty ?prop .
                      FILTER(?prop = "{SINGLE_VALUED[predicate]}") }}
        }} GROUP BY ?e ?lang HAVING (COUNT(DISTINCT ?v) > 1)""")
    unmarked = [r["e"] for r in rows if not r["disputed"]]
    assert not unmarked, f"{predicate}: several values and no disputed marker: {unmarked}"


def test_every_conflict_has_its_preferred_claim_asserted_and_the_others_only_reified(backend, kg):
    claims = sum(len(r.model.claims) for r in kg.of_kind("conflicts"))
    cited = select(backend, """SELECT (COUNT(DISTINCT ?c) AS ?conflicts) (COUNT(DISTINCT ?cite) AS ?claims)
                               (COUNT(DISTINCT ?pc) AS ?preferred) WHERE {
                                 ?c a pm:Conflict ; pm:claim ?cite ; pm:preferredClaim ?pc .
                                 ?st pm:citation ?cite ; rdf:predicate ?p }""")[0]
    assert int(cited["conflicts"]) == int(cited["preferred"]) == sum(1 for _ in kg.of_kind("conflicts"))
    assert int(cited["claims"]) == claims, "the reification still gives every claim"
    missing = select(backend, """SELECT ?c ?p ?o WHERE {
        ?c pm:about ?about ; pm:preferredClaim ?cite . ?st pm:citation ?cite ; rdf:predicate ?p ; rdf:object ?o .
        FILTER NOT EXISTS { ?about ?p ?o } }""")
    assert missing == [], "a preferred claim's values are asserted"
    leaked = select(backend, """SELECT ?c ?p ?o WHERE {
        ?c pm:about ?about ; pm:claim ?cite . ?cite pm:claimRank ?rank . FILTER(?rank != pm:PreferredRank)
        ?st pm:citation ?cite ; rdf:predicate ?p ; rdf:object ?o . FILTER(?p != skos:editorialNote)
        FILTER NOT EXISTS { ?c pm:preferredClaim ?pc . ?same pm:citation ?pc ; rdf:predicate ?p ; rdf:object ?o }
        FILTER EXISTS { ?about ?p ?o } }""")
    assert leaked == [], "normal and deprecated values stay out of the default view"


def test_every_disputed_entity_is_marked(backend, kg):
    for rec in kg.of_kind("conflicts"):
        kind = kg.kinds_by_id[rec.model.about]
        segment = {"actors": "actor", "programmes": "programme", "policies": "policy"}[kind]
        entity = f"<{ID}{segment}/{rec.model.about}>"
        assert backend.ask(f"ASK {{ {entity} <{PM}disputedIn> <{ID}conflict/{rec.model.id}> }}"), rec.model.id


def _conflict(prop: str, *values: list[str]) -> s.Conflict:
    claims = [{"source": {"doc": "d", "at": f"Table 1, row {i}"}, prop: v,
               "rank": "preferred" if i == 0 else "normal", "reason": "test"} for i, v in enumerate(values)]
    return s.Conflict(id="c", about="e", property=prop, description="d", claims=claims)


def test_severity_rule_tells_a_different_host_from_a_format_difference():
    assert conflict_severity(_conflict("website", ["http://a.org/x"], ["https://www.a.org/x/"])) == "format"
    assert conflict_severity(_conflict("website", ["https://a.org/?lang=en"], ["https://a.org#!"])) == "format"
    assert conflict_severity(_conflict("website", ["https://a.org/en/"], ["https://a.org/"])) == "minor"
    assert conflict_severity(_conflict("website", ["https://a.org"], ["https://b.org"])) == "substantive"
    assert conflict_severity(_conflict("located_in", ["shanghai"], ["chongqing"])) == "substantive"


def test_conflict_needs_exactly_one_preferred_claim():
    with pytest.raises(ValueError, match="exactly one claim with rank: preferred"):
        s.Conflict(id="c", about="e", property="website", description="d",
                   claims=[{"source": {"doc": "d", "at": "x"}, "website": ["https://a.org"]},
                           {"source": {"doc": "d", "at": "y"}, "website": ["https://b.org"]}])
    with pytest.raises(ValueError, match="needs a 'reason'"):
        s.Conflict.model_validate(
            {"id": "c", "about": "e", "property": "website", "description": "d", "claims": [
                {"source": {"doc": "d", "at": "x"}, "website": ["https://a.org"], "rank": "preferred",
                 "reason": "test"},
                {"source": {"doc": "d", "at": "y"}, "website": ["https://b.org"], "rank": "deprecated"}]})


def test_conflict_without_preferred_claim_is_a_one_line_error_through_the_cli(project):
    path = project / "kg" / "bad.yaml"
    path.write_text("conflicts:\n  - id: bad-conflict\n    about: bgi\n    property: website\n    description: x\n"
                    "    claims:\n      - {website: ['https://a.org'], source: {doc: causio-2023, at: T1}}\n"
                    "      - {website: ['https://b.org'], source: {doc: causio-2023, at: T2}}\n", encoding="utf-8")
    pmkg = Path(sys.executable).parent / "pmkg"
    done = subprocess.run([str(pmkg), "validate"], cwd=project, capture_output=True, text=True, timeout=600)
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if "bad-conflict" in line]
    assert lines and lines[0].startswith("error: kg/bad.yaml:2 bad-conflict:"), done.stderr
    assert "exactly one claim with rank: preferred" in lines[0]


def test_conflicts_query_groups_by_severity_and_kind(run, kg):
    rows = run("conflicts")
    expected = {r.model.id: conflict_severity(r.model) for r in kg.of_kind("conflicts")}
    got = {r["conflict"]: r["severity"] for r in rows}
    assert got == expected
    order = {"substantive": 0, "minor": 1, "format": 2}
    keys = [(order[r["severity"]], r["kind"]) for r in rows]
    assert keys == sorted(keys), "rows come grouped by severity, then kind"
    assert {r["rank"] for r in rows} == {"preferred", "normal", "deprecated"}
    assert all(r["reason"] for r in rows if r["rank"] != "normal")


def test_conflicts_query_filters_to_substantive_ones(run, kg):
    substantive = run("conflicts", severity="substantive")
    assert {r["conflict"] for r in substantive} == {
        r.model.id for r in kg.of_kind("conflicts") if conflict_severity(r.model) == "substantive"}
    assert {r["kind"] for r in substantive} >= {"located_in", "website", "issued", "aliases"}
    places = run("conflicts", kind="located_in")
    assert {r["conflict"] for r in places} == {
        r.model.id for r in kg.of_kind("conflicts") if r.model.property == "located_in"}
    # the HUST city: Wuhan preferred, the table's misspelt "Huangzhou" deprecated, both still listed
    hust = {r["value"]: r["rank"] for r in places if r["conflict"] == "au-2023-hust-city"}
    assert hust == {"Wuhan": "preferred", "Huangzhou": "deprecated"}


def test_cprmc_default_view_is_chongqing_only(backend):
    rows = select(backend, f"SELECT ?place WHERE {{ <{ID}actor/cancer-precision-medicine-research-center> "
                           "pm:locatedIn ?place }")
    places = {r["place"].rsplit("/", 1)[-1] for r in rows}
    assert "chongqing" in places and "shanghai" not in places


def test_succession_moh_nhfpc_nhc_and_cfda_nmpa_with_dates(backend):
    rows = select(backend, f"""SELECT ?pre ?date ?how WHERE {{
        <{ID}actor/national-health-commission> pm:succeeds+ ?pre .
        OPTIONAL {{ ?s a pm:Succession ; pm:predecessor ?pre ; pm:date ?date ; pm:successionKind ?how }} }}""")
    chain = {r["pre"].rsplit("/", 1)[-1]: r["date"] for r in rows}
    assert chain == {"nhfpc": "2018-03", "china-ministry-of-health": "2013-03"}
    assert backend.ask(f"ASK {{ <{ID}actor/nmpa> <{PM}succeeds> <{ID}actor/cfda> }}")
    cfda_alias = select(backend, f"SELECT ?a WHERE {{ <{ID}actor/nmpa> skos:altLabel ?a FILTER(CONTAINS(?a, 'CFDA') "
                                 "|| CONTAINS(?a, 'Food and Drug')) }")
    assert cfda_alias == [], "the CFDA is its own entity, not an alias of the NMPA"


def test_renamed_laboratory_has_a_dated_renaming(backend):
    rows = select(backend, f"SELECT ?date WHERE {{ <{ID}actor/state-key-laboratory-for-genomic-and-precision-medicine> "
                           "pm:renaming/pm:date ?date }")
    assert [r["date"] for r in rows] == ["2012"]


def test_policies_of_nhc_include_nhfpc_plans_with_include_predecessors(run):
    plain = run("policies", issuer="NHC")
    wider = run("policies", issuer="NHC", include_predecessors="true")
    plain_ids = {r["policy"] for r in plain}
    extra = [r for r in wider if r["policy"] not in plain_ids]
    assert plain_ids < {r["policy"] for r in wider}
    assert extra and all("National Health and Family Planning Commission" in r["issuers"] for r in extra)
    assert all(r["via"].startswith("issued by predecessor National Health and Family Planning Commission")
               for r in extra)
    assert all(not r["via"] for r in plain) and all(not r["via"] for r in wider if r["policy"] in plain_ids)
    assert any("13th FYP" in r["title"] for r in extra)
