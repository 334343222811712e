"""`pmkg report`: reports from canned-query results, rendered as Markdown (golden) and HTML (headless Chromium).

Golden files live in tests/golden/; regenerate them with PMKG_REGENERATE_GOLDEN=1 after a deliberate change
(new canned queries or new curated data change the reports).  Screenshots go to the test's temp folder, and
also to $PMKG_SCREENSHOTS when that is set.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pmkg import charts
from pmkg.catalogue import load_catalogue
from pmkg.cli import app
from pmkg.errors import InputError
from pmkg.memory import memory_copy
from pmkg.namespaces import ID
from pmkg.output import short
from pmkg.query import EmbeddedBackend, Result, Value, run_query
from pmkg.report import build_report, output_format, render
from pmkg.store import open_store, read_manifest
from tests.browser import chromium_binary, inspect_page, screenshot

GOLDEN = Path(__file__).parent / "golden"
runner = CliRunner()
needs_chromium = pytest.mark.skipif(chromium_binary() is None, reason="chromium is not installed")


@pytest.fixture(scope="module", params=["memory", "disk"])
def env(request, real_build):
    """The real build's store in memory (as `pmkg report` queries it by default) and on disk."""
    root, _ = real_build
    catalogue = load_catalogue(root / "queries")
    backend = EmbeddedBackend(memory_copy(root / "dist", root / "imports") if request.param == "memory"
                              else open_store(root / "dist"))
    return root, catalogue, backend, read_manifest(root / "dist")


@pytest.fixture(scope="module")
def eu_cluster(env) -> str:
    """An EU cluster id, taken from the `actors` query (not hard-coded)."""
    _, catalogue, backend, _ = env
    rows = run_query(catalogue["actors"], {"kind": "cluster", "region": "EU"}, backend).rows
    assert rows, "the graph has no EU cluster"
    return short(rows[0][0]).split("/", 1)[1]


@pytest.fixture(scope="module")
def reports(env, eu_cluster):
    _, catalogue, backend, manifest = env
    return {
        "landscape": build_report("landscape", {}, catalogue, backend, manifest, "dist/"),
        "actor": build_report("actor", {"entity": "bgi"}, catalogue, backend, manifest, "dist/"),
        "partners": build_report("partners", {"cluster": eu_cluster}, catalogue, backend, manifest, "dist/"),
    }


def normalise(markdown: str) -> str:
    """Blank the lines that change with every build or run: generation time, fingerprint, build time, dist path."""
    markdown = re.sub(r"^- Generated: .*$", "- Generated: <time>", markdown, flags=re.M)
    markdown = re.sub(r"^- Build: .*$", "- Build: fingerprint <fingerprint>, built <time>", markdown, flags=re.M)
    return re.sub(r"^- Data: .*$", "- Data: <dist>", markdown, flags=re.M)


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    text = normalise(text)
    if os.environ.get("PMKG_REGENERATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.is_file(), f"no golden file {path}; create it with PMKG_REGENERATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True),
                                            f"golden/{name}", f"rendered {name}", n=2))
        pytest.fail(f"{name} differs from its golden file (if the change is intended, rerun with "
                    f"PMKG_REGENERATE_GOLDEN=1):\n{diff[:20000]}", pytrace=False)


# --- the reports themselves ---------------------------------------------------------------------

def on_disk_only(request: pytest.FixtureRequest) -> None:
    """The goldens are the disk store's text: the in-memory store gives the same rows but its own order of
    the parts within a GROUP_CONCAT (undefined in SPARQL), which is why `pmkg report` defaults to disk."""
    if request.node.callspec.params.get("env") == "memory":
        pytest.skip("golden text is the on-disk store's GROUP_CONCAT order")


def test_landscape_markdown_matches_golden(reports, request):
    on_disk_only(request)
    check_golden("landscape.md", render(reports["landscape"], "md"))


def test_actor_markdown_matches_golden(reports, request):
    on_disk_only(request)
    check_golden("actor-bgi.md", render(reports["actor"], "md"))


def test_normalise_blanks_only_the_volatile_lines(reports):
    text = render(reports["actor"], "md")
    manifest_fp = reports["actor"].build["fingerprint"]
    assert manifest_fp in text and manifest_fp not in normalise(text)
    assert normalise(text).count("\n") == text.count("\n")


