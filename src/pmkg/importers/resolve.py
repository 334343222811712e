"""Resolve affiliation and funder strings to curated actors (and funder programmes).

The curated names come from the built store: ``rdfs:label`` and
``skos:altLabel`` of every ``pm:Actor`` and ``pm:Programme``, their
``pm:subOrganisationOf`` parents, ``pm:rorId``s and whether they sit in China;
places with their labels and ISO codes.  Matching is exact on normalised keys
(``names.key``) plus a few explicit, guarded variants:

* funders: the name with its "(ACRONYM)" removed; with a trailing "of China" /
  "in China" / ", P.R. China" removed, only when the match is a Chinese actor
  (so a "National Science Foundation" of another country never becomes the
  NSFC); "Natural Science Foundation of Zhejiang Province" <-> "Zhejiang
  Provincial Natural Science Foundation" word order; a programme *of* a curated
  funder ("Major Research Plan of the National Natural Science Foundation of
  China") or named after its acronym ("CAMS Innovation Fund …", "… CAS")
  resolves to that funder;
* affiliations: an address is split at commas; a segment is accepted when its
  key is distinctive (not only generic words like "University Hospital") or
  when it names a curated sub-unit of an organisation accepted from another
  segment; the most specific accepted unit is kept, so an uncurated CAS
  institute resolves to CAS and a curated one (SIAT) to itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from pmkg.importers.model import Affiliation
from pmkg.importers.names import STOPWORDS, is_generic, key, reorder_of, words
from pmkg.query import EmbeddedBackend
from pmkg.store import open_store

PM = "https://w3id.org/pmkg/ontology#"
CHINA_QUALIFIER = re.compile(
    r"(?:,\s*[A-Z][a-z]+)?[\s,]*(?:\b(?:in|of)\s+)?(?:the\s+)?"
    r"(?:P\.?\s?R\.?\s?(?:of\s+)?China|People'?s\s+Republic\s+of\s+China|China|PRC)\s*[.)]?\s*$",
    re.IGNORECASE)
PARENTHESIS = re.compile(r"\s*\([^()]*\)\s*")
ACRONYM = re.compile(r"^[A-Z][A-Z0-9]{2,}$")
PROGRAMME_WORDS = frozenset({"fund", "program", "project", "plan", "talent", "innovat", "key", "lab", "youth",
                             "grant", "scholar", "initiative", "award", "fellowship", "special", "fdn",
                             "pioneer", "hundred", "promotion", "start", "support", "cultivation"})
COUNTRY_SPELLINGS = {  # Web of Science address conventions -> the curated country's name
    "peoples r china": "China", "pr china": "China", "england": "United Kingdom", "scotland": "United Kingdom",
    "wales": "United Kingdom", "north ireland": "United Kingdom", "u arab emirates": "United Arab Emirates",
    "turkiye": "Turkey", "russia": "Russian Federation",
}


@dataclass
class Target:
    iri: str
    parents: set[str] = field(default_factory=set)
    in_china: bool = False


@dataclass
class Curated:
    """What the resolver knows, read once from the built store."""

    targets: dict[str, Target]
    names: dict[str, set[str]]          # key -> IRIs (labels and aliases)
    labels: dict[str, set[str]]         # key -> IRIs (labels only)
    ror: dict[str, str]                 # ROR id -> IRI
    places: dict[str, str]              # key of a place name -> country IRI
    iso: dict[str, str]                 # ISO 3166 code -> country IRI

    def ancestors(self, iri: str) -> set[str]:
        seen: set[str] = set()
        todo = list(self.targets[iri].parents) if iri in self.targets else []
        while todo:
            parent = todo.pop()
            if parent not in seen:
                seen.add(parent)
                todo += list(self.targets[parent].parents) if parent in self.targets else []
        return seen


def _rows(backend: EmbeddedBackend, text: str) -> list[list[str | None]]:
    return [[v.text if v else None for v in row] for row in backend.select(text).rows]


def load_curated(store: ox.Store) -> Curated:
    """Read names, parents, ROR ids and places of the curated graph."""
    backend = EmbeddedBackend(store)
    prefixes = (f"PREFIX pm: <{PM}> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
                "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> ")
    targets: dict[str, Target] = {}
    names: dict[str, set[str]] = {}
    labels: dict[str, set[str]] = {}
    for iri, name, kind in _rows(backend, prefixes + """SELECT DISTINCT ?t ?n ?k WHERE {
            { ?t a pm:Actor } UNION { ?t a pm:Programme }
            { ?t rdfs:label ?n BIND("label" AS ?k) } UNION { ?t skos:altLabel ?n BIND("alias" AS ?k) } }"""):
        targets.setdefault(iri, Target(iri))
        for variant in (name, reorder_of(name)):
            if variant and key(variant):
                names.setdefault(key(variant), set()).add(iri)
                if kind == "label":
                    labels.setdefault(key(variant), set()).add(iri)
    for child, parent in _rows(backend, prefixes + "SELECT ?c ?p WHERE { ?c pm:subOrganisationOf ?p }"):
        if child in targets:
            targets[child].parents.add(parent)
    for (iri,) in _rows(backend, prefixes + """SELECT DISTINCT ?t WHERE {
            ?china pm:isoCode "CN" . ?t (pm:locatedIn|pm:jurisdiction|pm:subOrganisationOf)+ ?china }"""):
        if iri in targets:
            targets[iri].in_china = True
    ror = {rid.rsplit("/", 1)[-1].lower(): iri
           for iri, rid in _rows(backend, prefixes + "SELECT ?t ?r WHERE { ?t pm:rorId ?r . ?t a ?k . "
                                                  "FILTER(?k IN (pm:Actor, pm:Programme)) }")}
    places: dict[str, str] = {}
    iso: dict[str, str] = {}
    for place, name, country, code in _rows(backend, prefixes + """SELECT ?p ?n ?c ?code WHERE {
            ?p a ?kind ; rdfs:label|skos:altLabel ?n .
            FILTER(?kind IN (pm:Place, pm:Country, pm:Region, pm:City))  # asserted types: no reasoner needed
            ?p pm:locatedIn* ?c . ?c a pm:Country . OPTIONAL { ?c pm:isoCode ?code } }"""):
        if key(name):
            places.setdefault(key(name), country)
        if code and place == country:
            iso[code.upper()] = country
    return Curated(targets, names, labels, ror, places, iso)


def load_curated_from(dist: Path) -> Curated:
    store = open_store(dist)
    try:
        return load_curated(store)
    finally:
        del store


class Resolver:
    """String -> curated IRIs, with memoisation (the same strings recur across records)."""

    def __init__(self, curated: Curated) -> None:
        self.c = curated
        self._funders: dict[str, str | None] = {}
        self._affiliations: dict[tuple[str, str, str | None], tuple[str, ...]] = {}

    # ---- funders ----
    def funder(self, text: str) -> str | None:
        if text not in self._funders:
            self._funders[text] = self._funder(text.strip(" .,;"))
        return self._funders[text]

    def _exact(self, text: str, *, china_only: bool = False) -> str | None:
        for variant in (text, reorder_of(text)):
            if not variant:
                continue
            found = self.c.names.get(key(variant), set())
            if china_only:
                found = {i for i in found if self.c.targets[i].in_china}
            if len(found) == 1:
                return next(iter(found))
        return None

    def _plain(self, text: str) -> str | None:
        """Exact, without "(ACRONYM)", without a trailing China qualifier (Chinese actors only)."""
        bare = PARENTHESIS.sub(" ", text).strip()
        for candidate in dict.fromkeys((text, bare)):
            if hit := self._exact(candidate):
                return hit
            stripped = CHINA_QUALIFIER.sub("", candidate).strip(" ,")
            if stripped and stripped != candidate and (hit := self._exact(stripped, china_only=True)):
                return hit
        return None

    def _funder(self, text: str) -> str | None:
        if not text:
            return None
        if hit := self._plain(text):
            return hit
        # a programme of a curated funder: "Major Research Plan of the National Natural Science Foundation of China"
        for match in re.finditer(r"\s+of\s+", text):
            head, tail = text[: match.start()], text[match.end():]
            if PROGRAMME_WORDS & set(words(head)) and (hit := self._plain(re.sub(r"^the\s+", "", tail))):
                return hit
        tokens = re.split(r"[\s,-]+", PARENTHESIS.sub(" ", text).strip())
        rest = set(words(" ".join(tokens[1:]))) | set(words(" ".join(tokens[:-1])))
        if len(tokens) > 1 and PROGRAMME_WORDS & rest:
            # named after the funder's acronym: "CAMS Innovation Fund …", "Youth Innovation Promotion Association CAS"
            for acronym in (tokens[0], tokens[-1]):
                if ACRONYM.match(acronym) and (hit := self._exact(acronym)):
                    return hit
            # named after the funder: "Chinese Academy of Sciences Key Laboratory of …"
            for cut in range(len(tokens) - 1, 1, -1):
                head, tail = " ".join(tokens[:cut]), tokens[cut:]
                if (tail and tail[0][:1].isupper() and tail[0].lower() not in STOPWORDS
                        and tokens[cut - 1].lower() not in STOPWORDS
                        and PROGRAMME_WORDS & set(words(" ".join(tail))) and not is_generic(head)
                        and (hit := self._exact(head))):
                    return hit
        return None

    # ---- affiliations ----
    def affiliation(self, aff: Affiliation) -> tuple[str, ...]:
        memo = (aff.text, aff.field, aff.ror)
        if memo not in self._affiliations:
            self._affiliations[memo] = self._affiliation(aff)
        return self._affiliations[memo]

    def _affiliation(self, aff: Affiliation) -> tuple[str, ...]:
        if aff.ror:
            hit = self.c.ror.get(aff.ror.rsplit("/", 1)[-1].lower())
            if hit:
                return (hit,)
        if aff.field == "institution":
            found = self.c.names.get(key(aff.text), set())
            return tuple(found) if len(found) == 1 and not is_generic(aff.text) else ()
        text = aff.text
        suffix = re.search(r"\s+-\s+([^-]+)$", text) if aff.field == "C3" else None
        if suffix and self.country(suffix.group(1)):  # WoS disambiguation: "Southern Medical University - China"
            text = text[: suffix.start()]
        segments = [s.strip() for s in text.split(",") if s.strip()]
        if aff.field == "C1" and len(segments) > 1:
            segments = segments[:-1]  # the country
        elif segments and aff.field == "raw" and self.country(segments[-1]):
            segments = segments[:-1]
        return self._segments(segments[:8])

    def _segments(self, segments: list[str]) -> tuple[str, ...]:
        candidates = [(seg, self.c.names.get(key(seg), set())) for seg in segments]
        accepted: set[str] = set()
        for seg, found in candidates:
            if len(found) != 1 or is_generic(seg):
                continue
            (iri,) = found
            # a curated sub-unit known by a short alias ("Institute of Microbiology") needs its parent in
            # the same address; by its own label it stands alone
            if not self.c.targets[iri].parents or iri in self.c.labels.get(key(seg), set()):
                accepted.add(iri)
        changed = True
        while changed:
            changed = False
            for _seg, found in candidates:
                for iri in found - accepted:
                    if self.c.ancestors(iri) & accepted:
                        accepted.add(iri)
                        changed = True
        ancestors = set().union(*(self.c.ancestors(i) for i in accepted)) if accepted else set()
        return tuple(sorted(accepted - ancestors))

    # ---- countries ----
    def country(self, text: str) -> str | None:
        """The curated country named at the end of an address (WoS spellings, names, aliases, ISO codes)."""
        tail = re.sub(r"\S+@\S+", "", text).strip(" .;")
        tail = tail.rsplit(",", 1)[-1].strip(" .")
        if re.search(r"\bUSA$", tail):
            tail = "USA"
        tail = COUNTRY_SPELLINGS.get(" ".join(words(tail)), tail)
        return self.c.places.get(key(tail)) if tail else None

    def country_code(self, code: str | None) -> str | None:
        return self.c.iso.get(code.upper()) if code else None
