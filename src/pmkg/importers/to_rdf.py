"""Papers -> quads in the import's named graph (vocabulary: ontology/pmkg.ttl, paper-level data).

Each import is a ``pm:SourceDocument`` whose IRI names its graph
(``…/id/document/import-<source-id>``); each record a ``pm:Publication`` whose
IRI hashes its stable key (DOI, else UT, else PMID, else OpenAlex id), so the
same paper is the same IRI across formats and files.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyoxigraph as ox

from pmkg.importers.model import Affiliation, Paper
from pmkg.importers.resolve import Resolver
from pmkg.importers.summary import SUB_ORGANISATION_OF, PaperFacts, Summary
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


def _escape_table() -> dict[int, str]:
    """Oxigraph's N-Quads string escapes (oxrdf ``print_quoted_str``): the output is byte-identical."""
    table = {c: f"\\u{c:04X}" for c in [*range(0x20), 0x7F, 0xFFFE, 0xFFFF]}  # and the two noncharacters
    table.update({0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r", 0x22: '\\"',
                  0x5C: "\\\\"})
    return table


ESCAPES = _escape_table()
NEEDS_CHECK = re.compile("[\ud800-\udfff]")  # a lone surrogate: no RDF string; ox.Literal refuses it


def nq_literal(value: str, datatype: str | None = None) -> str:
    """A literal in N-Quads syntax, as ``str(ox.Literal(value, datatype=…))`` writes it."""
    if NEEDS_CHECK.search(value):  # the same error as before (ox.Literal raises)
        return str(ox.Literal(value, datatype=ox.NamedNode(datatype)) if datatype else ox.Literal(value))
    text = '"' + value.translate(ESCAPES) + '"'
    return f"{text}^^<{datatype}>" if datatype else text


