"""The imports of a project: ``imports/<id>.nq`` (the quads) and ``imports/<id>.json`` (what
``pmkg imports`` lists: files, format, records, date, resolution shares), and their removal."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from pmkg.errors import InputError
from pmkg.importers.to_rdf import Tally, graph_iri
from pmkg.namespaces import ID

PUBLICATION = "<https://w3id.org/pmkg/ontology#Publication>"
MINTED = f"{ID}organisation/"


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


def _minted(path: Path) -> set[ox.Quad]:
    """The registry-organisation quads an import file minted."""
    quads = ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS)
    return {q for q in quads if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(MINTED)}


def import_file(imports: Path, source_id: str) -> Path:
    """imports/<id>.nq, or an InputError naming the known imports."""
    nq = imports / f"{source_id}.nq"
    if not nq.is_file():
        known = ", ".join(i.id for i in list_imports(imports)) or "none"
        raise InputError(f"no import '{source_id}'", hint=f"known imports: {known} (see `pmkg imports`)")
    return nq


def remove_import(store: ox.Store, imports: Path, source_id: str) -> tuple[int, int]:
    """Drop the import's graph from the store and its files from imports/; registry organisations it
    minted that no other import uses go too.  Returns (quads of its graph, registry quads removed)."""
    nq = import_file(imports, source_id)
    g = graph_iri(source_id)
    graph_quads = sum(1 for _ in store.quads_for_pattern(None, None, None, g))
    others = set().union(*(_minted(p) for p in imports.glob("*.nq") if p != nq))
    orphans = _minted(nq) - others
    store.remove_graph(g) if store.contains_named_graph(g) else None
    for quad in orphans:
        store.remove(quad)
    store.flush()
    nq.unlink()
    nq.with_suffix(".json").unlink(missing_ok=True)
    return graph_quads, len(orphans)
