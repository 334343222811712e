"""Name normalisation for matching organisation strings to curated labels.

Both sides (curated labels/aliases and imported strings) go through ``key()``:
accents and case folded, ``&`` read as "and", "R&D" as "research and
development", punctuation dropped, function words (of, the, and …) dropped,
and every word mapped to its Web of Science abbreviation (University -> univ,
Sciences -> sci, Medical/Medicine -> med …), so "Chinese Academy of Sciences"
and "Chinese Acad Sci" have the same key.  Words are then joined without
spaces so "Jiao Tong" = "Jiaotong" and "Sun Yat-sen" = "Sun Yat Sen".

Matching is exact on keys (plus the explicit variants in ``resolve.py``), never
by substring or similarity: "Zhejiang Univ Technol" is not "Zhejiang Univ".
"""

from __future__ import annotations

import re
import unicodedata

STOPWORDS = frozenset({"of", "the", "and", "for", "in", "at", "on", "a", "an", "de"})
# full word -> WoS abbreviation (abbreviations map to themselves implicitly)
ABBREV = {
    "university": "univ", "universities": "univ", "universitat": "univ", "universite": "univ",
    "national": "natl", "academy": "acad", "academies": "acad", "science": "sci", "sciences": "sci",
    "scientific": "sci", "medical": "med", "medicine": "med", "institute": "inst", "institutes": "inst",
    "institutet": "inst", "institution": "inst", "technology": "technol", "technological": "technol",
    "technologies": "technol", "hospital": "hosp", "hospitals": "hosp", "center": "ctr", "centre": "ctr",
    "centers": "ctr", "centres": "ctr", "college": "coll", "research": "res", "laboratory": "lab",
    "laboratories": "lab", "engineering": "engn", "health": "hlth", "cancer": "canc", "general": "gen",
    "liberation": "liberat", "province": "prov", "provincial": "prov", "department": "dept",
    "school": "sch", "foundation": "fdn", "fdn": "fdn", "ministry": "minist", "education": "educ",
    "advanced": "adv", "information": "informat", "biology": "biol", "biological": "biol",
    "chemistry": "chem", "physics": "phys", "computer": "comp", "computing": "comp",
    "traditional": "tradit", "polytechnic": "polytech", "electronic": "elect", "electronics": "elect",
    "microbiology": "microbiol", "biomedical": "biomed", "biomedicine": "biomed", "genomics": "genom",
    "clinical": "clin", "association": "assoc", "society": "soc", "international": "int",
    "central": "cent", "municipal": "munic", "municipality": "munic", "commission": "commiss",
    "development": "dev", "affiliated": "affiliated", "key": "key", "people": "peoples",
    "pharmaceutical": "pharmaceut", "precision": "precis", "innovation": "innovat",
    "automation": "automat", "mathematics": "math", "intelligence": "intelligence",
    "artificial": "artificial", "natural": "natural", "program": "program", "programme": "program",
    "programs": "program", "programmes": "program", "plan": "plan", "funds": "fund", "fund": "fund",
    "council": "council", "committee": "comm", "comm": "comm", "agricultural": "agr", "agriculture": "agr",
    "environmental": "environm", "environment": "environm", "management": "management",
    "telecommunications": "telecommun", "telecommunication": "telecommun", "pulmonary": "pulm",
    "technical": "tech", "tech": "tech",
    # INSPEC / IEEE abbreviations ("Inst. of Comput. Technol.", "Nat. Univ. of Singapore", "Dept. of Electr. Eng.")
    "nat": "natl", "comput": "comp", "eng": "engn", "electr": "elect", "accelerator": "accel",
    "system": "syst", "systems": "syst", "communication": "commun", "communications": "commun",
    "info": "informat", "inform": "informat", "materials": "mat", "material": "mat",
    "optics": "opt", "optical": "opt", "mechanics": "mech", "mechanical": "mech",
}
# words that do not by themselves name one organisation: a key made only of these
# ("University Hospital", "Center for Precision Medicine") is too generic to trust out of context
GENERIC = frozenset({
    "univ", "natl", "acad", "sci", "med", "inst", "technol", "hosp", "ctr", "coll", "res", "lab", "engn",
    "hlth", "canc", "gen", "prov", "dept", "sch", "fdn", "minist", "educ", "adv", "informat", "biol",
    "chem", "phys", "comp", "syst", "commun", "accel", "elect", "tradit", "clin", "assoc", "soc", "int", "cent",
    "munic", "commiss", "dev",
    "affiliated", "key", "state", "precis", "innovat", "program", "plan", "fund", "council", "comm",
    "digital", "hub", "more", "group", "working", "platform", "network", "office", "government",
    "public", "people", "peoples", "first", "second", "third", "division", "faculty", "unit", "section",
    "global", "applied", "basic", "joint", "youth", "talent", "project", "special", "major", "new", "natural",
})
_R_AND_D = re.compile(r"\bR\s*&\s*D\b", re.IGNORECASE)
_APOSTROPHE = re.compile(r"['’‘`´]")
_NON_WORD = re.compile(r"[^0-9a-z]+")


def words(text: str) -> list[str]:
    """Normalised, abbreviated words of ``text`` without function words."""
    text = _R_AND_D.sub(" research and development ", text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = _APOSTROPHE.sub("", text).replace("&", " and ")
    out = []
    for word in _NON_WORD.split(text):
        if word and word not in STOPWORDS:
            out.append(ABBREV.get(word, word))
    return out


def key(text: str) -> str:
    return "".join(words(text))


def is_generic(text: str) -> bool:
    """True when no word of ``text`` (3+ letters) is distinctive."""
    return not any(len(w) >= 3 and w not in GENERIC and not w.isdigit() for w in words(text))


def reorder_of(text: str) -> str | None:
    """ "Natural Science Foundation of Zhejiang Province" -> "Zhejiang Province Natural Science Foundation"
    (one "of" only): WoS and Chinese funders write the same name in both orders."""
    body = re.sub(r"^\s*the\s+", "", text, flags=re.IGNORECASE)
    parts = re.split(r"\s+of\s+(?:the\s+)?", body, flags=re.IGNORECASE)
    if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
        return None
    return f"{parts[1]} {parts[0]}"
