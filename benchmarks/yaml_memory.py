"""Peak RSS and CPU of ``pmkg validate`` and ``pmkg build`` on a project whose kg/ holds one large
YAML file of valid records (issue 10: "a 4.95 MB YAML file took 1.17 GB and 100 s to validate").

The large file is the real kg/'s non-shared records copied N times (benchmarks/synth.py's renaming:
``-sK`` appended to copied ids and to references to them) and merged into one ``big.yaml``, grown
until it is just under the loader's size limit; places, topics, concepts and documents stay in one
small shared file. Each command runs as its own process under ``/usr/bin/time -v``.

    .venv/bin/python benchmarks/yaml_memory.py [--bytes 4950000] [--keep DIR] [--no-reason]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from synth import SHARED_KINDS, _rename  # noqa: E402

from pmkg.load import MAX_FILE_BYTES  # noqa: E402

PMKG = Path(sys.executable).parent / "pmkg"


def big_kg(kg: Path, out: Path, target: int) -> tuple[int, int]:
    """Write out/shared.yaml and out/big.yaml (< ``target`` bytes); return (bytes, records) of big.yaml."""
    out.mkdir(parents=True)
    data = {p.name: yaml.safe_load(p.read_text(encoding="utf-8")) or {} for p in sorted(kg.glob("*.yaml"))}
    copied = {rec["id"] for doc in data.values() for kind, recs in doc.items()
              if kind not in SHARED_KINDS for rec in recs if "id" in rec}
    shared: dict[str, list] = {}
    rest: dict[str, list] = {}
    for doc in data.values():
        for kind, recs in doc.items():
            (shared if kind in SHARED_KINDS else rest).setdefault(kind, []).extend(recs)
    (out / "shared.yaml").write_text(yaml.safe_dump(shared, allow_unicode=True), encoding="utf-8")
    one = len(yaml.safe_dump(rest, allow_unicode=True).encode())
    copies = max(1, target // one + 1)
    while True:
        merged: dict[str, list] = {kind: [] for kind in rest}
        for i in range(copies):
            renamed = _rename(rest, None, copied, f"-s{i}") if i else rest
            for kind, recs in renamed.items():
                merged[kind].extend(recs)
        text = yaml.safe_dump(merged, allow_unicode=True).encode()
        if len(text) <= target or copies == 1:
            break
        copies -= 1
    (out / "big.yaml").write_bytes(text)
    return len(text), sum(len(v) for v in merged.values())


def timed(cmd: list[str]) -> dict:
    done = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True)
    err = done.stderr

    def field(name: str) -> float:
        m = re.search(rf"{re.escape(name)}: ([\d.:]+)", err)
        return float(m.group(1)) if m and ":" not in m.group(1) else 0.0

    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", err)
    return {"rc": done.returncode, "cpu_s": field("User time (seconds)") + field("System time (seconds)"),
            "peak_rss_mb": field("Maximum resident set size (kbytes)") / 1024,
            "wall": wall.group(1) if wall else "?", "tail": (done.stdout + err).strip().splitlines()[:3]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bytes", type=int, default=MAX_FILE_BYTES - 50_000)
    parser.add_argument("--keep", type=Path, help="write the project here and keep it")
    parser.add_argument("--no-reason", action="store_true", help="pass --no-reason to validate and build")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="pmkg-yaml-mem-"))
    try:
        if args.keep and work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True, exist_ok=True)
        size, records = big_kg(ROOT / "kg", work / "kg", args.bytes)
        for part in ("ontology", "queries"):
            (work / part).symlink_to(ROOT / part)
        print(f"kg/big.yaml: {size:,} bytes, {records:,} records", flush=True)
        extra = ["--no-reason"] if args.no_reason else []
        for command in ("validate", "build"):
            result = timed([str(PMKG), command, "--root", str(work), "-q", *extra])
            print(f"pmkg {command}: rc {result['rc']}, CPU {result['cpu_s']:.1f} s, wall {result['wall']}, "
                  f"peak RSS {result['peak_rss_mb']:.0f} MB", flush=True)
            for line in result["tail"]:
                print("   ", line[:200])
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
