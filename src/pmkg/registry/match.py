"""Affiliation strings -> ROR ids; funder strings -> Funder Registry DOIs (and ROR ids).

Affiliations (``AffiliationMatcher``), deterministic and offline:

1. the string is split into segments at commas and semicolons (and " - ");
   the country is read from the end (ROR's country names plus Web of Science
   and common spellings: "Peoples R China", "USA", "England" …);
2. every run of consecutive words inside a segment is looked up by its name key
   (exact after normalisation: case, accents, punctuation, function words and
   WoS abbreviations do not matter), whole segments also by their bag of words;
   a segment written as an acronym ("CAS") is looked up among acronyms;
3. a match inside a longer match is dropped ("Zhejiang University" inside
   "Zhejiang University of Technology");
4. candidates of a match must agree with the string's country when it has one;
   several candidates are narrowed by a city named in the string, then by
   status; a name still shared by several organisations is left unresolved,
   and so is an acronym or a generic name ("University Hospital") unless the
   string's city or country confirms it;
5. a unit whose parent organisation is named too is left out of ``ids`` (ROR's
   gold sets label the organisation) and listed in ``units`` (the import points
   at it, so the hierarchy keeps its depth); a name shared by several units is
   the one whose parent the string names; so is a teaching hospital written just
   before the university ROR relates it to;
6. a withdrawn record is its single successor; a segment with nothing found has
   its words that no ROR name uses corrected when one word is a typo away;
7. a whole segment may be a company's name without ROR's "(Country)" qualifier and
   with or without its legal form ("Toshiba Corporation" = 'Toshiba (Japan)');
   "University of X" after a word ROR's names mostly put before "University"
   ("Technical University of Wrocław") is the tail of a longer name; an acronym
   next to an organisation named in full is left out.

``score`` is 1.0 for a whole segment, 0.9 a bag-of-words or sub-segment match,
0.8 an acronym or a typo-corrected name; x0.9 when the string names no country.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from rapidfuzz.distance import OSA

from pmkg.importers.names import is_generic, reorder_of, words
from pmkg.registry.index import FunderIndex, RorIndex, name_key, typo_table

SEGMENT_SPLIT = re.compile(r"\s*(?:[,;/]|\s-\s|\s–\s|\(|\)|\[|\]|\|)\s*")
GLUED = re.compile(r"(?<=[a-z]{4})(?=[A-ZÀ-Ý][a-zà-ÿ])")  # "EngineeringNanjing University": a lost separator
ACRONYM = re.compile(r"^[A-Z][A-Za-z&]*[A-Z][A-Z0-9&-]*$")
MAX_WINDOW = 14
MIN_TYPO_WORD = 5  # a shorter word one letter from another is too often another word
ORDINALS = {"1": "first", "2": "second", "3": "third", "4": "fourth", "5": "fifth", "6": "sixth", "7": "seventh",
            "8": "eighth", "9": "ninth", "10": "tenth"}
UNIT = re.compile(r"^(?:the\s+)?(?:department|dept|division|school|faculty|institute|laboratory|lab|center|centre|"
                  r"section|unit|state key laboratory|key laboratory|graduate school|college)\b", re.IGNORECASE)
ORG_WORDS = frozenset(words("university institute hospital college academy school centre center laboratory "
                             "council foundation society clinic agency ministry corporation company"))
LEAD_WORDS = ORG_WORDS | frozenset(words("department division faculty section unit program group service office "
                                           "branch station"))
LEGAL_FORMS = frozenset(words("corporation corp inc ltd limited co company ag nv bv gmbh llc plc pvt sa spa srl kk "
                               "b v s p k"))  # "B.V.", "S.p.A.", "K.K." split into letters
SCHOOL = re.compile(r"^(?:the\s+)?(?:department|dept|division|school|faculty|section|graduate school|college) of\b",
                    re.IGNORECASE)
LONGER_UNIVERSITY = re.compile(r"\bUniv(?:ersity|\.)?\s+(?:of|for)\s+(?!the\b)", re.IGNORECASE)
US_STATES = frozenset(re.findall(r"[A-Z]{2}", "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI "
                                             "MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT "
                                             "VT VA WA WV WI WY DC"))


@dataclass
class Match:
    ids: list[str]
    score: float
    method: str
    evidence: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)  # sub-units of matched organisations, named too (not in ids)


@dataclass
class _Hit:
    seg: int
    start: int
    end: int
    ids: list[str]
    method: str
    text: str


FOOTNOTE = re.compile(r"(^|[;,]\s*)\d{1,2}(?=[A-Z][a-z])")  # "1West Virginia Univ.", "2Monash University"


def clean(text: str) -> str:
    text = re.sub(r"<[^>]{1,10}>", " ", html.unescape(text))
    return FOOTNOTE.sub(r"\1", re.sub(r"\s+", " ", text).strip())


class AffiliationMatcher:
    def __init__(self, index: RorIndex) -> None:
        self.ix = index
        self._memo: dict[str, Match] = {}
        self._fixes: dict[str, str] = {}

    def match(self, text: str) -> Match:
        if text not in self._memo:
            parts = [p for p in re.split(r"\s*;\s*", GLUED.sub(", ", clean(text))) if p.strip(" .")]
            found = _merge([self._match(p) for p in parts]) if len(parts) > 1 else \
                self._match(parts[0] if parts else "")
            if len(parts) > 1 and (children := [i for i in found.ids if self._ancestors(i) & set(found.ids)]):
                # "Freshwater Fisheries Research Center; Chinese Academy of Fishery Science": a unit whose parent
                # another part names, as within a part
                found.units = list(dict.fromkeys([*found.units, *children]))
                found.ids = [i for i in found.ids if i not in children]
            self._memo[text] = found
        return self._memo[text]

    # -- country and city --
    def country(self, segments: list[str]) -> str | None:
        for seg in reversed(segments[-3:]):
            seg = re.sub(r"\S+@\S+", "", seg).strip(" .")
            tokens = seg.split()
            for n in range(min(4, len(tokens)), 0, -1):  # "Beijing 100190 Peoples R China": the last words
                tail = " ".join(tokens[-n:])
                code = self.ix.countries.get(name_key(tail))
                if code:
                    return code
            if re.fullmatch(r"(?:[A-Z]{2}\s+)?\d{5}(?:-\d{4})?|[A-Z]{2}", seg) and seg[:2] in US_STATES:
                return "US"
        return None

    def _cities(self, all_words: list[list[str]]) -> set[str]:
        found: set[str] = set()
        for ws in all_words:
            for i in range(len(ws)):
                for j in range(i + 1, min(i + 4, len(ws)) + 1):
                    k = "".join(ws[i:j])
                    if k in self.ix.cities:
                        found.add(k)
        return found

    # -- candidates --
    def _hits(self, segments: list[str], seg_words: list[list[str]]) -> list[_Hit]:
        hits: list[_Hit] = []
        for s, (seg, ws) in enumerate(zip(segments, seg_words, strict=True)):
            if not ws:
                continue
            if ACRONYM.match(seg) and len(seg) >= 3 and seg in self.ix.by_acronym:
                hits.append(_Hit(s, 0, len(ws), list(self.ix.by_acronym[seg]), "acronym", seg))
            whole = "".join(ws)
            if s > 0 and (pair := self._pair(ws, seg_words[s - 1])):
                # WoS writes a unit after its organisation: "Shandong Univ, Qilu Hosp" = "Qilu Hospital of
                # Shandong University", "Zhengzhou Univ, Affiliated Hosp 1" = "First Affiliated Hospital of
                # Zhengzhou University", "Boston Univ, Sch Med" = "Boston University School of Medicine"
                # "University of St. Thomas, Minnesota": the name before, continued by this segment, is this
                # longer name's, not another organisation's (St. Thomas University, Canada) -- unless ROR ties the
                # two ("Boston Univ, Sch Med"). "Shandong Univ, Qilu Hosp" (= "Qilu Hospital of Shandong
                # University") names both.
                if self.ix.by_key.get("".join(seg_words[s - 1]) + whole) == pair:
                    hits = [h for h in hits if h.seg != s - 1 or h.end - h.start < len(seg_words[s - 1])
                            or self._tied(h.ids, pair)]
                hits.append(_Hit(s, 0, len(ws), pair, "segment", f"{segments[s - 1]} {seg}"))
                # "Research Institute for Mathematical Sciences, Kyoto University": the pair is the unit, and
                # this segment its organisation, named too (ROR's gold sets label the organisation)
                own = self.ix.by_key.get(whole, [])
                parents = [i for i in own if any(i in self._ancestors(p) for p in pair)]
                if parents and LEAD_WORDS & set(seg_words[s - 1]):  # not "Goldsmiths, University of London"
                    hits.append(_Hit(s, 0, len(ws), parents, "segment", seg))
                continue
            if s + 1 < len(segments) and (with_city := self._with_city(ws, seg_words[s + 1])):
                hits.append(_Hit(s, 0, len(ws), with_city, "segment", f"{seg} {segments[s + 1]}"))
                continue
            if whole in self.ix.by_key:
                hits.append(_Hit(s, 0, len(ws), list(self.ix.by_key[whole]), "segment", seg))
                continue
            reordered = reorder_of(seg)
            if reordered and name_key(reordered) in self.ix.by_key:
                hits.append(_Hit(s, 0, len(ws), list(self.ix.by_key[name_key(reordered)]), "segment", seg))
                continue
            if company := self._company(ws):  # "Toshiba Corporation", "Galapagos NV", "PharmaMar"
                hits.append(_Hit(s, 0, len(ws), company, "segment", seg))
                continue
            bag = " ".join(sorted(ws))
            if bag in self.ix.by_bag:
                hits.append(_Hit(s, 0, len(ws), list(self.ix.by_bag[bag]), "words", seg))
                continue
            windows = self._windows(s, ws, "window")
            if LONGER_UNIVERSITY.search(seg):  # "Nanjing University of Sci. & Tech." is not Nanjing University
                windows = [h for h in windows if h.end == len(ws) or ws[h.end - 1] != "univ"]
            # "Kyung Hee University Hospital": the university's hospital, not the university
            if not re.search(r"(?:\band|&)\s+hosp", seg, re.IGNORECASE):  # "Medical College and Hospital" is both
                windows = [h for h in windows
                           if h.end == len(ws) or ws[h.end] != "hosp" or "hosp" in ws[h.start:h.end]]
            # "Technical University of Wrocław" is not the University of Wrocław (``RorIndex.before_univ``)
            windows = [h for h in windows if not (h.start and ws[h.start] == "univ"
                                                  and ws[h.start - 1] in self.ix.before_univ)]
            if UNIT.match(seg):  # "Department of Molecular Microbiology": the words after the unit are its subject
                windows = [h for h in windows if h.start != 1 or ORG_WORDS & set(ws[h.start:h.end])]
            if not windows and (fixed := self._corrected(ws)):
                if "".join(fixed) in self.ix.by_key:
                    windows = [_Hit(s, 0, len(ws), list(self.ix.by_key["".join(fixed)]), "typo", seg)]
                else:
                    windows = self._windows(s, fixed, "typo")
            hits += windows
        return _outermost(hits)

    def _tied(self, ids: list[str], others: list[str]) -> bool:
        """Some organisation of ``ids`` is one of ``others``, or an ancestor of or related to one."""
        ids = [self._current(i) for i in ids]
        if set(ids) & {self._current(o) for o in others}:
            return True
        for o in map(self._current, others):
            ties = self._ancestors(o) | set(self.ix.orgs[o].related)
            if ties & set(ids) or any(o in self.ix.orgs[i].related for i in ids):
                return True
        return False

    def _company(self, ws: list[str]) -> list[str]:
        """The companies a whole segment names, with or without its legal form ("Corporation", "Inc", "AG");
        a place is no company ("Ube, Japan" is not Ube Corporation)."""
        if self._is_place(ws):
            return []
        bare = ws
        while len(bare) > 1 and bare[-1] in LEGAL_FORMS:
            bare = bare[:-1]
        for k in dict.fromkeys(["".join(ws), "".join(bare)]):
            if found := self.ix.by_company.get(k) or (self.ix.by_key.get(k) if bare != ws else None):
                return list(found)
        return []

    def _fix(self, word: str) -> str:
        """The one vocabulary word one typo from ``word`` (else ``word``), through :func:`typo_table`, checked by
        rapidfuzz's optimal-string-alignment distance."""
        if word not in self._fixes:
            table = typo_table(self.ix, MIN_TYPO_WORD - 1)
            seen = {c for d in {word[:i] + word[i + 1:] for i in range(len(word))} | {word}
                    for c in table.get(d, [])}
            near = [c for c in seen if OSA.distance(word, c) == 1]
            self._fixes[word] = near[0] if len(near) == 1 else word
        return self._fixes[word]

    def _windows(self, s: int, ws: list[str], method: str) -> list[_Hit]:
        """Runs of consecutive words that are a name, the longest from each start."""
        hits = []
        for i in range(len(ws)):
            for j in range(min(len(ws), i + MAX_WINDOW), i + 1, -1):
                k = "".join(ws[i:j])
                if k in self.ix.by_key:
                    hits.append(_Hit(s, i, j, list(self.ix.by_key[k]), method, " ".join(ws[i:j])))
                    break
        return hits

    def _corrected(self, ws: list[str]) -> list[str] | None:
        """The segment's words with each word that no ROR name uses replaced by the one such word a typo away
        (a letter added, dropped, changed, or two swapped: "Indraprashtha", "University of Datyon"),
        or None when nothing changed or a word has no single correction."""
        vocab = self.ix.vocabulary
        if len(ws) < 2:  # one word a letter from a name is mostly another word ("kjacobs", an e-mail user)
            return None
        fixed = [w if w in vocab or len(w) < MIN_TYPO_WORD or not w.isalpha() else self._fix(w) for w in ws]
        return fixed if fixed != ws else None

    def _with_city(self, ws: list[str], after: list[str]) -> list[str]:
        """A name shared by several organisations, made one by the city segment after it: "National
        Institute of Technology, Durgapur" = "National Institute of Technology Durgapur"."""
        city = "".join(w for w in after if not w.isdigit())  # "Beijing 102200"
        if city not in self.ix.cities:
            return []
        return list(self.ix.by_key.get("".join(ws) + city, []))

    def _is_place(self, ws: list[str]) -> bool:
        k = "".join(ws)
        return k in self.ix.cities or k in self.ix.countries

    def _pair(self, ws: list[str], before: list[str]) -> list[str]:
        if self._is_place(ws):
            return []  # "Ube, Japan" is a place, not the municipality 'Ube (Japan)'
        unit = ws
        if len(ws) > 1 and ws[-1] in ORDINALS:  # "Affiliated Hosp 1", "Peoples Hosp 7"
            unit = [ORDINALS[ws[-1]], *ws[:-1]]
        for k in ("".join(unit) + "".join(before), "".join(before) + "".join(unit)):
            if k in self.ix.by_key and not is_generic(" ".join(before)):
                return list(self.ix.by_key[k])
        return []

    def _narrow(self, hit: _Hit, country: str | None, cities: set[str]) -> list[str]:
        ids = list(dict.fromkeys(c for i in hit.ids if self.ix.orgs[(c := self._current(i))].status != "withdrawn"))
        if country:  # WoS writes "Hong Kong, Peoples R China"; ROR has Hong Kong and Macau apart
            accepted = {country, None} | ({"HK", "MO"} if country == "CN" else set())
            ids = [i for i in ids if self.ix.orgs[i].country in accepted]
        if SCHOOL.match(hit.text) and len(ids) == 1 and name_key(self.ix.orgs[ids[0]].name) != name_key(hit.text):
            ids = []  # "Graduate School of Engineering", an alias of a French school, names a school of any university
        if name_key(hit.text).removesuffix("city") in self.ix.cities:  # "New York City": the place, not its government
            ids = [i for i in ids if "government" not in self.ix.orgs[i].types]
        in_city = [i for i in ids if cities & {name_key(c) for c in self.ix.orgs[i].cities}]
        if hit.method == "acronym":
            # an acronym of a government is mostly a state in the address ("Canberra, ACT, Australia")
            ids = [i for i in in_city if "government" not in self.ix.orgs[i].types]
        elif is_generic(hit.text) or len(hit.text.replace(" ", "")) < 5:
            # an acronym or generic name stands only with the string's city (or, for one candidate, country)
            ids = in_city or ([ids[0]] if len(ids) == 1 and country else [])
        elif len(ids) > 1 and in_city:
            ids = in_city
        if len(ids) > 1:
            active = [i for i in ids if self.ix.orgs[i].status == "active"]
            ids = active or ids
        if len(ids) > 1 and all("company" in self.ix.orgs[i].types for i in ids):
            # "Google": Google (United States), whose subsidiaries (Singapore, Australia) the others are
            top = [i for i in ids if all(i in self._ancestors(o) for o in ids if o != i)]
            ids = top if len(top) == 1 else ids
        if len(ids) > 1:  # "University of Freiburg": the one whose display name it is, not the one it is an alias of
            own = [i for i in ids if name_key(self.ix.orgs[i].name) == name_key(hit.text) and not UNIT.match(hit.text)]
            ids = own if len(own) == 1 else ids
        if len(hit.ids) > 1:  # a name several organisations share, one left in the country: not in another city
            ids = [i for i in ids if not self._elsewhere(i, hit, cities)]
        elif len(ids) == 1 and self._campus_alias(ids[0], hit) and self._elsewhere(ids[0], hit, cities):
            ids = []  # "University of Illinois College of Medicine, Chicago" is not the campus at Urbana
        return ids

    def _campus_alias(self, org_id: str, hit: _Hit) -> bool:
        """The hit is the bare name of a system ("University of Illinois") that ROR gives as an alias of one of
        its campuses (Urbana-Champaign)."""
        org = self.ix.orgs[org_id]
        return bool(org.parents) and name_key(org.name) != name_key(hit.text) and any(
            name_key(self.ix.orgs[p].name).startswith(name_key(hit.text)) for p in org.parents if p in self.ix.orgs)

    def _elsewhere(self, org_id: str, hit: _Hit, cities: set[str]) -> bool:
        """The string names a city of the organisation's country, and not the organisation's own: "National
        Institute of Technology, Durgapur, India" is not the one in Bhopal."""
        org = self.ix.orgs[org_id]
        own = {name_key(c) for c in org.cities}
        if not own or not org.country or own & cities or any(c in name_key(hit.text) for c in own):
            return False
        return any(org.country in self.ix.cities[c] and c not in name_key(hit.text) and c not in self.ix.countries
                   for c in cities)  # "Taiwan" is a city of some ROR record, but names the country here

    def _match(self, text: str) -> Match:
        segments = [s for s in SEGMENT_SPLIT.split(text) if s and s.strip(" .")]
        if not segments:
            return Match([], 0.0, "none")
        seg_words = [words(s) for s in segments]
        country = self.country(segments)
        cities = self._cities(seg_words)
        chosen: dict[str, _Hit] = {}
        narrowed = [(hit, self._narrow(hit, country, cities)) for hit in self._hits(segments, seg_words)]
        sure = {ids[0] for _, ids in narrowed if len(ids) == 1}
        # an acronym the string's city does not confirm ("Institute of Automation, CAS"): its organisations in
        # the country, confirmed when a unit name shared by several organisations is the unit of one of them
        by_acronym = {i: hit for hit, ids in narrowed if hit.method == "acronym" and not ids for i in hit.ids
                      if not country or self.ix.orgs[i].country == country}
        for hit, ids in narrowed:
            if len(ids) > 1:  # "Inst Automat" of several institutes: the one whose parent the string names
                parented = [i for i in ids if self._ancestors(i) & sure]
                if not parented and by_acronym:
                    parented = [i for i in ids if self._ancestors(i) & set(by_acronym)]
                    if len(parented) == 1:
                        for parent in self._ancestors(parented[0]) & set(by_acronym):
                            chosen.setdefault(parent, by_acronym[parent])
                ids = parented
            if len(ids) != 1 or ids[0] in chosen:
                continue
            org = self.ix.orgs[ids[0]]
            if hit.seg > 0 and "lab" in seg_words[hit.seg - 1] and "government" in org.types:
                continue  # "Key Laboratory of X, Ministry of Education, Y University": the ministry runs the lab
            chosen[ids[0]] = hit
        matched = set(chosen)
        kept: list[str] = []
        units: list[str] = []
        for i in chosen:
            ancestors = self._ancestors(i)
            if ancestors & matched or self._hospital_of(i, chosen, segments) or self._school_of(i, chosen, segments):
                units.append(i)
                continue  # a unit of an organisation also named: the organisation (ROR's gold sets label it)
            if ancestors and UNIT.match(self.ix.orgs[i].name):
                continue  # "Department of Mathematical Sciences" of some university not named here
            kept.append(i)
        if any(chosen[i].method != "acronym" for i in kept):
            kept = [i for i in kept if chosen[i].method != "acronym"]
        if not kept:
            return Match([], 0.0, "none")
        methods = [chosen[i].method for i in kept]
        score = min({"segment": 1.0, "words": 0.9, "window": 0.9, "acronym": 0.8, "typo": 0.8}[m] for m in methods)
        if country is None:
            score *= 0.9
        method = "+".join(dict.fromkeys(methods))
        evidence = [f"{chosen[i].text!r} = {self.ix.orgs[i].name!r}" for i in kept]
        return Match(kept, round(score, 3), method, evidence, units)

    def _school_of(self, org_id: str, chosen: dict[str, _Hit], segments: list[str]) -> bool:
        """A school written after the university ROR relates it to ("Johns Hopkins University, School of
        Medicine" = Johns Hopkins Medicine): kept as a unit, like a child."""
        hit = chosen[org_id]
        if not hit.seg or not SCHOOL.match(segments[hit.seg]) or hit.text == segments[hit.seg]:
            return False
        related = set(self.ix.orgs[org_id].related)
        return any(other != org_id and h.seg == hit.seg - 1
                   and (other in related or org_id in self.ix.orgs[other].related) for other, h in chosen.items())

    def _hospital_of(self, org_id: str, chosen: dict[str, _Hit], segments: list[str]) -> bool:
        """A hospital written just before a university ROR relates it to: "Shengjing Hospital, China Medical
        University" (a teaching hospital, ROR's gold sets mostly label the university): kept as a unit."""
        org = self.ix.orgs[org_id]
        if "healthcare" not in org.types:
            return False
        seg = chosen[org_id].seg
        for other, hit in chosen.items():
            uni = self.ix.orgs[other]
            between = segments[seg + 1:hit.seg]
            if ("education" in uni.types and (other in org.related or org_id in uni.related)
                    and hit.seg > seg and all(ACRONYM.match(b) for b in between) and len(between) <= 1):
                return True
        return False

    def _current(self, org_id: str) -> str:
        """An inactive or withdrawn record replaced by exactly one successor in the dump: the successor
        ("Harvard Medical School", withdrawn into Harvard University)."""
        org = self.ix.orgs[org_id]
        if org.status == "withdrawn" and len(org.successors) == 1 and org.successors[0] in self.ix.orgs:
            return org.successors[0]
        return org_id

    def _ancestors(self, org_id: str) -> set[str]:
        seen: set[str] = set()
        todo = list(self.ix.orgs[org_id].parents) if org_id in self.ix.orgs else []
        while todo:
            p = todo.pop()
            if p not in seen:
                seen.add(p)
                todo += self.ix.orgs[p].parents if p in self.ix.orgs else []
        return seen


