"""The build's outputs and caches: one dataset in every export, exact SHACL counts, and
reasoning/validation results that are reused only for exactly the same input."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDF, Graph, Literal, Namespace, URIRef

from pmkg.pipeline import Paths, build
from pmkg.validate import SH, load_shapes, shacl_results
from tests.conftest import FIXTURES, ROOT, make_project

PM = Namespace("https://w3id.org/pmkg/ontology#")
XSD_DECIMAL = "http://www.w3.org/2001/XMLSchema#decimal"
ONTOLOGY = ox.NamedNode("https://w3id.org/pmkg/graph/ontology")


def _ground(quads) -> set[ox.Quad]:
    return {q for q in quads if not any(isinstance(t, ox.BlankNode) for t in (q.subject, q.object))}


def _count_blank(quads) -> int:
    return sum(1 for q in quads if isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode))


@pytest.fixture(scope="module")
def decimal_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The kitchen sink with a figure valued 15.0 (rdflib writes "15.0", Oxigraph "15")."""
    root = make_project(tmp_path_factory.mktemp("exports") / "proj", FIXTURES / "kitchen_sink")
    actors = root / "kg" / "actors.yaml"
    actors.write_text(actors.read_text(encoding="utf-8").replace("value: 17}", "value: 15.0}"), encoding="utf-8")
    build(Paths(root=root))
    return root


def test_decimals_are_written_in_one_lexical_form_in_every_export(decimal_build: Path):
    """Regression (issue 13): "15.0"^^xsd:decimal in .nq/.nt/.ttl but "15" in .trig, .jsonld and the store."""
    dist = decimal_build / "dist"
    forms = {}
    for name, fmt in (("pmkg.nq", ox.RdfFormat.N_QUADS), ("pmkg.trig", ox.RdfFormat.TRIG),
                      ("pmkg.jsonld", ox.RdfFormat.JSON_LD), ("pmkg.nt", ox.RdfFormat.N_TRIPLES),
                      ("pmkg.ttl", ox.RdfFormat.TURTLE)):
        forms[name] = {t.object.value for t in ox.parse(path=str(dist / name), format=fmt)
                       if isinstance(t.object, ox.Literal) and t.object.datatype.value == XSD_DECIMAL}
    store = ox.Store.read_only(str(dist / "store"))
    forms["store"] = {q.object.value for q in store
                      if isinstance(q.object, ox.Literal) and q.object.datatype.value == XSD_DECIMAL}
    # the curated 15.0 (and the build's own partner-evidence scores) in one canonical form everywhere
    assert all(f == forms["store"] for f in forms.values()), forms
    assert "15" in forms["store"] and not any(v.endswith(".0") for v in forms["store"]), forms


def test_every_export_is_the_same_dataset_term_for_term(decimal_build: Path):
    dist = decimal_build / "dist"
    nq = list(ox.parse(path=str(dist / "pmkg.nq"), format=ox.RdfFormat.N_QUADS))
    trig = list(ox.parse(path=str(dist / "pmkg.trig"), format=ox.RdfFormat.TRIG))
    jsonld = list(ox.parse(path=str(dist / "pmkg.jsonld"), format=ox.RdfFormat.JSON_LD))
    store = list(ox.Store.read_only(str(dist / "store")))
    assert len(set(nq)) == len(nq) > 1000
    for other in (trig, jsonld, store):
        assert _ground(other) == _ground(nq)  # every term identical, lexical forms included
        assert _count_blank(other) == _count_blank(nq)  # the ontology's blank nodes, renamed by each parser
    data = {q.triple for q in nq if q.graph_name != ONTOLOGY}
    for name, fmt in (("pmkg.nt", ox.RdfFormat.N_TRIPLES), ("pmkg.ttl", ox.RdfFormat.TURTLE)):
        assert {q.triple for q in ox.parse(path=str(dist / name), format=fmt)} == data, name
    ontology = {q.triple for q in nq if q.graph_name == ONTOLOGY}
    from_file = set(ox.parse(path=str(dist / "ontology.ttl"), format=ox.RdfFormat.TURTLE))
    assert _ground(ox.Quad(t.subject, t.predicate, t.object) for t in from_file) == \
        _ground(ox.Quad(t.subject, t.predicate, t.object) for t in ontology)


