"""The fast build (issue 9, item 3): SHACL node by node, HermiT on the triples it needs, the
materialisation on what it reads - each checked against the whole-graph answer it replaces."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, make_project
from rdflib import RDF, Graph, URIRef

from pmkg.materialise import materialise
from pmkg.pipeline import Lines, Paths, build, hermit_pairs, materialise_input
from pmkg.shacl_nodes import Neighbourhoods, reach, validate_nodes
from pmkg.store import nt_lines
from pmkg.validate import load_shapes, shacl_results
from pmkg.vocab import PM

PMKG = str(ROOT / ".venv" / "bin" / "pmkg")


def _data(result) -> list:
    asserted = [t for part in (result.mapped.graphs, result.mapped.provenance) for ts in part.values() for t in ts]
    return [*asserted, *result.types]


def _by_node(ontology: Graph, data: list, shapes: Graph, chunk: int | None = None,
             monkeypatch: pytest.MonkeyPatch | None = None) -> set:
    import pmkg.shacl_nodes
    if chunk and monkeypatch:
        monkeypatch.setattr(pmkg.shacl_nodes, "CHUNK_TRIPLES", chunk)
    hood = Neighbourhoods(reach(shapes))
    onto = list(ontology)
    hood.add(zip(onto, nt_lines(onto), strict=True))
    hood.add(zip(data, nt_lines(data), strict=True))
    return set(validate_nodes(hood, hood.targets(), onto, shapes))


def _whole(ontology: Graph, data: list, shapes: Graph) -> set:
    graph = Graph()
    for t in (*ontology, *data):
        graph.add(t)
    return set(shacl_results(graph, shapes))


@pytest.fixture(scope="module")
def parts(sink_build):
    root, result = sink_build
    ontology = Graph().parse(root / "ontology" / "pmkg.ttl", format="turtle")
    return ontology, _data(result), load_shapes(root / "ontology" / "shapes.ttl")


def test_the_shapes_read_no_further_than_a_neighbourhood():
    scope = reach(load_shapes(ROOT / "ontology" / "shapes.ttl"))
    assert scope is not None and scope.inverse == {PM.about} and scope.second == {RDF.type, PM.claimRank}


def test_shapes_that_read_further_are_validated_as_a_whole():
    deeper = load_shapes(ROOT / "ontology" / "shapes.ttl")
    deeper.parse(data="""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix pm: <https://w3id.org/pmkg/ontology#> .
        <urn:x> a sh:NodeShape ; sh:targetClass pm:Actor ;
            sh:property [ sh:path ( pm:locatedIn pm:locatedIn pm:memberOf ) ; sh:minCount 1 ] .""", format="turtle")
    assert reach(deeper) is None


def test_node_by_node_validation_equals_the_whole_graph_on_the_kitchen_sink(parts, monkeypatch):
    ontology, data, shapes = parts
    assert _by_node(ontology, data, shapes, chunk=500, monkeypatch=monkeypatch) == _whole(ontology, data, shapes)


def test_node_by_node_validation_finds_what_the_whole_graph_finds_when_neighbours_break(parts, monkeypatch):
    """Violations that come from a neighbour: a parent that is no longer an organisation, a citation
    that lost its type (the inverse path), a claim without rank (two steps away)."""
    ontology, data, shapes = parts
    parents = {o for s, p, o in data if p == PM.subOrganisationOf}
    citations = sorted({s for s, p, o in data if p == RDF.type and o == PM.Citation})[:3]
    claims = {o for s, p, o in data if p == PM.claim}
    broken = [t for t in data if not (t[1] == RDF.type and t[0] in parents | set(citations))
              and not (t[1] == PM.claimRank and t[0] in claims)]
    whole = _whole(ontology, broken, shapes)
    assert len(whole) > len(_whole(ontology, data, shapes))  # the breakage shows
    assert _by_node(ontology, broken, shapes, chunk=500, monkeypatch=monkeypatch) == whole


def test_a_changed_neighbour_changes_the_digest_of_the_node_that_reads_it(parts):
    """The cache key of a citation covers its document's types (sh:class pm:SourceDocument):
    changing only the document invalidates the citation's cached results, not an unrelated actor's."""
    _ontology, data, shapes = parts
    citation, document = next((s, o) for s, p, o in data if p == PM.citedIn)
    other = next(s for s, p, o in data if p == RDF.type and o == PM.Actor
                 and not any(t[0] == s and t[2] == document for t in data))

    def digests(triples: list) -> dict:
        hood = Neighbourhoods(reach(shapes))
        hood.add(zip(triples, nt_lines(triples), strict=True))
        return {n: hood.digest(n) for n in (citation, other)}

    before = digests(data)
    after = digests([t for t in data if not (t[0] == document and t[1] == RDF.type)])
    assert before[citation] != after[citation] and before[other] == after[other]


PLACE_AS_PARENT = """actors:
  - id: cache-child
    label: Cache Child
    parent: [germany]
    source: {doc: causio-2023, at: "Table 1, row 1"}
