"""Registry organisations in the graph: minted once per import from the ROR / Funder Registry index.

An affiliation or funder string that no curated actor matches points at a registry organisation:
``…/id/organisation/ror-<id>`` (a ROR record) or ``…/id/organisation/funder-<id>`` (a Funder Registry
record the crosswalk does not tie to a ROR record in the dump), typed ``pm:RegistryOrganisation`` and
``org:Organization``, with its names, ROR id / funder DOI, country (``pm:locatedIn`` the curated
country), ROR types (``pm:registryType``) and ``pm:subOrganisationOf`` its ROR parents -- minted up the
hierarchy, so a CAS institute's papers count for CAS with sub-organisations.  A parent linked to a
curated actor is that actor.

Its ROR children are minted too, minimally (name, ROR id, country, types and ``pm:subOrganisationOf``
it), so the hierarchy reaches one level down -- for an organisation with at most ``MAX_CHILDREN`` of them
(CNRS's 1,034 would outweigh a whole import).  A child linked to a curated actor is left alone: the link
would put that actor's papers and people under the registry organisation.

All of it sits in the registry's named graph (``…/document/ror-v2-9``,
``…/document/crossref-funder-registry-2018-07-09``).
"""

from __future__ import annotations

import pyoxigraph as ox

from pmkg.namespaces import ID
from pmkg.registry.index import FunderIndex, Org, RorIndex
from pmkg.registry.resolver import Resolved

PM = "https://w3id.org/pmkg/ontology#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
ALT = ox.NamedNode("http://www.w3.org/2004/02/skos/core#altLabel")
EXACT = ox.NamedNode("http://www.w3.org/2004/02/skos/core#exactMatch")
ORG = ox.NamedNode("http://www.w3.org/ns/org#Organization")
ROR_GRAPH = ox.NamedNode(f"{ID}document/ror-v2-9")
MAX_CHILDREN = 100  # CNRS has 1,034 ROR children, Inserm 337: listing them would outweigh a paper file's own quads
FUNDER_GRAPH = ox.NamedNode(f"{ID}document/crossref-funder-registry-2018-07-09")


def pm(local: str) -> ox.NamedNode:
    return ox.NamedNode(PM + local)


def ror_iri(ror_id: str) -> str:
    return f"{ID}organisation/ror-{ror_id}"


def funder_iri(funder_id: str) -> str:
    return f"{ID}organisation/funder-{funder_id}"


