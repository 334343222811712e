"""The build on the kitchen sink: outputs, determinism, named graphs and provenance."""

from __future__ import annotations

import pyoxigraph as ox
from typer.testing import CliRunner

from pmkg.cli import app
from pmkg.pipeline import Paths, build

runner = CliRunner()


def test_dist_holds_every_format(sink_build):
    root, _ = sink_build
    for name in ("pmkg.ttl", "pmkg.nt", "pmkg.nq", "pmkg.trig", "pmkg.jsonld", "ontology.ttl", "build.json"):
        assert (root / "dist" / name).stat().st_size > 0, name
    assert (root / "dist" / "store").is_dir()


def test_ntriples_are_byte_identical_across_builds(project):
    build(Paths(root=project))
    first = (project / "dist" / "pmkg.nt").read_bytes()
    build(Paths(root=project))
    assert (project / "dist" / "pmkg.nt").read_bytes() == first


def test_reasoner_materialises_inferred_types(sink_build):
    _, result = sink_build
    inferred = {(str(s).rsplit("/", 1)[-1], str(o).rsplit("#", 1)[-1]) for s, _, o in result.inferred}
    assert ("bgi", "Organization") in inferred  # pm:Actor ⊑ org:Organization
    assert ("imsight-shenzhen-peoples-hospital", "Activity") in inferred


def _store(root) -> ox.Store:
    return ox.Store.read_only(str(root / "dist" / "store"))


def test_every_curated_triple_is_in_a_document_graph(sink_build):
    root, _ = sink_build
    store = _store(root)
    in_default = list(store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    assert in_default == []
    graphs = {g.value for g in store.named_graphs()}
    docs = {g for g in graphs if "/id/document/" in g}
    assert {"https://w3id.org/pmkg/id/document/causio-2023", "https://w3id.org/pmkg/id/document/icdk-2019"} <= docs
    assert graphs - docs == {"https://w3id.org/pmkg/graph/inferred", "https://w3id.org/pmkg/graph/ontology"}


def test_no_curated_resource_without_source(sink_build):
    root, _ = sink_build
    rows = list(_store(root).query("""
        PREFIX pm: <https://w3id.org/pmkg/ontology#>
        SELECT ?r WHERE { ?r a ?c . FILTER(STRSTARTS(STR(?r), "https://w3id.org/pmkg/id/"))
          FILTER(?c IN (pm:Actor, pm:Policy, pm:Programme, pm:Project, pm:Collaboration, pm:Event, pm:Observation,
                        pm:AgendaItem, pm:Topic, pm:Place, <http://xmlns.com/foaf/0.1/Person>))
          FILTER NOT EXISTS { ?c2 pm:about ?r ; pm:citedIn ?doc } }""", use_default_graph_as_union=True))
    assert rows == []


def test_each_statement_leads_to_its_row(sink_build):
    """The disputed BGI websites: each value leads to its own location."""
    root, _ = sink_build
    rows = {(s["url"].value, s["loc"].value) for s in _store(root).query("""
        PREFIX pm: <https://w3id.org/pmkg/ontology#>
        PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        SELECT ?url ?loc WHERE {
          ?st rdf:subject <https://w3id.org/pmkg/id/actor/bgi> ; rdf:predicate <https://schema.org/url> ;
              rdf:object ?url ; pm:citation/pm:location ?loc }""", use_default_graph_as_union=True)}
    assert rows == {("http://en.genomics.cn/en-about.html", "Table 2, row 3"),
                    ("https://en.genomics.cn/en-about.html", "Results, China")}


def test_build_prints_summary_and_stats(project):
    result = runner.invoke(app, ["build", "--root", str(project)])
    assert result.exit_code == 0, result.output
    assert "35 records" in result.output and "first build" in result.output
    assert "Resources per class" not in result.output  # the long tables are for -v and `pmkg stats`
    verbose = runner.invoke(app, ["build", "--root", str(project), "-v"])
    assert "Resources per class" in verbose.output and "causio-2023" in verbose.output
    assert "changed since the build of" in verbose.output and ": nothing" in verbose.output
    stats = runner.invoke(app, ["stats", "--root", str(project)])
    assert stats.exit_code == 0 and "pm:Actor" in stats.output


def test_query_builds_when_dist_is_missing_or_stale(project):
    first = runner.invoke(app, ["query", "actors", "--root", str(project), "--format", "csv"])
    assert first.exit_code == 0, first.output
    assert "building first" in first.output
    (project / "kg" / "extra.yaml").write_text(
        "facts:\n  - about: bgi\n    aliases: [Huada]\n    source: {doc: causio-2023, at: x}\n", encoding="utf-8")
    again = runner.invoke(app, ["query", "actors", "--root", str(project), "--param", "region=Huada"])
    assert "stale" in again.output


def test_usage_error_is_one_line_not_a_traceback():
    """Regression: an unknown option made main() import click (not installed with typer 0.29) and crash."""
    import subprocess
    import sys
    from pathlib import Path
    script = Path(sys.executable).with_name("pmkg")
    out = subprocess.run([str(script), "validate", "--no-such-option"], capture_output=True, text=True, check=False)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr and "No such option" in out.stderr