"""


def test_an_edit_after_a_cached_build_is_validated(tmp_path: Path):
    """A build whose SHACL results are cached; an edit that violates a shape through a reference
    (a parent that is a place, not an organisation) exits 1 with that violation; undone, 0 again.
    Without HermiT, which would find the place-as-organisation inconsistent before SHACL."""
    root = make_project(tmp_path / "proj", FIXTURES / "kitchen_sink")
    first = subprocess.run([PMKG, "build", "-q", "--no-reason", "--root", str(root)], capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    (root / "kg" / "zz-child.yaml").write_text(PLACE_AS_PARENT, encoding="utf-8")
    bad = subprocess.run([PMKG, "build", "-q", "--no-reason", "--root", str(root)], capture_output=True, text=True)
    assert bad.returncode == 1 and "parent of an actor MUST be an organisation" in bad.stderr
    assert "zz-child.yaml" in bad.stderr
    (root / "kg" / "zz-child.yaml").unlink()
    again = subprocess.run([PMKG, "build", "-q", "--no-reason", "--root", str(root)], capture_output=True, text=True)
    assert again.returncode == 0, again.stderr


def test_a_one_record_edit_validates_only_the_nodes_it_touches(tmp_path: Path, monkeypatch):
    import pmkg.shacl_nodes
    root = make_project(tmp_path / "proj", FIXTURES / "kitchen_sink")
    paths = Paths(root=root)
    first = build(paths)
    seen: list = []
    real = pmkg.shacl_nodes.validate_nodes
    monkeypatch.setattr(pmkg.shacl_nodes, "validate_nodes",
                        lambda h, nodes, o, s: real(h, seen.extend(nodes) or seen, o, s))
    actors = root / "kg" / "actors.yaml"
    text = actors.read_text(encoding="utf-8")
    actors.write_text(text.replace("    label: BGI\n", "    label: BGI Group\n", 1), encoding="utf-8")
    edited = build(paths)
    assert edited.changes["triples_added"] > 0
    assert "reason" in edited.cached  # a label is no triple HermiT needs
    assert seen == [URIRef("https://w3id.org/pmkg/id/actor/bgi")]
    assert edited.warnings == first.warnings


def test_hermit_on_the_triples_it_needs_gives_its_answer_on_all_of_them(sink_build):
    from pmkg.reason import reason
    root, result = sink_build
    ontology = Graph().parse(root / "ontology" / "pmkg.ttl", format="turtle")
    needed = [t for t, _line in hermit_pairs(Paths(root=root), Lines.of(result.mapped))]
    everything = [t for ts in result.mapped.graphs.values() for t in ts]
    assert len(needed) < len(everything)
    assert reason(ontology, result.mapped, needed)[0] == reason(ontology, result.mapped, everything)[0] == result.types


def test_materialisation_of_what_it_reads_equals_that_of_everything(real_build):
    _, result = real_build
    ontology = Graph().parse(ROOT / "ontology" / "pmkg.ttl", format="turtle")
    everything = [*ontology, *(t for part in (result.mapped.graphs, result.mapped.provenance)
                               for ts in part.values() for t in ts)]
    smaller = materialise_input(everything)
    assert len(smaller) < len(everything) / 10
    assert materialise(smaller) == materialise(everything) == result.materialised


def test_build_result_keeps_the_inferred_graph_parts_apart(sink_build):
    _, result = sink_build
    assert {t[1] for t in result.types} == {RDF.type}
    assert not any(t[2] == PM.PartnerEvidence for t in result.types)
    materialised = {PM.withinPlace, PM.region, PM.withinTopic, PM.displayLabel, PM.nameKey}
    assert {t[1] for t in result.materialised} <= materialised
    assert result.inferred == result.types | result.materialised | result.evidence
    s = result.summary
    assert (s["inferred_types"], s["materialised"], s["partner_evidence"]) == (
        len(result.types), len(result.materialised), len(result.evidence))


def _hood(ontology: Graph, triples: list, shapes: Graph) -> Neighbourhoods:
    hood = Neighbourhoods(reach(shapes))
    onto = list(ontology)
    hood.add(zip(onto, nt_lines(onto), strict=True))
    hood.add(zip(triples, nt_lines(triples), strict=True))
    return hood


def test_the_reification_is_in_no_neighbourhood_of_the_curated_shapes(sink_build):
    """The build leaves the reification out of SHACL's index when provenance_in_reach says it is in no
    neighbourhood: with it and without it, the focus nodes and every node's digest are the same."""
    from pmkg.shacl_nodes import provenance_in_reach

    root, result = sink_build
    ontology = Graph().parse(root / "ontology" / "pmkg.ttl", format="turtle")
    shapes = load_shapes(root / "ontology" / "shapes.ttl")
    data = [*(t for ts in result.mapped.graphs.values() for t in ts), *result.types]
    provenance = [t for ts in result.mapped.provenance.values() for t in ts]
    without, with_it = _hood(ontology, data, shapes), _hood(ontology, [*data, *provenance], shapes)
    assert not provenance_in_reach(without)
    assert without.targets() == with_it.targets()
    assert {n: without.digest(n) for n in without.targets()} == {n: with_it.digest(n) for n in with_it.targets()}


