"""Rerun the issue-10 fuzzers with a large budget and print the outcome table.

    .venv/bin/python scripts/fuzz_table.py [--cases N] [--out benchmarks/results/fuzz.md]

Same strategies and oracles as tests/test_fuzz_*.py (tests/fuzz_support.py);
every case is classified (accepted, clean error, crash, silent wrong, data
lost, valid value refused) instead of failing at the first bad one, and the
first few bad cases of each kind are printed.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fuzz_support import (
    check_import_file,
    check_mutated_file,
    check_scalar_case,
    damaged,
    medline_files,
    mutated_files,
    openalex_files,
    scalar_cases,
    tmp_dir,
    wos_files,
    wos_tab_files,
)
from hypothesis import HealthCheck, given, settings

COLUMNS = ("accepted", "clean-error", "crash", "silent-wrong", "data-lost", "refused-valid")


def run(name: str, strategy, check, cases: int, table: dict[str, Counter], bad: list[str]) -> None:  # noqa: ANN001
    tmp = tmp_dir()
    counts: Counter = Counter()

    @settings(max_examples=cases, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def one(case) -> None:  # noqa: ANN001
        outcome = check(case, tmp)
        counts[outcome] += 1
        if outcome not in ("accepted", "clean-error") and sum(1 for b in bad if b.startswith(name)) < 5:
            bad.append(f"{name}: {outcome}: {case!r}"[:400])

    one()
    table[name] = counts


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=2000, help="cases per importer fuzzer")
    parser.add_argument("--field-cases", type=int, default=12000, help="loader field x value cases")
    parser.add_argument("--mutation-cases", type=int, default=4500, help="loader mutated-file cases")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    table: dict[str, Counter] = {}
    bad: list[str] = []
    fuzzers = [("loader: field x value", scalar_cases(), check_scalar_case, args.field_cases),
               ("loader: mutated files", mutated_files(), check_mutated_file, args.mutation_cases),
               ("wos", damaged(wos_files()), check_import_file, args.cases),
               ("wos-tab", damaged(wos_tab_files()), check_import_file, args.cases),
               ("medline", damaged(medline_files()), check_import_file, args.cases),
               ("openalex", damaged(openalex_files()), check_import_file, args.cases)]
    for name, strategy, check, cases in fuzzers:
        run(name, strategy, check, cases, table, bad)
    lines = ["| fuzzer | cases | accepted | clean errors | crashes | silent wrong | data lost | valid refused |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    total: Counter = Counter()
    for name, counts in table.items():
        total += counts
        lines.append(f"| {name} | {sum(counts.values())} | " + " | ".join(str(counts[c]) for c in COLUMNS) + " |")
    lines.append(f"| **all** | {sum(total.values())} | " + " | ".join(str(total[c]) for c in COLUMNS) + " |")
    text = "\n".join(lines) + "\n"
    print(text)
    for line in bad:
        print(line)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n" + "\n".join(bad) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
