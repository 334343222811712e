"""Where a canned query case's time goes: binding (entity resolution), the engine, and the whole run.

For each case (defaults and each example, as benchmarks/queries.py) in one process on the embedded
store, the median CPU time (time.process_time) of 3 runs after a warm-up of:
``bind`` (parameter checks and entity-label resolution), ``query`` (``store.query`` on the rendered
text, every row read, no conversion) and ``total`` (``run_query``: bind, render, query, conversion).

    .venv/bin/python benchmarks/queries_profile.py [DIST] [QUERY ...]
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from pmkg.catalogue import example_cases, load_catalogue
from pmkg.errors import QueryError
from pmkg.query import EmbeddedBackend, bind, render, run_query
from pmkg.store import open_store

ROOT = Path(__file__).resolve().parents[1]


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
    dist = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "dist"
    only = set(sys.argv[2:])
    store = open_store(dist)
    backend = EmbeddedBackend(store)
    totals = []
    for name, spec in load_catalogue(ROOT / "queries").items():
        if (only and name not in only) or "#+ endpoint_in_test:" in spec.text:
            continue
        for label, given in example_cases(spec):
            case = f"{name} {label}".strip()
            try:
                t_bind, bound = cpu(lambda: bind(spec, given, backend))  # noqa: B023
            except QueryError as exc:
                print(f"{case[:60]:60} not run: {exc}")
                continue
            text = render(spec, bound)
            t_query, rows = cpu(lambda: sum(1 for _ in store.query(text, use_default_graph_as_union=True)))  # noqa: B023
            t_total, _ = cpu(lambda: run_query(spec, given, backend))  # noqa: B023
            totals.append(t_total)
            print(f"{case[:60]:60} bind {t_bind * 1000:7.1f} query {t_query * 1000:7.1f} "
                  f"total {t_total * 1000:7.1f} ms CPU, rows {rows}", flush=True)
    print(f"median total {statistics.median(totals) * 1000:.1f} ms CPU over {len(totals)} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
