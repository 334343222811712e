"""Issue 11 (imports at scale) / issue 10 (one transaction): re-importing an existing --source-id replaces
its graph by copying the rest of the store when the old graph is the larger part (``remove_graph`` took
~67 s per 137k quads); the store must be the same as after an in-place replacement, and the file and the
store still change together or not at all."""

from __future__ import annotations

import errno
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from test_import_support import BIBLIO, import_project, import_template  # noqa: F401

import pmkg.importers.run as run
from pmkg.errors import PmkgError
from pmkg.store import NEW_STORE_PREFIX, STORE_DIR, copy_is_cheaper

ROOT = Path(__file__).resolve().parents[1]
PMKG = str(Path(sys.executable).with_name("pmkg"))
WOS = BIBLIO / "wos-sample.txt"
DOC = "https://w3id.org/pmkg/id/document/"


def store_quads(root: Path) -> set[str]:
    store = ox.Store.read_only(str(root / "dist" / STORE_DIR))
    try:
        return {str(q) for q in store}
    finally:
        del store


def import_in_process(root: Path, path: Path, source: str) -> run.ImportReport:
    return run.import_files("wos", [path], dist=root / "dist", imports=root / "imports", source_id=source)


def half_file(tmp_path: Path) -> Path:
    """The sample with its first three records only: a re-import that changes the graph."""
    records = WOS.read_text(encoding="utf-8-sig").split("\nER\n")
    half = tmp_path / "half.txt"
    half.write_text("\nER\n".join(records[:3]) + "\nER\n\nEF\n", encoding="utf-8")
    return half


@pytest.mark.slow
def test_reimport_by_copy_gives_the_same_store_as_in_place(import_project: Path, tmp_path: Path,  # noqa: F811
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    other = tmp_path / "other"
    shutil.copytree(import_project, other, symlinks=True)
    half = half_file(tmp_path)
    stores = []
    for root, by_copy in ((import_project, False), (other, True)):
        import_in_process(root, WOS, "r")
        monkeypatch.setattr(run, "copy_is_cheaper", lambda *_a, by_copy=by_copy: by_copy)
        report = import_in_process(root, half, "r")
        assert report.imported > 0
        assert not list((root / "dist").glob(NEW_STORE_PREFIX + "*"))
        stores.append(store_quads(root))
    # the same quads, blank nodes of the ontology graph included (bulk_extend keeps them as they are)
    assert stores[0] == stores[1]
    assert any(q.startswith("_:") for q in stores[1])
    graph = f"<{DOC}import-r>"
    assert sum(q.endswith(graph) for q in stores[1]) == sum(
        1 for line in (other / "imports" / "r.nq").read_text(encoding="utf-8").splitlines() if line.endswith(
            graph + " ."))


@pytest.mark.slow
def test_failed_copy_keeps_the_file_and_the_store_as_they_were(import_project: Path, tmp_path: Path,  # noqa: F811
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import_in_process(import_project, WOS, "f")
    nq = import_project / "imports" / "f.nq"
    before = (nq.read_bytes(), store_quads(import_project))
    monkeypatch.setattr(run, "copy_is_cheaper", lambda *_a: True)

    def full_disk(*_a: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(run, "copy_store_without", full_disk)
    with pytest.raises(PmkgError, match="disk full"):
        import_in_process(import_project, half_file(tmp_path), "f")
    assert (nq.read_bytes(), store_quads(import_project)) == before
    assert not list((import_project / "dist").glob(NEW_STORE_PREFIX + "*"))
    assert not list((import_project / "imports").glob(".*"))


@pytest.mark.slow
def test_reimport_larger_than_the_rest_of_the_store_through_the_cli(import_project: Path,  # noqa: F811
                                                                    tmp_path: Path) -> None:
    """The installed command takes the copy path (the import is larger than the curated export) and the
    store it swaps in holds exactly the curated graph and the new import; a killed import's half-built
    store beside dist/store is removed."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from gen_wos import generate

    records = tmp_path / "gen.txt"
    generate(6000, records)
    first = subprocess.run([PMKG, "import", "wos", str(records), "--source-id", "big", "--root",
                            str(import_project), "--no-registries"], capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    assert copy_is_cheaper(import_project / "dist", import_project / "imports", "big.nq")
    leftover = import_project / "dist" / f"{NEW_STORE_PREFIX}999999"
    leftover.mkdir()
    generate(5000, records, seed=7)
    again = subprocess.run([PMKG, "import", "wos", str(records), "--source-id", "big", "--root",
                            str(import_project), "--no-registries"], capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert "read 5000, imported 5000" in again.stdout
    assert not leftover.exists()
    expected = ox.Store()
    expected.bulk_load(path=str(import_project / "dist" / "pmkg.nq"), format=ox.RdfFormat.N_QUADS)
    expected.bulk_load(path=str(import_project / "imports" / "big.nq"), format=ox.RdfFormat.N_QUADS)
    got = ox.Store.read_only(str(import_project / "dist" / STORE_DIR))
    graph = ox.NamedNode(f"{DOC}import-big")
    assert len(got) == len(expected)
    assert {str(q) for q in got.quads_for_pattern(None, None, None, graph)} == {
        str(q) for q in expected.quads_for_pattern(None, None, None, graph)}
