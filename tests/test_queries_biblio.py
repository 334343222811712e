"""Bibliometric queries on the real graph, checked against au-2023's own tables and text.

`top-funders` and `top-institutions` regenerate au-2023 Tables 1-4 row by row; every difference from the
table parsed out of the seed file must be explained by a pm:Conflict whose claim cites that row (or that is
about the row's entity). `publication-trends` is checked against footnote 8 and the stated growth rates.
The imported-data branch runs on a small synthetic N-Quads fixture in a temporary store.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest

from pmkg.catalogue import load_catalogue
from pmkg.importers.summary import add_summary
from pmkg.query import Backend, EmbeddedBackend, run_query
from tests.conftest import ROOT, needs_seeds
from tests.seedtables import seed_text, tab_blocks

pytestmark = needs_seeds()
DOC = "https://w3id.org/pmkg/id/document/"
ID = "https://w3id.org/pmkg/id/"
MY_QUERIES = ("top-funders", "top-institutions", "publication-trends", "policies", "policy-issuers", "programmes",
              "companies", "clinical-partners", "shared-partners", "industry-collaborators")


# -- shared helpers (also used by test_queries_policy_industry) ----------------------------------------------
def clean(cell: str) -> str:
    """A table cell without HTML tags and with single spaces."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]*>", " ", cell)).strip()


def words(text: str | None) -> str:
    """Lower-case words only: for comparing prose cells whose punctuation the curators normalised."""
    return " ".join(re.findall(r"[a-z0-9]+", (text or "").lower()))


CONFLICT_CLAIMS = """
PREFIX pm: <https://w3id.org/pmkg/ontology#>
SELECT ?conflict ?about ?property ?doc ?loc WHERE {
  ?conflict a pm:Conflict ; pm:about ?about ; pm:conflictProperty ?property ; pm:claim ?claim .
  ?claim pm:citedIn ?doc ; pm:location ?loc .
}"""


class Diffs:
    """Differences between a seed table and the graph's answer, and the conflicts that explain them."""

    def __init__(self, backend: Backend) -> None:
        rows = backend.select(CONFLICT_CLAIMS).records()
        self.claims = {(r["doc"].removeprefix(DOC), r["loc"]) for r in rows}
        self.about = {r["about"] for r in rows}
        self.items: list[tuple[str, str, str, object, object, str | None]] = []
        self.matched: dict[str, int] = {}

    def row(self, table: str, doc: str, loc: str, entity: str | None, pairs: dict[str, tuple[object, object]]) -> None:
        """Compare one row: ``pairs`` maps a field to (expected from the seed, got from the graph)."""
        bad = [(f, e, g) for f, (e, g) in pairs.items() if e != g]
        for f, e, g in bad:
            self.items.append((doc, loc, f, e, g, entity))
        if not bad:
            self.matched[table] = self.matched.get(table, 0) + 1

    def explained(self, doc: str, loc: str, entity: str | None) -> bool:
        return (doc, loc) in self.claims or (entity is not None and entity in self.about)

    def unexplained(self) -> list[tuple]:
        return [d for d in self.items if not self.explained(d[0], d[1], d[5])]


# -- fixtures ------------------------------------------------------------------------------------------------
# `backend` and `run` fixtures: tests/conftest.py


# -- seed tables ---------------------------------------------------------------------------------------------
def au_tables() -> dict[int, list[list[str]]]:
    """au-2023 Tables 1-4 (headers dropped), in the order they appear: funders WoS, institutions WoS, CNKI …"""
    blocks = [b for b in tab_blocks("au-2023") if b[0][-1] == "Articles"]
    assert [b[0][0] for b in blocks] == ["Region", "City", "Region", "City"]
    return {n: [[clean(c) for c in row] for row in block[1:]] for n, block in enumerate(blocks, start=1)}


def test_au_seed_tables_parse():
    tables = au_tables()
    assert [len(tables[n]) for n in (1, 2, 3, 4)] == [20, 20, 10, 10]


