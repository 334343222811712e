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
from pmkg.safety import clean_leftovers, disk_errors, file_state, project_lock, swap_in

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
    The manifest records which import files the store holds (``imports``), so a
    later import or a crash between the two copies is noticed (:func:`sync_imports`).
    Holds the project lock, so a build and an import never write at once.
    """
    dist = dist.resolve()
    with disk_errors(dist.parent):
        dist.parent.mkdir(parents=True, exist_ok=True)
    with project_lock(dist, "the build"):
        clean_leftovers(dist)
        with disk_errors(dist.parent):
            tmp = Path(tempfile.mkdtemp(prefix=".dist-", dir=dist.parent))
        try:
            with disk_errors(tmp):
                _write_outputs(tmp, quads, ontology, {**manifest, "imports": {}}, imports)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        swap_in(tmp, dist)


def _write_outputs(tmp: Path, quads: list[Quad], ontology: Graph, manifest: dict, imports: Path | None) -> None:
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
        manifest["imports"][extra.name] = file_state(extra)
        store.bulk_load(path=str(extra), format=ox.RdfFormat.N_QUADS)
    store.flush()
    store.dump(str(tmp / "pmkg.trig"), ox.RdfFormat.TRIG, prefixes=PREFIXES)
    store.dump(str(tmp / "pmkg.jsonld"), ox.RdfFormat.JSON_LD)
    del store
    gc.collect()
    write_manifest(tmp, manifest)
    os.chmod(tmp, 0o755)  # mkdtemp made it 0700


def _write_union_turtle(path: Path, nt: str) -> None:
    """Turtle of the union graph, in the (sorted) order of the N-Triples."""
    triples = ox.parse(nt.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
    ox.serialize(triples, str(path), format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)


def read_manifest(dist: Path) -> dict | None:
    path = dist / MANIFEST
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # unreadable or half-written: treated as missing, so the next command rebuilds


def write_manifest(dist: Path, manifest: dict) -> None:
    """Write ``build.json`` atomically (temp file, fsync, rename)."""
    path = dist / MANIFEST
    tmp = path.with_name(f".{MANIFEST}.{os.getpid()}")
    with disk_errors(path):
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)


def open_store(dist: Path) -> ox.Store:
    """Open the built store read-only."""
    path = dist / STORE_DIR
    if not path.is_dir():
        raise PmkgError(f"no built store at {path}", hint="run `pmkg build` first")
    try:
        return ox.Store.read_only(str(path))
    except OSError as exc:
        raise PmkgError(f"cannot open the store at {path}: {exc}", hint="rebuild with `pmkg build`") from exc


def open_writable(dist: Path) -> ox.Store:
    """Open the built store for writing, with a message that says why it cannot be."""
    path = dist / STORE_DIR
    if not path.is_dir():
        raise PmkgError(f"no built store at {path}", hint="run `pmkg build` first")
    if not os.access(path, os.W_OK) or any(not os.access(p, os.W_OK) for p in path.iterdir() if p.is_file()):
        raise PmkgError(f"the store at {path} is read-only", hint="make it writable (chmod -R u+w) or rebuild")
    try:
        return ox.Store(str(path))
    except OSError as exc:
        if any(m in str(exc) for m in ("No space left", "File too large", "Disk quota")):
            raise PmkgError(f"disk full while opening the store at {path} for writing: {exc}",
                            hint="free some space and run it again; nothing was replaced") from exc
        if any(m in str(exc) for m in ("Read-only", "Permission denied")):
            raise PmkgError(f"the store at {path} is read-only: {exc}",
                            hint="make it writable (chmod -R u+w) or rebuild") from exc
        raise PmkgError(f"cannot open the store at {path} for writing: {exc}",
                        hint="another process (pmkg serve?) may hold it; retry when it has finished") from exc


def import_graph(name: str) -> ox.NamedNode:
    """The named graph of ``imports/<id>.nq``."""
    from pmkg.importers.to_rdf import graph_iri
    return graph_iri(Path(name).stem)


def import_states(imports: Path | None) -> dict[str, list[int]]:
    if imports is None or not imports.is_dir():
        return {}
    return {p.name: file_state(p) for p in sorted(imports.glob("*.nq")) if not p.name.startswith(".")}


def stale_imports(dist: Path, imports: Path | None) -> list[str]:
    """Import files the store does not hold as they are on disk (changed, new, removed, or
    left in flux by an import that was killed or failed between the file and the store)."""
    manifest = read_manifest(dist)
    if manifest is None:
        return []
    held = manifest.get("imports") or {}
    current = import_states(imports)
    return sorted(n for n in set(held) | set(current) if held.get(n) != current.get(n))


def set_import_state(dist: Path, name: str, state: list[int] | None) -> None:
    """Record in the manifest what the store holds of ``imports/<name>`` (None: in flux)."""
    manifest = read_manifest(dist)
    if manifest is None:
        return
    manifest.setdefault("imports", {})[name] = state
    write_manifest(dist, manifest)


def reload_imports(store: ox.Store, dist: Path, imports: Path, names: list[str]) -> None:
    """Replace the graphs of ``names`` in the store by the files' content (the files are the truth)."""
    with disk_errors(dist / STORE_DIR):
        for name in names:
            graph = import_graph(name)
            if store.contains_named_graph(graph):
                store.remove_graph(graph)
            path = imports / name
            if path.is_file():
                store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
        store.flush()
    manifest = read_manifest(dist) or {}
    states = import_states(imports)
    held = manifest.setdefault("imports", {})
    for name in names:
        if name in states:
            held[name] = states[name]
        else:
            held.pop(name, None)
    write_manifest(dist, manifest)


def sync_imports(dist: Path, imports: Path | None) -> list[str]:
    """Recovery at start: reload the import graphs whose files and store disagree."""
    if imports is None or not stale_imports(dist, imports):
        return []
    with project_lock(dist, "the import recovery"):
        clean_leftovers(dist.resolve(), imports)
        names = stale_imports(dist, imports)
        if names:
            store = open_writable(dist)
            try:
                reload_imports(store, dist, imports, names)
            finally:
                del store
                gc.collect()
        return names
