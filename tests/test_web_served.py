"""`pmkg serve` never serves a rebuilt or imported dist/ stale: it takes a new snapshot (in memory or on
disk) at the next request, and while an import is in flux it says that what it serves is not current."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_import_support import BIBLIO, import_project, import_template  # noqa: F401
from typer.testing import CliRunner

from pmkg.cli import app
from pmkg.pipeline import Paths, build
from pmkg.store import read_manifest, set_import_state

runner = CliRunner()
PAPERS = "PREFIX pm: <https://w3id.org/pmkg/ontology#> SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a pm:Publication }"


def papers(client) -> tuple[int, dict[str, str]]:
    r = client.get("/query", params={"query": PAPERS}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    return int(r.json()["results"]["bindings"][0]["n"]["value"]), dict(r.headers)


def import_sample(root: Path) -> None:
    result = runner.invoke(app, ["import", "wos", str(BIBLIO / "wos-sample.txt"), "--source-id", "sample",
                                 "--root", str(root)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("policy", ["memory", "disk"])
def test_rebuilt_or_imported_store_is_not_served_stale(import_project: Path, tmp_path: Path,  # noqa: F811
                                                        policy: str) -> None:
    from fastapi.testclient import TestClient

    from pmkg.web.app import ServeConfig, create_app
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<h1>site</h1>", encoding="utf-8")
    told: list[str] = []
    config = ServeConfig(site, import_project / "dist", import_project / "queries", import_project / "imports",
                         workers=1, store_policy=policy, announce=told.append)
    with TestClient(create_app(config)) as client:
        assert papers(client)[0] == 0
        assert len(told) == 1 and f"store: {policy} (" in told[0]
        import_sample(import_project)  # `pmkg import` while serving
        n, headers = papers(client)
        assert n == 3 and headers["x-pmkg-current"] == "true"
        assert len(told) == 2  # a new snapshot, announced

        set_import_state(import_project / "dist", "sample.nq", None)  # an import in flux: served, but said
        n, headers = papers(client)
        assert n == 3 and headers["x-pmkg-current"] == "false"
        body = client.get("/api/queries/actors").json()
        assert body["meta"]["current"] is False

        shutil.rmtree(import_project / "imports")  # the import removed, then a rebuild
        build(Paths(root=import_project), run_reasoner=False)
        n, headers = papers(client)
        assert n == 0 and headers["x-pmkg-current"] == "true"
        assert headers["x-pmkg-build"] == read_manifest(import_project / "dist")["fingerprint"]
        assert len(told) == 3