# -- every canned query runs with its defaults and with its documented example ---------------------------------
@pytest.mark.parametrize("name", MY_QUERIES)
def test_query_runs_with_defaults_and_example(real_build, run, name):
    root, _ = real_build
    spec = load_catalogue(root / "queries")[name]
    assert spec.summary and spec.columns
    rows = run(name)
    assert rows, f"{name} gives no rows with its defaults"
    assert list(rows[0]) == list(spec.columns)
    for p in spec.params:
        assert p.example is not None, f"{name}: parameter {p.name} has no example"
        assert run(name, **{p.name: str(p.example)}), f"{name} gives no rows with its example {p.name}={p.example}"


# -- au-2023 Tables 1-4 ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("table", "query", "database", "place_field"), [
    (1, "top-funders", "wos", "level"), (2, "top-institutions", "wos", "city"),
    (3, "top-funders", "cnki", "level"), (4, "top-institutions", "cnki", "city"),
])
def test_au_tables_regenerated_row_by_row(run, backend, table, query, database, place_field):
    seed = au_tables()[table]
    got = run(query, database=database)
    by_loc = {r["source"]: r for r in got}
    name_field = "funder_name" if query == "top-funders" else "institution_name"
    entity_field = "funder" if query == "top-funders" else "institution"
    diffs = Diffs(backend)
    for k, (place, name, articles) in enumerate(seed, start=1):
        loc = f"Table {table}, row {k}"
        row = by_loc.get(f"au-2023: {loc}")
        if row is None:
            diffs.row(f"au-2023 Table {table}", "au-2023", loc, None, {"row": ("present", "missing")})
            continue
        got_place = (row[place_field] or "").lower() if place_field == "level" else row[place_field]
        diffs.row(f"au-2023 Table {table}", "au-2023", loc, row[entity_field], {
            "rank": (k, int(row["rank"])), "name": (name, row[name_field]),
            place_field: (place.lower() if place_field == "level" else place, got_place),
            "count": (int(articles), int(row["count"])),
        })
    assert len(got) == len(seed), f"the graph has {len(got)} rows for Table {table}, the document {len(seed)}"
    print(f"au-2023 Table {table}: {diffs.matched.get(f'au-2023 Table {table}', 0)}/{len(seed)} rows match")
    assert diffs.unexplained() == []


def test_table4_spelling_variant_is_the_same_university(run):
    """Table 4 spells Shanghai Jiao Tong University 'Shanghai Jiatong University': one entity, spelled as given."""
    t2 = {r["institution_name"]: r["institution"] for r in run("top-institutions", database="wos")}
    t4 = {r["institution_name"]: r["institution"] for r in run("top-institutions", database="cnki")}
    seed = au_tables()
    assert "Shanghai Jiatong University" in [row[1] for row in seed[4]]
    sjtu = ID + "actor/shanghai-jiao-tong-university"
    assert t4["Shanghai Jiatong University"] == t2["Shanghai Jiao Tong University"] == sjtu


def test_filters_of_the_bibliometric_tables(run):
    seed = au_tables()
    provincial = run("top-funders", level="provincial")
    assert sorted(r["funder_name"] for r in provincial) == sorted(row[1] for row in seed[1] if row[0] == "Provincial")
    beijing_cnki = run("top-institutions", database="cnki", city="Beijing")
    assert sorted(r["institution_name"] for r in beijing_cnki) == sorted(
        row[1] for row in seed[4] if row[0] == "Beijing")
    # city follows places upwards: Guangdong holds Guangzhou (Sun Yat Sen University) and the 'Guangdong' row.
    guangdong = {r["institution_name"] for r in run("top-institutions", city="Guangdong")}
    assert guangdong == {row[1] for row in seed[2] if row[0] in ("Guangzhou", "Guangdong")}
    assert run("top-funders", database="scopus") == []


