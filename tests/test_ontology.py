"""The ontology documents every term, the PM namespace is current, the shapes are valid SHACL."""

from __future__ import annotations

import pyoxigraph as ox
from pyshacl import validate
from rdflib import OWL, RDF, RDFS, SKOS, Graph, URIRef

from pmkg import gen_vocab
from pmkg.vocab import PM
from tests.conftest import ROOT

NS = "https://w3id.org/pmkg/ontology#"


def ontology() -> Graph:
    return Graph().parse(ROOT / "ontology" / "pmkg.ttl")


def test_every_pm_term_has_label_definition_and_is_defined_by():
    g = ontology()
    terms = {s for s in g.subjects(RDF.type, None) if isinstance(s, URIRef) and str(s).startswith(NS)}
    assert len(terms) > 100
    for term in terms:
        assert g.value(term, RDFS.label) is not None, term
        assert g.value(term, SKOS.definition) is not None, term
        assert g.value(term, RDFS.isDefinedBy) == URIRef("https://w3id.org/pmkg/ontology"), term


def test_ontology_header():
    g = ontology()
    onto = URIRef("https://w3id.org/pmkg/ontology")
    assert (onto, RDF.type, OWL.Ontology) in g
    for prop in ("http://purl.org/dc/terms/title", "http://purl.org/dc/terms/license",
                 str(OWL.versionIRI), str(OWL.versionInfo), "http://purl.org/vocab/vann/preferredNamespacePrefix"):
        assert g.value(onto, URIRef(prop)) is not None, prop


def test_core_vocabulary_of_design_is_present():
    for name in ("Actor", "PublicInstitution", "ResearchAndTechnologyOrganisation", "SmallMediumEnterprise",
                 "Cluster", "University", "Hospital", "Company", "GovernmentBody", "FundingAgency",
                 "ResearchInstitute", "NonProfit", "Programme", "Project", "Policy", "Law", "Plan", "Regulation",
                 "Guideline", "Collaboration", "Event", "Participation", "Country", "Region", "City",
                 "BibliometricObservation", "Publication", "SourceDocument", "Topic", "funds", "subOrganisationOf",
                 "partnerOf", "focus", "participant", "collaborationKind", "issuedBy", "jurisdiction", "locatedIn"):
        assert (URIRef(NS + name), RDF.type, None) in ontology(), name


def test_person_is_not_an_organisation_and_policy_not_an_actor():
    g = ontology()
    members = set()
    for node in g.subjects(RDF.type, OWL.AllDisjointClasses):
        from rdflib.collection import Collection
        members |= set(Collection(g, g.value(node, OWL.members)))
    assert URIRef("http://xmlns.com/foaf/0.1/Person") in members
    assert URIRef("http://www.w3.org/ns/org#Organization") in members
    assert PM.Policy in members


def test_generated_namespace_is_current():
    """Regression: PM used to be a plain Namespace, where PM.count was str.count."""
    assert (ROOT / "src" / "pmkg" / "vocab.py").read_text(encoding="utf-8") == gen_vocab.render(gen_vocab.terms())
    assert str(PM.count) == NS + "count"


def test_shapes_are_valid_shacl():
    """pySHACL's meta_shacl validates the shapes against SHACL-for-SHACL and raises if they are not."""
    shapes = Graph().parse(ROOT / "ontology" / "shapes.ttl")
    conforms, _, text = validate(Graph(), shacl_graph=shapes, meta_shacl=True)
    assert conforms, text


def test_every_shape_has_severity_and_message():
    sh = "http://www.w3.org/ns/shacl#"
    shapes = Graph().parse(ROOT / "ontology" / "shapes.ttl")
    property_shapes = set(shapes.objects(None, URIRef(sh + "property")))
    node_shapes_with_or = {s for s in shapes.subjects(URIRef(sh + "or"), None)
                           if any((s, URIRef(sh + p), None) in shapes for p in ("targetClass", "targetSubjectsOf"))}
    assert len(property_shapes) > 20
    for shape in property_shapes | node_shapes_with_or:
        assert shapes.value(shape, URIRef(sh + "severity")) is not None, shape
        message = shapes.value(shape, URIRef(sh + "message"))
        assert message is not None and "MUST" in str(message), shape


def test_every_term_the_import_summary_writes_is_declared():
    """Issue 11: the import summaries (pmkg.importers.summary) used pm: terms the ontology did not declare."""
    from pmkg.importers.summary import PaperFacts, Summary

    summary = Summary()
    summary.add(PaperFacts(frozenset({NS + "a"}), frozenset({NS + "f"}), frozenset({"Some Fund"}),
                           frozenset({NS + "c", NS + "d"}), 2, 1, 0))
    summary.shares_with.add("https://w3id.org/pmkg/id/document/import-other")
    quads = list(ox.parse("".join(summary.lines("https://w3id.org/pmkg/id/document/import-x")).encode(),
                          format=ox.RdfFormat.N_QUADS))
    used = {q.predicate.value for q in quads} | {q.object.value for q in quads
                                                 if q.predicate.value == str(RDF.type)}
    used = {u[len(NS):] for u in used if u.startswith(NS)}
    assert len(used) == 19  # with ActorSummary, RollUpSummary, summaryActor, rollUpUnit
    declared = set(gen_vocab.terms())
    assert used - declared == set()
    g = ontology()
    for name in used:
        assert g.value(URIRef(NS + name), RDFS.range) is not None or name.endswith(("Profile", "Summary")), name


