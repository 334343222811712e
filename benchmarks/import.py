"""Time ``pmkg import`` end to end on generated WoS records (benchmarks/gen_wos.py), next to two
baselines in the same run:

* "ours": the installed ``.venv/bin/pmkg import wos FILE`` as a subprocess on a copy of the built
  project, registry dumps found as a user's run finds them (``$PMKG_SHARED``) -- records/s over the
  whole command (start-up, index loading, parsing, resolution, imports/<id>.nq, the store load),
  peak RSS of that process; then the paper-level canned queries on the result (median of 3);
* "floor": plain Python over the same file: every record's fields parsed (tags, C1 addresses, FU
  funders without grant brackets, PY, DI, UT, TI), every address's organisation and every funder
  name looked up in a dictionary of the curated names; no RDF, nothing written;
* "rdflib" (up to --rdflib-max): the .nq our import wrote, parsed into an rdflib Dataset.

"ours" also times a re-import of the same file under the same --source-id (the graph is replaced), and
each paper-level query is timed in CPU and wall seconds on the store (median of 3 after a warm-up).
``--checkout DIR`` benchmarks another checkout's code and queries (e.g. a worktree of main, the
baseline) with this script: its ``src`` goes first on PYTHONPATH of every process that runs pmkg.

    .venv/bin/python benchmarks/import.py --sizes 100000 --out benchmarks/results/import-session3.json
    .venv/bin/python benchmarks/import.py --sizes 1000000 --records /tmp/gen-1m.txt --rdflib-max 0 ...
    .venv/bin/python benchmarks/import.py --sizes 10000 --checkout ../main --out /tmp/before.json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(os.environ.get("PMKG_BENCH_CHECKOUT") or Path(__file__).resolve().parents[1]).resolve()
PMKG = Path(sys.executable).parent / "pmkg"
PAPER_QUERIES = ["funders-of-affiliated-papers", "top-funders", "top-institutions", "co-affiliation-countries",
                 "publication-trends", "sources"]


def child_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def self_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def project(work: Path, name: str) -> Path:
    """A project folder: kg/, ontology/, queries/ linked to this checkout, dist/ copied from the template."""
    root = work / name
    root.mkdir()
    for part in ("kg", "ontology", "queries"):
        (root / part).symlink_to(ROOT / part)
    shutil.copytree(work / "template" / "dist", root / "dist")
    return root


def query_times(dist: Path) -> dict[str, dict]:
    from pmkg.catalogue import load_catalogue
    from pmkg.query import EmbeddedBackend, run_query
    from pmkg.store import open_store

    catalogue = load_catalogue(ROOT / "queries")
    backend = EmbeddedBackend(open_store(dist))
    out = {}
    for name in PAPER_QUERIES:
        walls, cpus, rows = [], [], 0
        for _ in range(4):  # a warm-up and 3 timed runs
            start, cpu = time.perf_counter(), time.process_time()
            rows = len(run_query(catalogue[name], {}, backend).rows)
            walls.append(time.perf_counter() - start)
            cpus.append(time.process_time() - cpu)
        out[name] = {"median_s": statistics.median(walls[1:]), "median_cpu_s": statistics.median(cpus[1:]),
                     "rows": rows}
    return out


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_import(root: Path, records: Path, source: str) -> tuple[subprocess.CompletedProcess[str], float, float]:
    # ../shared beside the checkout, else $PMKG_SHARED, else a shared/ beside an ancestor (a worktree in
    # /work/wt/x has none beside it); without one the import silently resolves to curated actors only
    env_shared = [Path(os.environ["PMKG_SHARED"])] if os.environ.get("PMKG_SHARED") else []
    shared = next((p for p in [ROOT.parent / "shared", *env_shared, *(a / "shared" for a in ROOT.parents[1:])]
                   if (p / "seeds").is_dir()), None)
    if shared is None:
        raise SystemExit("no ../shared/seeds found for the registry dumps; set PMKG_SHARED")
    env = {**os.environ, "PMKG_SHARED": str(shared)}
    start, cpu = time.perf_counter(), child_cpu()
    done = subprocess.run([str(PMKG), "import", "wos", str(records), "--root", str(root), "--source-id", source],
                          capture_output=True, text=True, env=env)
    if done.returncode:
        raise SystemExit(f"pmkg import failed ({done.returncode}): {done.stderr[-2000:]}")
    return done, time.perf_counter() - start, child_cpu() - cpu


def ours(size: int, records: Path, work: Path) -> dict:
    root = project(work, f"ours-{size}")
    done, seconds, cpu = timed_import(root, records, f"gen-{size}")
    peak = child_peak_mb()
    shares = re.search(r"funder strings resolved: \d+/\d+ \(([\d.]+)%\); affiliation strings resolved: "
                       r"\d+/\d+ \(([\d.]+)%\)", done.stdout)
    quads = re.search(r"([\d,]+) quads\)", done.stdout)
    queries = query_times(root / "dist")
    reimport_s = reimport_cpu = None
    if not os.environ.get("PMKG_BENCH_NO_REIMPORT"):
        _again, reimport_s, reimport_cpu = timed_import(root, records, f"gen-{size}")
    return {"import_s": seconds, "import_cpu_s": cpu, "records_per_s": size / seconds, "peak_rss_mb": peak,
            "reimport_s": reimport_s, "reimport_cpu_s": reimport_cpu, "reimport_peak_rss_mb": child_peak_mb(),
            "quads": int(quads.group(1).replace(",", "")) if quads else None,
            "funder_share": shares.group(1) if shares else None,
            "affiliation_share": shares.group(2) if shares else None,
            "nq": str(root / "imports" / f"gen-{size}.nq"), "queries": queries}


def curated_names(dist: Path) -> dict[str, str]:
    from pmkg.importers.resolve import load_curated_from

    c = load_curated_from(dist)
    return {k: next(iter(v)) for k, v in c.names.items() if len(v) == 1}


def floor(size: int, records: Path, dist: Path) -> dict:
    """Plain Python: parse every record's fields, resolve names by dictionary lookup."""
    names = curated_names(dist)
    lookup = {k.lower(): v for k, v in names.items()}
    bracket = re.compile(r"\s*\[[^\]]*\]")
    start = time.perf_counter()
    papers = resolved = 0
    with records.open(encoding="utf-8") as fh:
        tags: dict[str, list[str]] = {}
        tag = ""
        for line in fh:
            if line.startswith("   "):
                tags[tag].append(line.strip())
                continue
            tag, value = line[:2], line[3:].rstrip("\n")
            if tag == "ER":
                papers += 1
                fields = {t: " ".join(v) for t, v in tags.items()}
                _ = (fields.get("TI"), fields.get("PY"), fields.get("DI"), fields.get("UT"), fields.get("SO"))
                for address in tags.get("C1", []):
                    org = address.split("] ", 1)[-1].split(",", 1)[0]
                    resolved += lookup.get(re.sub(r"\W+", "", org.lower())) is not None
                for name in bracket.sub("", fields.get("FU", "")).split(";"):
                    resolved += lookup.get(re.sub(r"\W+", "", name.lower())) is not None
                tags = {}
            elif tag.strip():
                tags.setdefault(tag, []).append(value)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "records_per_s": size / seconds, "papers": papers, "lookups_hit": resolved,
            "peak_rss_mb": self_peak_mb()}


