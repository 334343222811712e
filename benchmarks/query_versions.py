"""Two texts of one canned query on the same store, case by case (the cases of benchmarks/import_queries.py),
interleaved in one process: CPU seconds (median of --repeat after a warm-up) and whether the rows are the same.

    git show HEAD~1:queries/top-institutions.rq > /tmp/old.rq
    .venv/bin/python benchmarks/query_versions.py dist top-institutions /tmp/old.rq --source gen-100000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from import_queries import ROOT, cases


def main() -> None:
    from pmkg.catalogue import load_catalogue, parse_query_file
    from pmkg.errors import PmkgError
    from pmkg.query import EmbeddedBackend, run_query
    from pmkg.store import open_store

    parser = argparse.ArgumentParser()
    parser.add_argument("dist", type=Path)
    parser.add_argument("query")
    parser.add_argument("old", type=Path, help="the other text of the query (e.g. from git show)")
    parser.add_argument("--source", action="append", required=True, help="an import's source id (repeatable)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    new = load_catalogue(ROOT / "queries")[args.query]
    old = parse_query_file(args.old)
    backend = EmbeddedBackend(open_store(args.dist))
    seen, different = set(), 0

    def timed(spec, given):
        cpus = []
        for _ in range(args.repeat + 1):
            cpu = time.process_time()
            result = run_query(spec, given, backend)
            cpus.append(time.process_time() - cpu)
        return statistics.median(cpus[1:]), [[None if v is None else v.text for v in row] for row in result.rows]

    print(f"{'old CPU s':>9} {'new CPU s':>9} {'rows':>5} same  case")
    for source in args.source:
        for label, given in cases(args.query, new, source):
            key = tuple(sorted(given.items()))
            if key in seen:
                continue
            seen.add(key)
            try:
                old_cpu, old_rows = timed(old, given)
                new_cpu, new_rows = timed(new, given)
            except PmkgError as exc:
                print(f"{label}: {exc}", file=sys.stderr)
                continue
            different += old_rows != new_rows
            print(f"{old_cpu:9.3f} {new_cpu:9.3f} {len(new_rows):5d} {'yes' if old_rows == new_rows else 'NO '}  "
                  f"{label or '(defaults)'}", flush=True)
    print(f"{len(seen)} cases, {different} different")
    raise SystemExit(1 if different else 0)


if __name__ == "__main__":
    main()
