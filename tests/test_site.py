"""`pmkg site`: every resource has a page, every link and image resolves, every fact shows its source."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from pmkg.namespaces import ID

pytestmark = pytest.mark.slow


class Page(HTMLParser):
    """Links, images, ids, headings and accessibility facts of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.images: list[dict[str, str | None]] = []
        self.ids: set[str] = set()
        self.h1 = 0
        self.lang: str | None = None
        self.title = False
        self.inputs: list[str | None] = []
        self.labels: set[str] = set()
        self.tables = 0
        self.captions = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if a.get("name") and tag == "a":
            self.ids.add(a["name"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "link" and a.get("href"):
            self.links.append(a["href"])
        if tag == "script" and a.get("src"):
            self.links.append(a["src"])
        if tag == "img":
            self.images.append(a)
        if tag == "h1":
            self.h1 += 1
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "title":
            self.title = True
        if tag == "input" and a.get("type") not in ("hidden", "submit"):
            self.inputs.append(a.get("id"))
        if tag == "label" and a.get("for"):
            self.labels.add(a["for"])
        if tag == "table":
            self.tables += 1
        if tag == "caption":
            self.captions += 1


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


@pytest.fixture(scope="module")
def pages(site) -> dict[Path, Page]:
    folder, _ = site
    return {p: parse(p) for p in sorted(folder.rglob("*.html"))}


def store_resources(backend) -> set[str]:
    """Every resource under …/id/ that is typed, minus reification and citation nodes (which have no page)."""
    rows = backend.select(f'SELECT DISTINCT ?e WHERE {{ ?e a ?t FILTER(STRSTARTS(STR(?e), "{ID}")) }}').rows
    return {r[0].text for r in rows if r[0].text[len(ID):].split("/")[0] not in ("statement", "citation")}


def test_site_cli_reports_what_it_wrote(site, pages) -> None:
    folder, stdout = site
    match = re.search(r"site: (\d+) pages(?: \(\d+ of imported publications\))?, ([\d.]+) MB in (\S+)", stdout)
    assert match, stdout
    assert int(match.group(1)) == len(pages)
    assert Path(match.group(3)) == folder.resolve()
    assert "ontology docs: pyLODE" in stdout


def test_every_resource_has_a_page(site, backend) -> None:
    folder, _ = site
    missing = [iri for iri in store_resources(backend)
               if not (folder / "id" / (iri[len(ID):] + ".html")).is_file()]
    assert not missing, missing[:10]


def test_no_broken_link_in_any_page(site, pages) -> None:
    """Every relative href/src of every page names a file of the site, and its #fragment an id in it."""
    folder, _ = site
    broken = []
    for path, page in pages.items():
        for href in page.links:
            parts = urlsplit(href)
            if parts.scheme in ("http", "https", "mailto", "data"):
                continue
            assert not parts.scheme, f"{path.relative_to(folder)}: unexpected link {href}"
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if not target.is_file():
                broken.append(f"{path.relative_to(folder)} -> {href}")
            elif parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else parse(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{path.relative_to(folder)} -> {href} (no such id)")
    assert not broken, f"{len(broken)} broken: {broken[:10]}"


def test_every_image_is_present_with_alt_text(pages) -> None:
    images = [(path, img) for path, page in pages.items() for img in page.images
              if not str(img.get("src", "")).startswith("data:")]
    assert images, "the home page should show charts"
    for path, img in images:
        assert img.get("alt"), f"{path}: image without alt text"
        target = (path.parent / str(img["src"])).resolve()
        assert target.is_file() and target.stat().st_size > 1000, f"{path}: {img['src']} missing or empty"
        if target.suffix == ".svg":
            root = ET.parse(target).getroot()
            assert root.tag.endswith("svg") and len(list(root.iter())) > 20, f"{target} has no drawing"


def test_pages_are_accessible_markup(site, pages) -> None:
    """Our pages (pyLODE's ontology page aside): lang, a title, one h1, labelled inputs, captioned tables."""
    folder, _ = site
    for path, page in pages.items():
        if path == folder / "ontology" / "index.html":
            continue
        where = path.relative_to(folder)
        assert page.lang == "en" and page.title and page.h1 == 1, where
        assert all(i and i in page.labels for i in page.inputs), f"{where}: an input without a label"
        assert page.captions == page.tables, f"{where}: a table without a caption"


def test_entity_page_shows_every_fact_with_its_source(site, run) -> None:
    """Each statement the `provenance` query gives about BGI appears on its page with document and location."""
    folder, _ = site
    html = (folder / "id" / "actor" / "bgi.html").read_text(encoding="utf-8")
    rows = [r for r in run("provenance", entity="bgi") if r["subject"] == "bgi"]
    assert rows
    text = re.sub(r"\s+", " ", html)
    for r in rows:
        assert f'href="../../id/document/{r["document"]}.html">{r["document"]}</a>, {escape(r["location"])}' in text, r


def escape(text: str) -> str:
    from html import escape as esc
    return esc(text, quote=True)


def test_chinese_labels_are_marked_as_chinese(site, backend) -> None:
    folder, _ = site
    rows = backend.select('SELECT ?e ?l WHERE { ?e <http://www.w3.org/2000/01/rdf-schema#label> ?l '
                          'FILTER(LANG(?l) = "zh") } LIMIT 5').rows
    assert rows, "the graph has Chinese labels"
    for e, label in rows:
        html = (folder / "id" / (e.text[len(ID):] + ".html")).read_text(encoding="utf-8")
        assert f'<span lang="zh" class="zh">{escape(label.text)}</span>' in html


def test_external_ids_are_outbound_links(site, run) -> None:
    folder, _ = site
    for row in run("external-ids"):
        html = (folder / "id" / "actor" / f"{row['entity']}.html")
        if not html.is_file():
            continue
        text = html.read_text(encoding="utf-8")
        assert f'>{escape(row["identifier"])}</a>' in text, row
        assert f'href="{escape(row["match"])}" rel="external"' in text, row


def test_conflicts_are_shown_on_the_pages_they_concern(site, run) -> None:
    folder, _ = site
    rows = run("conflicts")
    assert rows
    for entity in {r["entity"] for r in rows}:
        page = next(folder.glob(f"id/*/{entity}.html"))
        text = page.read_text(encoding="utf-8")
        assert 'id="conflicts">Conflicting claims' in text
        for r in (r for r in rows if r["entity"] == entity):
            assert f'id/conflict/{r["conflict"]}.html' in text


def test_every_canned_query_has_a_page_with_its_command_and_row_count(site, run, real_build) -> None:
    from pmkg.catalogue import load_catalogue
    from pmkg.federation import uses_service
    from pmkg.site.pages import defaults_for
    folder, _ = site
    for name, spec in load_catalogue(real_build[0] / "queries").items():
        text = (folder / "queries" / f"{name}.html").read_text(encoding="utf-8")
        assert f"<pre><code>pmkg query {name}" in text
        if uses_service(spec.text):
            assert "Not run for the site" in text
            continue
        rows = run(name, **{k.replace("-", "_"): v for k, v in defaults_for(spec).items()})
        assert f"<p>{len(rows)} row(s)" in text, name
        csv_lines = (folder / "queries" / f"{name}.csv").read_text(encoding="utf-8").count("\n")
        assert csv_lines >= len(rows) + 1


def test_list_pages_list_every_entity_of_their_kind(site, backend, pages) -> None:
    folder, _ = site
    per_kind: dict[str, int] = {}
    for iri in store_resources(backend):
        kind = iri[len(ID):].split("/")[0]
        per_kind[kind] = per_kind.get(kind, 0) + 1
    for kind, count in per_kind.items():
        page = pages[folder / "list" / f"{kind}.html"]
        assert sum(1 for h in page.links if h.startswith("../id/")) == count, kind


def test_search_index_holds_labels_aliases_and_descriptions(site) -> None:
    folder, _ = site
    entries = json.loads((folder / "search-index.json").read_text(encoding="utf-8"))
    bgi = next(e for e in entries if e[0] == "id/actor/bgi.html")
    assert bgi[1] == "BGI" and "Beijing Genomics Institute" in bgi[3] and bgi[4]
    script = (folder / "assets" / "search-index.js").read_text(encoding="utf-8")
    assert script.startswith("window.PMKG_INDEX = [")


def test_downloads_are_the_build_files(site, real_build) -> None:
    folder, _ = site
    dist = real_build[0] / "dist"
    for name in ("pmkg.ttl", "pmkg.nq", "pmkg.jsonld", "build.json"):
        assert (folder / "downloads" / name).read_bytes() == (dist / name).read_bytes()


def test_site_refuses_to_overwrite_a_folder_that_is_not_a_site(real_build, tmp_path) -> None:
    precious = tmp_path / "notes"
    precious.mkdir()
    (precious / "keep.txt").write_text("mine", encoding="utf-8")
    pmkg = Path(sys.executable).parent / "pmkg"
    done = subprocess.run([str(pmkg), "site", "--out", str(precious), "--root", str(real_build[0])],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: {precious} exists and is not a pmkg site; refusing to overwrite it "
        "(hint: choose an empty or new --out folder)"]
    assert (precious / "keep.txt").read_text(encoding="utf-8") == "mine"


def test_an_error_exits_non_zero_through_the_console_script(tmp_path) -> None:
    """Regression: with typer's bundled click, `app(standalone_mode=False)` returns the code of typer.Exit
    instead of raising it, and `main()` dropped it, so every reported error exited 0."""
    pmkg = Path(sys.executable).parent / "pmkg"
    done = subprocess.run([str(pmkg), "query", "no-such-query", "--root", str(tmp_path)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ")


def test_pylode_docs_have_no_none_defined_in_none_regression(site) -> None:
    """Bug: pyLODE's background vocabularies lack VANN, so the ontology header's vann properties were
    rendered "None. Defined in None"; the site now gives pyLODE their definitions."""
    folder, _ = site
    html = (folder / "ontology" / "index.html").read_text(encoding="utf-8")
    assert "None. Defined in None" not in html and 'title="None' not in html and "Defined in None" not in html
    assert "preferred namespace prefix to use" in html and "Defined in VANN" in html
