"""Virtuoso as the scale-out store: `pmkg publish` to a real Virtuoso, every canned query run there.

A Virtuoso 7.2 (Debian's ``virtuoso-opensource``, see tests/virtuoso.py) is started on loopback with
its own database in a temp folder; the installed ``pmkg publish`` loads the real build through
Virtuoso's Graph Store Protocol endpoint (``/sparql-graph-crud``; the test server lets the anonymous
user write, as ``pmkg publish`` sends no credentials).  Every canned query is then rendered as `pmkg
query` renders it, with its defaults and with each parameter at its example, run on Virtuoso and
compared with the embedded store's rows by the rules of tests/test_jena.py (term for term, GROUP_CONCAT
values as sets of parts, numbers by value, order where the ORDER BY is total).

The dataset named on each request is pmkg's own graphs (``default-graph-uri`` and ``named-graph-uri``
for each): without it Virtuoso's default graph is the union of every graph it holds, its system graphs
included.  Cases where Virtuoso gives other rows are listed in KNOWN_DIFFERENT with Virtuoso's reason
(docs/engines.md); a listed case that matches is reported as a warning (Virtuoso's answers to its
defective cases vary between servers with its parallel query plans).
"""

from __future__ import annotations

import re
import subprocess
import sys
import warnings
from pathlib import Path

import pyoxigraph as ox
import pytest

from tests import virtuoso

pytestmark = [pytest.mark.slow, pytest.mark.virtuoso,
              pytest.mark.skipif(not virtuoso.available(), reason="needs Debian's virtuoso-opensource")]
PMKG = Path(sys.executable).parent / "pmkg"
# case -> Virtuoso's reason (each explained in docs/engines.md, "Virtuoso 7.2: known differences").
PATH_TO_PARAM = "a property path with * ending at a parameter, inside FILTER EXISTS or an OPTIONAL: too few rows"
LANG_MIN = "MIN over language-tagged literals is not lexical in Virtuoso: another description is chosen"
WEBSITE = "rows of website (schema:url) conflicts are not matched to their conflict; cause not isolated"
# (no longer listed: the UNDEF-in-VALUES cases of actor-counts and policies and the compiler errors of
#  chinese-partners-of-eu-clusters and funders-of-affiliated-papers gave the embedded
#  store's rows in every run on 2026-12-02 (test and benchmarks/engines.py), after the queries began applying
#  their own defaults;
#  since their rewrites of 2026-12-03: cross-border-ties (SP031: EXISTS inside IF; then its ORDER BY on
#  language-tagged labels), and working-groups (SQ156: aggregates inside IF); since session 7,
#  funders-of-affiliated-papers (SQ156 in some runs: aggregates inside IF in its coverage subquery); since
#  session 8, co-affiliation-countries and sub-organisations (SQ156: SAMPLE(?__param) in HAVING; the parameter
#  is now tested in a FILTER outside the grouped subquery))
KNOWN_DIFFERENT: dict[str, str] = {
    # plan-dependent: all but regulations jurisdiction=China matched in 6 runs on 2026-12-02, policies
    # jurisdiction=China and programmes country=China did not in a 7th (the same server settings)
    **{c: PATH_TO_PARAM for c in ("actor-counts topic=genomics", "actors topic=genomics", "events place=China",
                                  "events topic=artificial-intelligence", "policies jurisdiction=China",
                                  "programmes country=China", "regulations topic=biosecurity",
                                  "regulations jurisdiction=China")},
    "regulations": LANG_MIN,
    # ORDER BY ?region sorts a GROUP_CONCAT (actors with several regions): its part order is the engine's,
    # so the row order differs in some runs (same rows; matched on another Virtuoso server)
    "actors": "ORDER BY on a GROUP_CONCAT value whose part order is engine-defined",
    **{c: WEBSITE for c in ("conflicts", "conflicts entity=cancer-precision-medicine-research-center",
                            "conflicts severity=substantive", "provenance entity=bgi")},
}


@pytest.fixture(scope="module")
def server(real_build, tmp_path_factory):
    with virtuoso.virtuoso(tmp_path_factory.mktemp("virtuoso")) as srv:
        srv.allow_anonymous_writes()
        yield srv


@pytest.fixture(scope="module")
def published(real_build, server) -> subprocess.CompletedProcess:
    root, _ = real_build
    return subprocess.run([str(PMKG), "publish", "--endpoint", server.sparql_url, "--graph-store",
                           server.graph_store_url, "--root", str(root)],
                          capture_output=True, text=True, timeout=900, check=False)


@pytest.fixture(scope="module")
def graphs(real_build) -> list[str]:
    root, _ = real_build
    store = ox.Store.read_only(str(root / "dist" / "store"))
    return sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))


