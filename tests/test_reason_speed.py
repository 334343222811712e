"""HermiT run faster without a different answer: its JVM compiles with C1 only on small inputs, its
input file is written from the terms (not through rdflib), and it is called directly, its output read
by pmkg.reason.inferred_types (not through owlready2's quadstore) - checked against owlready2 here."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from rdflib import OWL, RDF, Graph, URIRef
from rdflib.compare import isomorphic

from pmkg import reason
from pmkg.reason import hermit_input


def test_hermit_input_is_the_rdflib_serialisation_of_the_same_graph(sink_build):
    """Same triples as the rdflib graph the input was made from before (ontology, data, declarations)."""
    root, result = sink_build
    ontology = Graph().parse(root / "ontology" / "pmkg.ttl", format="turtle")
    data = [t for ts in result.mapped.graphs.values() for t in ts]
    expected = Graph()
    for t in ontology:
        expected.add(t)
    for t in data:
        expected.add(t)
        if t[1] == RDF.type:
            expected.add((t[0], RDF.type, OWL.NamedIndividual))
    text = hermit_input(ontology, data)
    assert len(text.splitlines()) == len(set(text.splitlines())) == len(expected)
    got = Graph().parse(data=text, format="nt")
    assert isomorphic(got, expected)


def test_hermit_gives_the_same_answer_with_either_compiler(sink_build, monkeypatch):
    root, result = sink_build
    ontology = Graph().parse(root / "ontology" / "pmkg.ttl", format="turtle")
    seen: list[list[str]] = []
    real_run = subprocess.run

    def spy(command, **kwargs):
        seen.append(command)
        return real_run(command, **kwargs)

    monkeypatch.setattr(subprocess, "run", spy)
    quick = reason.reason(ontology, result.mapped)[0]
    monkeypatch.setattr(reason, "QUICK_JIT_MAX_TRIPLES", 0)
    full = reason.reason(ontology, result.mapped)[0]
    assert reason.QUICK_JIT in seen[0] and reason.QUICK_JIT not in seen[1]
    assert quick == full == result.types


def owlready2_types(ontology: Graph, data: list) -> set:
    """The reference: HermiT through owlready2's sync_reasoner, every named class of every individual
    read from owlready2's objects (pmkg's implementation before it called HermiT directly)."""
    import owlready2

    text = hermit_input(ontology, data)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input.nt"
        path.write_text(text, encoding="utf-8")
        world = owlready2.World()
        onto = world.get_ontology(path.as_uri()).load(format="ntriples")
        with onto:
            owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0,
                                           ignore_unsupported_datatypes=True)
        asserted = Graph().parse(data=text, format="nt")
        out = set()
        for ind in world.individuals():
            if not ind.iri.startswith("https://w3id.org/pmkg/"):
                continue
            for cls in ind.is_a:
                if isinstance(cls, owlready2.ThingClass):
                    for anc in cls.ancestors():
                        t = (URIRef(ind.iri), RDF.type, URIRef(anc.iri))
                        if anc is not owlready2.Thing and t not in asserted and anc.iri != str(OWL.NamedIndividual):
                            out.add(t)
        world.close()
    return out


def test_hermit_called_directly_answers_as_through_owlready2(sink_build, real_build):
    for root, result in (sink_build, real_build):
        ontology = Graph().parse(root / "ontology" / "pmkg.ttl", format="turtle")
        data = [t for ts in result.mapped.graphs.values() for t in ts]
        expected = owlready2_types(ontology, data)
        assert expected, root
        assert reason.reason(ontology, result.mapped, data)[0] == expected


def test_inferred_types_reads_hierarchy_equivalence_and_types():
    pm = "https://w3id.org/pmkg/ontology#"
    ind = "https://w3id.org/pmkg/id/actor/x"
    output = (f"SubClassOf( <{pm}A> <{pm}B> )\nSubClassOf( <{pm}B> <http://www.w3.org/2002/07/owl#Thing> )\n"
              f"EquivalentClasses( <{pm}B> <{pm}C> )\nType( <{ind}> <{pm}A> )\n"
              f"Type( <http://example.org/other> <{pm}A> )\n")
    asserted = {(URIRef(ind), RDF.type, URIRef(pm + "A"))}
    got = reason.inferred_types(output, asserted)
    assert got == {(URIRef(ind), RDF.type, URIRef(pm + c)) for c in ("B", "C")}
