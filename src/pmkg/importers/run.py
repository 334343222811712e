"""``pmkg import``: parse files, resolve, write ``imports/<source-id>.nq`` atomically and
replace the source's named graph in the built store (``dist/store``).

``write_dist`` reloads every ``imports/*.nq`` into the store it builds, so an
import survives rebuilds; importing the same source id again replaces its graph.
"""

from __future__ import annotations

import csv
import gc
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from pmkg.errors import InputError, PmkgError, Problem
from pmkg.importers.catalog import write_info
from pmkg.importers.medline import parse_medline
from pmkg.importers.model import Malformed, Paper, Parsed
from pmkg.importers.openalex import parse_openalex
from pmkg.importers.resolve import Resolver, load_curated
from pmkg.importers.sniff import check_format
from pmkg.importers.summary import hierarchy
from pmkg.importers.to_rdf import RDF_TYPE, PaperWriter, Tally, document_quads, graph_iri, pm
from pmkg.importers.wos import parse_wos, parse_wos_tab
from pmkg.registry.resolver import registry_resolvers
from pmkg.safety import clean_leftovers, disk_errors, file_state, fsync_dir, project_lock
from pmkg.store import (
    NEW_STORE_PREFIX,
    STORE_DIR,
    bulk_load_file,
    copy_is_cheaper,
    copy_store_without,
    open_writable,
    set_import_state,
    swap_store,
    sync_imports,
)

Parser = Callable[[Path, str], Iterator[Parsed]]
PARSERS: dict[str, Parser] = {"wos": parse_wos, "wos-tab": parse_wos_tab, "openalex": parse_openalex,
                              "medline": parse_medline}
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
Progress = Callable[[int], None]
BATCH_QUADS = 50_000
IMPORT_GRAPHS = "https://w3id.org/pmkg/id/document/import-"
PUBLICATION = pm("Publication")
COMMITTING = -1  # passed to the progress callback when the reading is done and the commit starts


def count_records(fmt: str, path: Path) -> int:
    """A fast estimate of the number of records, for the progress bar (read line by line: a large
    file is never held in memory)."""
    test: Callable[[bytes], bool] = {
        "wos": lambda line: line.rstrip() == b"ER", "wos-tab": lambda line: line.endswith(b"\n"),
        "openalex": lambda line: bool(line.strip()), "medline": lambda line: line.startswith(b"PMID- ")}[fmt]
    with path.open("rb") as fh:
        count = sum(1 for line in fh if test(line))
    return max(0, count - 1) if fmt == "wos-tab" else count


def default_source_id(files: list[Path]) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", files[0].stem.lower()).strip("-")
    return slug[:80].strip("-") or "import"


@dataclass
class ImportReport:
    source_id: str
    graph: str
    nquads: Path
    read: int = 0
    imported: int = 0
    skipped: int = 0
    quads: int = 0
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)
    duplicates: list[Problem] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)
    shares_papers_with: list[str] = field(default_factory=list)  # other imports holding some of its papers
    upgraded: list[str] = field(default_factory=list)  # older imports given their summary first (messages)

    @property
    def records_per_second(self) -> float:
        return self.read / self.seconds if self.seconds else 0.0

    def write_unresolved(self, path: Path) -> None:
        """CSV of unresolved strings: kind, text, frequency (most frequent first)."""
        rows = sorted(self.tally.unresolved.items(), key=lambda kv: (-kv[1], kv[0]))
        try:
            with path.open("w", encoding="utf-8", newline="") as fh:
                out = csv.writer(fh)
                out.writerow(["kind", "text", "count"])
                for (kind, text), count in rows:
                    out.writerow([kind, text, count])
        except OSError as exc:
            raise PmkgError(f"cannot write {path}: {exc.strerror or exc}") from exc


