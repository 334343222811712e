"""The whole catalogue: every query's header is complete, and it runs with its
defaults and with its documented examples on the real graph."""

from __future__ import annotations

import pytest

from pmkg.catalogue import QuerySpec, load_catalogue, parse_query_file
from pmkg.errors import QueryError
from pmkg.query import EmbeddedBackend, run_query
from pmkg.store import open_store
from tests.conftest import ROOT

CATALOGUE = load_catalogue(ROOT / "queries")
ISSUE_4_NAMES = {
    "funders-of-affiliated-papers", "chinese-partners-of-eu-clusters", "actors", "actor-counts", "top-funders",
    "top-institutions", "publication-trends", "policies", "policy-issuers", "programmes", "companies",
    "clinical-partners", "shared-partners", "industry-collaborators", "sub-organisations", "people",
    "cross-border-ties", "regulations", "roadmap", "facilitators-barriers", "working-groups", "provenance",
    "conflicts", "external-ids"}


def test_catalogue_has_every_question_of_the_issue():
    assert set(CATALOGUE) >= ISSUE_4_NAMES


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_header_is_complete(name: str):
    spec = CATALOGUE[name]
    assert spec.summary and spec.description and spec.columns
    for p in spec.params:
        assert p.description, f"{name}: parameter {p.name} has no description"
        assert p.example is not None or p.default is not None, f"{name}: {p.name} has no example or default"




def _examples(spec: QuerySpec) -> dict[str, str]:
    return {p.name: str(p.example) for p in spec.params if p.example is not None}


@pytest.fixture(scope="module")
def papers_backend(tmp_path_factory):
    """The curated graph plus the 283-record Web of Science file, imported as the examples expect."""
    from pmkg.importers.run import import_files
    from pmkg.pipeline import Paths, build
    from tests.conftest import SHARED
    wos = SHARED / "data" / "biblio" / "wos-ai-diagnosis-china-283records.txt"
    if not wos.is_file():
        pytest.skip("../shared/data/biblio not present")
    root = tmp_path_factory.mktemp("papers")
    for name in ("kg", "ontology", "queries"):
        (root / name).symlink_to(ROOT / name)
    paths = Paths(root=root)
    build(paths, run_reasoner=False)
    import_files("wos", [wos], dist=paths.dist, imports=paths.imports)
    return EmbeddedBackend(open_store(paths.dist))


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_runs_with_defaults_and_examples(name: str, request):
    spec = CATALOGUE[name]
    if spec.name == "registry-labels":
        pytest.skip("federated SERVICE query: needs a registry endpoint (tests/test_endpoint.py runs it)")
    backend = request.getfixturevalue("papers_backend" if spec.requires == "papers" else "backend")
    required = {p.name: str(p.example) for p in spec.params if p.required}
    result = run_query(spec, required, backend)
    assert result.columns
    example = run_query(spec, _examples(spec), backend)
    assert example.columns == result.columns
    if spec.requires == "papers":
        assert example.rows, f"{name}: its documented example finds nothing in the imported 283 records"


def test_sources_lists_the_five_seeds_with_citations(backend):
    rows = {r["document"].rsplit("/", 1)[-1]: r for r in run_query(CATALOGUE["sources"], {"kind": "seed"},
                                                                    backend).records()}
    assert set(rows) == {"au-2023", "causio-2023", "ic2permed-brochure", "icdk-2019", "ncuscr-2024"}
    assert all(int(r["citations"]) > 0 and int(r["statements"]) > 0 for r in rows.values())


def test_malformed_header_is_an_error(tmp_path):
    bad = tmp_path / "bad.rq"
    header = "#+ summary: x\n#+ columns: [s]\n#+ params: [{name: a}]\n"
    bad.write_text(header + "SELECT * WHERE { ?s ?p ?o }\n", encoding="utf-8")
    with pytest.raises(QueryError, match="must be a mapping with at least 'name' and 'type'"):
        parse_query_file(bad)
    bad.write_text("#+ summary: x\nSELECT * WHERE { ?s ?p ?o }\n", encoding="utf-8")
    with pytest.raises(QueryError, match="has no 'columns'"):
        parse_query_file(bad)


GRLC_HEADER = ("#+ summary: x\n#+ columns: [s]\n#+ params:\n"
               "#+   - {name: listed-in, type: entity, kind: document}\n"
               "#+   - {name: limit, type: integer, default: 10}\n")
