"""``pmkg publish``: load the built graph into any SPARQL 1.1 server through the Graph Store Protocol.

What is published is the built store ``dist/store`` (every named graph: one
per source document, the ontology, the inferred graph, and imported paper
data), one HTTP ``PUT`` per named graph as N-Triples, which replaces that
graph on the server.  The steps, in this order, so that a failure leaves as
much of the previous release in place as the protocol allows:

1. list the graphs the server holds (SPARQL ``GRAPH ?g {}`` on the query
   endpoint) - a failure here means nothing was written;
2. ``PUT`` each graph of the release; a graph is replaced atomically by the
   server or not at all, but the release as a whole is not atomic: when a
   ``PUT`` fails, the graphs already written hold the new release, the others
   still hold the previous one, and the error names both;
3. ``DELETE`` the graphs of a previous release that this one no longer has -
   only graphs named in pmkg's IRI space (``https://w3id.org/pmkg/``), never
   anyone else's data on a shared server, and only after every ``PUT``
   succeeded;
4. count the triples of each written graph on the server and compare with
   what was sent (catches servers that answer 2xx and store nothing).

Blank nodes are scoped to one ``PUT`` (the graph's own document); pmkg mints
IRIs for every node, so none crosses graphs.

The Graph Store endpoint defaults to Oxigraph's layout (``…/query`` ->
``…/store``); other servers need ``--graph-store`` (Fuseki: ``…/DATASET/data``).
"""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from pmkg.errors import PmkgError, QueryError
from pmkg.remote import USER_AGENT, EndpointBackend
from pmkg.store import open_store

PMKG_IRI_SPACE = "https://w3id.org/pmkg/"
N_TRIPLES = "application/n-triples"
Progress = Callable[[int, int, str], None]
LIST_GRAPHS = "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }"
COUNT_GRAPHS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


class PublishError(PmkgError):
    """Publishing to a SPARQL server failed; the message says what the server now holds."""


class HttpFailure(PublishError):
    """The server answered a Graph Store request with an HTTP error status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class GraphPayload:
    """One graph of the release, serialised as N-Triples; ``name`` None is the default graph."""

    name: str | None
    data: bytes
    triples: int


@dataclass
class PublishReport:
    endpoint: str
    graph_store: str
    written: list[tuple[str | None, int]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def triples(self) -> int:
        return sum(n for _g, n in self.written)


def graph_store_url(endpoint: str, graph_store: str | None = None) -> str:
    """The Graph Store Protocol URL: given, or Oxigraph's ``/store`` next to its ``/query``."""
    if not endpoint.startswith(("http://", "https://")):
        raise PublishError(f"endpoint '{endpoint}' is not an http(s) URL")
    if graph_store:
        if not graph_store.startswith(("http://", "https://")):
            raise PublishError(f"graph store '{graph_store}' is not an http(s) URL")
        return graph_store
    parts = urllib.parse.urlsplit(endpoint)
    if parts.path.endswith("/query"):
        return urllib.parse.urlunsplit(parts._replace(path=parts.path[: -len("query")] + "store", query=""))
    raise PublishError(f"cannot tell the Graph Store endpoint of {endpoint}",
                       hint="pass --graph-store URL (Oxigraph: …/store, Fuseki: …/DATASET/data)")


def short(graph: str | None) -> str:
    """A graph's name for messages: the last path segment, or 'default graph'."""
    if graph is None:
        return "default graph"
    return graph.rstrip("/").rsplit("/", 1)[-1] or graph


def release_graphs(dist: Path) -> list[GraphPayload]:
    """Every graph of the built store as N-Triples, named graphs sorted by IRI, the default graph last."""
    store = open_store(dist)
    payloads = []
    names = sorted((g for g in store.named_graphs() if isinstance(g, ox.NamedNode)), key=lambda g: g.value)
    for graph in [*names, ox.DefaultGraph()]:
        data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph)
        count = data.count(b"\n")
        if isinstance(graph, ox.DefaultGraph):
            if count:
                payloads.append(GraphPayload(None, data, count))
        else:
            payloads.append(GraphPayload(graph.value, data, count))
    return payloads


def _target(graph_store: str, graph: str | None) -> str:
    query = "default" if graph is None else urllib.parse.urlencode({"graph": graph})
    return graph_store + ("&" if "?" in graph_store else "?") + query


