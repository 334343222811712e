"""Wikidata linking against real local servers: an Oxigraph server holding a Wikidata-shaped extract,
and Python http.servers made to fail (refused port, too slow, HTTP 500, empty 200)."""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from rdflib import Literal
from test_link_common import REGISTRY, ROR_EXCERPT, make_link_project
from typer.testing import CliRunner

from pmkg.cli import app
from pmkg.link.review import read_links, write_links
from pmkg.link.ror import read_ror
from pmkg.link.wikidata import EndpointError, WikidataClient
from pmkg.schema import Link

HOST = "127.0.0.1"
OXIGRAPH = Path(sys.executable).parent / "oxigraph"
WD, WDT = "http://www.wikidata.org/entity/", "http://www.wikidata.org/prop/direct/"
RDFS_LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
runner = CliRunner()
pytestmark = pytest.mark.skipif(shutil.which(str(OXIGRAPH)) is None, reason="oxigraph CLI not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _wait_for(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"oxigraph exited: {proc.stderr.read() if proc.stderr else ''}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError("oxigraph did not start listening")


def wikidata_extract() -> str:
    """N-Triples of Wikidata-shaped items for the QIDs carried by the ROR excerpt, plus country items."""
    countries = dict(re.findall(r'wd:(Q\d+) rdfs:label "[^"]*"@en ; wdt:P297 "([A-Z]{2})"',
                                (REGISTRY / "wikidata-countries.ttl").read_text(encoding="utf-8")))
    country_item = {iso: qid for qid, iso in countries.items()}
    lines = []
    for rec in read_ror(ROR_EXCERPT):
        for qid in rec.wikidata:
            item = f"<{WD}{qid}>"
            name = re.sub(r"\s*\([^()]*\)$", "", rec.name)
            lines.append(f"{item} {RDFS_LABEL} {Literal(name, lang='en').n3()} .")
            lines.append(f"{item} <{WDT}P6782> {Literal(rec.identifier).n3()} .")
            lines += [f"{item} <{WDT}P3153> {Literal(f).n3()} ." for f in rec.fundref[:3]]
            if rec.country in country_item:
                lines.append(f"{item} <{WDT}P17> <{WD}{country_item[rec.country]}> .")
    for qid, iso in countries.items():
        lines.append(f"<{WD}{qid}> <{WDT}P297> {Literal(iso).n3()} .")
    return "\n".join(sorted(set(lines))) + "\n"


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Oxigraph server loaded with the extract (ported, on-disk store in a temp dir)."""
    tmp = tmp_path_factory.mktemp("wd")
    data = tmp / "extract.nt"
    data.write_text(wikidata_extract(), encoding="utf-8")
    store = tmp / "store"
    subprocess.run([str(OXIGRAPH), "load", "--location", str(store), "--file", str(data)], check=True,
                   capture_output=True)
    port = free_port()
    proc = subprocess.Popen([str(OXIGRAPH), "serve", "--location", str(store), "--bind", f"{HOST}:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(port, proc)
        yield f"http://{HOST}:{port}/query"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@contextlib.contextmanager
def broken_server(mode: str) -> Iterator[tuple[str, list[int]]]:
    """A Python http.server that fails: 'sleep' (answers too late), '500', 'empty' (200, no body)."""
    hits: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            hits.append(1)
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if mode == "sleep":
                time.sleep(3)
            code = 500 if mode == "500" else 200
            self.send_response(code)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((HOST, 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}/sparql", hits
    finally:
        server.shutdown()
        server.server_close()


def qid_of_ror(ror_id: str) -> str:
    """The QID a ROR record of the excerpt carries (never typed by hand)."""
    return next(r for r in read_ror(ROR_EXCERPT) if r.identifier == ror_id).wikidata[0]


def test_client_on_a_real_sparql_server(endpoint: str, tmp_path: Path):
    client = WikidataClient(endpoint, timeout=10, cache_dir=tmp_path / "cache")
    assert client.items_by_property("P6782", ["01h0zpd94"]) == {
        "01h0zpd94": [("Q4501917", "National Natural Science Foundation of China")]}
    fudan = client.items_by_name(["Fudan University", "O'Brien \"quoted\" name"])
    assert fudan == {"Fudan University": [(qid_of_ror("013q1eq08"), "Fudan University", "CN", "label")]}
    assert client.items_by_property("P297", ["CN"])["CN"][0][0] == "Q148"
    calls = client.calls
    client.items_by_property("P6782", ["01h0zpd94"])
    assert client.calls == calls  # answered from the on-disk cache


def _project_with_ror(tmp_path: Path) -> Path:
    root = make_link_project(tmp_path)
    assert runner.invoke(app, ["link", "ror", "--root", str(root), "--dump", str(ROR_EXCERPT)]).exit_code == 0
    assert runner.invoke(app, ["link", "review", "ror", "--root", str(root), "--reviewer", "t"]).exit_code == 0
    return root


def _wikidata(root: Path, *extra: str):
    return runner.invoke(app, ["link", "wikidata", "--root", str(root), "--ror-dump", str(ROR_EXCERPT),
                               "--no-cache", *extra])


def test_link_wikidata_with_endpoint(endpoint: str, tmp_path: Path):
    root = _project_with_ror(tmp_path)
    r = _wikidata(root, "--endpoint", endpoint)
    assert r.exit_code == 0, r.output
    assert "registry defect: Wikidata Q795900 is carried by ROR records 0155ctq43, 045pn2j94" in r.output
    links = {(x.about, x.identifier): x for x in read_links(root / "kg" / "links" / "wikidata.yaml")}
    nsfc = links[("nsfc", "Q4501917")]
    assert nsfc.method == "ror-record" and not nsfc.flags
    assert any(e.startswith("Wikidata item states ROR id 01h0zpd94") for e in nsfc.evidence)
    assert links[("china", "Q148")].method == "iso-code"
    assert any(f.startswith("registry-defect: Q795900") for f in links[("bgi", "Q795900")].flags)
    r = runner.invoke(app, ["link", "review", "wikidata", "--root", str(root), "--reviewer", "t"])
    assert r.exit_code == 0
    reviewed = {(x.about, x.identifier): x.status for x in read_links(root / "kg" / "links" / "wikidata.yaml")}
    assert reviewed[("nsfc", "Q4501917")] == reviewed[("china", "Q148")] == "accepted"
    assert reviewed[("bgi", "Q795900")] == "proposed"


def test_offline_wikidata_uses_qids_carried_by_ror_records(tmp_path: Path):
    root = _project_with_ror(tmp_path)
    r = _wikidata(root)
    assert r.exit_code == 0, r.output
    links = {(x.about, x.identifier): x for x in read_links(root / "kg" / "links" / "wikidata.yaml")}
    assert links[("nsfc", "Q4501917")].method == "ror-record"
    assert not any(about == "china" for about, _ in links)  # countries need the endpoint


DECISION = Link(about="nsfc", registry="wikidata", registry_doc="wikidata", identifier="Q4501917",
                iri="http://www.wikidata.org/entity/Q4501917", status="rejected", reason="curator's earlier decision")


@pytest.mark.parametrize(("mode", "message"), [
    ("refused", "cannot connect"), ("sleep", "no answer within 1 s"), ("500", "answered HTTP 500"),
    ("empty", "answered with an empty body")])
def test_failing_endpoints_give_a_clear_message_and_keep_decisions(tmp_path: Path, mode: str, message: str):
    root = _project_with_ror(tmp_path)
    path = root / "kg" / "links" / "wikidata.yaml"
    write_links(path, [DECISION], "wikidata")
    before = path.read_bytes()
    with contextlib.ExitStack() as stack:
        if mode == "refused":
            url = f"http://{HOST}:{free_port()}/sparql"
        else:
            url, _ = stack.enter_context(broken_server(mode))
        opts = ["--endpoint", url, "--timeout", "1", "--retries", "1", "--backoff", "0"]
        strict = _wikidata(root, *opts, "--require-endpoint")
        assert strict.exit_code == 2
        line = next(x for x in strict.output.splitlines() if x.startswith("error:"))
        assert f"Wikidata endpoint {url}" in line and message in line
        assert path.read_bytes() == before  # nothing written
        lenient = _wikidata(root, *opts)
    assert lenient.exit_code == 0, lenient.output
    assert "warning:" in lenient.output and message in lenient.output
    assert "proposing only the QIDs carried by ROR records" in lenient.output
    links = {(x.about, x.identifier): x for x in read_links(path)}
    assert links[("nsfc", "Q4501917")] == DECISION  # the earlier decision survives
    assert ("fudan-university", qid_of_ror("013q1eq08")) in links  # offline proposals were still made


def test_retries_with_back_off_then_a_clear_error():
    slept: list[float] = []
    with broken_server("500") as (url, hits):
        client = WikidataClient(url, timeout=5, retries=2, backoff=0.5, sleep=slept.append)
        with pytest.raises(EndpointError) as exc:
            client.items_by_property("P6782", ["01h0zpd94"])
    assert len(hits) == 3 and slept == [0.5, 1.0]
    assert str(exc.value) == f"Wikidata endpoint {url}: answered HTTP 500 Internal Server Error (3 attempts)"
    with pytest.raises(EndpointError, match="is not an http"):
        WikidataClient("ftp://x")
