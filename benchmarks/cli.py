"""Time what a user waits for: whole ``pmkg`` processes, start-up included, next to a baseline.

Baseline (same interpreter, same run): ``python -c "import pyoxigraph"`` - the least
any command that touches the store must pay.  Every command runs against a
throw-away copy of the project (kg/, ontology/, queries/), built once first; each
figure is the median of several runs, baseline runs interleaved with the command's
own, so that the noise of a shared machine falls on both alike.  Peak RSS is the
largest resident size of the process and its children (``wait4``); CPU seconds
(user + system, the process and its children, e.g. HermiT's Java) say how much
work a command does, which a loaded machine distorts less than wall time.

Several versions can be timed in the same run, each on its own copy of the project,
their runs interleaved (``--compare LABEL=SCRIPT``), so that before and after share the
machine's load.  Bytecode: a user's installed pmkg has its ``.pyc`` files; a checkout run
with ``PYTHONDONTWRITEBYTECODE=1`` (as some shells here set it) compiles every pmkg module
at every start (~0.05 s for ``query``, more for ``build``).  The benchmark therefore
compiles each version's sources first and drops that variable for the timed processes,
unless ``--no-bytecode``.

    .venv/bin/python benchmarks/cli.py                       # this checkout's pmkg
    .venv/bin/python benchmarks/cli.py --pmkg /work/main/.venv/bin/pmkg --label before
    .venv/bin/python benchmarks/cli.py --compare before=/path/to/old/pmkg --label session4
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
REPORTS = {"landscape": [], "actor": ["--param", "entity=bgi"],
           "partners": ["--param", "cluster=digital-health-and-innovation-cluster-bulgaria"]}


@dataclass
class Timing:
    name: str
    argv: list[str]
    seconds: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    codes: list[int] = field(default_factory=list)

    def row(self) -> dict:
        return {"name": self.name, "argv": self.argv, "median_s": statistics.median(self.seconds),
                "min_s": min(self.seconds), "runs": len(self.seconds),
                "baseline_median_s": statistics.median(self.baseline),
                "cpu_median_s": statistics.median(self.cpu), "peak_rss_mb": max(self.rss_mb),
                "exit_codes": sorted(set(self.codes))}


def run_once(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float, int, float]:
    """Wall seconds, peak RSS (MB), the exit code and CPU seconds of one run (with its children)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env)
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return seconds, usage.ru_maxrss / 1024, proc.returncode, usage.ru_utime + usage.ru_stime


def interpreter_of(pmkg: Path) -> str:
    """The Python of the console script (its shebang), for the baseline."""
    first = pmkg.read_text(encoding="utf-8", errors="replace").splitlines()[0]
    return first[2:].strip() if first.startswith("#!") else sys.executable


def canned_queries(queries: Path) -> list[tuple[str, list[str]]]:
    """Every canned query with its required parameters set to their examples."""
    out = []
    for path in sorted(queries.glob("*.rq")):
        header = "\n".join(line[3:] for line in path.read_text(encoding="utf-8").splitlines()
                           if line.startswith("#+ "))
        meta = yaml.safe_load(header) or {}
        args = []
        for p in meta.get("params") or []:
            if p.get("required"):
                args += ["--param", f"{p['name']}={p['example']}"]
        out.append((path.stem, args))
    return out


def make_project(source: Path, work: Path) -> Path:
    root = work / "project"
    root.mkdir()
    for name in ("kg", "ontology", "queries"):
        shutil.copytree(source / name, root / name)
    return root


def commands(pmkg: str, root: Path, out: Path, only: set[str] | None) -> list[Timing]:
    r = ["--root", str(root)]
    todo = [Timing("pmkg --help", [pmkg, "--help"]),
            Timing("pmkg query --list", [pmkg, "query", "--list", *r])]
    for name, args in canned_queries(root / "queries"):
        todo.append(Timing(f"pmkg query {name}", [pmkg, "query", name, *args, *r]))
    todo += [Timing("pmkg build", [pmkg, "build", *r]), Timing("pmkg validate", [pmkg, "validate", *r]),
             Timing(EDITED, [pmkg, "build", *r]), Timing(ADDED, [pmkg, "build", *r])]
    for name, args in REPORTS.items():
        todo.append(Timing(f"pmkg report {name}", [pmkg, "report", name, "--out", str(out / f"{name}.html"),
                                                    *args, *r]))
    if only:
        todo = [t for t in todo if any(word in t.name for word in only)]
    return todo


