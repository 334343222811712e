"""Every canned query gives the same answer embedded and on a real Oxigraph server loaded by `pmkg publish`;
`--endpoint` through the CLI; clear one-line errors from real servers made to fail; the federated query
against a second local server standing in for Wikidata; `pmkg serve`."""

from __future__ import annotations

import dataclasses
import gzip
import json
import queue
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Literal, URIRef
from typer.testing import CliRunner

from pmkg.catalogue import QuerySpec, load_catalogue
from pmkg.cli import app
from pmkg.errors import QueryError
from pmkg.publish import publish
from pmkg.query import Backend, EmbeddedBackend, Result, Value, run_query
from pmkg.remote import EndpointBackend
from pmkg.server import OxigraphServer, free_port
from pmkg.store import open_store
from tests.conftest import ROOT, SHARED
from tests.oxserver import broken_server, closed_port, oxigraph, put_graph

runner = CliRunner()
CATALOGUE = load_catalogue(ROOT / "queries")  # whatever queries exist when the tests run
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
ENDPOINT_IN_TEST = re.compile(r"^#\+ endpoint_in_test:\s*(\S+)\s*$", re.MULTILINE)
SERVICE = re.compile(r"\bSERVICE\b", re.IGNORECASE)
CONCAT = re.compile(r"GROUP_CONCAT\s*\((.*?)\)\s*AS\s*\?(\w+)", re.IGNORECASE | re.DOTALL)
SEPARATOR = re.compile(r"separator\s*=\s*(?:\"([^\"]*)\"|'([^']*)')", re.IGNORECASE)
ROR_FILE = SHARED / "data" / "ror" / "ror-records-subset-v2.9.jsonl.gz"
WD = "http://www.wikidata.org/entity/"
P6782 = "http://www.wikidata.org/prop/direct/P6782"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
EXACT_MATCH = "http://www.w3.org/2004/02/skos/core#exactMatch"
TEST_LINKS_GRAPH = "https://w3id.org/pmkg/graph/test-links"
# curated actor id -> ROR id of the same organisation (ROR ids from ../shared/data/README.md)
ACTOR_ROR = {"chinese-academy-of-sciences": "034t30j35", "fudan-university": "013q1eq08",
             "peking-university": "02v51f717", "bgi": "045pn2j94", "wellcome-sanger-institute": "05cy4wa09",
             "sciensano": "04ejags36", "genopole": "0380k9k47", "nsfc": "01h0zpd94"}
EXTRA_ROR = {"0155ctq43"}  # BGI Genomics: shares Wikidata Q795900 with BGI Group (a known ROR defect)


# --- comparing results --------------------------------------------------------------------------------------

def cell(value: Value | None) -> tuple[str, bool, str]:
    """A cell as both backends can state it: plain and language strings have no datatype in SPARQL JSON."""
    if value is None:
        return ("", False, "UNBOUND")
    datatype = value.datatype if value.datatype not in (XSD_STRING, LANG_STRING) else ""
    return (value.text, value.is_iri, datatype or "")


def separators(spec: QuerySpec) -> list[str]:
    """The separators of the query's GROUP_CONCATs (" " when none is given).

    SPARQL leaves the order inside a GROUP_CONCAT undefined, and Oxigraph's on-disk and in-memory stores
    do give different orders (measured on `actors`), so literal cells are compared as the sorted list of
    their parts, split at every such separator (cells derived from a concatenation included).
    """
    found = set()
    for match in CONCAT.finditer(re.sub(r"#[^\n]*", "", spec.text)):
        sep = SEPARATOR.search(match.group(1))
        found.add((sep.group(1) if sep.group(1) is not None else sep.group(2)) if sep else " ")
    return sorted(s for s in found if s)


def unordered(text: str, seps: list[str]) -> str:
    if not seps:
        return text
    return "\x1f".join(sorted(re.split("|".join(map(re.escape, seps)), text)))


def sorted_rows(result: Result, seps: list[str]) -> list[tuple[tuple[str, bool, str], ...]]:
    rows = []
    for row in result.rows:
        cells = [cell(v) for v in row]
        rows.append(tuple((unordered(c[0], seps), *c[1:]) if not c[1] else c for c in cells))
    return sorted(rows)


