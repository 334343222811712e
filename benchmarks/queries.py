"""Latency of every canned query case at 1x, 10x and 100x the curated graph, next to rdflib's engine.

A case is a query with its defaults, or with one parameter set to its example (the header's
``example``), so each query is timed as `pmkg query NAME` and `pmkg query NAME --param p=example`
run it.  Engines, over the same built data:

- embedded: the on-disk Oxigraph store in dist/store (pyoxigraph, union default graph), as `pmkg query`
  runs it; the product.
- rdflib (the baseline): dist/pmkg.nq parsed into an rdflib Dataset with default_union=True, rdflib's
  SPARQL engine, in the same process, on the same rendered text.  Skipped above --rdflib-max copies
  (parsing 4.7 M quads alone takes minutes).

Each cell is the median of --runs runs after one warm-up run, as wall-clock time and (embedded) as the
CPU time the process used (on a shared, loaded machine the wall clock mostly measures the wait for a
core; the CPU time is the work the query costs); a case still running after --cap seconds
(embedded) or --rdflib-cap seconds (rdflib) is stopped there (forked child) and shown as "> cap".
Each result's row count is recorded: ``--compare OLD.json`` lists every case whose row count changed.

Sizes above 1 are synthetic copies (benchmarks/synth.py) built with the real pipeline into --work
(kept and reused with --reuse: the 100x build takes ~8 minutes and ~17 GB).

    .venv/bin/python benchmarks/queries.py --sizes 1 10 100 --runs 5 --out benchmarks/results/queries
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import re
import statistics
import sys
import time
from pathlib import Path

from rdflib import Dataset, Literal, URIRef

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from synth import make_synthetic  # noqa: E402

from pmkg.catalogue import QuerySpec, example_cases, load_catalogue  # noqa: E402
from pmkg.query import EmbeddedBackend, Result, Value, run_query  # noqa: E402
from pmkg.store import open_store  # noqa: E402

ENDPOINT_IN_TEST = re.compile(r"^#\+ endpoint_in_test:\s*(\S+)\s*$", re.MULTILINE)
DATASET: Dataset | None = None  # parsed once in the parent, inherited by forked children
Case = tuple[str, dict[str, str]]


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


def timed_runs(backend: object, spec: QuerySpec, given: dict[str, str], runs: int,
               cap: float) -> tuple[list[float], list[float], int]:
    """Warm-up plus ``runs`` timed runs; stops early once the total passes ``cap``.

    (wall-clock times, CPU times of this process, rows).  The CPU time is what the query costs
    when the machine is shared: the engine runs in this thread, so it is the work done, without
    the time spent waiting for a core."""
    times: list[float] = []
    cpu: list[float] = []
    rows = -1
    spent = 0.0
    for i in range(runs + 1):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = run_query(spec, given, backend)
        elapsed, used = time.perf_counter() - start, time.process_time() - start_cpu
        spent += elapsed
        rows = len(result.rows)
        if i:
            times.append(elapsed)
            cpu.append(used)
        if spent > cap:
            times, cpu = times or [elapsed], cpu or [used]
            break
    return times, cpu, rows


def _child(conn, which: str, dist: str, spec: QuerySpec, given: dict[str, str], runs: int, cap: float) -> None:
    try:
        backend = EmbeddedBackend(open_store(Path(dist))) if which == "embedded" else RdflibBackend(DATASET)
        times, cpu, rows = timed_runs(backend, spec, given, runs, cap)
        conn.send(("ok", statistics.median(times), statistics.median(cpu), rows))
    except Exception as exc:  # reported in the table, not raised
        conn.send(("error", type(exc).__name__, None, -1))


def in_child(which: str, dist: Path, spec: QuerySpec, given: dict[str, str], runs: int,
             cap: float) -> tuple[float | str, float | None, int]:
    """(median seconds or an error name or "> cap", median CPU seconds, rows)"""
    parent, child = mp.Pipe(duplex=False)
    proc = mp.get_context("fork").Process(target=_child, args=(child, which, str(dist), spec, given, runs, cap))
    proc.start()
    try:
        if parent.poll(cap + 5 if which == "rdflib" else cap * 2 + 10):
            _status, value, cpu, rows = parent.recv()
            return value, cpu, rows
        return f"> {cap:g} s", None, -1
    finally:
        if proc.is_alive():
            proc.terminate()
        proc.join()


def fmt(value: float | str | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value[:12]
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def dist_for(copies: int, work: Path, reuse: bool, dist1: Path) -> Path:
    """dist/ of the curated graph (1x) or of a synthetic copy built with the real pipeline."""
    if copies == 1:
        return dist1
    dist = work / f"dist-{copies}"
    if reuse and (dist / "store").is_dir():
        return dist
    from pmkg.pipeline import Paths, build

    kg = make_synthetic(ROOT / "kg", work / f"kg-{copies}", copies)
    start = time.perf_counter()
    build(Paths(root=ROOT, kg=kg, dist=dist, imports=work / "no-imports"))
    print(f"built {copies}x into {dist} in {time.perf_counter() - start:.0f} s", flush=True)
    return dist


def bench_size(copies: int, dist: Path, catalogue: dict[str, QuerySpec], args: argparse.Namespace) -> list[dict]:
    global DATASET
    with_rdflib = copies <= args.rdflib_max
    DATASET = None
    if with_rdflib:
        start = time.perf_counter()
        DATASET = Dataset(default_union=True)
        DATASET.parse(dist / "pmkg.nq", format="nquads")
        print(f"rdflib: parsed {len(DATASET)} quads of {dist}/pmkg.nq in {time.perf_counter() - start:.1f} s")
    print(f"\n== {copies}x  ({dist})")
    header = f"{'case':58} {'embedded':>10} {'emb cpu':>10} {'rdflib':>10}   rows (emb/rdflib)"
    print(header + "\n" + "-" * len(header), flush=True)
    rows = []
    for name, spec in catalogue.items():
        if ENDPOINT_IN_TEST.search(spec.text):  # SERVICE to a registry: not a local query
            continue
        for label, given in example_cases(spec):
            emb, emb_cpu, emb_rows = in_child("embedded", dist, spec, given, args.runs, args.cap)
            rdf, _, rdf_rows = (in_child("rdflib", dist, spec, given, args.runs, args.rdflib_cap)
                                if with_rdflib else (None, None, -1))
            case = f"{name} {label}".strip()
            rows.append({"copies": copies, "case": case, "query": name, "params": given,
                         "embedded_s": emb if isinstance(emb, float) else None, "embedded": fmt(emb),
                         "embedded_cpu_s": emb_cpu, "embedded_cpu": fmt(emb_cpu),
                         "rows": emb_rows, "rdflib_s": rdf if isinstance(rdf, float) else None,
                         "rdflib": fmt(rdf), "rdflib_rows": rdf_rows})
            shown_rows = f"{emb_rows}/{rdf_rows if with_rdflib and rdf_rows >= 0 else '-'}"
            print(f"{case[:58]:58} {fmt(emb):>10} {fmt(emb_cpu):>10} {fmt(rdf):>10}   {shown_rows}", flush=True)
    return rows


def summary(rows: list[dict]) -> list[str]:
    lines = []
    for copies in sorted({r["copies"] for r in rows}):
        mine = [r for r in rows if r["copies"] == copies]
        times = [r["embedded_s"] for r in mine if r["embedded_s"] is not None]
        slow = max(mine, key=lambda r: r["embedded_s"] or 0)
        cpu = [r["embedded_cpu_s"] for r in mine if r.get("embedded_cpu_s") is not None]
        slow_cpu = max(mine, key=lambda r: r.get("embedded_cpu_s") or 0)
        fails = sum(r["embedded_s"] is None for r in mine)
        lines.append(f"{copies}x: {len(mine)} cases, embedded median {fmt(statistics.median(times))}, "
                     f"slowest {fmt(slow['embedded_s'])} ({slow['case']}), {fails} stopped or failed")
        if cpu:
            lines.append(f"{copies}x: embedded CPU median {fmt(statistics.median(cpu))}, "
                         f"slowest {fmt(slow_cpu['embedded_cpu_s'])} ({slow_cpu['case']})")
    return lines


def compare(rows: list[dict], old_path: Path) -> list[str]:
    old = {(r["copies"], r["case"]): r for r in json.loads(old_path.read_text(encoding="utf-8"))["cases"]}
    lines = []
    for r in rows:
        before = old.get((r["copies"], r["case"]))
        if before and before["rows"] >= 0 and r["rows"] >= 0 and before["rows"] != r["rows"]:
            lines.append(f"rows changed: {r['copies']}x {r['case']}: {before['rows']} -> {r['rows']}")
    return lines or [f"row counts: every case common with {old_path.name} has the same row count"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cap", type=float, default=60.0, help="seconds per case on the embedded store")
    parser.add_argument("--rdflib-cap", type=float, default=5.0, help="seconds per case on rdflib")
    parser.add_argument("--rdflib-max", type=int, default=10, help="run rdflib up to this many copies")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="the 1x build")
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / ".cache")
    parser.add_argument("--reuse", action="store_true", help="reuse synthetic builds already in --work")
    parser.add_argument("--queries", type=Path, default=ROOT / "queries")
    parser.add_argument("--only", nargs="*", help="query names (default: all)")
    parser.add_argument("--out", type=Path, help="write OUT.txt and OUT.json")
    parser.add_argument("--compare", type=Path, help="an earlier OUT.json: report changed row counts")
    args = parser.parse_args()
    if not (args.dist / "store").is_dir():
        print(f"no build in {args.dist}: run `pmkg build` first", file=sys.stderr)
        return 2
    catalogue = load_catalogue(args.queries)
    if args.only:
        catalogue = {k: v for k, v in catalogue.items() if k in args.only}
    args.work.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    for copies in args.sizes:
        rows += bench_size(copies, dist_for(copies, args.work, args.reuse, args.dist), catalogue, args)
    tail = summary(rows) + (compare(rows, args.compare) if args.compare else [])
    print("\n" + "\n".join(tail))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.with_suffix(".json").write_text(json.dumps(
            {"runs": args.runs, "cap": args.cap, "rdflib_cap": args.rdflib_cap, "summary": tail, "cases": rows},
            indent=1, ensure_ascii=False), encoding="utf-8")
        args.out.with_suffix(".txt").write_text(table(rows) + "\n\n" + "\n".join(tail) + "\n", encoding="utf-8")
    return 0


def table(rows: list[dict]) -> str:
    """One line per case, one embedded/rdflib column pair per size."""
    sizes = sorted({r["copies"] for r in rows})
    by = {(r["case"], r["copies"]): r for r in rows}
    names = list(dict.fromkeys(r["case"] for r in rows))
    head = f"{'case':58}" + "".join(f" {f'{n}x emb':>10} {f'{n}x cpu':>10} {f'{n}x rdflib':>10} {'rows':>6}"
                                    for n in sizes)
    lines = [head, "-" * len(head)]
    for case in names:
        cells = ""
        for n in sizes:
            r = by.get((case, n))
            cells += (f" {r['embedded']:>10} {r.get('embedded_cpu', '-'):>10} {r['rdflib']:>10} {r['rows']:>6}" if r
                      else f" {'':>10} {'':>10} {'':>10} {'':>6}")
        lines.append(f"{case[:58]:58}{cells}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
