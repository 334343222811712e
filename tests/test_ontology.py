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
