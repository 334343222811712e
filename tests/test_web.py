"""`pmkg serve`'s app: the canned queries as an API (same binding as the CLI), content negotiation on the
entity IRIs, the read-only SPARQL endpoint, the time limit; in-process through Starlette's TestClient, and
through a real uvicorn process started by the `pmkg` script."""

from __future__ import annotations

import io
import json
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef

from pmkg.catalogue import load_catalogue
from pmkg.errors import QueryError
from pmkg.federation import uses_service
from pmkg.store import read_manifest
from tests.test_endpoint import separators, unordered
from tests.webserver import serving

pytestmark = pytest.mark.slow
BGI = "https://w3id.org/pmkg/id/actor/bgi"
RDFS_LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")


@pytest.fixture(scope="module")
def catalogue(real_build):
    return load_catalogue(real_build[0] / "queries")


def make_client(real_build, site, tmp: Path, **options: object) -> Iterator[object]:
    """The app on a copy of the real build's dist/ (the app serves snapshots of it; it is never written)."""
    from fastapi.testclient import TestClient

    from pmkg.web.app import ServeConfig, create_app
    root = real_build[0]
    shutil.copytree(root / "dist", tmp / "dist", ignore=shutil.ignore_patterns("LOCK"))
    config = ServeConfig(site[0], tmp / "dist", root / "queries", root / "imports", **options)
    with TestClient(create_app(config)) as client:
        yield client


@pytest.fixture(scope="module", params=["memory", "disk"])
def client(request, real_build, site, tmp_path_factory):
    """The app with its store in memory and on disk (every test of this module runs on both)."""
    yield from make_client(real_build, site, tmp_path_factory.mktemp("web"), store_policy=request.param)


def test_api_lists_every_canned_query_with_typed_params(client, catalogue) -> None:
    body = client.get("/api/queries").json()
    assert [q["name"] for q in body["queries"]] == list(catalogue)
    actors = next(q for q in body["queries"] if q["name"] == "actors")
    assert {p["name"]: p["type"] for p in actors["params"]} == {p.name: p.type for p in catalogue["actors"].params}


def test_api_answers_as_the_cli_binds(client, catalogue, run) -> None:
    """Every canned query with its example parameters: the API's rows are the embedded run's rows."""
    for name, spec in catalogue.items():
        if uses_service(spec.text):
            continue
        params = {p.name: str(p.example) for p in spec.params if p.example is not None}
        response = client.get(f"/api/queries/{name}", params=params)
        try:
            expected = run(name, **{k.replace("-", "_"): v for k, v in params.items()})
        except QueryError as exc:  # e.g. an example naming imported data this build lacks: the same error
            assert response.status_code == 400 and response.json()["error"] == "; ".join(exc.lines())
            continue
        assert response.status_code == 200, (name, response.text)
        body = response.json()
        got = [{k: (str(v) if v is not None else None) for k, v in row.items()} for row in body["rows"]]
        want = [{k: v for k, v in row.items()} for row in expected]
        seps = separators(spec)
        assert sorted_records(normalise(got), seps) == sorted_records(normalise(want), seps), name
        assert body["meta"]["rows"] == len(expected) and body["meta"]["query"] == name
        assert response.headers["X-Pmkg-Rows"] == str(len(expected))


def normalise(rows: list[dict[str, str | None]]) -> list[dict[str, str | None]]:
    """Numbers come back typed in JSON (1.0 for '1.0', 3 for '3'): compare them as numbers."""
    def cell(v: str | None) -> object:
        try:
            return float(v) if v is not None else None
        except ValueError:
            return v
    return [{k: cell(v) for k, v in row.items()} for row in rows]


def sorted_records(rows: list[dict[str, object]], seps: list[str]) -> list[list[tuple[str, object]]]:
    """Rows in sorted order, each GROUP_CONCAT cell as its sorted parts: SPARQL leaves the order within a
    GROUP_CONCAT undefined and the in-memory store's differs from the on-disk one's (tests/test_endpoint.py)."""
    return sorted([sorted((k, unordered(v, seps) if isinstance(v, str) else v) for k, v in row.items())
                   for row in rows], key=repr)


