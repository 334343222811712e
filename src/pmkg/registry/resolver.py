"""Curated actors first, then the registries: the resolver behind ``pmkg resolve`` and ``pmkg import``.

A curated actor wins when it matches (``pmkg.importers.resolve``); its accepted links
(``pm:rorId``, ``pm:funderDoi`` from kg/links/*.yaml) give its registry ids, and a registry
match whose id a curated actor is linked to is reported as that actor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from pmkg.importers.model import Affiliation
from pmkg.importers.resolve import PM, Resolver, load_curated
from pmkg.namespaces import ID
from pmkg.query import EmbeddedBackend
from pmkg.registry.match import AffiliationMatcher, FunderMatcher
from pmkg.store import STORE_DIR, open_store

if TYPE_CHECKING:
    from pmkg.registry.mint import Minter


@dataclass
class Resolved:
    """What one string resolves to: curated IRIs, ROR ids (short), funder ids (without 10.13039/)."""

    entities: list[str] = field(default_factory=list)
    ror_ids: list[str] = field(default_factory=list)
    funder_ids: list[str] = field(default_factory=list)
    score: float = 0.0
    method: str = "none"

    @property
    def resolved(self) -> bool:
        return bool(self.entities or self.ror_ids or self.funder_ids)


@dataclass
class CuratedLinks:
    resolver: Resolver
    ror_of: dict[str, list[str]]      # curated IRI -> ROR ids
    doi_of: dict[str, list[str]]      # curated IRI -> funder ids
    by_ror: dict[str, str]            # ROR id -> curated IRI
    by_doi: dict[str, str]            # funder id -> curated IRI


def load_links(store: ox.Store) -> CuratedLinks:
    backend = EmbeddedBackend(store)
    ror_of: dict[str, list[str]] = {}
    doi_of: dict[str, list[str]] = {}
    for s, p, o in ((r[0].text, r[1].text, r[2].text) for r in backend.select(
            f"SELECT ?s ?p ?o WHERE {{ VALUES ?p {{ <{PM}rorId> <{PM}funderDoi> }} ?s ?p ?o "
            f"FILTER(!STRSTARTS(STR(?s), '{ID}organisation/')) }}").rows):  # curated only, not minted
        table = ror_of if p.endswith("rorId") else doi_of
        table.setdefault(s, []).append(o.rsplit("/", 1)[-1] if table is ror_of else o.removeprefix("10.13039/"))
    by_ror = {r: s for s, rs in ror_of.items() for r in rs}
    by_doi = {d: s for s, ds in doi_of.items() for d in ds}
    return CuratedLinks(Resolver(load_curated(store)), ror_of, doi_of, by_ror, by_doi)


def load_links_from(dist: Path) -> CuratedLinks | None:
    """The curated side from a built store, or None when there is none."""
    if not (dist / STORE_DIR).is_dir():
        return None
    store = open_store(dist)
    try:
        return load_links(store)
    finally:
        del store


def entity_slug(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


class FullResolver:
    """Strings -> :class:`Resolved`, curated first; either side may be missing."""

    def __init__(self, curated: CuratedLinks | None, affiliations: AffiliationMatcher | None,
                 funders: FunderMatcher | None) -> None:
        self.curated = curated
        self.aff = affiliations
        self.fun = funders
        self._memo: dict[tuple, Resolved] = {}

    def affiliation(self, aff: Affiliation) -> Resolved:
        memo = ("a", aff.text, aff.field, aff.ror)
        if memo not in self._memo:
            self._memo[memo] = self._affiliation(aff)
        return self._memo[memo]

    def _affiliation(self, aff: Affiliation) -> Resolved:
        c = self.curated
        entities = list(c.resolver.affiliation(aff)) if c else []
        rors: list[str] = []
        score, methods = (1.0, ["curated"]) if entities else (0.0, [])
        if aff.ror:
            rors.append(aff.ror.rstrip("/").rsplit("/", 1)[-1])
            methods.append("record-ror")
            score = max(score, 1.0)
        elif self.aff is not None:
            m = self.aff.match(aff.text)
            if m.ids:
                rors += m.ids
                methods.append(m.method)
                score = max(score, m.score)
        if c:
            linked = [r for e in entities for r in c.ror_of.get(e, [])]
            entities += [c.by_ror[r] for r in rors if r in c.by_ror and c.by_ror[r] not in entities]
            rors = linked + [r for r in rors if r not in linked]
        return Resolved(list(dict.fromkeys(entities)), list(dict.fromkeys(rors)), [], score, "+".join(methods)
                        or "none")

    def funder(self, text: str) -> Resolved:
        memo = ("f", text)
        if memo not in self._memo:
            self._memo[memo] = self._funder(text)
        return self._memo[memo]

    def _funder(self, text: str) -> Resolved:
        c = self.curated
        hit = c.resolver.funder(text) if c else None
        entities = [hit] if hit else []
        rors: list[str] = []
        dois: list[str] = []
        score, methods = (1.0, ["curated"]) if hit else (0.0, [])
        if self.fun is not None:
            m = self.fun.match(text)
            if m.funders or m.ror_ids:
                dois, rors = list(m.funders), list(m.ror_ids)
                methods.append(m.method)
                score = max(score, m.score)
        if c:
            if hit:  # curated wins: its own links replace a registry match that disagrees
                linked_doi, linked_ror = c.doi_of.get(hit, []), c.ror_of.get(hit, [])
                if linked_doi:
                    dois = linked_doi
                    crossed = [r for d in dois if self.fun and (r := self.fun.crosswalk(d))]
                    rors = linked_ror or crossed
                elif linked_ror:
                    rors = linked_ror
            else:
                entities = list(dict.fromkeys([c.by_doi[d] for d in dois if d in c.by_doi]
                                              + [c.by_ror[r] for r in rors if r in c.by_ror]))
        return Resolved(entities, rors, dois, score, "+".join(methods) or "none")


def registry_resolvers(store: ox.Store, ror_dump: Path | None, registry: Path | None, crosswalk: Path | None,
                       note: Callable[[str], None] = lambda _: None) -> tuple[FullResolver, Minter] | None:
    """The registry side of an import, or None when no dump is given."""
    from pmkg.registry.index import load_funders, load_ror
    from pmkg.registry.mint import Minter

    if ror_dump is None and registry is None:
        return None
    links = load_links(store)
    ror = load_ror(ror_dump, note) if ror_dump else None
    funders = load_funders(registry, crosswalk, note) if registry else None
    full = FullResolver(links, AffiliationMatcher(ror) if ror else None,
                        FunderMatcher(funders, ror) if funders else None)
    return full, Minter(ror, funders, links.by_ror, links.by_doi, links.resolver.c.iso)