class IriCheck:
    """IRIs checked once by ``ox.NamedNode`` (they come from the store or a registry), then written as text."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def __call__(self, iri: str) -> str:
        term = self._seen.get(iri)
        if term is None:
            term = self._seen[iri] = str(ox.NamedNode(iri))
        return term


T_TYPE, T_PUBLICATION = f"<{RDF_TYPE.value}>", f"<{PM}Publication>"
T_TITLE, T_ISSUED = f"<{DCT}title>", f"<{DCT}issued>"
T = {local: f"<{PM}{local}>" for local in (
    "doi", "wosId", "pmid", "openAlexId", "journal", "grantNumber", "funderStringCount", "affiliationStringCount",
    "funds", "affiliatedActor", "unresolvedFunder", "unresolvedAffiliation", "affiliationCountry")}


@dataclass
class AffiliationOutcome:
    hits: tuple[str, ...]
    registry: bool
    country: str | None


class PaperWriter:
    """Papers -> N-Quads lines, written as text: building ``ox.Quad`` objects cost most of an import.

    Each distinct affiliation and funder string is resolved once (the same strings recur across
    records); the resolvers' answers are the same as calling them per occurrence.
    """

    def __init__(self, resolver: Resolver, g: ox.NamedNode, tally: Tally,
                 registry: tuple[FullResolver, Minter] | None = None,
                 also_in: Callable[[str], set[str]] | None = None,
                 parents: dict[str, set[str]] | None = None) -> None:
        self.resolver = resolver
        # the organisation hierarchy the summary's roll-ups follow: the store's, and what this import mints
        self.parents: dict[str, set[str]] = defaultdict(set, parents or {})
        self.g = f"<{g.value}>"
        self.tally = tally
        self.summary = Summary()
        self.also_in = also_in  # paper IRI -> the other import graphs that hold it
        self.registry = registry
        self.iri = IriCheck()
        self._funders: dict[str, tuple[list[str], bool]] = {}
        self._affiliations: dict[Affiliation, AffiliationOutcome] = {}

    def funder(self, name: str) -> tuple[list[str], bool]:
        """IRIs the funder string resolves to, and whether through a registry."""
        found = self._funders.get(name)
        if found is None:
            hit = self.resolver.funder(name)
            if hit:
                found = ([hit], False)
            elif self.registry and (targets := self.registry[1].funder_targets(self.registry[0].funder(name))):
                found = (list(targets), True)
            else:
                found = ([], False)
            self._funders[name] = found
        return found

    def affiliation(self, aff: Affiliation) -> AffiliationOutcome:
        found = self._affiliations.get(aff)
        if found is None:
            found = self._affiliations[aff] = self._affiliation(aff)
        return found

    def _affiliation(self, aff: Affiliation) -> AffiliationOutcome:
        registry, resolver = self.registry, self.resolver
        hits = resolver.affiliation(aff)
        via_registry = False
        if hits and registry and registry[0].aff is not None and not aff.ror:
            found = registry[0].aff.match(aff.text)
            hits = registry[1].refine(hits, found.ids + found.units)
        if not hits and registry and (hits := tuple(registry[1].affiliation_targets(registry[0].affiliation(aff)))):
            via_registry = True
        country = resolver.country_code(aff.country) if aff.country and len(aff.country) == 2 else None
        if country is None and aff.field in ("C1", "raw"):
            country = resolver.country(aff.text)
        return AffiliationOutcome(hits, via_registry, country)

    def _roll_up(self, affiliations: list[Affiliation],
                 outcomes: list[AffiliationOutcome]) -> tuple[list[tuple[str, ...]], set[int]]:
        """Each affiliation's hits, and which C3 strings gave way to a unit below them.

        WoS C3 rolls C1's units up ("Chinese Academy of Sciences" for "Chinese Acad Sci, Shenzhen Inst
        Adv Technol"): a C3 organisation above a C1 hit of the same paper is that unit's parent, not another
        tie (the string stays resolved; the paper reaches the parent through the unit's pm:subOrganisationOf).
        """
        hits_of = [o.hits for o in outcomes]
        if not self.registry:
            return hits_of, set()
        below = [h for aff, hits in zip(affiliations, hits_of, strict=True) if aff.field != "C3" for h in hits]
        rolled_up = {n for n, (aff, hits) in enumerate(zip(affiliations, hits_of, strict=True))
                     if aff.field == "C3" and hits}
        minter = self.registry[1]
        hits_of = [minter.not_above(hits, below) if aff.field == "C3" else hits
                   for aff, hits in zip(affiliations, hits_of, strict=True)]
        return hits_of, rolled_up

    def lines(self, paper: Paper) -> list[str]:
        """The paper's N-Quads lines (no duplicates), then any registry organisations minted for it."""
        s, g, tally = f"<{publication_iri(paper).value}>", self.g, self.tally
        out = [f"{s} {T_TYPE} {T_PUBLICATION} {g} .\n"]

        def lit(prop: str, value: str | None, datatype: str | None = None) -> None:
            if value:
                out.append(f"{s} {prop} {nq_literal(value, datatype)} {g} .\n")

        lit(T_TITLE, paper.title)
        lit(T_ISSUED, paper.year, G_YEAR.value)
        lit(T["doi"], paper.doi)
        lit(T["wosId"], paper.wos_id)
        lit(T["pmid"], paper.pmid)
        lit(T["openAlexId"], paper.openalex_id)
        lit(T["journal"], paper.journal)
        for grant in dict.fromkeys(paper.grants):
            lit(T["grantNumber"], grant)
        funders = list(dict.fromkeys(paper.funders))
        affiliations = list(dict.fromkeys(paper.affiliations))
        if funders:
            lit(T["funderStringCount"], str(len(funders)), INTEGER.value)
        if affiliations:
            lit(T["affiliationStringCount"], str(len(affiliations)), INTEGER.value)
        funded_by: set[str] = set()
        unresolved_funders: set[str] = set()
        for name in funders:
            tally.funders += 1
            targets, via_registry = self.funder(name)
            if targets:
                tally.funders_resolved += 1
                tally.funders_registry += via_registry
                out += [f"{self.iri(t)} {T['funds']} {s} {g} .\n" for t in targets]
                funded_by.update(targets)
            else:
                tally.unresolved["funder", name] += 1
                lit(T["unresolvedFunder"], name)
                if name:
                    unresolved_funders.add(name)
        countries: set[str] = set()
        outcomes = [self.affiliation(aff) for aff in affiliations]
        hits_of, rolled_up = self._roll_up(affiliations, outcomes)
        actors: set[str] = set()
        unresolved_affiliations: set[str] = set()
        for n, (aff, outcome) in enumerate(zip(affiliations, outcomes, strict=True)):
            tally.affiliations += 1
            tally.affiliations_registry += outcome.registry
            if hits_of[n] or n in rolled_up:
                tally.affiliations_resolved += 1
                out += [f"{s} {T['affiliatedActor']} {self.iri(h)} {g} .\n" for h in hits_of[n]]
                actors.update(hits_of[n])
            else:
                text = unresolved_text(aff)
                tally.unresolved["affiliation", text] += 1
                lit(T["unresolvedAffiliation"], text)
                if text:
                    unresolved_affiliations.add(text)
            if outcome.country:
                countries.add(outcome.country)
        out += [f"{s} {T['affiliationCountry']} {self.iri(c)} {g} .\n" for c in sorted(countries)]
        out = list(dict.fromkeys(out))
        self.summary.add(PaperFacts(frozenset(actors), frozenset(funded_by), frozenset(unresolved_funders),
                                    frozenset(countries), len(funders), len(affiliations),
                                    len(unresolved_affiliations)))
        if self.also_in is not None:
            self.summary.shares_with.update(self.also_in(s[1:-1]))
        if self.registry and (minted := self.registry[1].take()):
            for quad in minted:
                if quad.predicate == SUB_ORGANISATION_OF:
                    self.parents[quad.subject.value].add(quad.object.value)
            out.append(ox.serialize(minted, format=ox.RdfFormat.N_QUADS).decode("utf-8"))
        return out


def paper_quads(paper: Paper, resolver: Resolver, g: ox.NamedNode, tally: Tally,
                registry: tuple[FullResolver, Minter] | None = None) -> list[ox.Quad]:
    """The paper's quads as ``ox.Quad`` objects (for callers that want terms; imports write text)."""
    text = "".join(PaperWriter(resolver, g, tally, registry).lines(paper))
    return list(ox.parse(text.encode("utf-8"), format=ox.RdfFormat.N_QUADS))
