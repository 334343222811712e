"""Old catalogue on the old build vs the current catalogue on the current build, in one process.

Each case (defaults; each parameter at its example) runs alternately on both, so both see the same
machine load: the baseline's median and ours (of --runs runs after a warm-up), and whether the rows
are the same (in order, or as a set).  For a before/after comparison on a shared, loaded machine,
where two separate benchmark runs minutes apart are not comparable.

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


def rows_of(spec, given, backend) -> tuple[list[tuple], float]:
    start = time.perf_counter()
    result = run_query(spec, given, backend)
    return [tuple(v.text if v else None for v in row) for row in result.rows], time.perf_counter() - start


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
    print(f"{'case':58} {'before':>10} {'after':>10}  rows   same")
    olds, news = [], []
    for name, spec in new_cat.items():
        if "#+ endpoint_in_test:" in spec.text or name not in old_cat:
            continue
        for label, given in example_cases(spec):
            t_old, t_new = [], []
            try:
                for _ in range(args.runs + 1):
                    a, ta = rows_of(old_cat[name], given, old_be)
                    b, tb = rows_of(spec, given, new_be)
                    t_old.append(ta)
                    t_new.append(tb)
            except QueryError as exc:
                print(f"{(name + ' ' + label)[:58]:58} {str(exc)[:40]}")
                continue
            same = "yes" if a == b else ("as set" if sorted(a, key=str) == sorted(b, key=str) else "NO")
            mo, mn = statistics.median(t_old[1:]), statistics.median(t_new[1:])
            olds.append(mo)
            news.append(mn)
            print(f"{(name + ' ' + label).strip()[:58]:58} {mo * 1000:8.1f} ms {mn * 1000:8.1f} ms "
                  f"{len(b):5}  {same}", flush=True)
    print(f"\n{len(news)} cases: median before {statistics.median(olds) * 1000:.1f} ms, after "
          f"{statistics.median(news) * 1000:.1f} ms; slowest before {max(olds) * 1000:.0f} ms, after "
          f"{max(news) * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