def test_api_metadata_says_what_the_answer_is(client, real_build) -> None:
    fingerprint = read_manifest(real_build[0] / "dist")["fingerprint"]
    r = client.get("/api/queries/actors", params={"region": "EU", "type": "SME"})
    meta = r.json()["meta"]
    assert meta["params"] == {"region": "EU", "type": "SME"} and meta["fingerprint"] == fingerprint
    assert meta["call"] == "pmkg query actors --param region=EU --param type=SME"
    assert meta["complete"] is True and meta["truncated"] is False and meta["notice"] is None
    assert json.loads(r.headers["X-Pmkg-Params"]) == {"region": "EU", "type": "SME"}
    assert r.headers["X-Pmkg-Build"] == fingerprint and r.headers["X-Pmkg-Complete"] == "true"


def test_api_truncates_and_says_so(client) -> None:
    r = client.get("/api/queries/actors", params={"max-rows": "2"})
    meta = r.json()["meta"]
    assert len(r.json()["rows"]) == 2 and meta["truncated"] is True and meta["complete"] is False
    assert meta["total_rows"] > 2 and r.headers["X-Pmkg-Truncated"] == "true"


def test_api_says_a_paper_query_without_papers_is_not_complete(client) -> None:
    meta = client.get("/api/queries/funders-of-affiliated-papers").json()["meta"]
    assert meta["rows"] == 0 and meta["complete"] is False and "No paper-level data" in meta["notice"]


