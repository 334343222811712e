"""Issue 11 (paper-level queries < 1 s at 1M): top-institutions counts an imported institution's papers from the
affiliation profiles `pmkg import` writes (pm:AffiliationProfile: one per distinct set of affiliated actors, with
its number of papers; ``pmkg.importers.summary``), following the hierarchy as the store holds it when the query
runs.  Its ranks and counts must equal a per-paper oracle computed here in Python from the imported papers' own
triples, on the real file, before and after the hierarchy changes under the import (a unit added below an
organisation, a unit taken away), and without the per-organisation summary nodes (pm:ActorSummary,
pm:RollUpSummary) that imports since session 6 also write; without include-suborgs every row must also equal the
per-paper query of b89f25c (tests/fixtures/per-paper-queries)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from test_import_summary import FIX, REAL_WOS, REGISTRIES, imported
from test_import_support import PKU_BELOW_CAS, edit_store, import_project, import_template  # noqa: F401

from pmkg.catalogue import load_catalogue, parse_query_file
from pmkg.importers.summary import graph_facts, hierarchy, upward
from pmkg.query import EmbeddedBackend, bind, render, run_query
from pmkg.store import open_store
from tests import jena
from tests.test_jena import from_json, from_ox, normalised

ROOT = Path(__file__).resolve().parents[1]
PM = "https://w3id.org/pmkg/ontology#"
ACTOR = "https://w3id.org/pmkg/id/actor/"
GRAPH = ox.NamedNode("https://w3id.org/pmkg/id/document/import-real")
SUB = ox.NamedNode(PM + "subOrganisationOf")
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def oracle(store: ox.Store, roll: bool) -> list[tuple[int, str, int]]:
    """(rank, institution, papers) per institution: distinct papers affiliated to it (with ``roll`` also to an
    organisation below it, by the store's hierarchy now), ranked by that count (ties share a rank)."""
    parents, counts = hierarchy(store), Counter()
    for facts in graph_facts(store, GRAPH).values():
        counts.update(set().union(*(upward(a, parents) for a in facts.actors)) if roll else facts.actors)
    return sorted((1 + sum(c > n for c in counts.values()), inst, n) for inst, n in counts.items())


def check(root: Path) -> None:
    catalogue = load_catalogue(ROOT / "queries")
    per_paper = parse_query_file(FIX / "per-paper-queries" / "top-institutions.rq")
    store = open_store(root / "dist")
    try:
        backend = EmbeddedBackend(store)
        for roll in (False, True):
            given = {"database": "imported:real", "include-suborgs": str(roll).lower()}
            rows = run_query(catalogue["top-institutions"], given, backend).records()
            got = sorted((int(r["rank"]), r["institution"], int(r["count"])) for r in rows)
            assert got == oracle(store, roll), roll
            assert len(got) > 20
            assert {r["allPapers"] for r in rows} == {str(len(graph_facts(store, GRAPH)))}
        for city in (None, "Beijing", "Shanghai"):  # every column, as the per-paper query of b89f25c answers
            given = {"database": "imported:real", **({"city": city} if city else {})}
            want = [[t.text if t else None for t in r] for r in run_query(per_paper, given, backend).rows]
            got = [[t.text if t else None for t in r] for r in run_query(catalogue["top-institutions"], given,
                                                                          backend).rows]
            assert got == want and got, city
        curated = run_query(catalogue["top-institutions"], {}, backend).records()
        assert len(curated) == 20 and {r["database"] for r in curated} == {"wos"}
    finally:
        del store


def units_below(store: ox.Store, org: str) -> list[str]:
    """The import's actors directly below ``org``."""
    actors = {q.object.value for q in store.quads_for_pattern(None, ox.NamedNode(PM + "summaryActor"), None, GRAPH)}
    return sorted(q.subject.value for q in store.quads_for_pattern(None, SUB, ox.NamedNode(org), None)
                  if q.subject.value in actors)


def remove_a_unit_of_cas(store: ox.Store) -> None:
    below = [u for u in units_below(store, ACTOR + "chinese-academy-of-sciences")
             if not u.endswith("/peking-university")]
    assert below
    for quad in list(store.quads_for_pattern(ox.NamedNode(below[0]), SUB, None, None)):
        store.remove(quad)


def remove_summary_nodes(store: ox.Store) -> None:
    """The import's pm:ActorSummary and pm:RollUpSummary nodes taken away, as an import made before session 6."""
    nodes = {q.subject for cls in ("ActorSummary", "RollUpSummary")
             for q in store.quads_for_pattern(None, RDF_TYPE, ox.NamedNode(PM + cls), GRAPH)}
    assert nodes
    for node in nodes:
        for quad in list(store.quads_for_pattern(node, None, None, GRAPH)):
            store.remove(quad)


@pytest.mark.slow
@pytest.mark.skipif(not REAL_WOS.is_file(), reason="needs ../shared/data/biblio")
def test_top_institutions_equal_the_per_paper_oracle_as_the_hierarchy_changes(import_project: Path) -> None:  # noqa: F811
    imported(import_project, "wos", REAL_WOS, "real", *REGISTRIES)
    check(import_project)
    edit_store(import_project, lambda store: store.add(PKU_BELOW_CAS))  # a unit put below CAS after the import
    check(import_project)
    edit_store(import_project, remove_a_unit_of_cas)  # and a unit the import put below CAS taken away from it
    check(import_project)


@pytest.mark.slow
@pytest.mark.skipif(not REAL_WOS.is_file(), reason="needs ../shared/data/biblio")
def test_top_institutions_of_an_import_without_per_organisation_summaries(import_project: Path) -> None:  # noqa: F811
    imported(import_project, "wos", REAL_WOS, "real", *REGISTRIES)
    edit_store(import_project, remove_summary_nodes)  # as an import made before session 6
    check(import_project)


@pytest.mark.slow
@pytest.mark.skipif(not REAL_WOS.is_file(), reason="needs ../shared/data/biblio")
@pytest.mark.skipif(not jena.available(), reason="needs Debian's libapache-jena-java and a JDK")
def test_jena_answers_top_institutions_on_an_import_as_oxigraph(import_project: Path, tmp_path: Path) -> None:  # noqa: F811
    """The profile reads, before and after a hierarchy change, in portable SPARQL 1.1: Jena's rows in
    Jena's order are Oxigraph's (Jena 4.5 once joined a subquery's COUNT wrongly, and answered no group for
    HAVING (SUM(...) = COUNT(...)))."""
    imported(import_project, "wos", REAL_WOS, "real", *REGISTRIES)
    spec = load_catalogue(ROOT / "queries")["top-institutions"]
    cases = [{"database": "imported:real", "include-suborgs": roll, **({"city": city} if city else {})}
             for roll in ("false", "true") for city in (None, "Beijing")] + [{}]
    for changed in (False, True):
        data = tmp_path / f"data-{changed}.nq"
        data.write_bytes((import_project / "dist" / "pmkg.nq").read_bytes() + b"\n"
                         + (import_project / "imports" / "real.nq").read_bytes()
                         + (f"{PKU_BELOW_CAS} .\n".encode() if changed else b""))
        store = ox.Store()
        store.load(path=str(data), format=ox.RdfFormat.N_QUADS)
        backend = EmbeddedBackend(store)
        texts = [render(spec, bind(spec, given, backend)) for given in cases]
        for given, text, res in zip(cases, texts, jena.run_batch(tmp_path / "jena", data, texts), strict=True):
            assert not isinstance(res, str), res
            ours = store.query(text, use_default_graph_as_union=True)
            columns = [v.value for v in ours.variables]
            mine = normalised([[from_ox(s[c]) for c in columns] for s in ours], columns, text)
            theirs = normalised([[from_json(b.get(c)) for c in columns] for b in res["results"]["bindings"]],
                                columns, text)
            assert mine == theirs and mine, (changed, given)
