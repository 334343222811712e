"""`pmkg validate` does what the build does to check the data and leaves out what only a written graph
needs: the partner evidence (text similarity; it checks nothing).  The checks are the build's."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from pmkg.cli import app
from pmkg.pipeline import Paths, build
from tests.conftest import FIXTURES, make_project

runner = CliRunner()


def test_validate_skips_the_partner_evidence_and_finds_what_the_build_finds(tmp_path: Path):
    root = make_project(tmp_path / "proj", FIXTURES / "kitchen_sink")
    checked = build(Paths(root=root), write=False)
    built = build(Paths(root=root), write=True)
    assert "similarity" not in checked.timings and "similarity" in built.timings
    assert checked.evidence == set() and built.evidence
    assert checked.summary["partner_evidence"] is None
    assert (checked.types, checked.materialised) == (built.types, built.materialised)
    assert [str(w) for w in checked.warnings] == [str(w) for w in built.warnings]
    out = runner.invoke(app, ["validate", "--root", str(root)])
    assert out.exit_code == 0, out.output
    assert "types by HermiT" in out.output and "partner-evidence" not in out.output
    out = runner.invoke(app, ["build", "--root", str(root)])
    assert out.exit_code == 0 and "partner-evidence triples" in out.output
