"""The import benchmark table (benchmarks/import.py results) as text: records/s, peak RSS, the
floor measured in the same run (before and after ours), ratios, and the paper-level query times.

    .venv/bin/python benchmarks/import_table.py benchmarks/results/import-session3-*.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def rows(results: dict) -> list[str]:
    out = []
    sizes = sorted({int(k.split("@")[1]) for k in results})
    for n in sizes:
        ours, floors = results.get(f"ours@{n}"), [results.get(f"floor@{n}"), results.get(f"floor-after@{n}")]
        floor = max((f["records_per_s"] for f in floors if f), default=None)
        rdf = results.get(f"rdflib@{n}")
        if ours:
            ratio = f"{floor / ours['records_per_s']:.1f}x slower" if floor else "-"
            out.append(f"{n:>9,}  pmkg import (CLI)   {ours['records_per_s']:>9,.0f}  {ours['peak_rss_mb']:>8,.0f}  "
                       f"{ours['import_s']:>8.1f}  {ratio}  (quads {ours['quads']:,}; funders {ours['funder_share']}%, "
                       f"affiliations {ours['affiliation_share']}% resolved)")
        for label, f in zip(("floor (before ours)", "floor (after ours)"), floors, strict=True):
            if f:
                out.append(f"{n:>9,}  {label:<19} {f['records_per_s']:>9,.0f}  {f['peak_rss_mb']:>8,.0f}  "
                           f"{f['seconds']:>8.1f}")
        if rdf:
            out.append(f"{n:>9,}  rdflib parse of .nq {rdf['records_per_s']:>9,.0f}  {rdf['peak_rss_mb']:>8,.0f}  "
                       f"{rdf['seconds']:>8.1f}  (the .nq ours wrote, into an rdflib Dataset; {rdf['quads']:,} quads)")
        for name, q in (ours or {}).get("queries", {}).items():
            out.append(f"{n:>9,}    query {name:<32} {q['median_s']:>7.2f} s  ({q['rows']} rows)")
    return out


def main() -> None:
    print(f"{'records':>9}  {'run':<19} {'records/s':>9}  {'peak MB':>8}  {'seconds':>8}  ratio to the floor")
    for path in sys.argv[1:]:
        print("\n".join(rows(json.loads(Path(path).read_text(encoding="utf-8")))))


if __name__ == "__main__":
    main()
