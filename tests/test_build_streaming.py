"""The build's memory-light paths give what the in-memory ones gave (issue 9, peak memory at 100x):
the exports streamed from the store, the external sort, the triple counts by merge, the partner
evidence from only the predicates its queries read - checked on the curated graph."""

from __future__ import annotations

import random
from pathlib import Path

import pyoxigraph as ox
import pytest

from pmkg import store as st
from pmkg.namespaces import INFERRED_GRAPH, ONTOLOGY_GRAPH
from pmkg.pipeline import Lines, unique_sorted
from pmkg.store import count_changes, nquads_text, nt_lines, write_sorted

ONTOLOGY = ox.NamedNode(str(ONTOLOGY_GRAPH))


def _in_memory_exports(result, ontology: Path) -> tuple[str, str, list[ox.Quad]]:
    """The writer before it streamed: one N-Quads string through an in-memory store; the sorted
    N-Quads and N-Triples texts and the canonical quads graph by graph."""
    lines = Lines.of(result.mapped)
    lines.inferred = nt_lines(result.inferred)
    text = nquads_text([*lines.graphs.items(), *lines.provenance.items(),
                        (INFERRED_GRAPH, sorted(lines.inferred))])
    memory = ox.Store()
    memory.bulk_load(input=text.encode("utf-8"), format=ox.RdfFormat.N_QUADS)
    memory.bulk_load(path=str(ontology), format=ox.RdfFormat.TURTLE, to_graph=ONTOLOGY)
    graphs = sorted(memory.named_graphs(), key=str)
    canonical = [q for g in graphs for q in memory.quads_for_pattern(None, None, None, g)]
    nt = sorted({f"{q.triple} .\n" for q in canonical if q.graph_name != ONTOLOGY})
    return "".join(sorted(f"{q} .\n" for q in canonical)), "".join(nt), canonical


def _ground_lines(text: str) -> list[str]:
    return [line for line in text.splitlines(keepends=True) if "_:" not in line]


def _ground(quads) -> set[ox.Quad]:
    return {q for q in quads if not any(isinstance(t, ox.BlankNode) for t in (q.subject, q.object))}


@pytest.fixture(scope="module")
def reference(real_build):
    root, result = real_build
    return _in_memory_exports(result, root / "ontology" / "pmkg.ttl")


def test_streamed_ntriples_and_turtle_are_byte_for_byte_the_in_memory_ones(real_build, reference):
    root, _result = real_build
    _nq, nt, _quads = reference
    dist = root / "dist"
    assert (dist / "pmkg.nt").read_text(encoding="utf-8") == nt
    triples = ox.parse(nt.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
    expected = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=st.PREFIXES)
    assert (dist / "pmkg.ttl").read_bytes() == expected


def test_streamed_nquads_are_the_in_memory_ones_but_for_blank_node_labels(real_build, reference):
    """The ontology's blank nodes are named anew by every parse; every other line is identical, in order."""
    root, _result = real_build
    nq, _nt, _quads = reference
    got = (root / "dist" / "pmkg.nq").read_text(encoding="utf-8")
    assert _ground_lines(got) == _ground_lines(nq)
    assert got.count("\n") == nq.count("\n") and got.count("_:") == nq.count("_:")


def test_streamed_trig_jsonld_and_store_hold_the_in_memory_quads_term_for_term(real_build, reference):
    root, _result = real_build
    _nq, _nt, quads = reference
    dist = root / "dist"
    for name, fmt in (("pmkg.trig", ox.RdfFormat.TRIG), ("pmkg.jsonld", ox.RdfFormat.JSON_LD)):
        got = list(ox.parse(path=str(dist / name), format=fmt))
        assert len(got) == len(quads) and _ground(got) == _ground(quads), name
    stored = ox.Store.read_only(str(dist / "store"))
    assert _ground(stored) >= _ground(quads)


