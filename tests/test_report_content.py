"""What the reports say: charts from whole results, distinct key figures, a summary traceable to its
queries, actor profiles in words, the PDF (pages, every row of a known table), and the funders report
on imported paper data.  Built on the real graph; the PDF printed by Debian's headless Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pmkg.catalogue import load_catalogue
from pmkg.memory import memory_copy
from pmkg.output import short
from pmkg.query import EmbeddedBackend, run_query
from pmkg.report import build_report, render
from pmkg.store import open_store, read_manifest
from tests.browser import chromium_binary, inspect_page, screenshot

PMKG = str(Path(sys.executable).with_name("pmkg"))
# ../shared beside the project (a git worktree sits one level deeper: ../../shared)
SHARED = next((p / "shared" for p in Path(__file__).resolve().parents[1].parents if (p / "shared").is_dir()),
              Path("/nonexistent"))
WOS = SHARED / "data" / "biblio" / "wos-ai-diagnosis-china-283records.txt"
needs_chromium = pytest.mark.skipif(chromium_binary() is None, reason="chromium is not installed")
needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")


@pytest.fixture(scope="module", params=["memory", "disk"])
def env(request, real_build):
    """The real build's store in memory (as `pmkg report` queries it by default) and on disk."""
    root, _ = real_build
    store = memory_copy(root / "dist", root / "imports") if request.param == "memory" else open_store(root / "dist")
    return root, load_catalogue(root / "queries"), EmbeddedBackend(store), read_manifest(root / "dist")


@pytest.fixture(scope="module")
def landscape(env):
    _, catalogue, backend, manifest = env
    return build_report("landscape", {}, catalogue, backend, manifest)


def section(report, key):
    return next(s for s in report.sections if s.key == key)


def call_params(call: str) -> tuple[str, dict[str, str]]:
    name, *rest = call.removeprefix("pmkg query ").split(" --param ")
    return name.strip(), dict(p.strip().split("=", 1) for p in rest)


def test_country_chart_covers_every_region_sorted_by_value(landscape):
    countries = section(landscape, "countries")
    (table,) = countries.tables
    chart = countries.chart
    for region in ("United States", "Japan", "China", "Germany", "France"):
        assert f">{region}<" in chart, region
    values = [int(v) for v in re.findall(r"> (\d+)</text>", chart)]
    assert values == sorted(values, reverse=True) and len(values) == len(table.rows)
    assert ">European Union<" in chart  # the legend names the regions


def test_funder_chart_shows_the_whole_table_sorted(landscape):
    funders = section(landscape, "funders")
    wos, cnki = funders.tables
    counts = [int(v) for v in re.findall(r"> (\d+)</text>", funders.chart)]
    expected = sorted((int(r[wos.columns.index("count")]) for r in wos.rows), reverse=True) + \
        sorted((int(r[cnki.columns.index("count")]) for r in cnki.rows), reverse=True)
    assert counts == expected and len(counts) == 30


def test_key_figures_count_distinct_entities(env, landscape):
    _, catalogue, backend, _ = env
    figures = {label: int(value) for label, value, _ in landscape.figures}
    actors = run_query(catalogue["actors"], {}, backend)
    assert figures["actors"] == len({r[0].text for r in actors.rows}) < len(actors.rows) + 1
    conflicts = run_query(catalogue["conflicts"], {}, backend).records()
    assert figures["conflicts between sources"] == len({r["conflict"] for r in conflicts}) < len(conflicts)
    policies = run_query(catalogue["policies"], {}, backend).records()
    assert figures["policies"] == len({r["policy"] for r in policies})


def test_every_number_of_the_summary_is_in_its_query_result(env, landscape):
    _, catalogue, backend, _ = env
    assert len(landscape.summary) >= 6
    for sentence in landscape.summary:
        name, params = call_params(sentence.source)
        cells = {short(v) for row in run_query(catalogue[name], params, backend).rows for v in row}
        numbers = re.findall(r"(?<![\w.])(\d+(?:\.\d+)?)(?![\w.])", re.sub(r"[a-z]+-\d{4}", "", sentence.text))
        derived = {n for n in numbers if n not in cells}
        # counts of rows and distinct values, shares and year spans are computed from the cells: recompute them
        allowed = derived - {"2"}  # "an actor in two places" etc. are words, not numbers
        if name == "cross-border-ties":
            rows = run_query(catalogue[name], params, backend).records()
            allowed -= {str(len(rows)), str(len({r["toActor"] for r in rows})),
                        str(len({r["fromActor"] for r in rows})),
                        str(len({(r["fromActor"], r["toActor"]) for r in rows}))}
        if name in ("policies", "conflicts"):
            key = "policy" if name == "policies" else "conflict"
            rows = run_query(catalogue[name], params, backend).records()
            allowed -= {str(len({r[key] for r in rows})), *((r.get("date") or "")[:4] for r in rows)}
        if name == "top-funders" or name == "top-institutions":
            rows = run_query(catalogue[name], params, backend).records()
            total = sum(int(r["count"]) for r in rows)
            top = max(int(r["count"]) for r in rows)
            allowed -= {str(len(rows)), str(total), f"{100 * int(rows[0]['count']) / total:.1f}", str(top)}
        if name == "actor-counts":
            rows = run_query(catalogue[name], params, backend).records()
            named = {"China", "European Union", "United States"}
            allowed -= {str(sum(int(r["actors"]) for r in rows if r["region"] not in named))}
        assert not allowed, f"{sentence.text!r}: {sorted(allowed)} not found in `{sentence.source}`"