def outcome(spec: QuerySpec, params: dict[str, str], backend: Backend) -> Result | str:
    try:
        return run_query(spec, params, backend)
    except QueryError as exc:
        return str(exc)


def assert_same(spec: QuerySpec, params: dict[str, str], embedded: Backend, remote: Backend) -> Result | str:
    """Same columns, rows (sorted), notice - or the same error (a required parameter without a default)."""
    there = outcome(spec, params, remote)  # first: a query too slow for the server fails here, in 30 s
    if isinstance(there, str) and "did not answer within" in there:
        pytest.fail(f"{spec.name} {params}: {there} (`pmkg query --endpoint` waits 30 s)")
    here = outcome(spec, params, embedded)
    if isinstance(here, str) or isinstance(there, str):
        assert there == here
        return here
    assert there.columns == here.columns, spec.name
    seps = separators(spec)
    assert sorted_rows(there, seps) == sorted_rows(here, seps), f"{spec.name} {params}: server and embedded differ"
    assert there.notice == here.notice
    if spec.requires == "papers" and not here.rows:
        assert here.notice, f"{spec.name} needs papers and returned nothing: it must say so"
    return here


def pointed_at(spec: QuerySpec, registry_url: str) -> QuerySpec:
    """The query with its SERVICE endpoint (header `endpoint_in_test`) replaced by a local server."""
    if not SERVICE.search(re.sub(r"#[^\n]*", "", spec.text)):
        return spec
    match = ENDPOINT_IN_TEST.search(spec.text)
    if match is None:
        pytest.fail(f"{spec.name} uses SERVICE but names no `#+ endpoint_in_test:` IRI to replace in tests")
    return dataclasses.replace(spec, text=spec.text.replace(f"<{match.group(1)}>", f"<{registry_url}>"))


def cases() -> Iterator[object]:
    """Each query with its defaults, with all its examples, and with each example alone."""
    for name, spec in CATALOGUE.items():
        examples = {p.name: str(p.example) for p in spec.params if p.example is not None}
        yield pytest.param(name, {}, id=f"{name}-defaults")
        if examples:
            yield pytest.param(name, examples, id=f"{name}-example")
        if len(examples) > 1:
            for key, value in examples.items():
                yield pytest.param(name, {key: value}, id=f"{name}-{key}={value}")


# --- the registry extract standing in for Wikidata -----------------------------------------------------------

def _ror_records(wanted: set[str]) -> dict[str, dict]:
    found: dict[str, dict] = {}
    with gzip.open(ROR_FILE, "rt", encoding="utf-8") as lines:
        for line in lines:
            if not any(ror in line for ror in wanted):
                continue
            record = json.loads(line)["record"]
            ror = record["id"].rsplit("/", 1)[-1]
            if ror in wanted:
                found[ror] = record
    return found


def _qids(record: dict) -> list[str]:
    ids = record.get("external_ids")
    if isinstance(ids, dict):  # ROR schema v1
        entry = ids.get("Wikidata") or {}
    else:  # ROR schema v2
        entry = next((e for e in ids or [] if e.get("type") == "wikidata"), {})
    found = [entry["preferred"]] if entry.get("preferred") else []
    every = entry.get("all") or []
    return found + ([every] if isinstance(every, str) else list(every))


def _labels(record: dict) -> dict[str, set[str]]:
    labels: dict[str, set[str]] = {"en": set(), "zh": set()}
    if "names" in record:  # ROR schema v2
        for name in record["names"]:
            lang = name.get("lang") or ("en" if "ror_display" in name.get("types", []) else None)
            if lang in labels and "acronym" not in name.get("types", []):
                labels[lang].add(name["value"])
    else:
        labels["en"].add(record["name"])
        for label in record.get("labels") or []:
            if label.get("iso639") in labels:
                labels[label["iso639"]].add(label["label"])
    return labels