class QuadFile:
    """N-Quads streamed to a temp file next to ``path`` (renamed over it on commit), so an
    import holds one batch of papers in memory, not every quad of the file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        with disk_errors(path):
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        self.tmp = Path(tmp)
        self.fh = os.fdopen(fd, "wb")

    def write(self, quads: list[ox.Quad]) -> None:
        with disk_errors(self.path):
            self.fh.write(ox.serialize(quads, format=ox.RdfFormat.N_QUADS))
        self.count += len(quads)

    def write_lines(self, lines: list[str], quads: int) -> None:
        """N-Quads text lines (``PaperWriter``), ``quads`` of them."""
        with disk_errors(self.path):
            self.fh.write("".join(lines).encode("utf-8"))
        self.count += quads

    def finish(self) -> Path:
        """Flush and fsync; the temp file, ready to be renamed."""
        with disk_errors(self.path):
            self.fh.flush()
            os.fsync(self.fh.fileno())
            self.fh.close()
            os.chmod(self.tmp, 0o644)
        return self.tmp

    def discard(self) -> None:
        if not self.fh.closed:
            self.fh.close()
        self.tmp.unlink(missing_ok=True)


def bulk_load_chunks(store: ox.Store, path: Path) -> None:
    """Bulk-load an import's N-Quads file a chunk of whole lines at a time (flat memory)."""
    bulk_load_file(store, path)


class StoreHandle:
    """The import's read-write store, which a replacement by copy must close before it swaps."""

    def __init__(self, store: ox.Store) -> None:
        self.store: ox.Store | None = store

    def get(self) -> ox.Store:
        if self.store is None:
            raise PmkgError("internal: the store was closed for the swap")
        return self.store

    def close(self) -> None:
        self.store = None
        gc.collect()


def commit_import(handle: StoreHandle, path: Path, tmp: Path, graph: ox.NamedNode, dist: Path | None) -> None:
    """Replace ``imports/<id>.nq`` and the store's graph together, or neither.

    The manifest marks the import "in flux" first; the fsync'd temp file ``tmp``
    is renamed over ``path``; then the store graph is replaced: in place (its
    old quads removed, the file loaded), or, when the old graph is the larger
    part of the store, by a copy of the rest of the store plus the file, swapped
    in for dist/store (removing quads is Oxigraph's slowest operation).  If the
    store update fails (disk full …) the previous file is put back and, after an
    in-place update, its graph reloaded.  If the process dies half-way, the
    "in flux" mark makes the next command reload the graph from the file
    (``store.sync_imports``).
    """
    prev = path.with_name(f".{path.name}.prev-{os.getpid()}")
    had_old = path.exists()
    old_state = file_state(path) if had_old else None
    by_copy = dist is not None and copy_is_cheaper(dist, path.parent, path.name)
    try:
        if dist is not None:
            set_import_state(dist, path.name, None)
        if had_old:
            os.link(path, prev)
        with disk_errors(path):
            os.replace(tmp, path)
            fsync_dir(path.parent)
        if by_copy and dist is not None:
            _replace_by_copy(handle, path, prev, graph, dist, old_state)
        else:
            _replace_in_place(handle.get(), path, prev if had_old else None, graph, dist, old_state)
        if dist is not None:
            set_import_state(dist, path.name, file_state(path))
    finally:
        tmp.unlink(missing_ok=True)
        prev.unlink(missing_ok=True)


def _replace_in_place(store: ox.Store, path: Path, prev: Path | None, graph: ox.NamedNode, dist: Path | None,
                      old_state: list[int] | None) -> None:
    try:
        with disk_errors(dist / STORE_DIR if dist else path):
            if store.contains_named_graph(graph):
                store.remove_graph(graph)
            bulk_load_chunks(store, path)
            store.flush()
    except BaseException:
        _roll_back(store, path, prev, graph, dist, old_state)
        raise


