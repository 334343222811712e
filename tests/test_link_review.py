"""Merging proposals into kg/links/<source>.yaml: decisions survive re-runs; the CLI end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_link_common import FUNDERS_EXCERPT, ROR_EXCERPT, make_link_project
from typer.testing import CliRunner

from pmkg.cli import app
from pmkg.errors import InputError
from pmkg.link.review import decide, merge, read_links, write_links
from pmkg.load import load_kg
from pmkg.map import map_kg
from pmkg.namespaces import PM
from pmkg.schema import Link

runner = CliRunner()


def _link(about: str, identifier: str, status: str = "proposed", score: float = 1.0, **kw) -> Link:
    return Link(about=about, registry="ror", registry_doc="ror-v2-9", identifier=identifier,
                iri=f"https://ror.org/{identifier}", score=score, method="exact-name", status=status, **kw)


def test_merge_never_overwrites_a_decision():
    existing = [_link("a", "1", "accepted", reason="curator"), _link("b", "2", "rejected", reason="no"),
                _link("c", "3", score=0.5), _link("d", "4", score=0.5)]
    new = [_link("a", "1", score=0.1), _link("a", "9"), _link("b", "2"), _link("b", "5"), _link("c", "3", score=0.9),
           _link("e", "6")]
    result = merge(existing, new)
    by_key = {(x.about, x.identifier): x for x in result.links}
    assert by_key[("a", "1")].status == "accepted" and by_key[("a", "1")].score == 1.0
    assert ("a", "9") not in by_key  # the actor already has an accepted link
    assert by_key[("b", "2")].status == "rejected" and by_key[("b", "2")].reason == "no"
    assert by_key[("b", "5")].status == "proposed"  # new candidate for an actor with only a rejection
    assert by_key[("c", "3")].score == 0.9  # refreshed
    assert by_key[("d", "4")].flags == ["not-reproposed: the latest run did not propose it again"]
    assert ("e", "6") in by_key
    assert (result.added, result.refreshed, result.kept, result.decided, result.skipped) == (2, 1, 1, 2, 3)


def test_write_read_roundtrip_and_decide(tmp_path: Path):
    path = tmp_path / "links" / "ror.yaml"
    links = [_link("a", "1", evidence=["label 'A' = registry name 'A'"], flags=["x"])]
    write_links(path, links, "ror")
    assert path.read_text(encoding="utf-8").startswith("# Links of curated entities to the Research Organization")
    assert read_links(path) == links
    decided = decide(links, "a", "1", "rejected", "not the same")
    assert decided[0].status == "rejected" and decided[0].reason == "not the same"
    with pytest.raises(InputError, match="no link of 'a' to '2'"):
        decide(links, "a", "2", "accepted", "why")
    with pytest.raises(InputError, match="needs a reason"):
        decide(links, "a", "1", "accepted", " ")


def test_malformed_links_file_is_refused(tmp_path: Path):
    path = tmp_path / "ror.yaml"
    path.write_text("links:\n  - {about: a, registry: ror}\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_links(path)
    assert "link 1: 'registry_doc'" in exc.value.lines()[0]
    path.write_text("links: [\n", encoding="utf-8")
    with pytest.raises(InputError, match="malformed YAML"):
        read_links(path)


def _run(*args: str):
    return runner.invoke(app, list(args))


def test_cli_ror_review_rerun_and_graph(tmp_path: Path):
    root = make_link_project(tmp_path)
    r = _run("link", "ror", "--root", str(root), "--dump", str(ROR_EXCERPT))
    assert r.exit_code == 0, r.output
    assert "registry defect: Wikidata Q795900 is carried by ROR records 0155ctq43, 045pn2j94" in r.output
    path = root / "kg" / "links" / "ror.yaml"
    assert {x.status for x in read_links(path)} == {"proposed"}
    r = _run("link", "review", "ror", "--root", str(root), "--reviewer", "test rule")
    assert r.exit_code == 0 and "accepted" in r.output
    r = _run("link", "decide", "ror", "ich", "01gg7gz51", "--root", str(root), "--status", "rejected",
             "--reason", "ICH is not the Institute for Community Health")
    assert r.exit_code == 0, r.output
    before = {(x.about, x.identifier): x for x in read_links(path) if x.status != "proposed"}
    assert before[("ich", "01gg7gz51")].status == "rejected"
    r = _run("link", "ror", "--root", str(root), "--dump", str(ROR_EXCERPT))
    assert r.exit_code == 0, r.output
    after = {(x.about, x.identifier): x for x in read_links(path)}
    assert all(after[k] == v for k, v in before.items())
    # the loader validates the file, and accepted links become skos:exactMatch + pm:rorId in the registry's graph
    mapped = map_kg(load_kg(root / "kg"))
    graph = mapped.graphs[next(g for g in mapped.graphs if str(g).endswith("/ror-v2-9"))]
    ids = {str(o) for s, p, o in graph if p == PM.rorId}
    assert {"01h0zpd94", "034t30j35", "045pn2j94"} <= ids and "01gg7gz51" not in ids and "0155ctq43" not in ids


def test_cli_funders_and_errors(tmp_path: Path):
    root = make_link_project(tmp_path)
    r = _run("link", "funders", "--root", str(root), "--registry", str(FUNDERS_EXCERPT))
    assert r.exit_code == 0, r.output
    assert any(x.identifier == "10.13039/501100001809" for x in read_links(root / "kg" / "links" / "funders.yaml"))
    r = _run("link", "funders", "--root", str(root), "--registry", str(tmp_path / "none.rdf"))
    assert r.exit_code == 2 and "error: Funder Registry file" in r.output and "does not exist" in r.output
    r = _run("link", "review", "orcid", "--root", str(root), "--reviewer", "x")
    assert r.exit_code == 2 and "unknown link source 'orcid'" in r.output
    (root / "kg" / "links" / "ror.yaml").write_text("links: 3\n", encoding="utf-8")
    r = _run("link", "ror", "--root", str(root), "--dump", str(ROR_EXCERPT))
    assert r.exit_code == 2 and "error:" in r.output and "links" in r.output
