"""Spreadsheets and files: `--format xlsx|csv|csv-excel`, `--out FILE`, short ids vs `--iris`.

Run through the installed `pmkg` console script, as a user runs it; the xlsx opened with openpyxl.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pmkg.catalogue import load_catalogue
from pmkg.namespaces import ID
from pmkg.query import run_query
from pmkg.xlsx import xlsx_bytes

PMKG = str(Path(sys.executable).with_name("pmkg"))


def pmkg(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PMKG, *args, "--root", str(root)], capture_output=True, text=True, timeout=300,
                          check=False)


@pytest.fixture(scope="module")
def root(real_build) -> Path:
    return real_build[0]


def test_xlsx_of_a_query_has_typed_numbers_frozen_header_and_an_about_sheet(root, tmp_path, backend):
    out = tmp_path / "counts.xlsx"
    done = pmkg(root, "query", "actor-counts", "--param", "by=type", "--format", "xlsx", "--out", str(out))
    assert done.returncode == 0, done.stderr
    expected = run_query(load_catalogue(root / "queries")["actor-counts"], {"by": "type"}, backend)
    book = load_workbook(out)
    sheet = book["result"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == expected.columns
    assert len(rows) - 1 == len(expected.rows) > 3
    for got, want in zip(rows[1:], expected.rows, strict=True):
        assert got[-1] == int(want[-1].text) and isinstance(got[-1], int)
        assert got[0] == want[0].text
    assert sheet.freeze_panes == "A2"
    assert all(c.font.bold for c in sheet[1])
    about = {k: v for k, v in book["about"].iter_rows(min_row=2, values_only=True)}
    manifest_fp = (root / "dist" / "build.json").read_text(encoding="utf-8")
    assert about["query"] == "pmkg query actor-counts --param by=type"
    assert about["parameters"] == "by=type"
    assert about["build fingerprint"] in manifest_fp and len(about["build fingerprint"]) == 64
    assert about["rows"] == str(len(expected.rows))


def test_out_suffix_picks_the_format_and_cells_hold_short_ids(root, tmp_path):
    out = tmp_path / "actors.xlsx"
    done = pmkg(root, "query", "actors", "--param", "region=EU", "--out", str(out))
    assert done.returncode == 0, done.stderr
    sheet = load_workbook(out)["result"]
    header = [c.value for c in sheet[1]]
    assert header[-1] == "websites"
    ids = [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert "actor/biorn" in ids and not any(str(i).startswith("http") for i in ids)
    biorn = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == "actor/biorn")
    assert "https://www.biorn.org/" in biorn[header.index("websites")]


def test_iris_flag_keeps_full_iris(root):
    short = pmkg(root, "query", "actors", "--param", "kind=cluster", "--format", "csv")
    full = pmkg(root, "query", "actors", "--param", "kind=cluster", "--format", "csv", "--iris")
    assert short.returncode == full.returncode == 0
    short_ids = [r["actor"] for r in csv.DictReader(io.StringIO(short.stdout))]
    full_ids = [r["actor"] for r in csv.DictReader(io.StringIO(full.stdout))]
    assert full_ids == [ID + s for s in short_ids] and len(short_ids) >= 26


def test_csv_for_excel_starts_with_a_bom_and_keeps_the_registered_sign(root, tmp_path):
    out = tmp_path / "clusters.csv"
    done = pmkg(root, "query", "actors", "--param", "kind=cluster", "--format", "csv-excel", "--out", str(out))
    assert done.returncode == 0, done.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "BioCon Valley® GmbH" in raw.decode("utf-8-sig")
    plain = pmkg(root, "query", "actors", "--param", "kind=cluster", "--format", "csv", "--bom")
    assert plain.stdout.startswith("\ufeff")
    assert not pmkg(root, "query", "actors", "--format", "csv").stdout.startswith("\ufeff")


def test_xlsx_without_out_is_a_one_line_error(root):
    done = pmkg(root, "query", "actors", "--format", "xlsx")
    assert done.returncode == 2
    assert done.stderr.strip() == "error: --format xlsx needs --out FILE.xlsx"


def test_sparql_writes_xlsx_too(root, tmp_path):
    out = tmp_path / "clusters.xlsx"
    text = "SELECT ?c WHERE { ?c a <https://w3id.org/pmkg/ontology#Cluster> } ORDER BY ?c"
    done = pmkg(root, "sparql", text, "--out", str(out))
    assert done.returncode == 0, done.stderr
    book = load_workbook(out)
    values = [r[0] for r in book["result"].iter_rows(min_row=2, values_only=True)]
    assert len(values) == 26 and all(v.startswith("actor/") for v in values)
    assert dict(book["about"].iter_rows(min_row=2, values_only=True))["query"].endswith(text)


def test_xlsx_bytes_keeps_text_that_looks_like_a_formula_as_text():
    data = xlsx_bytes(["a", "n"], [["=1+1", 3], [None, 2.5]], {"query": "test"})
    sheet = load_workbook(io.BytesIO(data))["result"]
    assert [c.value for c in sheet[2]] == ["=1+1", 3] and sheet["A2"].data_type == "s"
    assert sheet["B3"].value == 2.5 and sheet["A3"].value is None


def test_errors_of_commands_reach_the_shell_as_exit_code_2(root):
    """Regression: main() ran typer without standalone mode and dropped the Exit code a command returned,
    so every one-line error (unknown query, bad parameter) exited 0."""
    for args in (("query", "no-such-query"), ("query", "actors", "--param", "region=Nowhere-x")):
        done = pmkg(root, *args)
        assert done.returncode == 2 and done.stderr.startswith("error: "), (args, done)
