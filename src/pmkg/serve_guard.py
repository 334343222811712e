"""A small HTTP front for ``pmkg serve`` that refuses SPARQL ``SERVICE``.

Oxigraph's server runs every SERVICE clause it is sent, so an endpoint on a
public address would fetch any URL a client names (request forgery); it has no
switch to turn SERVICE off, and ignores proxy variables (measured).  ``pmkg
serve`` therefore runs Oxigraph on a private port and this front on the port
users see: queries with SERVICE get HTTP 403 with a one-line reason,
everything else is passed through unchanged.
"""

from __future__ import annotations

import http.server
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from pmkg.server import ServerError
from pmkg.service import service_endpoints

PASSED_HEADERS = ("Accept", "Content-Type")
MAX_BODY = 10_000_000


def _queries(method: str, path: str, content_type: str, body: bytes) -> list[str]:
    """Every SPARQL query text a request carries (URL parameters, form body or raw body)."""
    texts = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query).get("query", [])
    if method == "POST":
        kind = content_type.split(";")[0].strip().lower()
        if kind == "application/x-www-form-urlencoded":
            texts += urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("query", [])
        elif kind == "application/sparql-query":
            texts.append(body.decode("utf-8", "replace"))
    return texts


def _handler(upstream: str, timeout: float) -> type[http.server.BaseHTTPRequestHandler]:
    class Guard(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def _reply(self, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _forward(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._reply(413, b"request body too large\n")
                return
            body = self.rfile.read(length) if length else b""
            texts = _queries(method, self.path, self.headers.get("Content-Type", ""), body)
            if any(service_endpoints(t) for t in texts):
                self._reply(403, b"SERVICE (federated query) is disabled on pmkg serve: the server does not "
                                 b"send requests to other endpoints\n")
                return
            headers = {h: self.headers[h] for h in PASSED_HEADERS if self.headers.get(h)}
            request = urllib.request.Request(upstream + self.path, data=body if method == "POST" else None,
                                             headers=headers, method=method)
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    self._reply(response.status, response.read(), response.headers.get("Content-Type", ""))
            except urllib.error.HTTPError as exc:
                self._reply(exc.code, exc.read(), exc.headers.get("Content-Type", "text/plain"))
            except (urllib.error.URLError, OSError) as exc:
                self._reply(502, f"the SPARQL server did not answer: {exc}\n".encode())

        def do_GET(self) -> None:
            self._forward("GET")

        def do_HEAD(self) -> None:
            self._forward("HEAD")

        def do_POST(self) -> None:
            self._forward("POST")

        def log_message(self, *args: object) -> None:  # quiet, like the Oxigraph server
            pass

    return Guard


@contextmanager
def guard(host: str, port: int, upstream: str, timeout: float) -> Iterator[http.server.ThreadingHTTPServer]:
    """Serve the SERVICE-refusing front on ``host:port`` in a thread while the block runs."""
    try:
        server = http.server.ThreadingHTTPServer((host, port), _handler(upstream, timeout))
    except OSError as exc:
        raise ServerError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                          hint="choose another --port") from exc
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
