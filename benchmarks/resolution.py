"""Affiliation resolution against other people's gold sets, scored the way ROR scores its matcher.

    .venv/bin/python benchmarks/resolution.py [--ror-dump PATH] [--gold DIR] [--out benchmarks/results/resolution.md]
        [--errors dev]   # print the errors of the development halves (never of a reported test split)

Per string, the predicted ROR ids are compared with the gold ids: true positives are predicted ids in
the gold set, false positives predicted ids not in it, false negatives gold ids not predicted;
precision and recall are micro-averaged over strings.  A string whose gold ids are not all in the ROR
subset (``ror/`` holds about half the registry) is scored apart: there any predicted id outside the gold
set is a false match, and the table gives the share of such strings that get one ("false-id rate").
A string with an empty gold set (no ROR organisation) stays in the main count: any id is a false positive.

Splits: S2AFF keeps its own train/val/test split (only train and val were looked at while developing;
test is reported).  ROR's Crossref and Springer sets have no split: strings at even positions are the
development half (looked at), odd positions the held-out half (never looked at); both are reported.
The WoS set is benchmarks/gold/wos-chinese-affiliations.csv (hand-checked, see its header).

Speed: strings/s of the matcher alone (index loaded), next to the baseline of an exact lookup of the
whole normalised string in the same index (the floor of any index-based matcher), median of 3 runs.
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from pmkg.registry.index import load_ror, name_key  # noqa: E402
from pmkg.registry.match import AffiliationMatcher  # noqa: E402

SHARED = ROOT.parent.parent / "shared" / "data"
DEFAULT_DUMP = Path("/work/shared/data/ror/ror-records-subset-v2.9.jsonl.gz")
DEFAULT_GOLD = Path("/work/shared/data/gold")
WOS_GOLD = ROOT / "benchmarks" / "gold" / "wos-chinese-affiliations.csv"


@dataclass
class Score:
    strings: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    out_strings: int = 0
    out_false: int = 0
    errors: list[tuple[str, set[str], set[str]]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def short(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def load_sets(gold: Path) -> dict[str, list[tuple[str, set[str]]]]:
    sets: dict[str, list[tuple[str, set[str]]]] = {}
    for name, file in (("crossref-2024", "ror-affiliations-crossref-2024-02-19.json"),
                       ("springer-2023", "ror-affiliations-springer-2023-10-31.json")):
        items = [(x["affiliation"], {short(u) for u in x["ror_ids"]}) for x in json.loads((gold / file).read_text())]
        sets[f"{name} dev"] = items[0::2]
        sets[f"{name} held-out"] = items[1::2]
    with (gold / "s2aff-gold-affiliations.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            labels = {short(u) for u in ast.literal_eval(row["labels"])} if row["labels"].strip() else set()
            sets.setdefault(f"s2aff {row['split']}", []).append((row["original_affiliation"], labels))
    if WOS_GOLD.is_file():
        with WOS_GOLD.open(encoding="utf-8") as fh:
            rows = [r for r in csv.DictReader(line for line in fh if not line.startswith("#"))]
        sets["wos-chinese (own)"] = [(r["input"], {short(u) for u in r["ror_ids"].split()}
                                      | ({"absent:" + r["absent"]} if r["absent"] else set())) for r in rows]
    return sets


def is_dev(name: str) -> bool:
    """A split tuning may look at (never a reported held-out or test split)."""
    return "dev" in name or name in ("s2aff train", "s2aff val") or "own" in name


def score(matcher: AffiliationMatcher, items: list[tuple[str, set[str]]], known: set[str]) -> Score:
    s = Score()
    for text, gold in items:
        pred = set(matcher.match(text).ids)
        if gold - known:
            s.out_strings += 1
            s.out_false += bool(pred - gold)
            continue
        s.strings += 1
        s.tp += len(pred & gold)
        s.fp += len(pred - gold)
        s.fn += len(gold - pred)
        if pred != gold:
            s.errors.append((text, gold, pred))
    return s


def speed(matcher_factory, strings: list[str], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        m = matcher_factory()
        start = time.perf_counter()
        for t in strings:
            m.match(t)
        times.append(time.perf_counter() - start)
    return len(strings) / statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ror-dump", type=Path, default=DEFAULT_DUMP)
    ap.add_argument("--gold", type=Path, default=DEFAULT_GOLD)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "resolution.md")
    ap.add_argument("--errors", choices=["dev", "none"], default="none")
    ap.add_argument("--only", default="")
    ap.add_argument("--dev-only", action="store_true",
                    help="score only the development splits (Crossref/Springer dev, S2AFF train/val, own WoS set): "
                         "what tuning may look at; nothing is written")
    args = ap.parse_args()
    index = load_ror(args.ror_dump, lambda m: print(m, file=sys.stderr))
    known = set(index.orgs)
    sets = load_sets(args.gold)
    lines = ["| set | strings scored | precision | recall | tp / fp / fn | out-of-subset strings | false-id rate |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    all_strings: list[str] = []
    for name, items in sets.items():
        if (args.only and args.only not in name) or (args.dev_only and not is_dev(name)):
            continue
        s = score(AffiliationMatcher(index), items, known)
        all_strings += [t for t, _ in items]
        rate = s.out_false / s.out_strings if s.out_strings else 0.0
        lines.append(f"| {name} | {s.strings} | {s.precision:.4f} | {s.recall:.4f} | {s.tp} / {s.fp} / {s.fn} "
                     f"| {s.out_strings} | {rate:.3f} |")
        if args.errors == "dev" and is_dev(name):
            for text, gold, pred in s.errors:
                names = [index.orgs[g].name for g in sorted(gold) if g in known]
                print(f"[{name}] {text}\n   gold {sorted(gold)} {names}\n"
                      f"   pred {sorted(pred)} {[index.orgs[p].name for p in sorted(pred)]}")
    if args.dev_only:
        print("\n".join(lines))
        return
    rate = speed(lambda: AffiliationMatcher(index), all_strings)

    class Floor:
        def match(self, t: str) -> object:
            return index.by_key.get(name_key(t))

    floor = speed(Floor, all_strings)
    lines += ["", f"Speed over {len(all_strings)} strings (matcher alone, index loaded, fresh memo each run, "
              f"median of 3): **{rate:,.0f} strings/s**; baseline exact whole-string lookup: {floor:,.0f} strings/s "
              f"(ratio {floor / rate:.1f}x)."]
    text = "\n".join(lines)
    print(text)
    if not args.only:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("# Affiliation resolution against gold sets\n\n" + text + "\n")


if __name__ == "__main__":
    main()