@pytest.mark.parametrize("shape", [
    "<urn:s> a sh:NodeShape ; sh:targetClass rdf:Statement ; sh:property [ sh:path rdf:subject ; sh:minCount 1 ] .",
    "<urn:s> a sh:NodeShape ; sh:targetSubjectsOf pm:citation ; sh:property [ sh:path pm:citation ; sh:maxCount 1 ] .",
    "<urn:s> a sh:NodeShape ; sh:targetClass pm:Actor ; "
    "sh:property [ sh:path [ sh:inversePath rdf:subject ] ; sh:minCount 1 ] ."])
def test_shapes_that_read_the_reification_get_it(sink_build, shape):
    """A shape on rdf:Statement, on the subjects of a reification predicate, or following one backwards:
    the reification then goes into SHACL's index."""
    from pmkg.shacl_nodes import provenance_in_reach

    root, result = sink_build
    shapes = load_shapes(root / "ontology" / "shapes.ttl")
    shapes.parse(data="@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix pm: <https://w3id.org/pmkg/ontology#> . "
                      f"@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> . {shape}", format="turtle")
    ontology = Graph().parse(root / "ontology" / "pmkg.ttl", format="turtle")
    data = [t for ts in result.mapped.graphs.values() for t in ts]
    assert provenance_in_reach(_hood(ontology, data, shapes))


def test_hermit_out_of_heap_is_run_again_with_a_larger_heap(sink_build, tmp_path, monkeypatch):
    """PMKG_HERMIT_XMX_MB too small for the input: Java runs out of heap, and the reasoner is run again
    with twice the heap until it fits (up to MAX_RETRY_HEAP_MB), giving the same answer."""
    from pmkg import reason as r

    root, result = sink_build
    ontology = Graph().parse(root / "ontology" / "pmkg.ttl", format="turtle")
    data = [t for ts in result.mapped.graphs.values() for t in ts]
    path = tmp_path / "input.nt"
    path.write_text("".join(r.hermit_lines(ontology, data)), encoding="utf-8")
    assert r._out_of_memory(r._run_java(path, len(data), 4))
    monkeypatch.setenv(r.HEAP_ENV, "4")
    assert r.reason(ontology, result.mapped, data)[0] == result.types