def test_actor_profile_is_in_words_without_predicates_or_empty_sections(env):
    _, catalogue, backend, manifest = env
    report = build_report("actor", {"entity": "bgi"}, catalogue, backend, manifest)
    md = render(report, "md")
    assert "rdf:type" not in md and "(no rows)" not in md
    assert "BGI is a research and technology organisation (RTO)" in md
    facts = section(report, "facts")
    (table,) = facts.tables
    assert table.columns == ["fact", "value", "sources"]
    assert not any(":" in row[0] for row in table.rows), [row[0] for row in table.rows]
    assert facts.footnotes and all(re.match(r"\[\d+\] \S", f) for f in facts.footnotes)
    numbers = {n for row in table.rows for n in re.findall(r"\[(\d+)\]", row[2])}
    assert numbers == {str(i) for i in range(1, len(facts.footnotes) + 1)}
    assert all(s.tables and any(t.rows for t in s.tables) for s in report.sections)
    assert "Nothing recorded for:" in md


def test_partner_report_justifies_with_descriptions(env):
    _, catalogue, backend, manifest = env
    report = build_report("partners", {"cluster": "biorn"}, catalogue, backend, manifest)
    words = section(report, "suggestions").words
    assert words and words[0].text.startswith("#1 ")
    rows = run_query(catalogue["chinese-partners-of-eu-clusters"], {"cluster": "biorn"}, backend).records()
    assert rows[0]["description"] and rows[0]["description"] in words[0].text


@pytest.mark.browser
@needs_chromium
@needs_pdftotext
@pytest.mark.slow
def test_landscape_pdf_is_paginated_and_holds_every_row(env, tmp_path):
    root, catalogue, backend, _ = env
    pdf = tmp_path / "landscape.pdf"
    done = subprocess.run([PMKG, "report", "landscape", "--out", str(pdf), "--root", str(root)],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    assert pages >= 10
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = re.sub(r"\s+", " ", text.replace("-\n", "-"))
    actors = run_query(catalogue["actors"], {}, backend).records()
    missing = [r["label"] for r in actors if " ".join(r["label"].split()[:2]) not in flat]
    assert not missing, f"{len(missing)} actor rows not in the PDF text, e.g. {missing[:5]}"
    for row in run_query(catalogue["top-institutions"], {"database": "wos"}, backend).records():
        assert f"Table 2, row {row['rank']}" in flat


@pytest.fixture(scope="module")
def funders_root(real_build, tmp_path_factory):
    """A copy of the real build with the WoS AI-diagnosis export imported."""
    if not WOS.is_file():
        pytest.skip("../shared/data/biblio not present")
    built = real_build[0]
    root = tmp_path_factory.mktemp("funders")
    shutil.copytree(built / "dist", root / "dist")
    for name in ("kg", "ontology", "queries"):
        (root / name).symlink_to((built / name).resolve())
    done = subprocess.run([PMKG, "import", "wos", str(WOS), "--root", str(root)], capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    return root


@pytest.mark.slow
def test_funders_report_on_imported_papers(funders_root, tmp_path):
    out = tmp_path / "funders.md"
    done = subprocess.run([PMKG, "report", "funders", "--param", "source=wos-ai-diagnosis-china-283records",
                           "--out", str(out), "--root", str(funders_root)], capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    md = out.read_text(encoding="utf-8")
    assert "## Summary" in md and "the largest is National Natural Science Foundation of China" in md
    assert "No paper-level data" not in md
    html = tmp_path / "funders.html"
    subprocess.run([PMKG, "report", "funders", "--param", "source=wos-ai-diagnosis-china-283records",
                    "--out", str(html), "--root", str(funders_root)], check=True, capture_output=True, timeout=600)
    if chromium_binary():
        page = inspect_page(html)
        assert page.problems() == [] and page.charts == 3 == len(page.svgs)
        screenshot(html, tmp_path / "funders.png")


def test_funders_report_needs_a_source(env):
    root, *_ = env
    done = subprocess.run([PMKG, "report", "funders", "--out", "/tmp/never-written.md", "--root", str(root)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 2 and "needs --param source=" in done.stderr