def test_every_table_reproduces_its_canned_query(env, reports):
    """Each table's cells are the cells of the query call it names (rows kept only by the subject filter)."""
    _, catalogue, backend, _ = env
    checked = 0
    for report in reports.values():
        for table in report.tables:
            assert table.query in catalogue
            if table.result is None:  # a pivot: checked in test_kind_pivot_cells_come_from_actor_counts
                continue
            again = run_query(catalogue[table.query], table.params, backend)
            raw = again.rows
            if table.filtered:
                raw = [r for r in raw if any(v is not None and v.is_iri and v.text == report.subject for v in r)]
            wanted = [[short(row[again.columns.index(c)]) for c in table.columns] for row in raw]
            assert table.rows == wanted, f"{table.call}: the table is not the query's result"
            checked += 1
    assert checked >= 5


def test_kind_pivot_cells_come_from_actor_counts(env, reports):
    _, catalogue, backend, _ = env
    section = next(s for s in reports["landscape"].sections if s.key == "kinds")
    (table,) = section.tables
    assert table.columns[0] == "kind" and "China" in table.columns
    for row in table.rows:
        counts = {r["region"]: r["actors"] for r in
                  run_query(catalogue["actor-counts"], {"by": "region", "kind": row[0]}, backend).records()}
        assert dict(zip(table.columns[1:], row[1:], strict=True)) == {k: counts.get(k, "0") for k in table.columns[1:]}


def test_report_names_its_build(env, reports):
    _, _, _, manifest = env
    for report in reports.values():
        html = render(report, "html")
        assert manifest["fingerprint"][:12] in html and manifest["built"] in html
        assert report.generated in html


def test_missing_query_leaves_a_visible_note(env, eu_cluster):
    _, catalogue, backend, manifest = env
    fewer = {k: v for k, v in catalogue.items() if k != "actors"}
    report = build_report("partners", {"cluster": eu_cluster}, fewer, backend, manifest)
    identity = next(s for s in report.sections if s.key == "identity")
    assert not identity.tables
    assert identity.notes == ["Skipped: the canned query `actors` is not in the catalogue yet."]
    assert "`actors` is not in the catalogue yet" in render(report, "md")
    assert "skipped" in render(report, "html")


def test_funders_wos_and_cnki_side_by_side(env, reports):
    _, catalogue, _, _ = env
    if "top-funders" not in catalogue:
        pytest.skip("top-funders is not in the catalogue yet")
    section = next(s for s in reports["landscape"].sections if s.key == "funders")
    assert [t.params.get("database") for t in section.tables] == ["wos", "cnki"]
    assert section.layout == "side-by-side" and section.chart
    assert ">Web of Science<" in section.chart and ">CNKI<" in section.chart
    for table in section.tables:
        name, value = charts.bars_of(table.result)[0]
        assert table.rows[0][table.columns.index("count")] == f"{value:g}"
        assert name.split()[0] in section.chart and f" {value:g}<" in section.chart


def test_policy_timeline_places_every_dated_policy(env, reports):
    _, catalogue, _, _ = env
    if "policies" not in catalogue:
        pytest.skip("policies is not in the catalogue yet")
    section = next(s for s in reports["landscape"].sections if s.key == "policies")
    (table,) = section.tables
    events, undated = charts.events_of([table.result])
    assert events and len(events) + undated == len(table.rows)
    assert section.chart and section.chart.count("<text") >= len(events)


def test_actor_report_resolves_names_and_lists_the_actor(env, reports):
    _, catalogue, backend, manifest = env
    by_name = build_report("actor", {"entity": "Beijing Genomics Institute"}, catalogue, backend, manifest)
    assert by_name.title == reports["actor"].title == "Actor profile: BGI"
    identity = next(s for s in reports["actor"].sections if s.key == "identity")
    assert [r[0] for r in identity.tables[0].rows] == ["actor/bgi"]


def test_unknown_report_and_missing_parameter(env):
    _, catalogue, backend, manifest = env
    with pytest.raises(InputError, match="no report 'nope'"):
        build_report("nope", {}, catalogue, backend, manifest)
    with pytest.raises(InputError, match="needs --param entity"):
        build_report("actor", {}, catalogue, backend, manifest)
    with pytest.raises(InputError, match="no parameter"):
        build_report("landscape", {"colour": "red"}, catalogue, backend, manifest)
    with pytest.raises(InputError, match="cannot tell the report format"):
        output_format(Path("report.docx"))
    assert output_format(Path("report.PDF")) == "pdf"


def test_html_is_self_contained(reports):
    for report in reports.values():
        html = render(report, "html")
        refs = re.findall(r'(?:src|href)="([^"]*)"', html)
        assert all(r.startswith(("#", "data:")) for r in refs), [r for r in refs if not r.startswith("#")]
        assert "<link" not in html and "@import" not in html and "url(http" not in html


