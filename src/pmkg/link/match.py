"""Candidate generation, scoring and cross-checks against the curated graph.

A candidate is a registry record one of whose names equals (after
:func:`normalise`) one of the actor's names, or whose acronym equals one of
the actor's acronyms, or whose name shares at least 80 % of its words with one
of the actor's names.  Its score is the strength of the best name match times
a factor for each check (see ``_score``):

- country: the registry record's country among the curated pm:locatedIn countries
  (agrees: x1, one side unknown: x0.85, disagrees: x0.4 and a ``country-disagrees`` flag);
- type: the registry types compatible with the curated kinds (disagrees: x0.8 and a flag);
- status: a withdrawn, inactive or replaced record x0.9 and a flag;
- parent: the registry parent is (or is not) a candidate of the curated parent
  (agrees: +0.05; disagrees: x0.8 and a flag).

Method names say how the name matched: ``exact-name`` (the registry's main name,
or it without a trailing country qualifier such as "(China)"), ``exact-alias``
(another name or label of the record), ``former-name``, ``name-without-qualifier``,
``acronym``, ``fuzzy-name``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from pmkg.link.curated import CuratedActor
from pmkg.schema import Link

SPELLING = {"centre": "center", "centres": "centers", "programme": "program", "programmes": "programs",
            "organisation": "organization", "organisations": "organizations", "paediatrics": "pediatrics"}
STOPWORDS = {"of", "the", "and", "for", "in", "at", "de", "la", "le", "des", "du", "di", "der", "und"}
NAME_SCORE = {"exact-name": 1.0, "exact-alias": 0.95, "former-name": 0.9, "name-without-qualifier": 0.8,
              "acronym": 0.6}
FUZZY_MIN = 0.8
MIN_SCORE = 0.35  # keeps an exact name match in another country (0.4) so that it is flagged and reviewed
MAX_CANDIDATES = 3
# Registry types (ROR's vocabulary; the Funder Registry's are mapped onto it) that fit each curated kind.
# 'funder' is left out: any kind of organisation may fund.  Kinds missing here have no opinion.
KIND_TYPES: dict[str, set[str]] = {
    "university": {"education", "facility", "healthcare", "other"},
    "hospital": {"healthcare", "education", "facility", "nonprofit", "government", "other"},
    "company": {"company", "other", "healthcare", "facility"},
    "government-body": {"government", "facility", "other"},
    "funding-agency": {"government", "nonprofit", "other", "facility", "education"},
    "research-institute": {"facility", "education", "nonprofit", "government", "other", "healthcare", "company",
                           "archive"},
    "non-profit": {"nonprofit", "other", "facility", "healthcare", "education"},
    "laboratory": {"facility", "education", "government", "company", "nonprofit", "other", "healthcare"},
    "professional-society": {"nonprofit", "other"},
    "international-organisation": {"government", "nonprofit", "other"},
}


@dataclass
class RegistryRecord:
    """One registry record, whatever the registry: names, country, parents, types, cross-references."""

    registry: str
    identifier: str
    iri: str
    name: str
    names: dict[str, str] = field(default_factory=dict)  # other names -> 'alias' | 'label' | 'former name'
    acronyms: list[str] = field(default_factory=list)
    country: str | None = None
    parents: list[str] = field(default_factory=list)
    types: set[str] = field(default_factory=set)
    status: str = "active"
    successors: list[str] = field(default_factory=list)
    wikidata: list[str] = field(default_factory=list)
    fundref: list[str] = field(default_factory=list)
    ror: list[str] = field(default_factory=list)


def normalise(name: str) -> str:
    """Case, accents, '&', apostrophes, punctuation, British spelling and a leading 'the' do not matter."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.replace("&", " and ")
    text = re.sub(r"['’`´]", "", text)
    tokens = [SPELLING.get(t, t) for t in re.sub(r"[\W_]+", " ", text).split()]
    if tokens and tokens[0] == "the":
        tokens = tokens[1:]
    return " ".join(tokens)


def tokens(name: str) -> frozenset[str]:
    return frozenset(t for t in normalise(name).split() if t not in STOPWORDS)


QUALIFIER = re.compile(r"^(.*\S)\s*\(([^()]+)\)\s*$")


def is_acronym(name: str) -> bool:
    """'NSFC', 'CAS', 'PUMCH', 'AccutarBio'? no: two or more capitals, no space, at most 10 characters."""
    bare = name.replace(".", "")
    return 2 <= len(bare) <= 10 and " " not in bare and sum(c.isupper() for c in bare) >= 2 and bare.isalnum()


@dataclass
class NameHit:
    curated: str
    curated_kind: str
    registry: str
    method: str
    strength: float

    def evidence(self) -> str:
        where = {"exact-name": "registry name", "exact-alias": "registry alias/label",
                 "former-name": "registry name", "name-without-qualifier": "registry name",
                 "acronym": "registry acronym", "fuzzy-name": "registry name"}[self.method]
        rel = "≈" if self.method == "fuzzy-name" else "="
        return f"{self.curated_kind} '{self.curated}' {rel} {where} '{self.registry}'" + (
            f" (word overlap {self.strength:.2f})" if self.method == "fuzzy-name" else "")


