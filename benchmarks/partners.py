"""Partner suggestions: how well they discriminate between EU clusters, and how fast the query is.

Baseline "before": main's query as of 38fc633 (shared topics 10/df + complementarity, computed in
SPARQL; kept in benchmarks/baselines/). "after": queries/chinese-partners-of-eu-clusters.rq, which
reads the evidence the build materialises (src/pmkg/similarity.py). Both run in this one process on
the same built store (dist/, run `pmkg build` first), embedded Oxigraph with its defaults.

Measured, for the top 5 of each of the 26 EU clusters (limit=5):
- distinct actors at #1 across the clusters (more is better);
- mean pairwise Jaccard overlap of the top-5 sets (lower is better), and the number of cluster pairs
  with identical top-5 lists (in order);
- query time: median of --runs runs, for all clusters and for one (cluster=biorn).

    .venv/bin/python benchmarks/partners.py --runs 5
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import time
from collections import Counter
from pathlib import Path

from pmkg.catalogue import parse_query_file
from pmkg.query import EmbeddedBackend, run_query
from pmkg.store import open_store

ROOT = Path(__file__).resolve().parents[1]
QUERIES = {"before (38fc633)": ROOT / "benchmarks" / "baselines" / "chinese-partners-of-eu-clusters.before.rq",
           "after": ROOT / "queries" / "chinese-partners-of-eu-clusters.rq"}


def timed(spec, params: dict[str, str], backend: EmbeddedBackend, runs: int) -> tuple[float, list[dict]]:
    times, rows = [], []
    for _ in range(runs):
        start = time.perf_counter()
        rows = run_query(spec, params, backend).records()
        times.append(time.perf_counter() - start)
    return statistics.median(times), rows


def discrimination(rows: list[dict]) -> dict:
    tops: dict[str, list[str]] = {}
    for r in sorted(rows, key=lambda r: (r["cluster"], int(r["rank"]))):
        tops.setdefault(r["cluster"], []).append(r["actor"])
    firsts = Counter(top[0] for top in tops.values())
    pairs = list(itertools.combinations(sorted(tops), 2))
    jaccard = [len(set(tops[a]) & set(tops[b])) / len(set(tops[a]) | set(tops[b])) for a, b in pairs]
    return {"clusters": len(tops), "distinct_first": len(firsts), "firsts": dict(firsts.most_common()),
            "mean_top5_jaccard": round(statistics.mean(jaccard), 3),
            "identical_top5_pairs": sum(tops[a] == tops[b] for a, b in pairs), "pairs": len(pairs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    backend = EmbeddedBackend(open_store(ROOT / "dist"))
    results = {}
    for name, path in QUERIES.items():
        spec = parse_query_file(path)
        all_time, rows = timed(spec, {"limit": "5"}, backend, args.runs)
        one_time, _ = timed(spec, {"cluster": "biorn", "limit": "5"}, backend, args.runs)
        results[name] = {**discrimination(rows), "ms_all_clusters": round(all_time * 1000),
                         "ms_one_cluster": round(one_time * 1000)}
    out = ROOT / "benchmarks" / "results"
    (out / "partners.json").write_text(json.dumps({"runs": args.runs, "results": results}, indent=2) + "\n")
    lines = [f"partner suggestions, top 5 of each EU cluster; times are medians of {args.runs} runs in one process",
             f"{'':18} {'distinct #1':>11} {'mean Jaccard':>12} {'identical':>9} {'ms all':>7} {'ms one':>7}"]
    for name, r in results.items():
        lines.append(f"{name:18} {r['distinct_first']:>11} {r['mean_top5_jaccard']:>12} "
                     f"{r['identical_top5_pairs']:>5}/{r['pairs']:<3} "
                     f"{r['ms_all_clusters']:>7} {r['ms_one_cluster']:>7}")
        lines.append(f"{'':18} #1: " + ", ".join(f"{a} {n}" for a, n in r["firsts"].items()))
    (out / "partners.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
