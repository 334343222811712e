"""HermiT run faster without a different answer: its JVM compiles with C1 only on small inputs
(reason.java_environment), and its input file is written from the terms, not through rdflib."""

from __future__ import annotations

from rdflib import OWL, RDF, Graph
from rdflib.compare import isomorphic

from pmkg import reason
from pmkg.reason import QUICK_JIT, QUICK_JIT_MAX_TRIPLES, hermit_input, java_environment


def test_java_environment_adds_the_quick_jit_after_the_users_options():
    assert java_environment(10, {"PATH": "/bin"})["JAVA_TOOL_OPTIONS"] == QUICK_JIT
    mine = java_environment(10, {"JAVA_TOOL_OPTIONS": "-Xss4m"})
    assert mine["JAVA_TOOL_OPTIONS"] == f"-Xss4m {QUICK_JIT}"
    assert "JAVA_TOOL_OPTIONS" not in java_environment(QUICK_JIT_MAX_TRIPLES + 1, {"PATH": "/bin"})


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
    quick = reason.reason(ontology, result.mapped)[0]
    monkeypatch.setattr(reason, "QUICK_JIT_MAX_TRIPLES", 0)
    assert reason.java_environment(1, {}).get("JAVA_TOOL_OPTIONS") is None
    assert quick == reason.reason(ontology, result.mapped)[0] == result.types