def _merge(matches: list[Match]) -> Match:
    """Several addresses in one string ("…, USA; …, China"), each with its own country."""
    found = [m for m in matches if m.ids]
    if not found:
        return Match([], 0.0, "none")
    return Match(list(dict.fromkeys(i for m in found for i in m.ids)), min(m.score for m in found),
                 "+".join(dict.fromkeys(m.method for m in found)), [e for m in found for e in m.evidence],
                 list(dict.fromkeys(u for m in found for u in m.units)))


def _outermost(hits: list[_Hit]) -> list[_Hit]:
    """Drop a window hit that lies inside another hit of the same segment."""
    out = []
    for h in hits:
        inside = any(o is not h and o.seg == h.seg and o.start <= h.start and h.end <= o.end
                     and (o.end - o.start) > (h.end - h.start) for o in hits)
        # "Columbia University New York": the window 'University New York' starts inside 'Columbia University',
        # an earlier hit of the same segment: its words are that organisation's name and its city
        overlaps = h.method == "window" and any(
            o is not h and o.seg == h.seg and o.start < h.start < o.end for o in hits)
        if not inside and not overlaps:
            out.append(h)
    return out


# ---- funders ----
CHINA_TAIL = re.compile(
    r"[\s,]*(?:\b(?:in|of)\s+)?(?:the\s+)?(?:P\.?\s?R\.?\s?(?:of\s+)?China|People'?s\s+Republic\s+of\s+China|"
    r"China|PRC)\s*[.)]?\s*$", re.IGNORECASE)
