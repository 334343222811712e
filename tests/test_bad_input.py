"""Each kind of bad input: one clear error (file, line, record id), non-zero exit,
and the previous dist/ left byte for byte untouched."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pmkg.cli import app

runner = CliRunner()


def dist_digest(root: Path) -> dict[str, str]:
    dist = root / "dist"
    return {str(p.relative_to(dist)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(dist.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from tests.conftest import FIXTURES, make_project
    root = make_project(tmp_path_factory.mktemp("bad") / "proj", FIXTURES / "kitchen_sink")
    result = runner.invoke(app, ["build", "--root", str(root), "--quiet"])
    assert result.exit_code == 0, result.output
    return root


ACTOR = """actors:
  - id: {id}
    label: Test actor
    located_in: [germany]
    source: {{doc: causio-2023, at: "Table 1, row 1"}}
"""

CASES = {
    "malformed-yaml": ("actors:\n  - id: x\n    label: [unclosed\n", 4, None, "started at line 3"),
    "unknown-field": (ACTOR.format(id="odd-actor") + "    colour: blue\n", 6, "odd-actor", "unknown field"),
    "missing-field": ("actors:\n  - id: no-label\n    located_in: [germany]\n"
                      "    source: {doc: causio-2023, at: x}\n", 2, "no-label", "'label': required field is missing"),
    "duplicate-id": (ACTOR.format(id="biopeople"), 2, "biopeople", "duplicate id, already defined at"),
    "dangling-reference": (ACTOR.format(id="lost").replace("[germany]", "[atlantis]"), 4, "lost",
                           "refers to 'atlantis', which is not defined"),
    "bad-date": (ACTOR.format(id="dated") + "    founded: 'last spring'\n", 6, "dated", "'founded'"),
    "bad-url": (ACTOR.format(id="webby") + "    website: [www.example.org]\n", 6, "webby", "is not an http(s) URL"),
    "wrong-kind-reference": (ACTOR.format(id="misplaced").replace("[germany]", "[bgi]"), 4, "misplaced",
                             "must refer to one of places"),
    "custom-tag": ("actors:\n  - !!python/object:os.system {id: x}\n", 2, None, "custom YAML tags are not allowed"),
    "alias-bomb": ("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                   "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
                   None, None, "aliases are refused"),
    "inconsistent": (ACTOR.format(id="parent-is-a-person").replace(
        "    located_in: [germany]\n", "    located_in: [germany]\n    parent: [jane-doe]\n"),
        None, "parent-is-a-person", "inconsistent"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_refused_and_dist_untouched(built: Path, case: str):
    text, line, record_id, message = CASES[case]
    before = dist_digest(built)
    bad = built / "kg" / f"zz-{case}.yaml"
    bad.write_text(text, encoding="utf-8")
    try:
        result = runner.invoke(app, ["build", "--root", str(built), "--quiet"])
    finally:
        bad.unlink()
    out = result.output
    assert result.exit_code in (1, 2), out
    assert message in out, out
    assert "Traceback" not in out
    if case != "inconsistent":
        expected = f"kg/zz-{case}.yaml" + (f":{line}" if line else "")
        assert expected in out, out
    if record_id:
        assert record_id in out, out
    assert dist_digest(built) == before


def test_inconsistency_names_both_records(built: Path):
    """HermiT's verdict is explained: the individual, the disjoint classes and the record."""
    text = CASES["inconsistent"][0]
    (built / "kg" / "zz.yaml").write_text(text, encoding="utf-8")
    try:
        result = runner.invoke(app, ["validate", "--root", str(built)])
    finally:
        (built / "kg" / "zz.yaml").unlink()
    assert result.exit_code == 1
    assert "person/jane-doe is both" in result.output
    assert "kg/zz.yaml" in result.output and "parent-is-a-person" in result.output


def test_oversized_file_is_refused(built: Path, monkeypatch):
    import pmkg.load
    monkeypatch.setattr(pmkg.load, "MAX_FILE_BYTES", 100)
    (built / "kg" / "big.yaml").write_text(ACTOR.format(id="big") * 3, encoding="utf-8")
    try:
        result = runner.invoke(app, ["validate", "--root", str(built), "--no-reason"])
    finally:
        (built / "kg" / "big.yaml").unlink()
    assert result.exit_code == 2
    assert "more than the 100 allowed" in result.output


def test_all_problems_reported_at_once(built: Path):
    text = ACTOR.format(id="one") + "    colour: red\n" + ACTOR.format(id="two").replace("actors:\n", "") \
        + "    founded: never\n"
    (built / "kg" / "many.yaml").write_text(text, encoding="utf-8")
    try:
        result = runner.invoke(app, ["validate", "--root", str(built), "--no-reason"])
    finally:
        (built / "kg" / "many.yaml").unlink()
    assert result.exit_code == 2
    assert "kg/many.yaml:6 one" in result.output and "kg/many.yaml:11 two" in result.output
    assert "2 problem(s)" in result.output