@dataclasses.dataclass
class Registry:
    """A small Wikidata-shaped extract made from real ROR records, and links from our actors to its items."""

    triples: list[tuple[str, str, Literal]]
    links: set[tuple[str, str]]  # (actor IRI, Wikidata item IRI), test-only
    release_links: set[tuple[str, str]]  # accepted links already in the release
    rors: dict[str, set[str]]  # item -> ROR ids
    labels: dict[str, dict[str, set[str]]]  # item -> lang -> labels

    def ntriples(self) -> str:
        return "".join(f"{URIRef(s).n3()} {URIRef(p).n3()} {o.n3()} .\n" for s, p, o in self.triples)

    def links_ntriples(self) -> str:
        return "".join(f"<{a}> <{EXACT_MATCH}> <{i}> .\n" for a, i in sorted(self.links))

    def expected(self, lang: str, with_test_links: bool = True) -> set[tuple[str, str, str, str | None]]:
        rows = set()
        for actor, item in self.release_links | (self.links if with_test_links else set()):
            for ror in self.rors.get(item, ()):
                names = self.labels[item][lang]
                rows.add((actor, item, ror, next(iter(names)) if names else None))
        return rows


def make_registry(dist: Path) -> Registry:
    if not ROR_FILE.is_file():
        pytest.skip("../shared/data/ror not present")
    records = _ror_records(set(ACTOR_ROR.values()) | EXTRA_ROR)
    store = open_store(dist)
    triples: list[tuple[str, str, Literal]] = []
    rors: dict[str, set[str]] = {}
    labels: dict[str, dict[str, set[str]]] = {}
    for ror, record in sorted(records.items()):
        for qid in dict.fromkeys(_qids(record)):
            item = WD + qid
            triples.append((item, P6782, Literal(ror)))
            rors.setdefault(item, set()).add(ror)
            for lang, names in _labels(record).items():
                labels.setdefault(item, {"en": set(), "zh": set()})[lang] |= names
    for item, by_lang in labels.items():  # like Wikidata: at most one label per language per item
        for lang, names in by_lang.items():
            by_lang[lang] = {min(names)} if names else set()
            triples += [(item, RDFS_LABEL, Literal(n, lang=lang)) for n in by_lang[lang]]
    links = set()
    for actor, ror in ACTOR_ROR.items():
        iri = f"https://w3id.org/pmkg/id/actor/{actor}"
        if ror in records and _qids(records[ror]) and any(store.quads_for_pattern(ox.NamedNode(iri), None, None)):
            links.add((iri, WD + _qids(records[ror])[0]))
    assert len(links) >= 4, f"expected the curated graph to hold most of {sorted(ACTOR_ROR)}"
    release_links = {(q.subject.value, q.object.value)
                     for q in store.quads_for_pattern(None, ox.NamedNode(EXACT_MATCH), None)
                     if isinstance(q.object, ox.NamedNode) and q.object.value.startswith(WD + "Q")}
    return Registry(triples, links, release_links, rors, labels)


# --- fixtures ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def dist(real_build) -> Path:
    return real_build[0] / "dist"


@pytest.fixture(scope="module")
def embedded(dist: Path) -> EmbeddedBackend:
    return EmbeddedBackend(open_store(dist))


@pytest.fixture(scope="module")
def server(dist: Path) -> Iterator[OxigraphServer]:
    """A real Oxigraph server holding the release, loaded through `publish`."""
    with oxigraph() as srv:
        report = publish(dist, srv.query_url)
        assert report.written and not report.removed
        yield srv


@pytest.fixture(scope="module")
def registry_server() -> Iterator[OxigraphServer]:
    """A second local server for SERVICE queries; empty here, loaded in the federated test's own server."""
    with oxigraph() as srv:
        yield srv


# --- every canned query ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "params"), list(cases()))
def test_canned_query_same_on_server(name: str, params: dict[str, str], embedded: EmbeddedBackend,
                                     server: OxigraphServer, registry_server: OxigraphServer) -> None:
    spec = pointed_at(CATALOGUE[name], registry_server.query_url)
    assert_same(spec, params, embedded, EndpointBackend(server.query_url))


def test_server_holds_the_same_union_graph(embedded: EmbeddedBackend, server: OxigraphServer) -> None:
    text = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    here = embedded.select(text).rows[0][0].text
    assert int(here) > 1000
    assert EndpointBackend(server.query_url).select(text).rows[0][0].text == here