def rdflib_load(size: int, nq: Path) -> dict:
    from rdflib import Dataset

    start = time.perf_counter()
    ds = Dataset()
    ds.parse(nq, format="nquads")
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "records_per_s": size / seconds, "quads": len(ds), "peak_rss_mb": self_peak_mb()}


def run_one(kind: str, size: int, records: Path, work: Path, extra: str) -> dict:
    if kind == "ours":
        return ours(size, records, work)
    if kind == "floor":
        return floor(size, records, work / "template" / "dist")
    return rdflib_load(size, Path(extra))


def sub(kind: str, size: int, records: Path, work: Path, extra: str = "-") -> dict:
    env = {**os.environ, "PMKG_BENCH_CHECKOUT": str(ROOT),
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, __file__, "--one", kind, str(size), str(records), str(work), extra],
                         check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout)


def prepare(work: Path) -> None:
    from pmkg.pipeline import Paths, build

    template = work / "template"
    template.mkdir()
    for name in ("kg", "ontology", "queries"):
        (template / name).symlink_to(ROOT / name)
    build(Paths(root=template), run_reasoner=False)


def use_checkout(path: Path) -> None:
    global ROOT
    ROOT = path.resolve()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100000])
    parser.add_argument("--records", type=Path, help="an already generated file (for the one size given)")
    parser.add_argument("--rdflib-max", type=int, default=100000, help="skip the rdflib baseline above this size")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "import.json")
    parser.add_argument("--checkout", type=Path, help="benchmark this checkout's code and queries (default: this one)")
    parser.add_argument("--no-reimport", action="store_true", help="skip the re-import (it doubles a 1M run)")
    parser.add_argument("--one", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.no_reimport:
        os.environ["PMKG_BENCH_NO_REIMPORT"] = "1"
    if args.checkout:
        use_checkout(args.checkout)
    if args.one:
        kind, size, records, work, extra = args.one
        print(json.dumps(run_one(kind, int(size), Path(records), Path(work), extra)))
        return
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from gen_wos import generate

    work = Path(tempfile.mkdtemp(prefix="pmkg-import-bench-"))
    results: dict[str, dict] = {}
    try:
        prepare(work)
        for size in args.sizes:
            records = args.records or work / f"gen-{size}.txt"
            if not records.is_file():
                generate(size, records)
            results[f"floor@{size}"] = sub("floor", size, records, work)
            print(f"floor  {size}: {results[f'floor@{size}']}", flush=True)
            results[f"ours@{size}"] = sub("ours", size, records, work)
            print(f"ours   {size}: {results[f'ours@{size}']}", flush=True)
            if size <= args.rdflib_max:
                results[f"rdflib@{size}"] = sub("rdflib", size, records, work, results[f"ours@{size}"]["nq"])
                print(f"rdflib {size}: {results[f'rdflib@{size}']}", flush=True)
            results[f"floor-after@{size}"] = sub("floor", size, records, work)  # the load may change meanwhile
            print(f"floor  {size} (after): {results[f'floor-after@{size}']}", flush=True)
            if records.parent == work:
                records.unlink()
        args.out.parent.mkdir(exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