# -- publication-trends against footnote 8 and the stated growth rates -------------------------------------------
def stated_numbers() -> tuple[dict[tuple[str, int], int], dict[tuple[str, str, str], float], dict[str, int]]:
    text = re.sub(r"\s+", " ", seed_text("au-2023"))
    yearly: dict[tuple[str, int], int] = {}
    for who, y2020, y2019, y2021 in re.findall(
            r"(For China|For the United States|Globally), in 2020 there were (\d+) publications "
            r"\(compared to (\d+) in 2019\), and in 2021 there were (\d+) publications", text):
        scope = {"For China": "China", "For the United States": "United States"}.get(who, "Globally")
        yearly |= {(scope, 2019): int(y2019), (scope, 2020): int(y2020), (scope, 2021): int(y2021)}
    growth: dict[tuple[str, str, str], float] = {}
    m = re.search(r"between 2019 and 2018 in China, publications grew by (\d+) percent, while in the same time "
                  r"period in the United States, there was only a growth of (\d+) percent", text)
    assert m
    growth |= {("China", "2018", "2019"): float(m[1]), ("United States", "2018", "2019"): float(m[2])}
    m = re.search(r"For 2018 and 2017, in China publications grew by (\d+) percent, and in the United States for "
                  r"the same period, there was only a growth of (\d+) percent", text)
    assert m
    growth |= {("China", "2017", "2018"): float(m[1]), ("United States", "2017", "2018"): float(m[2])}
    totals = {"wos": int(re.search(r"there were some ([\d,]+) articles related to precision medicine in WoS", text)[1]
                         .replace(",", "")),
              "cnki": int(re.search(r"yielded ([\d,]+) entries", text)[1].replace(",", ""))}
    return yearly, growth, totals


def test_publication_trends_match_footnote_8(run):
    yearly, growth, totals = stated_numbers()
    assert len(yearly) == 9 and len(growth) == 4
    rows = run("publication-trends")
    got_yearly = {(r["scope"], int(r["from"])): int(r["count"]) for r in rows
                  if r["measure"] == "papers" and r["from"] == r["to"]}
    assert got_yearly == yearly
    got_growth = {(r["scope"], r["from"], r["to"]): float(r["stated_percent"]) for r in rows
                  if r["measure"] == "publication-growth-percent"}
    assert got_growth == growth
    # growth computed from consecutive stated counts, e.g. China 2019 -> 2020: 247 -> 283 = +14.6 %
    for r in rows:
        if r["measure"] == "papers" and r["from"] == r["to"] and (r["scope"], int(r["from"]) - 1) in yearly:
            before, now = yearly[(r["scope"], int(r["from"]) - 1)], yearly[(r["scope"], int(r["from"]))]
            assert float(r["computed_growth_percent"]) == pytest.approx(round((now - before) * 100 / before, 1))
        elif r["measure"] == "papers":
            assert r["computed_growth_percent"] is None
    got_totals = {r["database"]: int(r["count"]) for r in rows
                  if r["scope"] == "Globally" and r["measure"] == "papers" and (r["from"], r["to"]) == ("2012", "2019")}
    assert got_totals == totals


def test_publication_trends_country_filter(run):
    yearly, _, _ = stated_numbers()
    china = run("publication-trends", country="China")
    assert {r["scope"] for r in china} == {"China"}
    assert sorted(int(r["count"]) for r in china if r["measure"] == "papers") == sorted(
        v for (scope, _), v in yearly.items() if scope == "China")


