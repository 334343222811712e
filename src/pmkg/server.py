"""Oxigraph's SPARQL server (the ``oxigraph`` executable from the ``oxigraph`` pip package) as a child process.

``pmkg serve`` serves a snapshot of the built store: ``dist/store`` is copied
into a temporary folder and served with ``oxigraph serve-read-only``, so a
rebuild (which swaps ``dist/`` by renaming) never changes the files under a
running server, and the embedded store can still be opened read-only
alongside it.  The server always runs with ``--union-default-graph``, the
convention every canned query assumes.

Endpoints of an Oxigraph server at ``http://HOST:PORT``: SPARQL query
``/query``, SPARQL update ``/update``, Graph Store Protocol ``/store``.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from pmkg.errors import PmkgError
from pmkg.safety import die_with_parent
from pmkg.store import STORE_DIR

DEFAULT_PORT = 7878
DEFAULT_BIND = "127.0.0.1"


class ServerError(PmkgError):
    """The SPARQL server could not be started or stopped."""


def oxigraph_executable() -> str:
    """The ``oxigraph`` command: next to this Python first (the venv), then on PATH."""
    here = Path(sys.executable).parent / "oxigraph"
    if here.is_file():
        return str(here)
    found = shutil.which("oxigraph")
    if found is None:
        raise ServerError("the `oxigraph` server executable is not installed",
                          hint="pip install oxigraph (it is in pmkg's test extra)")
    return found


def answers_ask(query_url: str, timeout: float) -> bool:
    """Whether the SPARQL endpoint at ``query_url`` answers ``ASK {}`` within ``timeout`` seconds."""
    try:
        with urllib.request.urlopen(query_url + "?query=ASK%7B%7D", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def free_port(host: str = DEFAULT_BIND) -> int:
    """A TCP port that was free a moment ago on ``host``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class OxigraphServer:
    """One ``oxigraph serve`` process; in memory when ``location`` is None.

    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(self, location: Path | None = None, *, host: str = DEFAULT_BIND, port: int | None = None,
                 read_only: bool = False, union_default_graph: bool = True,
                 query_timeout: int | None = None) -> None:
        if read_only and location is None:
            raise ServerError("a read-only server needs a store location")
        self.location = location
        self.host = host
        self.port = port if port is not None else free_port(host)
        self.read_only = read_only
        self.union_default_graph = union_default_graph
        self.query_timeout = query_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    @property
    def query_url(self) -> str:
        return self.url + "/query"

    @property
    def update_url(self) -> str:
        return self.url + "/update"

    @property
    def store_url(self) -> str:
        return self.url + "/store"

    def command(self) -> list[str]:
        cmd = [oxigraph_executable(), "serve-read-only" if self.read_only else "serve",
               "--bind", f"{self.host}:{self.port}"]
        if self.location is not None:
            cmd += ["--location", str(self.location)]
        if self.union_default_graph:
            cmd.append("--union-default-graph")
        if self.query_timeout:
            cmd += ["--timeout-s", str(self.query_timeout)]
        return cmd

    def start(self, wait: float = 30.0) -> Self:
        """Start the process and return once it answers HTTP (or raise with its own error line)."""
        self._check_port_free()
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=self._log,
                                        stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                message = self._last_log_line() or f"exit code {self.process.returncode}"
                self.stop()
                raise ServerError(f"oxigraph server on {self.host}:{self.port} did not start: {message}")
            if self._answers():
                return self
            time.sleep(0.05)
        self.stop()
        raise ServerError(f"oxigraph server on {self.host}:{self.port} did not answer within {wait:g} s")

    def _check_port_free(self) -> None:
        """Fail before starting when something listens already: it, not our server, would answer the probe."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((self.host, self.port))
            except OSError as exc:
                raise ServerError(f"cannot listen on {self.host}:{self.port}: {exc.strerror or exc}",
                                  hint="choose another --port") from exc

    def _answers(self) -> bool:
        return answers_ask(self.query_url, timeout=1)

    def _last_log_line(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        lines = [ln.strip() for ln in self._log.read().decode("utf-8", "replace").splitlines() if ln.strip()]
        return lines[-1] if lines else ""

    def wait(self) -> int:
        """Block until the server exits; its exit code."""
        if self.process is None:
            raise ServerError("the server is not running")
        return self.process.wait()

    def stop(self) -> None:
        """Stop this server's own process (SIGTERM, then SIGKILL after 10 s)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


@contextlib.contextmanager
def serve_snapshot(dist: Path, *, host: str = DEFAULT_BIND, port: int = DEFAULT_PORT,
                   query_timeout: int | None = None) -> Iterator[OxigraphServer]:
    """Serve a read-only copy of ``dist/store`` (union default graph); the copy is removed afterwards."""
    with store_snapshot(dist) as snapshot, OxigraphServer(snapshot, host=host, port=port, read_only=True,
                                                         query_timeout=query_timeout) as server:
        yield server


@contextlib.contextmanager
def store_snapshot(dist: Path) -> Iterator[Path]:
    """A temporary read-only copy of ``dist/store`` (so a rebuild never changes what is being served)."""
    source = dist / STORE_DIR
    if not source.is_dir():
        raise ServerError(f"no built store at {source}", hint="run `pmkg build` first")
    with tempfile.TemporaryDirectory(prefix="pmkg-serve-") as tmp:
        snapshot = Path(tmp) / STORE_DIR
        try:
            shutil.copytree(source, snapshot, ignore=shutil.ignore_patterns("LOCK"))
        except OSError as exc:
            raise ServerError(f"cannot copy the store {source}: {exc}") from exc
        yield snapshot


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound and listening on ``host:port``, or a one-line ServerError (e.g. the port is in use)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise ServerError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                          hint="choose another --port") from exc
    return sock