@pytest.fixture(scope="module")
def rendered(backend) -> list[tuple[str, str]]:
    return virtuoso.local_cases(backend)


def test_pmkg_publish_loads_every_graph_into_virtuoso(published, server, graphs):
    assert published.returncode == 0, published.stderr
    assert re.search(rf"published {len(graphs)} graphs \(\d+ triples\)", published.stdout), published.stdout
    rows = server.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", graphs)
    assert {b["g"]["value"] for b in rows["results"]["bindings"]} == set(graphs)


def test_virtuoso_gives_the_embedded_stores_rows(real_build, published, server, graphs, rendered):
    assert published.returncode == 0, published.stderr
    root, _ = real_build
    store = ox.Store.read_only(str(root / "dist" / "store"))
    differ, matched_known = [], []
    assert set(virtuoso.NOT_SENT) <= {case for case, _ in rendered}, "a virtuoso.NOT_SENT case is no longer rendered"
    for case, text in rendered:
        if case in virtuoso.NOT_SENT:
            continue
        try:
            res: dict | str = server.select(text, graphs)
        except virtuoso.VirtuosoError as exc:
            if "no answer within" in str(exc):  # one hang fails the test at once instead of one timeout per case
                pytest.fail(f"Virtuoso did not answer case {case!r}: {exc} (see docs/engines.md, \"The hang\")")
            res = str(exc)
        why = virtuoso.differences(text, res, store)
        if case in KNOWN_DIFFERENT:
            if why is None:
                matched_known.append(case)
        elif why is not None:
            differ.append(f"{case}: {why}")
    assert not differ, f"{len(differ)} of {len(rendered)} cases differ:\n" + "\n".join(differ)
    if matched_known:  # Virtuoso's answers to its defective cases vary with its parallel plans (seen: actors)
        warnings.warn(f"listed as known Virtuoso differences but the same in this run: {matched_known}",
                      stacklevel=1)


REWRITTEN_FOR_VIRTUOSO = ["cross-border-ties", "working-groups"]


@pytest.mark.parametrize("query", REWRITTEN_FOR_VIRTUOSO)
def test_queries_virtuoso_could_not_compile_give_the_embedded_stores_rows_regression(
        query, real_build, published, server, graphs, rendered):
    """Bugs (Virtuoso 7.2 differences, fixed in the queries): cross-border-ties to=… was refused with SP031
    "ssg_print_bop_bool_expn (): unsupported mode" (EXISTS inside IF; now && / ||) and its other cases came in
    another order (ORDER BY on language-tagged labels; now STR()); working-groups failed with SQ156 "Bad dfe in
    sqlo_place_exp" (aggregates inside IF; now combined outside a grouped subquery).  Every case of each gives
    the embedded store's rows, in its order."""
    assert published.returncode == 0, published.stderr
    root, _ = real_build
    store = ox.Store.read_only(str(root / "dist" / "store"))
    cases = [(case, text) for case, text in rendered if case.split()[0] == query]
    assert cases
    for case, text in cases:
        assert virtuoso.differences(text, server.select(text, graphs), store) is None, case


def test_external_ids_defaults_slow_on_virtuoso(real_build, published, server, graphs, rendered):
    """Bug: external-ids with its defaults (no entity) took 18-88 s on Virtuoso 7.2 with pmkg's 13 graphs named
    as the dataset (1 s without them, < 1 s with an entity): the plan began with ``?e ?idPredicate ?identifier``
    over every quad of the dataset (estimated at ~4 rows per graph) and joined the VALUES of identifier
    predicates last.  The predicates are now constants in a UNION; the embedded store's rows, in its order,
    within a 30 s request limit (no timing assertion beyond the client's limit).  On a quiet machine the old
    query was answered in 5-11 s, inside that limit, so Virtuoso's plan (EXPLAIN, the same dataset) is checked
    as well: it must not read a graph's whole G,S index (``RDF_QUAD_GS``, the scan of every quad)."""
    assert published.returncode == 0, published.stderr
    root, _ = real_build
    store = ox.Store.read_only(str(root / "dist" / "store"))
    text = dict(rendered)["external-ids"]
    dataset = " ".join(f"define input:{kind}-graph-uri <{g}>" for g in graphs for kind in ("default", "named"))
    plan = server.isql(f"explain('sparql {dataset}\n" + text.replace("'", "''") + "');", timeout=60)
    assert "RDF_QUAD_GS" not in plan, "Virtuoso's plan for external-ids scans every quad of the dataset again"
    try:
        answer = server.select(text, graphs, timeout=30.0)
    except virtuoso.VirtuosoError as exc:
        pytest.fail(f"external-ids (defaults) on Virtuoso: {exc}")
    assert answer["results"]["bindings"], "external-ids gave no rows (are links accepted in kg/links?)"
    assert virtuoso.differences(text, answer, store) is None
