"""Queries run in worker processes, so a query that runs too long can be stopped.

Oxigraph has no query timeout of its own in Python, and a thread cannot be
stopped; a worker process can.  Each worker opens the served store read-only
(mode "disk") or loads its own in-memory copy of it (mode "memory", from the
N-Quads files of the snapshot: :func:`pmkg.memory.load_folder`) and answers
one job at a time over a pipe; a job that overruns the time limit
gets its worker killed and replaced, and the caller a :class:`QueryTimeout`.
"""

from __future__ import annotations

import pickle
import queue
import select
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from pmkg.errors import PmkgError, QueryError

PM = "https://w3id.org/pmkg/ontology#"
DESCRIBE = f"""PREFIX pm: <{PM}>
CONSTRUCT {{ ?entity ?p ?o . ?cite ?cp ?co }}
WHERE {{ {{ ?entity ?p ?o }} UNION {{ ?cite pm:about ?entity ; a pm:Citation ; ?cp ?co }} }}"""
EXISTS = "ASK { ?entity ?p ?o }"
READY = ("ready",)
START_TIMEOUT = 600.0  # seconds a new worker may take to import and open (or load into memory) the store


class QueryTimeout(PmkgError):
    """A query ran longer than the server's limit and was stopped."""


@dataclass(frozen=True)
class CannedAnswer:
    columns: list[str]
    rows: list[list[Any]]
    notice: str | None


def _canned(store: Any, catalogue: dict, name: str, params: dict[str, str]) -> CannedAnswer:
    from pmkg.query import EmbeddedBackend, run_query

    result = run_query(catalogue[name], params, EmbeddedBackend(store))
    return CannedAnswer(result.columns, result.rows, result.notice)


def _sparql(store: Any, text: str, results_type: str, graph_type: str) -> tuple[str, str, bytes]:
    """(kind, media type, body) of any read-only query, serialised by Oxigraph."""
    import pyoxigraph as ox

    try:
        answer = store.query(text, use_default_graph_as_union=True)
    except SyntaxError as exc:
        raise QueryError(f"SPARQL syntax error: {exc}") from exc
    if isinstance(answer, ox.QueryTriples):
        fmt = ox.RdfFormat.from_media_type(graph_type)
        return "graph", fmt.media_type, answer.serialize(format=fmt)
    fmt = ox.QueryResultsFormat.from_media_type(results_type)
    kind = "boolean" if isinstance(answer, ox.QueryBoolean) else "solutions"
    return kind, fmt.media_type, answer.serialize(format=fmt)


def _describe(store: Any, iri: str, media_type: str) -> bytes | None:
    """The entity's triples (all graphs) and its citations, or None if the graph does not know it."""
    import pyoxigraph as ox

    bind = {ox.Variable("entity"): ox.NamedNode(iri)}
    if not store.query(EXISTS, use_default_graph_as_union=True, substitutions=bind):
        return None
    triples = store.query(DESCRIBE, use_default_graph_as_union=True, substitutions=bind)
    prefixes = {"pm": PM, "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
                "skos": "http://www.w3.org/2004/02/skos/core#", "schema": "https://schema.org/",
                "dcterms": "http://purl.org/dc/terms/", "org": "http://www.w3.org/ns/org#"}
    fmt = ox.RdfFormat.from_media_type(media_type)
    if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.N3, ox.RdfFormat.RDF_XML):
        return ox.serialize(triples, format=fmt, prefixes=prefixes)
    return ox.serialize(triples, format=fmt)


def open_served(store_dir: str, mode: str) -> Any:
    """The store a worker queries: ``store_dir`` opened read-only ("disk"), or the N-Quads files in
    ``store_dir`` loaded into memory ("memory")."""
    if mode == "memory":
        from pmkg.memory import load_folder

        return load_folder(Path(store_dir))
    import pyoxigraph as ox

    return ox.Store.read_only(store_dir)


