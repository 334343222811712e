"""Curator tools through the installed console script: `pmkg schema` and `pmkg diff`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.conftest import ROOT

PMKG = str(Path(sys.executable).parent / "pmkg")
PREVIOUS_DIST = Path("/work/notes/dist-previous")  # main's build before issue 14, where available


def pmkg(*args: str, cwd: Path = ROOT, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run([PMKG, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def test_schema_command_writes_the_committed_schema(tmp_path):
    done = pmkg("schema", "--out", str(tmp_path / "schema.json"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "schema.json").read_text(encoding="utf-8") == (ROOT / "kg" / "schema.json").read_text(
        encoding="utf-8"), "kg/schema.json is stale: run `pmkg schema --out kg/schema.json`"


@pytest.fixture(scope="module")
def validator():
    schema = json.loads((ROOT / "kg" / "schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_every_kg_file_validates_against_the_json_schema_and_names_it(validator):
    files = sorted((ROOT / "kg").glob("*.yaml"))
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# yaml-language-server: $schema=schema.json\n"), path.name
        errors = [e.message for e in validator.iter_errors(yaml.safe_load(text))]
        assert errors == [], (path.name, errors[:3])


def test_json_schema_rejects_what_the_loader_rejects(validator):
    bad = {"actors": [{"id": "x", "label": "X", "source": {"doc": "d", "at": "a"}, "webiste": ["https://x.org"]}]}
    assert any("webiste" in e.message for e in validator.iter_errors(bad))
    bad_rank = {"conflicts": [{"id": "c", "about": "x", "property": "website", "description": "d", "claims": [
        {"source": {"doc": "d", "at": "a"}, "rank": "best"}, {"source": {"doc": "d", "at": "b"}}]}]}
    assert any("best" in e.message for e in validator.iter_errors(bad_rank))
    assert not list(validator.iter_errors({"actors": [{"id": "x", "label": "X", "source": {"doc": "d", "at": "a"}}]}))


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.slow
def test_diff_of_two_real_builds_lists_added_removed_and_changed(sink_build, project):
    """The kitchen sink as built, against a release that adds an actor, drops a fact and re-sources one."""
    old_dist = sink_build[0] / "dist"
    actors = project / "kg" / "actors.yaml"
    _edit(actors, "    aliases: [HIPO]\n", "")
    biopeople = '    focus: [precision-medicine]\n    source: {doc: causio-2023, at: "Table 1, row 1'
    _edit(actors, biopeople + '4"}', biopeople + '5"}')
    _edit(actors, "actors:\n", "actors:\n  - {id: new-cluster, label: New Cluster, kinds: [cluster], located_in: "
                               "[denmark], source: {doc: causio-2023, at: \"Table 1, row 99\"}}\n")
    built = pmkg("build", cwd=project)
    assert built.returncode == 0, built.stderr
    done = pmkg("diff", str(old_dist), str(project / "dist"), cwd=project)
    assert done.returncode == 0, done.stderr
    notes = done.stdout
    assert "## Added (1)\n\n### New Cluster (actor/new-cluster)" in notes
    assert '\\+ rdfs:label "New Cluster"@en  [causio-2023: Table 1, row 99]' in notes
    assert '\\- skos:altLabel "HIPO"  [causio-2023: Table 1, row 19]' in notes
    assert "sources of pm:locatedIn place/denmark: - causio-2023: Table 1, row 14, + causio-2023: Table 1, row 15" \
        in notes
    as_json = json.loads(pmkg("diff", str(old_dist), str(project / "dist"), "--format", "json", cwd=project).stdout)
    assert as_json["summary"]["added"] == 1 and as_json["summary"]["removed"] == 0
    same = pmkg("diff", str(old_dist), str(old_dist), "--format", "json", cwd=project)
    assert json.loads(same.stdout)["entities"] == []


def test_diff_of_a_missing_dist_is_a_one_line_error(tmp_path):
    done = pmkg("diff", str(tmp_path / "nope"), str(tmp_path), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().startswith("error: no dist folder at")


@pytest.mark.slow
@pytest.mark.skipif(not (PREVIOUS_DIST / "pmkg.nq").is_file(), reason="no previous release build on this machine")
def test_diff_of_this_release_against_the_previous_one(real_build):
    done = pmkg("diff", str(PREVIOUS_DIST), str(real_build[0] / "dist"), "--format", "json")
    assert done.returncode == 0, done.stderr
    changes = {e["entity"]: e for e in json.loads(done.stdout)["entities"]}
    assert changes["actor/cfda"]["status"] == "added"
    removed = {tuple(f["fact"]) for f in changes["actor/nmpa"]["removed"]}
    assert ("skos:altLabel", '"CFDA"') in removed
    ncc = {tuple(f["fact"]) for f in changes["actor/national-cancer-center-china"]["removed"]}
    assert ("skos:altLabel", '"Cancer Hospital of the Chinese Academy of Medical Sciences"') in ncc
