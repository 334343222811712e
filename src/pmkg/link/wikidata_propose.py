"""Wikidata proposals for actors and countries.

Sources of a candidate QID, strongest first (method names in brackets):

- the QID carried by the ROR record of the actor's accepted ROR link (``ror-record``), or of a merely
  proposed one (``ror-record-proposed``) — available offline, from the ROR dump;
- the Wikidata item whose ROR id (P6782) is the actor's accepted ROR id (``ror-id-on-item``) or
  proposed one (``ror-id-on-proposed``);
- the item whose Crossref funder id (P3153) is the actor's accepted funder DOI (``funder-id-on-item``)
  or proposed one (``funder-id-on-proposed``);
- an item whose English label or alias equals a curated name (``exact-name`` / ``exact-alias``), its
  country (P17/P297) checked against the curated one;
- for countries, the item with the country's ISO 3166-1 alpha-2 code (``iso-code``).

Checks: a QID carried by several ROR records is a registry defect (flag ``registry-defect``); an item
found through the ROR id that differs from the QID the ROR record carries is flagged
``registry-disagrees``; a country mismatch is flagged ``country-disagrees``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pmkg.link.curated import CuratedActor, CuratedCountry
from pmkg.link.match import RegistryRecord
from pmkg.link.wikidata import ENTITY, WikidataClient
from pmkg.schema import Link

SCORES = {"ror-record": 1.0, "ror-id-on-item": 1.0, "iso-code": 1.0, "funder-id-on-item": 0.95,
          "exact-name": 1.0, "exact-alias": 0.95, "ror-record-proposed": 0.8, "ror-id-on-proposed": 0.8,
          "funder-id-on-proposed": 0.75}
LIMIT = 3


@dataclass
class WdCandidate:
    about: str
    qid: str
    label: str = ""
    scores: dict[str, float] = field(default_factory=dict)  # method -> score
    evidence: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)

    def add(self, method: str, score: float, evidence: str, label: str = "") -> None:
        self.scores[method] = max(score, self.scores.get(method, 0.0))
        if evidence not in self.evidence:
            self.evidence.append(evidence)
        self.label = self.label or label

    def flag(self, text: str) -> None:
        if text not in self.flags:
            self.flags.append(text)

    def to_link(self) -> Link:
        method = max(self.scores, key=lambda m: (self.scores[m], m))
        return Link(about=self.about, registry="wikidata", registry_doc="wikidata", identifier=self.qid,
                    iri=ENTITY + self.qid, label=self.label or None, score=round(self.scores[method], 3),
                    method=method, evidence=self.evidence, flags=self.flags, status="proposed")


@dataclass
class RegistryLinks:
    """An actor's links in another registry (accepted ones first), for cross-references."""

    ror: dict[str, list[Link]] = field(default_factory=dict)
    funders: dict[str, list[Link]] = field(default_factory=dict)

    @staticmethod
    def usable(links: list[Link]) -> dict[str, list[Link]]:
        out: dict[str, list[Link]] = {}
        for link in links:
            if link.status != "rejected":
                out.setdefault(link.about, []).append(link)
        for about in out:
            out[about].sort(key=lambda x: x.status != "accepted")
        return out


def _country_note(link: Link) -> str | None:
    agree = next((e for e in link.evidence if e.startswith("country agrees")), None)
    return f"{agree} (through the {link.registry} link)" if agree else None