class RegistryIndex:
    """Names, acronyms and words of every registry record, for candidate look-up."""

    def __init__(self, records: Iterable[RegistryRecord]) -> None:
        self.records: dict[str, RegistryRecord] = {}
        self.exact: dict[str, list[tuple[str, str, str]]] = {}  # normalised -> (identifier, name, method)
        self.acronyms: dict[str, list[tuple[str, str]]] = {}
        self.words: dict[str, set[str]] = {}
        self.name_tokens: dict[str, list[tuple[frozenset[str], str]]] = {}
        for rec in records:
            self.add(rec)

    def _exact(self, name: str, rec: RegistryRecord, method: str) -> None:
        key = normalise(name)
        if key:
            self.exact.setdefault(key, []).append((rec.identifier, name, method))

    def add(self, rec: RegistryRecord) -> None:
        self.records[rec.identifier] = rec
        variants = [(rec.name, "main")] + [(n, kind) for n, kind in rec.names.items()]
        for name, kind in variants:
            method = "exact-name" if kind == "main" else "former-name" if kind == "former name" else "exact-alias"
            self._exact(name, rec, method)
            m = QUALIFIER.match(name)
            if m and normalise(m.group(1)):
                self.exact.setdefault(normalise(m.group(1)), []).append(
                    (rec.identifier, name, f"qualified:{m.group(2)}:{method}"))
            toks = tokens(name)
            self.name_tokens.setdefault(rec.identifier, []).append((toks, name))
            for t in toks:
                self.words.setdefault(t, set()).add(rec.identifier)
        for acronym in rec.acronyms:
            self.acronyms.setdefault(acronym.replace(".", ""), []).append((rec.identifier, acronym))

    def hits(self, actor: CuratedActor, country_names: dict[str, str]) -> dict[str, list[NameHit]]:
        """Name hits of an actor, by registry identifier."""
        found: dict[str, list[NameHit]] = {}
        for name, kind in actor.names.items():
            for identifier, reg_name, how in self.exact.get(normalise(name), []):
                method = how
                if how.startswith("qualified:"):  # 'BGI Group (China)' matched as 'BGI Group'
                    _, qualifier, base = how.split(":", 2)
                    rec = self.records[identifier]
                    is_country = rec.country and normalise(country_names.get(rec.country, "")) == normalise(qualifier)
                    method = base if is_country and base == "exact-name" else "name-without-qualifier"
                if kind == "former name" and method in ("exact-name", "exact-alias"):
                    method = "former-name"
                if is_acronym(name) and method != "exact-name":
                    method = "acronym"  # 'NRC' listed as an alias is still only an acronym
                found.setdefault(identifier, []).append(NameHit(name, kind, reg_name, method, NAME_SCORE[method]))
            if is_acronym(name):
                for identifier, acronym in self.acronyms.get(name.replace(".", ""), []):
                    found.setdefault(identifier, []).append(NameHit(name, kind, acronym, "acronym", 0.6))
            self._fuzzy(name, kind, found)
        return found

    def _fuzzy(self, name: str, kind: str, found: dict[str, list[NameHit]]) -> None:
        toks = tokens(name)
        if len(toks) < 2:
            return
        rarest = min(toks, key=lambda t: len(self.words.get(t, ())))
        pool = self.words.get(rarest, set())
        if len(pool) > 3000:
            return
        for identifier in pool:
            if identifier in found:
                continue
            for reg_toks, reg_name in self.name_tokens[identifier]:
                overlap = len(toks & reg_toks) / len(toks | reg_toks)
                if overlap >= FUZZY_MIN and overlap < 1.0:
                    found.setdefault(identifier, []).append(
                        NameHit(name, kind, reg_name, "fuzzy-name", round(0.8 * overlap, 3)))
                    break


@dataclass
class Candidate:
    actor: CuratedActor
    record: RegistryRecord
    hits: list[NameHit]
    score: float = 0.0
    evidence: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)

    @property
    def best(self) -> NameHit:
        return max(self.hits, key=lambda h: (h.strength, h.method))

    def to_link(self, registry_doc: str) -> Link:
        return Link(about=self.actor.id, registry=self.record.registry,  # type: ignore[arg-type]
                    registry_doc=registry_doc, identifier=self.record.identifier, iri=self.record.iri,
                    label=self.record.name, score=round(self.score, 3), method=self.best.method,
                    evidence=self.evidence, flags=self.flags, status="proposed")


def type_check(actor: CuratedActor, record: RegistryRecord) -> tuple[bool | None, str]:
    """(agrees?, text): None when either side has no opinion."""
    opinion = [k for k in sorted(actor.kinds) if k in KIND_TYPES]
    reg_types = sorted(record.types - {"funder"})
    if not opinion or not reg_types:
        return None, ""
    fits = set().union(*(KIND_TYPES[k] for k in opinion))
    text = f"curated {', '.join(opinion)}, registry {', '.join(reg_types)}"
    return bool(fits & set(reg_types)), text