EDITED = "pmkg build (after a one-record edit)"
ADDED = "pmkg build (after adding a record)"


def heavy(t: Timing) -> bool:
    return t.name.startswith(("pmkg build", "pmkg validate", "pmkg report"))


def edit_a_record(root: Path, n: int) -> None:
    """Change one record (a new alias of an actor).  After the first run only the alias differs: a
    label-like edit, which HermiT's input leaves out (reasoning is reused, SHACL revalidates the node)."""
    (root / "kg" / "zz-bench-edit.yaml").write_text(
        f"facts:\n  - about: bgi\n    aliases: [Bench alias {n}]\n    source: {{doc: causio-2023, at: x}}\n",
        encoding="utf-8")


def add_a_record(root: Path, n: int) -> None:
    """Add one record (a new fact with its source): new triples between nodes, so HermiT runs again."""
    (root / "kg" / f"zz-bench-add-{n}.yaml").write_text(
        f"facts:\n  - about: bgi\n    aliases: [Bench added {n}]\n    source: {{doc: causio-2023, at: added {n}}}\n",
        encoding="utf-8")


@dataclass
class Variant:
    """One version of pmkg under test, on its own copy of the project (its own dist/ and caches)."""

    label: str
    pmkg: str
    root: Path
    todo: list[Timing] = field(default_factory=list)


def child_env(bytecode: bool) -> dict[str, str]:
    env = dict(os.environ)
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def measure(variants: list[Variant], baseline: list[str], runs: int, heavy_runs: int, env: dict[str, str]) -> None:
    """Each command's runs, the versions' runs interleaved (before, after, before, after ...)."""
    for i, first in enumerate(variants[0].todo):
        for n in range(heavy_runs if heavy(first) else runs):
            for v in variants:
                t = v.todo[i]
                if t.name == EDITED:
                    edit_a_record(v.root, n)
                if t.name == ADDED:
                    add_a_record(v.root, n)
                t.baseline.append(run_once(baseline, v.root, env)[0])
                seconds, rss, code, cpu = run_once(t.argv, v.root, env)
                t.cpu.append(cpu)
                t.seconds.append(seconds)
                t.rss_mb.append(rss)
                t.codes.append(code)
        for v in variants:
            row = v.todo[i].row()
            print(f"  {v.label:<8} {row['name']:<44} {row['median_s']:7.3f} s  cpu {row['cpu_median_s']:.2f} s  "
                  f"(baseline {row['baseline_median_s']:.3f} s, "
                  f"peak {row['peak_rss_mb']:.0f} MB, exit {row['exit_codes']})", flush=True)


def table(rows: list[dict], label: str, pmkg: str) -> str:
    lines = [f"# benchmarks/cli.py - {label}: {pmkg}",
             f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.node()}, "
             f"load average {os.getloadavg()[0]:.1f} at the end (shared machine: timings are noisy)",
             "# wall seconds, median of runs; baseline = python -c 'import pyoxigraph' interleaved in the same run",
             f"{'command':<50} {'median s':>9} {'baseline s':>11} {'x baseline':>11} {'cpu s':>7} {'runs':>5} "
             f"{'peak MB':>8} exit"]
    for row in rows:
        ratio = row["median_s"] / max(row["baseline_median_s"], 1e-9)
        cpu = row.get("cpu_median_s")
        lines.append(f"{row['name']:<50} {row['median_s']:9.3f} {row['baseline_median_s']:11.3f} {ratio:11.1f} "
                     f"{cpu if cpu is not None else float('nan'):7.2f} {row['runs']:5d} {row['peak_rss_mb']:8.0f} "
                     f"{','.join(map(str, row['exit_codes']))}")
    return "\n".join(lines) + "\n"