class Minter:
    """IRIs for resolved strings, and the quads of every registry organisation they need (once each)."""

    def __init__(self, ror: RorIndex | None, funders: FunderIndex | None, curated_by_ror: dict[str, str],
                 curated_by_doi: dict[str, str], country_by_iso: dict[str, str]) -> None:
        self.ror = ror
        self.funders = funders
        self.by_ror = curated_by_ror
        self.by_doi = curated_by_doi
        self.iso = country_by_iso
        self.minted: set[str] = set()
        self.stubs: dict[str, set[ox.Quad]] = {}  # children minted minimally, by IRI: their quads so far
        self._by_iri: dict[str, set[str]] | None = None
        self.quads: list[ox.Quad] = []

    def affiliation_targets(self, r: Resolved) -> list[str]:
        if r.entities:
            return r.entities
        return [self.org(i) for i in r.ror_ids if self.ror and i in self.ror.orgs]

    def funder_targets(self, r: Resolved) -> list[str]:
        if r.entities:
            return r.entities
        out = [self.org(i) for i in r.ror_ids if self.ror and i in self.ror.orgs]
        if not out:
            out = [self.funder(f) for f in r.funder_ids if self.funders and f in self.funders.funders]
        return out

    def refine(self, hits: tuple[str, ...], ror_ids: list[str]) -> tuple[str, ...]:
        """Curated hits, each replaced by a more specific registry unit found in the same string whose
        ROR ancestors reach it ("Chinese Acad Sci, Inst Automat": the curated CAS -> ROR's Institute of
        Automation, itself pm:subOrganisationOf CAS), so sub-organisations keep their depth."""
        if self.ror is None:
            return hits
        out = list(hits)
        for rid in ror_ids:
            if rid not in self.ror.orgs or self.by_ror.get(rid) in out:
                continue
            above = {self.by_ror[a] for a in self._ancestors(rid) if a in self.by_ror}
            for i, h in enumerate(out):
                if h in above:
                    out[i] = self.org(rid)  # a curated actor when one is linked to the unit
        return self._deepest(tuple(dict.fromkeys(out)))

    def not_above(self, hits: tuple[str, ...], below: list[str]) -> tuple[str, ...]:
        """``hits`` without those that are ROR ancestors of a hit in ``below``."""
        if self.ror is None or not below:
            return hits
        above = set().union(*(self._ancestors(r) for b in set(below) for r in self._rors_of(b) if r in self.ror.orgs))
        return tuple(h for h in hits if not self._rors_of(h) & above)

    def _rors_of(self, iri: str) -> set[str]:
        if iri.startswith(ror_iri("")):
            return {iri.removeprefix(ror_iri(""))}
        if self._by_iri is None:
            self._by_iri = {}
            for r, i in self.by_ror.items():
                self._by_iri.setdefault(i, set()).add(r)
        return self._by_iri.get(iri, set())

    def _deepest(self, hits: tuple[str, ...]) -> tuple[str, ...]:
        """Hits without those that are ROR ancestors of another hit of the same string: "Chinese Acad Sci,
        Shenzhen Inst Adv Technol" names the curated SIAT and the curated CAS, and SIAT rolls up to CAS."""
        if self.ror is None or len(hits) < 2:
            return hits
        rors = {h: self._rors_of(h) for h in hits}
        above = {h: set().union(*(self._ancestors(r) for r in rors[h] if r in self.ror.orgs)) for h in hits}
        return tuple(h for h in hits if not any(rors[h] & above[u] for u in hits if u != h))

    def _ancestors(self, ror_id: str) -> set[str]:
        seen: set[str] = set()
        todo = list(self.ror.orgs[ror_id].parents) if self.ror else []
        while todo:
            p = todo.pop()
            if p not in seen and self.ror and p in self.ror.orgs:
                seen.add(p)
                todo += self.ror.orgs[p].parents
        return seen

    def org(self, ror_id: str) -> str:
        """The IRI of a ROR organisation (a curated actor when one is linked to it), minted with its ancestors."""
        if ror_id in self.by_ror:
            return self.by_ror[ror_id]
        iri = ror_iri(ror_id)
        if iri in self.minted or self.ror is None:
            return iri
        self.minted.add(iri)
        o = self.ror.orgs[ror_id]
        s, g = ox.NamedNode(iri), ROR_GRAPH
        q = self._core(o, s)
        q += [ox.Quad(s, ALT, ox.Literal(n), g) for n in dict.fromkeys([*o.names, *o.acronyms])]
        q += [ox.Quad(s, pm("funderDoi"), ox.Literal(f"10.13039/{f}"), g) for f in o.fundref]
        for parent in o.parents:
            if parent in self.ror.orgs:
                q.append(ox.Quad(s, pm("subOrganisationOf"), ox.NamedNode(self.org(parent)), g))
        stub = self.stubs.pop(iri, set())
        self.quads += [x for x in q if x not in stub]
        if len(o.children) <= MAX_CHILDREN:
            for child in o.children:
                self._stub(child, s)
        return iri

    def _core(self, o: Org, s: ox.NamedNode) -> list[ox.Quad]:
        """What every minted ROR organisation has: types, name, ROR id, country and ROR types."""
        g = ROR_GRAPH
        q = [ox.Quad(s, RDF_TYPE, pm("RegistryOrganisation"), g), ox.Quad(s, RDF_TYPE, ORG, g),
             ox.Quad(s, RDFS_LABEL, ox.Literal(o.name, language="en"), g),
             ox.Quad(s, pm("rorId"), ox.Literal(o.id), g), ox.Quad(s, EXACT, ox.NamedNode(o.url), g)]
        q += [ox.Quad(s, pm("registryType"), ox.Literal(t), g) for t in o.types]
        if o.country and o.country in self.iso:
            q.append(ox.Quad(s, pm("locatedIn"), ox.NamedNode(self.iso[o.country]), g))
        return q

    def _stub(self, ror_id: str, parent: ox.NamedNode) -> None:
        """A child of a minted organisation, minted minimally (:meth:`_core` and ``pm:subOrganisationOf`` the
        parent) unless it is minted in full already; a child linked to a curated actor is left alone (the
        link would put that actor's papers and people under the registry organisation)."""
        if self.ror is None or ror_id not in self.ror.orgs or ror_id in self.by_ror:
            return
        iri = ror_iri(ror_id)
        if iri in self.minted:
            return  # minted in full, and its pm:subOrganisationOf already names this parent
        s = ox.NamedNode(iri)
        done = self.stubs.setdefault(iri, set())
        new = [] if done else self._core(self.ror.orgs[ror_id], s)
        new.append(ox.Quad(s, pm("subOrganisationOf"), parent, ROR_GRAPH))
        new = [x for x in new if x not in done]
        done.update(new)
        self.quads += new

    def funder(self, funder_id: str) -> str:
        doi = f"10.13039/{funder_id}"
        if funder_id in self.by_doi:
            return self.by_doi[funder_id]
        iri = funder_iri(funder_id)
        if iri in self.minted or self.funders is None:
            return iri
        self.minted.add(iri)
        f = self.funders.funders[funder_id]
        s, g = ox.NamedNode(iri), FUNDER_GRAPH
        q = [ox.Quad(s, RDF_TYPE, pm("RegistryOrganisation"), g), ox.Quad(s, RDF_TYPE, ORG, g),
             ox.Quad(s, RDFS_LABEL, ox.Literal(f.name, language="en"), g),
             ox.Quad(s, pm("funderDoi"), ox.Literal(doi), g),
             ox.Quad(s, EXACT, ox.NamedNode(f"http://dx.doi.org/{doi}"), g)]
        q += [ox.Quad(s, ALT, ox.Literal(n), g) for n in dict.fromkeys([*f.names, *f.acronyms])]
        if f.country and f.country in self.iso:
            q.append(ox.Quad(s, pm("locatedIn"), ox.NamedNode(self.iso[f.country]), g))
        for parent in f.parents:
            if parent in self.funders.funders:
                q.append(ox.Quad(s, pm("subOrganisationOf"), ox.NamedNode(self.funder(parent)), g))
        self.quads += q
        return iri

    def take(self) -> list[ox.Quad]:
        out, self.quads = self.quads, []
        return out
