"""Time ``pmkg imports remove ID`` (the whole process, as a user waits for it) on generated WoS records
(benchmarks/gen_wos.py), for this checkout and, in the same run, a baseline checkout (``--baseline DIR``, a
folder holding another checkout's ``src``, e.g. ``git archive dfc0381 src | tar -x -C /tmp/base``).

Two cases, each from the same copied project state for every checkout:

* "large": remove the generated import (N records) while a small one (the 3-record fixture) stays: the
  graph removed is most of the store;
* "small": remove the small import while the generated one stays: the graph removed is a sliver.

CPU seconds (user + system of the pmkg process) are what is compared: the machine is shared, so wall
seconds are given but not trusted.  Each removal is checked: the graph is gone from the store, the other
import's graph is whole.

    .venv/bin/python benchmarks/remove.py --size 20000 --baseline /tmp/base --out benchmarks/results/remove.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PMKG = Path(sys.executable).parent / "pmkg"
SMALL = ROOT / "tests" / "fixtures" / "biblio" / "wos-sample.txt"
DOC = "https://w3id.org/pmkg/id/document/import-"


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(args: list[str], src: Path) -> tuple[subprocess.CompletedProcess[str], float, float]:
    env = {**os.environ, "PMKG_SHARED": str(ROOT.parent / "shared") if (ROOT.parent / "shared").is_dir()
           else os.environ.get("PMKG_SHARED", ""),
           "PYTHONPATH": os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")])}
    start, cpu = time.perf_counter(), child_cpu()
    done = subprocess.run([str(PMKG), *args], capture_output=True, text=True, env=env)
    if done.returncode:
        raise SystemExit(f"pmkg {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done, time.perf_counter() - start, child_cpu() - cpu


def graph_quads(dist: Path) -> dict[str, int]:
    import pyoxigraph as ox

    store = ox.Store.read_only(str(dist / "store"))
    try:
        return {g.value: sum(1 for _ in store.quads_for_pattern(None, None, None, g))
                for g in store.named_graphs() if g.value.startswith(DOC)}
    finally:
        del store


def prepare(work: Path, records: Path) -> Path:
    from pmkg.pipeline import Paths, build

    root = work / "state"
    root.mkdir()
    for name in ("kg", "ontology", "queries"):
        (root / name).symlink_to(ROOT / name)
    build(Paths(root=root), run_reasoner=False)
    run(["import", "wos", str(records), "--root", str(root), "--source-id", "gen"], ROOT / "src")
    run(["import", "wos", str(SMALL), "--root", str(root), "--source-id", "small"], ROOT / "src")
    return root


def removal(state: Path, work: Path, label: str, src: Path, source: str) -> dict:
    root = work / f"{label}-{source}"
    shutil.copytree(state, root, symlinks=True)
    before = graph_quads(root / "dist")
    done, wall, cpu = run(["imports", "remove", source, "--root", str(root)], src)
    after = graph_quads(root / "dist")
    other = "small" if source == "gen" else "gen"
    assert DOC + source not in after and after[DOC + other] == before[DOC + other], (before, after)
    assert not (root / "imports" / f"{source}.nq").exists()
    shutil.rmtree(root)
    return {"cpu_s": round(cpu, 2), "wall_s": round(wall, 2), "graph_quads": before[DOC + source],
            "message": done.stdout.strip()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=20000)
    parser.add_argument("--records", type=Path, help="an already generated file of --size records")
    parser.add_argument("--baseline", type=Path, help="a folder with another checkout's src/ to compare with")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from gen_wos import generate

    work = Path(tempfile.mkdtemp(prefix="pmkg-remove-bench-"))
    try:
        records = args.records or work / f"gen-{args.size}.txt"
        if not records.is_file():
            generate(args.size, records)
        state = prepare(work, records)
        checkouts = {"this": ROOT / "src"}
        if args.baseline:
            checkouts = {"baseline": args.baseline.resolve() / "src", **checkouts}
        results: dict[str, list[dict]] = {}
        for n in range(args.repeat):
            for label, src in checkouts.items():
                for source in ("gen", "small"):
                    key = f"{label} remove {'large' if source == 'gen' else 'small'}"
                    results.setdefault(key, []).append(removal(state, work, f"{label}{n}", src, source))
                    print(f"{key}: {results[key][-1]}", flush=True)
        out = {"size": args.size, "records": str(records), "results": results}
        if args.out:
            args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
