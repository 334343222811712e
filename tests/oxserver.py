"""Real servers for the endpoint and publish tests, all on 127.0.0.1 and free ports.

- :func:`oxigraph` starts a real Oxigraph server (``oxigraph serve``, in memory,
  union default graph) through :class:`pmkg.server.OxigraphServer`;
- :func:`broken_server` starts a Python ``http.server`` made to fail in one way
  (``sleep``: answers after the client gave up; ``500``; ``empty``: 200 with no body);
- :func:`closed_port` is a port nothing listens on (connection refused);
- :func:`failing_proxy` forwards to a real Oxigraph server but answers HTTP 500
  (or an empty 200 without forwarding) once a number of ``PUT`` requests went through,
  to see what a publish that fails half-way leaves on the real server.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pmkg.server import OxigraphServer

HOST = "127.0.0.1"


@contextlib.contextmanager
def oxigraph(location: Path | None = None) -> Iterator[OxigraphServer]:
    """A real Oxigraph server (in memory unless ``location``), stopped on exit."""
    with OxigraphServer(location, host=HOST) as server:
        yield server


def put_graph(server: OxigraphServer, graph: str, ntriples: str) -> None:
    """Replace one graph on a real server (test set-up, not the code under test)."""
    request = urllib.request.Request(f"{server.store_url}?graph={urllib.request.quote(graph, safe='')}",
                                     data=ntriples.encode("utf-8"), method="PUT",
                                     headers={"Content-Type": "application/n-triples"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status in (201, 204)


def update(server: OxigraphServer, text: str) -> None:
    request = urllib.request.Request(server.update_url, data=text.encode("utf-8"), method="POST",
                                     headers={"Content-Type": "application/sparql-update"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status in (200, 204)


def closed_port() -> int:
    """A port that refuses connections: bound, never listened on, released on return."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__((HOST, 0), handler)
        self.release = threading.Event()
        self.puts = 0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}"


def _handler(mode: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server: _Server

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            if mode == "sleep":
                self.server.release.wait(30)  # past the client's timeout; released when the test ends
                body = b""
                self.send_response(204)
            elif mode == "500":
                body = b"internal error (made to fail)\n"
                self.send_response(500)
                self.send_header("Content-Type", "text/plain")
            elif mode == "empty":
                body = b""
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
            else:
                raise AssertionError(mode)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(OSError):
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, *_args: object) -> None:
            pass

    return Handler


@contextlib.contextmanager
def _running(server: _Server) -> Iterator[_Server]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextlib.contextmanager
def broken_server(mode: str) -> Iterator[str]:
    """A local HTTP server failing as ``mode`` says; yields its base URL (any path answers the same)."""
    with _running(_Server(_handler(mode))) as server:
        yield server.url


def _proxy_handler(target: str, good_puts: int, failure: str) -> type[BaseHTTPRequestHandler]:
    class Proxy(BaseHTTPRequestHandler):
        server: _Server

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            if self.command == "PUT":
                with self.server.lock:
                    self.server.puts += 1
                    fail = self.server.puts > good_puts
                if fail:
                    self.send_response(500 if failure == "500" else 200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
            headers = {k: v for k, v in self.headers.items() if k.lower() in ("content-type", "accept")}
            request = urllib.request.Request(target + self.path, data=body, method=self.command, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    status, payload, ctype = response.status, response.read(), response.headers.get("Content-Type")
            except urllib.error.HTTPError as exc:
                status, payload, ctype = exc.code, exc.read(), exc.headers.get("Content-Type")
            self.send_response(status)
            if ctype:
                self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = _forward

        def log_message(self, *_args: object) -> None:
            pass

    return Proxy


@contextlib.contextmanager
def failing_proxy(target: OxigraphServer, good_puts: int, failure: str = "500") -> Iterator[str]:
    """A proxy to ``target`` whose PUTs fail (``500``, or ``empty``: 200 and nothing stored) after ``good_puts``."""
    with _running(_Server(_proxy_handler(target.url, good_puts, failure))) as server:
        yield server.url
