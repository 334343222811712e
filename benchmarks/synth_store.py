"""A store of N copies of a built graph, without running the build N times (for the 100x query benchmark).

The real 100x build (benchmarks/synth.py + the pipeline) needs ~14 GB and most of an hour (reasoning,
validation); the query benchmark needs only the data. This copies a built store's quads N times the way
benchmarks/synth.py copies the curated records: IRIs of places, topics, documents and concepts (and
concept schemes) are shared, every other IRI under https://w3id.org/pmkg/id/ (actors, statements,
citations, partner evidence ...) gets ``-sK`` appended in copy K, blank nodes likewise. The reasoner's
types and the materialised facts (src/pmkg/materialise.py: pm:withinPlace, pm:region, pm:withinTopic)
are copied with the rest: a copy has the types and places of its original, since copies share only
places and topics. ``--check`` runs the materialisation step again on the whole store and says whether
it gives exactly the copied facts (it does at 2x; at 100x the step alone takes far longer than the copy).

Differences from the real N x build, on purpose and small: the partner evidence is copied within each
copy (the real build would compute TF-IDF over all copies and could suggest a candidate of another copy;
it keeps 25 per cluster either way), and a reified statement about a shared place or topic is repeated
in each copy (the real build states it once).

    .venv/bin/python benchmarks/synth_store.py --copies 100 --dist dist --out benchmarks/.cache/dist-100
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
from rdflib import URIRef

from pmkg.materialise import DEFINITIONS, materialised_in
from pmkg.namespaces import ID, INFERRED_GRAPH
from pmkg.vocab import PM

SHARED_SEGMENTS = {"place", "topic", "document", "concept", "scheme"}
Term = ox.NamedNode | ox.BlankNode | ox.Literal


def renamed(term: Term, suffix: str) -> Term:
    """The term in the copy with ``suffix``: shared and ontology IRIs and literals unchanged."""
    if isinstance(term, ox.BlankNode):
        return ox.BlankNode(term.value + suffix.replace("-", "_"))
    if isinstance(term, ox.NamedNode) and term.value.startswith(ID):
        segment = term.value[len(ID):].split("/", 1)[0]
        if segment not in SHARED_SEGMENTS:
            return ox.NamedNode(term.value + suffix)
    return term


def copies_of(quads: list[ox.Quad], copies: int) -> Iterator[ox.Quad]:
    for k in range(copies):
        suffix = f"-s{k}" if k else ""
        for q in quads:
            yield q if not k else ox.Quad(renamed(q.subject, suffix), q.predicate, renamed(q.object, suffix),
                                          q.graph_name)


def synthesise(dist: Path, out: Path, copies: int) -> int:
    """Write ``out``/store (replaced) with ``copies`` copies of ``dist``/store; its quad count."""
    source = ox.Store.read_only(str(dist / "store"))
    quads = list(source.quads_for_pattern(None, None, None, None))
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    store = ox.Store(str(out / "store"))
    store.bulk_extend(copies_of(quads, copies))
    store.flush()
    store.optimize()
    return len(store)


def check(out: Path) -> bool:
    """Whether the materialisation step over the copied store gives exactly its copied facts."""
    store = ox.Store.read_only(str(out / "store"))
    stored = {(URIRef(q.subject.value), URIRef(q.predicate.value), URIRef(q.object.value))
              for p in DEFINITIONS for q in store.quads_for_pattern(None, ox.NamedNode(str(PM[p])), None,
                                                                    ox.NamedNode(str(INFERRED_GRAPH)))}
    return stored == materialised_in(store)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=100)
    parser.add_argument("--dist", type=Path, default=Path("dist"), help="the 1x build to copy")
    parser.add_argument("--out", type=Path, required=True, help="written: OUT/store")
    parser.add_argument("--check", action="store_true", help="rerun the materialisation and compare")
    args = parser.parse_args()
    start = time.perf_counter()
    n = synthesise(args.dist, args.out, args.copies)
    print(f"{args.copies}x: {n} quads in {args.out}/store in {time.perf_counter() - start:.0f} s", flush=True)
    if args.check:
        same = check(args.out)
        print("materialisation step over the copies gives " + ("exactly the copied facts" if same else
                                                                "OTHER facts than the copied ones"))
        return 0 if same else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
