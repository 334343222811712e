"""What each page shows, as plain data for the templates: entity views, list rows, query results."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from pmkg.catalogue import QuerySpec
from pmkg.namespaces import ID
from pmkg.query import Result
from pmkg.site import publications
from pmkg.site.graph import (
    ALT_LABEL,
    DESCRIPTION,
    EXACT_MATCH,
    PM,
    RDF_TYPE,
    RDFS_LABEL,
    Entity,
    Fact,
    SiteGraph,
    curie,
    has_page,
)
from pmkg.site.publications import is_publication

# path segment -> (singular, plural) for headings
KIND_TITLES = {
    "actor": ("Actor", "Actors"), "person": ("Person", "People"), "policy": ("Policy", "Policies"),
    "programme": ("Programme or project", "Programmes and projects"), "event": ("Event", "Events"),
    "collaboration": ("Collaboration", "Collaborations"), "topic": ("Topic", "Topics"),
    "place": ("Place", "Places"), "document": ("Source document", "Source documents"),
    "concept": ("Concept", "Concepts"), "item": ("Agenda item", "Agenda items"),
    "observation": ("Observation", "Observations"), "conflict": ("Conflict", "Conflicts"),
    "figure": ("Figure", "Figures"), "membership": ("Membership", "Memberships"),
    "participation": ("Participation", "Participations"),
    "publication": ("Imported publication", "Imported publications"),
}
MAIN_KINDS = ("actor", "person", "policy", "programme", "event", "collaboration", "topic", "place", "document",
              "publication")
GRAPH_NOTES = {"https://w3id.org/pmkg/graph/inferred": "inferred by the reasoner (HermiT)",
               "https://w3id.org/pmkg/graph/ontology": "the ontology"}
EXTERNAL_IDS = {  # predicate -> (registry, URL template)
    PM + "rorId": ("ROR", "https://ror.org/{}"),
    PM + "funderDoi": ("Open Funder Registry", "https://doi.org/{}"),
    PM + "wikidataId": ("Wikidata", "https://www.wikidata.org/wiki/{}"),
}
WEBSITE = "https://schema.org/url"
XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
PLACE = PM + "locatedIn"
PARTICIPANT = PM + "participant"
HEADER_PREDICATES = {RDFS_LABEL, ALT_LABEL, DESCRIPTION}


def kind_title(segment: str, plural: bool = False) -> str:
    singular, many = KIND_TITLES.get(segment, (segment.capitalize(), segment.capitalize() + "s"))
    return many if plural else singular


def page_path(iri: str) -> str | None:
    """The site-relative path of a resource's page, or None if it has none."""
    if not has_page(iri):
        return None
    return "id/" + iri[len(ID):] + ".html"


@dataclass
class Link:
    text: str
    href: str | None = None  # site-relative page path, or an absolute outbound URL
    external: bool = False
    lang: str | None = None


@dataclass
class FactRow:
    predicate: str
    predicate_iri: str
    predicate_link: Link
    value: Link
    datatype: str | None
    sources: list = field(default_factory=list)
    derived: list[Link] = field(default_factory=list)
    conflict: bool = False


@dataclass
class EntityView:
    entity: Entity
    kind: str
    label: str
    label_zh: str | None
    aliases: list[str]
    description: str | None
    types: list[Link]
    places: list[Link]
    external: list[tuple[str, Link]]
    facts: list[FactRow]
    incoming: list[tuple[str, list[Link]]]
    neighbours: list[tuple[Link, list[Link]]]
    conflicts: list[dict[str, str | None]]
    publications: list[tuple[str, int, list[tuple[Link, str]]]] = field(default_factory=list)
    publication: dict[str, object] | None = None