def test_mistyped_date_counts_once_not_twice_for_nested_shacl_details():
    """Regression (issue 13): pyshacl nests the sh:or failures of pmsh:DateValue under sh:detail;
    counting every sh:ValidationResult counted one mistyped date twice, once without a YAML line."""
    from pyshacl import validate

    node = URIRef("https://w3id.org/pmkg/id/collaboration/x")
    data = Graph()
    data.add((node, PM.start, Literal("last spring")))
    shapes = load_shapes(ROOT / "ontology" / "shapes.ttl")
    _conforms, report, _text = validate(data, shacl_graph=shapes, inference="none", allow_warnings=True)
    nested = set(report.subjects(RDF.type, SH.ValidationResult))
    assert len(nested) > 1  # what the old count saw
    results = [r for r in shacl_results(data, shapes) if r[0] == node and r[1] == str(PM.start)]
    assert len(results) == 1
    assert results[0][3] == str(SH.Violation) and "start date MUST" in results[0][2]


NEW_ACTOR = """actors:
  - id: cache-test-institute
    label: Cache Test Institute
    located_in: [germany]
    source: {doc: causio-2023, at: "Table 1, row 1"}
"""


def test_a_changed_record_invalidates_the_reasoning_and_shacl_caches(tmp_path: Path):
    root = make_project(tmp_path / "proj", FIXTURES / "kitchen_sink")
    paths = Paths(root=root)
    first = build(paths)
    assert first.cached == ()
    again = build(paths)
    assert again.cached == ("reason", "validate")
    assert again.inferred == first.inferred and again.warnings == first.warnings
    (root / "kg" / "zz-new.yaml").write_text(NEW_ACTOR, encoding="utf-8")
    changed = build(paths)
    assert changed.cached == ()
    actor = URIRef("https://w3id.org/pmkg/id/actor/cache-test-institute")
    assert (actor, RDF.type, URIRef("http://www.w3.org/ns/org#Organization")) in changed.inferred  # HermiT ran
    assert changed.changes["files"] == ["kg/zz-new.yaml"] and changed.changes["records"] == {"actors": 1}
    assert changed.changes["triples_added"] > 0 and changed.changes["triples_removed"] == 0


def test_a_cache_entry_for_other_input_is_never_used(tmp_path: Path):
    """A tampered cache (right name, wrong key) is ignored: the key is the fingerprint of the input."""
    root = make_project(tmp_path / "proj", FIXTURES / "kitchen_sink")
    paths = Paths(root=root)
    first = build(paths)
    entry = root / "dist" / "cache" / "reason.json"
    cached = json.loads(entry.read_text(encoding="utf-8"))
    entry.write_text(json.dumps({"key": "0" * 64, "types": cached["types"][:1]}), encoding="utf-8")
    again = build(paths)
    assert "reason" not in again.cached and again.inferred == first.inferred


def test_prediction_of_hermit_equals_its_answer_on_the_kitchen_sink(sink_build):
    from pmkg.reason import rdfs_types
    root, result = sink_build
    ontology = Graph().parse(root / "ontology" / "pmkg.ttl", format="turtle")
    assert rdfs_types(ontology, result.mapped) == result.types  # HermiT's part of the inferred graph


def test_a_wrong_prediction_of_hermit_is_validated_again(tmp_path: Path, monkeypatch):
    """SHACL runs beside HermiT on a predicted answer; when the prediction is wrong (here: forced
    empty), the graph with HermiT's real answer is validated, and that is the result kept."""
    from importlib.metadata import version

    import pmkg.reason
    from pmkg.pipeline import triples_key
    from pmkg.store import nt_lines
    root = make_project(tmp_path / "proj", FIXTURES / "kitchen_sink")
    monkeypatch.setattr(pmkg.reason, "rdfs_types", lambda _ontology, _mapped: set())
    paths = Paths(root=root)
    result = build(paths)
    assert result.cached == () and len(result.inferred) > 0
    asserted = [t for part in (result.mapped.graphs, result.mapped.provenance) for ts in part.values() for t in ts]
    expected = triples_key(f"pyshacl {version('pyshacl')}", [paths.shapes, paths.ontology],
                           [nt_lines(asserted), nt_lines(result.types)])
    assert json.loads((root / "dist" / "cache" / "validate.json").read_text(encoding="utf-8"))["key"] == expected


