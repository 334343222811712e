"""Issue 11: `pmkg imports remove ID` removed the graph quad by quad (``remove_graph``: Oxigraph's slowest
operation); it now copies the rest of the store when the graph is the larger part, as a re-import does.
Either way the store must be what it would be had the import never been made, and imports/ and the store
change together or not at all."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from test_import_replace import store_quads
from test_import_summary import REGISTRIES, imported, pmkg
from test_import_support import BIBLIO, import_project, import_template  # noqa: F401

import pmkg.store as store_module
from pmkg.errors import PmkgError
from pmkg.importers.catalog import remove_import
from pmkg.store import STORE_DIR, read_manifest

WOS = BIBLIO / "wos-sample.txt"


@pytest.mark.slow
def test_removal_by_copy_or_in_place_leaves_the_store_as_without_the_import(
        import_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    never = tmp_path / "never"
    shutil.copytree(import_project, never, symlinks=True)
    imported(never, "wos", WOS, "two", "--no-registries")
    expected = store_quads(never)

    # "two" first: "one", which holds the same papers, records that in its own graph (pm:sharesPapersWith)
    imported(import_project, "wos", WOS, "two", "--no-registries")
    imported(import_project, "wos", WOS, "one", *REGISTRIES)  # mints registry organisations only it uses
    other = tmp_path / "other"
    shutil.copytree(import_project, other, symlinks=True)
    for root, by_copy in ((import_project, False), (other, True)):
        monkeypatch.setattr(store_module, "copy_is_cheaper", lambda *_a, by_copy=by_copy: by_copy)
        quads, minted = remove_import(root / "dist", root / "imports", "one")
        assert quads > 50 and minted > 0
        assert store_quads(root) == expected, by_copy
        assert sorted(p.name for p in (root / "imports").iterdir()) == ["two.json", "two.nq"]
        manifest = read_manifest(root / "dist") or {}
        assert "one.nq" not in manifest["imports"] and "two.nq" in manifest["imports"]
        assert not [p for p in (root / "dist").iterdir() if p.name.startswith(".")]


@pytest.mark.slow
def test_failed_removal_keeps_the_file_and_the_store(import_project: Path,  # noqa: F811
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    imported(import_project, "wos", WOS, "one", "--no-registries")
    before = store_quads(import_project)
    nq = import_project / "imports" / "one.nq"
    text, state = nq.read_bytes(), read_manifest(import_project / "dist")["imports"]["one.nq"]

    def full(*_a: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_module, "copy_is_cheaper", lambda *_a: True)
    monkeypatch.setattr(store_module, "swap_store", full)
    with pytest.raises(PmkgError, match="disk full"):
        remove_import(import_project / "dist", import_project / "imports", "one")
    assert nq.read_bytes() == text and (import_project / "imports" / "one.json").is_file()
    assert read_manifest(import_project / "dist")["imports"]["one.nq"] == state
    assert store_quads(import_project) == before
    assert not [p for p in (import_project / "dist").iterdir() if p.name.startswith(".")]
    assert not [p for p in nq.parent.iterdir() if p.name.startswith(".")]


@pytest.mark.slow
def test_removal_killed_half_way_is_finished_by_the_next_command(import_project: Path) -> None:  # noqa: F811
    """What a removal killed between moving the file aside and swapping the store leaves: the manifest's
    "in flux" mark and no imports/one.nq.  The next command drops the graph."""
    imported(import_project, "wos", WOS, "one", "--no-registries")
    nq = import_project / "imports" / "one.nq"
    store_module.set_import_state(import_project / "dist", "one.nq", None)
    nq.rename(nq.with_name(".one.nq.removing-999999"))
    done = pmkg(import_project, "query", "co-affiliation-countries", "--format", "csv")
    assert done.returncode == 0, done.stderr
    assert "reloaded" in done.stderr
    graphs = {q.graph_name.value for q in ox.Store.read_only(str(import_project / "dist" / STORE_DIR))}
    assert "https://w3id.org/pmkg/id/document/import-one" not in graphs


def test_rebuild_after_an_import_file_was_deleted_drops_its_graph(import_project: Path) -> None:  # noqa: F811
    """Regression (found by tests/test_web_served.py): the build copied the previous store whenever its
    outputs key matched, but the manifest keeps the key of the build before any import, so deleting
    imports/sample.nq and rebuilding kept the import's papers in dist/store (the exports lacked them)."""
    from pmkg.pipeline import Paths, build
    from pmkg.query import EmbeddedBackend
    from pmkg.store import open_store

    count = "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a <https://w3id.org/pmkg/ontology#Publication> }"
    imported(import_project, "wos", BIBLIO / "wos-sample.txt", "sample")
    assert EmbeddedBackend(open_store(import_project / "dist")).select(count).rows[0][0].text == "3"
    (import_project / "imports" / "sample.nq").unlink()
    build(Paths(root=import_project), run_reasoner=False)
    assert EmbeddedBackend(open_store(import_project / "dist")).select(count).rows[0][0].text == "0"
    assert read_manifest(import_project / "dist")["imports"] == {}
