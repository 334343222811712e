"""Time ``pmkg import`` on generated WoS records (benchmarks/gen_wos.py) at 1k, 10k, 100k,
next to two baselines run in the same script:

* "rdflib": the same records parsed and resolved, the quads loaded into an rdflib in-memory
  Dataset (with the curated graph), and the funders-of-CAS-affiliated-papers query run by
  rdflib's SPARQL engine;
* "plain Python": the same funder counts from the raw file in one regex pass, no graph.

Ours: import into a copy of the built Oxigraph store (records/s, peak RSS of a fresh
subprocess per size), then the same SPARQL on Oxigraph (median of 3).

    .venv/bin/python benchmarks/import.py --sizes 1000 10000 100000 --rdflib-max 10000
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUERY = """PREFIX pm: <https://w3id.org/pmkg/ontology#>
SELECT ?funder (COUNT(DISTINCT ?paper) AS ?papers) WHERE {
  ?paper pm:affiliatedActor/pm:subOrganisationOf* <https://w3id.org/pmkg/id/actor/chinese-academy-of-sciences> .
  ?funder pm:funds ?paper .
} GROUP BY ?funder ORDER BY DESC(?papers)"""


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def median(func, runs: int = 3) -> tuple[float, object]:
    times, value = [], None
    for _ in range(runs):
        start = time.perf_counter()
        value = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


def ours(size: int, records: Path, dist: Path, work: Path) -> dict:
    import pyoxigraph as ox

    from pmkg.importers.run import import_into
    copy = work / f"dist-{size}"
    shutil.copytree(dist, copy)
    store = ox.Store(str(copy / "store"))
    start = time.perf_counter()
    report = import_into(store, "wos", [records], imports=work / f"imports-{size}", source_id=f"gen-{size}")
    seconds = time.perf_counter() - start
    latency, rows = median(lambda: list(store.query(QUERY, use_default_graph_as_union=True)))
    return {"import_s": seconds, "records_per_s": size / seconds, "peak_rss_mb": peak_mb(), "query_s": latency,
            "funder_share": report.tally.share("funder"), "affiliation_share": report.tally.share("affiliation"),
            "rows": len(rows)}


def rdflib_baseline(size: int, records: Path, dist: Path, work: Path) -> dict:
    import pyoxigraph as ox
    from rdflib import Dataset

    from pmkg.importers.run import import_into
    copy = work / f"dist-rdflib-{size}"
    shutil.copytree(dist, copy)
    start = time.perf_counter()
    import_into(ox.Store(str(copy / "store")), "wos", [records], imports=work / f"rdflib-{size}", source_id="g")
    ds = Dataset(default_union=True)
    ds.parse(work / f"rdflib-{size}" / "g.nq", format="nquads")
    seconds = time.perf_counter() - start
    ds.parse(dist / "pmkg.nq", format="nquads")  # the curated graph (sub-organisations), not timed
    latency, rows = median(lambda: list(ds.query(QUERY)), runs=1 if size > 1000 else 3)
    return {"import_s": seconds, "records_per_s": size / seconds, "peak_rss_mb": peak_mb(), "query_s": latency,
            "rows": len(rows)}


def plain_python(size: int, records: Path) -> dict:
    """Funder counts of CAS-affiliated papers from the raw text, no graph."""
    def count() -> Counter:
        counts: Counter = Counter()
        for block in records.read_text(encoding="utf-8").split("\nER\n"):
            if re.search(r"\] Chinese Acad Sci,", block):
                fu = re.search(r"^FU (.*)$", block, re.M)
                for name in re.split(r";\s*", fu.group(1)) if fu else []:
                    counts[re.sub(r"\s*\[[^\]]*\]", "", name)] += 1
        return counts
    seconds, counts = median(count)
    return {"count_s": seconds, "records_per_s": size / seconds, "peak_rss_mb": peak_mb(), "rows": len(counts)}


def one(kind: str, size: int, records: Path, dist: Path, work: Path) -> dict:
    if kind == "ours":
        return ours(size, records, dist, work)
    if kind == "rdflib":
        return rdflib_baseline(size, records, dist, work)
    return plain_python(size, records)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--rdflib-max", type=int, default=10000, help="skip the rdflib baseline above this size")
    parser.add_argument("--one", nargs=4, metavar=("KIND", "SIZE", "RECORDS", "WORK"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        kind, size, records, work = args.one
        print(json.dumps(one(kind, int(size), Path(records), Path(work) / "template" / "dist", Path(work))))
        return
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from gen_wos import generate

    from pmkg.pipeline import Paths, build
    work = Path(tempfile.mkdtemp(prefix="pmkg-import-bench-"))
    try:
        template = work / "template"
        for name in ("kg", "ontology", "queries"):
            template.mkdir(exist_ok=True)
            (template / name).symlink_to(ROOT / name)
        build(Paths(root=template), run_reasoner=False)
        results = {}
        for size in args.sizes:
            records = work / f"gen-{size}.txt"
            generate(size, records)
            kinds = ["ours", "plain"] + (["rdflib"] if size <= args.rdflib_max else [])
            for kind in kinds:
                out = subprocess.run([sys.executable, __file__, "--one", kind, str(size), str(records), str(work)],
                                     check=True, capture_output=True, text=True)
                results[f"{kind}@{size}"] = json.loads(out.stdout)
                print(f"{kind:>7} {size:>7}: {results[f'{kind}@{size}']}", flush=True)
        out_dir = ROOT / "benchmarks" / "results"
        out_dir.mkdir(exist_ok=True)
        (out_dir / "import.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
