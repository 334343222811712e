"""``pmkg import``: parse files, resolve, write ``imports/<source-id>.nq`` atomically and
replace the source's named graph in the built store (``dist/store``).

``write_dist`` reloads every ``imports/*.nq`` into the store it builds, so an
import survives rebuilds; importing the same source id again replaces its graph.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from pmkg.errors import InputError, PmkgError, Problem
from pmkg.importers.catalog import write_info
from pmkg.importers.medline import count_medline, parse_medline
from pmkg.importers.model import Malformed, Parsed
from pmkg.importers.openalex import count_openalex, parse_openalex
from pmkg.importers.resolve import Resolver, load_curated
from pmkg.importers.sniff import check_format
from pmkg.importers.to_rdf import Tally, document_quads, graph_iri, paper_quads
from pmkg.importers.wos import parse_wos, parse_wos_tab
from pmkg.registry.resolver import registry_resolvers
from pmkg.store import STORE_DIR

Parser = Callable[[Path, str], Iterator[Parsed]]
PARSERS: dict[str, Parser] = {"wos": parse_wos, "wos-tab": parse_wos_tab, "openalex": parse_openalex,
                              "medline": parse_medline}
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
Progress = Callable[[int], None]


def count_records(fmt: str, path: Path) -> int:
    """A fast estimate of the number of records, for the progress bar."""
    data = path.read_bytes()
    if fmt == "wos":
        return len(re.findall(rb"(?m)^ER\s*$", data))
    if fmt == "wos-tab":
        return max(0, data.count(b"\n") - 1)
    return count_openalex(data) if fmt == "openalex" else count_medline(data)


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
    tally: Tally = field(default_factory=Tally)

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


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def open_writable(dist: Path) -> ox.Store:
    path = dist / STORE_DIR
    if not path.is_dir():
        raise PmkgError(f"no built store at {path}", hint="run `pmkg build` first")
    try:
        return ox.Store(str(path))
    except OSError as exc:
        raise PmkgError(f"cannot open the store at {path} for writing: {exc}",
                        hint="another pmkg process may hold it; retry when it has finished") from exc


def import_files(fmt: str, files: list[Path], *, dist: Path, imports: Path, source_id: str | None = None,
                 strict: bool = False, progress: Progress | None = None,
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
    store = open_writable(dist)
    try:
        report = import_into(store, fmt, files, imports=imports, source_id=source_id, strict=strict,
                             progress=progress, registries=registries)
    finally:
        del store
    write_info(imports, source_id, fmt, files, report.imported, report.tally)
    return report


def import_into(store: ox.Store, fmt: str, files: list[Path], *, imports: Path, source_id: str,
                strict: bool = False, progress: Progress | None = None,
                registries: dict[str, Path | None] | None = None) -> ImportReport:
    """The import itself, on an open read-write store (the benchmark calls this directly)."""
    start = time.perf_counter()
    g = graph_iri(source_id)
    report = ImportReport(source_id, g.value, imports / f"{source_id}.nq")
    resolver = Resolver(load_curated(store))
    registry = registry_resolvers(store, **registries) if registries else None
    quads: dict[ox.Quad, None] = dict.fromkeys(document_quads(source_id, [p.name for p in files], fmt))
    for path in files:
        for item in PARSERS[fmt](path, str(path)):
            report.read += 1
            if isinstance(item, Malformed):
                if strict:
                    raise InputError(item.problem.message, file=item.problem.file, line=item.problem.line,
                                     record_id=item.problem.record_id, hint="nothing was imported (--strict)")
                report.skipped += 1
                report.problems.append(item.problem)
            else:
                for quad in paper_quads(item, resolver, g, report.tally, registry):
                    quads[quad] = None
                report.imported += 1
            if progress:
                progress(report.read)
    data = ox.serialize(list(quads), format=ox.RdfFormat.N_QUADS)
    _write_atomic(report.nquads, data)
    store.remove_graph(g) if store.contains_named_graph(g) else None
    store.bulk_extend(quads)
    store.flush()
    report.quads = len(quads)
    report.seconds = time.perf_counter() - start
    return report
