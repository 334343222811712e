"""Generate N Web of Science plain-text records whose funder and affiliation strings follow
au-2023 Tables 1-2 (counts read from kg/au-2023.yaml observations) with spellings seen in the
real exports under ../shared/data/biblio, plus uncurated organisations and foreign co-authors.

    .venv/bin/python benchmarks/gen_wos.py 10000 /tmp/gen-10k.txt
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# spellings seen in the real WoS files (FU and C1); other entries fall back to the table's label
FUNDER_SPELLINGS = {
    "nsfc": ["National Natural Science Foundation of China", "National Natural Science Foundation of China (NSFC)",
             "NSFC", "Natural Science Foundation of China", "Major Research Plan of the National Natural Science "
             "Foundation of China"],
    "national-key-rd-program": ["National Key Research and Development Program of China",
                                "National Key R&D Program of China"],
    "chinese-academy-of-sciences": ["Youth Innovation Promotion Association CAS", "Chinese Academy of Sciences"],
    "natural-science-foundation-of-zhejiang-province": ["Natural Science Foundation of Zhejiang Province",
                                                        "Zhejiang Provincial Natural Science Foundation of China"],
}
ADDRESS_SPELLINGS = {
    "chinese-academy-of-sciences": ["Chinese Acad Sci, Inst Automat, Beijing 100190",
                                    "Chinese Acad Sci, Shenzhen Inst Adv Technol, Shenzhen"],
    "shanghai-jiao-tong-university": ["Shanghai Jiao Tong Univ, Sch Med, Shanghai"],
    "chinese-academy-of-medical-sciences": ["Chinese Acad Med Sci & Peking Union Med Coll, Beijing"],
    "fudan-university": ["Fudan Univ, Zhongshan Hosp, Shanghai"],
    "huazhong-university-of-science-and-technology": ["Huazhong Univ Sci & Technol, Wuhan"],
    "sun-yat-sen-university": ["Sun Yat Sen Univ, Guangzhou"],
}
UNCURATED = ["Shenzhen Univ, Coll Comp Sci, Shenzhen", "Soochow Univ, Suzhou", "Univ Chinese Acad Sci, Beijing",
             "China Med Univ, Shenyang", "Guangzhou Med Univ, Guangzhou", "Zhejiang Univ Technol, Hangzhou"]
UNCURATED_FUNDERS = ["Guangdong Basic and Applied Basic Research Foundation", "Shenzhen Science and Technology Program",
                     "Sichuan Science and Technology Program"]
FOREIGN = ["Stanford Univ, Dept Radiol, Stanford, CA 94305 USA", "Univ Oxford, Oxford, England",
           "Karolinska Inst, Stockholm, Sweden", "Univ Toronto, Toronto, ON, Canada"]
ABBREV = {"University": "Univ", "Sciences": "Sci", "Science": "Sci", "Academy": "Acad", "Medical": "Med",
          "Technology": "Technol", "Institute": "Inst", "National": "Natl", "Hospital": "Hosp"}


def tables(kg: Path) -> tuple[list[tuple[str, str, int]], list[tuple[str, str, int]]]:
    data = yaml.safe_load((kg / "au-2023.yaml").read_text(encoding="utf-8"))
    t1, t2 = [], []
    for obs in data.get("observations", []):
        at = str(obs.get("source", {}).get("at", ""))
        if "count" not in obs:
            continue
        row = (obs["subject"], obs["label"], int(obs["count"]))
        if obs.get("database") == "wos" and at.startswith("Table 1,"):
            t1.append(row)
        elif obs.get("database") == "wos" and at.startswith("Table 2,"):
            t2.append(row)
    return t1, t2


def wos_address(label: str) -> str:
    words = [ABBREV.get(w, w) for w in label.replace("/", " ").split() if w not in ("of", "the", "and", "for")]
    return " ".join(words) + ", Beijing"


def generate(n: int, out: Path, seed: int = 5) -> None:
    rnd = random.Random(seed)
    t1, t2 = tables(ROOT / "kg")
    funders = [(FUNDER_SPELLINGS.get(s, [label]), c) for s, label, c in t1] + [(UNCURATED_FUNDERS, 120)]
    orgs = [(ADDRESS_SPELLINGS.get(s, [wos_address(label)]), c) for s, label, c in t2] + [(UNCURATED, 200)]
    f_weights, o_weights = [c for _s, c in funders], [c for _s, c in orgs]
    with out.open("w", encoding="utf-8") as fh:
        fh.write("FN Clarivate Analytics Web of Science\nVR 1.0\n")
        for i in range(n):
            addresses = [rnd.choice(rnd.choices(orgs, o_weights)[0][0]) + ", Peoples R China"
                         for _ in range(rnd.randint(1, 3))]
            if rnd.random() < 0.15:
                addresses.append(rnd.choice(FOREIGN))
            names = {rnd.choice(rnd.choices(funders, f_weights)[0][0]) for _ in range(rnd.randint(0, 3))}
            fh.write(f"PT J\nAU Author{i}, A\nTI Generated record {i}\nSO GENERATED JOURNAL\n")
            fh.write("C1 " + "\n   ".join(f"[Author{i}, A] {a}." for a in addresses) + "\n")
            if names:
                fu = "; ".join(f"{name} [{rnd.randint(10_000_000, 99_999_999)}]" for name in sorted(names))
                fh.write("FU " + fu + "\n")
            fh.write(f"PY {rnd.randint(2012, 2019)}\nDI 10.9999/gen.{i}\nUT WOS:9{i:014d}\nER\n\n")
        fh.write("EF\n")


if __name__ == "__main__":
    generate(int(sys.argv[1]), Path(sys.argv[2]))
