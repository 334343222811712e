"""Imported publications (``pmkg import``) on the site: their own pages, their list, and the
publications section of the organisations and places they are tied to.

A publication's facts sit in its import's named graph (``…/id/document/import-<id>``), which
is also a page: the import the record comes from.  Funders point at the publication
(``?funder pm:funds ?paper``), affiliations and countries from it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from pmkg.namespaces import ID
from pmkg.site.graph import PM, TITLE, Entity, SiteGraph

SEGMENT = "publication"
ISSUED = "http://purl.org/dc/terms/issued"
FUNDS = PM + "funds"
AFFILIATED = PM + "affiliatedActor"
COUNTRY = PM + "affiliationCountry"
# How a publication is tied to the entity whose page lists it (predicate, direction) -> the section's words.
ROLES = {(AFFILIATED, "in"): "affiliated with it", (COUNTRY, "in"): "with an affiliation in it",
         (FUNDS, "out"): "funded by it"}
PUBLICATIONS_SHOWN = 100  # per role on an organisation's page; the count says how many there are
IDENTIFIERS = {  # predicate -> (label, URL template or None)
    PM + "doi": ("DOI", "https://doi.org/{}"), PM + "pmid": ("PubMed", "https://pubmed.ncbi.nlm.nih.gov/{}/"),
    PM + "wosId": ("Web of Science", None), PM + "openAlexId": ("OpenAlex", "https://openalex.org/{}"),
}


def is_publication(iri: str) -> bool:
    return iri.startswith(f"{ID}{SEGMENT}/")


def year_of(e: Entity) -> str:
    return e.first(ISSUED) or ""


@dataclass
class PublicationGroup:
    """The publications tied to one entity in one way: how many, and the most recent ones."""

    role: str
    total: int
    shown: list[tuple[str, str]] = field(default_factory=list)  # (publication IRI, year)


def groups_for(e: Entity, graph: SiteGraph) -> list[PublicationGroup]:
    """The publications of ``e`` by role (affiliated, in a country, funded), newest first, capped."""
    found: dict[str, set[str]] = defaultdict(set)
    for subject, predicate in e.incoming:
        if is_publication(subject) and (predicate, "in") in ROLES:
            found[ROLES[predicate, "in"]].add(subject)
    for fact in e.facts:
        if fact.is_iri and is_publication(fact.text) and (fact.predicate, "out") in ROLES:
            found[ROLES[fact.predicate, "out"]].add(fact.text)
    out = []
    for role in ROLES.values():
        iris = [i for i in found.get(role, ()) if i in graph.entities]
        if not iris:
            continue
        ordered = sorted(iris, key=lambda i: (-int(year_of(graph.entities[i]) or 0),
                                              graph.entities[i].label.lower(), i))
        out.append(PublicationGroup(role, len(iris),
                                    [(i, year_of(graph.entities[i])) for i in ordered[:PUBLICATIONS_SHOWN]]))
    return out


def funders_of(e: Entity) -> list[str]:
    return sorted(s for s, p in e.incoming if p == FUNDS)


def imports_of(e: Entity) -> list[str]:
    """The imports (document IRIs) whose graphs hold the publication's title, else any of its facts."""
    titled = {g for f in e.facts if f.predicate == TITLE for g in f.graphs}
    graphs = titled or {g for f in e.facts for g in f.graphs}
    return sorted(g for g in graphs if g.startswith(f"{ID}document/"))


def identifiers(e: Entity) -> list[tuple[str, str, str | None]]:
    """(registry, identifier, URL or None) for the publication's DOI, PMID, WoS UT, OpenAlex id."""
    out = []
    for predicate, (label, template) in IDENTIFIERS.items():
        for value in e.values(predicate):
            out.append((label, value, template.format(value) if template else None))
    return out
