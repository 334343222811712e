"""Stage 5: write ``dist/`` atomically - Turtle, N-Triples, TriG, JSON-LD and an
on-disk Oxigraph store - and open it again for queries.

The build is written into a temporary sibling folder and swapped in with two
renames only when everything has been written, so a failed build leaves the
previous ``dist/`` byte for byte untouched.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef

from pmkg.errors import PmkgError
from pmkg.namespaces import ONTOLOGY_GRAPH

Quad = tuple[URIRef, URIRef, URIRef | Literal, URIRef]
MANIFEST = "build.json"
STORE_DIR = "store"
PREFIXES = {
    "pm": "https://w3id.org/pmkg/ontology#", "skos": "http://www.w3.org/2004/02/skos/core#",
    "org": "http://www.w3.org/ns/org#", "schema": "https://schema.org/", "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/", "prov": "http://www.w3.org/ns/prov#",
    "actor": "https://w3id.org/pmkg/id/actor/", "place": "https://w3id.org/pmkg/id/place/",
    "doc": "https://w3id.org/pmkg/id/document/",
}


_ESCAPES = {ord("\\"): "\\\\", ord('"'): '\\"', ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t",
            **{c: f"\\u{c:04X}" for c in [*range(0x20), 0x7F] if c not in (9, 10, 13)}}


def nt_term(term: URIRef | Literal) -> str:
    """One term in N-Triples syntax.  rdflib's ``n3()`` writes a literal holding a newline as a
    triple-quoted Turtle string, which N-Triples forbids (a curated note with a blank line
    crashed the write stage); here every line break and control character is escaped."""
    if isinstance(term, Literal):
        text = '"' + str(term).translate(_ESCAPES) + '"'
        if term.language:
            return f"{text}@{term.language}"
        return f"{text}^^<{term.datatype}>" if term.datatype else text
    return term.n3()


def ntriples_lines(quads: Iterable[Quad]) -> list[str]:
    """Sorted, de-duplicated N-Triples lines of the union of the quads (deterministic)."""
    return sorted({f"{nt_term(s)} {nt_term(p)} {nt_term(o)} .\n" for s, p, o, _g in quads})


def nquads_lines(quads: Iterable[Quad]) -> list[str]:
    return sorted({f"{nt_term(s)} {nt_term(p)} {nt_term(o)} {nt_term(g)} .\n" for s, p, o, g in quads})


def write_dist(dist: Path, quads: list[Quad], ontology: Graph, manifest: dict, imports: Path | None = None) -> None:
    """Write every output into a temp folder, then swap it in for ``dist``.

    Imported paper-level data (``imports/*.nq``, written by ``pmkg import``) is
    loaded into the new store too, so a rebuild of the curated graph keeps it;
    the file exports hold the curated graph only.  The store dumps TriG and
    JSON-LD itself (rdflib's JSON-LD writer was 15x slower, see benchmarks/).
    """
    dist = dist.resolve()
    dist.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".dist-", dir=dist.parent))
    try:
        data_quads = [q for q in quads if q[3] != ONTOLOGY_GRAPH]
        nt = "".join(ntriples_lines(data_quads))
        (tmp / "pmkg.nt").write_text(nt, encoding="utf-8")
        nq = "".join(nquads_lines(quads))
        (tmp / "pmkg.nq").write_text(nq, encoding="utf-8")
        _write_union_turtle(tmp / "pmkg.ttl", nt)
        ontology.serialize(tmp / "ontology.ttl", format="turtle", encoding="utf-8")
        store = ox.Store(str(tmp / STORE_DIR))
        store.bulk_load(input=nq.encode("utf-8"), format=ox.RdfFormat.N_QUADS)
        for extra in sorted(imports.glob("*.nq")) if imports and imports.is_dir() else []:
            store.bulk_load(path=str(extra), format=ox.RdfFormat.N_QUADS)
        store.flush()
        store.dump(str(tmp / "pmkg.trig"), ox.RdfFormat.TRIG, prefixes=PREFIXES)
        store.dump(str(tmp / "pmkg.jsonld"), ox.RdfFormat.JSON_LD)
        del store
        gc.collect()
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if dist.exists():
        old = dist.parent / f".dist-old-{os.getpid()}"
        os.rename(dist, old)
    os.rename(tmp, dist)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _write_union_turtle(path: Path, nt: str) -> None:
    """Turtle of the union graph, in the (sorted) order of the N-Triples."""
    triples = ox.parse(nt.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
    ox.serialize(triples, str(path), format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)


def read_manifest(dist: Path) -> dict | None:
    path = dist / MANIFEST
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def open_store(dist: Path) -> ox.Store:
    """Open the built store read-only."""
    path = dist / STORE_DIR
    if not path.is_dir():
        raise PmkgError(f"no built store at {path}", hint="run `pmkg build` first")
    try:
        return ox.Store.read_only(str(path))
    except OSError as exc:
        raise PmkgError(f"cannot open the store at {path}: {exc}", hint="rebuild with `pmkg build`") from exc
