"""Every case of the paper-level canned queries on a store with imports: CPU and wall seconds (median of
--repeat after a warm-up) and the rows, as ``pmkg query`` answers them (``run_query``, the embedded store).

The cases: each query's defaults and each example (``example_cases``), and for the imported data the cases
a user of issue 11 asks (database=imported:<id> with and without include-suborgs and a city; the org
examples with include-suborgs true/false, show-unresolved, source).  ``--answers FILE`` writes every
case's rows as text (JSON), so two checkouts' answers on the same store can be compared
(``--compare A B``).

    .venv/bin/python benchmarks/import_queries.py /tmp/p/dist --source gen-1000000 --out r.json --answers a.json
    .venv/bin/python benchmarks/import_queries.py --compare before.json after.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ["funders-of-affiliated-papers", "top-institutions", "top-funders", "publication-trends", "sources",
           "co-affiliation-countries"]
ORGS = ["Chinese Academy of Sciences", "https://w3id.org/pmkg/id/actor/chinese-academy-of-sciences",
        "Sun Yat-sen University"]


def cases(spec_name: str, spec, source: str) -> list[tuple[str, dict[str, str]]]:
    from pmkg.catalogue import example_cases

    out = list(example_cases(spec))
    doc = f"import-{source}"
    if spec_name == "funders-of-affiliated-papers":
        for org in ORGS[1:]:
            for roll in ("true", "false"):
                out.append((f"org={org} include-suborgs={roll}", {"org": org, "include-suborgs": roll}))
                out.append((f"org={org} include-suborgs={roll} show-unresolved=true",
                            {"org": org, "include-suborgs": roll, "show-unresolved": "true"}))
                out.append((f"org={org} include-suborgs={roll} source={doc}",
                            {"org": org, "include-suborgs": roll, "source": doc}))
    elif spec_name == "top-institutions":
        for roll in ("false", "true"):
            for city in (None, "Beijing", "Guangdong"):
                given = {"database": f"imported:{source}", "include-suborgs": roll, **({"city": city} if city else {})}
                out.append((" ".join(f"{k}={v}" for k, v in given.items()), given))
    elif spec_name == "top-funders":
        out.append((f"database=imported:{source}", {"database": f"imported:{source}"}))
    elif spec_name == "co-affiliation-countries":
        out.append((f"source={doc}", {"source": doc}))
        out.append((f"source={doc} country=China", {"source": doc, "country": "China"}))
    return out


def run(dist: Path, source: str, repeat: int, only: list[str] | None) -> tuple[list[dict], dict[str, list]]:
    from pmkg.catalogue import load_catalogue
    from pmkg.errors import PmkgError
    from pmkg.query import EmbeddedBackend, run_query
    from pmkg.store import open_store

    catalogue = load_catalogue(ROOT / "queries")
    backend = EmbeddedBackend(open_store(dist))
    timings, answers = [], {}
    for name in only or QUERIES:
        for label, given in cases(name, catalogue[name], source):
            walls, cpus, rows = [], [], []
            try:
                for _ in range(repeat + 1):
                    start, cpu = time.perf_counter(), time.process_time()
                    result = run_query(catalogue[name], given, backend)
                    walls.append(time.perf_counter() - start)
                    cpus.append(time.process_time() - cpu)
                rows = [[None if v is None else v.text for v in row] for row in result.rows]
            except PmkgError as exc:  # an example naming data the store lacks
                print(f"{name} {label}: {exc}", file=sys.stderr)
                continue
            case = f"{name} {label}".strip()
            answers[case] = rows
            timings.append({"case": case, "cpu_s": statistics.median(cpus[1:]), "wall_s": statistics.median(walls[1:]),
                            "rows": len(rows)})
            print(f"{timings[-1]['cpu_s']:8.3f} {timings[-1]['wall_s']:8.3f} {len(rows):5d}  {case}", flush=True)
    return timings, answers


def compare(a: Path, b: Path) -> int:
    left, right = json.loads(a.read_text()), json.loads(b.read_text())
    differ = [c for c in sorted(set(left) | set(right)) if left.get(c) != right.get(c)]
    for case in differ:
        print(f"DIFFERENT: {case}\n  {a}: {left.get(case)}\n  {b}: {right.get(case)}")
    print(f"{len(set(left) & set(right))} cases in both, {len(differ)} different")
    return 1 if differ else 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dist", type=Path, nargs="?")
    parser.add_argument("--source", default="gen-1000000", help="the import's source id")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", nargs="+")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--answers", type=Path)
    parser.add_argument("--compare", nargs=2, type=Path)
    args = parser.parse_args()
    if args.compare:
        raise SystemExit(compare(*args.compare))
    timings, answers = run(args.dist, args.source, args.repeat, args.only)
    if args.out:
        args.out.write_text(json.dumps(timings, indent=1) + "\n", encoding="utf-8")
    if args.answers:
        args.answers.write_text(json.dumps(answers, indent=0, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
