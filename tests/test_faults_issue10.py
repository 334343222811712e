"""Issue 10 faults: endpoint answers of any shape, dropped connections, hanging
SERVICE calls, SERVICE to unlisted endpoints, rich markup in table output -
through the installed ``pmkg`` script where users meet them."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pmkg.errors import QueryError
from pmkg.remote import EndpointBackend
from pmkg.service import service_endpoints

PMKG = str(Path(sys.executable).with_name("pmkg"))

ANSWERS: dict[str, bytes | None] = {
    "/no-type": b'{"head": {"vars": ["x"]}, "results": {"bindings": [{"x": {"value": "a"}}]}}',
    "/value-not-string": b'{"head": {"vars": ["x"]}, "results": {"bindings": [{"x": {"type": "uri", "value": 3}}]}}',
    "/bindings-not-list": b'{"head": {"vars": ["x"]}, "results": {"bindings": {"x": 1}}}',
    "/row-not-object": b'{"head": {"vars": ["x"]}, "results": {"bindings": [7]}}',
    "/vars-not-strings": b'{"head": {"vars": [1]}, "results": {"bindings": []}}',
    "/json-list": b"[1, 2]",
    "/deep-json": b"[" * 100_000 + b"]" * 100_000,
    "/not-json": b"<html>oops</html>",
    "/not-utf8": b"\xff\xfe{",
    "/ask-not-bool": b'{"head": {}, "boolean": "yes"}',
    "/close": None,  # connection closed without a reply
    "/hang": b"",  # never answers within the client's timeout
}


SEEN: list[str] = []  # requests that reached the fake endpoint


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        SEEN.append(self.path)
        answer = ANSWERS.get(self.path.split("?")[0], b"{}")
        if answer is None:
            self.close_connection = True
            self.connection.close()
            return
        if self.path.startswith("/hang"):
            time.sleep(8)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    do_GET = do_POST

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("path", [p for p in ANSWERS if p not in ("/ask-not-bool", "/hang")])
def test_endpoint_answer_without_type_or_of_any_shape_is_a_query_error(endpoint: str, path: str) -> None:
    with pytest.raises(QueryError) as exc:
        EndpointBackend(endpoint + path, timeout=5).select("SELECT ?x WHERE { ?x ?p ?o }")
    assert endpoint + path in str(exc.value)


def test_connection_closed_without_reply_is_a_query_error(endpoint: str) -> None:
    with pytest.raises(QueryError, match=r"closed the connection|cannot reach"):
        EndpointBackend(endpoint + "/close", timeout=5).select("SELECT ?x WHERE { ?x ?p ?o }")


def test_ask_answer_that_is_not_a_boolean_is_a_query_error(endpoint: str) -> None:
    with pytest.raises(QueryError, match="ASK"):
        EndpointBackend(endpoint + "/ask-not-bool", timeout=5).ask("ASK { ?s ?p ?o }")


def test_hanging_endpoint_times_out_with_a_message(endpoint: str) -> None:
    with pytest.raises(QueryError, match="did not answer within 1 s"):
        EndpointBackend(endpoint + "/hang", timeout=1).select("SELECT ?x WHERE { ?x ?p ?o }")


def test_service_endpoints_are_found_behind_prefixes_but_not_in_strings_or_comments() -> None:
    text = ('PREFIX w: <http://w.example/> SELECT * WHERE { ?s ?p "SERVICE <http://x>" # SERVICE <http://y>\n'
            "  SERVICE SILENT w:sparql { ?s ?p ?o } SERVICE ?v { } ?s <http://a/SERVICE> ?o }")
    assert service_endpoints(text) == ["http://w.example/sparql", None]


def pmkg(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PMKG, *args, "--root", str(root)], capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_service_to_unlisted_endpoint_is_refused_and_sends_nothing(sink_build, endpoint: str) -> None:
    root, _ = sink_build
    result = pmkg(root, "sparql", f"SELECT * WHERE {{ SERVICE <{endpoint}/no-type> {{ ?s ?p ?o }} }}")
    assert result.returncode == 2
    assert f"SERVICE <{endpoint}/no-type> is not allowed" in result.stderr
    assert "--allow-service" in result.stderr


@pytest.mark.slow
def test_hanging_service_is_stopped_by_the_timeout(sink_build, endpoint: str) -> None:
    root, _ = sink_build
    url = f"{endpoint}/hang"
    result = pmkg(root, "sparql", f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
                  "--allow-service", url, "--timeout", "2")
    assert result.returncode == 2
    assert "did not finish within 2 s" in result.stderr and url in result.stderr


@pytest.mark.slow
def test_table_output_escapes_rich_markup(sink_build) -> None:
    root, _ = sink_build
    result = pmkg(root, "sparql", 'SELECT ?t WHERE { VALUES ?t { "[in Chinese] title" "[/]" "[bold]x[/bold]" } }')
    assert result.returncode == 0, result.stderr
    for text in ("[in Chinese] title", "[/]", "[bold]x[/bold]"):
        assert text in result.stdout


def test_oxigraph_server_dies_with_a_killed_parent(tmp_path: Path) -> None:
    """kill -9 of pmkg left an orphaned Oxigraph server holding the port."""
    import os
    import signal
    code = ("import sys, time\nfrom pmkg.server import OxigraphServer\n"
            "s = OxigraphServer().start()\nprint(s.process.pid, flush=True)\ntime.sleep(600)\n")
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    for _ in range(200):  # the kernel delivers SIGKILL to the child; wait until it is reaped by init
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        try:
            with open(f"/proc/{child}/stat", encoding="ascii") as fh:
                if fh.read().split(") ")[1].startswith("Z"):
                    break
        except FileNotFoundError:
            break
        time.sleep(0.05)
    else:
        os.kill(child, signal.SIGKILL)
        pytest.fail("the Oxigraph server outlived its killed parent")


@pytest.mark.slow
def test_serve_refuses_service_and_sends_no_request(sink_build, endpoint: str) -> None:
    """`pmkg serve` let any client make the server fetch any URL through SERVICE."""
    import queue
    import urllib.error
    import urllib.parse
    import urllib.request

    from pmkg.server import free_port
    root, _ = sink_build
    port = free_port()
    proc = subprocess.Popen([PMKG, "serve", "--port", str(port), "--root", str(root)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(ln) for ln in proc.stdout], daemon=True).start()
    try:
        assert lines.get(timeout=120).strip() == f"SPARQL endpoint: http://127.0.0.1:{port}/query"
        url = f"http://127.0.0.1:{port}/query"
        assert EndpointBackend(url, timeout=30).ask("ASK { ?s ?p ?o }") is True
        hits_before = len(SEEN)
        for text in (f"SELECT * WHERE {{ SERVICE <{endpoint}/seen> {{ ?s ?p ?o }} }}",
                     f"PREFIX e: <{endpoint}/> SELECT * WHERE {{ SERVICE SILENT e:seen {{ ?s ?p ?o }} }}"):
            with pytest.raises(QueryError, match="HTTP 403"):
                EndpointBackend(url, timeout=30).select(text)
            request = urllib.request.Request(url + "?" + urllib.parse.urlencode({"query": text}))
            with pytest.raises(urllib.error.HTTPError) as exc:
                urllib.request.urlopen(request, timeout=30)
            assert b"SERVICE (federated query) is disabled" in exc.value.read()
        assert len(SEEN) == hits_before
    finally:
        proc.terminate()
        proc.wait(timeout=30)