class Views:
    """Turns the site graph into views; links only to pages that exist."""

    def __init__(self, graph: SiteGraph, conflicts: Result | None, ontology_ids: set[str] | None = None) -> None:
        self.graph = graph
        self.ontology_ids = ontology_ids or set()
        self.conflicts: dict[str, list[dict[str, str | None]]] = defaultdict(list)
        for rec in conflicts.records() if conflicts else []:
            self.conflicts[rec.get("entity") or ""].append(rec)

    def term(self, iri: str, text: str | None = None) -> Link:
        """A vocabulary term: to its entry in the ontology page when it has one, else outbound."""
        local = iri[len(PM):] if iri.startswith(PM) else None
        label = text or self.graph.label_of(iri)
        if local and local in self.ontology_ids:
            return Link(label, f"ontology/index.html#{local}")
        return Link(label, iri, external=True) if iri.startswith(("http://", "https://")) else Link(label)

    def link(self, iri: str) -> Link:
        if iri.startswith(PM):
            return self.term(iri)
        path = page_path(iri)
        if path is not None and iri in self.graph.entities:
            return Link(self.graph.label_of(iri), path)
        if iri.startswith(("http://", "https://")) and not iri.startswith(ID):
            return Link(self.graph.label_of(iri) if iri in self.graph.vocab_labels else iri, iri, external=True)
        return Link(self.graph.label_of(iri))

    def value(self, fact: Fact) -> Link:
        if fact.is_iri:
            return self.link(fact.text)
        if fact.text.startswith(("http://", "https://")) and fact.predicate == WEBSITE:
            return Link(fact.text, fact.text, external=True)
        return Link(fact.text, lang=fact.language)

    def fact_row(self, fact: Fact, conflicted: set[str]) -> FactRow:
        datatype = None
        if not fact.is_iri and getattr(fact.obj, "datatype", None) is not None:
            dt = fact.obj.datatype.value
            if dt not in (XSD_STRING, LANG_STRING):
                datatype = dt.replace(XSD, "xsd:")
        derived = [] if fact.sources else [self.graph_link(g) for g in sorted(fact.graphs)]
        return FactRow(curie(fact.predicate), fact.predicate, self.term(fact.predicate, curie(fact.predicate)),
                       self.value(fact), datatype, fact.sources, derived, fact.text in conflicted)

    def graph_link(self, graph: str) -> Link:
        """Where an uncited fact sits: the reasoner's graph, or a document's graph (linked to its page)."""
        if graph in GRAPH_NOTES:
            return Link(GRAPH_NOTES[graph])
        if page_path(graph) and graph in self.graph.entities:
            return Link("graph of " + graph.rsplit("/", 1)[-1], page_path(graph))
        return Link(curie(graph))

    def entity(self, e: Entity) -> EntityView:
        conflicts = self.conflicts.get(e.slug, [])
        conflicted = {c["object"] or c["value"] or "" for c in conflicts}
        own = [f for f in e.facts if not (f.is_iri and is_publication(f.text))]  # papers: their own section
        facts = sorted((self.fact_row(f, conflicted) for f in own),
                       key=lambda r: (r.predicate != "rdf:type", r.predicate, r.value.text))
        external = [(EXTERNAL_IDS[f.predicate][0], Link(f.text, EXTERNAL_IDS[f.predicate][1].format(f.text), True))
                    for f in e.facts if f.predicate in EXTERNAL_IDS]
        external += [("website", Link(f.text, f.text, True)) for f in e.facts
                     if f.predicate == WEBSITE and f.text.startswith(("http://", "https://"))]
        external += [("same as", Link(f.text, f.text, True)) for f in e.facts if f.predicate == EXACT_MATCH]
        incoming: dict[str, list[Link]] = defaultdict(list)
        for subject, predicate in e.incoming:
            if not is_publication(subject):
                incoming[curie(predicate)].append(self.link(subject))
        types = [self.term(t, curie(t)) for t in e.types]
        places = [self.link(f.text) for f in e.facts if f.predicate == PLACE and f.is_iri]
        return EntityView(e, e.segment, e.label, e.label_zh, e.aliases, e.description, types, places,
                          sorted(external, key=lambda x: (x[0], x[1].text)), facts,
                          sorted((k, sorted(v, key=lambda lk: lk.text.lower())) for k, v in incoming.items()),
                          self.neighbours(e), conflicts, self.publications(e),
                          self.publication(e) if e.segment == publications.SEGMENT else None)

    def publications(self, e: Entity) -> list[tuple[str, int, list[tuple[Link, str]]]]:
        """The imported publications tied to ``e``, per role, with how many there are."""
        return [(g.role, g.total, [(self.link(i), year) for i, year in g.shown])
                for g in publications.groups_for(e, self.graph)]

    def publication(self, e: Entity) -> dict[str, object]:
        """A publication's summary: year, journal, identifiers, affiliations, funders, its import."""
        def links(predicate: str) -> list[Link]:
            return sorted((self.link(v) for v in e.values(predicate)), key=lambda lk: lk.text.lower())

        return {"year": publications.year_of(e), "journal": e.first(PM + "journal"),
                "ids": [(label, Link(value, url, True) if url else Link(value))
                        for label, value, url in publications.identifiers(e)],
                "affiliations": links(publications.AFFILIATED), "countries": links(publications.COUNTRY),
                "affiliation_strings": sorted(e.values(PM + "unresolvedAffiliation")),
                "funders": sorted((self.link(f) for f in publications.funders_of(e)), key=lambda lk: lk.text.lower()),
                "funder_strings": sorted(e.values(PM + "unresolvedFunder")),
                "grants": sorted(e.values(PM + "grantNumber")),
                "imports": [self.link(g) for g in publications.imports_of(e)]}

    def neighbours(self, e: Entity) -> list[tuple[Link, list[Link]]]:
        """Each collaboration the entity takes part in, with its other participants."""
        out = []
        for subject, predicate in e.incoming:
            tie = self.graph.entities.get(subject)
            if predicate != PARTICIPANT or tie is None:
                continue
            others = [self.link(f.text) for f in tie.facts if f.predicate == PARTICIPANT and f.text != e.iri]
            out.append((self.link(subject), sorted(others, key=lambda lk: lk.text.lower())))
        return sorted(out, key=lambda x: x[0].text.lower())

    def publication_row(self, e: Entity) -> dict[str, object]:
        return {"link": Link(e.label, page_path(e.iri)), "year": publications.year_of(e),
                "journal": e.first(PM + "journal") or "", "imports": [self.link(g) for g in publications.imports_of(e)],
                "affiliations": len(set(e.values(publications.AFFILIATED))),
                "funders": len(publications.funders_of(e))}

    def list_row(self, e: Entity) -> dict[str, object]:
        kinds = sorted({curie(t) for t in e.types if t.startswith(PM)} - {"pm:Actor"})
        places = sorted({self.graph.label_of(f.text) for f in e.facts if f.predicate == PLACE and f.is_iri})
        return {"link": Link(e.label, page_path(e.iri)), "zh": e.label_zh, "kinds": ", ".join(kinds),
                "places": ", ".join(places), "sources": len({s.doc for f in e.facts for s in f.sources})}


