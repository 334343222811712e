"""`actors` and `actor-counts` on the real graph, checked against causio-2023's own tables."""

from __future__ import annotations

from collections import Counter

import pytest
from typer.testing import CliRunner

from pmkg.cli import app
from pmkg.errors import QueryError
from tests.conftest import needs_seeds
from tests.seedtables import causio_tables

runner = CliRunner()
pytestmark = needs_seeds()




def test_seed_table_sizes():
    table1, table2 = causio_tables()
    assert (len(table1), len(table2)) == (63, 15)


def test_actor_counts_by_type_match_causio_tables(run):
    table1, table2 = causio_tables()
    expected = {("European Union", t): n for t, n in Counter(r[3] for r in table1).items()}
    expected |= {("China", t): n for t, n in Counter(r[3] for r in table2).items()}
    rows = run("actor-counts", listed_in="causio-2023", by="type")
    got = {(r["region"], r["type"]): int(r["actors"]) for r in rows}
    assert got == expected
    assert expected[("European Union", "RTO")] == 47 and sum(v for (reg, _), v in expected.items()
                                                            if reg == "European Union") == 63


def test_actor_counts_by_country_match_table1(run):
    table1, _ = causio_tables()
    expected = Counter({"The Netherlands": "Netherlands", "UK": "United Kingdom"}.get(r[1], r[1]) for r in table1)
    rows = run("actor-counts", listed_in="causio-2023", by="country", region="EU")
    got = {r["country"]: int(r["actors"]) for r in rows}
    assert got == dict(expected)
    assert got["Germany"] == 11


def test_actors_filters(run):
    smes = run("actors", region="EU", type="SME", listed_in="causio-2023")
    table1, _ = causio_tables()
    assert len(smes) == sum(1 for r in table1 if r[3] == "SME")
    german = run("actors", country="Germany", listed_in="causio-2023")
    assert len(german) == 11
    clusters = run("actors", kind="cluster")
    assert clusters and all("cluster" in r["kinds"] for r in clusters)


def test_entity_parameter_accepts_id_iri_label_and_alias(run):
    by_id = run("actors", country="germany")
    by_iri = run("actors", country="https://w3id.org/pmkg/id/place/germany")
    by_label = run("actors", country="GERMANY")
    assert by_id == by_iri == by_label
    assert run("actors", region="EU") == run("actors", region="European Union")


def test_bad_parameter_values_are_clear_errors(run):
    with pytest.raises(QueryError, match="not one of PI, RTO, SME"):
        run("actors", type="XX")
    with pytest.raises(QueryError, match="no place with id, label or alias 'Atlantis'"):
        run("actors", country="Atlantis")
    with pytest.raises(QueryError, match="has no parameter 'colour'"):
        run("actors", colour="red")


def test_cli_query_list_describe_and_formats(real_build):
    root, _ = real_build
    listed = runner.invoke(app, ["query", "--list", "--root", str(root)])
    assert listed.exit_code == 0 and "actor-counts" in listed.output and "actors" in listed.output
    described = runner.invoke(app, ["query", "describe", "actor-counts", "--root", str(root)])
    assert described.exit_code == 0 and "listed-in" in described.output
    for fmt, marker in (("csv", "region,country,type,actors"), ("json", '"columns"'), ("md", "| region |")):
        out = runner.invoke(app, ["query", "actor-counts", "--root", str(root), "--format", fmt])
        assert out.exit_code == 0 and marker in out.output, out.output
    bad = runner.invoke(app, ["query", "actors", "--root", str(root), "--param", "type=XX"])
    assert bad.exit_code == 2 and "error: --param type" in bad.output and "Traceback" not in bad.output
    missing = runner.invoke(app, ["query", "no-such-query", "--root", str(root)])
    assert missing.exit_code == 2 and "pmkg query --list" in missing.output


def test_actor_counts_without_listing_count_each_actor_once(run, backend):
    """Regression: with listed-in unset, the OPTIONAL listing pattern bound ?_listed_in itself and
    the query counted table listings (China 184 instead of 157).  Count independently in Python."""
    pm = "https://w3id.org/pmkg/ontology#"
    located = backend.select(f"SELECT ?a ?p WHERE {{ ?a a <{pm}Actor> ; <{pm}locatedIn> ?p }}").records()
    ups = backend.select(f"SELECT ?p ?q WHERE {{ ?p <{pm}locatedIn>|<{pm}memberOf> ?q . ?p a <{pm}Place> . "
                         f"?q a <{pm}Place> }}").records()
    labels = {r["p"]: r["l"] for r in backend.select(
        f'SELECT ?p ?l WHERE {{ ?p a <{pm}Place> ; <http://www.w3.org/2000/01/rdf-schema#label> ?l '
        f'FILTER(LANG(?l) = "en") }}').records()}
    parents: dict[str, set[str]] = {}
    for r in ups:
        parents.setdefault(r["p"], set()).add(r["q"])

    def roots(place: str, seen: frozenset = frozenset()) -> set[str]:
        if not parents.get(place) or place in seen:
            return {place}
        return set().union(*(roots(q, seen | {place}) for q in parents[place]))

    expected: Counter[str] = Counter()
    per_actor: dict[str, set[str]] = {}
    for r in located:
        per_actor.setdefault(r["a"], set()).update(roots(r["p"]))
    for tops in per_actor.values():
        for top in tops:
            expected[labels[top]] += 1
    got = {r["region"]: int(r["actors"]) for r in run("actor-counts")}
    assert got == dict(expected)
