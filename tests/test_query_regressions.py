"""Regression tests for canned-query bugs found by running the catalogue on other engines (issue 13)."""

from __future__ import annotations

from pathlib import Path

from test_import_support import BIBLIO, import_project, import_template  # noqa: F401
from typer.testing import CliRunner

from pmkg.catalogue import parse_query_file
from pmkg.cli import app
from pmkg.query import EmbeddedBackend, run_query
from pmkg.store import open_store

ROOT = Path(__file__).resolve().parents[1]


def test_co_affiliation_countries_ignores_min_papers(import_project: Path) -> None:  # noqa: F811
    result = CliRunner().invoke(app, ["import", "wos", str(BIBLIO / "wos-sample.txt"), "--source-id", "sample",
                                      "--root", str(import_project)])
    assert result.exit_code == 0, result.output
    spec = parse_query_file(ROOT / "queries" / "co-affiliation-countries.rq")
    backend = EmbeddedBackend(open_store(import_project / "dist"))
    every = run_query(spec, {}, backend)
    assert every.rows, "the sample has papers with two affiliation countries"
    most = max(int(row[every.columns.index("papers")].text) for row in every.rows)
    assert run_query(spec, {"min-papers": str(most)}, backend).rows
    assert not run_query(spec, {"min-papers": str(most + 1)}, backend).rows


def test_include_predecessors_without_an_issuer_or_funder_claims_no_predecessor(run):
    """Regression (found by the Jena comparison): the `via` subquery matched `?_issuer pm:succeeds+ ?pre`,
    which binds an unset parameter to every body, so with include-predecessors=true and no issuer the
    NHFPC's plan said "issued by predecessor …" (Jena, joining differently, said nothing)."""
    assert not [r for r in run("policies", include_predecessors="true") if r["via"]]
    assert not [r for r in run("programmes", include_predecessors="true") if r["via"]]
    via = [r for r in run("policies", issuer="NHC", include_predecessors="true") if r["via"]]
    assert len(via) == 1 and "National Health and Family Planning Commission" in via[0]["via"]