def _replace_by_copy(handle: StoreHandle, path: Path, prev: Path, graph: ox.NamedNode, dist: Path,
                     old_state: list[int] | None) -> None:
    """The rest of the store and the new file into a new store beside dist/store, swapped in.  Until the
    swap dist/store is untouched, so a failure needs only the previous file put back."""
    folder = dist / f"{NEW_STORE_PREFIX}{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)
    try:
        with disk_errors(folder):
            copy_store_without(handle.get(), graph, folder)
            new = ox.Store(str(folder))
            bulk_load_chunks(new, path)
            new.flush()
            del new
            handle.close()
            swap_store(dist, folder)
    except BaseException:
        os.replace(prev, path)
        set_import_state(dist, path.name, old_state)
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _roll_back(store: ox.Store, path: Path, prev: Path | None, graph: ox.NamedNode, dist: Path | None,
               old_state: list[int] | None) -> None:
    """Put the previous import file back and reload its graph; if even that fails, the
    manifest keeps the "in flux" mark and the next command reloads the graph."""
    if prev is not None:
        os.replace(prev, path)
    else:
        path.unlink(missing_ok=True)
    try:
        if store.contains_named_graph(graph):
            store.remove_graph(graph)
        if prev is not None:
            bulk_load_chunks(store, path)
        store.flush()
        if dist is not None:
            set_import_state(dist, path.name, old_state)
    except (OSError, PmkgError):
        pass


def import_files(fmt: str, files: list[Path], *, dist: Path, imports: Path, source_id: str | None = None,
                 strict: bool = False, replace_empty: bool = False,
                 progress: Progress | None = None,
                 registries: dict[str, Path | None] | None = None) -> ImportReport:
    """Import ``files`` of format ``fmt`` as one source; see the module docstring.  ``registries``
    (ror_dump, registry, crosswalk) resolve what no curated actor matches to registry organisations."""
    if fmt not in PARSERS:
        raise InputError(f"unknown format '{fmt}'", hint="one of: " + ", ".join(PARSERS))
    for path in files:
        if not path.is_file():
            raise InputError("no such file", file=str(path))
        if wrong := check_format(fmt, path):
            raise InputError(wrong, file=str(path), hint="nothing was imported")
    source_id = source_id or default_source_id(files)
    if not SLUG.match(source_id):
        raise InputError(f"--source-id '{source_id}' must be a kebab-case slug (a-z, 0-9, hyphens)")
    sync_imports(dist, imports)
    from pmkg.importers.upgrade import upgrade_imports

    upgraded = upgrade_imports(dist, imports)  # older imports without a summary (pmkg.importers.upgrade)
    with project_lock(dist, f"the import '{source_id}'"):
        clean_leftovers(dist.resolve(), imports)
        clean_leftovers((dist / STORE_DIR).resolve())  # a store a killed import was building
        handle = StoreHandle(open_writable(dist))
        try:
            report = import_into(handle, fmt, files, imports=imports, source_id=source_id, strict=strict,
                                 replace_empty=replace_empty, progress=progress, dist=dist,
                                 registries=registries)
        finally:
            handle.close()
        write_info(imports, source_id, fmt, files, report.imported, report.tally)
    report.upgraded = [u.message() for u in upgraded]
    return report


def _read(fmt: str, files: list[Path], report: ImportReport, strict: bool) -> Iterator[Paper]:
    """The papers of the files; malformed records and duplicates reported, not imported."""
    seen: dict[str, tuple[str, str, int]] = {}  # key -> where it was first read (not the Paper: memory)
    for path in files:
        for item in PARSERS[fmt](path, str(path)):
            report.read += 1
            if isinstance(item, Malformed):
                if strict:
                    raise InputError(item.problem.message, file=item.problem.file, line=item.problem.line,
                                     record_id=item.problem.record_id, hint="nothing was imported (--strict)")
                report.skipped += 1
                report.problems.append(item.problem)
                continue
            key = item.key()
            first = seen.get(key)
            if first is not None:
                report.duplicates.append(Problem(
                    f"same {key.split(':', 1)[0].upper()} as {first[0]} ({first[1]}:{first[2]}); "
                    "the first record was imported, this one was not", item.file, item.line, item.record_id))
                continue
            seen[key] = (item.record_id, item.file, item.line)
            yield item


