"""Hostile parameter values, through every parameter of every canned query: each is
either treated as a value (the query text changes only in its VALUES block, and the
query runs) or rejected with a clear QueryError - never a SPARQL syntax error, never
a changed query, never a traceback."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from pmkg.catalogue import load_catalogue
from pmkg.cli import app
from pmkg.errors import QueryError
from pmkg.query import bind, fold_unset, render, run_query
from tests.conftest import ROOT

HOSTILE = {
    "quote": 'x" } ; DROP ALL ; #',
    "single-quote": "x' } UNION { ?s ?p ?o } #",
    "brace": "} } SELECT * WHERE { ?s ?p ?o",
    "hash": "# everything after is a comment",
    "iri-break": "> ; DROP GRAPH <https://w3id.org/pmkg/graph/ontology",
    "newline": "China\n} INSERT DATA { <a:b> <a:c> <a:d> }",
    "backslash": 'a\\" . ?x ?y ?z',
    "long": "x" * 100_000,
    "non-utf8": "caf\udce9",
    "nul": "a\x00b",
    "iri-with-space": "https://w3id.org/pmkg/id/actor/bgi> <x",
}
CATALOGUE = load_catalogue(ROOT / "queries")
CASES = [(q, p.name) for q, spec in sorted(CATALOGUE.items()) for p in spec.params]




def test_every_parameter_is_covered():
    assert len(CASES) >= 40


@pytest.mark.parametrize(("query", "param"), CASES)
def test_hostile_values_are_values_or_clear_errors(backend, query: str, param: str):
    spec = CATALOGUE[query]
    for label, value in HOSTILE.items():
        try:
            bound = bind(spec, {param: value}, backend)
        except QueryError as exc:
            text = str(exc.problems[0])
            assert param in text and "\n" not in text and len(text) < 400, (label, text)
            continue
        rendered = render(spec, bound)
        # the unset tests of unset parameters folded to `true`/`false` (constants only, see fold_unset)
        added = _added_lines(fold_unset(spec.text, bound), rendered)
        # one VALUES block, at the outermost WHERE and at any `# pmkg:bind-params` line of a subquery
        assert len({line.strip() for line in added}) == 1 and added[0].lstrip().startswith("VALUES"), (label, added[:3])
        if query == "registry-labels":
            continue  # its SERVICE call needs a registry endpoint; the rendering check above still ran
        run_query(spec, {param: value}, backend)  # must not raise a syntax error


def _added_lines(original: str, rendered: str) -> list[str]:
    """Lines of the rendered query that are not in the original (the VALUES block only)."""
    before = original.splitlines()
    after = rendered.splitlines()
    extra = [line for line in after if line not in before]
    assert len(after) == len(before) + 2  # the VALUES line and the line break after WHERE {
    return [line for line in extra if line.strip()]


def test_string_values_cannot_widen_a_query(backend):
    """A quote-and-brace value is one literal: it matches nothing rather than everything."""
    spec = CATALOGUE["actors"]
    for value in (HOSTILE["quote"], HOSTILE["brace"], HOSTILE["newline"]):
        with pytest.raises(QueryError, match="no place with id, label or alias"):
            run_query(spec, {"country": value}, backend)


def test_cli_hostile_values_give_one_line(real_build):
    root, _ = real_build
    runner = CliRunner()
    for value in (HOSTILE["quote"], HOSTILE["newline"], HOSTILE["long"]):
        out = runner.invoke(app, ["query", "actors", "--root", str(root), "--param", f"country={value}"])
        assert out.exit_code == 2, out.output
        assert out.output.startswith("error: --param country") and "Traceback" not in out.output
