"""The in-memory copy of the built store (pmkg.memory): the same quads as dist/store, the store policy,
and the copy taken from the store itself when the files cannot vouch for it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from test_import_support import BIBLIO, import_project, import_template  # noqa: F401
from typer.testing import CliRunner

from pmkg.cli import app
from pmkg.errors import InputError
from pmkg.memory import (
    ENV_MAX_QUADS,
    ENV_POLICY,
    choose,
    load_folder,
    memory_copy,
    open_for_queries,
    policy_from,
    source_files,
    write_snapshot_files,
)
from pmkg.store import STORE_DIR, open_store, set_import_state

runner = CliRunner()


def same_quads(memory: ox.Store, disk: ox.Store) -> None:
    """Every quad without a blank node is in both; the quads with one are as many (the N-Quads parser
    names blank nodes afresh, as every load of the exports does)."""
    def split(store: ox.Store) -> tuple[set[ox.Quad], int]:
        plain, blank = set(), 0
        for q in store:
            if isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode):
                blank += 1
            else:
                plain.add(q)
        return plain, blank
    assert split(memory) == split(disk)


def test_memory_copy_holds_the_real_builds_quads(real_build) -> None:
    dist = real_build[0] / "dist"
    assert source_files(dist, real_build[0] / "imports") == [dist / "pmkg.nq"]
    same_quads(memory_copy(dist, real_build[0] / "imports"), open_store(dist))


def test_memory_copy_holds_the_imports(import_project: Path) -> None:  # noqa: F811
    """An imported graph is in the store, not in dist/pmkg.nq: the copy loads imports/*.nq too."""
    result = runner.invoke(app, ["import", "wos", str(BIBLIO / "wos-sample.txt"), "--source-id", "sample",
                                 "--root", str(import_project)])
    assert result.exit_code == 0, result.output
    dist, imports = import_project / "dist", import_project / "imports"
    assert source_files(dist, imports) == [dist / "pmkg.nq", imports / "sample.nq"]
    same_quads(memory_copy(dist, imports), open_store(dist))


def test_an_import_in_flux_is_copied_from_the_store_itself(import_project: Path) -> None:  # noqa: F811
    """When the manifest says an import is in flux, the files cannot vouch for the store: the copy is
    read out of the store, quad for quad (blank nodes included)."""
    assert runner.invoke(app, ["import", "wos", str(BIBLIO / "wos-sample.txt"), "--source-id", "sample",
                               "--root", str(import_project)]).exit_code == 0
    dist, imports = import_project / "dist", import_project / "imports"
    set_import_state(dist, "sample.nq", None)
    assert source_files(dist, imports) is None
    assert set(memory_copy(dist, imports)) == set(open_store(dist))
    folder = import_project / "snap"
    write_snapshot_files(dist, imports, folder)
    assert [p.name for p in folder.iterdir()] == ["store.nq"]
    same_quads(load_folder(folder), open_store(dist))


def test_snapshot_files_load_into_the_same_quads(real_build, tmp_path: Path) -> None:
    dist = real_build[0] / "dist"
    write_snapshot_files(dist, real_build[0] / "imports", tmp_path / "snap")
    same_quads(load_folder(tmp_path / "snap"), open_store(dist))


def test_store_policy(real_build, monkeypatch: pytest.MonkeyPatch) -> None:
    store = real_build[0] / "dist" / STORE_DIR
    monkeypatch.delenv(ENV_POLICY, raising=False)
    monkeypatch.delenv(ENV_MAX_QUADS, raising=False)
    assert policy_from(None) == "auto" and policy_from("Memory") == "memory"
    monkeypatch.setenv(ENV_POLICY, "disk")
    assert policy_from(None) == "disk" and policy_from("memory") == "memory"
    monkeypatch.setenv(ENV_POLICY, "ram")
    with pytest.raises(InputError, match="PMKG_STORE 'ram' is not one of auto, memory, disk"):
        policy_from(None)
    quads = len(open_store(real_build[0] / "dist"))
    assert choose("auto", store).mode == "memory"
    monkeypatch.setenv(ENV_MAX_QUADS, str(quads - 1))
    choice = choose("auto", store)
    assert (choice.mode, choice.quads) == ("disk", quads) and f"more than {ENV_MAX_QUADS}" in choice.line()
    assert choose("memory", store).mode == "memory"
    monkeypatch.setenv(ENV_MAX_QUADS, "many")
    with pytest.raises(InputError, match="whole number"):
        choose("auto", store)


def test_open_for_queries_gives_the_store_it_chose(real_build) -> None:
    dist = real_build[0] / "dist"
    disk, choice = open_for_queries(dist, None, "disk")
    assert choice.mode == "disk" and len(disk) == choice.quads
    memory, choice = open_for_queries(dist, None, "memory")
    assert choice.mode == "memory" and len(memory) == choice.quads


def test_a_store_without_its_files_is_copied_from_the_store(real_build, tmp_path: Path) -> None:
    """A dist/ with only a store (benchmarks/synth_store.py writes such): no files, copied quad for quad."""
    shutil.copytree(real_build[0] / "dist" / STORE_DIR, tmp_path / STORE_DIR, ignore=shutil.ignore_patterns("LOCK"))
    assert source_files(tmp_path, None) is None
    assert set(memory_copy(tmp_path, None)) == set(open_store(tmp_path))


def test_pmkg_report_says_which_store_it_queries(real_build, tmp_path: Path) -> None:
    out = tmp_path / "r.md"
    result = runner.invoke(app, ["report", "landscape", "--out", str(out), "--store", "memory",
                                 "--root", str(real_build[0])])
    assert result.exit_code == 0, result.output
    assert "store: memory (" in result.output and out.is_file()
    result = runner.invoke(app, ["report", "landscape", "--out", str(out), "--store", "floppy",
                                 "--root", str(real_build[0])])
    assert result.exit_code == 2 and "--store 'floppy' is not one of auto, memory, disk" in result.output