def comparison(variants: list[Variant]) -> str:
    """Wall and CPU medians of every version side by side."""
    head = f"{'command':<46}" + "".join(f" {v.label + ' wall':>14} {v.label + ' cpu':>13} {'MB':>5}" for v in variants)
    lines = ["# side by side: wall s (median), cpu s (median, with children), peak RSS MB", head]
    for i, first in enumerate(variants[0].todo):
        cells = "".join(f" {r['median_s']:14.3f} {r['cpu_median_s']:13.2f} {r['peak_rss_mb']:5.0f}"
                        for r in (v.todo[i].row() for v in variants))
        lines.append(f"{first.name:<46}{cells}")
    return "\n".join(lines) + "\n"


def warm_up(variants: list[Variant], env: dict[str, str]) -> None:
    """The first build (untimed), then each light command once: with bytecode on, every module a timed
    run imports has its .pyc, as in a user's installation."""
    for v in variants:
        print(f"first build of {v.root} with {v.pmkg} ...", flush=True)
        subprocess.run([v.pmkg, "build", "--root", str(v.root)], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, env=env)
        for t in v.todo:
            if not heavy(t):
                run_once(t.argv, v.root, env)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pmkg", type=Path, default=ROOT / ".venv" / "bin" / "pmkg", help="the console script")
    parser.add_argument("--compare", nargs="*", default=[], metavar="LABEL=SCRIPT",
                        help="other versions' console scripts, timed in the same run (e.g. before=old/pmkg)")
    parser.add_argument("--source", type=Path, default=ROOT, help="project whose kg/, ontology/, queries/ to copy")
    parser.add_argument("--runs", type=int, default=5, help="runs of each light command")
    parser.add_argument("--heavy-runs", type=int, default=3, help="runs of build, validate and each report")
    parser.add_argument("--only", nargs="*", help="only commands whose name contains one of these words")
    parser.add_argument("--no-bytecode", action="store_true", help="keep PYTHONDONTWRITEBYTECODE as it is set")
    parser.add_argument("--label", default="after", help="results go to benchmarks/results/cli-LABEL.{txt,json}"
                        " and, for 'after', to cli.{txt,json}")
    args = parser.parse_args()
    env = child_env(not args.no_bytecode)
    baseline = [interpreter_of(args.pmkg), "-c", "import pyoxigraph"]
    scripts = [(label, Path(script)) for label, _, script in (c.partition("=") for c in args.compare)]
    scripts.append(("after" if args.compare else args.label, args.pmkg))
    with tempfile.TemporaryDirectory(prefix="pmkg-cli-bench-") as tmp:
        variants = []
        for label, script in scripts:
            (Path(tmp) / label).mkdir()
            root = make_project(args.source.resolve(), Path(tmp) / label)
            pmkg = str(script.resolve())
            variants.append(Variant(label, pmkg, root, commands(pmkg, root, Path(tmp) / label,
                                                                set(args.only) if args.only else None)))
        warm_up(variants, env)
        measure(variants, baseline, args.runs, args.heavy_runs, env)
    RESULTS.mkdir(parents=True, exist_ok=True)
    bytecode = "off (PYTHONDONTWRITEBYTECODE as set)" if args.no_bytecode else "on (.pyc files, as installed)"
    text = "".join(table([t.row() for t in v.todo], v.label, v.pmkg) for v in variants)
    text += f"# bytecode caches: {bytecode}\n"
    if len(variants) > 1:
        text += comparison(variants)
    print(text)
    names = [f"cli-{args.label}"] + (["cli"] if args.label == "after" else [])
    for name in names:
        (RESULTS / f"{name}.txt").write_text(text, encoding="utf-8")
        payload = {"label": args.label, "bytecode": bytecode,
                   "versions": [{"label": v.label, "pmkg": v.pmkg, "rows": [t.row() for t in v.todo]}
                                for v in variants]}
        (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
