"""`pmkg publish` against real Oxigraph servers: every graph written, previous releases replaced and their
stale graphs removed (pmkg's only), and what a failure leaves behind, said in one line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

from pmkg.cli import app
from pmkg.publish import PMKG_IRI_SPACE, PublishError, graph_store_url, publish, release_graphs, short
from pmkg.remote import EndpointBackend
from pmkg.server import OxigraphServer
from pmkg.store import open_store
from tests.oxserver import broken_server, closed_port, failing_proxy, oxigraph, put_graph, update

runner = CliRunner()
FOREIGN = "http://example.org/someone-else"
STALE = PMKG_IRI_SPACE + "id/document/withdrawn-2019"
MARKER = "<urn:pmkg-test:previous> <urn:pmkg-test:release> \"old\" ."


@pytest.fixture(scope="module")
def root(real_build) -> Path:
    return real_build[0]


@pytest.fixture(scope="module")
def expected(root: Path) -> dict[str, int]:
    """Triples per named graph of the built store, counted by the store itself."""
    store = open_store(root / "dist")
    return {g.value: sum(1 for _ in store.quads_for_pattern(None, None, None, g)) for g in store.named_graphs()}


@pytest.fixture
def server() -> Iterator[OxigraphServer]:
    with oxigraph() as srv:
        yield srv


def held(server: OxigraphServer) -> dict[str, int]:
    rows = EndpointBackend(server.query_url).select(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g").rows
    return {r[0].text: int(r[1].text) for r in rows}


def has_marker(server: OxigraphServer) -> set[str]:
    rows = EndpointBackend(server.query_url).select(
        "SELECT ?g WHERE { GRAPH ?g { <urn:pmkg-test:previous> <urn:pmkg-test:release> \"old\" } }").rows
    return {r[0].text for r in rows}


def previous_release(server: OxigraphServer, root: Path) -> None:
    """The target as a previous release left it: every graph with one triple more, a graph since withdrawn,
    and someone else's graph."""
    publish(root / "dist", server.query_url)
    update(server, "INSERT { GRAPH ?g { " + MARKER + " } } WHERE { SELECT DISTINCT ?g WHERE { GRAPH ?g { } } }")
    put_graph(server, STALE, f"<{STALE}> <http://www.w3.org/2000/01/rdf-schema#label> \"withdrawn\" .\n")
    put_graph(server, FOREIGN, "<http://example.org/a> <http://example.org/b> \"not ours\" .\n")


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_release_graphs_are_the_store(root: Path, expected: dict[str, int]) -> None:
    payloads = release_graphs(root / "dist")
    assert {p.name: p.triples for p in payloads} == expected
    assert len(expected) >= 5 and all(expected.values())
    assert PMKG_IRI_SPACE + "graph/ontology" in expected and PMKG_IRI_SPACE + "graph/inferred" in expected
    for p in payloads:  # the N-Triples parse back to the counted triples
        store = ox.Store()
        store.load(p.data, format=ox.RdfFormat.N_TRIPLES)
        assert len(store) == p.triples


def test_publish_replaces_previous_release(server: OxigraphServer, root: Path, expected: dict[str, int]) -> None:
    previous_release(server, root)
    assert has_marker(server) == set(expected)
    report = publish(root / "dist", server.query_url)
    assert [g for g, _n in report.written] == sorted(expected)
    assert report.removed == [STALE]
    assert report.triples == sum(expected.values())
    assert held(server) == {**expected, FOREIGN: 1}  # replaced exactly; someone else's graph untouched
    assert has_marker(server) == set()
    again = publish(root / "dist", server.query_url)  # idempotent: nothing doubled, nothing to remove
    assert again.removed == [] and held(server) == {**expected, FOREIGN: 1}


def test_publish_cli(server: OxigraphServer, root: Path, expected: dict[str, int]) -> None:
    put_graph(server, STALE, f"<{STALE}> <http://www.w3.org/2000/01/rdf-schema#label> \"withdrawn\" .\n")
    code, out, err = cli("publish", "--endpoint", server.query_url, "--root", str(root))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(f"published {len(expected)} graphs ({sum(expected.values())} triples) "
                               f"to {server.store_url} in ")
    assert lines[1] == "removed 1 graph(s) of a previous release: withdrawn-2019"
    assert held(server) == expected


