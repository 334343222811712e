"""Time each build stage on the curated graph and on synthetic 10x and 100x copies,
next to a named baseline run in the same process.

Baseline "rdflib-only": parse the same N-Triples with rdflib, answer the
``actor-counts`` query with rdflib's SPARQL engine, serialise to Turtle with rdflib.
Ours for the same three steps: Oxigraph bulk load, Oxigraph query, and the
dist/ writer (all formats).  Each measurement is the median of --runs runs.

    .venv/bin/python benchmarks/build.py --sizes 1 10 100 --runs 3

With ``--process`` it times what a user waits for instead: ``pmkg build`` as a whole
process on a project holding the synthetic kg/ (a first build into an empty dist/,
then an unchanged rebuild, then a rebuild after a one-record edit), with CPU seconds
and the peak RSS of the process and its children (HermiT's Java), next to the
baseline ``python -c "import pyoxigraph"``.  A watchdog stops the build when the
machine's available memory falls under --min-available-gb (the machine is shared).

    .venv/bin/python benchmarks/build.py --process --sizes 1 10 --json benchmarks/results/build-process.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from build_rss import project  # noqa: E402
from synth import make_synthetic  # noqa: E402

from pmkg.catalogue import parse_query_file  # noqa: E402
from pmkg.pipeline import Paths, build  # noqa: E402
from pmkg.query import bind, render  # noqa: E402
from pmkg.store import ntriples_lines  # noqa: E402


class _NoStore:
    def ask(self, _text: str) -> bool:
        return True


def median_time(func, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def capped_time(func, cap: float) -> float:
    """Seconds ``func`` takes in a forked child, or +inf when it runs past ``cap`` (then stopped)."""
    ctx = mp.get_context("fork")
    child = ctx.Process(target=func)
    start = time.perf_counter()
    child.start()
    child.join(cap)
    if child.is_alive():
        child.kill()
        child.join()
        return float("inf")
    return time.perf_counter() - start


def bench_size(copies: int, runs: int, reason_max: int, work: Path, cap: float) -> dict:
    kg = make_synthetic(ROOT / "kg", work / f"kg-{copies}", copies)
    paths = Paths(root=ROOT, kg=kg, dist=work / f"dist-{copies}")
    stage_runs: dict[str, list[float]] = {}
    result = None
    for _ in range(runs):
        result = build(paths, run_reasoner=copies <= reason_max)
        for stage, seconds in result.timings.items():
            stage_runs.setdefault(stage, []).append(seconds)
    stages = {s: statistics.median(v) for s, v in stage_runs.items()}
    nt = "".join(ntriples_lines(q for q in result.quads if "ontology" not in str(q[3])))
    spec = parse_query_file(ROOT / "queries" / "actor-counts.rq")
    text = render(spec, bind(spec, {"by": "type"}, _NoStore()))

    def rdflib_parse() -> Graph:
        return Graph().parse(data=nt, format="nt")

    graph = rdflib_parse()
    store = ox.Store()
    store.bulk_load(input=nt.encode(), format=ox.RdfFormat.N_TRIPLES)
    baseline = {
        "parse": median_time(rdflib_parse, runs),
        "query": statistics.median(capped_time(lambda: list(graph.query(text)), cap) for _ in range(runs)),
        "serialise": median_time(lambda: graph.serialize(format="turtle"), runs),
    }

    def ox_load() -> None:
        s = ox.Store()
        s.bulk_load(input=nt.encode(), format=ox.RdfFormat.N_TRIPLES)

    ours = {
        "load (oxigraph)": median_time(ox_load, runs),
        "query (oxigraph)": median_time(lambda: list(store.query(text)), runs),
    }
    return {"copies": copies, "records": sum(result.summary["records"].values()),
            "triples": result.summary["triples"], "stages": stages, "baseline_rdflib": baseline, "ours": ours}


def available_gb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024 / 1024
    return float("inf")


def timed_process(argv: list[str], min_available_gb: float) -> dict:
    """Wall and CPU seconds, peak RSS and exit code of one process (and its children), stopped with
    its whole process group when the machine runs short of memory."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    stopped, done = threading.Event(), threading.Event()

    def watch() -> None:  # never reaps the child (wait4 below must)
        while not done.wait(0.5):
            if available_gb() < min_available_gb:
                stopped.set()
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                return

    threading.Thread(target=watch, daemon=True).start()
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    _pid, status, usage = os.wait4(proc.pid, 0)
    done.set()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"wall_s": round(time.perf_counter() - start, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "peak_rss_mb": round(usage.ru_maxrss / 1024), "exit": os.waitstatus_to_exitcode(status),
            "stopped_for_memory": stopped.is_set(), "stderr_tail": err.strip().splitlines()[-3:]}


