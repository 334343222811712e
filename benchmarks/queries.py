"""Latency of every canned query case at 1x, 10x and 100x the curated graph, next to rdflib's engine.

A case is a query with its defaults, or with one parameter set to its example (the header's
``example``), so each query is timed as `pmkg query NAME` and `pmkg query NAME --param p=example`
run it.  Engines, over the same built data:

- embedded (disk): the on-disk Oxigraph store in dist/store (pyoxigraph, union default graph), as
  `pmkg query` runs it.
- memory: the same store copied into an in-memory pyoxigraph store once per size (src/pmkg/memory.py),
  as `pmkg serve`'s workers, `pmkg site` and `pmkg report` run it under `--store memory|auto`; the load
  time and the process's RSS growth for the copy are printed.  Its rows are checked against the disk
  store's: same rows as a multiset, each GROUP_CONCAT cell compared as its sorted parts (SPARQL leaves
  their order undefined and the two stores' orders differ): the "same" column.
- rdflib (the baseline): dist/pmkg.nq parsed into an rdflib Dataset with default_union=True, rdflib's
  SPARQL engine, in the same process, on the same rendered text.  Skipped above --rdflib-max copies
  (parsing 4.7 M quads alone takes minutes).

Each cell is the median of --runs runs after one warm-up run, as wall-clock time and (embedded, memory) as the
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
import hashlib
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
from pmkg.memory import memory_copy  # noqa: E402
from pmkg.query import EmbeddedBackend, Result, Value, run_query  # noqa: E402
from pmkg.store import open_store  # noqa: E402

ENDPOINT_IN_TEST = re.compile(r"^#\+ endpoint_in_test:\s*(\S+)\s*$", re.MULTILINE)
DATASET: Dataset | None = None  # parsed once in the parent, inherited by forked children
MEMORY: object | None = None  # the in-memory copy of the store, loaded once in the parent, inherited likewise
CONCAT = re.compile(r"GROUP_CONCAT\s*\((.*?)\)\s*AS\s*\?(\w+)", re.IGNORECASE | re.DOTALL)
SEPARATOR = re.compile(r"separator\s*=\s*(?:\"([^\"]*)\"|'([^']*)')", re.IGNORECASE)
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


def separators(spec: QuerySpec) -> list[str]:
    """The separators of the query's GROUP_CONCATs (as tests/test_endpoint.py finds them)."""
    found = set()
    for match in CONCAT.finditer(re.sub(r"#[^\n]*", "", spec.text)):
        sep = SEPARATOR.search(match.group(1))
        found.add((sep.group(1) if sep.group(1) is not None else sep.group(2)) if sep else " ")
    return sorted(x for x in found if x)


def digest(spec: QuerySpec, result: Result) -> str:
    """A hash of the rows as a multiset, each literal cell as the sorted parts of its GROUP_CONCATs."""
    seps = separators(spec)
    split = re.compile("|".join(map(re.escape, seps))) if seps else None
    rows = []
    for row in result.rows:
        cells = []
        for v in row:
            text = "" if v is None else v.text
            cells.append("\x1f".join(sorted(split.split(text))) if split and v is not None and not v.is_iri
                         else text)
        rows.append("\x1e".join(cells))
    return hashlib.sha256("\n".join(sorted(rows)).encode()).hexdigest()[:16]


def timed_runs(backend: object, spec: QuerySpec, given: dict[str, str], runs: int,
               cap: float) -> tuple[list[float], list[float], int, str]:
    """Warm-up plus ``runs`` timed runs; stops early once the total passes ``cap``.

    (wall-clock times, CPU times of this process, rows, digest of the rows).  The CPU time is what the query costs
    when the machine is shared: the engine runs in this thread, so it is the work done, without
    the time spent waiting for a core."""
    times: list[float] = []
    cpu: list[float] = []
    rows, rows_digest = -1, ""
    spent = 0.0
    for i in range(runs + 1):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = run_query(spec, given, backend)
        elapsed, used = time.perf_counter() - start, time.process_time() - start_cpu
        spent += elapsed
        rows = len(result.rows)
        if not i:
            rows_digest = digest(spec, result)
        if i:
            times.append(elapsed)
            cpu.append(used)
        if spent > cap:
            times, cpu = times or [elapsed], cpu or [used]
            break
    return times, cpu, rows, rows_digest


