"""Peak memory of ``pmkg build`` as a process tree, stage by stage, at 1x / 10x / 100x.

Runs ``pmkg build -v`` (which names each stage on stderr as it starts) on a project holding the
synthetic kg/ of ``benchmarks/synth.py``, samples the summed RSS of the process and all its
descendants (HermiT's Java included) every --interval seconds from /proc, and reports per stage
the high-water mark, plus CPU seconds (user+sys, children included, from wait4) and wall seconds of
the whole process, next to the baseline ``python -c "import pyoxigraph"`` measured the same way in
the same run.  A watchdog stops the build when the machine's available memory falls under
--min-available-gb (the machine is shared).

    .venv/bin/python benchmarks/build_rss.py --sizes 1 10 --log /tmp/rss.log
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from synth import make_synthetic  # noqa: E402

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
EDIT = "facts:\n  - about: bgi\n    aliases: [Bench alias]\n    source: {doc: causio-2023, at: x}\n"
RESCAN_EVERY = 5  # samples between scans of /proc for new descendants (HermiT's Java)


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                fields = Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            kids.setdefault(int(fields[1]), []).append(int(entry.name))
    return kids


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (one scan of /proc)."""
    kids = _children()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out


def rss_kb(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KB
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss_kb(pids: list[int]) -> tuple[int, int]:
    """Summed RSS (KB) of ``pids`` (the first is the root), and of all but the root."""
    sizes = [rss_kb(p) for p in pids]
    return sum(sizes), sum(sizes[1:])


def available_gb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024 / 1024
    return float("inf")


def run(argv: list[str], interval: float, min_available_gb: float, log: Path | None) -> dict:
    """Run ``argv``; CPU, wall, the tree's peak RSS overall and per stage (from ``… stage`` lines)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True, text=True)
    stage = ["start"]
    peaks: dict[str, int] = {}
    java_peak = [0]
    stopped, done = threading.Event(), threading.Event()
    tail: list[str] = []

    def sample() -> None:
        out = log.open("a") if log else None
        pids: list[int] = [proc.pid]
        n = 0
        while not done.wait(interval):
            if n % RESCAN_EVERY == 0:  # a scan of /proc costs more than reading a few statm files
                pids = descendants(proc.pid)
            n += 1
            total, children = tree_rss_kb(pids)
            peaks[stage[0]] = max(peaks.get(stage[0], 0), total)
            java_peak[0] = max(java_peak[0], children)
            if out:
                out.write(f"{time.strftime('%H:%M:%S')} stage={stage[0]} tree_kb={total} children_kb={children}\n")
                out.flush()
            if available_gb() < min_available_gb:
                stopped.set()
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                return

    def read_stderr() -> None:
        for line in proc.stderr:
            if line.startswith("… "):
                stage[0] = line[2:].strip()
            tail[:] = [*tail[-2:], line.rstrip()]

    threads = [threading.Thread(target=f, daemon=True) for f in (sample, read_stderr)]
    for t in threads:
        t.start()
    _pid, status, usage = os.wait4(proc.pid, 0)
    done.set()
    threads[1].join(5)
    return {"wall_s": round(time.perf_counter() - start, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "peak_tree_mb": round(max(peaks.values(), default=0) / 1024),
            "peak_single_mb": round(usage.ru_maxrss / 1024), "peak_children_mb": round(java_peak[0] / 1024),
            "peak_by_stage_mb": {k: round(v / 1024) for k, v in peaks.items()},
            "exit": os.waitstatus_to_exitcode(status), "stopped_for_memory": stopped.is_set(), "stderr_tail": tail}


def project(copies: int, work: Path, keep_kg: bool = False) -> Path:
    """A project holding the synthetic kg/ (kept from an earlier run with ``keep_kg``), without dist/."""
    root = work / f"project-{copies}"
    if keep_kg and (root / "kg").is_dir():
        shutil.rmtree(root / "dist", ignore_errors=True)
        return root
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    make_synthetic(ROOT / "kg", root / "kg", copies)
    for name in ("ontology", "queries"):
        shutil.copytree(ROOT / name, root / name)
    return root


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--pmkg", type=Path, default=ROOT / ".venv" / "bin" / "pmkg")
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--min-available-gb", type=float, default=3.0)
    parser.add_argument("--work", type=Path, help="keep the projects here (default: a temp dir, removed)")
    parser.add_argument("--log", type=Path, help="append every RSS sample here")
    parser.add_argument("--edit", action="store_true", help="then time a build after adding one record")
    parser.add_argument("--keep-kg", action="store_true", help="reuse a synthetic kg/ left in --work")
    parser.add_argument("--json", type=Path, help="write the rows here")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="pmkg-rss-") as tmp:
        work = args.work or Path(tmp)
        for copies in args.sizes:
            root = project(copies, work, args.keep_kg)
            base = run([sys.executable, "-c", "import pyoxigraph"], 0.05, 0, None)
            row = {"copies": copies, "baseline": base,
                   "build": run([str(args.pmkg), "build", "-v", "--root", str(root)], args.interval,
                                args.min_available_gb, args.log)}
            manifest = root / "dist" / "build.json"
            if manifest.is_file():
                summary = json.loads(manifest.read_text(encoding="utf-8"))["summary"]
                row["records"], row["triples"] = sum(summary["records"].values()), summary["triples"]
            if args.edit and row["build"]["exit"] == 0:  # as benchmarks/build.py --process: one new record
                (root / "kg" / "zz-edit.yaml").write_text(EDIT, encoding="utf-8")
                row["after a one-record edit"] = run([str(args.pmkg), "build", "-v", "--root", str(root)],
                                                     args.interval, args.min_available_gb, None)
            rows.append(row)
            if "after a one-record edit" in row:
                e = row["after a one-record edit"]
                print(f"{copies}x after a one-record edit: cpu {e['cpu_s']} s wall {e['wall_s']} s "
                      f"peak tree {e['peak_tree_mb']} MB exit {e['exit']}", flush=True)
            b = row["build"]
            print(f"{copies}x {row.get('records', '?')} records {row.get('triples', '?')} triples: "
                  f"cpu {b['cpu_s']} s wall {b['wall_s']} s peak tree {b['peak_tree_mb']} MB "
                  f"(java {b['peak_children_mb']} MB) exit {b['exit']}"
                  f"{' STOPPED (memory)' if b['stopped_for_memory'] else ''}; baseline cpu {base['cpu_s']} s "
                  f"wall {base['wall_s']} s peak {base['peak_single_mb']} MB", flush=True)
            print("   by stage (MB): " + ", ".join(f"{k} {v}" for k, v in b["peak_by_stage_mb"].items()), flush=True)
            if args.json:
                args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
            if not args.work:
                shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