def _score(c: Candidate) -> None:
    """Name strength times the country, type and status factors (module docstring)."""
    actor, rec = c.actor, c.record
    hits = sorted(c.hits, key=lambda h: -h.strength)
    c.evidence = [h.evidence() for h in hits[:4]]
    score = c.best.strength
    if actor.countries and rec.country:
        if rec.country in actor.countries:
            c.evidence.append(f"country agrees: {rec.country}")
        else:
            score *= 0.4
            c.flags.append(f"country-disagrees: curated {', '.join(sorted(actor.countries))}, registry {rec.country}")
    else:
        score *= 0.85
        side = "curated graph states no country" if not actor.countries else "registry record has no country"
        c.evidence.append(f"country unchecked: {side}")
    agrees, text = type_check(actor, rec)
    if agrees is False:
        score *= 0.8
        c.flags.append(f"type-disagrees: {text}")
    elif agrees:
        c.evidence.append(f"type agrees: {text}")
    if rec.status != "active":
        score *= 0.9
        succ = f" (successor {', '.join(rec.successors)})" if rec.successors else ""
        c.flags.append(f"registry-record-{rec.status}{succ}")
    c.score = score


def check_parents(cands: list[Candidate], linked: dict[str, set[str]], owner: dict[str, set[str]]) -> None:
    """Parent agreement: the registry parent should be a candidate (or accepted id) of the curated parent.

    ``linked``: actor id -> identifiers (accepted links and top candidates) in this registry;
    ``owner``: identifier -> actor ids it is a candidate of.
    """
    for c in cands:
        reg_parents = set(c.record.parents)
        if c.actor.parents:
            expected = set().union(*(linked.get(p, set()) for p in c.actor.parents))
            names = ", ".join(sorted(c.actor.parents))
            if not expected:
                c.evidence.append(f"parent unchecked: curated parent {names} has no candidate in this registry")
            elif reg_parents & expected:
                c.score = min(1.0, c.score + 0.05)
                c.evidence.append(f"parent agrees: registry parent {', '.join(sorted(reg_parents & expected))} "
                                  f"is the candidate of curated parent {names}")
            elif reg_parents:
                c.score *= 0.8
                c.flags.append(f"parent-disagrees: registry parent {', '.join(sorted(reg_parents))}, curated parent "
                               f"{names} ({', '.join(sorted(expected))})")
            else:
                c.evidence.append(f"parent not in registry record: curated parent {names}")
        else:
            for p in sorted(reg_parents):
                if owner.get(p):
                    c.evidence.append(f"registry parent {p} ({', '.join(sorted(owner[p]))}) "
                                      "is not a parent in the curated graph")


def propose(actors: list[CuratedActor], index: RegistryIndex, registry_doc: str, *,
            accepted: dict[str, set[str]] | None = None, country_names: dict[str, str] | None = None,
            min_score: float = MIN_SCORE, limit: int = MAX_CANDIDATES) -> list[Link]:
    """Scored, cross-checked candidates for every actor, as proposed links (best first per actor)."""
    accepted = accepted or {}
    by_actor: dict[str, list[Candidate]] = {}
    for actor in actors:
        cands = [Candidate(actor, index.records[i], hits) for i, hits in actor_hits(actor, index, country_names)]
        for c in cands:
            _score(c)
        by_actor[actor.id] = cands
    linked = {a: set(ids) for a, ids in accepted.items()}
    owner: dict[str, set[str]] = {}
    for actor_id, cands in by_actor.items():
        top = max((c.score for c in cands), default=0.0)
        for c in cands:
            if c.score >= max(min_score, top - 0.05) and c.best.strength >= 0.9:
                linked.setdefault(actor_id, set()).add(c.record.identifier)
        for i in linked.get(actor_id, ()):
            owner.setdefault(i, set()).add(actor_id)
    links: list[Link] = []
    for actor_id in sorted(by_actor):
        cands = by_actor[actor_id]
        check_parents(cands, linked, owner)
        cands = sorted((c for c in cands if c.score >= min_score), key=lambda c: (-c.score, c.record.identifier))
        top = cands[0].score if cands else 0.0
        cands = [c for c in cands if c.score >= top - 0.3][:limit]
        rivals = [c for c in cands if c.score >= top - 0.01 and c.best.strength >= 0.9]
        if len(rivals) > 1:
            for c in rivals:
                others = ", ".join(r.record.identifier for r in rivals if r is not c)
                c.flags.append(f"ambiguous: registry records {others} match equally well")
        links += [c.to_link(registry_doc) for c in cands]
    return links


def actor_hits(actor: CuratedActor, index: RegistryIndex,
               country_names: dict[str, str] | None) -> list[tuple[str, list[NameHit]]]:
    return sorted(index.hits(actor, country_names or {}).items())


def shared_identifiers(links: Iterable[Link]) -> dict[str, set[str]]:
    """identifier -> actors, for identifiers that more than one actor is linked to (rejected links aside)."""
    owners: dict[str, set[str]] = {}
    for link in links:
        if link.status != "rejected":
            owners.setdefault(link.identifier, set()).add(link.about)
    return {i: a for i, a in owners.items() if len(a) > 1}