def _child(conn, which: str, dist: str, spec: QuerySpec, given: dict[str, str], runs: int, cap: float) -> None:
    try:
        backend = (EmbeddedBackend(open_store(Path(dist))) if which == "embedded" else
                   EmbeddedBackend(MEMORY) if which == "memory" else RdflibBackend(DATASET))  # type: ignore[arg-type]
        times, cpu, rows, rows_digest = timed_runs(backend, spec, given, runs, cap)
        conn.send(("ok", statistics.median(times), statistics.median(cpu), rows, rows_digest))
    except Exception as exc:  # reported in the table, not raised
        conn.send(("error", f"{type(exc).__name__}: {exc}"[:300], None, -1, ""))


def in_child(which: str, dist: Path, spec: QuerySpec, given: dict[str, str], runs: int,
             cap: float) -> tuple[float | str, float | None, int, str]:
    """(median seconds or an error or "> cap", median CPU seconds, rows, digest of the rows)"""
    parent, child = mp.Pipe(duplex=False)
    proc = mp.get_context("fork").Process(target=_child, args=(child, which, str(dist), spec, given, runs, cap))
    proc.start()
    try:
        if parent.poll(cap + 5 if which == "rdflib" else cap * 2 + 10):
            _status, value, cpu, rows, rows_digest = parent.recv()
            return value, cpu, rows, rows_digest
        return f"> {cap:g} s", None, -1, ""
    finally:
        if proc.is_alive():
            proc.terminate()
        proc.join()


