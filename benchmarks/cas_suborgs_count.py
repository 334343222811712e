"""Independent count for issue 11 (plain Python, no pmkg code): the papers of the 283-record WoS file that count
for CAS with and without sub-organisations, from the raw WoS tags and the raw ROR JSON.

    python3 benchmarks/cas_suborgs_count.py

With sub-organisations: a C1 address names CAS or a ROR unit below CAS (its name, through a small abbreviation
table of this script's own, or its acronym as a whole segment), or C3 names CAS.  Without: a C1 address names CAS
and no ROR unit of it, or C3 names CAS and no C1 address names a unit (WoS's C3 is its roll-up of C1).  Compare
with `pmkg query funders-of-affiliated-papers -p include-suborgs=true|false` (column allPapers) after importing
the file with the registries.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter

DATA = "/work/shared/data"
ROR = f"{DATA}/ror/ror-records-subset-v2.9.jsonl.gz"
WOS = f"{DATA}/biblio/wos-ai-diagnosis-china-283records.txt"
CAS = "034t30j35"
EXPAND = {
    "inst": "institute", "institutes": "institute", "adv": "advanced", "technol": "technology", "sci": "science",
    "sciences": "science", "res": "research", "univ": "university", "acad": "academy", "natl": "national",
    "astron": "astronomical", "observ": "observatories", "mat": "materials", "engn": "engineering",
    "biomed": "biomedical", "med": "medicine", "psychol": "psychology", "automat": "automation", "comp": "computing",
    "semicond": "semiconductors", "phys": "phys", "physics": "phys", "physical": "phys", "tech": "technical",
    "innovat": "innovation", "precis": "precision", "mech": "mechanics", "opt": "optics", "hlth": "health",
    "lab": "laboratory", "ctr": "center", "sch": "school", "robot": "robotics", "mfg": "manufacturing",
    "informat": "information", "hosp": "hospital", "canc": "cancer",
}


def norm(text: str) -> str:
    text = re.sub(r"[^a-z0-9 ]", " ", text.lower().replace("&", " and "))
    return " ".join(EXPAND.get(w, w) for w in text.split() if w not in ("of", "the", "and", "for", "cas"))


def ror_records() -> dict[str, tuple[list[str], list[str], list[str]]]:
    """ROR id -> (names, acronyms, parent ids), schema v1 or v2."""
    out = {}
    with gzip.open(ROR, "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)["record"]
            if "names" in r:
                names = [n["value"] for n in r["names"] if "acronym" not in n["types"]]
                acronyms = [n["value"] for n in r["names"] if "acronym" in n["types"]]
            else:
                names = [r["name"], *r.get("aliases", []), *(lab["label"] for lab in r.get("labels", []))]
                acronyms = r.get("acronyms", [])
            parents = [x["id"].rsplit("/", 1)[-1] for x in r.get("relationships", []) if x["type"].lower() == "parent"]
            out[r["id"].rsplit("/", 1)[-1]] = (names, acronyms, parents)
    return out


def wos_records() -> list[dict[str, list[str]]]:
    papers, cur, tag = [], {}, None
    with open(WOS, encoding="utf-8-sig") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if line.startswith("ER"):
                papers.append(cur)
                cur, tag = {}, None
            elif line[:2].strip() and line[2:3] == " ":
                tag = line[:2]
                cur.setdefault(tag, []).append(line[3:])
            elif line.startswith("   ") and tag == "C3":
                cur[tag][-1] += " " + line[3:]  # a wrapped C3 line continues the same list
            elif line.startswith("   ") and tag:
                cur[tag].append(line[3:])
    return papers


def main() -> None:
    recs = ror_records()

    def below(rid: str, seen: tuple[str, ...] = ()) -> bool:
        return any(p == CAS or (p not in seen and p in recs and below(p, (*seen, p))) for p in recs[rid][2])

    units = {rid for rid in recs if below(rid)}
    unit_names = {norm(n): rid for rid in units for n in recs[rid][0]}
    unit_acronyms = {a: rid for rid in units for a in recs[rid][1]}
    cas_names = {norm(n) for n in recs[CAS][0]}
    papers = wos_records()
    with_sub = without = 0
    used: Counter[str] = Counter()
    for p in papers:
        own = unit = False
        for address in (re.sub(r"^\[[^\]]*\]\s*", "", x).strip().rstrip(".") for x in p.get("C1", [])):
            parts = [s.strip() for s in address.split(",")]
            found = [unit_names[norm(s)] for s in parts if norm(s) in unit_names]
            found += [unit_acronyms[s] for s in parts if s in unit_acronyms]
            used.update(found)
            unit |= bool(found)
            own |= any(norm(s) in cas_names for s in parts) and not found
        c3 = any(x.strip() == "Chinese Academy of Sciences" for c in p.get("C3", []) for x in c.split(";"))
        own |= c3 and not unit
        with_sub += own or unit
        without += own
    print(f"records {len(papers)}; CAS with sub-organisations: {with_sub}; without: {without}")
    print("units named:", ", ".join(f"{recs[k][0][0]} ({v})" for k, v in used.most_common()))


if __name__ == "__main__":
    main()