PARENS = re.compile(r"\s*\(([^()]*)\)\s*")
PROGRAMME_WORDS = frozenset({"fund", "program", "project", "plan", "talent", "innovat", "key", "youth", "grant",
                             "scholar", "initiative", "award", "fellowship", "special", "pioneer", "support",
                             "cultivation", "major"})


@dataclass
class FunderMatch:
    funders: list[str]
    ror_ids: list[str]
    score: float
    method: str


class FunderMatcher:
    """Funder string -> Funder Registry ids, through names, the name without its "(ACRONYM)" or country
    qualifier (then the funder must be in that country), the word order "X of Y" <-> "Y X", a programme
    *of* a funder ("Major Research Plan of the NSFC" -> NSFC) and, failing these, ROR funder records;
    ROR ids through the crosswalk."""

    def __init__(self, index: FunderIndex, ror: RorIndex | None = None) -> None:
        self.ix = index
        self.ror = ror
        self._memo: dict[str, FunderMatch] = {}

    def match(self, text: str) -> FunderMatch:
        if text not in self._memo:
            self._memo[text] = self._match(clean(text).strip(" .,;"))
        return self._memo[text]

    def crosswalk(self, funder_id: str) -> str | None:
        """The ROR id of a funder, when the crosswalk maps it one to one (it maps 30 provincial natural
        science foundations to the NSFC's ROR id: those get none)."""
        rid = self.ix.funder_to_ror.get(funder_id)
        if rid is None:
            return None
        if len(self.ix.ror_to_funders.get(rid, [])) == 1:
            return rid
        org = self.ror.orgs.get(rid) if self.ror else None
        funder = self.ix.funders.get(funder_id)
        if org and funder:
            keys = {name_key(n) for n in [org.name, *org.names]}
            if keys & {name_key(n) for n in [funder.name, *funder.names]}:
                return rid
        return None

    def _lookup(self, text: str, country: str | None) -> list[str]:
        for variant in (text, reorder_of(text)):
            if not variant:
                continue
            ids = list(self.ix.by_key.get(name_key(variant), []))
            if country:
                ids = [i for i in ids if self.ix.funders[i].country == country]
            if len(ids) > 1:
                current = [i for i in ids if self.ix.funders[i].status == "active"]
                ids = current or ids
            if len(ids) > 1:  # a parent and its child with the same name: the parent
                ids = [i for i in ids if not set(self.ix.funders[i].parents) & set(ids)] or ids
            if len(ids) > 1 and not country:
                # the bare name of two funders: one qualifies its own name elsewhere ("National Science
                # Foundation of Sri Lanka"), the other does not (the US NSF) -- the bare name is the latter's
                bare = name_key(variant)
                ids = [i for i in ids if not any(name_key(n).startswith(bare) and name_key(n) != bare
                                                 for n in self.ix.funders[i].names)] or ids
            if len(ids) == 1:
                return ids
        return []

    def _plain(self, text: str) -> tuple[list[str], str]:
        acronyms = [a.strip() for a in PARENS.findall(text)]
        bare = PARENS.sub(" ", text).strip()
        for candidate in dict.fromkeys((text, bare)):
            if ids := self._lookup(candidate, None):
                return ids, "name"
            stripped = CHINA_TAIL.sub("", candidate).strip(" ,")
            if stripped and stripped != candidate and (ids := self._lookup(stripped, "CN")):
                return ids, "name-without-country"
        for acronym in [*acronyms, text]:
            if ACRONYM.match(acronym) and len(found := self.ix.by_acronym.get(acronym, [])) == 1:
                return found, "acronym"
        return [], "none"

    def _match(self, text: str) -> FunderMatch:
        if not text:
            return FunderMatch([], [], 0.0, "none")
        ids, method = self._plain(text)
        if not ids:
            for m in re.finditer(r"\s+(?:of|from|by)\s+", text):
                head, tail = text[: m.start()], text[m.end():]
                if PROGRAMME_WORDS & set(words(head)):
                    ids, method = self._plain(re.sub(r"^the\s+", "", tail, flags=re.IGNORECASE))
                    if ids:
                        method = "programme-of"
                        break
        if ids:
            rors = [r for i in ids if (r := self.crosswalk(i))]
            score = {"name": 1.0, "name-without-country": 0.95, "programme-of": 0.85, "acronym": 0.7}[method]
            return FunderMatch(ids, rors, score, method)
        if self.ror is not None:  # ROR funders the 2018 registry lacks
            bare = PARENS.sub(" ", text).strip()
            for candidate, country in ((bare, None), (CHINA_TAIL.sub("", bare).strip(" ,"), "CN")):
                found = [i for i in self.ror.by_key.get(name_key(candidate), [])
                         if (country is None or self.ror.orgs[i].country == country)]
                if len(found) == 1 and not is_generic(candidate):
                    org = self.ror.orgs[found[0]]
                    funders = [f for f in org.fundref if f in self.ix.funders] or \
                        self.ix.ror_to_funders.get(org.id, [])
                    return FunderMatch(list(funders), [org.id], 0.9, "ror-name")
        return FunderMatch([], [], 0.0, "none")

