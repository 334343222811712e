"""Canned queries of issue 4 part B on the real graph, checked against the source documents."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml
from typer.testing import CliRunner

from pmkg.catalogue import load_catalogue
from pmkg.cli import app
from pmkg.importers.summary import add_summary
from pmkg.query import EmbeddedBackend, run_query
from pmkg.store import open_store
from tests.conftest import ROOT, needs_seeds
from tests.seedtables import FILES, causio_tables, seed_text, tab_blocks

runner = CliRunner()
pytestmark = needs_seeds()
MINE = ("sub-organisations", "people", "cross-border-ties", "regulations", "roadmap", "facilitators-barriers",
        "working-groups", "provenance", "conflicts", "external-ids", "chinese-partners-of-eu-clusters",
        "funders-of-affiliated-papers")
PM = "https://w3id.org/pmkg/ontology#"
ID = "https://w3id.org/pmkg/id/"


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def catalogue(real_build):
    return load_catalogue(real_build[0] / "queries")


@pytest.fixture(scope="module")
def backend(real_build):
    return EmbeddedBackend(open_store(real_build[0] / "dist"))


@pytest.fixture(scope="module")
def run(catalogue, backend):
    def _run(name: str, **params: str) -> list[dict[str, str | None]]:
        return run_query(catalogue[name], {k.replace("_", "-"): v for k, v in params.items()}, backend).records()
    return _run


# -- every query: header, defaults, documented example ------------------------------------------

@pytest.mark.parametrize("name", MINE)
def test_query_runs_with_defaults_and_with_its_example(name, catalogue, backend):
    spec = catalogue[name]
    assert spec.summary and spec.description and spec.columns
    assert all(p.description and p.example is not None for p in spec.params), name
    examples = {p.name: str(p.example) for p in spec.params}
    if spec.requires == "papers":  # the curated graph holds no import for an import-valued example to name
        examples = {k: v for k, v in examples.items() if not v.startswith("import-")}
    runs = [examples] + ([] if any(p.required for p in spec.params) else [{}])
    for given in runs:
        result = run_query(spec, given, backend)
        assert tuple(result.columns) == spec.columns, (name, given)


# -- people: the ncuscr-2024 attendee list -------------------------------------------------------

def attendees() -> dict[str, list[str]]:
    """The attendee entries of ncuscr-2024 by side; an entry ends at a line holding one space."""
    text = seed_text("ncuscr-2024")
    china = text[text.index("CHINESE PARTICIPANTS"):text.index("AMERICAN PARTICIPANTS")]
    us = text[text.index("AMERICAN PARTICIPANTS"):]
    sides = {}
    for side, section in (("China", china), ("US", us)):
        entries = [squash(e) for e in re.split(r"\n \n", section.split("\n", 1)[1])]
        sides[side] = [e for e in entries if e]
    return sides


def test_people_of_the_dialogue_match_the_attendee_list(run):
    seed = attendees()
    assert (len(seed["China"]), len(seed["US"])) == (12, 8)
    rows = run("people", event="track-ii-dialogue-healthcare-2024")
    assert len(rows) == 20
    for side, entries in seed.items():
        got = [r for r in rows if r["side"] == side]
        assert len(got) == len(entries) == len(run("people", event="track-ii-dialogue-healthcare-2024", side=side))
        for entry in entries:
            matching = [r for r in got if entry.lower().startswith(r["name"].lower())]
            assert len(matching) == 1, (side, entry[:40], [r["name"] for r in got])
            person = matching[0]
            assert (person["role"] == "co-chair") == ("co-chair" in entry.lower()), entry[:40]
            assert (person["role"] == "co-organiser") == ("co-organizer" in entry.lower()), entry[:40]


def test_people_filter_by_affiliation_follows_sub_organisations(run):
    rows = run("people", affiliation="Peking University")
    names = {r["name"] for r in rows}
    # XU Ming's posts are at PKU's Department of Global Health and Institute for Global Health (sub-organisations).
    assert {"Xu Ming", "Lei Xiaoyan", "Gordon G. Liu", "Xiao Rui-Ping"} <= names
    assert "Mark B. McClellan" not in names


# -- working groups: icdk-2019 Table 10 and the IC2PerMed working groups -------------------------

def test_working_groups_of_the_cmde_platform_are_table_10(run):
    block = next(b for b in tab_blocks("icdk-2019") if b[0] == ["Working group", "Key responsibilities"])
    table10 = block[1:]
    assert len(table10) == 10
    rows = run("working-groups", body="Cooperation platform for AI medical device innovation")
    assert [(r["groupLabel"], r["responsibilities"]) for r in rows] == [tuple(r) for r in table10]
    assert [r["order"] for r in rows] == [str(i) for i in range(1, 11)]
    assert all(r["sources"] == f"icdk-2019, Table 10, row {i}" for i, r in enumerate(rows, start=1))


def test_ic2permed_working_groups_carry_the_brochure_themes(run):
    text = seed_text("ic2permed-brochure")
    themes = re.findall(r"#### WORKING GROUP (\d)\n\n((?:- .*\n)+)", text)
    assert len(themes) == 3
    rows = run("working-groups", body="IC2PerMed")
    assert len(rows) == 3
    for (number, bullets), row in zip(themes, rows, strict=True):
        assert row["groupLabel"].endswith(f"Working Group {number}")
        for theme in re.findall(r"- (.*)", bullets):
            assert theme.strip() in row["responsibilities"]


# -- roadmap, facilitators and barriers: ic2permed-brochure -------------------------------------

def brochure_roadmap() -> list[tuple[str, list[str]]]:
    text = seed_text("ic2permed-brochure")
    part = text[text.index("# The IC2PerMed Roadmap: the actions"):text.index("## What are the main areas")]
    areas: list[tuple[str, list[str]]] = []
    for line in part.splitlines():
        if line.startswith("## "):
            areas.append((line[3:].strip(), []))
        elif line.startswith("### "):
            areas[-1][1].append(line[4:].strip())
    return areas


def test_roadmap_lists_the_brochure_action_areas_and_actions_in_order(run):
    seed = brochure_roadmap()
    assert len(seed) == 7 and sum(len(a) for _, a in seed) == 24
    rows = run("roadmap")
    got: list[tuple[str, list[str]]] = []
    for r in rows:
        if not got or got[-1][0] != r["area"]:
            got.append((r["area"], []))
        got[-1][1].append(re.sub(r" \(.*\)$", "", r["action"]))  # "Collaborations (healthcare workforce)"
    assert [(a.lower(), [x.lower() for x in acts]) for a, acts in got] == \
        [(a.lower(), [x.lower() for x in acts]) for a, acts in seed]
    one = run("roadmap", area="ADOPTING Big Data and ICT solutions")
    assert [r["action"] for r in one] == ["Data exchange", "Privacy, security & trust", "Standards"]


def test_facilitators_and_barriers_are_the_brochure_lists(run):
    text = seed_text("ic2permed-brochure")
    facilitators = re.findall(r"^- ✓ (.*)$", text, re.MULTILINE)
    barriers = re.findall(r"^- ✗ (.*)$", text, re.MULTILINE)
    assert (len(facilitators), len(barriers)) == (4, 6)
    rows = run("facilitators-barriers")
    assert [r["item"] for r in rows if r["list"] == "facilitator"] == [f.strip() for f in facilitators]
    assert [r["item"] for r in rows if r["list"] == "barrier"] == [b.strip() for b in barriers]
    assert {r["document"] for r in rows} == {"ic2permed-brochure"}


# -- provenance and conflicts --------------------------------------------------------------------

def test_provenance_of_bgi_gives_its_table_row_and_quotes(run):
    _, table2 = causio_tables()
    name, region, website, typology = table2[2]
    assert name == "BGI"
    rows = run("provenance", entity="bgi")
    row3 = {(r["predicate"], r["value"]) for r in rows
            if r["subject"] == "bgi" and (r["document"], r["location"]) == ("causio-2023", "Table 2, row 3")}
    assert {("rdfs:label", name), ("pm:locatedIn", region), ("schema:url", website),
            ("rdf:type", "research and technology organisation")} <= row3
    assert typology == "RTO"
    quoted = [r for r in rows if r["quote"] and r["document"] in FILES]  # registry links quote the record's name
    assert any(r["location"] == "Results, China (Beijing)" for r in quoted)
    seeds = {doc: squash(seed_text(doc)) for doc in {r["document"] for r in quoted}}
    for r in quoted:  # every quote is a sentence of its document
        assert squash(r["quote"]) in seeds[r["document"]], r["quote"]
    websites = {r["value"]: r["conflict"] for r in rows if r["predicate"] == "schema:url"}
    assert websites == {website: "bgi-website", "https://en.genomics.cn/en-about.html": "bgi-website"}


def test_conflicts_list_both_claims_of_the_known_seed_defects(run):
    _, table2 = causio_tables()
    text = squash(seed_text("causio-2023"))
    cprmc = run("conflicts", entity="cancer-precision-medicine-research-center")
    region = {(r["value"], r["location"]) for r in cprmc if r["conflict"] == "cprmc-region"}
    assert region == {(table2[14][1], "Table 2, row 15"), ("Chongqing", "Results, China (Chongqing)")}
    assert "The Municipality of Chongqing hosts the Cancer Precision Medicine Research Center" in text
    ncc = run("conflicts", entity="national-cancer-center-china")
    places = {(r["value"], r["location"]) for r in ncc if r["conflict"] == "national-cancer-center-china-region"}
    assert {("Beijing", "Table 2, row 5"), ("Guangdong", "Table 2, row 8")} <= places
    assert (table2[4][1], table2[7][1]) == ("Beijing", "Guandong")
    sites = {(r["value"], r["location"]) for r in ncc if r["conflict"] == "national-cancer-center-china-website"}
    assert {(table2[4][2], "Table 2, row 5"), (table2[7][2], "Table 2, row 8")} <= sites
    everything = run("conflicts")
    assert {r["conflict"] for r in everything} >= {"cprmc-region", "national-cancer-center-china-region"}
    for r in everything:  # every conflict shows at least two claims
        assert len({(x["document"], x["location"], x["quote"]) for x in everything
                    if x["conflict"] == r["conflict"]}) >= 2, r["conflict"]


# -- organisation trees, ties, regulations -------------------------------------------------------

def test_sub_organisations_of_cas(run):
    rows = run("sub-organisations")
    ids = {r["organisation"] for r in rows}
    # ncuscr-2024: "Institute of Microbiology, Chinese Academy of Sciences"; causio-2023 Table 2 row 2 and text.
    assert {"cas-institute-of-microbiology", "beijing-institute-of-genomics",
            "guangzhou-institute-of-biomedicine-and-health"} <= ids
    assert all(1 <= int(r["level"]) <= 3 and r["sources"] for r in rows)
    assert all(r["parent"] == "chinese-academy-of-sciences" for r in rows if r["level"] == "1")
    pku = run("sub-organisations", parent="Peking University")
    one = run("sub-organisations", parent="Peking University", depth="1")
    assert {r["organisation"] for r in one} < {r["organisation"] for r in pku}
    assert ("pku-department-of-global-health", "2") in {(r["organisation"], r["level"]) for r in pku}
    assert "Chair, Department of Global Health, School of Public Health, PKU" in squash(seed_text("ncuscr-2024"))


def test_cross_border_ties_join_actors_of_the_two_places(run):
    china = {r["actor"].rsplit("/", 1)[-1] for r in run("actors", region="China")}
    us = {r["actor"].rsplit("/", 1)[-1] for r in run("actors", country="United States")}
    rows = run("cross-border-ties", **{"from": "China", "to": "United States"})
    assert rows and all(r["fromActor"] in china and r["toActor"] in us for r in rows)
    got = {(r["kind"], r["fromActor"], r["toActor"], r["document"]) for r in rows}
    # ncuscr-2024: the NCUSCR and PKU's NSD convened the Dialogue; icdk-2019 §2.6.1: SIAT partners with MIT.
    assert ("bilateral dialogue", "peking-university-nsd", "ncuscr", "ncuscr-2024") in got
    assert ("event", "peking-university-nsd", "ncuscr", "ncuscr-2024") in got
    assert ("partner of", "siat", "mit", "icdk-2019") in got
    eu = {r["actor"].rsplit("/", 1)[-1] for r in run("actors", region="EU")}
    assert all(r["toActor"] in eu for r in run("cross-border-ties", **{"from": "China", "to": "EU"}))


def test_regulations_on_biosecurity_are_the_two_laws_of_ncuscr(run):
    text = squash(seed_text("ncuscr-2024"))
    assert "BIOSECURE Act in the United States and the Biosecurity Law of the People’s Republic of China" \
        " (adopted in 2020)" in text and "postponed to 2032" in text
    rows = {r["policy"]: r for r in run("regulations", topic="biosecurity")}
    assert set(rows) == {"biosecure-act", "prc-biosecurity-law"}
    assert (rows["biosecure-act"]["jurisdiction"], rows["biosecure-act"]["effective"]) == ("United States", "2032")
    assert (rows["prc-biosecurity-law"]["jurisdiction"], rows["prc-biosecurity-law"]["issued"]) == ("China", "2020")
    assert all(r["kind"] in ("law", "regulation", "guideline") for r in run("regulations"))


# -- chinese partners of EU clusters -------------------------------------------------------------

def topic_closure(backend, entity: str) -> set[str]:
    text = (f"SELECT DISTINCT ?t WHERE {{ <{ID}actor/{entity}> <{PM}focus>/"
            "<http://www.w3.org/2004/02/skos/core#broader>* ?t }")
    return {row[0].text for row in backend.select(text).rows}


def evidence_of(backend, cluster: str) -> dict[str, tuple[float, int]]:
    """(evidence score, citing documents) of every materialised candidate of a cluster, read directly."""
    text = (f"SELECT ?a ?s ?d WHERE {{ ?e <{PM}forCluster> <{ID}actor/{cluster}> ; <{PM}candidate> ?a ;"
            f" <{PM}evidenceScore> ?s ; <{PM}citingDocuments> ?d }}")
    return {row[0].text.rsplit("/", 1)[-1]: (float(row[1].text), int(row[2].text)) for row in backend.select(text).rows}


def test_chinese_partners_are_ranked_by_evidence(run, backend):
    """No EU cluster has a documented tie to a Chinese actor, so the order is the materialised evidence score
    (shared topics 10 / df + 10 x text similarity + 0.5 complementary), then documents, then IRI."""
    rows = run("chinese-partners-of-eu-clusters", cluster="BioLAGO", limit="3")
    assert [r["rank"] for r in rows] == ["1", "2", "3"]
    china = {r["actor"].rsplit("/", 1)[-1] for r in run("actors", region="China")}
    cluster_topics = topic_closure(backend, "biolago")
    evidence = evidence_of(backend, "biolago")
    expected = sorted(evidence, key=lambda a: (-evidence[a][0], -evidence[a][1], f"{ID}actor/{a}"))[:3]
    assert [r["actor"] for r in rows] == expected
    for r in rows:
        shared = cluster_topics & topic_closure(backend, r["actor"])
        assert r["actor"] in china and not r["ties"]
        assert len(shared) == (len(r["sharedTopics"].split("; ")) if r["sharedTopics"] else 0)
        assert float(r["score"]) == evidence[r["actor"]][0] and int(r["documents"]) == evidence[r["actor"]][1]
        assert r["sharedTerms"]
    everything = run("chinese-partners-of-eu-clusters")
    per_cluster: dict[str, int] = {}
    for r in everything:
        per_cluster[r["cluster"]] = per_cluster.get(r["cluster"], 0) + 1
    assert len(per_cluster) == 26 and max(per_cluster.values()) <= 10


# -- external ids --------------------------------------------------------------------------------

def test_external_ids_are_the_accepted_links(run):
    expected = set()
    for path in sorted((ROOT / "kg" / "links").glob("*.yaml")):
        for link in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("links", []):
            if link["about"] == "chinese-academy-of-sciences" and link.get("status") == "accepted":
                expected.add((link["identifier"], link["iri"], link["registry_doc"]))
    rows = run("external-ids", entity="chinese-academy-of-sciences")
    assert {(r["identifier"], r["match"], r["document"]) for r in rows} == expected


# -- funders of affiliated papers ----------------------------------------------------------------

def test_funders_query_says_no_paper_level_data_on_the_curated_graph(catalogue, backend, real_build):
    result = run_query(catalogue["funders-of-affiliated-papers"], {}, backend)
    assert result.rows == [] and result.notice and "No paper-level data is loaded" in result.notice
    out = runner.invoke(app, ["query", "funders-of-affiliated-papers", "--root", str(real_build[0]),
                              "--format", "csv"])
    assert out.exit_code == 0 and "No paper-level data is loaded" in out.output


def test_funders_of_affiliated_papers_counts_papers_and_shares(catalogue, real_build):
    """Three imported papers added to a copy of the real graph (in memory)."""
    store = ox.Store()
    store.bulk_load(path=str(Path(real_build[0] / "dist" / "pmkg.nq")), format=ox.RdfFormat.N_QUADS)
    graph = ox.NamedNode(f"{ID}document/import-test")
    pub, aff, funds = (ox.NamedNode(PM + x) for x in ("Publication", "affiliatedActor", "funds"))
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    cas = "chinese-academy-of-sciences"
    papers = {"p1": (["siat"], ["nsfc"]), "p2": ([cas], ["nsfc", cas]), "p3": (["peking-university"], ["nsfc"])}
    for paper, (affiliations, funders) in papers.items():
        node = ox.NamedNode(f"{ID}publication/{paper}")
        store.add(ox.Quad(node, rdf_type, pub, graph))
        store.extend(ox.Quad(node, aff, ox.NamedNode(f"{ID}actor/{a}"), graph) for a in affiliations)
        store.extend(ox.Quad(ox.NamedNode(f"{ID}actor/{f}"), funds, node, graph) for f in funders)
    add_summary(store, graph)  # the summary `pmkg import` writes with the papers
    spec = catalogue["funders-of-affiliated-papers"]
    with_subs = run_query(spec, {}, EmbeddedBackend(store))
    assert with_subs.notice is None
    assert [(r["funder"], r["papers"], r["share"], r["allPapers"]) for r in with_subs.records()] == \
        [("nsfc", "2", "100", "2"), ("chinese-academy-of-sciences", "1", "50", "2")]
    alone = run_query(spec, {"include-suborgs": "false"}, EmbeddedBackend(store)).records()
    assert sorted((r["funder"], r["papers"], r["allPapers"]) for r in alone) == \
        [("chinese-academy-of-sciences", "1", "1"), ("nsfc", "1", "1")]