def fmt(value: float | str | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value.split(":")[0][:12]
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


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024


def load_memory(dist: Path) -> dict:
    """Load MEMORY (the in-memory copy of ``dist``'s store); what it cost."""
    global MEMORY
    MEMORY = None
    before, start, start_cpu = rss_mb(), time.perf_counter(), time.process_time()
    MEMORY = memory_copy(dist, dist.parent / "imports" if dist == ROOT / "dist" else None)
    cost = {"quads": len(MEMORY), "load_s": time.perf_counter() - start, "load_cpu_s": time.process_time() - start_cpu,
            "rss_added_mb": rss_mb() - before}
    print(f"memory: {cost['quads']} quads loaded in {cost['load_s']:.1f} s ({cost['load_cpu_s']:.1f} s CPU), "
          f"RSS +{cost['rss_added_mb']:.0f} MB", flush=True)
    return cost


def bench_size(copies: int, dist: Path, catalogue: dict[str, QuerySpec], args: argparse.Namespace) -> list[dict]:
    global DATASET
    with_rdflib = copies <= args.rdflib_max and (dist / "pmkg.nq").is_file()
    DATASET = None
    if with_rdflib:
        start = time.perf_counter()
        DATASET = Dataset(default_union=True)
        DATASET.parse(dist / "pmkg.nq", format="nquads")
        print(f"rdflib: parsed {len(DATASET)} quads of {dist}/pmkg.nq in {time.perf_counter() - start:.1f} s")
    LOADS[copies] = load_memory(dist)
    print(f"\n== {copies}x  ({dist})")
    header = (f"{'case':52} {'disk':>9} {'disk cpu':>9} {'mem':>9} {'mem cpu':>9} {'rdflib':>9}"
              "   rows (disk/mem/rdflib) same")
    print(header + "\n" + "-" * len(header), flush=True)
    rows = []
    for name, spec in catalogue.items():
        if ENDPOINT_IN_TEST.search(spec.text):  # SERVICE to a registry: not a local query
            continue
        for label, given in example_cases(spec):
            emb, emb_cpu, emb_rows, emb_digest = in_child("embedded", dist, spec, given, args.runs, args.cap)
            mem, mem_cpu, mem_rows, mem_digest = in_child("memory", dist, spec, given, args.runs, args.cap)
            rdf, _, rdf_rows, _ = (in_child("rdflib", dist, spec, given, args.runs, args.rdflib_cap)
                                   if with_rdflib else (None, None, -1, ""))
            case = f"{name} {label}".strip()
            same = "yes" if emb_digest and emb_digest == mem_digest else "NO" if emb_digest and mem_digest else "-"
            rows.append({"copies": copies, "case": case, "query": name, "params": given,
                         "embedded_s": emb if isinstance(emb, float) else None, "embedded": fmt(emb),
                         "embedded_cpu_s": emb_cpu, "embedded_cpu": fmt(emb_cpu), "rows": emb_rows,
                         "memory_s": mem if isinstance(mem, float) else None, "memory": fmt(mem),
                         "memory_cpu_s": mem_cpu, "memory_cpu": fmt(mem_cpu), "memory_rows": mem_rows,
                         "memory_same_rows": same,
                         "rdflib_s": rdf if isinstance(rdf, float) else None, "rdflib": fmt(rdf),
                         "rdflib_error": rdf if isinstance(rdf, str) and not rdf.startswith(">") else None,
                         "rdflib_rows": rdf_rows})
            shown_rows = f"{emb_rows}/{mem_rows}/{rdf_rows if with_rdflib and rdf_rows >= 0 else '-'}"
            print(f"{case[:52]:52} {fmt(emb):>9} {fmt(emb_cpu):>9} {fmt(mem):>9} {fmt(mem_cpu):>9} {fmt(rdf):>9}"
                  f"   {shown_rows} {same}", flush=True)
    return rows


LOADS: dict[int, dict] = {}


def summary(rows: list[dict]) -> list[str]:
    lines = []
    for copies in sorted({r["copies"] for r in rows}):
        mine = [r for r in rows if r["copies"] == copies]
        if copies in LOADS:
            load = LOADS[copies]
            lines.append(f"{copies}x: memory copy of {load['quads']} quads: loaded in {fmt(load['load_s'])} "
                         f"({fmt(load['load_cpu_s'])} CPU), RSS +{load['rss_added_mb']:.0f} MB")
        for engine in ("embedded", "memory"):
            times = [r[f"{engine}_s"] for r in mine if r[f"{engine}_s"] is not None]
            cpu = [r[f"{engine}_cpu_s"] for r in mine if r.get(f"{engine}_cpu_s") is not None]
            if not times:
                continue
            slow = max(mine, key=lambda r, e=engine: r[f"{e}_s"] or 0)
            slow_cpu = max(mine, key=lambda r, e=engine: r.get(f"{e}_cpu_s") or 0)
            fails = sum(r[f"{engine}_s"] is None for r in mine)
            shown = "disk" if engine == "embedded" else engine
            lines.append(f"{copies}x {shown}: {len(mine)} cases, median {fmt(statistics.median(times))}, "
                         f"slowest {fmt(slow[f'{engine}_s'])} ({slow['case']}), {fails} stopped or failed; "
                         f"CPU median {fmt(statistics.median(cpu))}, slowest {fmt(slow_cpu[f'{engine}_cpu_s'])} "
                         f"({slow_cpu['case']})")
            for limit in (0.1, 0.3, 1.0):
                lines.append(f"{copies}x {shown}: {sum(t < limit for t in times)}/{len(mine)} cases under "
                             f"{fmt(limit)} wall, {sum(t < limit for t in cpu)}/{len(mine)} under {fmt(limit)} CPU")
        differ = [r["case"] for r in mine if r.get("memory_same_rows") == "NO"]
        lines.append(f"{copies}x: memory rows = disk rows in {sum(r.get('memory_same_rows') == 'yes' for r in mine)}"
                     f"/{len(mine)} cases" + (f"; DIFFERENT: {', '.join(differ)}" if differ else ""))
        for r in mine:
            if r.get("rdflib_error"):
                lines.append(f"{copies}x rdflib: {r['case']} failed: {r['rdflib_error']}")
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
            {"runs": args.runs, "cap": args.cap, "rdflib_cap": args.rdflib_cap, "summary": tail,
             "memory_loads": LOADS, "cases": rows},
            indent=1, ensure_ascii=False), encoding="utf-8")
        args.out.with_suffix(".txt").write_text(table(rows) + "\n\n" + "\n".join(tail) + "\n", encoding="utf-8")
    return 0


def table(rows: list[dict]) -> str:
    """One line per case: disk (wall, CPU), memory (wall, CPU), rdflib, rows, per size."""
    sizes = sorted({r["copies"] for r in rows})
    by = {(r["case"], r["copies"]): r for r in rows}
    names = list(dict.fromkeys(r["case"] for r in rows))
    cols = ("disk", "disk cpu", "mem", "mem cpu", "rdflib")
    head = f"{'case':52}" + "".join("".join(f" {f'{n}x {c}':>12}" for c in cols) + f" {'rows':>6} {'same':>4}"
                                    for n in sizes)
    lines = [head, "-" * len(head)]
    for case in names:
        cells = ""
        for n in sizes:
            r = by.get((case, n))
            values = ([r["embedded"], r.get("embedded_cpu", "-"), r.get("memory", "-"), r.get("memory_cpu", "-"),
                       r["rdflib"]] if r else [""] * 5)
            cells += "".join(f" {v:>12}" for v in values)
            cells += f" {r['rows']:>6} {r.get('memory_same_rows', '-'):>4}" if r else f" {'':>6} {'':>4}"
        lines.append(f"{case[:52]:52}{cells}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
