"""Virtuoso vs the embedded Oxigraph store vs Jena ARQ: load time and per-query latency.

- Load: a fresh Virtuoso 7.2 (tests/virtuoso.py: loopback, its own database folder) is filled with
  a built ``dist/`` twice over - by ``pmkg publish`` (Graph Store Protocol, one PUT per graph) and by
  Virtuoso's bulk loader (``ld_dir`` + ``rdf_loader_run`` on the N-Quads) - for the curated build and,
  with ``--papers ROOT``, for a project with imported papers (benchmarks/gen_wos.py + ``pmkg import``).
  The baseline is the embedded store's own load of the same N-Quads (``pyoxigraph.Store.bulk_load``).
- Latency: every local canned query case (defaults, each example; as tests/test_virtuoso.py) on the
  curated build: embedded (pyoxigraph, dist/store), Virtuoso over HTTP (pmkg's graphs named as the
  dataset), Jena ARQ in memory (tests/jena.py's driver; time inside the JVM).  Median of ``--runs``
  runs after one warm-up; "same" says whether each engine's rows are the embedded store's (the
  comparison rules of tests/test_jena.py).  Jena: one pass over every case warms the JVM up, then
  ``--runs`` passes; the time is the driver's, inside the JVM (no JVM start, no data load).
- Papers (``--parts papers`` with ``--papers ROOT``): every case of the paper-level queries
  (PAPER_QUERIES) on that project, the embedded store vs a Virtuoso filled by its bulk loader, wall and
  CPU time (Virtuoso's: the virtuoso-t process's) and same rows.

    .venv/bin/python benchmarks/engines.py --runs 3 --papers /tmp/proj-100k --out benchmarks/results/engines
    .venv/bin/python benchmarks/engines.py --parts load papers --papers /tmp/proj-100k --out /tmp/papers
    .venv/bin/python benchmarks/engines.py --hangs 4 2          # unanswered requests, 4 servers x 2 passes
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests import jena, virtuoso  # noqa: E402
from tests.virtuoso import differences, local_cases  # noqa: E402

PMKG = Path(sys.executable).parent / "pmkg"


def quads(root: Path) -> list[Path]:
    """The N-Quads of a project's release: dist/pmkg.nq and each import's imports/<id>.nq."""
    return [root / "dist" / "pmkg.nq", *sorted((root / "imports").glob("*.nq"))]


def count_quads(files: list[Path]) -> int:
    total = 0
    for f in files:
        with f.open("rb") as fh:
            total += sum(1 for line in fh if line.strip() and not line.startswith(b"#"))
    return total


def publish_seconds(root: Path, work: Path, buffers: int) -> float:
    with virtuoso.virtuoso(work, buffers=buffers) as server:
        server.allow_anonymous_writes()
        started = time.perf_counter()
        done = subprocess.run([str(PMKG), "publish", "--endpoint", server.sparql_url, "--graph-store",
                               server.graph_store_url, "--timeout", "3600", "--root", str(root)],
                              capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"pmkg publish failed: {done.stderr.strip()}")
        return seconds


def bulk_seconds(root: Path, work: Path, buffers: int) -> float:
    load = work / "load"
    load.mkdir(parents=True)
    for i, f in enumerate(quads(root)):
        (load / f"{i:03d}-{f.name}").symlink_to(f)
    with virtuoso.virtuoso(work / "db", load_dir=load, buffers=buffers) as server:
        started = time.perf_counter()
        server.bulk_load(load, "*.nq")
        return time.perf_counter() - started


def oxigraph_seconds(root: Path, work: Path) -> float:
    work.mkdir(parents=True, exist_ok=True)
    store = ox.Store(str(work / "ox"))
    started = time.perf_counter()
    for f in quads(root):
        store.bulk_load(path=str(f), format=ox.RdfFormat.N_QUADS)
    store.flush()
    return time.perf_counter() - started


def loads(label: str, root: Path, work: Path, buffers: int) -> dict:
    files = quads(root)
    row = {"input": label, "quads": count_quads(files),
           "oxigraph_bulk_load_s": oxigraph_seconds(root, work / "oxigraph"),
           "virtuoso_publish_s": publish_seconds(root, work / "publish", buffers),
           "virtuoso_bulk_load_s": bulk_seconds(root, work / "bulk", buffers)}
    print(json.dumps(row), flush=True)
    return row


def timed(run: object, runs: int) -> float:
    return timed_cpu(run, runs)[0]


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a running process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_cpu(run: object, runs: int, pid: int | None = None) -> tuple[float, float]:
    """Median wall ms and median CPU ms of ``runs`` runs after a warm-up; CPU of this process, or of the
    server process ``pid`` (a Virtuoso answering the request)."""
    cpu = (lambda: process_cpu(pid)) if pid else time.process_time
    run()  # warm-up
    walls, cpus = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), cpu()
        run()
        walls.append(time.perf_counter() - started)
        cpus.append(cpu() - started_cpu)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000


def latencies(root: Path, work: Path, runs: int) -> list[dict]:
    from pmkg.query import EmbeddedBackend
    from pmkg.store import open_store
    store = ox.Store.read_only(str(root / "dist" / "store"))
    # the cases Virtuoso never answers are left out for every engine (tests/virtuoso.py NOT_SENT)
    cases = [c for c in local_cases(EmbeddedBackend(open_store(root / "dist"))) if c[0] not in virtuoso.NOT_SENT]
    graphs = sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
    texts = [text for _case, text in cases]
    # a first pass over every case warms the JVM up (JIT, class loading); ms are from the later passes
    jena_runs = jena.run_batch(work / "jena", root / "dist" / "pmkg.nq", texts * (runs + 1))
    rows = []
    with virtuoso.virtuoso(work / "virtuoso") as server:
        server.allow_anonymous_writes()
        subprocess.run([str(PMKG), "publish", "--endpoint", server.sparql_url, "--graph-store",
                        server.graph_store_url, "--root", str(root)], capture_output=True, check=True)
        for i, (case, text) in enumerate(cases):
            ours_ms, ours_cpu = timed_cpu(lambda text=text: list(store.query(text, use_default_graph_as_union=True)),
                                          runs)
            try:
                answer: dict | str = server.select(text, graphs)
                virt_ms, virt_cpu = timed_cpu(lambda text=text: server.select(text, graphs), runs,
                                              server.process.pid)
            except virtuoso.VirtuosoError as exc:
                answer, virt_ms, virt_cpu = str(exc), None, None
            mine = jena_runs[i::len(cases)]
            answered = all(isinstance(r, dict) for r in mine)
            jena_ms = statistics.median(r["ms"] for r in mine[1:]) if answered else None
            jena_cpu = statistics.median(r["cpu_ms"] for r in mine[1:]) if answered else None
            row = {"case": case, "embedded_ms": ours_ms, "embedded_cpu_ms": ours_cpu, "virtuoso_ms": virt_ms,
                   "virtuoso_cpu_ms": virt_cpu, "jena_ms": jena_ms, "jena_cpu_ms": jena_cpu,
                   "virtuoso_same": differences(text, answer, store) is None,
                   "virtuoso_error": answer if isinstance(answer, str) else None,
                   "jena_same": differences(text, mine[0], store) is None}
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


# the paper-level canned queries (as benchmarks/import.py's PAPER_QUERIES)
PAPER_QUERIES = ["funders-of-affiliated-papers", "top-institutions", "top-funders", "publication-trends",
                 "co-affiliation-countries", "sources"]


def paper_latencies(root: Path, work: Path, runs: int) -> list[dict]:
    """Every case of the paper-level queries on a project with imported papers: the embedded store (wall and
    CPU of this process) vs a Virtuoso filled by its bulk loader (wall, and CPU of the virtuoso-t process)."""
    from pmkg.query import EmbeddedBackend
    from pmkg.store import open_store
    store = ox.Store.read_only(str(root / "dist" / "store"))
    cases = [c for c in local_cases(EmbeddedBackend(open_store(root / "dist")))
             if c[0].split(" ")[0] in PAPER_QUERIES]
    graphs = sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
    load = work / "load"
    load.mkdir(parents=True)
    for i, f in enumerate(quads(root)):
        (load / f"{i:03d}-{f.name}").symlink_to(f)
    rows = []
    with virtuoso.virtuoso(work / "db", load_dir=load, buffers=100000) as server:
        server.bulk_load(load, "*.nq")
        pid = server.process.pid
        for case, text in cases:
            ours_ms, ours_cpu = timed_cpu(lambda text=text: list(store.query(text, use_default_graph_as_union=True)),
                                          runs)
            try:
                answer: dict | str = server.select(text, graphs)
                virt_ms, virt_cpu = timed_cpu(lambda text=text: server.select(text, graphs), runs, pid)
            except virtuoso.VirtuosoError as exc:
                answer, virt_ms, virt_cpu = str(exc), None, None
            rows.append({"case": case, "embedded_ms": ours_ms, "embedded_cpu_ms": ours_cpu, "virtuoso_ms": virt_ms,
                         "virtuoso_cpu_ms": virt_cpu, "virtuoso_same": differences(text, answer, store) is None,
                         "virtuoso_difference": differences(text, answer, store)})
            print(json.dumps(rows[-1]), flush=True)
    return rows


def hangs(root: Path, work: Path, servers: int, passes: int, request_timeout: float,
          virtuoso_timeout: float | None, send_all: bool) -> str:
    """How many requests a fresh Virtuoso leaves unanswered: ``servers`` fresh servers, each filled by
    ``pmkg publish`` and sent every local case ``passes`` times (without tests/virtuoso.py NOT_SENT unless
    ``send_all``); a request unanswered within ``request_timeout`` s counts as a hang (docs/engines.md)."""
    from pmkg.query import EmbeddedBackend
    from pmkg.store import open_store
    store = ox.Store.read_only(str(root / "dist" / "store"))
    graphs = sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
    cases = [c for c in local_cases(EmbeddedBackend(open_store(root / "dist")))
             if send_all or c[0] not in virtuoso.NOT_SENT]
    hung: list[str] = []
    for n in range(servers):
        with virtuoso.virtuoso(work / f"hangs-{n}") as server:
            server.allow_anonymous_writes()
            subprocess.run([str(PMKG), "publish", "--endpoint", server.sparql_url, "--graph-store",
                            server.graph_store_url, "--root", str(root)], capture_output=True, check=True)
            for p in range(passes):
                for case, text in cases:
                    try:
                        server.select(text, graphs, timeout=request_timeout, virtuoso_timeout=virtuoso_timeout)
                    except virtuoso.VirtuosoError as exc:
                        if "no answer within" in str(exc):
                            hung.append(f"server {n} pass {p}: {case}")
                            print(hung[-1], flush=True)
    line = (f"{len(cases)} cases, {servers} servers x {passes} passes, limit {request_timeout:g} s, Virtuoso timeout "
            f"{'none' if virtuoso_timeout is None else f'{virtuoso_timeout:g} s'}: "
            f"{len(hung)} of {servers * passes * len(cases)} requests unanswered")
    return line + "".join(f"\n  {h}" for h in hung)


def cell(ms: float | None) -> str:
    return "error" if ms is None else f"{ms:.1f}"


def paper_table(rows: list[dict], runs: int, label: str) -> list[str]:
    if not rows:
        return []
    same = sum(r["virtuoso_same"] for r in rows)
    out = ["", f"Paper-level queries on {label}, ms, median of {runs} runs after a warm-up: embedded (wall, CPU of "
           f"the Python process) vs Virtuoso after its bulk loader (wall, CPU of virtuoso-t). Same rows as embedded: "
           f"{same} of {len(rows)}.", "",
           "| case | embedded ms | embedded CPU ms | Virtuoso ms | Virtuoso CPU ms | Virtuoso same |",
           "|---|---:|---:|---:|---:|---|"]
    out += [f"| {r['case']} | {r['embedded_ms']:.1f} | {r['embedded_cpu_ms']:.1f} | {cell(r['virtuoso_ms'])} | "
            f"{cell(r['virtuoso_cpu_ms'])} | {'yes' if r['virtuoso_same'] else 'no: ' + str(r['virtuoso_difference'])}"
            " |"
            for r in rows]
    return out


def table(load_rows: list[dict], query_rows: list[dict], runs: int, paper_rows: list[dict] | None = None,
          paper_label: str = "", machine: str = "") -> str:
    out = [f"Engines benchmark, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} (shared 2-core machine), "
           f"Virtuoso 7.2.5 (Debian), Jena ARQ 4.5 (Debian), pyoxigraph {ox.__version__}",
           *([machine] if machine else []), "",
           "Load (seconds, one run each; baseline: the embedded store's bulk_load of the same N-Quads)", "",
           "| input | quads | Oxigraph bulk_load | Virtuoso `pmkg publish` | Virtuoso ld_dir+rdf_loader_run |",
           "|---|---:|---:|---:|---:|"]
    out += [f"| {r['input']} | {r['quads']} | {r['oxigraph_bulk_load_s']:.1f} | {r['virtuoso_publish_s']:.1f} "
            f"| {r['virtuoso_bulk_load_s']:.1f} |" for r in load_rows]
    same_v = sum(r["virtuoso_same"] for r in query_rows)
    same_j = sum(r["jena_same"] for r in query_rows)
    out += ["", f"Query latency, ms, median of {runs} runs after a warm-up (curated build; embedded = the baseline). "
            f"Same rows as embedded: Virtuoso {same_v} of {len(query_rows)}, Jena {same_j} of {len(query_rows)}.", "",
            "Wall and CPU time: embedded, of the Python process; Virtuoso, of the virtuoso-t process (Linux clock "
            "ticks: 10 ms steps); Jena, of the JVM thread that ran the query (after a warm-up pass over every case).",
            "",
            "| case | embedded ms | embedded CPU ms | Virtuoso ms | Virtuoso CPU ms | Virtuoso same | Jena ms "
            "| Jena CPU ms | Jena same |",
            "|---|---:|---:|---:|---:|---|---:|---:|---|"]
    out += [f"| {r['case']} | {r['embedded_ms']:.1f} | {cell(r.get('embedded_cpu_ms'))} | {cell(r['virtuoso_ms'])} | "
            f"{cell(r.get('virtuoso_cpu_ms'))} | {'yes' if r['virtuoso_same'] else 'no'} | {cell(r['jena_ms'])} | "
            f"{cell(r.get('jena_cpu_ms'))} | {'yes' if r['jena_same'] else 'no'} |" for r in query_rows]
    out += paper_table(paper_rows or [], runs, paper_label)
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--root", type=Path, default=ROOT, help="project with the curated build (dist/)")
    parser.add_argument("--papers", type=Path, help="a project with imported papers (dist/ and imports/)")
    parser.add_argument("--papers-label", default="curated + 100k imported WoS papers")
    parser.add_argument("--parts", nargs="+", choices=["load", "latency", "papers"], default=["load", "latency"],
                        help="what to measure (a part not measured is read back from the previous --out .json)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "engines")
    parser.add_argument("--hangs", nargs=2, type=int, metavar=("SERVERS", "PASSES"),
                        help="only count unanswered Virtuoso requests (docs/engines.md, 'The hang'); prints a line")
    parser.add_argument("--request-timeout", type=float, default=virtuoso.REQUEST_TIMEOUT)
    parser.add_argument("--virtuoso-timeout", type=float, help="also send Virtuoso's own timeout parameter (s)")
    parser.add_argument("--send-all", action="store_true", help="--hangs: send the NOT_SENT cases as well")
    args = parser.parse_args()
    if args.hangs:
        with tempfile.TemporaryDirectory(prefix="pmkg-hangs-") as tmp:
            print(hangs(args.root, Path(tmp), *args.hangs, args.request_timeout, args.virtuoso_timeout,
                        args.send_all))
        return
    previous = json.loads(args.out.with_suffix(".json").read_text()) if args.out.with_suffix(".json").is_file() else {}
    load_rows, query_rows = previous.get("load", []), previous.get("queries", [])
    paper_rows = previous.get("papers", [])
    started_load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="pmkg-engines-") as tmp:
        work = Path(tmp)
        if "load" in args.parts:
            load_rows = [loads("curated dist/", args.root, work / "curated", 20000)]
            if args.papers:
                load_rows.append(loads(args.papers_label, args.papers, work / "papers", 100000))
        if "latency" in args.parts:
            query_rows = latencies(args.root, work / "latency", args.runs)
        if "papers" in args.parts:
            if not args.papers:
                parser.error("--parts papers needs --papers ROOT")
            paper_rows = paper_latencies(args.papers, work / "paper-latency", args.runs)
    # the machine's load while each part ran (a part read back from the previous .json keeps its own)
    machine = {**previous.get("machine_by_part", {}), **{part: (
        f"{time.strftime('%H:%M UTC', time.gmtime())}, 1/5/15-minute load averages "
        f"{' / '.join(f'{x:.1f}' for x in started_load)} at the start, "
        f"{' / '.join(f'{x:.1f}' for x in os.getloadavg())} at the end") for part in args.parts}}
    machine_line = "Machine load: " + "; ".join(f"{part} ({text})" for part, text in sorted(machine.items())) + "."
    args.out.with_suffix(".json").write_text(json.dumps({"load": load_rows, "queries": query_rows, "papers": paper_rows,
                                                         "machine_by_part": machine}, indent=1) + "\n")
    args.out.with_suffix(".txt").write_text(table(load_rows, query_rows, args.runs, paper_rows, args.papers_label,
                                                  machine_line), encoding="utf-8")
    print(args.out.with_suffix(".txt").read_text())


if __name__ == "__main__":
    main()