# --- the CLI -----------------------------------------------------------------------------------

def test_cli_writes_html_and_markdown(env, tmp_path):
    root, _, _, manifest = env
    for args in (["landscape", "--out", str(tmp_path / "landscape.html")],
                 ["actor", "--param", "entity=bgi", "--out", str(tmp_path / "bgi.md")]):
        result = runner.invoke(app, ["report", *args, "--root", str(root)])
        assert result.exit_code == 0, result.output
        assert "written:" in result.output
        assert manifest["fingerprint"][:12] in Path(args[-1]).read_text(encoding="utf-8")


def test_cli_errors_are_one_line(env, tmp_path):
    root, _, _, _ = env
    cases = [(["report", "actor", "--out", str(tmp_path / "a.md")], "needs --param entity"),
             (["report", "landscape", "--out", str(tmp_path / "a.docx")], "cannot tell the report format"),
             (["report", "actor", "--param", "entity=no-such-actor-x", "--out", str(tmp_path / "a.md")],
              "no actor with id, label or alias")]
    for args, message in cases:
        result = runner.invoke(app, [*args, "--root", str(root)])
        assert result.exit_code == 2, result.output
        assert message in result.output and "Traceback" not in result.output


# --- charts ----------------------------------------------------------------------------------------

def test_ties_and_network_from_result_rows():
    a, b, c = (Value(f"{ID}actor/{x}", is_iri=True) for x in ("a", "b", "c"))
    china = Value(f"{ID}place/china", is_iri=True)
    result = Result(["x", "x_label", "y", "kind"], [
        [a, Value("Alpha"), b, Value("clinical partnership")],
        [b, Value("Beta"), c, Value("industry partnership")],
        [c, Value("Gamma"), china, None],
    ])
    ties = charts.ties_of([("some-query", result)])
    assert [(t.source[1], t.target[1], t.kind) for t in ties] == [
        ("Alpha", "b", "clinical partnership"), ("Beta", "c", "industry partnership"), ("Gamma", "china", "some-query")]
    svg = charts.network(ties, "net")
    assert svg.startswith("<svg") and 'id="net-' in svg and "clinical partnership" in svg and "Alpha" in svg
    assert not re.search(r'\bid="(?!net-)', svg)


def test_bars_pick_label_and_count_columns():
    result = Result(["rank", "funder", "funder_name", "count"], [
        [Value("1", datatype="http://www.w3.org/2001/XMLSchema#integer"), Value(f"{ID}actor/nsfc", is_iri=True),
         Value("NSFC"), Value("835", datatype="http://www.w3.org/2001/XMLSchema#integer")]])
    assert charts.bars_of(result) == [("NSFC", 835.0)]


# --- headless Chromium -------------------------------------------------------------------------------

@pytest.mark.browser
@needs_chromium
@pytest.mark.parametrize("name", ["landscape", "actor", "partners"])
def test_html_report_in_chromium(reports, tmp_path, name):
    report = reports[name]
    html = tmp_path / f"{name}.html"
    html.write_text(render(report, "html"), encoding="utf-8")
    page = inspect_page(html)
    assert page.problems() == []
    charted = [s for s in report.sections if s.chart]
    assert page.charts == len(charted) == len(page.svgs)
    assert sorted(s["label"] for s in page.svgs) == sorted(f"chart-{s.key}" for s in charted)
    png = screenshot(html, tmp_path / f"{name}.png")
    from PIL import Image
    with Image.open(png) as image:
        assert image.size[0] == 1280
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
        assert colours is not None and len(colours) > 50, "the screenshot is (nearly) blank"
    if target := os.environ.get("PMKG_SCREENSHOTS"):
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(target) / png.name)


@pytest.mark.browser
@needs_chromium
def test_probe_catches_broken_pages(tmp_path):
    """The browser check can fail: a script error, an external load, an empty chart are each reported."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "img-src data:; script-src 'unsafe-inline'\"></head><body>"
        '<img src="http://example.invalid/x.png"><svg aria-label="empty" width="0" height="0"></svg>'
        '<script>console.error("oops"); undefinedFunction();</script></body></html>', encoding="utf-8")
    problems = "\n".join(inspect_page(bad).problems())
    for expected in ("script error", "console.error: oops", "CSP violation", "broken image", "empty svg 'empty'"):
        assert expected in problems, problems
