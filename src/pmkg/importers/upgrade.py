"""Imports made before the import summaries (:mod:`pmkg.importers.summary`) existed: their graph has papers
but no summary, and the summary-backed queries (top-funders, top-institutions, funders-of-affiliated-papers,
co-affiliation-countries) found nothing in it.  :func:`upgrade_imports` finds such imports and adds the
summary their papers' triples give (:func:`~pmkg.importers.summary.graph_facts`) to ``imports/<id>.nq`` and
to the store together, as ``pmkg import`` commits a graph.  Imports made before the per-organisation
summaries (``pm:ActorSummary``, ``pm:RollUpSummary``; session 6) have affiliation profiles but not those:
the upgrade adds them, computed from the profiles (:func:`~pmkg.importers.summary.actor_lines`; the queries
answer the same without them, only slower):

* the new file (the old one and the summary lines) is written beside it and fsync'd;
* the manifest marks the import "in flux", the new file is renamed over the old one, the directory fsync'd;
* the summary quads go into the store in one transaction (``Store.extend``);
* the manifest records the new file.  If the store update fails, the old file is put back (a hard link of
  it, so its size and time are those the manifest had) and the mark removed; if the process dies half-way,
  the "in flux" mark makes the next command reload the graph from the file (:func:`pmkg.store.sync_imports`),
  which is then either the old file or the new one, each whole.

Which imports were checked is kept in the manifest (``import_summaries``: file state per import, and
``import_summary_version``: the summary version they were checked for), so a command that finds nothing to
do opens no store.
"""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from pmkg.errors import PmkgError
from pmkg.importers.summary import PM, RDF_TYPE, Summary, actor_lines, graph_facts, hierarchy, stored_profiles
from pmkg.safety import disk_errors, file_state, fsync_dir, project_lock
from pmkg.store import (
    STORE_DIR,
    import_graph,
    open_store,
    open_writable,
    read_manifest,
    set_import_state,
    write_manifest,
)

CHECKED = "import_summaries"  # manifest key: {import file name: its file state when it was seen to have a summary}
VERSION_KEY = "import_summary_version"  # manifest key: the summary version of the CHECKED entries
VERSION = 2  # 1: affiliation and country profiles; 2: and the per-organisation summaries
SUMMARY_PAPERS = ox.NamedNode(PM + "summaryPapers")
PUBLICATION = ox.NamedNode(PM + "Publication")
ACTOR_SUMMARY = ox.NamedNode(PM + "ActorSummary")
PROFILE_ACTOR = ox.NamedNode(PM + "profileActor")


@dataclass(frozen=True)
class Upgraded:
    source_id: str
    papers: int
    quads: int

    partial: bool = False  # only the per-organisation summaries were added (the import had profiles)

    def message(self) -> str:
        if self.partial:
            return (f"upgraded import {self.source_id}: it was made before the per-organisation summaries "
                    f"existed; they ({self.quads:,} quads) were added to imports/{self.source_id}.nq and dist/store")
        return (f"upgraded import {self.source_id}: it was made before import summaries existed; its summary "
                f"({self.papers:,} papers, {self.quads:,} quads) was added to imports/{self.source_id}.nq and "
                "dist/store")


def lacks_summary(store: ox.Store, graph: ox.NamedNode) -> bool:
    """Whether the import graph holds papers but no summary (two index lookups)."""
    if next(iter(store.quads_for_pattern(graph, SUMMARY_PAPERS, None, graph)), None) is not None:
        return False
    return next(iter(store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), PUBLICATION, graph)), None) is not None


def lacks_actor_summaries(store: ox.Store, graph: ox.NamedNode) -> bool:
    """Whether the import graph has affiliation profiles with actors but no per-organisation summary."""
    if next(iter(store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), ACTOR_SUMMARY, graph)), None) is not None:
        return False
    return next(iter(store.quads_for_pattern(None, PROFILE_ACTOR, None, graph)), None) is not None


def needs_upgrade(store: ox.Store, graph: ox.NamedNode) -> bool:
    return lacks_summary(store, graph) or lacks_actor_summaries(store, graph)


def actor_summary_of(store: ox.Store, graph: ox.NamedNode) -> list[str]:
    """The per-organisation summary lines of an import that has its affiliation profiles (read back from them,
    not from every paper), by the store's hierarchy now."""
    return actor_lines(stored_profiles(store, graph), graph.value, hierarchy(store))