def bench_process(copies: int, pmkg: str, work: Path, min_available_gb: float, first_only: bool = False) -> dict:
    root = project(copies, work)  # the synthetic kg/ with ontology/ and queries/, no dist/
    baseline = timed_process([sys.executable, "-c", "import pyoxigraph"], 0)
    row = {"copies": copies, "baseline_wall_s": baseline["wall_s"]}
    row["first build"] = timed_process([pmkg, "build", "-q", "--root", str(root)], min_available_gb)
    if row["first build"]["exit"] == 0 and not first_only:
        row["unchanged rebuild"] = timed_process([pmkg, "build", "-q", "--root", str(root)], min_available_gb)
        (root / "kg" / "zz-edit.yaml").write_text(
            "facts:\n  - about: bgi\n    aliases: [Bench alias]\n    source: {doc: causio-2023, at: x}\n",
            encoding="utf-8")
        row["after a one-record edit"] = timed_process([pmkg, "build", "-q", "--root", str(root)],
                                                       min_available_gb)
    if row["first build"]["exit"] == 0:
        manifest = json.loads((root / "dist" / "build.json").read_text(encoding="utf-8"))
        row["records"] = sum(manifest["summary"]["records"].values())
        row["triples"] = manifest["summary"]["triples"]
    shutil.rmtree(root, ignore_errors=True)
    return row


def main_process(args: argparse.Namespace) -> int:
    rows = []
    with tempfile.TemporaryDirectory(prefix="pmkg-bench-") as tmp:
        for copies in args.sizes:
            row = bench_process(copies, str(args.pmkg), Path(tmp), args.min_available_gb,
                                first_only=copies >= args.first_only_from)
            rows.append(row)
            print(f"\n== {copies}x: {row.get('records', '?')} records, {row.get('triples', '?')} triples; "
                  f"baseline {row['baseline_wall_s']} s", flush=True)
            for kind in ("first build", "unchanged rebuild", "after a one-record edit"):
                if kind in row:
                    r = row[kind]
                    print(f"  {kind:<26} wall {r['wall_s']:8.2f} s  cpu {r['cpu_s']:8.2f} s  "
                          f"peak {r['peak_rss_mb']:6d} MB  exit {r['exit']}"
                          + ("  STOPPED: machine memory low" if r["stopped_for_memory"] else ""), flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reason-max", type=int, default=100, help="skip HermiT above this many copies")
    parser.add_argument("--cap", type=float, default=120.0, help="stop the rdflib query after this many seconds")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--process", action="store_true", help="time `pmkg build` processes (see above)")
    parser.add_argument("--pmkg", type=Path, default=ROOT / ".venv" / "bin" / "pmkg")
    parser.add_argument("--min-available-gb", type=float, default=2.0)
    parser.add_argument("--first-only-from", type=int, default=100, help="from this size on, only the first build")
    args = parser.parse_args()
    if args.process:
        return main_process(args)
    rows = []
    with tempfile.TemporaryDirectory(prefix="pmkg-bench-") as tmp:
        for copies in args.sizes:
            row = bench_size(copies, args.runs if copies < 100 else 1, args.reason_max, Path(tmp), args.cap)
            rows.append(row)
            st, bl, ours = row["stages"], row["baseline_rdflib"], row["ours"]
            print(f"\n== {copies}x: {row['records']} records, {row['triples']} triples (median of runs)")
            print("  stage   " + "  ".join(f"{k:>9}" for k in st))
            print("  seconds " + "  ".join(f"{v:9.2f}" for v in st.values()))
            print(f"  baseline rdflib: parse {bl['parse']:.2f}s  query {bl['query']:.3f}s (inf = over --cap)  "
                  f"serialise {bl['serialise']:.2f}s")
            print(f"  oxigraph:        load  {ours['load (oxigraph)']:.2f}s  query {ours['query (oxigraph)']:.3f}s"
                  f"   -> parse x{bl['parse'] / max(ours['load (oxigraph)'], 1e-9):.1f}, "
                  f"query x{bl['query'] / max(ours['query (oxigraph)'], 1e-9):.0f} faster")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2).replace("Infinity", '"over cap"'), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
