"""Time loading the curated YAML (``python -m pmkg.load``) as whole processes, next to
the baseline in the same run:

* "pyyaml-safeloader": PyYAML's pure-Python ``SafeLoader`` parsing the same files
  (parse only) - what ``pmkg.load`` used before issue 10, before validating;
* "pmkg.load": libyaml's C parser, YAML 1.2 core types, duplicate-key checks,
  the strict pydantic validation and the reference checks - the whole stage.

Inputs: ``kg/`` and a generated file just under the 5 MB limit (``--big``).
Median wall time of ``--runs`` fresh processes, and the peak RSS of each.

    .venv/bin/python benchmarks/load.py --runs 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ("import sys, yaml, pathlib\n"
            "for f in sorted(pathlib.Path(sys.argv[1]).rglob('*.yaml')):\n"
            "    yaml.load(f.read_text(encoding='utf-8'), Loader=yaml.SafeLoader)\n")
OURS = "import sys\nfrom pmkg.load import main\nsys.exit(main(sys.argv[1:]))\n"


def big_kg(folder: Path, target: int = 4_900_000) -> Path:
    """A kg/ with one valid file of generated actors just under the size limit."""
    kg = folder / "kg"
    kg.mkdir()
    (kg / "doc.yaml").write_text("documents:\n  - {id: d1, label: D}\n", encoding="utf-8")
    chunks, size, i = ["actors:\n"], 0, 0
    while size < target:
        rec = (f"  - id: actor-{i}\n    label: Generated actor {i}\n    aliases: [A{i}, B{i}]\n"
               f"    description: \"An organisation generated for the load benchmark, number {i}.\"\n"
               f"    place_unknown: true\n    website: [\"https://example.org/{i}\"]\n"
               f"    source: {{doc: d1, at: \"row {i}\", quote: \"Generated actor {i}\"}}\n")
        chunks.append(rec)
        size += len(rec)
        i += 1
    (kg / "actors.yaml").write_text("".join(chunks), encoding="utf-8")
    return kg


def timed(code: str, arg: Path) -> tuple[float, int, int]:
    """(seconds, peak RSS in KB, exit code) of one fresh process."""
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.execv(sys.executable, [sys.executable, "-c", code, str(arg)])
    _, status, usage = os.wait4(pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss, os.waitstatus_to_exitcode(status)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "load.md")
    args = parser.parse_args()
    lines = ["| input | loader | median s | min s | peak RSS MB | exit |", "|---|---|---:|---:|---:|---:|"]
    with tempfile.TemporaryDirectory() as tmp:
        inputs = {"kg/ (13 files, 680 KB)": ROOT / "kg", "generated 4.9 MB file": big_kg(Path(tmp))}
        for label, folder in inputs.items():
            for name, code in (("pyyaml-safeloader (baseline, parse only)", BASELINE), ("pmkg.load", OURS)):
                runs = [timed(code, folder) for _ in range(args.runs)]
                secs = [r[0] for r in runs]
                lines.append(f"| {label} | {name} | {statistics.median(secs):.2f} | {min(secs):.2f} | "
                             f"{max(r[1] for r in runs) / 1024:.0f} | {runs[-1][2]} |")
                print(lines[-1], flush=True)
    text = (f"Load benchmark, {args.runs} fresh processes each, "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} (shared 2-core machine)\n\n"
            + "\n".join(lines) + "\n")
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
