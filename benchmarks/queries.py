"""Latency of every canned query (its defaults) on three engines over the same built data, and the time to publish.

- embedded: the on-disk Oxigraph store in dist/store (pyoxigraph, union default graph), as `pmkg query` runs;
- server: a local Oxigraph server (`oxigraph serve --union-default-graph`, in memory) loaded with
  `pmkg.publish`, each query a round trip through SPARQLWrapper (`--endpoint`);
- serve: what `pmkg serve` runs - `oxigraph serve-read-only` on a copy of the on-disk dist/store - also
  through SPARQLWrapper (the same storage as embedded, plus the HTTP round trip);
- rdflib: dist/pmkg.nq parsed into an rdflib Dataset with default_union=True, rdflib's SPARQL engine.

Each cell is the median of --runs runs after one warm-up run; a query that takes longer than --cap seconds on
an engine is stopped there and shown as "> cap".  Embedded and rdflib runs happen in a forked child so a slow
query can be stopped; the server is started with the same cap as its query timeout.  Queries with SERVICE
(header `endpoint_in_test`) are pointed at a second, empty local Oxigraph server.  Publish: median of --runs
publishes of the whole build into the server (each replaces every graph).

    .venv/bin/python benchmarks/queries.py --runs 5 --cap 60
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing as mp
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from rdflib import Dataset, Literal, URIRef

from pmkg.catalogue import QuerySpec, load_catalogue
from pmkg.errors import QueryError
from pmkg.publish import publish
from pmkg.query import EmbeddedBackend, Result, Value, run_query
from pmkg.remote import EndpointBackend
from pmkg.server import OxigraphServer, free_port, serve_snapshot
from pmkg.store import open_store

ROOT = Path(__file__).resolve().parents[1]
ENDPOINT_IN_TEST = re.compile(r"^#\+ endpoint_in_test:\s*(\S+)\s*$", re.MULTILINE)
DATASET: Dataset | None = None  # parsed once in the parent, inherited by forked children


class RdflibBackend:
    """rdflib's SPARQL engine over a Dataset whose default graph is the union of the named graphs."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset

    def select(self, text: str) -> Result:
        result = self.dataset.query(text)
        columns = [str(v) for v in result.vars or []]
        rows = [[_value(row[i]) for i in range(len(columns))] for row in result]
        return Result(columns, rows)

    def ask(self, text: str) -> bool:
        return bool(self.dataset.query(text).askAnswer)


def _value(term: object) -> Value | None:
    if term is None:
        return None
    if isinstance(term, URIRef):
        return Value(str(term), is_iri=True)
    if isinstance(term, Literal):
        return Value(str(term), datatype=str(term.datatype) if term.datatype else None)
    return Value(str(term))


def pointed_at(spec: QuerySpec, registry_url: str) -> QuerySpec:
    match = ENDPOINT_IN_TEST.search(spec.text)
    if match is None:
        return spec
    return dataclasses.replace(spec, text=spec.text.replace(f"<{match.group(1)}>", f"<{registry_url}>"))


def timed_runs(make: Callable[[], object], spec: QuerySpec, runs: int, cap: float) -> tuple[list[float], int]:
    """Warm-up plus ``runs`` timed runs; stops early once the total passes ``cap``.  (times, rows)"""
    backend = make()
    times: list[float] = []
    rows = -1
    spent = 0.0
    for i in range(runs + 1):
        start = time.perf_counter()
        result = run_query(spec, {}, backend)
        elapsed = time.perf_counter() - start
        spent += elapsed
        rows = len(result.rows)
        if i or runs == 0:
            times.append(elapsed)
        if spent > cap:
            times = times or [elapsed]
            break
    return times, rows


