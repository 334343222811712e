"""What the curated graph says about an actor, in the form the matcher needs.

Names (label, ``label_zh``, aliases, former names), countries (ISO codes found
by walking ``located_in`` up to a country), parents and kinds are gathered
from the entity record, its ``also`` blocks, ``facts`` records and conflict
claims (a disputed place counts: the registry may agree with either claim).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pmkg import schema as s
from pmkg.load import KG

# ISO 3166-2 subdivisions that also have an ISO 3166-1 alpha-2 code of their own (registries use the latter).
OWN_CODE = {"CN-HK": "HK", "CN-MO": "MO", "CN-TW": "TW"}


@dataclass
class CuratedActor:
    id: str
    label: str
    names: dict[str, str] = field(default_factory=dict)  # name -> how the curated graph has it (label, alias …)
    countries: set[str] = field(default_factory=set)  # ISO 3166-1 alpha-2
    parents: set[str] = field(default_factory=set)
    kinds: set[str] = field(default_factory=set)


@dataclass
class CuratedCountry:
    id: str
    label: str
    iso: str
    names: dict[str, str] = field(default_factory=dict)


def _blocks(kg: KG) -> dict[str, list[s.Facts]]:
    """Every facts-bearing block of every entity, by entity id."""
    blocks: dict[str, list[s.Facts]] = {}
    for rec in kg.records:
        m = rec.model
        if isinstance(m, s.Entity):
            blocks.setdefault(m.id, []).extend([m, *m.also])
        elif isinstance(m, s.FactsRecord):
            blocks.setdefault(m.about, []).append(m)
        elif isinstance(m, s.Conflict):
            blocks.setdefault(m.about, []).extend(m.claims)
    return blocks


def _country_of(place: str, places: dict[str, s.Place], blocks: dict[str, list[s.Facts]],
                seen: set[str] | None = None) -> set[str]:
    """ISO codes of the countries a place lies in (itself, if it is a country)."""
    seen = seen if seen is not None else set()
    if place in seen or place not in places:
        return set()
    seen.add(place)
    p = places[place]
    if p.place_kind == "country" and p.iso_code:
        return {p.iso_code[:2]}
    found: set[str] = {OWN_CODE[p.iso_code]} if p.iso_code in OWN_CODE else set()
    for block in blocks.get(place, []):
        for up in block.located_in:
            found |= _country_of(up, places, blocks, seen)
    return found


def _names(actor_blocks: list[s.Facts]) -> dict[str, str]:
    names: dict[str, str] = {}
    for block in actor_blocks:
        label = getattr(block, "label", None)
        if label:
            names.setdefault(label, "label")
        if block.label_zh:
            names.setdefault(block.label_zh, "Chinese label")
        for alias in block.aliases:
            names.setdefault(alias, "alias")
        for former in block.formerly:
            names.setdefault(former, "former name")
    return names


def curated_actors(kg: KG) -> list[CuratedActor]:
    """The actors of the loaded KG with their names, countries, parents and kinds, sorted by id."""
    blocks = _blocks(kg)
    places = {r.model.id: r.model for r in kg.of_kind("places")}  # type: ignore[attr-defined]
    actors: list[CuratedActor] = []
    for rec in kg.of_kind("actors"):
        m: s.Actor = rec.model  # type: ignore[assignment]
        own = blocks.get(m.id, [])
        actor = CuratedActor(m.id, m.label, _names(own))
        for block in own:
            for place in block.located_in:
                actor.countries |= _country_of(place, places, blocks)
            actor.parents.update(block.parent)
            actor.kinds.update(block.kinds)
        actors.append(actor)
    return sorted(actors, key=lambda a: a.id)


def curated_countries(kg: KG) -> list[CuratedCountry]:
    """The countries of the loaded KG (places with place_kind country and an ISO code)."""
    blocks = _blocks(kg)
    out = []
    for rec in kg.of_kind("places"):
        m: s.Place = rec.model  # type: ignore[assignment]
        if m.place_kind == "country" and m.iso_code:
            out.append(CuratedCountry(m.id, m.label, m.iso_code, _names(blocks.get(m.id, []))))
    return sorted(out, key=lambda c: c.id)