def serve_jobs(reader: BinaryIO, writer: BinaryIO, store_dir: str, queries_dir: str, mode: str = "disk") -> None:
    """The worker's loop: one pickled job in, one pickled reply out, until the input closes."""
    from pmkg.catalogue import load_catalogue

    store = open_served(store_dir, mode)
    catalogue = load_catalogue(Path(queries_dir))
    pickle.dump(READY, writer)  # start-up done: the caller's time limit starts with the first job
    writer.flush()
    while True:
        try:
            job = pickle.load(reader)
        except EOFError:
            return
        kind, args = job[0], job[1:]
        try:
            if kind == "canned":
                reply: tuple = ("ok", _canned(store, catalogue, *args))
            elif kind == "sparql":
                reply = ("ok", _sparql(store, *args))
            elif kind == "describe":
                reply = ("ok", _describe(store, *args))
            else:
                raise QueryError(f"unknown job {kind!r}")
        except PmkgError as exc:
            reply = ("error", type(exc).__name__, "; ".join(exc.lines()))
        except (OSError, ValueError) as exc:
            reply = ("error", "QueryError", f"query failed: {exc}")
        pickle.dump(reply, writer)
        writer.flush()


class Worker:
    """``python -m pmkg.web.worker STORE QUERIES MODE``: a child process speaking pickles over its stdin/stdout."""

    def __init__(self, store_dir: Path, queries_dir: Path, mode: str = "disk") -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "pmkg.web.worker", str(store_dir), str(queries_dir),
                                         mode], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.ready = False

    def wait_ready(self) -> None:
        """Block until the worker has started (its start-up is not part of any query's time limit)."""
        if self.ready:
            return
        if self.receive(START_TIMEOUT) != READY:
            raise QueryError(f"the query worker did not start within {START_TIMEOUT:g} s")
        self.ready = True

    def send(self, job: tuple) -> None:
        assert self.process.stdin is not None
        pickle.dump(job, self.process.stdin)
        self.process.stdin.flush()

    def receive(self, timeout: float) -> tuple | None:
        """The reply, or None when none came within ``timeout`` seconds."""
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            return None
        return pickle.load(self.process.stdout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()


class QueryPool:
    """``workers`` processes on one read-only store (each with its own copy in memory when ``mode`` is
    "memory"); :meth:`run` blocks until an answer or the time limit."""

    def __init__(self, store_dir: Path, queries_dir: Path, workers: int = 2, timeout: float = 30.0,
                 mode: str = "disk") -> None:
        self.store_dir, self.queries_dir, self.timeout, self.mode = store_dir, queries_dir, timeout, mode
        self.idle: queue.Queue[Worker] = queue.Queue()
        self.all: list[Worker] = []
        self.lock = threading.Lock()
        for _ in range(workers):
            self._add()

    def _add(self) -> None:
        worker = Worker(self.store_dir, self.queries_dir, self.mode)
        with self.lock:
            self.all.append(worker)
        self.idle.put(worker)

    def _replace(self, worker: Worker) -> None:
        worker.stop()
        with self.lock:
            self.all.remove(worker)
        self._add()

    def run(self, *job: Any) -> Any:
        worker = self.idle.get()
        try:
            worker.wait_ready()
        except (QueryError, EOFError, OSError, pickle.UnpicklingError) as exc:
            self._replace(worker)
            raise QueryError(f"the query worker failed to start: {exc}") from exc
        try:
            worker.send(job)
            reply = worker.receive(self.timeout)
            if reply is None:
                self._replace(worker)
                raise QueryTimeout(f"the query ran longer than the server's limit of {self.timeout:g} s "
                                   "and was stopped",
                                   hint="narrow it with parameters, or start `pmkg serve --timeout` higher")
        except (EOFError, OSError, pickle.UnpicklingError) as exc:
            self._replace(worker)
            raise QueryError(f"the query worker failed: {exc}") from exc
        self.idle.put(worker)
        if reply[0] == "error":
            raise QueryError(reply[2])
        return reply[1]

    def close(self) -> None:
        with self.lock:
            workers, self.all = list(self.all), []
        for w in workers:
            w.stop()


def main() -> None:
    """Entry point of a worker process: replies go to the real stdout; stray prints go to stderr."""
    from pmkg.web.worker import serve_jobs as serve  # the module by its name, so replies unpickle as pmkg's classes

    out = sys.stdout.buffer
    sys.stdout = sys.stderr
    serve(sys.stdin.buffer, out, sys.argv[1], sys.argv[2], *sys.argv[3:4])


if __name__ == "__main__":
    main()
