"""Issue 10: an import is one transaction and never destroys data - through the
installed ``pmkg`` script, on a copy of the real curated build."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from test_import_support import BIBLIO, import_project, import_template  # noqa: F401

from pmkg.query import EmbeddedBackend
from pmkg.safety import clean_leftovers, project_lock
from pmkg.store import MANIFEST, open_store, set_import_state

PMKG = str(Path(sys.executable).with_name("pmkg"))
WOS = BIBLIO / "wos-sample.txt"
DOC = "https://w3id.org/pmkg/id/document/"


def pmkg(root: Path, *args: str, limit_bytes: int | None = None) -> subprocess.CompletedProcess:
    def limit() -> None:
        if limit_bytes is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))
    return subprocess.run([PMKG, *args, "--root", str(root)], capture_output=True, text=True, timeout=600,
                          preexec_fn=limit)


def graph_size(root: Path, source: str) -> int:
    store = open_store(root / "dist")
    rows = EmbeddedBackend(store).select(
        f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{DOC}import-{source}> {{ ?s ?p ?o }} }}").rows
    del store
    return int(rows[0][0].text)


def snapshot(root: Path, source: str) -> tuple[bytes, int]:
    return (root / "imports" / f"{source}.nq").read_bytes(), graph_size(root, source)


BAD_INPUTS = {
    "empty": b"",
    "cr-only-garbage": b"not\ra\rwos\rfile\r",
    "wrong-format": (BIBLIO / "openalex-sample.jsonl").read_bytes(),
    "fully-malformed": b"PT J\nTI no identifier\nER\nPT J\nTI none either\nER\n",
}


@pytest.mark.slow
def test_reimport_that_reads_nothing_keeps_the_earlier_import(import_project: Path, tmp_path: Path) -> None:  # noqa: F811
    result = pmkg(import_project, "import", "wos", str(WOS), "--source-id", "s")
    assert result.returncode == 0, result.stderr
    before = snapshot(import_project, "s")
    assert before[1] > 10
    for name, data in BAD_INPUTS.items():
        bad = tmp_path / f"{name}.txt"
        bad.write_bytes(data)
        result = pmkg(import_project, "import", "wos", str(bad), "--source-id", "s")
        assert result.returncode == 2, (name, result.stdout, result.stderr)
        if name == "wrong-format":  # refused before reading, by the format check (issue 11)
            assert "looks like" in result.stderr and "OpenAlex" in result.stderr
            assert "nothing was imported" in result.stderr
        else:
            assert "no record could be imported" in result.stderr and "earlier import of it is kept" in result.stderr
        assert snapshot(import_project, "s") == before, name
    result = pmkg(import_project, "import", "wos", str(tmp_path / "empty.txt"), "--source-id", "s",
                  "--replace-empty")
    assert result.returncode == 0, result.stderr
    assert graph_size(import_project, "s") < before[1]


@pytest.mark.slow
def test_import_while_a_build_writes_is_refused_and_changes_nothing(import_project: Path) -> None:  # noqa: F811
    with project_lock(import_project / "dist", "the test"):
        result = pmkg(import_project, "import", "wos", str(WOS), "--source-id", "locked")
    assert result.returncode == 2
    assert "another pmkg build or import is writing" in result.stderr
    assert not (import_project / "imports" / "locked.nq").exists()


@pytest.mark.slow
def test_import_killed_between_file_and_store_is_recovered_at_next_start(import_project: Path) -> None:  # noqa: F811
    assert pmkg(import_project, "import", "wos", str(WOS), "--source-id", "k").returncode == 0
    full = graph_size(import_project, "k")
    # The state kill -9 leaves after the rename of imports/k.nq and before the store update:
    # the manifest marks the import in flux, the file holds the new data, the store the old.
    set_import_state(import_project / "dist", "k.nq", None)
    path = import_project / "imports" / "k.nq"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[: len(lines) // 2]), encoding="utf-8")
    result = pmkg(import_project, "sparql", f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{DOC}import-k> "
                                            "{ ?s ?p ?o } }", "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert "reloaded" in result.stderr
    # the cut file lost its per-organisation summary (written last), so the reload also upgrades it:
    # the store holds the file as it is now - the kept half plus the summary added back
    now = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert now[: len(lines) // 2] == lines[: len(lines) // 2]
    assert "upgraded import k" in result.stderr
    assert int(result.stdout.splitlines()[1]) == len(now) < full
    manifest = json.loads((import_project / "dist" / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["imports"]["k.nq"] is not None


@pytest.mark.slow
def test_disk_full_while_writing_import_names_the_path_and_keeps_old_data(import_project: Path) -> None:  # noqa: F811
    assert pmkg(import_project, "import", "wos", str(WOS), "--source-id", "full").returncode == 0
    before = snapshot(import_project, "full")
    big = import_project / "big.txt"
    text = WOS.read_text(encoding="utf-8-sig")
    big.write_text("\n".join(text.replace("WOS:0000", f"WOS:{i:04d}").replace("10.9999/PMKG.TEST.",
                                                                         f"10.9999/{i}.")
                             for i in range(100)), encoding="utf-8")
    limit = max(big.stat().st_size, 128 * 1024) + 16 * 1024  # RLIMIT_FSIZE: EFBIG past it, as on a full disk
    assert len(before[0]) * 100 > 2 * limit  # the new imports/full.nq cannot be written
    result = pmkg(import_project, "import", "wos", str(big), "--source-id", "full", limit_bytes=limit)
    assert result.returncode == 2, result.stderr
    assert "error: disk full while writing" in result.stderr and "full.nq" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(import_project, "full") == before


@pytest.mark.slow
def test_duplicate_doi_records_are_reported_not_merged_into_two_titles(import_project: Path,  # noqa: F811
                                                                       tmp_path: Path) -> None:
    record = ("PT J\nTI {title}\nSO J\nPY 2021\nDI 10.9999/same\nUT WOS:{ut}\nER\n")
    path = tmp_path / "dups.txt"
    path.write_text("FN x\nVR 1.0\n" + record.format(title="First", ut="1") + record.format(title="Second", ut="2")
                    + "EF\n", encoding="utf-8")
    result = pmkg(import_project, "import", "wos", str(path), "--source-id", "dups")
    assert result.returncode == 0, result.stderr
    assert "read 2, imported 1, skipped 0, duplicates 1" in result.stdout
    assert "duplicate:" in result.stderr and "WOS:2" in result.stderr and "same DOI as WOS:1" in result.stderr
    titles = pmkg(import_project, "sparql", "PREFIX dcterms: <http://purl.org/dc/terms/> SELECT ?t WHERE { "
                  f"GRAPH <{DOC}import-dups> {{ ?p dcterms:title ?t }} }}", "--format", "csv")
    assert titles.stdout.splitlines()[1:] == ["First"], titles.stdout + titles.stderr


@pytest.mark.slow
def test_cr_only_file_imports_every_record(import_project: Path, tmp_path: Path) -> None:  # noqa: F811
    path = tmp_path / "mac.txt"
    path.write_bytes(WOS.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r"))
    result = pmkg(import_project, "import", "wos", str(path), "--source-id", "mac")
    assert result.returncode == 0, result.stderr
    assert "read 5, imported 3, skipped 2" in result.stdout


def test_leftovers_of_killed_builds_are_removed_and_a_lost_dist_restored(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    (tmp_path / ".dist-abc123" / "store").mkdir(parents=True)
    old = tmp_path / ".dist-old-999"
    old.mkdir()
    (old / MANIFEST).write_text("{}", encoding="utf-8")  # a crash between the two renames of a swap
    imports = tmp_path / "imports"
    imports.mkdir()
    (imports / ".s.nq.tmp123").write_bytes(b"half")
    (imports / "s.nq").write_bytes(b"")
    removed = clean_leftovers(dist, imports)
    assert (dist / MANIFEST).exists()
    assert sorted(p.name for p in removed if p.parent in (tmp_path, imports)) == [".dist-abc123", ".s.nq.tmp123"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist", "imports"]
    assert (imports / "s.nq").exists()


def test_dist_is_world_readable_after_build(import_template: Path) -> None:  # noqa: F811
    assert os.stat(import_template / "dist").st_mode & 0o755 == 0o755
