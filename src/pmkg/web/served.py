"""What ``pmkg serve`` serves: a snapshot of ``dist/``, taken at start and again after every rebuild or import.

A snapshot is a private copy of what the query workers read: the store folder (``--store disk``) or
the N-Quads files its in-memory copies load (``--store memory``; :mod:`pmkg.memory`), with the
manifest it came from, so a build or import never changes data under a running query, and no
answer carries another build's fingerprint.  Each request first looks at ``dist/build.json`` (one
``stat``): a rebuild swaps in a new one and every import rewrites it, so when it has changed the
next request waits for a new snapshot and its workers.  While an import is in flux (the manifest
says the store does not hold the import files as they are) the previous snapshot is served and
the answer says it is not current (``X-Pmkg-Current: false``).  The previous snapshot's workers
are stopped when the last request using them has finished.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pmkg.errors import PmkgError
from pmkg.memory import StoreChoice, choose, write_snapshot_files
from pmkg.store import MANIFEST, STORE_DIR, read_manifest, stale_imports
from pmkg.web.worker import QueryPool

State = tuple[int, int, int] | None


def dist_state(dist: Path) -> State:
    """(inode, size, mtime) of ``dist/build.json``: changes with every build and import."""
    try:
        st = (dist / MANIFEST).stat()
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


@dataclass
class Snapshot:
    folder: Path
    manifest: dict
    choice: StoreChoice
    pool: QueryPool
    state: State
    users: int = 0
    retired: bool = False

    @property
    def fingerprint(self) -> str:
        return str(self.manifest.get("fingerprint", "unknown"))

    def close(self) -> None:
        self.pool.close()
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class Served:
    """The current snapshot of ``dist`` and its query workers; :meth:`use` hands one to a request."""

    dist: Path
    imports: Path | None
    queries: Path
    policy: str = "auto"
    workers: int = 2
    timeout: float = 30.0
    announce: Callable[[str], None] | None = None
    snapshot: Snapshot | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="pmkg-serve-")))
    taken: int = 0

    def start(self) -> None:
        with self.lock:
            self.snapshot = self._take()

    def _take(self) -> Snapshot:
        """A new snapshot of ``dist`` (the manifest read before the copy, so it never claims newer data)."""
        state, manifest = dist_state(self.dist), read_manifest(self.dist) or {}
        self.taken += 1
        folder = self.root / f"snapshot-{self.taken}"
        source = self.dist / STORE_DIR
        if not source.is_dir():
            raise PmkgError(f"no built store at {source}", hint="run `pmkg build` first")
        choice = choose(self.policy, source)
        if choice.mode == "memory":
            write_snapshot_files(self.dist, self.imports, folder)
        else:
            shutil.copytree(source, folder, ignore=shutil.ignore_patterns("LOCK"))
        if self.announce:
            self.announce(f"serving build {str(manifest.get('fingerprint', 'unknown'))[:12]}, {choice.line()}")
        return Snapshot(folder, manifest, choice, QueryPool(folder, self.queries, self.workers, self.timeout,
                                                            choice.mode), state)

    def current(self, snapshot: Snapshot) -> bool:
        """Whether ``snapshot`` is what ``dist/`` holds now."""
        return snapshot.state == dist_state(self.dist)

    def _refresh(self) -> Snapshot:
        """The snapshot to serve now: a new one when ``dist/`` changed and is not in flux."""
        old = self.snapshot
        assert old is not None, "Served.start() was not called"
        if old.state == dist_state(self.dist) or self._in_flux():
            return old
        new = self._take()
        self.snapshot = new
        old.retired = True
        if old.users == 0:
            old.close()
        return new

    def _in_flux(self) -> bool:
        return read_manifest(self.dist) is None or bool(stale_imports(self.dist, self.imports))

    @contextmanager
    def use(self) -> Iterator[Snapshot]:
        with self.lock:
            snapshot = self._refresh()
            snapshot.users += 1
        try:
            yield snapshot
        finally:
            with self.lock:
                snapshot.users -= 1
                done = snapshot.retired and snapshot.users == 0
            if done:
                snapshot.close()

    def close(self) -> None:
        with self.lock:
            if self.snapshot is not None:
                self.snapshot.pool.close()
            self.snapshot = None
        shutil.rmtree(self.root, ignore_errors=True)