def summary_of(store: ox.Store, graph: ox.NamedNode) -> tuple[list[str], int]:
    """The summary lines a fresh import of the graph's papers would write (its ``pm:sharesPapersWith`` too,
    against the other imports in the store now), and the number of papers."""
    from pmkg.importers.run import shared_papers

    summary = Summary()
    also_in = shared_papers(store, graph)
    facts = graph_facts(store, graph)
    for paper, paper_facts in facts.items():
        summary.add(paper_facts)
        if also_in is not None:
            summary.shares_with.update(also_in(paper))
    return summary.lines(graph.value, hierarchy(store)), len(facts)


def _unchecked(dist: Path) -> list[str]:
    """Import files the store holds (as on disk) that were not yet seen to have a summary."""
    manifest = read_manifest(dist) or {}
    checked = (manifest.get(CHECKED) or {}) if manifest.get(VERSION_KEY, 1) >= VERSION else {}
    return sorted(name for name, state in (manifest.get("imports") or {}).items()
                  if state is not None and checked.get(name) != state)


def _record_checked(dist: Path, imports: Path, names: list[str]) -> None:
    manifest = read_manifest(dist)
    if manifest is None:
        return
    if manifest.get(VERSION_KEY, 1) < VERSION:
        manifest[CHECKED] = {}
    manifest[VERSION_KEY] = VERSION
    checked = manifest.setdefault(CHECKED, {})
    for name in names:
        if (imports / name).is_file():
            checked[name] = file_state(imports / name)
    held = manifest.get("imports") or {}
    manifest[CHECKED] = {n: s for n, s in checked.items() if n in held}
    write_manifest(dist, manifest)


def _needing(dist: Path, names: list[str]) -> list[str]:
    store = open_store(dist)
    try:
        return [n for n in names if needs_upgrade(store, import_graph(n))]
    finally:
        del store
        gc.collect()


def upgrade_imports(dist: Path, imports: Path | None) -> list[Upgraded]:
    """Add its summary to every import whose graph has papers but none (see the module docstring); the
    imports upgraded.  Cheap when there is nothing to do: the manifest says which imports were checked."""
    if imports is None or not imports.is_dir() or not (dist / STORE_DIR).is_dir():
        return []
    names = _unchecked(dist)
    if not names:
        return []
    todo = _needing(dist, names)
    if not todo:
        try:
            with project_lock(dist, "the import summary check"):
                _record_checked(dist, imports, names)
        except (OSError, PmkgError):
            pass  # a read-only dist/, or another writer: checked again next time
        return []
    done: list[Upgraded] = []
    with project_lock(dist, "the import upgrade"):
        store = open_writable(dist)
        try:
            for name in todo:
                graph = import_graph(name)
                if (imports / name).is_file() and needs_upgrade(store, graph):
                    done.append(upgrade_one(store, dist, imports / name, graph))
        finally:
            del store
            gc.collect()
        _record_checked(dist, imports, names)
    return done


def _with_summary(path: Path, lines: list[str]) -> Path:
    """A copy of ``path`` with ``lines`` appended, beside it, fsync'd."""
    with disk_errors(path):
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        tmp = Path(name)
        try:
            with os.fdopen(fd, "wb") as out, path.open("rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
                out.write("".join(lines).encode("utf-8"))
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o644)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return tmp


def upgrade_one(store: ox.Store, dist: Path, path: Path, graph: ox.NamedNode) -> Upgraded:
    """Add the summary of ``graph`` (or, if it has one, its per-organisation part) to ``path``
    (imports/<id>.nq) and the store, together or not at all."""
    partial = not lacks_summary(store, graph)
    if partial:
        lines, papers = actor_summary_of(store, graph), 0
    else:
        lines, papers = summary_of(store, graph)
    quads = list(ox.parse("".join(lines).encode("utf-8"), format=ox.RdfFormat.N_QUADS))
    tmp = _with_summary(path, lines)
    prev = path.with_name(f".{path.name}.prev-{os.getpid()}")
    old_state = file_state(path)
    try:
        os.link(path, prev)
        set_import_state(dist, path.name, None)
        with disk_errors(path):
            os.replace(tmp, path)
            fsync_dir(path.parent)
        try:
            with disk_errors(dist / STORE_DIR):
                store.extend(quads)  # one transaction: all of the summary or nothing
                store.flush()
        except BaseException:
            os.replace(prev, path)
            set_import_state(dist, path.name, old_state)
            raise
        set_import_state(dist, path.name, file_state(path))
    finally:
        tmp.unlink(missing_ok=True)
        prev.unlink(missing_ok=True)
    return Upgraded(path.stem, papers, len(quads), partial)