def test_dist_is_copied_only_when_written_from_the_same_input(tmp_path: Path):
    """An unchanged rebuild copies the previous exports and store; a new import file does not."""
    root = make_project(tmp_path / "proj", FIXTURES / "kitchen_sink")
    paths = Paths(root=root)
    build(paths)
    first = (root / "dist" / "pmkg.nt").read_bytes()
    build(paths)
    assert (root / "dist" / "pmkg.nt").read_bytes() == first
    (root / "imports").mkdir()
    paper = "<https://w3id.org/pmkg/id/paper/p1> <http://www.w3.org/2000/01/rdf-schema#label> \"P1\" " \
            "<https://w3id.org/pmkg/id/document/import-x> .\n"
    (root / "imports" / "x.nq").write_text(paper, encoding="utf-8")
    build(paths)
    store = ox.Store.read_only(str(root / "dist" / "store"))
    assert list(store.quads_for_pattern(ox.NamedNode("https://w3id.org/pmkg/id/paper/p1"), None, None))
    assert (root / "dist" / "pmkg.nt").read_bytes() == first  # the file exports hold the curated graph only


def _store_quads(dist: Path) -> list[ox.Quad]:
    store = ox.Store.read_only(str(dist / "store"))
    quads = list(store)
    del store
    return quads


def test_an_edit_patches_the_previous_store_into_what_a_whole_load_gives(tmp_path: Path, monkeypatch):
    """After a one-record edit the store is the previous one with the changed quads applied: the same
    quads as a store loaded whole from the same input (blank nodes aside, as each load names them)."""
    from pmkg import store as st

    root = make_project(tmp_path / "proj", FIXTURES / "kitchen_sink")
    build(Paths(root=root))
    outcomes: list[bool] = []
    patch = st._patch_store
    monkeypatch.setattr(st, "_patch_store", lambda *args: outcomes.append(patch(*args)) or outcomes[-1])
    (root / "kg" / "zz-new.yaml").write_text(NEW_ACTOR, encoding="utf-8")
    build(Paths(root=root))
    assert outcomes == [True]
    whole = make_project(tmp_path / "whole", FIXTURES / "kitchen_sink")
    (whole / "kg" / "zz-new.yaml").write_text(NEW_ACTOR, encoding="utf-8")
    build(Paths(root=whole))
    patched, expected = _store_quads(root / "dist"), _store_quads(whole / "dist")
    assert len(patched) == len(expected) and _ground(patched) == _ground(expected)
    assert _count_blank(patched) == _count_blank(expected) > 0
    exported = list(ox.parse(path=str(root / "dist" / "pmkg.nq"), format=ox.RdfFormat.N_QUADS))
    assert len(exported) == len(patched) and _ground(exported) == _ground(patched)


def test_a_store_written_since_the_build_is_loaded_whole_not_patched(tmp_path: Path):
    """A quad put into the store after the build (its files changed) is not carried into the next one:
    the store is loaded whole from the new input."""
    from pmkg.store import open_writable

    root = make_project(tmp_path / "proj", FIXTURES / "kitchen_sink")
    build(Paths(root=root))
    stray = ox.Quad(ox.NamedNode("urn:stray"), ox.NamedNode("urn:p"), ox.Literal("x"), ox.NamedNode("urn:g"))
    store = open_writable(root / "dist")
    store.add(stray)
    store.flush()
    del store
    (root / "kg" / "zz-new.yaml").write_text(NEW_ACTOR, encoding="utf-8")
    build(Paths(root=root))
    assert stray not in set(_store_quads(root / "dist"))


def test_a_changed_ontology_is_loaded_whole_into_the_store(tmp_path: Path):
    """The store's ontology graph is kept by a patch only when the ontology file is the one it holds: a
    new blank node in the ontology reaches the store."""
    root = make_project(tmp_path / "proj", FIXTURES / "kitchen_sink")
    build(Paths(root=root))
    before = _count_blank(_store_quads(root / "dist"))
    ontology = root / "ontology" / "pmkg.ttl"
    extra = '\n<https://w3id.org/pmkg/ontology#Actor> <http://www.w3.org/2000/01/rdf-schema#seeAlso> ' \
            '[ <http://www.w3.org/2000/01/rdf-schema#label> "extra" ] .\n'
    ontology.write_text(ontology.read_text(encoding="utf-8") + extra, encoding="utf-8")
    build(Paths(root=root))
    stored = _store_quads(root / "dist")
    exported = list(ox.parse(path=str(root / "dist" / "pmkg.nq"), format=ox.RdfFormat.N_QUADS))
    assert _count_blank(stored) == _count_blank(exported) == before + 2
    assert _ground(stored) == _ground(exported)
