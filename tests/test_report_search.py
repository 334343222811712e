"""`pmkg search` (typo-tolerant, ranked, says why), "did you mean" for entity parameters, listed string
values in any case, and the `events` query; through the installed console script where users meet them."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

from pmkg.catalogue import Param, load_catalogue
from pmkg.errors import QueryError
from pmkg.query import run_query, to_term
from pmkg.search import load_index, search

PMKG = str(Path(sys.executable).with_name("pmkg"))


def pmkg(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PMKG, *args, "--root", str(root)], capture_output=True, text=True, timeout=300,
                          check=False)


@pytest.fixture(scope="module")
def index(backend):
    return load_index(backend)


@pytest.mark.parametrize(("text", "kind", "expected"), [
    ("Zhejinag", "place", "zhejiang"),
    ("Zhejinag", "", "zhejiang"),
    ("track ii", "", "track-ii-dialogue-healthcare-2024"),
    ("Bejing genomics", "", "bgi"),
    ("Bejing genomics", "actor", "bgi"),
    ("CAS", "actor", "chinese-academy-of-sciences"),
    ("natonal health comission", "actor", "national-health-commission"),
    ("Peking univ", "actor", "peking-university"),
    ("Chinese Acad Sci", "actor", "chinese-academy-of-sciences"),
])
def test_search_finds_typos_first(backend, index, text, kind, expected):
    hits = search(backend, text, (kind,) if kind else (), index=index)
    assert hits and hits[0].id == expected, [(h.id, h.score, h.why) for h in hits[:5]]


def test_bejing_genomics_ranks_bgi_first_by_word_order_regression(backend, index):
    """Bug: "Bejing genomics" scored BGI's alias Beijing Genomics Institute and the label Beijing Institute
    of Genomics almost alike (the browser search put BGI second); words found in the search's order now
    count, so the name that holds the phrase ranks first, by more than rounding."""
    from pmkg.search import _tokens, adjacency
    query = _tokens("Bejing genomics")
    assert adjacency(query, _tokens("Beijing Genomics Institute")) == 1.0
    assert adjacency(query, _tokens("Beijing Institute of Genomics")) == 0.0
    hits = search(backend, "Bejing genomics", index=index)
    other = next(h for h in hits if h.id == "beijing-institute-of-genomics")
    assert hits[0].id == "bgi" and hits[0].score - other.score >= 5, [(h.id, h.score) for h in hits[:3]]


def test_search_ranks_names_above_mentions(backend, index):
    hits = search(backend, "Track II Dialogue", ("event", "person"), index=index)
    assert hits[0].kind == "event" and hits[0].field in ("label", "alias")
    mentions = [h for h in hits if h.kind == "person"]
    assert mentions and all(h.field in ("description", "quote") for h in mentions)


def test_search_finds_quoted_text(backend, index):
    hits = search(backend, "genomics sequencing powerhouse", ("actor",), index=index)
    assert hits[0].id == "bgi" and hits[0].field in ("description", "quote")


def test_search_cli_prints_id_kind_label_and_why(real_build):
    root = real_build[0]
    done = pmkg(root, "search", "Zhejinag", "--kind", "place", "--format", "csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert rows[0]["id"] == "zhejiang" and rows[0]["kind"] == "place" and rows[0]["label"] == "Zhejiang"
    assert rows[0]["field"] == "label" and rows[0]["matched"] == "Zhejiang"
    table = pmkg(root, "search", "track ii")
    assert table.returncode == 0 and "track-ii-dialogue-healthcare-2024" in table.stdout
    assert "why it" in table.stdout and "“U.S.-Chin" in table.stdout
    bad = pmkg(root, "search", "x", "--kind", "spaceship")
    assert bad.returncode == 2 and "is not a kind" in bad.stderr


def test_unresolved_entity_parameter_suggests_the_nearest(real_build):
    root = real_build[0]
    done = pmkg(root, "query", "people", "--param", "event=track-ii")
    assert done.returncode == 2
    assert "did you mean: track-ii-dialogue-healthcare-2024" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    typo = pmkg(root, "query", "actors", "--param", "country=Germny")
    assert "did you mean: germany (Germany)" in typo.stderr


def test_listed_string_values_in_any_case_or_an_error():
    param = Param("database", "string", values=["wos", "cnki", "imported:"])
    assert to_term(param, "WoS", None).value == "wos"
    assert to_term(param, "CNKI", None).value == "cnki"
    assert to_term(param, "Imported:my-file", None).value == "imported:my-file"
    with pytest.raises(QueryError, match=r"'scopus' is not one of wos, cnki, imported:<…>"):
        to_term(param, "scopus", None)


def test_enum_parameters_ignore_case(real_build, backend):
    catalogue = load_catalogue(real_build[0] / "queries")
    lower = run_query(catalogue["actors"], {"kind": "cluster"}, backend).rows
    upper = run_query(catalogue["actors"], {"kind": "CLUSTER"}, backend).rows
    assert lower == upper and len(lower) == 26
    with pytest.raises(QueryError, match="is not one of"):
        run_query(catalogue["actors"], {"kind": "clusters"}, backend)


def test_events_query_lists_every_event(real_build, backend):
    catalogue = load_catalogue(real_build[0] / "queries")
    rows = run_query(catalogue["events"], {}, backend).records()
    count = backend.select("SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE { ?e a <https://w3id.org/pmkg/ontology#Event> }")
    assert len(rows) == int(count.rows[0][0].text) == len({r["event"] for r in rows})
    dialogue = next(r for r in rows if r["event"].endswith("/track-ii-dialogue-healthcare-2024"))
    assert dialogue["participants"] == "20" and dialogue["place"] == "Tianjin"
    starts = [r["start"] for r in rows if r["start"]]
    assert starts == sorted(starts)
