"""Regression (issue 11): an import made before the import summaries existed (``imports/<id>.nq`` and its
store graph without summary quads) gave no rows in top-funders, top-institutions,
funders-of-affiliated-papers and co-affiliation-countries, silently.  The next command upgrades it
(``pmkg.importers.upgrade``) and says so; until then the queries say which imports lack a summary."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from test_import_summary import REAL_WOS, REGISTRIES, cases, imported, pmkg, summary_lines_of
from test_import_support import BIBLIO, import_project, import_template  # noqa: F401

from pmkg.catalogue import load_catalogue
from pmkg.errors import PmkgError
from pmkg.query import EmbeddedBackend, Result, run_query
from pmkg.store import open_store, open_writable, read_manifest, reload_imports

ROOT = Path(__file__).resolve().parents[1]
WOS = REAL_WOS if REAL_WOS.is_file() else BIBLIO / "wos-sample.txt"


def answers(root: Path, source: str) -> dict[tuple[str, str], list[list[str | None]]]:
    catalogue = load_catalogue(ROOT / "queries")
    store = open_store(root / "dist")
    try:
        backend = EmbeddedBackend(store)
        out = {}
        for name, params_list in cases(source).items():
            for params in params_list:
                result = run_query(catalogue[name], params, backend)
                out[name, repr(sorted(params.items()))] = [[t.text if t else None for t in r] for r in result.rows]
        return out
    finally:
        del store


def strip_summary(root: Path, source: str) -> None:
    """Make the import look as one made before summaries: its file without the summary lines, the store's
    graph reloaded from that file (the manifest then records the stripped file, as an old one would)."""
    nq = root / "imports" / f"{source}.nq"
    summary = summary_lines_of(nq)
    assert summary
    nq.write_text("".join(line for line in nq.read_text(encoding="utf-8").splitlines(keepends=True)
                          if line not in summary), encoding="utf-8")
    store = open_writable(root / "dist")
    try:
        reload_imports(store, root / "dist", root / "imports", [nq.name])
    finally:
        del store
    assert "import_summaries" not in (read_manifest(root / "dist") or {})


def one_query(root: Path, name: str, params: dict[str, str]) -> Result:
    catalogue = load_catalogue(ROOT / "queries")
    store = open_store(root / "dist")
    try:
        return run_query(catalogue[name], params, EmbeddedBackend(store))
    finally:
        del store


@pytest.mark.slow
def test_import_without_summary_is_upgraded(import_project: Path, tmp_path: Path) -> None:  # noqa: F811
    imported(import_project, "wos", WOS, "real", *REGISTRIES)
    fresh = answers(import_project, "real")
    assert sum(bool(rows) for rows in fresh.values()) >= 8
    fresh_file = (import_project / "imports" / "real.nq").read_text(encoding="utf-8")

    old = tmp_path / "old"
    shutil.copytree(import_project, old, symlinks=True)
    strip_summary(old, "real")

    # before the upgrade: no rows, but not silently
    before = one_query(old, "top-funders", {"database": "imported:real"})
    assert before.rows == []
    assert before.notice and "import-real has papers but no import summary" in before.notice
    countries = one_query(old, "co-affiliation-countries", {})
    assert countries.notice and "import-real" in countries.notice

    # the next command (here a query, through the installed script) upgrades it and says so in one line
    done = pmkg(old, "query", "top-funders", "--param", "database=imported:real", "--format", "csv")
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if "upgraded import real" in line]
    assert len(lines) == 1 and "imports/real.nq and dist/store" in lines[0]
    assert "no import summary" not in done.stderr
    assert len(done.stdout.splitlines()) > 1

    # file and store now hold what a fresh import writes; the four queries answer as on the fresh import
    upgraded_file = (old / "imports" / "real.nq").read_text(encoding="utf-8")
    assert sorted(upgraded_file.splitlines()) == sorted(fresh_file.splitlines())
    assert answers(old, "real") == fresh
    assert one_query(old, "top-funders", {"database": "imported:real"}).notice is None

    # done once: the next command neither upgrades nor opens the store to check again
    again = pmkg(old, "query", "co-affiliation-countries", "--format", "csv")
    assert again.returncode == 0 and "upgraded" not in again.stderr
    manifest = read_manifest(old / "dist") or {}
    assert manifest["import_summaries"]["real.nq"] == manifest["imports"]["real.nq"]


@pytest.mark.slow
def test_build_upgrades_an_import_without_summary(import_project: Path) -> None:  # noqa: F811
    """`pmkg build` reloads imports/ into a new store: an old import file gets its summary there too."""
    imported(import_project, "wos", BIBLIO / "wos-sample.txt", "w", "--no-registries")
    fresh = (import_project / "imports" / "w.nq").read_text(encoding="utf-8")
    strip_summary(import_project, "w")
    done = pmkg(import_project, "build", "--no-reason")
    assert done.returncode == 0, done.stderr
    assert "upgraded import w:" in done.stderr
    assert sorted((import_project / "imports" / "w.nq").read_text(encoding="utf-8").splitlines()) == \
        sorted(fresh.splitlines())
    store = open_store(import_project / "dist")
    try:
        g = ox.NamedNode("https://w3id.org/pmkg/id/document/import-w")
        assert list(store.quads_for_pattern(g, ox.NamedNode("https://w3id.org/pmkg/ontology#summaryPapers"),
                                            None, g))
    finally:
        del store


@pytest.mark.slow
def test_upgrade_that_fails_in_the_store_changes_nothing(import_project: Path,  # noqa: F811
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The file and the store change together: a store failure puts the old file back, manifest included."""
    from pmkg.importers import upgrade

    imported(import_project, "wos", BIBLIO / "wos-sample.txt", "w", "--no-registries")
    strip_summary(import_project, "w")
    nq = import_project / "imports" / "w.nq"
    before, state = nq.read_bytes(), read_manifest(import_project / "dist")["imports"]["w.nq"]

    def broken(store: ox.Store, dist: Path, path: Path, graph: ox.NamedNode) -> upgrade.Upgraded:
        class Failing:
            def __getattr__(self, name: str):
                if name == "extend":
                    def fail(quads: object) -> None:
                        raise OSError(28, "No space left on device")
                    return fail
                return getattr(store, name)
        return real(Failing(), dist, path, graph)  # type: ignore[arg-type]

    real = upgrade.upgrade_one
    monkeypatch.setattr(upgrade, "upgrade_one", broken)
    with pytest.raises(PmkgError, match="disk full"):
        upgrade.upgrade_imports(import_project / "dist", import_project / "imports")
    assert nq.read_bytes() == before
    assert read_manifest(import_project / "dist")["imports"]["w.nq"] == state
    assert not [p for p in nq.parent.iterdir() if p.name.startswith(".")]
    monkeypatch.undo()
    assert [u.source_id for u in upgrade.upgrade_imports(import_project / "dist", import_project / "imports")] \
        == ["w"]


@pytest.mark.slow
def test_next_import_upgrades_an_older_import_first(import_project: Path) -> None:  # noqa: F811
    """The import path (pmkg.importers.run.import_files, also without the CLI) upgrades older imports first."""
    from pmkg.importers.run import import_files

    imported(import_project, "wos", BIBLIO / "wos-sample.txt", "w", "--no-registries")
    strip_summary(import_project, "w")
    report = import_files("openalex", [BIBLIO / "openalex-sample.jsonl"], dist=import_project / "dist",
                          imports=import_project / "imports", source_id="o")
    assert len(report.upgraded) == 1 and report.upgraded[0].startswith("upgraded import w:")
    assert one_query(import_project, "co-affiliation-countries", {"source": "import-w"}).rows
