"""The imports of a project: ``imports/<id>.nq`` (the quads) and ``imports/<id>.json`` (what
``pmkg imports`` lists: files, format, records, date, resolution shares), and their removal."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from pmkg.errors import InputError
from pmkg.importers.to_rdf import Tally, graph_iri
from pmkg.namespaces import ID
from pmkg.safety import disk_errors

PUBLICATION = "<https://w3id.org/pmkg/ontology#Publication>"
MINTED = f"{ID}organisation/"
MINTED_LINE = f"<{MINTED}"


@dataclass
class ImportInfo:
    id: str
    format: str
    files: list[str]
    records: int
    date: str
    affiliation_strings: int | None = None
    affiliations_resolved: int | None = None
    affiliations_by_registry: int | None = None
    funder_strings: int | None = None
    funders_resolved: int | None = None
    funders_by_registry: int | None = None

    def share(self, kind: str) -> float | None:
        total = self.affiliation_strings if kind == "affiliation" else self.funder_strings
        done = self.affiliations_resolved if kind == "affiliation" else self.funders_resolved
        return done / total if total and done is not None else None


def write_info(imports: Path, source_id: str, fmt: str, files: list[Path], records: int, tally: Tally) -> None:
    info = ImportInfo(source_id, fmt, [p.name for p in files], records,
                      datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), tally.affiliations,
                      tally.affiliations_resolved, tally.affiliations_registry, tally.funders,
                      tally.funders_resolved, tally.funders_registry)
    path = imports / f"{source_id}.json"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(asdict(info), indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)


def list_imports(imports: Path) -> list[ImportInfo]:
    out = []
    for nq in sorted(imports.glob("*.nq")) if imports.is_dir() else []:
        meta = nq.with_suffix(".json")
        try:
            out.append(ImportInfo(**json.loads(meta.read_text(encoding="utf-8"))))
            continue
        except (OSError, ValueError, TypeError):
            pass
        with nq.open(encoding="utf-8") as fh:  # an import written before .json files existed
            records = sum(1 for line in fh if PUBLICATION in line)
        date = datetime.fromtimestamp(nq.stat().st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        out.append(ImportInfo(nq.stem, "?", [], records, date))
    return out


def import_file(imports: Path, source_id: str) -> Path:
    """imports/<id>.nq, or an InputError naming the known imports."""
    nq = imports / f"{source_id}.nq"
    if not nq.is_file():
        known = ", ".join(i.id for i in list_imports(imports)) or "none"
        raise InputError(f"no import '{source_id}'", hint=f"known imports: {known} (see `pmkg imports`)")
    return nq


def _scan(path: Path, graph: str) -> tuple[int, list[str]]:
    """One pass over an import file: its quads in ``graph``, and the lines of the registry organisations
    it minted (in the registries' graphs).  Text only: a line is parsed only if it is a minted one."""
    own, minted = 0, []
    tail = f"<{graph}> .\n"
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.endswith(tail):
                own += 1
            elif line.startswith(MINTED_LINE):
                minted.append(line)
    return own, minted


def _quads(lines: list[str]) -> set[ox.Quad]:
    return set(ox.parse("".join(lines).encode("utf-8"), format=ox.RdfFormat.N_QUADS)) if lines else set()


def remove_import(dist: Path, imports: Path, source_id: str) -> tuple[int, int]:
    """Drop the import's graph from the store and its files from imports/, together; registry
    organisations it minted that no other import uses go too.  Returns (quads of its graph, registry quads
    removed).

    As a re-import does (``pmkg.importers.run.commit_import``), the store is changed in place only when the
    graph is the smaller part of it; when it is the larger part, the rest of the store is copied into a new
    one beside dist/store and swapped in (removing a quad costs Oxigraph about what copying one does).  The
    manifest marks the import "in flux" and the file is moved aside before the store changes; a failure
    puts the file back (after an in-place failure the mark stays, so the next command reloads the graph
    from the file), and a process killed half-way leaves the mark with no file, so the next command drops
    the graph (``store.sync_imports``): either way imports/ and the store agree."""
    from pmkg.importers.run import StoreHandle
    from pmkg.safety import clean_leftovers, file_state, fsync_dir, project_lock
    from pmkg.store import (
        NEW_STORE_PREFIX,
        STORE_DIR,
        copy_is_cheaper,
        copy_store_without,
        open_writable,
        read_manifest,
        set_import_state,
        swap_store,
        sync_imports,
        write_manifest,
    )

    import_file(imports, source_id)
    sync_imports(dist, imports)
    with project_lock(dist, f"the removal of '{source_id}'"):
        clean_leftovers(dist.resolve(), imports)
        clean_leftovers((dist / STORE_DIR).resolve())
        nq = import_file(imports, source_id)  # again, under the lock
        g = graph_iri(source_id)
        graph_quads, minted = _scan(nq, g.value)
        others: set[ox.Quad] = set()
        for path in sorted(imports.glob("*.nq")):
            if path != nq and not path.name.startswith("."):
                others |= _quads(_scan(path, str(graph_iri(path.stem)))[1])
        orphans = _quads(minted) - others
        by_copy = copy_is_cheaper(dist, imports, nq.name)
        old_state = file_state(nq)
        aside = nq.with_name(f".{nq.name}.removing-{os.getpid()}")
        handle = StoreHandle(open_writable(dist))
        try:
            set_import_state(dist, nq.name, None)
            os.replace(nq, aside)
            fsync_dir(imports)
            try:
                if by_copy:
                    folder = dist / f"{NEW_STORE_PREFIX}{os.getpid()}"
                    shutil.rmtree(folder, ignore_errors=True)
                    try:
                        with disk_errors(folder):
                            copy_store_without(handle.get(), g, folder, without=orphans)
                            handle.close()
                            swap_store(dist, folder)
                    finally:
                        shutil.rmtree(folder, ignore_errors=True)
                else:
                    store = handle.get()
                    with disk_errors(dist / STORE_DIR):
                        if store.contains_named_graph(g):
                            store.remove_graph(g)
                        for quad in orphans:
                            store.remove(quad)
                        store.flush()
                    del store
            except BaseException:
                os.replace(aside, nq)
                if by_copy:  # dist/store untouched until the swap
                    set_import_state(dist, nq.name, old_state)
                raise
        finally:
            handle.close()
        manifest = read_manifest(dist)
        if manifest is not None:
            for key in ("imports", "import_summaries"):
                (manifest.get(key) or {}).pop(nq.name, None)
            write_manifest(dist, manifest)
        aside.unlink(missing_ok=True)
        nq.with_suffix(".json").unlink(missing_ok=True)
    return graph_quads, len(orphans)