def _http(method: str, url: str, timeout: float, data: bytes | None = None) -> int:
    """One Graph Store request; its status, or a one-line reason as PublishError."""
    headers = {"User-Agent": USER_AGENT}
    if data is not None:
        headers["Content-Type"] = N_TRIPLES
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as exc:
        detail = exc.read(300).decode("utf-8", "replace").strip().splitlines()
        text = f"HTTP {exc.code} {exc.reason}" + (f" ({detail[0][:160]})" if detail else "")
        raise HttpFailure(text, exc.code) from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError | socket.timeout):
            raise PublishError(f"no answer within {timeout:g} s") from exc
        raise PublishError(f"cannot connect: {exc.reason}") from exc
    except TimeoutError as exc:
        raise PublishError(f"no answer within {timeout:g} s") from exc
    except (OSError, ValueError) as exc:  # connection reset, bad status line, invalid URL
        raise PublishError(f"{type(exc).__name__}: {exc}") from exc


def server_graphs(backend: EndpointBackend) -> set[str]:
    return {row[0].text for row in backend.select(LIST_GRAPHS).rows if row and row[0] and row[0].is_iri}


def publish(dist: Path, endpoint: str, graph_store: str | None = None, *, timeout: float = 60.0,
            progress: Progress | None = None) -> PublishReport:
    """Load the release in ``dist`` into ``endpoint``; raise PublishError naming what was and was not written."""
    started = time.perf_counter()
    store_url = graph_store_url(endpoint, graph_store)
    backend = EndpointBackend(endpoint, timeout=timeout)
    payloads = release_graphs(dist)
    note = progress or (lambda _done, _total, _graph: None)
    try:
        before = server_graphs(backend)
    except QueryError as exc:
        raise PublishError(f"{exc}; nothing was written") from exc
    report = PublishReport(endpoint, store_url)
    new_names = {p.name for p in payloads if p.name is not None}
    stale = sorted(g for g in before if g.startswith(PMKG_IRI_SPACE) and g not in new_names)
    for index, payload in enumerate(payloads):
        note(index, len(payloads), short(payload.name))
        try:
            _http("PUT", _target(store_url, payload.name), timeout, payload.data)
        except PublishError as exc:
            raise PublishError(_partial(store_url, payload, exc, report, payloads[index + 1:], stale)) from exc
        report.written.append((payload.name, payload.triples))
    note(len(payloads), len(payloads), "")
    for graph in stale:
        try:
            _http("DELETE", _target(store_url, graph), timeout)
        except PublishError as exc:
            if isinstance(exc, HttpFailure) and exc.status == 404:
                continue
            raise PublishError(f"all {len(payloads)} graphs were written to {store_url}, but removing the stale "
                               f"graph {graph} failed: {exc}") from exc
        report.removed.append(graph)
    _verify(backend, payloads)
    report.seconds = time.perf_counter() - started
    return report


def _partial(store_url: str, failed: GraphPayload, exc: PublishError, report: PublishReport,
             rest: list[GraphPayload], stale: list[str]) -> str:
    done = len(report.written)
    total = done + 1 + len(rest)
    written = ", ".join(short(g) for g, _n in report.written) or "none"
    kept = ", ".join(short(p.name) for p in [failed, *rest])
    text = (f"publishing to {store_url} failed at graph {done + 1} of {total} ({short(failed.name)}): {exc}; "
            f"written: {written}; not written (previous content kept): {kept}")
    return text + (f"; {len(stale)} stale graph(s) not removed" if stale else "")


def _verify(backend: EndpointBackend, payloads: list[GraphPayload]) -> None:
    try:
        rows = backend.select(COUNT_GRAPHS).rows
    except QueryError as exc:
        raise PublishError(f"all graphs were written, but counting them on the server failed: {exc}") from exc
    held = {r[0].text: int(r[1].text) for r in rows if r[0] and r[1] and r[1].text.isdigit()}
    wrong = [f"{short(p.name)} holds {held.get(p.name, 0)} of {p.triples}" for p in payloads
             if p.name is not None and held.get(p.name, 0) != p.triples]
    if wrong:
        raise PublishError(f"the server accepted every graph but does not hold what was sent: {'; '.join(wrong)}")
