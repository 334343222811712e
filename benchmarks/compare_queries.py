"""Old catalogue on the old build vs the current catalogue on the current build, in one process.

Each case (defaults; each parameter at its example) runs alternately on both, so both see the same
machine load: the baseline's median and ours (of --runs runs after a warm-up), as CPU time
(time.process_time: the work a query costs, without the wait for a core on a shared machine) and
as wall-clock time, and whether the rows are the same (in order, or as a set).  For a before/after
comparison on a shared, loaded machine, where two separate benchmark runs minutes apart are not comparable.

    cp -r queries /tmp/q-before; cp -r dist /tmp/dist-before   # before the change
    .venv/bin/python benchmarks/compare_queries.py /tmp/q-before /tmp/dist-before queries dist
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from pmkg.catalogue import example_cases, load_catalogue
from pmkg.errors import QueryError
from pmkg.query import EmbeddedBackend, run_query
from pmkg.store import open_store


def rows_of(spec, given, backend) -> tuple[list[tuple], float, float]:
    """(rows, CPU seconds, wall-clock seconds)"""
    start, start_cpu = time.perf_counter(), time.process_time()
    result = run_query(spec, given, backend)
    rows = [tuple(v.text if v else None for v in row) for row in result.rows]
    return rows, time.process_time() - start_cpu, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old_queries", type=Path)
    parser.add_argument("old_dist", type=Path)
    parser.add_argument("queries", type=Path)
    parser.add_argument("dist", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    old_cat, new_cat = load_catalogue(args.old_queries), load_catalogue(args.queries)
    old_be = EmbeddedBackend(open_store(args.old_dist))
    new_be = EmbeddedBackend(open_store(args.dist))
    print(f"{'case':58} {'cpu before':>11} {'cpu after':>10} {'wall before':>12} {'wall after':>11}  rows   same")
    olds, news, walls_old, walls_new = [], [], [], []
    for name, spec in new_cat.items():
        if "#+ endpoint_in_test:" in spec.text or name not in old_cat:
            continue
        for label, given in example_cases(spec):
            t_old, t_new, w_old, w_new = [], [], [], []
            try:
                for _ in range(args.runs + 1):
                    a, ta, wa = rows_of(old_cat[name], given, old_be)
                    b, tb, wb = rows_of(spec, given, new_be)
                    t_old.append(ta)
                    t_new.append(tb)
                    w_old.append(wa)
                    w_new.append(wb)
            except QueryError as exc:
                print(f"{(name + ' ' + label)[:58]:58} {str(exc)[:40]}")
                continue
            same = "yes" if a == b else ("as set" if sorted(a, key=str) == sorted(b, key=str) else "NO")
            mo, mn = statistics.median(t_old[1:]), statistics.median(t_new[1:])
            wo, wn = statistics.median(w_old[1:]), statistics.median(w_new[1:])
            olds.append(mo)
            news.append(mn)
            walls_old.append(wo)
            walls_new.append(wn)
            print(f"{(name + ' ' + label).strip()[:58]:58} {mo * 1000:8.1f} ms {mn * 1000:7.1f} ms "
                  f"{wo * 1000:9.1f} ms {wn * 1000:8.1f} ms {len(b):5}  {same}", flush=True)
    for what, before, after in (("CPU", olds, news), ("wall-clock", walls_old, walls_new)):
        print(f"{'' if what != 'CPU' else chr(10)}{len(after)} cases, {what}: median before "
              f"{statistics.median(before) * 1000:.1f} ms, after {statistics.median(after) * 1000:.1f} ms; "
              f"slowest before {max(before) * 1000:.0f} ms, after {max(after) * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
