"""Imports with the registries, through the installed `pmkg` script: strings no curated actor matches
point at registry organisations (minted with their ROR parents), coverage columns, `pmkg imports`,
`pmkg imports remove`, and importing a file in the wrong format."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

from test_import_support import BIBLIO, import_project, import_template  # noqa: F401

from pmkg.query import EmbeddedBackend
from pmkg.store import open_store

FIX = Path(__file__).parent / "fixtures" / "registry"
PMKG = str(Path(sys.executable).with_name("pmkg"))
WOS = BIBLIO / "wos-sample.txt"
REGISTRIES = ["--ror-dump", str(FIX / "resolve-ror-excerpt.jsonl"), "--funder-registry",
              str(FIX / "funders-excerpt.rdf"), "--crosswalk", str(FIX / "resolve-crosswalk.json")]
PM = "PREFIX pm: <https://w3id.org/pmkg/ontology#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "


def pmkg(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PMKG_CACHE": str(root / "cache")}
    return subprocess.run([PMKG, *args, "--root", str(root)], capture_output=True, text=True, env=env, timeout=600)


def select(root: Path, text: str) -> list[list[str | None]]:
    rows = EmbeddedBackend(open_store(root / "dist")).select(PM + text).rows
    return [[v.text if v else None for v in row] for row in rows]


def test_import_points_unmatched_strings_at_registry_organisations(import_project: Path) -> None:  # noqa: F811
    done = pmkg(import_project, "import", "wos", str(WOS), "--source-id", "sample", *REGISTRIES)
    assert done.returncode == 0, done.stderr
    # Zhejiang Univ Technol is not curated: the paper points at ROR's record, minted in the registry's graph
    zjut = select(import_project, """SELECT ?g ?label ?rid WHERE { ?p pm:affiliatedActor ?o .
        GRAPH ?g { ?o a pm:RegistryOrganisation ; rdfs:label ?label ; pm:rorId ?rid } FILTER(?rid = "02djqfd08") }""")
    assert zjut == [["https://w3id.org/pmkg/id/document/ror-v2-9", "Zhejiang University of Technology", "02djqfd08"]]
    # CAS's Institute of Automation: a ROR unit under the curated CAS (its accepted ROR link joins them)
    inst = select(import_project, """SELECT ?parent WHERE { ?p pm:affiliatedActor ?o . ?o pm:rorId "022c3hy66" ;
        pm:subOrganisationOf ?parent }""")
    assert inst == [["https://w3id.org/pmkg/id/actor/chinese-academy-of-sciences"]]


def test_imports_lists_and_removes_an_import(import_project: Path) -> None:  # noqa: F811
    assert pmkg(import_project, "import", "wos", str(WOS), "--source-id", "one", *REGISTRIES).returncode == 0
    assert pmkg(import_project, "import", "wos", str(WOS), "--source-id", "two", "--no-registries").returncode == 0
    listed = pmkg(import_project, "imports", "--format", "csv")
    assert listed.returncode == 0, listed.stderr
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(listed.stdout))}
    assert set(rows) == {"one", "two"}
    assert rows["one"]["records"] == "3" and rows["one"]["files"] == "wos-sample.txt"
    share = float(rows["one"]["affiliations_resolved"].rstrip("%"))
    assert share > float(rows["two"]["affiliations_resolved"].rstrip("%"))  # the registry resolves more
    gone = pmkg(import_project, "imports", "remove", "one")
    assert gone.returncode == 0, gone.stderr
    assert not (import_project / "imports" / "one.nq").exists()
    graphs = {r[0] for r in select(import_project, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?p a pm:Publication } }")}
    assert graphs == {"https://w3id.org/pmkg/id/document/import-two"}
    # the registry organisations only "one" minted are gone too
    assert select(import_project, 'SELECT ?o WHERE { ?o pm:rorId "02djqfd08" }') == []
    again = pmkg(import_project, "imports", "remove", "one")
    assert again.returncode == 2 and "no import 'one'" in again.stderr and "two" in again.stderr


def test_import_in_the_wrong_format_names_the_format_it_looks_like(import_project: Path) -> None:  # noqa: F811
    done = pmkg(import_project, "import", "wos", str(BIBLIO / "openalex-sample.jsonl"), "--no-registries")
    assert done.returncode == 2
    assert "looks like a OpenAlex" in done.stderr and "pmkg import openalex" in done.stderr
    assert not list((import_project / "imports").glob("*.nq"))


def test_import_error_exit_code_was_zero(import_project: Path) -> None:  # noqa: F811
    """Regression: typer.Exit raised inside a command was returned, not raised, by app(standalone_mode=False),
    so `pmkg import wos missing.txt` printed an error and exited 0."""
    done = pmkg(import_project, "import", "wos", str(import_project / "missing.txt"), "--no-registries")
    assert done.returncode == 2 and "no such file" in done.stderr


def test_reimport_lost_its_registry_organisations(import_project: Path) -> None:  # noqa: F811
    """Regression: a second import read the organisations minted by the first (their pm:rorId) as curated
    links, pointed at them without minting, and its imports/<id>.nq lacked their quads."""
    for _ in range(2):
        assert pmkg(import_project, "import", "wos", str(WOS), "--source-id", "again", *REGISTRIES).returncode == 0
        text = (import_project / "imports" / "again.nq").read_text(encoding="utf-8")
        assert '<https://w3id.org/pmkg/id/organisation/ror-02djqfd08> <https://w3id.org/pmkg/ontology#rorId>' in text


def test_funders_query_reports_coverage_and_unresolved_strings(import_project: Path) -> None:  # noqa: F811
    """CAS papers of the fixture: record 1 (Chinese Acad Sci, Inst Automat) has 4 funder strings, of which
    "Funds" names nobody; record 3 (SIAT) has 2, both curated: 5 of 6 resolve (83.3 %)."""
    assert pmkg(import_project, "import", "wos", str(WOS), "--source-id", "cov", *REGISTRIES).returncode == 0
    args = ["query", "funders-of-affiliated-papers", "--param", "source=import-cov", "--format", "csv"]
    done = pmkg(import_project, *args)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert list(rows[0]) == ["funder", "funderLabel", "papers", "share", "allPapers", "funderStringsResolved",
                             "affiliationStringsResolved"]
    assert {(r["allPapers"], r["funderStringsResolved"]) for r in rows} == {("2", "83.3")}
    unresolved = pmkg(import_project, *args, "--param", "show-unresolved=true")
    assert [(r["funder"], r["funderLabel"]) for r in csv.DictReader(io.StringIO(unresolved.stdout))] == \
        [("unresolved", "Funds")]
    # the registry unit counts for CAS only with its sub-organisations
    alone = pmkg(import_project, *args, "--param", "org=ror-022c3hy66", "--param", "include-suborgs=false")
    assert {r["allPapers"] for r in csv.DictReader(io.StringIO(alone.stdout))} == {"1"}


def _coverage_from_store(root: Path, graph: str) -> tuple[str, str, str]:
    """Papers, and percent of funder / affiliation strings resolved, counted in Python from the raw triples."""
    rows = select(root, f"SELECT ?p ?k ?v WHERE {{ GRAPH <{graph}> {{ ?p a pm:Publication . ?p ?k ?v . "
                        "VALUES ?k { pm:funderStringCount pm:unresolvedFunder pm:affiliationStringCount "
                        "pm:unresolvedAffiliation } } }")
    papers = {r[0] for r in select(root, f"SELECT ?p WHERE {{ GRAPH <{graph}> {{ ?p a pm:Publication }} }}")}
    counts = {k: 0 for k in ("funderStringCount", "unresolvedFunder", "affiliationStringCount",
                             "unresolvedAffiliation")}
    for _, k, v in rows:
        name = k.rsplit("#", 1)[-1]
        counts[name] += int(v) if name.endswith("Count") else 1

    def pct(total: str, missing: str) -> str:
        return str(round(1000 * (counts[total] - counts[missing]) / counts[total]) / 10)
    return (str(len(papers)), pct("funderStringCount", "unresolvedFunder"),
            pct("affiliationStringCount", "unresolvedAffiliation"))


def test_top_funders_and_institutions_lacked_coverage_columns(import_project: Path) -> None:  # noqa: F811
    assert pmkg(import_project, "import", "wos", str(WOS), "--source-id", "cov", *REGISTRIES).returncode == 0
    expected = _coverage_from_store(import_project, "https://w3id.org/pmkg/id/document/import-cov")
    columns = ("allPapers", "funderStringsResolved", "affiliationStringsResolved")
    for query in ("top-funders", "top-institutions"):
        done = pmkg(import_project, "query", query, "--param", "database=imported:cov", "--format", "csv")
        assert done.returncode == 0, done.stderr
        rows = list(csv.DictReader(io.StringIO(done.stdout)))
        assert rows and list(rows[0])[-3:] == list(columns)
        assert {tuple(r[c] for c in columns) for r in rows} == {expected}, query
        curated = pmkg(import_project, "query", query, "--param", "database=wos", "--format", "csv")
        assert {tuple(r[c] for c in columns) for r in csv.DictReader(io.StringIO(curated.stdout))} == {("", "", "")}


def test_include_suborgs_made_no_difference_for_cas(import_project: Path) -> None:  # noqa: F811
    """WoS C3 repeats "Chinese Academy of Sciences" for every CAS institute of C1, so each CAS paper was
    affiliated to CAS itself and include-suborgs=false counted them all.  With ROR's Institute of Automation
    and SIAT in the dump, the C3 roll-up gives way to the units: both papers count for CAS only with its
    sub-organisations, and the rolled-up C3 strings still count as resolved."""
    dump = ["--ror-dump", str(FIX / "resolve-ror-session3.jsonl")]
    assert pmkg(import_project, "import", "wos", str(WOS), "--source-id", "cas", *dump).returncode == 0

    def papers(include: str) -> set[str]:
        done = pmkg(import_project, "query", "funders-of-affiliated-papers", "--param", "source=import-cas",
                    "--param", f"include-suborgs={include}", "--format", "csv")
        assert done.returncode == 0, done.stderr
        return {r["allPapers"] for r in csv.DictReader(io.StringIO(done.stdout))}

    assert papers("true") == {"2"}
    assert papers("false") <= {"0"}  # no rows: no paper is CAS's own
    unresolved = select(import_project, "SELECT ?t WHERE { ?p pm:unresolvedAffiliation ?t }")
    assert ["Chinese Academy of Sciences"] not in unresolved