def query_call(spec: QuerySpec, params: dict[str, str] | dict[str, str | list[str]]) -> str:
    """The ``pmkg query`` line that reproduces a result (values quoted for the shell when needed; a
    parameter with several values repeated)."""
    parts = [f"pmkg query {spec.name}"]
    pairs = [(k, x) for k, v in params.items() for x in (v if isinstance(v, list) else [v])]
    for k, v in pairs:
        text = f"{k}={v}"
        parts.append("--param " + (text if all(c.isalnum() or c in "-_=.:/" for c in text) else repr(text)))
    return " ".join(parts)


def defaults_for(spec: QuerySpec) -> dict[str, str]:
    """Parameters the site shows a result for: a required one without default gets its example."""
    return {p.name: str(p.example) for p in spec.params if p.required and p.default is None and p.example}


def result_cells(result: Result, views: Views, limit: int) -> list[list[Link]]:
    rows = []
    for row in result.rows[:limit]:
        cells = []
        for v in row:
            if v is None:
                cells.append(Link(""))
            elif v.is_iri:
                cells.append(views.link(v.text))
            else:
                cells.append(Link(v.text))
        rows.append(cells)
    return rows


__all__ = ["MAIN_KINDS", "RDF_TYPE", "EntityView", "Link", "Views", "kind_title", "page_path"]