class WikidataProposer:
    def __init__(self, ror_records: dict[str, RegistryRecord], qid_owners: dict[str, set[str]],
                 links: RegistryLinks, client: WikidataClient | None) -> None:
        self.ror_records, self.qid_owners, self.links, self.client = ror_records, qid_owners, links, client
        self.cands: dict[tuple[str, str], WdCandidate] = {}
        self.defects: dict[str, set[str]] = {}

    def cand(self, about: str, qid: str) -> WdCandidate:
        return self.cands.setdefault((about, qid), WdCandidate(about, qid))

    def from_ror_records(self, actor: CuratedActor) -> None:
        for link in self.links.ror.get(actor.id, []):
            rec = self.ror_records.get(link.identifier)
            if rec is None:
                continue
            method = "ror-record" if link.status == "accepted" else "ror-record-proposed"
            for qid in rec.wikidata:
                c = self.cand(actor.id, qid)
                c.add(method, SCORES[method], f"carried by ROR record {rec.identifier} ({rec.name}), "
                                              f"whose link is {link.status}")
                note = _country_note(link)
                if note:
                    c.add(method, SCORES[method], note)
                owners = self.qid_owners.get(qid, set())
                if len(owners) > 1:
                    self.defects[qid] = owners
                    c.flag(f"registry-defect: {qid} is carried by ROR records {', '.join(sorted(owners))}")

    def from_endpoint(self, actors: list[CuratedActor]) -> None:
        assert self.client is not None
        by_ror = self.client.items_by_property("P6782", [x.identifier for ls in self.links.ror.values() for x in ls])
        fund_ids = [x.identifier.split("/", 1)[-1] for ls in self.links.funders.values() for x in ls]
        by_fund = self.client.items_by_property("P3153", fund_ids)
        by_name = self.client.items_by_name([n for a in actors for n, k in a.names.items() if k != "Chinese label"])
        for actor in actors:
            for link in self.links.ror.get(actor.id, []):
                method = "ror-id-on-item" if link.status == "accepted" else "ror-id-on-proposed"
                carried = set(self.ror_records[link.identifier].wikidata) if link.identifier in self.ror_records \
                    else set()
                for qid, label in by_ror.get(link.identifier, []):
                    c = self.cand(actor.id, qid)
                    c.add(method, SCORES[method], f"Wikidata item states ROR id {link.identifier} (P6782), "
                                                  f"whose link is {link.status}", label)
                    note = _country_note(link)
                    if note:
                        c.add(method, SCORES[method], note)
                    if carried and qid not in carried:
                        c.flag(f"registry-disagrees: ROR record {link.identifier} carries {', '.join(sorted(carried))}"
                               f", the item stating that ROR id is {qid}")
            for link in self.links.funders.get(actor.id, []):
                method = "funder-id-on-item" if link.status == "accepted" else "funder-id-on-proposed"
                for qid, label in by_fund.get(link.identifier.split("/", 1)[-1], []):
                    c = self.cand(actor.id, qid)
                    c.add(method, SCORES[method], f"Wikidata item states Crossref funder id {link.identifier} "
                                                  f"(P3153), whose link is {link.status}", label)
                    note = _country_note(link)
                    if note:
                        c.add(method, SCORES[method], note)
            for name, kind in actor.names.items():
                for qid, label, iso, how in by_name.get(name, []):
                    method = "exact-name" if how == "label" else "exact-alias"
                    c = self.cand(actor.id, qid)
                    score = SCORES[method]
                    c.add(method, 0.0, f"{kind} '{name}' = Wikidata {how} '{name}'", label)
                    if iso and actor.countries:
                        if iso in actor.countries:
                            c.add(method, score, f"country agrees: {iso}")
                        else:
                            c.add(method, score * 0.4, f"country of the item: {iso}")
                            c.flag(f"country-disagrees: curated {', '.join(sorted(actor.countries))}, registry {iso}")
                    else:
                        c.add(method, score * 0.85, "country unchecked: "
                              + ("item has no country (P17/P297)" if actor.countries else "curated graph states none"))

    def countries(self, countries: list[CuratedCountry]) -> None:
        assert self.client is not None
        by_iso = self.client.items_by_property("P297", [c.iso for c in countries])
        for country in countries:
            hits = by_iso.get(country.iso, [])
            for qid, label in hits:
                c = self.cand(country.id, qid)
                c.add("iso-code", 1.0, f"Wikidata item has ISO 3166-1 alpha-2 code {country.iso} (P297)", label)
                c.add("iso-code", 1.0, f"country agrees: {country.iso}")
                if len(hits) > 1:
                    c.flag(f"ambiguous: {len(hits)} Wikidata items have ISO code {country.iso}")

    def links_out(self) -> list[Link]:
        out: list[Link] = []
        by_about: dict[str, list[WdCandidate]] = {}
        for c in self.cands.values():
            if c.scores and max(c.scores.values()) > 0:
                by_about.setdefault(c.about, []).append(c)
        for about in sorted(by_about):
            ranked = sorted(by_about[about], key=lambda c: (-max(c.scores.values()), c.qid))[:LIMIT]
            out += [c.to_link() for c in ranked]
        return out


def propose_wikidata(actors: list[CuratedActor], countries: list[CuratedCountry], proposer: WikidataProposer,
                     *, use_endpoint: bool) -> list[Link]:
    """Candidates from the ROR records (always) and from the endpoint (when ``use_endpoint``)."""
    for actor in actors:
        proposer.from_ror_records(actor)
    if use_endpoint:
        proposer.from_endpoint(actors)
        proposer.countries(countries)
    return proposer.links_out()
