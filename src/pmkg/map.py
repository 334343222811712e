"""Stage 2: records -> RDF quads, one named graph per source document.

Each record (and each ``also`` block, ``facts`` record and conflict claim) is a
*statement group* with one source.  Its triples go into the graph of that
source document; each triple is also reified (``rdf:Statement``) and tied to a
``pm:Citation`` (document, location, quote), so that every fact leads back to
the table row or sentence it came from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from rdflib import RDF, RDFS, SKOS, XSD, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF

from pmkg import schema as s
from pmkg.load import KG, Record
from pmkg.namespaces import ORG, PM, SCHEMA, document_iri, entity_iri, hashed_iri

Triple = tuple[URIRef, URIRef, URIRef | Literal]

PLACE_NOT_STATED = "not stated in the sources"
TYPOLOGY_CLASS = {"PI": PM.PublicInstitution, "RTO": PM.ResearchAndTechnologyOrganisation,
                  "SME": PM.SmallMediumEnterprise}
KIND_CLASS = {
    "cluster": PM.Cluster, "university": PM.University, "hospital": PM.Hospital,
    "company": PM.Company, "government-body": PM.GovernmentBody, "funding-agency": PM.FundingAgency,
    "research-institute": PM.ResearchInstitute, "non-profit": PM.NonProfit,
    "laboratory": PM.Laboratory, "professional-society": PM.ProfessionalSociety,
    "international-organisation": PM.InternationalOrganisation, "consortium": PM.Consortium,
    "working-group": PM.WorkingGroup, "platform": PM.Platform,
}
PLACE_CLASS = {"country": PM.Country, "region": PM.Region, "city": PM.City,
               "supranational": PM.SupranationalRegion}
POLICY_CLASS = {k: getattr(PM, k.capitalize()) for k in s.POLICY_KINDS}
PROGRAMME_CLASS = {"programme": PM.Programme, "plan": PM.Programme, "initiative": PM.Initiative,
                   "project": PM.Project, "platform": PM.Programme}
AGENDA_CLASS = {k: getattr(PM, "".join(w.capitalize() for w in k.split("-"))) for k in s.AGENDA_KINDS}
KIND_BASE_CLASS = {"actors": PM.Actor, "people": FOAF.Person, "topics": PM.Topic,
                   "concepts": PM.CollaborationKind, "collaborations": PM.Collaboration,
                   "events": PM.Event}
# Facts fields that are plain references: field -> (predicate, inverse?)
REFERENCE_PREDICATES = {
    "located_in": (PM.locatedIn, False), "parent": (PM.subOrganisationOf, False),
    "founded_by": (PM.foundedBy, False), "owned_by": (PM.ownedBy, False),
    "funded_by": (PM.funds, True), "member_of": (PM.memberOf, False),
    "partner_of": (PM.partnerOf, False), "supported_by": (PM.supportedBy, False),
    "focus": (PM.focus, False), "supervised_by": (PM.supervisedBy, False),
    "listed_jointly_with": (PM.listedJointlyWith, False),
    "refers_to": (PM.refersTo, False), "author_of": (SCHEMA.author, True),
}
RANK = {"preferred": PM.PreferredRank, "normal": PM.NormalRank, "deprecated": PM.DeprecatedRank}
SEVERITY = {"substantive": PM.SubstantiveDisagreement, "minor": PM.MinorDisagreement,
            "format": PM.FormatDisagreement}
SPECIFIC_REFERENCES = {  # kind-specific reference fields
    "owner": PM.ownedBy, "jurisdiction": PM.jurisdiction, "part_of": PM.partOf,
    "coordinator": PM.coordinator, "participants": PM.participant, "issued_by": PM.issuedBy,
    "topics": PM.topic, "conveners": PM.convener, "organisers": PM.organiser,
    "follow_up_of": PM.followUpOf, "responsible": PM.responsible, "broader": SKOS.broader,
}


def partial_date(value: str) -> Literal:
    """'2016' -> xsd:gYear, '2016-03' -> xsd:gYearMonth, '2016-03-01' -> xsd:date."""
    datatype = {4: XSD.gYear, 7: XSD.gYearMonth}.get(len(value), XSD.date)
    return Literal(value, datatype=datatype)


def _url_key(url: str) -> tuple[str, str]:
    """(host, path) of a URL with scheme, 'www.', case of host, query, fragment and final '/' ignored."""
    parts = urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    return host, parts.path.rstrip("/")


def conflict_severity(conflict: s.Conflict) -> str:
    """How much a conflict matters to a reader (kg/README.md, "Ranked claims").

    Websites: ``format`` when the claims name the same address (scheme, 'www.', query,
    fragment or a final '/' differ), ``minor`` when they name pages of the same host,
    ``substantive`` when the hosts differ.  Any other property: ``substantive``.
    """
    if conflict.severity:
        return conflict.severity
    if conflict.property != "website":
        return "substantive"
    keys = [sorted(_url_key(u) for u in c.website) for c in conflict.claims]
    if all(k == keys[0] for k in keys):
        return "format"
    hosts = [sorted({h for h, _ in k}) for k in keys]
    return "minor" if all(h == hosts[0] for h in hosts) else "substantive"


@dataclass
class Origin:
    """Where a resource or triple was written in the YAML."""

    file: str
    line: int
    record_id: str | None
    field_lines: dict[str, int]


_REIFY = (RDF.type, RDF.Statement, RDF.subject, RDF.predicate, RDF.object, PM.citation)  # looked up once


def reification(triple: Triple, cite: URIRef) -> list[Triple]:
    """The rdf:Statement of ``triple`` tied to its citation ``cite``: five triples about a hashed IRI."""
    a, statement, subject, predicate, obj, citation = _REIFY
    stmt = hashed_iri("statement", *(x.n3() for x in triple), str(cite))
    return [(stmt, a, statement), (stmt, subject, triple[0]), (stmt, predicate, triple[1]),
            (stmt, obj, triple[2]), (stmt, citation, cite)]


@dataclass
class Mapped:
    """The mapped data: quads by graph, reification kept apart, origins for errors.

    The reification (three quarters of the triples) is held as (triple, citation) pairs, ``reified``,
    and its triples are made on demand (:meth:`provenance_triples`): at 100x the curated graph the
    rdflib triples of every rdf:Statement held ~1 GB more for the whole build."""

    graphs: dict[URIRef, set[Triple]] = field(default_factory=dict)
    reified: dict[URIRef, set[tuple[Triple, URIRef]]] = field(default_factory=dict)
    origins: dict[URIRef, Origin] = field(default_factory=dict)
    triple_origins: dict[Triple, Origin] = field(default_factory=dict)

    def add(self, graph: URIRef, triple: Triple, origin: Origin) -> None:
        self.graphs.setdefault(graph, set()).add(triple)
        self.triple_origins.setdefault(triple, origin)

    def add_reified(self, graph: URIRef, triple: Triple, cite: URIRef) -> None:
        self.reified.setdefault(graph, set()).add((triple, cite))

    def provenance_triples(self, graph: URIRef) -> set[Triple]:
        """The reification triples of ``graph`` (each once)."""
        return {pt for t, cite in self.reified.get(graph, ()) for pt in reification(t, cite)}

    @property
    def provenance(self) -> dict[URIRef, set[Triple]]:
        """The reification triples by graph, made anew at each call (the build reads them graph by graph)."""
        return {g: self.provenance_triples(g) for g in self.reified}

    def quads(self, with_provenance: bool = True) -> Iterable[tuple[URIRef, URIRef, URIRef | Literal, URIRef]]:
        for g, triples in self.graphs.items():
            for t in triples:
                yield (*t, g)
        for g in self.reified if with_provenance else ():
            for t in self.provenance_triples(g):
                yield (*t, g)


class Mapper:
    """Turns a loaded KG into :class:`Mapped` quads."""

    def __init__(self, kg: KG) -> None:
        self.kg = kg
        self.out = Mapped()

    def ref(self, slug: str) -> URIRef:
        return entity_iri(self.kg.kinds_by_id[slug], slug)

    # -- statement groups ---------------------------------------------------
    def emit(self, subject: URIRef, triples: list[Triple], source: s.Source, origin: Origin,
             claim_of: str = "", asserted: bool = True) -> URIRef:
        """Put a group's triples in its document graph, with citation and reification.

        ``claim_of`` (a conflict id) gives a conflict's claim a citation of its own even
        when its source equals the record's, so a claim's values stay apart from the record's.
        ``asserted=False`` (a conflict's normal or deprecated claim) writes only the
        reification: the claim stays in its document's graph as rdf:Statements, but the
        default view of the entity does not carry its values.
        """
        graph = document_iri(source.doc)
        cite = hashed_iri("citation", str(subject), source.doc, source.at, source.quote or "", claim_of)
        cite_triples: list[Triple] = [
            (cite, RDF.type, PM.Citation), (cite, PM.citedIn, graph), (cite, PM.about, subject),
            (cite, PM.location, Literal(source.at)),
        ]
        if source.quote:
            cite_triples.append((cite, PM.quote, Literal(source.quote)))
        for t in cite_triples:
            self.out.add(graph, t, origin)
        for t in triples:
            if asserted:
                self.out.add(graph, t, origin)
            self.out.add_reified(graph, t, cite)
        return cite

    def facts_triples(self, subj: URIRef, facts: s.Facts, kind: str) -> list[Triple]:
        """Triples for the fields every entity shares (labels, places, relations …)."""
        t: list[Triple] = []
        label = getattr(facts, "label", None)
        if label:
            t.append((subj, RDFS.label, Literal(label, lang="en")))
        if facts.label_zh:
            t.append((subj, RDFS.label, Literal(facts.label_zh, lang="zh")))
        t += [(subj, SKOS.altLabel, Literal(a)) for a in facts.aliases]
        if facts.description:
            t.append((subj, DCTERMS.description, Literal(facts.description, lang="en")))
        if facts.note:
            t.append((subj, SKOS.editorialNote, Literal(facts.note, lang="en")))
        if facts.place_unknown:
            t.append((subj, PM.locationStatus, Literal(PLACE_NOT_STATED)))
        t += [(subj, SCHEMA.url, Literal(u, datatype=XSD.anyURI)) for u in facts.website]
        if facts.founded:
            t.append((subj, SCHEMA.foundingDate, partial_date(facts.founded)))
        t += [(subj, RDF.type, TYPOLOGY_CLASS[x]) for x in facts.typology]
        t += [(subj, RDF.type, KIND_CLASS[x]) for x in facts.kinds]
        if (facts.typology or facts.kinds) and kind == "facts":
            t.append((subj, RDF.type, PM.Actor))
        for name, (pred, inverse) in REFERENCE_PREDICATES.items():
            for target in getattr(facts, name):
                o = self.ref(target)
                t.append((o, pred, subj) if inverse else (subj, pred, o))
        if facts.segment:
            t.append((subj, PM.segment, Literal(facts.segment)))
        t += [(subj, PM.product, Literal(p)) for p in facts.products]
        t += [(subj, PM.formerName, Literal(n)) for n in facts.formerly]
        t += self.succession_triples(subj, facts)
        t += [(subj, SKOS.editorialNote, Literal(f"Also a name of {a.also_of}: '{a.alias}'. {a.reason}", lang="en"))
              for a in facts.shared_aliases]
        for fig in facts.figures:
            node = hashed_iri("figure", str(subj), fig.measure, fig.text)
            t += [(subj, PM.figure, node), (node, RDF.type, PM.Figure), (node, PM.about, subj),
                  (node, PM.measure, Literal(fig.measure)), (node, PM.figureText, Literal(fig.text))]
            if fig.value is not None:
                t.append((node, PM.value, Literal(str(fig.value), datatype=XSD.decimal)))
        if isinstance(facts, s.FactsBlock):
            t += self.block_dates(subj, facts)
        for m in facts.affiliations:
            node = hashed_iri("membership", str(subj), m.org, m.role or "")
            t += [(subj, PM.affiliation, node), (node, RDF.type, ORG.Membership),
                  (node, ORG.member, subj), (node, ORG.organization, self.ref(m.org))]
            if m.role:
                t.append((node, PM.post, Literal(m.role)))
        return t

    def succession_triples(self, subj: URIRef, facts: s.Facts) -> list[Triple]:
        """pm:succeeds plus a dated pm:Succession node; pm:renaming nodes for renamings."""
        t: list[Triple] = []
        for suc in facts.succeeds:
            pred = self.ref(suc.org)
            node = hashed_iri("succession", str(pred), str(subj))
            t += [(subj, PM.succeeds, pred), (subj, PM.succession, node), (node, RDF.type, PM.Succession),
                  (node, PM.predecessor, pred), (node, PM.successor, subj)]
            if suc.date:
                t.append((node, PM.date, partial_date(suc.date)))
            if suc.how:
                t.append((node, PM.successionKind, Literal(suc.how)))
        for ren in facts.renamed:
            node = hashed_iri("renaming", str(subj), ren.date or "", ren.former_name or "", ren.new_name or "")
            t += [(subj, PM.renaming, node), (node, RDF.type, PM.Renaming), (node, PM.about, subj)]
            if ren.date:
                t.append((node, PM.date, partial_date(ren.date)))
            if ren.former_name:
                t += [(node, PM.formerName, Literal(ren.former_name)), (subj, PM.formerName, Literal(ren.former_name))]
            if ren.new_name:
                t.append((node, PM.newName, Literal(ren.new_name)))
        return t

    def block_dates(self, subj: URIRef, block: s.FactsBlock) -> list[Triple]:
        """Dates, issuers and grant number stated in an also/facts block."""
        t: list[Triple] = []
        if block.issued:
            t.append((subj, DCTERMS.issued, partial_date(block.issued)))
        t += [(subj, PM.issuedBy, self.ref(i)) for i in block.issued_by]
        if block.start:
            t.append((subj, PM.start, partial_date(block.start)))
        if block.end:
            t.append((subj, PM.end, partial_date(block.end)))
        if block.grant_number:
            t.append((subj, PM.grantNumber, Literal(block.grant_number)))
        return t

    # -- kinds --------------------------------------------------------------
    def kind_triples(self, subj: URIRef, rec: Record) -> list[Triple]:
        """Triples specific to a record kind (class, dates, kind-specific references)."""
        m = rec.model
        t: list[Triple] = []
        base = KIND_BASE_CLASS.get(rec.kind)
        if base is not None:
            t.append((subj, RDF.type, base))
        if isinstance(m, s.Place):
            t.append((subj, RDF.type, PLACE_CLASS[m.place_kind]))
            if m.iso_code:
                t.append((subj, PM.isoCode, Literal(m.iso_code)))
        elif isinstance(m, s.Topic | s.ConceptRecord):
            scheme = "topics" if isinstance(m, s.Topic) else m.scheme
            t.append((subj, SKOS.inScheme, URIRef(f"https://w3id.org/pmkg/id/scheme/{scheme}")))
            t.append((subj, SKOS.prefLabel, Literal(m.label, lang="en")))
        elif isinstance(m, s.Programme):
            t += [(subj, RDF.type, PROGRAMME_CLASS[m.programme_kind]),
                  (subj, PM.programmeKind, Literal(m.programme_kind))]
            if m.grant_number:
                t.append((subj, PM.grantNumber, Literal(m.grant_number)))
        elif isinstance(m, s.Policy):
            t += [(subj, RDF.type, PM.Policy), (subj, RDF.type, POLICY_CLASS[m.policy_kind])]
            if m.issued:
                t.append((subj, DCTERMS.issued, partial_date(m.issued)))
            if m.effective:
                t.append((subj, PM.effective, partial_date(m.effective)))
            if m.status:
                t.append((subj, PM.status, Literal(m.status)))
        elif isinstance(m, s.Collaboration):
            t.append((subj, PM.collaborationKind, self.ref(m.collaboration_kind)))
            if m.disease_area:
                t.append((subj, PM.diseaseArea, Literal(m.disease_area)))
        elif isinstance(m, s.Event):
            for p in m.participants:
                node = hashed_iri("participation", str(subj), p.person)
                t += [(subj, PM.participation, node), (node, RDF.type, PM.Participation),
                      (node, PM.person, self.ref(p.person))]
                if p.role:
                    t.append((node, PM.role, Literal(p.role)))
                if p.side:
                    t.append((node, PM.side, Literal(p.side)))
        elif isinstance(m, s.AgendaItem):
            t += [(subj, RDF.type, PM.AgendaItem), (subj, RDF.type, AGENDA_CLASS[m.item_kind])]
            if m.order is not None:
                t.append((subj, PM.order, Literal(m.order)))
        for name in ("start", "end"):
            value = getattr(m, name, None)
            if value:
                t.append((subj, getattr(PM, name), partial_date(value)))
        for name, pred in SPECIFIC_REFERENCES.items():
            values = getattr(m, name, None)
            if isinstance(values, list) and values and isinstance(values[0], str):
                t += [(subj, pred, self.ref(v)) for v in values]
        return t

    def map_entity(self, rec: Record) -> None:
        m = rec.model
        subj = entity_iri(rec.kind, m.id)
        origin = Origin(rec.file, rec.line, m.id, rec.field_lines)
        self.out.origins[subj] = origin
        triples = self.facts_triples(subj, m, rec.kind) + self.kind_triples(subj, rec)
        self.emit(subj, triples, m.source, origin)
        for block in m.also:
            self.emit(subj, self.facts_triples(subj, block, "facts"), block.source, origin)

    def map_document(self, rec: Record) -> None:
        m: s.Document = rec.model  # type: ignore[assignment]
        subj = document_iri(m.id)
        origin = Origin(rec.file, rec.line, m.id, rec.field_lines)
        self.out.origins[subj] = origin
        t: list[Triple] = [(subj, RDF.type, PM.SourceDocument), (subj, RDFS.label, Literal(m.label, lang="en")),
                           (subj, DCTERMS.title, Literal(m.label, lang="en")), (subj, PM.documentKind, Literal(m.kind))]
        t += [(subj, DCTERMS.creator, Literal(a)) for a in m.authors]
        if m.issued:
            t.append((subj, DCTERMS.issued, partial_date(m.issued)))
        if m.publisher:
            t.append((subj, DCTERMS.publisher, Literal(m.publisher)))
        if m.file:
            t.append((subj, PM.sourceFile, Literal(m.file if "/" in m.file else f"seeds/{m.file}")))
        if m.description:
            t.append((subj, DCTERMS.description, Literal(m.description, lang="en")))
        t += [(subj, PM.supportedBy, self.ref(x)) for x in m.supported_by]
        for triple in t:
            self.out.add(subj, triple, origin)

    def map_observation(self, rec: Record) -> None:
        m: s.Observation = rec.model  # type: ignore[assignment]
        subj = entity_iri("observations", m.id)
        origin = Origin(rec.file, rec.line, m.id, rec.field_lines)
        self.out.origins[subj] = origin
        cls = PM.BibliometricObservation if m.database in ("wos", "cnki") else PM.Observation
        t: list[Triple] = [(subj, RDF.type, PM.Observation), (subj, RDF.type, cls),
                           (subj, PM.observationSubject, self.ref(m.subject)),
                           (subj, PM.measure, Literal(m.measure))]
        for name, pred in (("count", PM.count), ("rank", PM.rank)):
            if getattr(m, name) is not None:
                t.append((subj, pred, Literal(getattr(m, name), datatype=XSD.integer)))
        if m.value is not None:
            t.append((subj, PM.value, Literal(str(m.value), datatype=XSD.decimal)))
        for name, pred in (("database", PM.database), ("sample", PM.sample), ("level", PM.level),
                           ("label", PM.labelInSource)):
            if getattr(m, name):
                t.append((subj, pred, Literal(getattr(m, name))))
        for name, pred in (("period_start", PM.periodStart), ("period_end", PM.periodEnd), ("year", PM.year)):
            if getattr(m, name):
                t.append((subj, pred, partial_date(getattr(m, name))))
        if m.city:
            t.append((subj, PM.city, self.ref(m.city)))
        self.emit(subj, t, m.source, origin)

    def map_facts(self, rec: Record) -> None:
        m: s.FactsRecord = rec.model  # type: ignore[assignment]
        subj = self.ref(m.about)
        self.emit(subj, self.facts_triples(subj, m, "facts"), m.source,
                  Origin(rec.file, rec.line, m.about, rec.field_lines))

    def map_conflict(self, rec: Record) -> None:
        m: s.Conflict = rec.model  # type: ignore[assignment]
        about = self.ref(m.about)
        subj = entity_iri("conflicts", m.id)
        origin = Origin(rec.file, rec.line, m.id, rec.field_lines)
        self.out.origins[subj] = origin
        head: list[Triple] = [(subj, RDF.type, PM.Conflict), (subj, PM.about, about),
                              (subj, PM.conflictProperty, Literal(m.property)),
                              (subj, PM.severity, SEVERITY[conflict_severity(m)]),
                              (about, PM.disputedIn, subj),
                              (subj, DCTERMS.description, Literal(m.description, lang="en"))]
        for claim in m.claims:
            cite = self.emit(about, self.facts_triples(about, claim, "facts"), claim.source, origin,
                             claim_of=m.id, asserted=claim.rank == "preferred")
            head += [(subj, PM.claim, cite), (cite, PM.claimRank, RANK[claim.rank])]
            if claim.rank == "preferred":
                head.append((subj, PM.preferredClaim, cite))
            if claim.reason:
                head.append((cite, PM.rankReason, Literal(claim.reason, lang="en")))
        self.emit(subj, head, m.claims[0].source, origin)

    def map_link(self, rec: Record) -> None:
        """Accepted links only: skos:exactMatch and the identifier, in the registry's graph."""
        m: s.Link = rec.model  # type: ignore[assignment]
        if m.status != "accepted":
            return
        subj = self.ref(m.about)
        id_predicate = {"ror": PM.rorId, "funder-registry": PM.funderDoi, "wikidata": PM.wikidataId}[m.registry]
        triples: list[Triple] = [(subj, SKOS.exactMatch, URIRef(m.iri)), (subj, id_predicate, Literal(m.identifier))]
        source = s.Source(doc=m.registry_doc, at=f"record {m.identifier}", quote=m.label)
        self.emit(subj, triples, source, Origin(rec.file, rec.line, m.about, rec.field_lines))

    def run(self) -> Mapped:
        for rec in self.kg.records:
            if rec.kind == "documents":
                self.map_document(rec)
            elif rec.kind == "observations":
                self.map_observation(rec)
            elif rec.kind == "facts":
                self.map_facts(rec)
            elif rec.kind == "conflicts":
                self.map_conflict(rec)
            elif rec.kind == "links":
                self.map_link(rec)
            else:
                self.map_entity(rec)
        return self.out


def map_kg(kg: KG) -> Mapped:
    """Map a loaded KG to quads (see module docstring)."""
    return Mapper(kg).run()

