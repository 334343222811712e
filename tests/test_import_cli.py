"""``pmkg import`` end to end on our fixtures: graphs, persistence, replacement, --strict,
--unresolved, identity across formats, and an alias that makes a string resolve."""

from __future__ import annotations

import csv
from pathlib import Path

from test_import_support import BIBLIO, import_project, import_template, make_import_project  # noqa: F401
from typer.testing import CliRunner

from pmkg.cli import app
from pmkg.pipeline import Paths, build
from pmkg.query import EmbeddedBackend
from pmkg.store import open_store

runner = CliRunner()
WOS = BIBLIO / "wos-sample.txt"
DOC = "https://w3id.org/pmkg/id/document/"
ACTOR = "https://w3id.org/pmkg/id/actor/"
PM = "PREFIX pm: <https://w3id.org/pmkg/ontology#> "


def run(root: Path, *args: str):
    return runner.invoke(app, ["import", *args, "--root", str(root)])


def select(root: Path, text: str) -> list[list[str | None]]:
    rows = EmbeddedBackend(open_store(root / "dist")).select(PM + text).rows
    return [[v.text if v else None for v in row] for row in rows]


def graph_size(root: Path, source: str) -> int:
    return int(select(root, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{DOC}import-{source}> {{ ?s ?p ?o }} }}")[0][0])


def test_import_reports_counts_and_skips_malformed(import_project: Path) -> None:  # noqa: F811
    result = run(import_project, "wos", str(WOS), "--source-id", "sample")
    assert result.exit_code == 0, result.output
    assert "read 5, imported 3, skipped 2" in result.output
    assert f"{WOS}:61 WOS:000000000000004: not a WoS tag line" in result.output
    assert "funder strings resolved:" in result.output and "affiliation strings resolved:" in result.output
    assert (import_project / "imports" / "sample.nq").is_file()
    assert select(import_project, f"ASK {{ GRAPH <{DOC}import-sample> {{ <{DOC}import-sample> a pm:SourceDocument }} }}"
                  .replace("ASK", "SELECT (1 AS ?x) WHERE")) == [["1"]]


def test_traps_end_up_right_in_the_graph(import_project: Path) -> None:  # noqa: F811
    assert run(import_project, "wos", str(WOS), "--source-id", "sample").exit_code == 0
    rows = select(import_project,
                  """SELECT ?funder WHERE { ?p pm:wosId "WOS:000000000000001" . ?funder pm:funds ?p }""")
    assert sorted(r[0] for r in rows) == [ACTOR + "natural-science-foundation-of-zhejiang-province", ACTOR + "nsfc"]
    rows = select(import_project, """SELECT ?u WHERE { ?p pm:wosId "WOS:000000000000001" ; pm:unresolvedFunder ?u }""")
    assert sorted(r[0] for r in rows) == ["Funds", "National Science Foundation"]
    rows = select(import_project, """SELECT ?a WHERE { ?p pm:wosId "WOS:000000000000002" ; pm:affiliatedActor ?a }""")
    assert [r[0] for r in rows] == [ACTOR + "chinese-academy-of-medical-sciences"]
    rows = select(import_project, """SELECT ?c WHERE { ?p pm:wosId "WOS:000000000000003" ; pm:affiliationCountry ?c }
                                     ORDER BY ?c""")
    assert [r[0].rsplit("/", 1)[1] for r in rows] == ["china", "united-kingdom"]


def test_reimport_replaces_and_rebuild_keeps_the_graph(import_project: Path) -> None:  # noqa: F811
    assert run(import_project, "wos", str(WOS), "--source-id", "sample").exit_code == 0
    size = graph_size(import_project, "sample")
    assert size > 30
    assert run(import_project, "wos", str(WOS), "--source-id", "sample").exit_code == 0
    assert graph_size(import_project, "sample") == size
    assert run(import_project, "wos-tab", str(BIBLIO / "wos-sample-tab.txt"), "--source-id", "tab").exit_code == 0
    papers = select(import_project, "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a pm:Publication }")
    assert papers == [["3"]]  # the tab export holds the same three papers: same IRIs
    build(Paths(root=import_project), run_reasoner=False)
    assert graph_size(import_project, "sample") == size
    assert graph_size(import_project, "tab") > 0


def test_same_doi_is_the_same_paper_across_formats(import_project: Path) -> None:  # noqa: F811
    assert run(import_project, "wos", str(WOS), "--source-id", "sample").exit_code == 0
    result = run(import_project, "openalex", str(BIBLIO / "openalex-sample.jsonl"), "--source-id", "oa")
    assert result.exit_code == 0 and "read 3, imported 2, skipped 1" in result.output
    rows = select(import_project, """SELECT ?g WHERE { GRAPH ?g { ?p pm:doi "10.9999/pmkg.test.0003" } } ORDER BY ?g""")
    assert [r[0] for r in rows] == [DOC + "import-oa", DOC + "import-sample"]
    count = """SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p pm:doi "10.9999/pmkg.test.0003" }"""
    assert select(import_project, count) == [["1"]]
    assert run(import_project, "medline", str(BIBLIO / "medline-sample.txt"), "--source-id", "ml").exit_code == 0
    rows = select(import_project, """SELECT ?a WHERE { ?p pm:pmid "99000001" ; pm:affiliatedActor ?a }""")
    assert [r[0] for r in rows] == [ACTOR + "chinese-academy-of-sciences"]


def test_strict_aborts_and_writes_nothing(import_project: Path) -> None:  # noqa: F811
    result = run(import_project, "wos", str(WOS), "--source-id", "sample", "--strict")
    assert result.exit_code == 2
    assert f"{WOS}:61 WOS:000000000000004: not a WoS tag line" in result.output
    assert not (import_project / "imports" / "sample.nq").exists()


def test_bad_arguments_are_one_line_errors(import_project: Path) -> None:  # noqa: F811
    assert run(import_project, "bibtex", str(WOS)).exit_code == 2
    result = run(import_project, "wos", str(WOS), "--source-id", "Not A Slug")
    assert result.exit_code == 2 and "kebab-case" in result.output
    result = run(import_project, "wos", str(import_project / "missing.txt"))
    assert result.exit_code == 2 and "missing.txt: no such file" in result.output


def test_unresolved_csv_and_an_alias_resolves_it(tmp_path: Path) -> None:
    root = make_import_project(tmp_path / "proj", without_aliases=True)
    build(Paths(root=root), run_reasoner=False)
    out = tmp_path / "unresolved.csv"
    assert run(root, "wos", str(WOS), "--source-id", "sample", "--unresolved", str(out)).exit_code == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {"kind": "funder", "text": "Natural Science Foundation of China", "count": "1"} in rows
    assert {"kind": "affiliation", "text": "Univ Nowhere", "count": "1"} in rows
    query = """SELECT ?f WHERE { ?p pm:wosId "WOS:000000000000002" . ?f pm:funds ?p }"""
    assert [ACTOR + "nsfc"] not in select(root, query)
    (root / "kg" / "import-aliases.yaml").write_text(
        "facts:\n  - about: nsfc\n"
        "    source: {doc: pmkg-curation, at: aliases seen in imported Web of Science records}\n"
        "    aliases: [Natural Science Foundation of China]\n    note: test alias\n", encoding="utf-8")
    result = run(root, "wos", str(WOS), "--source-id", "sample", "--unresolved", str(out))
    assert result.exit_code == 0, result.output
    assert [ACTOR + "nsfc"] in select(root, query)
    assert "Natural Science Foundation of China" not in out.read_text(encoding="utf-8")