# -- the imported branch, on a synthetic fixture ---------------------------------------------------------------
# SYNTHETIC fixture: four invented papers (not real records) in the import graph of a source "wos-sample", with
# funders and affiliations resolved to real curated actors, as `pmkg import` writes them; a fifth paper in another
# import graph must not be counted. The curated graph (dist/pmkg.nq) is loaded alongside.
IMPORT_FIXTURE = """
@prefix pm: <https://w3id.org/pmkg/ontology#> .
@prefix actor: <https://w3id.org/pmkg/id/actor/> .
@prefix paper: <https://w3id.org/pmkg/id/publication/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
<https://w3id.org/pmkg/id/document/import-wos-sample> {
  paper:wos-000000000000001 a pm:Publication ; dcterms:title "Synthetic paper one" ; pm:wosId "WOS:000000000000001" ;
      pm:affiliatedActor actor:chinese-academy-of-sciences , actor:shanghai-jiao-tong-university .
  paper:wos-000000000000002 a pm:Publication ; dcterms:title "Synthetic paper two" ; pm:wosId "WOS:000000000000002" ;
      pm:affiliatedActor actor:chinese-academy-of-sciences .
  paper:wos-000000000000003 a pm:Publication ; dcterms:title "Synthetic paper three" ; pm:wosId "WOS:000000000000003" ;
      pm:affiliatedActor actor:fudan-university .
  paper:wos-000000000000004 a pm:Publication ; dcterms:title "Synthetic paper four" ; pm:wosId "WOS:000000000000004" ;
      pm:affiliatedActor actor:chinese-academy-of-sciences , actor:fudan-university .
  actor:nsfc pm:funds paper:wos-000000000000001 , paper:wos-000000000000002 , paper:wos-000000000000003 .
  actor:ministry-of-science-and-technology pm:funds paper:wos-000000000000002 .
  actor:chinese-academy-of-sciences pm:funds paper:wos-000000000000004 .
}
<https://w3id.org/pmkg/id/document/import-other-sample> {
  paper:wos-000000000000005 a pm:Publication ; pm:affiliatedActor actor:fudan-university .
  actor:nsfc pm:funds paper:wos-000000000000005 .
}
"""


@pytest.fixture(scope="module")
def import_backend(real_build) -> EmbeddedBackend:
    root, _ = real_build
    store = ox.Store()
    store.load(path=str(Path(root) / "dist" / "pmkg.nq"), format=ox.RdfFormat.N_QUADS)
    store.load(input=IMPORT_FIXTURE, format=ox.RdfFormat.TRIG)
    for source in ("wos-sample", "other-sample"):  # the summary `pmkg import` writes with the papers
        add_summary(store, ox.NamedNode(f"{DOC}import-{source}"))
    return EmbeddedBackend(store)


def test_imported_branch_counts_papers_per_funder_and_institution(import_backend):
    catalogue = load_catalogue(ROOT / "queries")

    def q(name: str, **params: str) -> list[dict[str, str | None]]:
        return run_query(catalogue[name], params, import_backend).records()

    funders = [(r["rank"], r["funder"].removeprefix(ID + "actor/"), r["count"], r["source"])
               for r in q("top-funders", database="imported:wos-sample")]
    assert funders == [("1", "nsfc", "3", "import-wos-sample"),
                       ("2", "chinese-academy-of-sciences", "1", "import-wos-sample"),
                       ("2", "ministry-of-science-and-technology", "1", "import-wos-sample")]
    institutions = [(r["rank"], r["institution"].removeprefix(ID + "actor/"), r["count"], r["city"])
                    for r in q("top-institutions", database="imported:wos-sample")]
    assert institutions == [("1", "chinese-academy-of-sciences", "3", "Beijing"),
                            ("2", "fudan-university", "2", "Shanghai"),
                            ("3", "shanghai-jiao-tong-university", "1", "Shanghai")]
    shanghai = q("top-institutions", database="imported:wos-sample", city="Shanghai")
    assert [r["institution_name"] for r in shanghai] == ["Fudan University", "Shanghai Jiao Tong University"]
    other = q("top-funders", database="imported:other-sample")
    assert [(r["funder"].removeprefix(ID + "actor/"), r["count"]) for r in other] == [("nsfc", "1")]
    # the curated tables are untouched by the imports
    assert len(q("top-funders", database="wos")) == 20