@pytest.mark.parametrize("accept,fmt,ctype", [
    ("text/csv", None, "text/csv"), ("application/json", None, "application/json"),
    ("text/html,*/*;q=0.8", None, "application/json"), ("application/json", "csv", "text/csv"),
    (None, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")])
def test_api_formats_by_accept_or_format(client, run, accept, fmt, ctype) -> None:
    headers = {"Accept": accept} if accept else {}
    params = {"by": "type"} | ({"format": fmt} if fmt else {})
    r = client.get("/api/queries/actor-counts", params=params, headers=headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith(ctype)
    expected = run("actor-counts", by="type")
    if ctype == "text/csv":
        lines = r.text.strip().splitlines()
        assert lines[0] == "region,country,type,actors" and len(lines) == len(expected) + 1
    elif ctype.startswith("application/vnd"):
        from openpyxl import load_workbook
        book = load_workbook(io.BytesIO(r.content))
        assert book["result"].max_row == len(expected) + 1
        about = {row[0].value: row[1].value for row in book["about"].iter_rows()}
        assert about["query"] == "actor-counts" and about["rows"] == str(len(expected))


def test_api_refuses_what_is_not_acceptable(client) -> None:
    assert client.get("/api/queries/actors", headers={"Accept": "image/png"}).status_code == 406


@pytest.mark.parametrize("params,message", [
    ({"limit": "many"}, "--param limit: 'many' is not an integer"),
    ({"limit": "-1"}, "--param limit: must not be negative"),
    ({"cluster": "Narnia"}, "--param cluster: no actor with id, label or alias 'Narnia'"),
    ({"colour": "red"}, "query 'chinese-partners-of-eu-clusters' has no parameter 'colour'"),
    ({"format": "pdf"}, "format 'pdf' is not one of json, csv, xlsx"),
    ({"max-rows": "0"}, "max-rows must be an integer from 1 to 100000"),
])
def test_api_rejects_bad_parameters_in_one_line(client, params, message) -> None:
    r = client.get("/api/queries/chinese-partners-of-eu-clusters", params=params)
    assert r.status_code == 400
    assert r.json()["error"].startswith(message) and "\n" not in r.json()["error"]


def test_api_rejects_a_repeated_parameter(client) -> None:
    r = client.get("/api/queries/actors?type=SME&type=PI")
    assert r.status_code == 400 and "'type' is given more than once" in r.json()["error"]


def actor_set(client, query: str) -> set[str]:
    r = client.get(f"/api/queries/actors?{query}")
    assert r.status_code == 200, r.text
    return {row["actor"] for row in r.json()["rows"]}


def test_api_takes_several_values_of_a_multiple_parameter(client, catalogue) -> None:
    """?topic=a&topic=b: the actors of either topic (the union of the two answers); several kinds likewise;
    the metadata lists the values and the call repeats --param."""
    assert catalogue["actors"].param("topic").multiple and catalogue["actors"].param("kind").multiple
    genomics, ai = actor_set(client, "topic=genomics"), actor_set(client, "topic=artificial-intelligence")
    both = actor_set(client, "topic=genomics&topic=artificial-intelligence")
    assert genomics and ai and genomics - ai and both == genomics | ai
    kinds = actor_set(client, "kind=cluster&kind=hospital")
    assert kinds == actor_set(client, "kind=cluster") | actor_set(client, "kind=hospital")
    assert actor_set(client, "kind=cluster&kind=hospital&topic=genomics") == kinds & genomics
    meta = client.get("/api/queries/actors?topic=genomics&topic=artificial-intelligence").json()["meta"]
    assert meta["params"] == {"topic": ["genomics", "artificial-intelligence"]}
    assert meta["call"] == "pmkg query actors --param topic=genomics --param topic=artificial-intelligence"


def test_api_types_and_binds_each_value_of_a_list(client) -> None:
    r = client.get("/api/queries/actors?kind=cluster&kind=spaceship")
    assert r.status_code == 400 and "'spaceship' is not one of" in r.json()["error"]
    r = client.get("/api/queries/actors", params=[("topic", "genomics"), ("topic", 'x" } UNION { ?actor ?p ?o } #')])
    assert r.status_code == 400 and "no topic with id, label or alias" in r.json()["error"]


def test_cli_takes_several_values_as_the_api_does(client, real_build) -> None:
    import csv
    import subprocess
    import sys
    pmkg = str(Path(sys.executable).with_name("pmkg"))
    args = [pmkg, "query", "actors", "--param", "topic=genomics", "--param", "topic=artificial-intelligence",
            "--format", "csv", "--iris", "--root", str(real_build[0])]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    rows = {r["actor"] for r in csv.DictReader(io.StringIO(done.stdout))}
    assert rows == actor_set(client, "topic=genomics&topic=artificial-intelligence")
    once = subprocess.run([*args[:3], "--param", "region=EU", "--param", "region=China", "--root",
                           str(real_build[0])], capture_output=True, text=True, timeout=300, check=False)
    assert once.returncode == 2 and "--param region: takes one value, 2 were given" in once.stderr


def test_api_never_pastes_a_value_into_the_query(client) -> None:
    """A string parameter that tries to close the pattern matches nothing instead of widening the query."""
    sneaky = 'x" } UNION { ?company ?p ?o } #'
    r = client.get("/api/queries/companies", params={"segment": sneaky})
    assert r.status_code == 200 and r.json()["rows"] == []
    assert client.get("/api/queries/companies", params={"segment": "nothing like it"}).json()["rows"] == []


def test_api_unknown_query_is_404(client) -> None:
    r = client.get("/api/queries/no-such")
    assert r.status_code == 404 and "GET /api/queries lists them" in r.json()["error"]


def test_api_refuses_federated_queries_by_default(client, catalogue) -> None:
    federated = [n for n, s in catalogue.items() if uses_service(s.text)]
    assert federated
    r = client.get(f"/api/queries/{federated[0]}")
    assert r.status_code == 403 and "--allow-service" in r.json()["error"]


def test_openapi_is_generated_from_the_headers(client, catalogue) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    for name, query in catalogue.items():
        op = spec["paths"][f"/api/queries/{name}"]["get"]
        params = {p["name"]: p for p in op["parameters"]}
        for p in query.params:
            schema = params[p.name]["schema"]
            if p.multiple:
                assert schema["type"] == "array" and params[p.name]["explode"] is True, (name, p.name)
                schema = schema["items"]
            want = {"integer": "integer", "year": "integer", "boolean": "boolean"}.get(p.type, "string")
            assert schema["type"] == want, (name, p.name)
            assert params[p.name]["required"] == p.required
            if p.type == "enum":
                assert schema["enum"] == [str(v) for v in p.values]
        assert {"format", "max-rows"} <= set(params)


# --- content negotiation ------------------------------------------------------------------------------------

def test_entity_iri_answers_turtle_with_its_facts_and_citations(client, run) -> None:
    r = client.get("/id/actor/bgi", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    assert "Accept" in r.headers["Vary"]
    g = Graph().parse(data=r.text, format="turtle")
    assert (URIRef(BGI), RDFS_LABEL, Literal("BGI", lang="en")) in g
    locations = {str(o) for o in g.objects(None, URIRef("https://w3id.org/pmkg/ontology#location"))}
    assert {row["location"] for row in run("provenance", entity="bgi") if row["subject"] == "bgi"} <= locations


@pytest.mark.parametrize("accept,ctype,fmt", [
    ("application/n-triples", "application/n-triples", "nt"), ("application/ld+json", "application/ld+json", "json-ld"),
    ("application/rdf+xml", "application/rdf+xml", "xml"),
    ("text/turtle;q=0.5, application/n-triples;q=0.9", "application/n-triples", "nt")])
def test_entity_iri_answers_rdf_by_accept(client, accept, ctype, fmt) -> None:
    r = client.get("/id/actor/bgi", headers={"Accept": accept})
    assert r.headers["content-type"].startswith(ctype)
    g = Graph().parse(data=r.text, format=fmt)
    assert (URIRef(BGI), RDFS_LABEL, Literal("BGI", lang="en")) in g


def test_entity_iri_answers_html_to_a_browser(client, site) -> None:
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"
    r = client.get("/id/actor/bgi", headers={"Accept": accept})
    assert r.headers["content-type"].startswith("text/html")
    assert r.content == (site[0] / "id" / "actor" / "bgi.html").read_bytes()
    assert 'rel="alternate"; type="text/turtle"' in r.headers["Link"]
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]


def test_entity_suffix_picks_the_format(client) -> None:
    assert client.get("/id/actor/bgi.ttl").headers["content-type"].startswith("text/turtle")
    assert client.get("/id/actor/bgi.jsonld").headers["content-type"].startswith("application/ld+json")
    assert client.get("/id/actor/bgi.html").headers["content-type"].startswith("text/html")
    assert client.get("/id/actor/bgi.pdf").status_code == 404


def test_entity_negotiation_errors(client) -> None:
    assert client.get("/id/actor/bgi", headers={"Accept": "image/png"}).status_code == 406
    assert client.get("/id/actor/no-such-actor", headers={"Accept": "text/turtle"}).status_code == 404
    assert client.get("/id/actor/no-such-actor", headers={"Accept": "text/html"}).status_code == 404
    assert client.get("/id/actor/BAD%20slug").status_code == 404


# --- SPARQL endpoint ----------------------------------------------------------------------------------------

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/pmkg/ontology#Actor> }"


def test_sparql_get_and_post(client, backend) -> None:
    n = backend.select(COUNT).rows[0][0].text
    for r in (client.get("/query", params={"query": COUNT}),
              client.post("/query", data={"query": COUNT}),
              client.post("/sparql", content=COUNT, headers={"Content-Type": "application/sparql-query"})):
        assert r.status_code == 200 and r.json()["results"]["bindings"][0]["n"]["value"] == n
    csv = client.get("/query", params={"query": COUNT}, headers={"Accept": "text/csv"})
    assert csv.text.splitlines() == ["n", n]


def test_sparql_construct_answers_rdf(client) -> None:
    q = f"CONSTRUCT {{ <{BGI}> ?p ?o }} WHERE {{ <{BGI}> ?p ?o }}"
    r = client.get("/query", params={"query": q}, headers={"Accept": "application/n-triples"})
    assert r.headers["content-type"].startswith("application/n-triples") and len(Graph().parse(data=r.text,
                                                                                              format="nt")) > 10


@pytest.mark.parametrize("request_kwargs", [
    {"method": "POST", "url": "/query", "data": {"update": "DROP ALL"}},
    {"method": "POST", "url": "/query", "content": "DROP ALL",
     "headers": {"Content-Type": "application/sparql-update"}},
    {"method": "GET", "url": "/query?update=DROP%20ALL"}])
def test_sparql_is_read_only(client, request_kwargs) -> None:
    r = client.request(**request_kwargs)
    assert r.status_code == 403 and "read-only" in r.json()["error"]


def test_sparql_update_sent_as_a_query_is_refused(client, backend) -> None:
    before = backend.select(COUNT).rows[0][0].text
    r = client.post("/query", data={"query": "INSERT DATA { <urn:x> <urn:y> <urn:z> }"})
    assert r.status_code == 400
    assert client.get("/query", params={"query": COUNT}).json()["results"]["bindings"][0]["n"]["value"] == before


@pytest.mark.parametrize("text", ["SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }",
                                  "SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }"])
def test_sparql_service_is_disabled_by_default(client, text) -> None:
    r = client.get("/query", params={"query": text})
    assert r.status_code == 403 and "SERVICE" in r.json()["error"]


def test_sparql_syntax_error_is_one_line(client) -> None:
    r = client.get("/query", params={"query": "SELEKT nothing"})
    assert r.status_code == 400 and r.json()["error"].startswith("SPARQL syntax error")


def test_a_query_over_the_time_limit_is_stopped(real_build, site, tmp_path) -> None:
    """A cross product too big to finish is stopped at the limit; the server answers the next query."""
    for client in make_client(real_build, site, tmp_path, timeout=1.0, workers=1):
        slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
        r = client.get("/query", params={"query": slow})
        assert r.status_code == 504 and "limit of 1 s" in r.json()["error"]
        assert client.get("/query", params={"query": "ASK {}"}).json()["boolean"] is True


def test_the_site_is_served(client) -> None:
    r = client.get("/")
    assert r.status_code == 200 and "<h1>Precision-medicine" in r.text
    assert client.get("/search.html").status_code == 200
    assert client.post("/index.html").status_code == 405


# --- the real process ---------------------------------------------------------------------------------------

def get(url: str, accept: str | None = None) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(req, timeout=60) as response:
        return response.status, dict(response.headers), response.read()


def test_pmkg_serve_process(real_build, site) -> None:
    """`pmkg serve` (uvicorn): site, negotiation, API and SPARQL on one port; SIGTERM stops it and its workers."""
    with serving(real_build[0], site[0]) as served:
        assert served.first_lines[0].strip() == f"SPARQL endpoint: {served.url}/query"
        status, _h, body = get(served.url + "/")
        assert status == 200 and b"Precision-medicine" in body
        _s, headers, body = get(served.url + "/id/actor/bgi", accept="text/turtle")
        assert headers["content-type"].startswith("text/turtle") and b'"BGI"@en' in body
        _s, headers, body = get(served.url + "/api/queries/actor-counts?by=type&format=csv")
        assert headers["content-type"].startswith("text/csv") and headers["x-pmkg-complete"] == "true"
        pid = served.process.pid
        workers = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        assert len(workers) == 2
    assert served.process.returncode == 0
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists(), "a query worker outlived the server"


def test_w3id_rules_send_every_entity_iri_to_a_page_that_serve_answers(client, site) -> None:
    """docs/w3id.htaccess: the resource rule matches every page's IRI path and keeps it; serve answers it."""
    import re
    rules = (Path(__file__).resolve().parents[1] / "docs" / "w3id.htaccess").read_text(encoding="utf-8")
    line = next(ln for ln in rules.splitlines() if ln.startswith("RewriteRule ^id/"))
    pattern, target = line.split()[1:3]
    rule = re.compile(pattern)
    paths = sorted(p.relative_to(site[0]).as_posix()[: -len(".html")] for p in (site[0] / "id").rglob("*.html"))
    assert paths
    for i, path in enumerate(paths):
        match = rule.match(path)
        assert match, path
        local = "/" + path
        assert target.replace("https://HOST", "").replace("$1", match.group(1)).replace("$2", match.group(2)) \
            .replace("$3", match.group(3) or "") == local
        if i % 50 == 0:
            assert client.get(local, headers={"Accept": "text/html"}).status_code == 200, local
            assert client.get(local, headers={"Accept": "text/turtle"}).status_code == 200, local
    assert not rule.match("id/actor/../../etc/passwd")