def _child(conn, which: str, dist: str, spec: QuerySpec, runs: int, cap: float) -> None:
    try:
        if which == "embedded":
            times, rows = timed_runs(lambda: EmbeddedBackend(open_store(Path(dist))), spec, runs, cap)
        else:
            times, rows = timed_runs(lambda: RdflibBackend(DATASET), spec, runs, cap)
        conn.send(("ok", times, rows))
    except Exception as exc:  # reported in the table, not raised
        conn.send(("error", type(exc).__name__, -1))


def in_child(which: str, dist: Path, spec: QuerySpec, runs: int, cap: float) -> tuple[str, int]:
    parent, child = mp.Pipe(duplex=False)
    proc = mp.get_context("fork").Process(target=_child, args=(child, which, str(dist), spec, runs, cap))
    proc.start()
    try:
        if parent.poll(cap * 2 + 5):
            status, value, rows = parent.recv()
            return (fmt(statistics.median(value)) if status == "ok" else value), rows
        return f"> {cap:g} s", -1
    finally:
        if proc.is_alive():
            proc.terminate()
        proc.join()


def on_server(url: str, spec: QuerySpec, runs: int, cap: float) -> tuple[str, int]:
    try:
        times, rows = timed_runs(lambda: EndpointBackend(url, timeout=cap + 5), spec, runs, cap)
    except QueryError as exc:  # the server stops a query at its --timeout-s (the cap) and answers an error
        slow = "within" in str(exc) or "500" in str(exc)
        return (f"> {cap:g} s" if slow else str(exc)[:60]), -1
    return fmt(statistics.median(times)), rows


def fmt(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def main() -> int:
    global DATASET
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cap", type=float, default=60.0, help="seconds per query and engine before giving up")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--queries", type=Path, default=ROOT / "queries")
    parser.add_argument("--only", nargs="*", help="query names (default: all)")
    args = parser.parse_args()
    dist: Path = args.dist
    if not (dist / "store").is_dir() or not (dist / "pmkg.nq").is_file():
        print(f"no build in {dist}: run `pmkg build` first", file=sys.stderr)
        return 2
    catalogue = load_catalogue(args.queries)
    names = args.only or list(catalogue)
    start = time.perf_counter()
    DATASET = Dataset(default_union=True)
    DATASET.parse(dist / "pmkg.nq", format="nquads")
    parse_s = time.perf_counter() - start
    print(f"rdflib: parsed {len(DATASET)} quads of dist/pmkg.nq in {parse_s:.2f} s", flush=True)
    cap_s = max(1, int(args.cap))
    with (OxigraphServer(query_timeout=cap_s) as server, OxigraphServer() as registry,
          serve_snapshot(dist, port=free_port()) as served):
        publish_times = []
        for _ in range(max(1, args.runs)):
            report = publish(dist, server.query_url)
            publish_times.append(report.seconds)
        print(f"publish: {len(report.written)} graphs, {report.triples} triples; first {fmt(publish_times[0])}, "
              f"median of {len(publish_times)} {fmt(statistics.median(publish_times))}", flush=True)
        header = (f"{'query':32} {'embedded':>10} {'server':>10} {'serve':>10} {'rdflib':>10}   "
                  "rows (emb/srv/serve/rdflib)")
        print(header)
        print("-" * len(header))
        for name in names:
            spec = pointed_at(catalogue[name], registry.query_url)
            if any(p.required and p.default is None for p in spec.params):
                print(f"{name:32} (needs a parameter; skipped)", flush=True)
                continue
            emb, emb_rows = in_child("embedded", dist, spec, args.runs, args.cap)
            srv, srv_rows = on_server(server.query_url, spec, args.runs, args.cap)
            dsk, dsk_rows = on_server(served.query_url, spec, args.runs, args.cap)
            rdf, rdf_rows = in_child("rdflib", dist, spec, args.runs, args.cap)
            rows = "/".join("-" if n < 0 else str(n) for n in (emb_rows, srv_rows, dsk_rows, rdf_rows))
            print(f"{name:32} {emb:>10} {srv:>10} {dsk:>10} {rdf:>10}   {rows}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
