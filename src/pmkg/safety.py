"""Writing ``dist/`` and ``imports/`` safely: one writer at a time, clear disk errors,
an atomic swap that never leaves no ``dist/``, and leftovers of killed runs removed.

* :func:`project_lock` - a ``flock`` on ``<root>/.pmkg.lock`` held by a build's
  write stage and by an import; the second writer stops with a clear message
  (the lock dies with its process, so a killed run never leaves it held).
* :func:`disk_errors` - an ``OSError`` (disk full, read-only file system,
  permission) becomes one PmkgError naming the path.
* :func:`swap_in` - Linux ``renameat2(RENAME_EXCHANGE)`` swaps the new folder and
  ``dist/`` in one step; elsewhere two renames, and :func:`clean_leftovers`
  puts a ``.dist-old-*`` back if a crash fell between them.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from pmkg.errors import PmkgError

LOCK_NAME = ".pmkg.lock"
REASON_PREFIX = "pmkg-reason-"
RENAME_EXCHANGE = 2
AT_FDCWD = -100
STALE_SECONDS = 6 * 3600
PR_SET_PDEATHSIG = 1


@contextlib.contextmanager
def disk_errors(path: Path) -> Iterator[None]:
    """Turn an OSError while writing under ``path`` into one clear PmkgError."""
    try:
        yield
    except PmkgError:
        raise
    except OSError as exc:
        where = exc.filename or path
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            raise PmkgError(f"disk full while writing {where}", hint="free some space and run it again; "
                            "nothing was replaced") from exc
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise PmkgError(f"cannot write {where}: {exc.strerror} (read-only file or folder)",
                            hint="make it writable (chmod u+w) or use another --root") from exc
        raise PmkgError(f"cannot write {where}: {exc.strerror or exc}") from exc


@contextlib.contextmanager
def project_lock(dist: Path, what: str) -> Iterator[None]:
    """Exclusive lock of the project's ``dist/`` and ``imports/`` for one writer."""
    path = dist.resolve().parent / LOCK_NAME
    with disk_errors(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PmkgError(f"another pmkg build or import is writing {dist} (it holds {path}); {what} "
                            "did not start and changed nothing", hint="retry when it has finished") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)


def file_state(path: Path) -> list[int]:
    """Size and modification time: what tells an import file changed (cheap, no hashing)."""
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths (Linux renameat2); False where it is not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def swap_in(new: Path, dist: Path) -> None:
    """Make ``new`` the ``dist`` folder; at every instant one of the two is ``dist``."""
    with disk_errors(dist):
        if not dist.exists():
            os.rename(new, dist)
            return
        if _exchange(new, dist):
            shutil.rmtree(new, ignore_errors=True)  # it now holds the previous build
            return
        old = dist.parent / f".dist-old-{os.getpid()}"
        os.rename(dist, old)
        os.rename(new, dist)  # a crash right before this: clean_leftovers renames old back
        shutil.rmtree(old, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_leftovers(dist: Path, imports: Path | None = None) -> list[Path]:
    """Under the project lock: restore a ``dist/`` lost between two renames, remove the
    ``.dist-*`` folders and ``imports/.*.nq.*`` temp files of killed runs, and
    ``/tmp/pmkg-reason-<pid>-*`` folders whose process is gone.  Returns what was removed."""
    removed: list[Path] = []
    parent = dist.parent
    olds = sorted(parent.glob(".dist-old-*"), key=lambda p: p.stat().st_mtime)
    if not dist.exists() and olds:
        os.rename(olds.pop(), dist)
    for leftover in [*parent.glob(".dist-*"), *(imports.glob(".*.nq.*") if imports and imports.is_dir() else [])]:
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
        removed.append(leftover)
    for tmp in Path(tempfile.gettempdir()).glob(REASON_PREFIX + "*"):
        pid = tmp.name[len(REASON_PREFIX):].split("-", 1)[0]
        try:
            stale = time.time() - tmp.stat().st_mtime > STALE_SECONDS
        except OSError:
            continue
        if (pid.isdigit() and not _pid_alive(int(pid))) or stale:
            shutil.rmtree(tmp, ignore_errors=True)
            removed.append(tmp)
    return removed


def die_with_parent() -> None:
    """``preexec_fn`` for child processes (Oxigraph server, HermiT's Java): the kernel kills
    the child when pmkg dies, even by kill -9, so no orphan keeps a port or a CPU busy."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: nothing to do
        pass


def fsync_dir(folder: Path) -> None:
    """Make a rename or unlink in ``folder`` durable (fsync of the directory itself)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
