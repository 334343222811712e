"""The site in Debian's Chromium, driven by Playwright (never a downloaded browser): pages render without
console errors, images load, search forgives typos, links lead where they say; a screenshot of each page type
is saved under test-artifacts/site/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.webserver import serving

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "site"
pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed")]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


class Watched:
    """A page whose console errors, script errors and failed requests are recorded."""

    def __init__(self, browser) -> None:
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.problems: list[str] = []
        self.page.on("console", lambda m: self.problems.append(f"console.{m.type}: {m.text}")
                     if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.problems.append(f"script error: {e}"))
        self.page.on("requestfailed", self._failed)
        self.page.on("response", lambda r: self.problems.append(f"HTTP {r.status}: {r.url}")
                     if r.status >= 400 else None)

    def _failed(self, request) -> None:
        """A failed request, but not one the browser cancelled itself because the page navigated on
        (net::ERR_ABORTED: e.g. the favicon of a page left at once; it failed a fresh-clone CI run)."""
        if request.failure != "net::ERR_ABORTED":
            self.problems.append(f"request failed: {request.url} ({request.failure})")

    def open(self, url: str) -> object:
        self.page.goto(url, wait_until="load")
        return self.page

    def broken_images(self) -> list[str]:
        return self.page.evaluate("""() => Array.from(document.images)
            .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)""")

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.evaluate("window.scrollTo(0, 0)")
        self.page.screenshot(path=str(path), full_page=False)
        return path


@pytest.fixture
def watched(browser) -> Iterator[Watched]:
    w = Watched(browser)
    yield w
    w.page.close()


def images_loaded(page) -> None:
    """Wait for every image (evaluate, not wait_for_function: that one evals a string, which the CSP forbids)."""
    page.evaluate("""() => Promise.all(Array.from(document.images).map(i => i.complete ? 1
        : new Promise(done => { i.onload = i.onerror = done; })))""")


def uri(site, path: str) -> str:
    return (site[0] / path).resolve().as_uri()


def test_home_page(site, watched) -> None:
    page = watched.open(uri(site, "index.html"))
    assert page.locator("h1").inner_text().startswith("Precision-medicine research and innovation")
    page.locator("img").last.scroll_into_view_if_needed()
    images_loaded(page)
    assert page.locator("img").count() >= 3
    assert not watched.broken_images()
    assert int(page.locator("ul.figures li").first.locator("strong").inner_text()) > 0
    watched.shot("home")
    assert not watched.problems


def test_actor_page_and_its_links(site, watched) -> None:
    page = watched.open(uri(site, "id/actor/bgi.html"))
    assert page.locator("h1").inner_text() == "BGI"
    assert page.locator("table.facts tbody tr").count() > 10
    assert page.locator("#external ~ ul a[rel=external]").count() >= 1
    watched.shot("actor")
    page.get_by_role("link", name="Beijing").first.click()
    page.wait_for_load_state("load")
    assert page.url.endswith("/id/place/beijing.html")
    assert page.locator("h1").inner_text().startswith("Beijing")
    watched.shot("place")
    page.locator("ul.sources a").first.click()  # a fact's source document
    page.wait_for_load_state("load")
    assert "/id/document/" in page.url
    watched.shot("document")
    assert not watched.problems


def test_query_page_filters_and_sorts(site, watched) -> None:
    page = watched.open(uri(site, "queries/actors.html"))
    rows = page.locator("#result tbody tr")
    total = rows.count()
    assert total > 50 and "pmkg query actors" in page.locator("pre code").first.inner_text()
    page.get_by_label("Filter").fill("SME")
    visible = page.locator("#result tbody tr:not([hidden])").count()
    assert 0 < visible < total
    assert page.locator(".count").inner_text() == f"{visible} of {total} rows"
    page.get_by_label("Filter").fill("")
    before = page.locator("#result tbody tr td:nth-child(2)").all_inner_texts()
    page.get_by_role("button", name="label").click()
    ascending = page.locator("#result tbody tr td:nth-child(2)").all_inner_texts()
    assert page.locator("th[aria-sort=ascending]").count() == 1
    assert sorted(ascending) == sorted(before) and ascending[0].casefold() < ascending[-1].casefold()
    page.get_by_role("button", name="label").click()
    descending = page.locator("#result tbody tr td:nth-child(2)").all_inner_texts()
    assert page.locator("th[aria-sort=descending]").count() == 1
    assert descending[0] == ascending[-1] and descending[-1] == ascending[0]
    watched.shot("query")
    assert not watched.problems


def test_search_forgives_a_typo(site, watched) -> None:
    page = watched.open(uri(site, "search.html"))
    page.get_by_label("Search labels").fill("Bejing genomics")
    results = page.locator("#results li > a")
    results.first.wait_for()
    top = results.all_inner_texts()[:3]
    assert top[0] == "BGI", top
    watched.shot("search")
    results.filter(has_text="BGI").first.click()
    page.wait_for_load_state("load")
    assert page.url.endswith("/id/actor/bgi.html")
    assert not watched.problems


TYPOS = [("Bejing genomics", "actor/bgi"), ("Zhejinag", "place/zhejiang"),
         ("track ii", "event/track-ii-dialogue-healthcare-2024"), ("Peking univ", "actor/peking-university")]


@pytest.mark.parametrize(("text", "expected"), TYPOS)
def test_browser_search_ranks_the_meant_entity_first(site, watched, text, expected) -> None:
    page = watched.open(uri(site, "search.html"))
    page.get_by_label("Search labels").fill(text)
    first = page.locator("#results li > a").first
    first.wait_for()
    assert first.get_attribute("href") == f"id/{expected}.html", page.locator("#results li > a").all_inner_texts()[:5]
    assert not watched.problems


def typo_of(label: str) -> str:
    """The label with two neighbouring letters of its longest word swapped (a typist's slip)."""
    words = label.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    w = words[longest]
    if len(w) >= 4:
        words[longest] = w[:1] + w[2] + w[1] + w[3:]
    return " ".join(words)


def test_browser_search_ranks_as_pmkg_search(site, watched, backend) -> None:
    """The site's search.js and `pmkg search` (pmkg.search) give the same hits in the same order with the
    same scores: for the typo cases and for a typo of every 20th label of the graph."""
    from pmkg.search import load_index, search

    index = load_index(backend)
    labels = sorted({e.label for e in index if len(e.label) <= 60})[::20]
    queries = [t for t, _ in TYPOS] + ["genomics", "Chinese Acad Sci", "BGI", "CAS"] + [typo_of(x) for x in labels]
    page = watched.open(uri(site, "search.html"))
    got = page.evaluate("""qs => qs.map(q => window.pmkgSearch(q).slice(0, 10).map(h => [h[1][6], h[0], h[2]]))""",
                        queries)
    differ = []
    for query, browser_hits in zip(queries, got, strict=True):
        python_hits = [[h.iri.split("/id/", 1)[1], h.score, h.field] for h in search(backend, query, limit=10,
                                                                                      index=index)]
        if browser_hits != python_hits:
            differ.append((query, browser_hits[:3], python_hits[:3]))
    assert len(queries) > 40 and not differ, differ[:5]
    assert not watched.problems


def test_list_page_sorts_by_number(site, watched) -> None:
    page = watched.open(uri(site, "list/actor.html"))
    page.get_by_role("button", name="sources").click()
    page.get_by_role("button", name="sources").click()  # descending
    counts = [int(t) for t in page.locator("table tbody tr td:nth-child(5)").all_inner_texts()]
    assert counts == sorted(counts, reverse=True) and counts[0] > counts[-1]
    watched.shot("list")
    assert not watched.problems


@pytest.mark.parametrize("path,name", [("ontology/index.html", "ontology"), ("downloads.html", "downloads"),
                                       ("queries/index.html", "queries"), ("id/conflict/bgi-website.html", "conflict"),
                                       ("id/collaboration/" , "collaboration")])
def test_other_page_types_render(site, watched, path, name) -> None:
    if path.endswith("/"):
        path = str(next((site[0] / path).glob("*.html")).relative_to(site[0]))
    page = watched.open(uri(site, path))
    assert page.locator("h1").count() >= 1
    assert not watched.broken_images()
    watched.shot(name)
    assert not watched.problems


@pytest.fixture(scope="module")
def served(real_build, site) -> Iterator[str]:
    with serving(real_build[0], site[0]) as s:
        yield s.url


def test_served_site_under_its_content_security_policy(served, watched) -> None:
    """Through `pmkg serve` (CSP on): the entity IRI opens as HTML, search works, nothing is blocked."""
    page = watched.open(f"{served}/id/actor/bgi")
    assert page.locator("h1").inner_text() == "BGI"
    assert page.evaluate("getComputedStyle(document.querySelector('header.site')).display") == "flex"
    page.goto(f"{served}/search.html?q=Bejing%20genomics")
    page.locator("#results li > a").first.wait_for()
    assert page.locator("#results li > a").first.inner_text() == "BGI"
    page.goto(f"{served}/ontology/index.html")
    page.goto(f"{served}/")
    images_loaded(page)
    assert not watched.broken_images()
    assert not watched.problems
