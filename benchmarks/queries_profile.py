"""Where a canned query case's time goes: binding (entity resolution), the engine, and the whole run.

For each case (defaults and each example, as benchmarks/queries.py) in one process, on the built
store on disk (as ``pmkg query`` runs it) or on an in-memory copy of it (``--memory``, as ``pmkg
serve`` runs it: pmkg.memory.memory_copy), the median CPU time (time.process_time) of 3 runs after a
warm-up of: ``bind`` (parameter checks and entity-label resolution), ``query`` (``store.query`` on
the rendered text, every row read, no conversion) and ``total`` (``run_query``: bind, render, query,
conversion to pmkg's Result).  ``total - bind - query`` is pmkg's Python-side row conversion.  Each
case's rows are hashed as benchmarks/queries.py does (``digest``), so two runs can be compared.

    .venv/bin/python benchmarks/queries_profile.py [--dist DIST] [--memory] [--only QUERY ...] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from pmkg.catalogue import example_cases, load_catalogue
from pmkg.errors import QueryError
from pmkg.memory import memory_copy
from pmkg.query import EmbeddedBackend, bind, render, run_query
from pmkg.store import open_store

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from queries import digest  # noqa: E402


def cpu(work: Callable[[], object], runs: int = 3) -> tuple[float, object]:
    """Median CPU seconds of ``runs`` runs after one warm-up, and the last result."""
    times, result = [], None
    for i in range(runs + 1):
        start = time.process_time()
        result = work()
        if i:
            times.append(time.process_time() - start)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="a folder holding store/")
    parser.add_argument("--memory", action="store_true", help="query an in-memory copy of the store")
    parser.add_argument("--queries", type=Path, default=ROOT / "queries")
    parser.add_argument("--only", nargs="*", help="query names, or whole case names (default: all)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path, help="write the rows as JSON here")
    args = parser.parse_args()
    only = set(args.only or [])
    if args.memory:
        start = time.process_time()
        store = memory_copy(args.dist, None)
        print(f"memory copy: {len(store)} quads, {time.process_time() - start:.1f} s CPU", flush=True)
    else:
        store = open_store(args.dist)
    backend = EmbeddedBackend(store)
    out = []
    for name, spec in load_catalogue(args.queries).items():
        if "#+ endpoint_in_test:" in spec.text:
            continue
        for label, given in example_cases(spec):
            case = f"{name} {label}".strip()
            if only and name not in only and case not in only:
                continue
            try:
                t_bind, bound = cpu(lambda: bind(spec, given, backend), args.runs)  # noqa: B023
            except QueryError as exc:
                print(f"{case[:60]:60} not run: {exc}")
                continue
            text = render(spec, bound)
            t_query, rows = cpu(lambda: sum(1 for _ in store.query(text, use_default_graph_as_union=True)),  # noqa: B023
                                args.runs)
            t_total, result = cpu(lambda: run_query(spec, given, backend), args.runs)  # noqa: B023
            out.append({"case": case, "bind_ms": t_bind * 1000, "query_ms": t_query * 1000,
                        "total_ms": t_total * 1000, "rows": rows, "digest": digest(spec, result)})
            print(f"{case[:60]:60} bind {t_bind * 1000:7.1f} query {t_query * 1000:7.1f} "
                  f"total {t_total * 1000:7.1f} ms CPU, rows {rows}", flush=True)
    totals = [r["total_ms"] for r in out]
    if totals:
        print(f"median total {statistics.median(totals):.1f} ms CPU over {len(totals)} cases; "
              f"{sum(t < 1000 for t in totals)} under 1 s; slowest {max(totals):.0f} ms")
    if args.json:
        args.json.write_text(json.dumps({"memory": args.memory, "dist": str(args.dist), "cases": out}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
