"""Papers -> quads in the import's named graph (vocabulary: ontology/pmkg.ttl, paper-level data).

Each import is a ``pm:SourceDocument`` whose IRI names its graph
(``…/id/document/import-<source-id>``); each record a ``pm:Publication`` whose
IRI hashes its stable key (DOI, else UT, else PMID, else OpenAlex id), so the
same paper is the same IRI across formats and files.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyoxigraph as ox

from pmkg.importers.model import Affiliation, Paper
from pmkg.importers.resolve import Resolver
from pmkg.namespaces import ID

if TYPE_CHECKING:
    from pmkg.registry.mint import Minter
    from pmkg.registry.resolver import FullResolver

PM = "https://w3id.org/pmkg/ontology#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
DCT = "http://purl.org/dc/terms/"
G_YEAR = ox.NamedNode("http://www.w3.org/2001/XMLSchema#gYear")
INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")


def pm(local: str) -> ox.NamedNode:
    return ox.NamedNode(PM + local)


def graph_iri(source_id: str) -> ox.NamedNode:
    return ox.NamedNode(f"{ID}document/import-{source_id}")


def publication_iri(paper: Paper) -> ox.NamedNode:
    return ox.NamedNode(f"{ID}publication/{paper.slug()}")


@dataclass
class Tally:
    """Resolution counts over distinct strings per paper, and unresolved strings with frequencies."""

    funders: int = 0
    funders_resolved: int = 0
    affiliations: int = 0
    affiliations_resolved: int = 0
    funders_registry: int = 0        # of the resolved: through a registry (no curated actor matched)
    affiliations_registry: int = 0
    unresolved: Counter[tuple[str, str]] = field(default_factory=Counter)

    def share(self, kind: str) -> float | None:
        total = self.funders if kind == "funder" else self.affiliations
        done = self.funders_resolved if kind == "funder" else self.affiliations_resolved
        return done / total if total else None


def unresolved_text(aff: Affiliation) -> str:
    """What to keep of an unresolved affiliation: a WoS address's organisation slot, else the string."""
    if aff.field == "C1":
        return aff.text.split(",", 1)[0].strip()
    return aff.text


def document_quads(source_id: str, files: list[str], fmt: str) -> list[ox.Quad]:
    g = graph_iri(source_id)
    quads = [ox.Quad(g, RDF_TYPE, pm("SourceDocument"), g),
             ox.Quad(g, RDFS_LABEL, ox.Literal(f"Imported {fmt} records: {source_id}", language="en"), g),
             ox.Quad(g, pm("documentKind"), ox.Literal("import"), g)]
    quads += [ox.Quad(g, pm("sourceFile"), ox.Literal(name), g) for name in files]
    return quads


def _affiliation_hits(aff: Affiliation, resolver: Resolver,
                      registry: tuple[FullResolver, Minter] | None) -> tuple[tuple[str, ...], bool]:
    """The IRIs an affiliation string points at (curated first, made more specific by a registry unit), and
    whether they came from a registry."""
    hits = resolver.affiliation(aff)
    if hits and registry and registry[0].aff is not None and not aff.ror:
        found = registry[0].aff.match(aff.text)
        hits = registry[1].refine(hits, found.ids + found.units)
    if not hits and registry and (hits := tuple(registry[1].affiliation_targets(registry[0].affiliation(aff)))):
        return hits, True
    return hits, False


def paper_quads(paper: Paper, resolver: Resolver, g: ox.NamedNode, tally: Tally,
                registry: tuple[FullResolver, Minter] | None = None) -> list[ox.Quad]:
    """The paper's quads; with ``registry``, strings no curated actor matches point at registry
    organisations (their quads, minted once, are appended in the registry's graph)."""
    s = publication_iri(paper)
    out = [ox.Quad(s, RDF_TYPE, pm("Publication"), g)]

    def lit(prop: ox.NamedNode, value: str | None, datatype: ox.NamedNode | None = None) -> None:
        if value:
            out.append(ox.Quad(s, prop, ox.Literal(value, datatype=datatype) if datatype else ox.Literal(value), g))

    lit(ox.NamedNode(DCT + "title"), paper.title)
    lit(ox.NamedNode(DCT + "issued"), paper.year, G_YEAR)
    lit(pm("doi"), paper.doi)
    lit(pm("wosId"), paper.wos_id)
    lit(pm("pmid"), paper.pmid)
    lit(pm("openAlexId"), paper.openalex_id)
    lit(pm("journal"), paper.journal)
    for grant in dict.fromkeys(paper.grants):
        lit(pm("grantNumber"), grant)
    funders = list(dict.fromkeys(paper.funders))
    affiliations = list(dict.fromkeys(paper.affiliations))
    if funders:
        out.append(ox.Quad(s, pm("funderStringCount"), ox.Literal(str(len(funders)), datatype=INTEGER), g))
    if affiliations:
        out.append(ox.Quad(s, pm("affiliationStringCount"), ox.Literal(str(len(affiliations)), datatype=INTEGER),
                           g))
    for name in funders:
        tally.funders += 1
        hit = resolver.funder(name)
        if hit:
            tally.funders_resolved += 1
            out.append(ox.Quad(ox.NamedNode(hit), pm("funds"), s, g))
        elif registry and (targets := registry[1].funder_targets(registry[0].funder(name))):
            tally.funders_resolved += 1
            tally.funders_registry += 1
            out += [ox.Quad(ox.NamedNode(t), pm("funds"), s, g) for t in targets]
        else:
            tally.unresolved["funder", name] += 1
            lit(pm("unresolvedFunder"), name)
    countries: set[str] = set()
    resolved = [(aff, *_affiliation_hits(aff, resolver, registry)) for aff in affiliations]
    rolled_up: set[int] = set()
    if registry:  # WoS C3 rolls C1's units up ("Chinese Academy of Sciences" for "Chinese Acad Sci, Shenzhen Inst
        # Adv Technol"): a C3 organisation above a C1 hit of the same paper is that unit's parent, not another tie
        # (the string stays resolved; the paper reaches the parent through the unit's pm:subOrganisationOf)
        below = [h for aff, hits, _ in resolved if aff.field != "C3" for h in hits]
        rolled_up = {n for n, (aff, hits, _) in enumerate(resolved) if aff.field == "C3" and hits}
        resolved = [(aff, registry[1].not_above(hits, below) if aff.field == "C3" else hits, via)
                    for aff, hits, via in resolved]
    for n, (aff, hits, via_registry) in enumerate(resolved):
        tally.affiliations += 1
        if via_registry:
            tally.affiliations_registry += 1
        if hits or n in rolled_up:
            tally.affiliations_resolved += 1
            out += [ox.Quad(s, pm("affiliatedActor"), ox.NamedNode(h), g) for h in hits]
        else:
            text = unresolved_text(aff)
            tally.unresolved["affiliation", text] += 1
            lit(pm("unresolvedAffiliation"), text)
        country = resolver.country_code(aff.country) if aff.country and len(aff.country) == 2 else None
        if country is None and aff.field in ("C1", "raw"):
            country = resolver.country(aff.text)
        if country:
            countries.add(country)
    out += [ox.Quad(s, pm("affiliationCountry"), ox.NamedNode(c), g) for c in sorted(countries)]
    if registry:
        out += registry[1].take()
    return out