# pm: properties with no rdfs:domain / rdfs:range, and why none is true of every use (issue 13, item 5); a
# property added without a domain or range fails the test below until it is given one or a reason here
NO_DOMAIN = {
    "about": "citations, conflicts and figures: no common class",
    "citation": "its subjects are rdf:Statement, reserved vocabulary that OWL 2 DL (HermiT) does not take as a class",
    "disputedIn": "any entity whose value some sources dispute",
    "figure": "any entity a number is stated about",
    "focus": "actors, programmes and collaborations",
    "funds": "funders of every kind: organisations, programmes",
    "jurisdiction": "policies and programmes (no class above both but prov:Entity)",
    "locatedIn": "actors, places, events: anything with a place",
    "memberOf": "organisations and countries",
    "ownedBy": "organisations and programmes",
    "supportedBy": "organisations and programmes",
    "partOf": "programmes, agenda items and working groups",
    "refersTo": "objectives, agenda items and documents",
    "region": "anything with a place (materialised from pm:withinPlace)",
    "withinPlace": "anything with a place (materialised from pm:locatedIn)",
    "renaming": "any renamed entity",
    "topic": "policies, collaborations, events and agenda items",
    "count": "a count of any kind (observations now, by definition anything)",
    "value": "a number of any kind",
    "date": "successions and renamings (no common class)",
    "start": "projects, programmes, events, memberships: anything that starts",
    "end": "anything that ends",
    "displayLabel": "any labelled subject (materialised)",
    "nameKey": "any named subject (materialised)",
    "formerName": "any renamed entity",
    "labelInSource": "observations and their subjects' names as printed",
    "order": "any ordered item of a document",
    "programmeKind": "programmes, plans, initiatives, projects and platforms: no common class",
    "grantNumber": "projects and imported papers' funding acknowledgements",
    "wikidataId": "a Wikidata item can be anything (organisations, places, people)",
}
NO_RANGE = {
    "about": "anything a citation, conflict or figure is about",
    "funds": "organisations, programmes, projects and imported papers",
    "memberOf": "organisations, alliances and unions (the EU is also a place)",
    "partOf": "programmes, agenda items and organisations",
    "observationSubject": "organisations, places and programmes",
    "foundedBy": "who founded it: an organisation or a person",
    "ownedBy": "who owns it: an organisation or a person",
    "supportedBy": "who supports it: an organisation or a person",
    "responsible": "who is responsible: an organisation or a person",
    "organiser": "organisations and people",
    "participant": "organisations and countries",
    "issuedBy": "bodies and programmes (joint issuers)",
    **{p: "YYYY, YYYY-MM or YYYY-MM-DD: xsd:gYear and xsd:gYearMonth are outside OWL 2's datatype map, so no "
          "datatype range HermiT accepts" for p in ("date", "start", "end", "periodStart", "periodEnd", "effective")},
}


def test_every_property_has_a_domain_and_range_or_a_reason_it_has_none():
    """Issue 13: 33 properties had no domain and 21 no range; each now has one where one is true of every use,
    or is listed in NO_DOMAIN / NO_RANGE with the reason (and a listed property that gained one is unlisted)."""
    g = ontology()
    props = {str(p)[len(NS):] for t in (OWL.ObjectProperty, OWL.DatatypeProperty)
             for p in g.subjects(RDF.type, t) if str(p).startswith(NS)}
    no_domain = {p for p in props if g.value(URIRef(NS + p), RDFS.domain) is None}
    no_range = {p for p in props if g.value(URIRef(NS + p), RDFS.range) is None}
    assert no_domain == set(NO_DOMAIN)
    assert no_range == set(NO_RANGE)


def test_pylode_documents_the_ontology_without_warnings():
    """Issue 13: pyLODE's documentation is generated without a warning (logged or raised) and without a term
    rendered "None" (the vann header properties were "None. Defined in None")."""
    import logging
    import warnings

    from pylode import OntPub

    from pmkg.site.build import describe_missing

    logged: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING:
                logged.append(record.getMessage())

    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    handler = Collect()
    root.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            doc = OntPub(str(ROOT / "ontology" / "pmkg.ttl"))
            describe_missing(doc.props_labeled)
            html = doc.make_html()
    finally:
        root.setLevel(level)
        root.handlers[:] = handlers
    # pyLODE 3.3 reads its own CSS without closing it: a ResourceWarning about its file, not about the ontology
    raised = [str(w.message) for w in caught if not (w.category is ResourceWarning and "pylode" in str(w.message))]
    assert logged == [] and raised == []
    assert "Defined in None" not in html and ">None<" not in html