GRLC_DECORATORS = "#+ defaults:\n#+   - limit: 10\n"
GRLC_BODY = ("PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\nSELECT ?s WHERE {\n"
             "  ?s ?p ?o . FILTER(STR(COALESCE(?__listedIn_iri, \"\")) = \"\" || ?o = ?__listedIn_iri)\n"
             "} LIMIT 1\n")


def test_parameter_variables_are_spelled_as_grlc_reads_them(tmp_path):
    good = tmp_path / "good.rq"
    good.write_text(GRLC_HEADER + GRLC_DECORATORS + GRLC_BODY.replace("LIMIT 1", "") +
                    "# ?__limit_integer\n", encoding="utf-8")
    spec = parse_query_file(good)
    assert [(p.name, p.grlc_name, p.variable) for p in spec.params] == [
        ("listed-in", "listedIn", "__listedIn_iri"), ("limit", "limit", "__limit_integer")]


@pytest.mark.parametrize(("body", "decorators", "message"), [
    (GRLC_BODY.replace("?__listedIn_iri", "?_listed_in"), GRLC_DECORATORS, "not a parameter's grlc variable"),
    (GRLC_BODY.replace('STR(COALESCE(?__listedIn_iri, "")) = ""', "!BOUND(?__listedIn_iri)"), GRLC_DECORATORS,
     r"BOUND\(\?_…\) is a syntax error"),
    (GRLC_BODY.replace("?s ?p ?o .", "BIND(?o AS ?__listedIn_iri)"), GRLC_DECORATORS, "bound by the query"),
    (GRLC_BODY.replace("PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\n", ""), GRLC_DECORATORS,
     "typed parameters need the line"),
    (GRLC_BODY, "", "defaults must give limit '10'"),
    (GRLC_BODY, "#+ defaults:\n#+   - limit: 5\n", "defaults must give limit '10'"),
    (GRLC_BODY, GRLC_DECORATORS + "#+ enumerate:\n#+   - limit: [1, 2]\n", "enumerate for limit must be None"),
])
def test_a_query_grlc_would_misread_is_refused(tmp_path, body: str, decorators: str, message: str):
    bad = tmp_path / "bad.rq"
    bad.write_text(GRLC_HEADER + decorators + body + "# ?__limit_integer\n", encoding="utf-8")
    with pytest.raises(QueryError, match=message):
        parse_query_file(bad)


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_a_parameter_left_unbound_means_its_default(name: str, backend):
    """grlc leaves a parameter that is not given unbound: the query must then apply the default itself."""
    from pmkg.query import bind, render
    spec = CATALOGUE[name]
    required = {p.name: str(p.example) for p in spec.params if p.required and p.default is None}
    bound = bind(spec, required, backend)
    if "SERVICE" in spec.text:
        pytest.skip("a SERVICE query needs the internet")
    # only the required parameters bound, the others not even UNDEF: the text grlc sends
    unset = {p.variable: bound[p.variable] for p in spec.params if p.name in required}
    rows = [[str(t) if t is not None else None for t in row] for row in backend.store.query(
        render(spec, bound), use_default_graph_as_union=True)]
    unbound_rows = [[str(t) if t is not None else None for t in row] for row in backend.store.query(
        render(spec, unset), use_default_graph_as_union=True)]
    assert unbound_rows == rows


def test_load_query_parses_that_query_alone(tmp_path):
    """`pmkg query NAME` parses NAME.rq only: another file's broken header is `--list`'s error, not NAME's."""
    from pmkg.catalogue import load_query, query_files
    folder = tmp_path / "queries"
    folder.mkdir()
    for name in ("actors", "actor-counts"):
        (folder / f"{name}.rq").write_text((ROOT / "queries" / f"{name}.rq").read_text(encoding="utf-8"),
                                           encoding="utf-8")
    (folder / "broken.rq").write_text("#+ summary: [unclosed\nSELECT * WHERE { ?s ?p ?o }\n", encoding="utf-8")
    assert sorted(query_files(folder)) == ["actor-counts", "actors", "broken"]
    spec, real = load_query(folder, "actors"), parse_query_file(ROOT / "queries" / "actors.rq")
    assert spec is not None and (spec.name, spec.params, spec.text) == (real.name, real.params, real.text)
    assert load_query(folder, "nosuch") is None
    assert load_query(folder, "../queries/actors") is None  # a name, never a path
    with pytest.raises(QueryError, match="malformed"):
        load_catalogue(folder)
    with pytest.raises(QueryError, match="malformed"):
        load_query(folder, "broken")
