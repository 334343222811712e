"""Stage 5: write ``dist/`` atomically - N-Quads, N-Triples, Turtle, TriG, JSON-LD and an
on-disk Oxigraph store - and open it again for queries.

The build is written into a temporary sibling folder and swapped in with two
renames only when everything has been written, so a failed build leaves the
previous ``dist/`` byte for byte untouched.

Every export is written from what the store holds, so each typed literal has one
lexical form everywhere: Oxigraph's canonical one (``"15"^^xsd:decimal``, not
rdflib's ``"15.0"``).  N-Quads and N-Triples are sorted, so unchanged data gives
byte-identical files.

Nothing is held whole in memory (issue 9: at 100x the curated graph the writer
alone held ~14 GB): the data goes to a file line by line, is canonicalised and
bulk-loaded a chunk at a time, and each export is streamed from the canonical
file; the sorted ones through an external merge sort (:func:`write_sorted`).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import heapq
import itertools
import json
import os
import shutil
import tempfile
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from pmkg.errors import PmkgError
from pmkg.safety import clean_leftovers, disk_errors, file_state, project_lock, swap_in

if TYPE_CHECKING:
    from rdflib import Literal, URIRef
    from rdflib.term import Node

    Quad = tuple[URIRef, URIRef, URIRef | Literal, URIRef]

MANIFEST = "build.json"
STORE_DIR = "store"
CACHE_DIR = "cache"
PREFIXES = {
    "pm": "https://w3id.org/pmkg/ontology#", "skos": "http://www.w3.org/2004/02/skos/core#",
    "org": "http://www.w3.org/ns/org#", "schema": "https://schema.org/", "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/", "prov": "http://www.w3.org/ns/prov#",
    "actor": "https://w3id.org/pmkg/id/actor/", "place": "https://w3id.org/pmkg/id/place/",
    "doc": "https://w3id.org/pmkg/id/document/",
}
EXPORTS = ("pmkg.nq", "pmkg.nt", "pmkg.ttl", "pmkg.trig", "pmkg.jsonld")


_ESCAPES = {ord("\\"): "\\\\", ord('"'): '\\"', ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t",
            **{c: f"\\u{c:04X}" for c in [*range(0x20), 0x7F] if c not in (9, 10, 13)}}


def nt_term(term: Node) -> str:
    """N-Triples text of an rdflib term.  rdflib's ``n3()`` re-validates every IRI (5x slower) and
    writes a literal holding a newline as a triple-quoted Turtle string, which N-Triples forbids
    (a curated note with a blank line crashed the write stage); here every line break and
    control character of a literal is escaped."""
    from rdflib import BNode, URIRef

    return _nt(term, URIRef, BNode)


def _nt(term: Node, uri: type, blank: type) -> str:
    kind = type(term)
    if kind is uri:
        return f"<{term}>"
    if kind is blank:
        return f"_:{term}"
    text = '"' + str(term).translate(_ESCAPES) + '"'
    if term.language:
        return f"{text}@{term.language}"
    return f"{text}^^<{term.datatype}>" if term.datatype else text


def nt_lines(triples: Iterable[tuple[Node, Node, Node]]) -> list[str]:
    """The N-Triples text of each triple (without the final " ."), in order."""
    from rdflib import BNode, URIRef

    return [f"{_nt(s, URIRef, BNode)} {_nt(p, URIRef, BNode)} {_nt(o, URIRef, BNode)}" for s, p, o in triples]


def ntriples_lines(quads: Iterable[Quad]) -> list[str]:
    """Sorted, de-duplicated N-Triples lines (rdflib's lexical forms) of the union of the quads."""
    return sorted({f"{nt_term(s)} {nt_term(p)} {nt_term(o)} .\n" for s, p, o, _g in quads})


def nquads_text(graphs: Iterable[tuple[str, list[str]]]) -> str:
    """N-Quads of (graph IRI, N-Triples lines) pairs, in rdflib's lexical forms (the store canonicalises them)."""
    return "".join(f"{line} <{g}> .\n" for g, lines in graphs for line in lines)


def write_nquads(path: Path, graphs: Iterable[tuple[str, Iterable[str]]]) -> None:
    """Write the N-Quads of (graph IRI, N-Triples lines) pairs to ``path``, line by line: the same text
    as :func:`nquads_text`, never held as one string."""
    with path.open("w", encoding="utf-8", newline="") as out:
        for g, lines in graphs:
            suffix = f" <{g}> .\n"
            out.writelines(line + suffix for line in lines)


SORT_RUN_LINES = 250_000  # lines held at once by write_sorted (~60 MB of N-Quads text)


def write_sorted(lines: Iterable[str], path: Path, *, unique: bool = False) -> None:
    """Write ``lines`` (each ending in "\\n") to ``path`` in ``sorted`` order, optionally without
    repeats, holding at most :data:`SORT_RUN_LINES` of them: sorted runs go to files beside ``path``
    and are merged.  UTF-8 bytes sort as their code points do, so the merge compares bytes."""
    runs: list[Path] = []
    chunk: list[str] = []
    try:
        for line in lines:
            chunk.append(line)
            if len(chunk) >= SORT_RUN_LINES:
                runs.append(_sorted_run(chunk, path.with_name(f".{path.name}.run{len(runs)}"), unique))
                chunk = []
        if runs:
            runs.append(_sorted_run(chunk, path.with_name(f".{path.name}.run{len(runs)}"), unique))
            _merge(runs, path, unique)
        else:
            _sorted_run(chunk, path, unique)
    finally:
        for run in runs:
            run.unlink(missing_ok=True)


def _sorted_run(lines: list[str], path: Path, unique: bool) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.writelines(sorted(set(lines)) if unique else sorted(lines))
    return path


def _merge(runs: list[Path], path: Path, unique: bool) -> None:
    with contextlib.ExitStack() as stack:
        files = [stack.enter_context(run.open("rb")) for run in runs]
        out = stack.enter_context(path.open("wb"))
        previous = None
        for line in heapq.merge(*files):
            if not (unique and line == previous):
                out.write(line)
            previous = line


def count_changes(old: Path, new: Path) -> tuple[int, int]:
    """(added, removed): lines of the sorted, de-duplicated file ``new`` not in ``old``, and the reverse,
    read side by side (neither file is held in memory)."""
    added = removed = 0
    with old.open("rb") as a, new.open("rb") as b:
        x, y = a.readline(), b.readline()
        while x or y:
            if x and (not y or x < y):
                removed += 1
                x = a.readline()
            elif y and (not x or y < x):
                added += 1
                y = b.readline()
            else:
                x, y = a.readline(), b.readline()
    return added, removed


def _file_lines(path: Path) -> Iterator[str]:
    """The lines of a UTF-8 file, split at "\\n" only (N-Triples escapes every other line break)."""
    with path.open("rb") as fh:
        for raw in fh:
            yield raw.decode("utf-8")


def _canonical_chunks(nquads: Path, ontology: Path) -> Iterator[bytes]:
    """The curated N-Quads and the ontology (into its named graph) as N-Quads with every literal in
    Oxigraph's canonical form (``"15"^^xsd:decimal``, not rdflib's ``"15.0"``), a chunk at a time,
    each through its own small in-memory store (canonical forms are term by term)."""
    from pmkg.namespaces import ONTOLOGY_GRAPH

    # a generator, not a list: a list held every chunk, the whole file (1.5 GB at 100x the curated graph)
    parts = itertools.chain(((chunk, ox.RdfFormat.N_QUADS, {}) for chunk in line_chunks(nquads)),
                            [(ontology.read_bytes(), ox.RdfFormat.TURTLE,
                              {"to_graph": ox.NamedNode(str(ONTOLOGY_GRAPH))})])
    for chunk, fmt, extra in parts:
        memory = ox.Store()
        memory.bulk_load(chunk, format=fmt, **extra)
        text = "".join(f"{q} .\n" for q in memory).encode("utf-8")
        del memory
        trim_heap()  # the loader's threads free into arenas of their own, which glibc keeps otherwise
        yield text


def trim_heap() -> None:
    """Give the C heap's free pages back to the system (glibc's ``malloc_trim``, every arena; nothing
    elsewhere).  Each bulk load's threads leave what they freed in their own malloc arenas: at 30x
    the curated graph the per-chunk stores of :func:`_canonical_chunks` left ~0.5 GB resident."""
    import ctypes
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _write_exports(folder: Path, canonical: Path, memory: ox.Store | None = None) -> None:
    """Every file export from ``canonical`` (the curated data and ontology as the store holds them),
    streamed: N-Quads and N-Triples sorted by :func:`write_sorted`, Turtle from the N-Triples file,
    TriG and JSON-LD re-serialised from ``canonical`` - or dumped by ``memory``, an in-memory store
    holding just those quads with the same blank nodes."""
    from pmkg.namespaces import ONTOLOGY_GRAPH

    onto = ox.NamedNode(str(ONTOLOGY_GRAPH))
    in_onto = f" {onto} .\n"
    if memory is not None:  # small: sorted as bytes in memory (UTF-8 bytes sort as code points do)
        _sort_small(canonical, folder, in_onto.encode())
    else:
        write_sorted(_file_lines(canonical), folder / "pmkg.nq")
        write_sorted((line[: line.rindex(" <")] + " .\n" for line in _file_lines(canonical)
                      if not line.endswith(in_onto)), folder / "pmkg.nt", unique=True)
    ox.serialize(ox.parse(path=str(folder / "pmkg.nt"), format=ox.RdfFormat.N_TRIPLES), str(folder / "pmkg.ttl"),
                 format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
    ontology_prefixes = {**PREFIXES, "owl": "http://www.w3.org/2002/07/owl#",
                         "rdfs": "http://www.w3.org/2000/01/rdf-schema#"}
    datasets = (("pmkg.trig", ox.RdfFormat.TRIG, PREFIXES), ("pmkg.jsonld", ox.RdfFormat.JSON_LD, None))
    if memory is not None:
        memory.dump(str(folder / "ontology.ttl"), format=ox.RdfFormat.TURTLE, from_graph=onto,
                    prefixes=ontology_prefixes)
        for name, fmt, prefixes in datasets:
            memory.dump(str(folder / name), format=fmt, prefixes=prefixes)
        return
    ontology = (q.triple for q in ox.parse(path=str(canonical), format=ox.RdfFormat.N_QUADS) if q.graph_name == onto)
    ox.serialize(ontology, str(folder / "ontology.ttl"), format=ox.RdfFormat.TURTLE, prefixes=ontology_prefixes)
    for name, fmt, prefixes in datasets:
        ox.serialize(ox.parse(path=str(canonical), format=ox.RdfFormat.N_QUADS), str(folder / name), format=fmt,
                     prefixes=prefixes)


def _sort_small(canonical: Path, folder: Path, in_onto: bytes) -> None:
    """pmkg.nq and pmkg.nt of a canonical N-Quads file small enough to hold: what :func:`write_sorted`
    writes (split at "\\n" only, as N-Triples escapes every other line break)."""
    lines = [line + b"\n" for line in canonical.read_bytes().split(b"\n") if line]
    lines.sort()
    (folder / "pmkg.nq").write_bytes(b"".join(lines))
    triples = {line[: line.rindex(b" <")] + b" .\n" for line in lines if not line.endswith(in_onto)}
    (folder / "pmkg.nt").write_bytes(b"".join(sorted(triples)))


def outputs_key(nquads: Path, ontology: Path, imports: Path | None) -> str:
    """Fingerprint of everything in dist/ but the manifest: the writer, the data (the N-Quads file the
    build hands the store), the ontology, the imports."""
    digest = hashlib.sha256(f"pyoxigraph {ox.__version__} {EXPORTS}".encode())
    with nquads.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    for path in [ontology, *(sorted(imports.glob("*.nq")) if imports and imports.is_dir() else [])]:
        digest.update(path.name.encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _reuse(old: Path, new: Path, key: str, imports: dict[str, list[int]]) -> bool:
    """Copy the previous dist/'s exports and store when they were written from exactly the same input
    and its store holds exactly the import files ``imports`` (their states) as they are now."""
    previous = read_manifest(old) or {}
    names = [*EXPORTS, "ontology.ttl"]
    if previous.get("outputs_key") != key or not all((old / n).is_file() for n in names):
        return False
    if (previous.get("imports") or {}) != imports:
        # the key is the last build's; an import since (or a file deleted by hand) changed the store
        return False
    try:
        for name in names:
            shutil.copy2(old / name, new / name)
        shutil.copytree(old / STORE_DIR, new / STORE_DIR, ignore=shutil.ignore_patterns("LOCK"))
        return True
    except OSError:
        return False


def write_dist(dist: Path, graphs: Iterable[tuple[str, Iterable[str]]], ontology: Path, manifest: dict,
               imports: Path | None = None, cache: dict[str, dict] | None = None) -> tuple[int, int] | None:
    """Write every output of ``graphs`` (the curated data: graph IRI and N-Triples lines, see
    :func:`nquads_text`) into a temp folder, then swap it in for ``dist``; return how many N-Triples
    lines were added and removed since the previous ``dist/pmkg.nt`` (None when there was none).

    The data goes to disk first and the exports are streamed from the store, so no export is ever
    held whole in memory.  Imported paper-level data (``imports/*.nq``, written by ``pmkg import``) is
    loaded into the new store too, so a rebuild of the curated graph keeps it;
    the file exports hold the curated graph only (they are dumped before the
    imports are loaded).  The ontology file goes into its own named graph.
    ``cache`` entries go to ``dist/cache/<name>.json``.  When the previous dist/ was written from
    exactly the same input (``outputs_key``), its exports and store are copied instead.
    The manifest records which import files the store holds (``imports``), so a later import or a
    crash between the two copies is noticed (:func:`sync_imports`).  Holds the project lock, so a
    build and an import never write at once.
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
                changes = _write_outputs(dist, tmp, graphs, ontology, manifest, imports, cache)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        swap_in(tmp, dist)
    return changes


def _write_outputs(dist: Path, tmp: Path, graphs: Iterable[tuple[str, Iterable[str]]], ontology: Path,
                   manifest: dict, imports: Path | None, cache: dict[str, dict] | None) -> tuple[int, int] | None:
    nquads = tmp / ".input.nq"
    write_nquads(nquads, graphs)
    manifest = {**manifest, "outputs_key": outputs_key(nquads, ontology, imports), "imports": import_states(imports)}
    reused = dist.is_dir() and _reuse(dist, tmp, manifest["outputs_key"], manifest["imports"])
    if not reused:
        _write_all(tmp, nquads, ontology, imports, dist if dist.is_dir() else None)
    nquads.unlink()
    manifest["store_state"] = store_state(tmp / STORE_DIR)
    manifest["store_ontology"] = _sha256(ontology)  # the file its ontology graph holds
    old = dist / "pmkg.nt"
    changes = None if not old.is_file() else (0, 0) if reused else count_changes(old, tmp / "pmkg.nt")
    if cache:
        (tmp / CACHE_DIR).mkdir()
        for name, entry in cache.items():
            (tmp / CACHE_DIR / f"{name}.json").write_text(json.dumps(entry), encoding="utf-8")
    write_manifest(tmp, manifest)
    os.chmod(tmp, 0o755)  # mkdtemp made it 0700
    return changes


MEMORY_WRITE_MAX_BYTES = 64 << 20  # curated N-Quads up to this size are written through one in-memory store


def _write_all(folder: Path, nquads: Path, ontology: Path, imports: Path | None, dist: Path | None = None) -> None:
    """The store and every export.  A small graph (:data:`MEMORY_WRITE_MAX_BYTES`, the curated one by
    far) goes through one in-memory store, whose native dumps give the canonical N-Quads, TriG and
    JSON-LD without a quad crossing into Python; a larger one is streamed chunk by chunk
    (:func:`_canonical_chunks`).  Both give the same exports (tests/test_build_streaming.py).  The
    on-disk store is the previous one with the changed quads applied when :func:`_patch_store` can
    prove it holds exactly the previous export, else it is loaded whole."""
    canonical = folder / ".canonical.nq"
    if nquads.stat().st_size <= MEMORY_WRITE_MAX_BYTES:
        memory = _memory_store(nquads, ontology)
        memory.dump(str(canonical), format=ox.RdfFormat.N_QUADS)
        _write_exports(folder, canonical, memory)
        del memory
    else:
        with canonical.open("wb") as out:
            for chunk in _canonical_chunks(nquads, ontology):
                out.write(chunk)
        _write_exports(folder, canonical)
    if not (dist is not None and _patch_store(dist, folder, ontology, imports)):
        store = ox.Store(str(folder / STORE_DIR))
        bulk_load_file(store, canonical)  # the same blank nodes as the exports
        for extra in sorted(imports.glob("*.nq")) if imports and imports.is_dir() else []:
            bulk_load_file(store, extra)
        store.flush()
        del store  # closes it (a Store is in no reference cycle)
    canonical.unlink()


PATCH_MAX_QUADS = 10_000  # above this many changed quads the store is loaded whole (a removal costs ~26 us)


def store_state(store: Path) -> list[list]:
    """Name, size and modification time of every file of an on-disk store (its lock aside): any write
    to it changes them, opening it read-only does not."""
    return sorted([f.name, f.stat().st_size, f.stat().st_mtime_ns] for f in store.iterdir()
                  if f.is_file() and f.name != "LOCK")


def _patch_store(dist: Path, folder: Path, ontology: Path, imports: Path | None) -> bool:
    """Make ``folder``'s store as a copy of ``dist``'s with the quads of the new ``pmkg.nq`` not in the
    old one added and the reverse removed - only when that store is provably the old ``pmkg.nq``: no
    import holds a graph (their quads can share the registries' graphs with the curated ones), its files
    are as the build that wrote it left them (``store_state`` in the manifest), every quad to remove is
    in it and none to add is.  The ontology's blank nodes are named anew by every parse (and by the bulk
    loader): its graph is kept as the store has it when the ontology file is the one it was loaded
    from (``store_ontology``), else the store is loaded whole.  False (nothing left behind) when any
    of that fails."""
    from pmkg.namespaces import ONTOLOGY_GRAPH

    previous = read_manifest(dist) or {}
    old_store, old_nq = dist / STORE_DIR, dist / "pmkg.nq"
    if (import_states(imports) or previous.get("imports") or not old_nq.is_file() or not old_store.is_dir()
            or previous.get("store_ontology") != _sha256(ontology)
            or previous.get("store_state") != store_state(old_store)):
        return False
    removed, added = _changed_lines(old_nq, folder / "pmkg.nq")
    if removed is None or len(removed) + len(added) > PATCH_MAX_QUADS:
        return False
    in_ontology = f" <{ONTOLOGY_GRAPH}> .\n".encode()
    blank = [line for line in (*removed, *added) if b"_:" in line]
    if not all(line.endswith(in_ontology) for line in blank):
        return False
    return _apply(old_store, folder / STORE_DIR, [x for x in removed if b"_:" not in x],
                  [x for x in added if b"_:" not in x])


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _apply(old_store: Path, new_store: Path, removed: list[bytes], added: list[bytes]) -> bool:
    """Copy ``old_store`` to ``new_store`` and remove / add those N-Quads lines, if every one to remove is
    in it and none to add is (else remove the copy)."""
    shutil.copytree(old_store, new_store, ignore=shutil.ignore_patterns("LOCK"))
    store = ox.Store(str(new_store))
    fmt = ox.RdfFormat.N_QUADS
    gone, new = list(ox.parse(b"".join(removed), format=fmt)), list(ox.parse(b"".join(added), format=fmt))
    fits = all(q in store for q in gone) and not any(q in store for q in new)
    if fits:
        for q in gone:
            store.remove(q)
        store.extend(new)
        store.flush()
    del store  # closes it
    if not fits:
        shutil.rmtree(new_store)
    return fits


def _changed_lines(old: Path, new: Path) -> tuple[list[bytes] | None, list[bytes]]:
    """(lines of sorted ``old`` not in sorted ``new``, and the reverse), read side by side; (None, [])
    as soon as more than :data:`PATCH_MAX_QUADS` differ."""
    removed: list[bytes] = []
    added: list[bytes] = []
    with old.open("rb") as a, new.open("rb") as b:
        x, y = a.readline(), b.readline()
        while x or y:
            if x and (not y or x < y):
                removed.append(x)
                x = a.readline()
            elif y and (not x or y < x):
                added.append(y)
                y = b.readline()
            else:
                x, y = a.readline(), b.readline()
            if len(removed) + len(added) > PATCH_MAX_QUADS:
                return None, []
    return removed, added


def _memory_store(nquads: Path, ontology: Path) -> ox.Store:
    """The curated N-Quads and the ontology (into its named graph) in one in-memory store."""
    from pmkg.namespaces import ONTOLOGY_GRAPH

    memory = ox.Store()
    memory.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    memory.bulk_load(path=str(ontology), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(str(ONTOLOGY_GRAPH)))
    return memory


def read_cache(dist: Path, name: str, key: str) -> dict | None:
    """The cached entry ``name`` of the previous build, only if it was made for exactly ``key``."""
    path = dist / CACHE_DIR / f"{name}.json"
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return entry if isinstance(entry, dict) and entry.get("key") == key else None


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
    # "in flux" (None) is stale even when the file is gone: a removal killed after moving the file aside
    return sorted(n for n in set(held) | set(current)
                  if held.get(n) != current.get(n) or (n in held and held[n] is None))


def set_import_state(dist: Path, name: str, state: list[int] | None) -> None:
    """Record in the manifest what the store holds of ``imports/<name>`` (None: in flux)."""
    manifest = read_manifest(dist)
    if manifest is None:
        return
    manifest.setdefault("imports", {})[name] = state
    write_manifest(dist, manifest)


LOAD_CHUNK_BYTES = 16 << 20  # ~80k quads; Oxigraph's bulk loader holds what it is given (~1 KB a quad)
NEW_STORE_PREFIX = ".dist-store-"  # a store being built beside dist/store (clean_leftovers(dist/store) removes it)


def bulk_load_file(store: ox.Store, path: Path, fmt: ox.RdfFormat = ox.RdfFormat.N_QUADS,
                   to_graph: ox.NamedNode | ox.DefaultGraph | None = None) -> None:
    """Bulk-load a line-based RDF file (N-Quads or N-Triples, no blank nodes: imports write none) a
    chunk of whole lines at a time, so the loader's memory stays flat however large the file is."""
    extra = {} if to_graph is None else {"to_graph": to_graph}
    for chunk in line_chunks(path):
        store.bulk_load(chunk, format=fmt, **extra)


def line_chunks(path: Path) -> Iterator[bytes]:
    """The file's bytes, :data:`LOAD_CHUNK_BYTES` at a time, each chunk extended to the end of its line."""
    with disk_errors(path), path.open("rb") as fh:
        while chunk := fh.read(LOAD_CHUNK_BYTES):
            yield chunk + fh.readline()


def copy_store_without(store: ox.Store, graph: ox.NamedNode, folder: Path,
                       without: Collection[ox.Quad] = ()) -> None:
    """Write a new on-disk store in ``folder`` holding every quad of ``store`` but those of ``graph``
    (and the quads ``without``, in whichever graph they are).

    Oxigraph removes a quad about as slowly as it copies one (measured: 26 vs 24 microseconds), so
    replacing a graph that is most of the store is cheaper as a copy of the rest.  ``bulk_extend`` from
    the store's own iterator keeps blank nodes as they are (a dump and reload would rename them)."""
    new = ox.Store(str(folder))
    skip_in = {q.graph_name for q in without}
    try:
        for name in [ox.DefaultGraph(), *store.named_graphs()]:
            if name == graph:
                continue
            quads = store.quads_for_pattern(None, None, None, name)
            new.bulk_extend(quads if name not in skip_in else (q for q in quads if q not in without))
        new.flush()
    finally:
        del new


def copy_is_cheaper(dist: Path, imports: Path, name: str) -> bool:
    """Whether replacing the graph of ``imports/<name>`` is cheaper by copying the rest of the store than
    by removing its quads: the old file is larger than the curated export and the other imports
    (bytes stand in for quads; removing one costs about what copying one does)."""
    old = imports / name
    if not old.is_file():
        return False
    rest = sum(p.stat().st_size for p in imports.glob("*.nq") if p.name != name and not p.name.startswith("."))
    curated = dist / "pmkg.nq"
    rest += curated.stat().st_size if curated.is_file() else 0
    return old.stat().st_size > rest


def swap_store(dist: Path, folder: Path) -> None:
    """Make the store built in ``folder`` dist/store (an atomic exchange where the OS has one).  The
    caller has closed its handle on dist/store; opening it here proves that no handle is left."""
    path = dist / STORE_DIR
    try:
        probe = ox.Store(str(path))
    except OSError as exc:
        raise PmkgError(f"cannot replace the store at {path}: it is still open ({exc})",
                        hint="retry when no other pmkg process uses the project") from exc
    del probe
    swap_in(folder, path)


def reload_imports(store: ox.Store, dist: Path, imports: Path, names: list[str]) -> None:
    """Replace the graphs of ``names`` in the store by the files' content (the files are the truth)."""
    with disk_errors(dist / STORE_DIR):
        for name in names:
            graph = import_graph(name)
            if store.contains_named_graph(graph):
                store.remove_graph(graph)
            path = imports / name
            if path.is_file():
                bulk_load_file(store, path)
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