def test_a_small_sort_run_writes_the_same_exports(real_build, tmp_path, monkeypatch):
    """The external merge sort (many runs) gives the files the one-run sort gives."""
    root, result = real_build
    lines = Lines.of(result.mapped)
    lines.inferred = nt_lines(result.inferred)
    monkeypatch.setattr(st, "SORT_RUN_LINES", 5_000)
    dist = tmp_path / "dist"
    st.write_dist(dist, lines.nquad_graphs(), root / "ontology" / "pmkg.ttl", {"summary": {}})
    assert (dist / "pmkg.nt").read_bytes() == (root / "dist" / "pmkg.nt").read_bytes()
    assert _ground_lines((dist / "pmkg.nq").read_text(encoding="utf-8")) == \
        _ground_lines((root / "dist" / "pmkg.nq").read_text(encoding="utf-8"))


def test_write_sorted_and_count_changes_agree_with_sets(tmp_path, monkeypatch):
    rng = random.Random(9)
    lines = [f"<x{rng.randrange(3000)}> <p> \"é{rng.randrange(50)}\u4e2d\" .\n" for _ in range(10_000)]
    monkeypatch.setattr(st, "SORT_RUN_LINES", 700)
    write_sorted(iter(lines), tmp_path / "all.nt")
    write_sorted(iter(lines), tmp_path / "unique.nt", unique=True)
    assert (tmp_path / "all.nt").read_text(encoding="utf-8") == "".join(sorted(lines))
    assert (tmp_path / "unique.nt").read_text(encoding="utf-8") == "".join(sorted(set(lines)))
    assert not list(tmp_path.glob(".*run*"))  # the runs are removed
    other = set(lines[:6000]) | {f"<y{i}> <p> <o> .\n" for i in range(77)}
    write_sorted(iter(other), tmp_path / "other.nt", unique=True)
    added, removed = count_changes(tmp_path / "unique.nt", tmp_path / "other.nt")
    assert (added, removed) == (len(other - set(lines)), len(set(lines) - other))


def test_unique_sorted_is_sorted_set():
    groups = [["b", "a", "c"], ["c", "d"], [], ["a"]]
    assert list(unique_sorted(groups)) == sorted({x for g in groups for x in g})


def test_partner_evidence_reads_only_what_its_queries_need(real_build):
    """Fed only the triples under a predicate its queries name, the evidence is the same as from all."""
    from rdflib import Graph

    from pmkg.materialise import _ox
    from pmkg.similarity import READS, evidence_triples, partner_evidence
    root, result = real_build
    ontology = Graph().parse(root / "ontology" / "pmkg.ttl", format="turtle")
    triples = [*ontology, *(q[:3] for q in result.mapped.quads()), *result.types, *result.materialised]
    everything = ox.Store()
    everything.extend(ox.Quad(_ox(s), _ox(p), _ox(o)) for s, p, o in triples)
    assert sum(1 for t in triples if t[1] in READS) < len(triples) / 2
    assert partner_evidence(triples) == evidence_triples(everything) == result.evidence


def test_the_streamed_writer_and_the_in_memory_one_write_the_same_exports(real_build, tmp_path, monkeypatch):
    """Above MEMORY_WRITE_MAX_BYTES the writer streams chunk by chunk; below it one in-memory store dumps
    the canonical N-Quads, TriG and JSON-LD: the two give the same files (TriG, JSON-LD and the ontology's
    Turtle term for term, blank nodes aside, as their order and labels are the writer's own)."""
    root, result = real_build
    lines = Lines.of(result.mapped)
    lines.inferred = nt_lines(result.inferred)
    ontology = root / "ontology" / "pmkg.ttl"
    made = {}
    for label, limit in (("memory", 1 << 40), ("streamed", 0)):
        monkeypatch.setattr(st, "MEMORY_WRITE_MAX_BYTES", limit)
        made[label] = tmp_path / label
        st.write_dist(made[label], lines.nquad_graphs(), ontology, {"summary": {}})
    memory, streamed = made["memory"], made["streamed"]
    for name in ("pmkg.nt", "pmkg.ttl"):
        assert (memory / name).read_bytes() == (streamed / name).read_bytes(), name
    nq = [(d / "pmkg.nq").read_text(encoding="utf-8") for d in (memory, streamed)]
    assert _ground_lines(nq[0]) == _ground_lines(nq[1]) and nq[0].count("_:") == nq[1].count("_:")
    for name, fmt in (("pmkg.trig", ox.RdfFormat.TRIG), ("pmkg.jsonld", ox.RdfFormat.JSON_LD),
                      ("ontology.ttl", ox.RdfFormat.TURTLE)):
        a, b = (list(ox.parse(path=str(d / name), format=fmt)) for d in (memory, streamed))
        assert len(a) == len(b) and _ground(a) == _ground(b), name
    stores = [set(ox.Store.read_only(str(d / "store"))) for d in (memory, streamed)]
    assert len(stores[0]) == len(stores[1]) and _ground(stores[0]) == _ground(stores[1])