def _refuse_empty(report: ImportReport, replace_empty: bool) -> None:
    """An import that reads nothing never replaces an earlier one (unless --replace-empty)."""
    if report.imported or replace_empty:
        return
    kept = " and the earlier import of it is kept" if report.nquads.exists() else ""
    message = (f"no record could be imported (read {report.read}, skipped {report.skipped}): "
               f"nothing was written{kept}")
    raise InputError(message, problems=[*report.problems[:20], Problem(
        message, record_id=report.source_id,
        hint="check the format and the file; --replace-empty replaces the import with an empty one")])


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while the registry indexes load (millions of objects, no
    garbage: the collector's passes doubled the load time); afterwards they are frozen, so the
    collections during the import do not walk them again."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was:
            gc.enable()


def _write_papers(out: QuadFile, writer: PaperWriter, papers: Iterator[Paper], report: ImportReport,
                  progress: Progress | None) -> None:
    """Each paper's lines to ``out`` in batches: memory holds one batch, not the file."""
    batch: list[str] = []
    for paper in papers:
        batch += writer.lines(paper)  # papers never share a quad
        report.imported += 1
        if len(batch) > BATCH_QUADS:
            out.write_lines(batch, _count(batch))
            batch = []
        if progress:
            progress(report.read)
    out.write_lines(batch, _count(batch))


def _count(lines: list[str]) -> int:
    """Quads in ``lines`` (a minted registry block is one string of several lines)."""
    return sum(line.count("\n") for line in lines)


def shared_papers(store: ox.Store, g: ox.NamedNode) -> Callable[[str], set[str]] | None:
    """paper IRI -> the other import graphs of the store that hold that paper (None: there are none,
    the common case, which costs nothing per paper)."""
    others = {n.value for n in store.named_graphs() if n.value.startswith(IMPORT_GRAPHS) and n != g}
    if not others:
        return None

    def also_in(paper: str) -> set[str]:
        found = store.quads_for_pattern(ox.NamedNode(paper), RDF_TYPE, PUBLICATION, None)
        return {q.graph_name.value for q in found if q.graph_name.value in others}

    return also_in


def import_into(handle: StoreHandle, fmt: str, files: list[Path], *, imports: Path, source_id: str,
                strict: bool = False, replace_empty: bool = False, progress: Progress | None = None,
                dist: Path | None = None, registries: dict[str, Path | None] | None = None) -> ImportReport:
    """The import itself, on the open read-write store of ``handle``."""
    start = time.perf_counter()
    store = handle.get()
    g = graph_iri(source_id)
    report = ImportReport(source_id, g.value, imports / f"{source_id}.nq")
    with _gc_paused():
        registry = registry_resolvers(store, **registries) if registries else None
        resolver = registry[0].curated.resolver if registry and registry[0].curated else Resolver(load_curated(store))
    writer = PaperWriter(resolver, g, report.tally, registry, also_in=shared_papers(store, g),
                         parents=hierarchy(store, without=g))
    try:
        out = QuadFile(report.nquads)
        try:
            out.write(document_quads(source_id, [p.name for p in files], fmt))
            _write_papers(out, writer, _read(fmt, files, report, strict), report, progress)
            _refuse_empty(report, replace_empty)
            summary = writer.summary.lines(g.value, writer.parents)
            out.write_lines(summary, len(summary))
            report.shares_papers_with = sorted(writer.summary.shares_with)
            if progress:
                progress(COMMITTING)
            del store  # only the handle holds it: a replacement by copy closes it
            commit_import(handle, report.nquads, out.finish(), g, dist)
        finally:
            out.discard()
    finally:
        gc.unfreeze()
    report.quads = out.count
    report.seconds = time.perf_counter() - start
    return report
