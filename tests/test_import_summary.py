"""Issue 11 (paper-level queries < 1 s at 1M papers): `pmkg import` writes a summary into the import's graph
(`pmkg.importers.summary`) and the paper-level queries read it.  The summary must be what the papers'
own triples give, and the queries' answers the same as the per-paper queries of b89f25c
(tests/fixtures/per-paper-queries) -- through the installed `pmkg` script, with registries."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from test_import_support import BIBLIO, SHARED_BIBLIO, import_project, import_template  # noqa: F401

from pmkg.catalogue import load_catalogue, parse_query_file
from pmkg.importers.summary import summarise_graph
from pmkg.query import EmbeddedBackend, run_query
from pmkg.store import open_store

ROOT = Path(__file__).resolve().parents[1]
FIX = Path(__file__).parent / "fixtures"
PMKG = str(Path(sys.executable).with_name("pmkg"))
DOC = "https://w3id.org/pmkg/id/document/"
REGISTRIES = ["--ror-dump", str(FIX / "registry" / "resolve-ror-excerpt.jsonl"), "--funder-registry",
              str(FIX / "registry" / "funders-excerpt.rdf"), "--crosswalk",
              str(FIX / "registry" / "resolve-crosswalk.json")]
REAL_WOS = SHARED_BIBLIO / "wos-ai-diagnosis-china-283records.txt"


def pmkg(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PMKG_CACHE": str(root / "cache")}
    return subprocess.run([PMKG, *args, "--root", str(root)], capture_output=True, text=True, env=env, timeout=600)


def imported(root: Path, fmt: str, path: Path, source: str, *extra: str) -> subprocess.CompletedProcess[str]:
    done = pmkg(root, "import", fmt, str(path), "--source-id", source, *extra)
    assert done.returncode == 0, done.stderr
    return done


def summary_lines_of(nq: Path) -> set[str]:
    """The summary part of an import file: the lines about the graph node and the summary nodes."""
    graph = "<" + DOC + "import-" + nq.stem + ">"
    return {line for line in nq.read_text(encoding="utf-8").splitlines(keepends=True)
            if (line.startswith(graph + " <https://w3id.org/pmkg/ontology#summary")
                or line.startswith(graph + " <https://w3id.org/pmkg/ontology#fundingTally")
                or line.startswith(graph + " <https://w3id.org/pmkg/ontology#sharesPapersWith")
                or line.startswith("<" + DOC + "import-" + nq.stem + "/summary/"))}


@pytest.mark.slow
@pytest.mark.skipif(not REAL_WOS.is_file(), reason="needs ../shared/data/biblio")
def test_summary_of_an_import_is_what_its_papers_triples_give(import_project: Path) -> None:  # noqa: F811
    imported(import_project, "wos", REAL_WOS, "real", *REGISTRIES)
    written = summary_lines_of(import_project / "imports" / "real.nq")
    assert len(written) > 100
    store = open_store(import_project / "dist")
    again = summarise_graph(store, ox.NamedNode(f"{DOC}import-real"))
    assert set(again) == written and len(again) == len(written)


def cases(source: str) -> dict[str, list[dict[str, str]]]:
    return {
        "top-funders": [{"database": f"imported:{source}"}, {"database": "wos"}],
        "top-institutions": [{"database": f"imported:{source}"}, {"database": f"imported:{source}", "city": "Beijing"}],
        "funders-of-affiliated-papers": [
            {}, {"include-suborgs": "false"}, {"show-unresolved": "true"}, {"source": f"import-{source}"},
            {"org": "peking-university"}, {"org": "zhejiang-university", "show-unresolved": "true"}],
        "co-affiliation-countries": [{}, {"country": "China"}, {"source": f"import-{source}"}, {"min-papers": "3"}],
    }


@pytest.mark.slow
@pytest.mark.skipif(not REAL_WOS.is_file(), reason="needs ../shared/data/biblio")
def test_paper_queries_answer_as_the_per_paper_queries_did(import_project: Path) -> None:  # noqa: F811
    imported(import_project, "wos", REAL_WOS, "real", *REGISTRIES)
    imported(import_project, "wos", SHARED_BIBLIO / "wos-ali-ards-china-110records.txt", "ards", *REGISTRIES)
    catalogue = load_catalogue(ROOT / "queries")
    backend = EmbeddedBackend(open_store(import_project / "dist"))
    nonempty = 0
    for name, params_list in cases("real").items():
        oracle = parse_query_file(FIX / "per-paper-queries" / f"{name}.rq")
        for params in params_list:
            expected = run_query(oracle, params, backend)
            got = run_query(catalogue[name], params, backend)
            assert got.columns == expected.columns
            assert [[t.text if t else None for t in r] for r in got.rows] == \
                [[t.text if t else None for t in r] for r in expected.rows], (name, params)
            nonempty += bool(got.rows)
    assert nonempty >= 12


@pytest.mark.slow
def test_top_institutions_had_no_roll_up_to_parent_organisations(import_project: Path) -> None:  # noqa: F811
    """With ROR's Institute of Automation and SIAT in the dump, the sample's two CAS papers are affiliated to
    the units, not to CAS: include-suborgs=true counts them for CAS (as funders-of-affiliated-papers does),
    the default (direct affiliation) does not."""
    imported(import_project, "wos", BIBLIO / "wos-sample.txt", "cas",
             "--ror-dump", str(FIX / "registry" / "resolve-ror-session3.jsonl"))

    def cas_count(include: str) -> list[str]:
        done = pmkg(import_project, "query", "top-institutions", "--param", "database=imported:cas",
                    "--param", f"include-suborgs={include}", "--format", "csv")
        assert done.returncode == 0, done.stderr
        rows = list(csv.DictReader(io.StringIO(done.stdout)))
        assert rows
        return [r["count"] for r in rows if r["institution"].endswith("/chinese-academy-of-sciences")]

    assert cas_count("true") == ["2"]
    assert cas_count("false") == []
    funders = pmkg(import_project, "query", "funders-of-affiliated-papers", "--param", "source=import-cas",
                   "--format", "csv")
    assert {r["allPapers"] for r in csv.DictReader(io.StringIO(funders.stdout))} == {"2"}


@pytest.mark.slow
def test_import_sharing_papers_with_another_import_warns(import_project: Path) -> None:  # noqa: F811
    """The OpenAlex sample shares a DOI with WoS record 3: the second import says so and records it."""
    first = imported(import_project, "wos", BIBLIO / "wos-sample.txt", "w", "--no-registries")
    assert "warning" not in first.stderr
    second = imported(import_project, "openalex", BIBLIO / "openalex-sample.jsonl", "o", "--no-registries")
    assert f"also in <{DOC}import-w>" in second.stderr
    assert f"<{DOC}import-o> <https://w3id.org/pmkg/ontology#sharesPapersWith> <{DOC}import-w> <{DOC}import-o> ." \
        in (import_project / "imports" / "o.nq").read_text(encoding="utf-8")
    again = imported(import_project, "wos", BIBLIO / "wos-sample.txt", "w", "--no-registries")
    assert f"also in <{DOC}import-o>" in again.stderr and "import-w>;" not in again.stderr


@pytest.mark.slow
def test_overlapping_imports_count_per_import_and_say_so(import_project: Path) -> None:  # noqa: F811
    """Issue 11: with two imports holding the same papers, the per-paper queries of b89f25c counted each paper
    once; the summary-backed ones add the imports up, so without `source` such a paper counts in each import.
    That is documented (the queries' descriptions, README) and said on every such answer; with `source` the
    counts are the per-paper ones."""
    imported(import_project, "wos", BIBLIO / "wos-sample.txt", "a", "--no-registries")
    second = imported(import_project, "wos", BIBLIO / "wos-sample.txt", "b", "--no-registries")
    assert f"also in <{DOC}import-a>" in second.stderr
    catalogue = load_catalogue(ROOT / "queries")
    backend = EmbeddedBackend(open_store(import_project / "dist"))

    def rows(result) -> list[list[str | None]]:
        return [[t.text if t else None for t in r] for r in result.rows]

    oracle = parse_query_file(FIX / "per-paper-queries" / "co-affiliation-countries.rq")
    union = run_query(oracle, {}, backend)
    added = run_query(catalogue["co-affiliation-countries"], {}, backend)
    assert union.rows and [r[:2] for r in rows(added)] == [r[:2] for r in rows(union)]
    assert [int(r[2]) for r in rows(added)] == [2 * int(r[2]) for r in rows(union)]
    assert added.notice and "import-b and import-a" in added.notice and "counts once per import" in added.notice
    one = run_query(catalogue["co-affiliation-countries"], {"source": "import-a"}, backend)
    assert rows(one) == rows(run_query(oracle, {"source": "import-a"}, backend)) and one.notice is None
    done = pmkg(import_project, "query", "funders-of-affiliated-papers", "--format", "csv")
    assert done.returncode == 0 and "more than one import (import-b and import-a)" in done.stderr
    # per-import questions are not affected: top-funders and top-institutions answer for one import
    top = run_query(catalogue["top-funders"], {"database": "imported:a"}, backend)
    assert top.notice is None