def test_spilled_reification_lines_are_the_in_memory_ones(real_build, monkeypatch):
    """Above SPILL_PROVENANCE_LINES the reification's lines go to a temp file: each graph's lines, the
    union used for keys and counts, and what the writer is handed are those of the in-memory lists."""
    from pmkg import pipeline

    _root, result = real_build
    kept = Lines.of(result.mapped)
    monkeypatch.setattr(pipeline, "SPILL_PROVENANCE_LINES", 0)
    spilled = Lines.of(result.mapped)
    assert spilled.provenance_all is not None and kept.provenance_all is None
    assert {g: list(ls) for g, ls in spilled.provenance.items()} == kept.provenance
    assert {g: len(ls) for g, ls in spilled.provenance.items()} == {g: len(ls) for g, ls in kept.provenance.items()}
    assert list(unique_sorted(spilled.all())) == list(unique_sorted(kept.all()))
    assert [(g, list(ls)) for g, ls in spilled.nquad_graphs()] == kept.nquad_graphs()
    folder = spilled.provenance_all.path.parent
    del spilled
    import gc
    gc.collect()
    assert not folder.exists()  # the temp file goes with its Lines


def test_the_reification_made_on_demand_is_what_the_mapper_reified(real_build):
    """Mapped keeps (triple, citation) pairs; each gives one rdf:Statement with its five triples."""
    from rdflib import RDF

    from pmkg.namespaces import PM

    _root, result = real_build
    mapped = result.mapped
    for graph, entries in mapped.reified.items():
        triples = mapped.provenance_triples(graph)
        by_statement: dict = {}
        for s, p, o in triples:
            by_statement.setdefault(s, {})[p] = o
        assert len(triples) == 5 * len(by_statement)
        made = {(d[RDF.subject], d[RDF.predicate], d[RDF.object], d[PM.citation]) for d in by_statement.values()
                if d[RDF.type] == RDF.Statement}
        assert made == {(*t, cite) for t, cite in entries}


def test_canonical_chunks_read_the_file_a_chunk_at_a_time(tmp_path, monkeypatch):
    """Regression (session 9): _canonical_chunks put every chunk of the curated N-Quads in a list before
    converting the first one, so the whole file (1.5 GB at 100x) stayed in memory through the write stage.
    Now the file is read a chunk ahead of the chunk converted, and every line still comes out once."""
    lines = [f"<https://w3id.org/pmkg/id/s{i}> <https://w3id.org/pmkg/ontology#p> \"{i}\" <https://w3id.org/pmkg/g> .\n"
             for i in range(2000)]
    nquads = tmp_path / "in.nq"
    nquads.write_text("".join(lines), encoding="utf-8")
    ontology = tmp_path / "onto.ttl"
    ontology.write_text("<https://w3id.org/pmkg/ontology#p> a <http://www.w3.org/2002/07/owl#DatatypeProperty> .\n")
    monkeypatch.setattr(st, "LOAD_CHUNK_BYTES", 4096)
    read: list[bytes] = []
    real = st.line_chunks

    def counted(path: Path):
        for chunk in real(path):
            read.append(chunk)
            yield chunk

    monkeypatch.setattr(st, "line_chunks", counted)
    chunks = st._canonical_chunks(nquads, ontology)
    first = next(chunks)
    assert len(read) == 1, f"{len(read)} chunks read to convert the first"
    out = (first + b"".join(chunks)).decode("utf-8").splitlines(keepends=True)
    assert len(read) > 20
    assert sorted(out[:-1]) == sorted(lines) and "DatatypeProperty" in out[-1]
