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