def test_federated_registry_labels(dist: Path, embedded: EmbeddedBackend) -> None:
    registry = make_registry(dist)
    spec = CATALOGUE["registry-labels"]
    mem = ox.Store()
    mem.extend(open_store(dist).quads_for_pattern(None, None, None, None))
    mem.load(registry.links_ntriples().encode(), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(TEST_LINKS_GRAPH))
    with oxigraph() as wikidata, oxigraph() as srv:
        put_graph(wikidata, "http://example.org/registry-extract", registry.ntriples())
        publish(dist, srv.query_url)
        put_graph(srv, TEST_LINKS_GRAPH, registry.links_ntriples())
        local = pointed_at(spec, wikidata.query_url)
        assert local.text != spec.text
        for lang in ("zh", "en"):
            result = assert_same(local, {"lang": lang}, EmbeddedBackend(mem), EndpointBackend(srv.query_url))
            assert isinstance(result, Result), result
            got = {(r[0].text, r[2].text, r[3].text, r[4].text if r[4] else None) for r in result.rows}
            assert got == registry.expected(lang)
            assert any(r[4] for r in result.rows), f"no {lang} label came through the SERVICE"
        bgi = [r for r in result.rows if r[0].text.endswith("/actor/bgi")]
        assert {r[3].text for r in bgi} == {"045pn2j94", "0155ctq43"}  # two ROR records share the item
        # the release alone: its own accepted links (if any) and nothing from the test-only graph
        alone = run_query(local, {}, embedded)
        got = {(r[0].text, r[2].text, r[3].text, r[4].text if r[4] else None) for r in alone.rows}
        assert got == registry.expected("zh", with_test_links=False)