def test_explicit_graph_store(server: OxigraphServer, root: Path, expected: dict[str, int]) -> None:
    code, _out, err = cli("publish", "--endpoint", server.query_url, "--graph-store", server.store_url,
                          "--root", str(root))
    assert code == 0, err
    assert held(server) == expected


def test_graph_store_url(root: Path) -> None:
    assert graph_store_url("http://127.0.0.1:7878/query") == "http://127.0.0.1:7878/store"
    assert graph_store_url("http://h/ds/sparql", "http://h/ds/data") == "http://h/ds/data"
    with pytest.raises(PublishError, match="cannot tell the Graph Store endpoint"):
        graph_store_url("http://h/ds/sparql")
    code, out, err = cli("publish", "--endpoint", "http://127.0.0.1:9/ds/sparql", "--root", str(root))
    assert code == 2 and out == ""
    assert err.strip().splitlines() == ["error: cannot tell the Graph Store endpoint of http://127.0.0.1:9/ds/sparql "
                                        "(hint: pass --graph-store URL (Oxigraph: …/store, Fuseki: …/DATASET/data))"]


@pytest.mark.parametrize("good", [0, 3])
def test_failure_half_way_says_what_was_written(server: OxigraphServer, root: Path, expected: dict[str, int],
                                                good: int) -> None:
    """A real server behind a proxy that fails after `good` PUTs: written graphs hold the new release, the rest
    the previous one, the withdrawn graph stays (it is removed only after every PUT), and the message says so."""
    previous_release(server, root)
    names = sorted(expected)
    with failing_proxy(server, good) as proxy:
        code, out, err = cli("publish", "--endpoint", proxy + "/query", "--root", str(root))
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    written = ", ".join(short(g) for g in names[:good]) or "none"
    kept = ", ".join(short(g) for g in names[good:])
    assert lines[0] == (f"error: publishing to {proxy}/store failed at graph {good + 1} of {len(names)} "
                        f"({short(names[good])}): HTTP 500 Internal Server Error; written: {written}; "
                        f"not written (previous content kept): {kept}; 1 stale graph(s) not removed")
    now = held(server)
    assert has_marker(server) == set(names[good:])
    assert STALE in now and FOREIGN in now
    assert {g: now[g] for g in names[:good]} == {g: expected[g] for g in names[:good]}
    assert all(now[g] == expected[g] + 1 for g in names[good:])


def test_server_that_stores_nothing(server: OxigraphServer, root: Path) -> None:
    """PUTs answered 200 with an empty body and nothing stored: the count check catches it."""
    with failing_proxy(server, 0, failure="empty") as proxy, pytest.raises(PublishError) as caught:
        publish(root / "dist", proxy + "/query", timeout=10)
    message = str(caught.value)
    assert message.startswith("the server accepted every graph but does not hold what was sent: ")
    assert "causio-2023 holds 0 of " in message and "\n" not in message


EXPECTED = {"refused": "cannot reach endpoint", "sleep": "did not answer within 1 s", "500": "HTTP status code 500",
            "empty": "answered 200 with an empty body"}


@pytest.mark.parametrize("mode", sorted(EXPECTED))
def test_publish_to_failing_server(mode: str, root: Path) -> None:
    """Nothing can be written when the server cannot even list its graphs: exit 2, one line saying so."""
    if mode == "refused":
        url = f"http://127.0.0.1:{closed_port()}"
        code, out, err = cli("publish", "--endpoint", url + "/query", "--timeout", "1", "--root", str(root))
    else:
        with broken_server(mode) as url:
            code, out, err = cli("publish", "--endpoint", url + "/query", "--timeout", "1", "--root", str(root))
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and EXPECTED[mode] in lines[0]
    assert lines[0].endswith("; nothing was written")
