"""On-disk indexes of ROR and the Open Funder Registry.

An index is a pickled :class:`RorIndex` / :class:`FunderIndex` in the cache directory
(``$PMKG_CACHE`` or ``~/.cache/pmkg``), named after the dump's SHA-256 and a hash of the
code that builds it (``code_version``): size and mtime
are checked first (cheap), the hash only when they differ from the last build, so an
unchanged dump reuses its index and a changed one is rebuilt.  :func:`load_ror` and
:func:`load_funders` say which happened through ``note``.

Name keys are :func:`pmkg.importers.names.key` (Web of Science abbreviations,
function words dropped, words joined), so "Chinese Acad Sci" = "Chinese Academy of
Sciences"; ``bag`` keys sort the words too ("Cagliari University" = "University of
Cagliari").
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import os
import pickle
import re
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pmkg.errors import InputError
from pmkg.importers.names import words

INDEX_VERSION = 5
QUALIFIED = re.compile(r"(.*\S)\s*\(([^()]+)\)")  # "Google (United States)"
BEFORE_UNIV_COUNTRIES = 5  # a word of one country's names ("Kyoto University") is a name, not a kind of university
BEFORE_UNIV_SHARE = 0.15   # "National" and "Medical" stand before many other words too
Note = Callable[[str], None]


def name_key(text: str) -> str:
    return "".join(words(text))


def bag_key(text: str) -> str:
    return " ".join(sorted(words(text)))


def latin(name: str) -> bool:
    """True when the name is written in Latin letters (a name in Chinese characters has no usable key:
    '大冢制药研发（北京）有限公司 (China)' would be keyed 'china')."""
    letters = [c for c in name if c.isalpha()]
    plain = [c for c in letters if unicodedata.normalize("NFKD", c)[:1].isascii()]
    return bool(letters) and len(plain) >= 0.9 * len(letters)


@dataclass
class Org:
    """One ROR record, as much as resolution and the graph need."""

    id: str                      # short id, e.g. 034t30j35
    name: str
    names: list[str] = field(default_factory=list)     # labels and aliases (not the display name)
    acronyms: list[str] = field(default_factory=list)
    country: str | None = None   # ISO 3166-1 alpha-2
    cities: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    status: str = "active"
    parents: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    successors: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)   # ROR "related" records (a university's hospitals)
    fundref: list[str] = field(default_factory=list)   # Crossref funder ids (no 10.13039/ prefix)

    @property
    def url(self) -> str:
        return "https://ror.org/" + self.id


@dataclass
class Funder:
    """One Funder Registry record."""

    id: str                      # e.g. 501100001809 (the DOI is 10.13039/<id>)
    name: str
    names: list[str] = field(default_factory=list)
    acronyms: list[str] = field(default_factory=list)
    country: str | None = None
    parents: list[str] = field(default_factory=list)
    status: str = "active"

    @property
    def doi(self) -> str:
        return "10.13039/" + self.id


@dataclass
class RorIndex:
    orgs: dict[str, Org]
    by_key: dict[str, list[str]]       # name key -> ids
    by_bag: dict[str, list[str]]       # bag key -> ids
    by_acronym: dict[str, list[str]]   # acronym (as written) -> ids
    cities: dict[str, set[str]]        # city key -> country codes
    countries: dict[str, str]          # country name key -> ISO code
    source: str = ""
    vocabulary: set[str] = field(default_factory=set)  # every word of an organisation's name (typo correction)
    before_univ: set[str] = field(default_factory=set)  # words names use mostly just before "University" (below)
    # a company's name without ROR's country qualifier ("Toshiba" of "Toshiba (Japan)"): whole segments only
    by_company: dict[str, list[str]] = field(default_factory=dict)
    _deletes: dict[str, list[str]] | None = None       # built on first use by :func:`typo_table`, not saved

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_deletes": None}


@dataclass
class FunderIndex:
    funders: dict[str, Funder]
    by_key: dict[str, list[str]]
    by_acronym: dict[str, list[str]]
    funder_to_ror: dict[str, str]      # funder id -> ROR short id (crosswalk)
    ror_to_funders: dict[str, list[str]]
    source: str = ""


# ---- reading ROR ----
def _all(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _short(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


def _relations(r: dict) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for rel in r.get("relationships") or []:
        out.setdefault(rel["type"].lower(), []).append(_short(rel["id"]))
    return out


def org_v1(r: dict) -> tuple[Org, str | None]:
    rel = _relations(r)
    names = list(dict.fromkeys([*(r.get("aliases") or []), *(lab["label"] for lab in r.get("labels") or [])]))
    country = r.get("country") or {}
    cities = [a["city"] for a in r.get("addresses") or [] if a.get("city")]
    ext = r.get("external_ids") or {}
    return Org(id=_short(r["id"]), name=r["name"], names=names, acronyms=list(r.get("acronyms") or []),
               country=country.get("country_code"), cities=cities,
               types=[t.lower() for t in r.get("types") or []], status=r.get("status") or "active",
               parents=rel.get("parent", []), children=rel.get("child", []), successors=rel.get("successor", []),
               related=rel.get("related", []),
               fundref=_all((ext.get("FundRef") or {}).get("all"))), country.get("country_name")


def org_v2(r: dict) -> tuple[Org, str | None]:
    rel = _relations(r)
    display = next((n["value"] for n in r["names"] if "ror_display" in n["types"]), r["names"][0]["value"])
    names = [n["value"] for n in r["names"] if n["value"] != display and "acronym" not in n["types"]]
    acronyms = [n["value"] for n in r["names"] if "acronym" in n["types"]]
    geo = [loc["geonames_details"] for loc in r.get("locations") or [] if loc.get("geonames_details")]
    ext = {e["type"]: _all(e.get("all")) for e in r.get("external_ids") or []}
    return Org(id=_short(r["id"]), name=display, names=names, acronyms=acronyms,
               country=geo[0].get("country_code") if geo else None, cities=[g["name"] for g in geo if g.get("name")],
               types=[t.lower() for t in r.get("types") or []], status=r.get("status") or "active",
               parents=rel.get("parent", []), children=rel.get("child", []), successors=rel.get("successor", []),
               related=rel.get("related", []),
               fundref=ext.get("fundref", [])), geo[0].get("country_name") if geo else None


def read_ror_orgs(path: Path) -> Iterator[tuple[Org, str | None]]:
    """(Org, country name) per record of a ROR dump: JSON Lines (gzipped or not) or a JSON array, read by
    :func:`pmkg.link.ror.read_raw` (the one ROR reader, shared with ``pmkg link``)."""
    from pmkg.link.ror import read_raw

    for n, what, item in read_raw(path, hint="pass --ror-dump FILE (.jsonl.gz, .jsonl or .json)"):
        r = item.get("record", item) if isinstance(item, dict) else item
        try:
            yield org_v2(r) if "names" in r else org_v1(r)
        except (KeyError, TypeError, IndexError, AttributeError) as exc:
            raise InputError(f"{what} {n} is not a ROR v1 or v2 record ({type(exc).__name__}: {exc})",
                             file=str(path), line=n if what == "line" else None) from exc


# country spellings of affiliation strings that ROR's country names lack
EXTRA_COUNTRIES = {
    "USA": "US", "U.S.A.": "US", "U.S.": "US", "US": "US", "United States of America": "US", "America": "US",
    "UK": "GB", "U.K.": "GB", "England": "GB", "Scotland": "GB", "Wales": "GB", "North Ireland": "GB",
    "Northern Ireland": "GB", "Great Britain": "GB", "Britain": "GB",
    "Peoples R China": "CN", "People's Republic of China": "CN", "P.R. China": "CN", "PR China": "CN",
    "P. R. China": "CN", "PRC": "CN", "P.R.C.": "CN", "Mainland China": "CN", "China": "CN",
    "Korea": "KR", "South Korea": "KR", "Republic of Korea": "KR", "Korea, Republic of": "KR",
    "Russia": "RU", "Iran": "IR", "Vietnam": "VN", "Viet Nam": "VN", "Turkiye": "TR", "Türkiye": "TR",
    "Taiwan": "TW", "Czech Republic": "CZ", "Czechia": "CZ", "Deutschland": "DE", "The Netherlands": "NL",
    "Holland": "NL", "U Arab Emirates": "AE", "UAE": "AE", "Brasil": "BR", "España": "ES", "Italia": "IT",
    "Schweiz": "CH", "Suisse": "CH", "Österreich": "AT", "Hong Kong": "HK", "Macau": "MO", "Macao": "MO",
}


def build_ror(path: Path) -> RorIndex:
    orgs: dict[str, Org] = {}
    countries: dict[str, str] = {}
    for org, country_name in read_ror_orgs(path):
        orgs[org.id] = org
        if country_name and org.country:
            countries.setdefault(name_key(country_name), org.country)
    for spelling, code in EXTRA_COUNTRIES.items():
        countries[name_key(spelling)] = code
    for org in list(orgs.values()):  # children from the parents' side too (v1 records may list only one side)
        for parent in org.parents:
            if parent in orgs and org.id not in orgs[parent].children:
                orgs[parent].children.append(org.id)
    by_key: dict[str, list[str]] = {}
    by_bag: dict[str, list[str]] = {}
    by_acronym: dict[str, list[str]] = {}
    cities: dict[str, set[str]] = {}
    vocabulary: set[str] = set()
    uses: dict[str, int] = {}                 # how often a word is used in a name
    before: dict[str, list[str | None]] = {}  # the countries of the names where it stands just before "univ"
    for org in orgs.values():
        for city in org.cities:
            if org.country and name_key(city):
                cities.setdefault(name_key(city), set()).add(org.country)
    by_company: dict[str, list[str]] = {}
    for org in orgs.values():
        if "company" in org.types:  # ROR writes a company "Toshiba (Japan)": affiliations write "Toshiba"
            for n in [org.name, *org.names]:
                m = QUALIFIED.fullmatch(n)
                if m and name_key(m[2]) in countries and latin(m[1]):
                    ids = by_company.setdefault(name_key(m[1]), [])
                    ids += [] if org.id in ids else [org.id]
        for name in dict.fromkeys([org.name, *org.names]):
            if not latin(name) or name_key(name) in cities or name_key(name) in countries:
                continue  # a name that is only a place ("New York City", "Milan") names no organisation
            ws = words(name)
            vocabulary.update(ws)
            for w in ws:
                uses[w] = uses.get(w, 0) + 1
            for w, nxt in itertools.pairwise(ws):
                if nxt == "univ":
                    before.setdefault(w, []).append(org.country)
            for table, k in ((by_key, name_key(name)), (by_bag, bag_key(name))):
                if k and org.id not in table.setdefault(k, []):
                    table[k].append(org.id)
        for acronym in org.acronyms:
            by_acronym.setdefault(acronym.strip(), []).append(org.id)
    # "Technical", "Catholic", "State", "Open": words that, in the names of several countries, mostly stand just
    # before "University" -- "Technical University of Wrocław" is then not the University of Wrocław
    before_univ = {w for w, where in before.items() if len(set(where)) >= BEFORE_UNIV_COUNTRIES
                   and len(where) >= BEFORE_UNIV_SHARE * uses[w] and w not in cities and w not in countries}
    return RorIndex(orgs, by_key, by_bag, by_acronym, cities, countries, vocabulary=vocabulary,
                    before_univ=before_univ, by_company=by_company)


def typo_table(ix: RorIndex, shortest: int) -> dict[str, list[str]]:
    """The vocabulary's words (of ``shortest`` letters or more) under each form with one letter deleted, and
    under themselves (SymSpell's idea): two words one typo apart share a key.  Built once per loaded index
    (about 1 s for the 52k words of ROR v2.9)."""
    if ix._deletes is None:
        table: dict[str, list[str]] = {}
        for w in ix.vocabulary:
            if len(w) >= shortest:
                for d in {w[:i] + w[i + 1:] for i in range(len(w))} | {w}:
                    table.setdefault(d, []).append(w)
        ix._deletes = table
    return ix._deletes


# ---- reading the Funder Registry and the crosswalk ----
def build_funders(registry: Path, crosswalk: Path | None) -> FunderIndex:
    from pmkg.link.funders import read_funders

    funders: dict[str, Funder] = {}
    for rec in read_funders(registry):
        fid = rec.identifier.removeprefix("10.13039/")
        funders[fid] = Funder(id=fid, name=rec.name, names=list(rec.names), acronyms=list(rec.acronyms),
                              country=rec.country, parents=[p.removeprefix("10.13039/") for p in rec.parents],
                              status=rec.status)
    by_key: dict[str, list[str]] = {}
    by_acronym: dict[str, list[str]] = {}
    for f in funders.values():
        for name in dict.fromkeys([f.name, *f.names]):
            k = name_key(name)
            if k and f.id not in by_key.setdefault(k, []):
                by_key[k].append(f.id)
        for acronym in f.acronyms:
            by_acronym.setdefault(acronym.strip(), []).append(f.id)
    funder_to_ror: dict[str, str] = {}
    if crosswalk is not None:
        if not crosswalk.is_file():
            raise InputError(f"crosswalk {crosswalk} does not exist",
                             hint="pass --crosswalk FILE (ror-funder-registry-mapping.json[.gz])")
        opener = gzip.open if crosswalk.suffix == ".gz" else open
        try:
            with opener(crosswalk, "rt", encoding="utf-8") as fh:
                mapping = json.load(fh)
        except (OSError, EOFError, json.JSONDecodeError) as exc:
            raise InputError(f"crosswalk {crosswalk} is not a JSON object of funder id -> ROR URL: {exc}") from exc
        funder_to_ror = {str(k): _short(v) for k, v in mapping.items()}
    ror_to_funders: dict[str, list[str]] = {}
    for fid, rid in funder_to_ror.items():
        ror_to_funders.setdefault(rid, []).append(fid)
    return FunderIndex(funders, by_key, by_acronym, funder_to_ror, ror_to_funders)


# ---- the cache ----
def cache_dir() -> Path:
    return Path(os.environ.get("PMKG_CACHE") or Path.home() / ".cache" / "pmkg")


def _digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for path in paths:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
    return h.hexdigest()[:24]


def code_version() -> str:
    """A hash of the code that shapes an index (name normalisation, index building): a changed key
    function must not reuse an index built with the old one."""
    from pmkg.importers import names

    h = hashlib.sha256()
    for module in (names.__file__, __file__):
        h.update(Path(module).read_bytes())
    return h.hexdigest()[:8]


def _stamp(paths: list[Path]) -> list[list[float]]:
    return [[p.stat().st_size, p.stat().st_mtime] for p in paths]


def cached(kind: str, paths: list[Path], build: Callable[[], Any], note: Note, cache: Path | None = None) -> Any:
    """The index of ``paths``, from the cache when the dumps are unchanged, else built and saved."""
    for p in paths:
        if not p.is_file():
            raise InputError(f"{p} does not exist")
    cache = cache or cache_dir()
    names = "|".join(str(p.resolve()) for p in paths)
    stamps = cache / f"{kind}-{hashlib.sha256(names.encode()).hexdigest()[:16]}.stamp.json"
    digest = None
    try:
        saved = json.loads(stamps.read_text())
        if saved["stamp"] == _stamp(paths) and saved["version"] == INDEX_VERSION:
            digest = saved["digest"]
    except (OSError, ValueError, KeyError):
        pass
    digest = digest or _digest(paths)
    target = cache / f"{kind}-v{INDEX_VERSION}-{code_version()}-{digest}.pickle"
    if target.is_file():
        try:
            with target.open("rb") as fh:
                index = pickle.load(fh)
            note(f"{kind} index reused: {target}")
            _save_stamp(stamps, paths, digest)
            return index
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            note(f"{kind} index at {target} is unreadable; rebuilding")
    start = time.perf_counter()
    index = build()
    index.source = ", ".join(str(p) for p in paths)
    cache.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=cache)
    with os.fdopen(fd, "wb") as fh:
        pickle.dump(index, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, target)
    _save_stamp(stamps, paths, digest)
    note(f"{kind} index built in {time.perf_counter() - start:.1f} s from {index.source}: {target}")
    return index


def _save_stamp(stamps: Path, paths: list[Path], digest: str) -> None:
    try:
        stamps.parent.mkdir(parents=True, exist_ok=True)
        stamps.write_text(json.dumps({"stamp": _stamp(paths), "digest": digest, "version": INDEX_VERSION}))
    except OSError:
        pass


def load_ror(dump: Path, note: Note = lambda _: None, cache: Path | None = None) -> RorIndex:
    return cached("ror", [dump], lambda: build_ror(dump), note, cache)


def load_funders(registry: Path, crosswalk: Path | None, note: Note = lambda _: None,
                 cache: Path | None = None) -> FunderIndex:
    paths = [registry] + ([crosswalk] if crosswalk else [])
    return cached("funders", paths, lambda: build_funders(registry, crosswalk), note, cache)