def test_regression_header_comment_sent_as_update(server: OxigraphServer) -> None:
    """SPARQLWrapper's comment stripping misses every other comment line and guessed 'ADD' from this header."""
    text = ("#+ summary: a\n#+ description: |\n#+   line one\n#+   we add a pair of countries\n#+   line three\n"
            "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert int(EndpointBackend(server.query_url).select(text).rows[0][0].text) > 1000


# --- the CLI with --endpoint -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cli_root(real_build, tmp_path_factory: pytest.TempPathFactory, registry_server: OxigraphServer) -> Path:
    """The built project with its queries copied, SERVICE endpoints pointed at the local registry."""
    built = real_build[0]
    root = tmp_path_factory.mktemp("cli")
    for name in ("kg", "ontology", "dist"):
        (root / name).symlink_to((built / name).resolve())
    (root / "queries").mkdir()
    for spec in CATALOGUE.values():
        (root / "queries" / spec.path.name).write_text(pointed_at(spec, registry_server.query_url).text,
                                                       encoding="utf-8")
    return root


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def json_rows(output: str, seps: list[str]) -> tuple[list[str], list[str], str | None]:
    payload = json.loads(output)
    rows = []
    for row in payload["rows"]:
        row = {k: unordered(v, seps) if isinstance(v, str) else v for k, v in row.items()}
        rows.append(json.dumps(row, sort_keys=True, ensure_ascii=False))
    return payload["columns"], sorted(rows), payload.get("notice")


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_cli_query_endpoint(name: str, cli_root: Path, server: OxigraphServer) -> None:
    there = cli("query", name, "--format", "json", "--endpoint", server.query_url, "--root", str(cli_root))
    if there[0] and "did not answer within" in there[2]:
        pytest.fail(there[2].strip())
    here = cli("query", name, "--format", "json", "--root", str(cli_root))
    assert there[0] == here[0]
    if here[0]:  # e.g. a required parameter: the same one-line error either way
        assert there[2] == here[2]
        assert len(here[2].strip().splitlines()) == 1
        return
    seps = separators(CATALOGUE[name])
    assert json_rows(there[1], seps) == json_rows(here[1], seps)


def test_cli_query_with_params_endpoint(cli_root: Path, server: OxigraphServer) -> None:
    args = ["query", "actor-counts", "--param", "listed-in=causio-2023", "--param", "by=type", "--format", "json",
            "--root", str(cli_root)]
    here, there = cli(*args), cli(*args, "--endpoint", server.query_url)
    assert here[0] == there[0] == 0
    assert json_rows(there[1], []) == json_rows(here[1], [])
    assert json.loads(here[1])["rows"]  # the curated graph has causio-2023 listings


def test_cli_sparql_endpoint(cli_root: Path, server: OxigraphServer, tmp_path: Path) -> None:
    text = ("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g")
    here = cli("sparql", text, "--format", "csv", "--root", str(cli_root))
    there = cli("sparql", text, "--format", "csv", "--endpoint", server.query_url, "--root", str(cli_root))
    assert here[0] == there[0] == 0
    assert there[1] == here[1]
    assert "causio-2023" in here[1]
    path = tmp_path / "labels.rq"
    path.write_text('SELECT ?l WHERE { ?a a <https://w3id.org/pmkg/ontology#Actor> ; '
                    '<http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER(LANG(?l) = "en") }', encoding="utf-8")
    here = cli("sparql", str(path), "--format", "csv", "--root", str(cli_root))
    there = cli("sparql", str(path), "--format", "csv", "--endpoint", server.query_url, "--root", str(cli_root))
    assert here[0] == there[0] == 0
    assert sorted(there[1].splitlines()) == sorted(here[1].splitlines())
    assert len(here[1].splitlines()) > 50


# --- servers made to fail ------------------------------------------------------------------------------------------

EXPECTED = {"refused": "cannot reach endpoint", "sleep": "did not answer within 1 s", "500": "500",
            "empty": "empty body"}


def failing_url(mode: str) -> Iterator[str]:
    if mode == "refused":
        yield f"http://127.0.0.1:{closed_port()}/query"
    else:
        with broken_server(mode) as url:
            yield url + "/query"


@pytest.mark.parametrize("mode", sorted(EXPECTED))
def test_endpoint_failure_is_one_clear_line(mode: str) -> None:
    for url in failing_url(mode):
        with pytest.raises(QueryError) as caught:
            EndpointBackend(url, timeout=1).select("SELECT * WHERE { ?s ?p ?o } LIMIT 1")
        message = str(caught.value)
        assert "\n" not in message
        assert url in message
        assert EXPECTED[mode] in message


@pytest.mark.parametrize("mode", ["refused", "500", "empty"])  # the CLI's timeout is fixed at 30 s: see test_publish
@pytest.mark.parametrize("command", ["query", "sparql"])
def test_cli_endpoint_failure_exit_2(mode: str, command: str, cli_root: Path) -> None:
    for url in failing_url(mode):
        what = ["query", "actors"] if command == "query" else ["sparql", "SELECT * WHERE { ?s ?p ?o } LIMIT 1"]
        code, out, err = cli(*what, "--endpoint", url, "--root", str(cli_root))
        assert code == 2
        assert out == ""
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        assert lines[0].startswith("error: ") and EXPECTED[mode] in lines[0]


# --- pmkg serve -------------------------------------------------------------------------------------------------

def test_serve_cli(real_build, embedded: EmbeddedBackend) -> None:
    """`pmkg serve` in its own process: prints the endpoint, answers as the embedded store does, stops on SIGTERM."""
    port = free_port()
    pmkg = Path(sys.executable).parent / "pmkg"
    assert shutil.which(str(pmkg)), "the pmkg console script is not installed in this venv"
    proc = subprocess.Popen([str(pmkg), "serve", "--port", str(port), "--bind", "127.0.0.1",
                             "--root", str(real_build[0])], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(ln) for ln in proc.stdout], daemon=True).start()
    try:
        first = lines.get(timeout=120)  # a guard against a hung start, not a measurement
        assert first.strip() == f"SPARQL endpoint: http://127.0.0.1:{port}/query"
        remote = EndpointBackend(f"http://127.0.0.1:{port}/query")
        for name in ("actor-counts", "actors"):
            if name in CATALOGUE:
                assert_same(CATALOGUE[name], {}, embedded, remote)
        # the embedded store stays usable while served (a snapshot is served, read-only)
        assert open_store(real_build[0] / "dist").query("ASK { ?s ?p ?o }", use_default_graph_as_union=True)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    with pytest.raises(QueryError, match="cannot reach"):
        EndpointBackend(f"http://127.0.0.1:{port}/query", timeout=2).ask("ASK {}")


def test_serve_reports_a_port_in_use(real_build) -> None:
    with oxigraph() as busy:
        code, _out, err = cli("serve", "--port", str(busy.port), "--root", str(real_build[0]))
    assert code == 2
    assert err.strip().startswith(f"error: cannot listen on 127.0.0.1:{busy.port}: Address already in use")
    assert len(err.strip().splitlines()) == 1
