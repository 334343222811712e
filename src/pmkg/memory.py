"""Where a long-lived process runs its queries: the built store on disk, or a copy of it in memory.

Oxigraph answers the canned queries 4-7x faster from an in-memory store than from its on-disk
RocksDB store (benchmarks/results/queries-session6-*.txt), but the copy costs time to load and
memory to hold (about 330 bytes a quad, measured), so only processes that run many queries use it:
``pmkg serve`` (each query worker holds one copy) by default, ``pmkg site`` and ``pmkg report`` when
asked.  ``pmkg query`` (one query per process) stays on disk.

SPARQL leaves the order of the parts of a GROUP_CONCAT undefined, and the in-memory store's order
differs from the on-disk store's (the rows are the same, measured on every canned query case), so a
report or site written from memory differs in that order from the one written from disk; those two
commands therefore default to disk, keeping their output as it was.

The policy is ``--store memory|disk|auto`` (default: the ``PMKG_STORE`` environment variable, else
``auto`` for ``pmkg serve`` and ``disk`` for ``pmkg site`` and ``pmkg report``); ``auto`` copies
the store into memory when it holds at most ``PMKG_MEMORY_MAX_QUADS`` quads (default
:data:`DEFAULT_MAX_QUADS`, about 0.7 GB a copy) and queries it on disk above.

The copy is loaded from the N-Quads files the store was written from (``dist/pmkg.nq``, the curated
graph and the ontology, and every ``imports/*.nq``) when the manifest says the store holds exactly
those import files as they are now; otherwise (a store without its files, an import in flux) it is
read out of the store itself, which is about 3x slower.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from pmkg.errors import InputError, PmkgError
from pmkg.store import STORE_DIR, open_store, read_manifest, stale_imports

POLICIES = ("auto", "memory", "disk")
ENV_POLICY = "PMKG_STORE"
ENV_MAX_QUADS = "PMKG_MEMORY_MAX_QUADS"
DEFAULT_MAX_QUADS = 2_000_000
CURATED_FILE = "pmkg.nq"
DUMP_FILE = "store.nq"


@dataclass(frozen=True)
class StoreChoice:
    """What a process queries: ``mode`` is "memory" or "disk"; ``why`` says which rule chose it."""

    mode: str
    quads: int
    why: str

    def line(self) -> str:
        return f"store: {self.mode} ({self.quads:,} quads; {self.why})"


def policy_from(option: str | None, default: str = "auto") -> str:
    """The policy given (an option), else ``$PMKG_STORE``, else ``default``; anything else is an input error."""
    policy = (option or os.environ.get(ENV_POLICY) or default).strip().lower()
    if policy not in POLICIES:
        source = "--store" if option else ENV_POLICY
        raise InputError(f"{source} '{policy[:20]}' is not one of {', '.join(POLICIES)}")
    return policy


def max_quads() -> int:
    raw = os.environ.get(ENV_MAX_QUADS)
    if raw is None:
        return DEFAULT_MAX_QUADS
    if not raw.strip().isdigit():
        raise InputError(f"{ENV_MAX_QUADS} '{raw[:20]}' must be a whole number of quads")
    return int(raw)


def choose(policy: str, store_dir: Path) -> StoreChoice:
    """Memory or disk for the store folder ``store_dir`` under ``policy`` (counting its quads is cheap:
    0.25 s at 10x the curated graph)."""
    quads = len(ox.Store.read_only(str(store_dir)))
    if policy != "auto":
        return StoreChoice(policy, quads, f"--store {policy}")
    limit = max_quads()
    if quads <= limit:
        return StoreChoice("memory", quads, f"auto: at most {ENV_MAX_QUADS}={limit:,}")
    return StoreChoice("disk", quads, f"auto: more than {ENV_MAX_QUADS}={limit:,}")


def source_files(dist: Path, imports: Path | None) -> list[Path] | None:
    """The N-Quads files that hold exactly what ``dist/store`` holds, or None when the manifest cannot
    vouch for that (no ``pmkg.nq``, or an import file the store does not hold as it is now)."""
    manifest = read_manifest(dist)
    curated = dist / CURATED_FILE
    if manifest is None or not curated.is_file() or stale_imports(dist, imports):
        return None
    held = sorted(manifest.get("imports") or {})
    if held and imports is None:
        return None
    return [curated, *(imports / name for name in held)]  # type: ignore[operator]


def load_files(paths: list[Path]) -> ox.Store:
    """A new in-memory store holding the quads of the N-Quads files."""
    store = ox.Store()
    for path in paths:
        try:
            store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
        except (OSError, SyntaxError) as exc:
            raise PmkgError(f"cannot load {path} into memory: {exc}", hint="rebuild with `pmkg build`") from exc
    return store


def copy_of_store(store_dir: Path) -> ox.Store:
    """A new in-memory store holding every quad of the on-disk store (read out of it: ~13 us a quad)."""
    memory = ox.Store()
    memory.bulk_extend(ox.Store.read_only(str(store_dir)).quads_for_pattern(None, None, None, None))
    return memory


def memory_copy(dist: Path, imports: Path | None) -> ox.Store:
    """The built store of ``dist`` as an in-memory store (from its files where they vouch for it)."""
    files = source_files(dist, imports)
    return load_files(files) if files is not None else copy_of_store(dist / STORE_DIR)


def open_for_queries(dist: Path, imports: Path | None, policy: str) -> tuple[ox.Store, StoreChoice]:
    """The store a query-heavy process uses under ``policy``, and the choice made (to print at start)."""
    path = dist / STORE_DIR
    disk = open_store(dist)  # the one-line error when there is no store
    choice = choose(policy, path)
    if choice.mode == "disk":
        return disk, choice
    del disk
    return memory_copy(dist, imports), choice


def write_snapshot_files(dist: Path, imports: Path | None, folder: Path) -> None:
    """Copy into ``folder`` the N-Quads files a query worker loads into memory (see :func:`load_folder`):
    the store's source files, or a dump of the store when they do not vouch for it.  The manifest is
    read again after the copy, so an import that ran meanwhile is not taken half-way: then it is
    copied again."""
    folder.mkdir(parents=True, exist_ok=True)
    for _attempt in range(3):
        before = read_manifest(dist)
        files = source_files(dist, imports)
        if files is None:
            break
        for i, path in enumerate(files):
            shutil.copyfile(path, folder / f"{i:05d}-{path.name}")
        if read_manifest(dist) == before and source_files(dist, imports) == files:
            return
        for copied in folder.glob("*.nq"):
            copied.unlink()
    open_store(dist).dump(str(folder / DUMP_FILE), format=ox.RdfFormat.N_QUADS)


def load_folder(folder: Path) -> ox.Store:
    """The in-memory store of a folder written by :func:`write_snapshot_files`."""
    return load_files(sorted(folder.glob("*.nq")))
