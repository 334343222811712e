"""Imported publications on the site: a page each (title, year, affiliations and funders linked, the
import), a list page, and a section on the pages of the organisations they are affiliated with or
funded by.  The site is written by the installed `pmkg site` after a real `pmkg import` of the WoS
fixture and, when ../shared is present, of a real 110-record WoS export."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from test_site import parse

from pmkg.namespaces import ID

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
PMKG = Path(sys.executable).parent / "pmkg"
IMPORTS = [ROOT / "tests" / "fixtures" / "biblio" / "wos-sample.txt",
           ROOT.parent / "shared" / "data" / "biblio" / "wos-ali-ards-china-110records.txt"]
PM = "https://w3id.org/pmkg/ontology#"


def pmkg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(PMKG), *args], capture_output=True, text=True, timeout=900, check=False)


@pytest.fixture(scope="module")
def imported(real_build, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """(project root, site folder, `pmkg site` stdout) after importing the WoS files present."""
    root = tmp_path_factory.mktemp("pubsite") / "proj"
    root.mkdir()
    shutil.copytree(real_build[0] / "dist", root / "dist")
    for name in ("kg", "ontology", "queries"):
        (root / name).symlink_to(ROOT / name)
    for path in (p for p in IMPORTS if p.is_file()):
        done = pmkg("import", "wos", str(path), "--root", str(root))
        assert done.returncode == 0, done.stderr
    out = root / "site"
    done = pmkg("site", "--out", str(out), "--root", str(root))
    assert done.returncode == 0, done.stderr
    return root, out, done.stdout


@pytest.fixture(scope="module")
def store(imported):
    from pmkg.store import open_store
    return open_store(imported[0] / "dist")


def rows(store, text: str) -> list[list[str]]:
    return [[t.value for t in r] for r in store.query(text, use_default_graph_as_union=True)]


def papers(store) -> dict[str, str]:
    """Publication IRI -> its title."""
    return dict(rows(store, f"SELECT DISTINCT ?p ?t WHERE {{ ?p a <{PM}Publication> ; "
                            "<http://purl.org/dc/terms/title> ?t }"))


def page_of(site: Path, iri: str) -> Path:
    return site / "id" / (iri[len(ID):] + ".html")


def hrefs_to(site: Path, page: Path) -> set[Path]:
    """The site files a page links to (resolved)."""
    out = set()
    for href in parse(page).links:
        parts = urlsplit(href)
        if not parts.scheme and parts.path:
            out.add((page.parent / unquote(parts.path)).resolve())
    return out


def test_site_states_how_many_publication_pages_it_wrote(imported, store) -> None:
    _, site, stdout = imported
    wanted = papers(store)
    assert len(wanted) >= 5
    match = re.search(r"site: (\d+) pages \((\d+) of imported publications\)", stdout)
    assert match, stdout
    assert int(match.group(2)) == len(wanted) == len(list((site / "id" / "publication").glob("*.html")))
    assert int(match.group(1)) == len(list(site.rglob("*.html")))


def test_each_publication_page_links_its_affiliations_funders_and_import(imported, store) -> None:
    _, site, _ = imported
    affiliated = rows(store, f"SELECT ?p ?a WHERE {{ ?p <{PM}affiliatedActor> ?a }}")
    funded = rows(store, f"SELECT ?p ?f WHERE {{ ?f <{PM}funds> ?p . ?p a <{PM}Publication> }}")
    graphs = dict(rows(store, f"SELECT ?p ?g WHERE {{ GRAPH ?g {{ ?p a <{PM}Publication> }} }}"))
    assert affiliated and funded
    links = {iri: hrefs_to(site, page_of(site, iri)) for iri in papers(store)}
    missing = [(p, o) for p, o in affiliated + funded
               if page_of(site, o).is_file() and page_of(site, o).resolve() not in links[p]]
    assert not missing, missing[:5]
    assert all(page_of(site, graphs[p]).resolve() in found for p, found in links.items())


def test_publication_page_shows_title_and_year(imported, store) -> None:
    _, site, _ = imported
    years = dict(rows(store, f"SELECT ?p ?y WHERE {{ ?p a <{PM}Publication> ; <http://purl.org/dc/terms/issued> ?y }}"))
    for iri, title in papers(store).items():
        text = page_of(site, iri).read_text(encoding="utf-8")
        h1 = re.search(r"<h1>(.*?)</h1>", text, re.S)
        assert h1 and title.replace("&", "&amp;").replace("<", "&lt;") in h1.group(1), iri
        if iri in years:
            assert f"<dt>Year</dt><dd>{years[iri]}</dd>" in text, iri


def test_publication_list_lists_each_publication_once(imported, store) -> None:
    _, site, _ = imported
    listed = Counter(p for p in hrefs_to(site, site / "list" / "publication.html")
                     if "/id/publication/" in str(p))
    page = (site / "list" / "publication.html").read_text(encoding="utf-8")
    wanted = papers(store)
    assert {page_of(site, i).resolve() for i in wanted} == set(listed)
    assert f"{len(wanted)} publications from " in page
    home = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="list/publication.html"' in home


def test_organisation_pages_count_their_affiliated_and_funded_publications(imported, store) -> None:
    _, site, _ = imported
    for predicate, role, query in (
            ("affiliatedActor", "affiliated with it", f"SELECT ?o (COUNT(DISTINCT ?p) AS ?n) WHERE {{ "
                                                      f"?p <{PM}affiliatedActor> ?o }} GROUP BY ?o"),
            ("funds", "funded by it", f"SELECT ?o (COUNT(DISTINCT ?p) AS ?n) WHERE {{ ?o <{PM}funds> ?p . "
                                      f"?p a <{PM}Publication> }} GROUP BY ?o")):
        counts = {o: int(n) for o, n in rows(store, query)}
        checked = 0
        for org, n in counts.items():
            page = page_of(site, org)
            if not page.is_file():
                continue
            text = page.read_text(encoding="utf-8")
            word = "publication" if n == 1 else "publications"
            assert f"<h3>{n} {word} {role}" in text, (predicate, org)
            checked += 1
        assert checked, predicate


def test_no_broken_link_in_the_publication_pages(imported) -> None:
    _, site, _ = imported
    pages = [*(site / "id" / "publication").glob("*.html"), site / "list" / "publication.html"]
    broken = [f"{p.name} -> {t}" for p in pages for t in hrefs_to(site, p) if not t.is_file()]
    assert not broken, broken[:10]
