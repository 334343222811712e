"""Issue 11 (paper-level queries < 1 s at 1M): funders-of-affiliated-papers reads the per-organisation summary
nodes (pm:ActorSummary, pm:RollUpSummary, ``pmkg.importers.summary.actor_lines``) while the units a roll-up
counts are those the hierarchy puts below the organisation now, else the affiliation profiles.  Its rows must
equal the per-paper oracle (tests/fixtures/per-paper-queries, a count over the paper triples) on the real file,
before and after the hierarchy changes under the import."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_import_summary import FIX, REAL_WOS, REGISTRIES, imported
from test_import_support import PKU_BELOW_CAS, edit_store, import_project, import_template  # noqa: F401

from pmkg.catalogue import load_catalogue, parse_query_file
from pmkg.query import EmbeddedBackend, run_query
from pmkg.store import open_store

ROOT = Path(__file__).resolve().parents[1]
CASES = [{}, {"include-suborgs": "false"}, {"show-unresolved": "true"}, {"org": "peking-university"},
         {"org": "peking-university", "include-suborgs": "false"}, {"org": "sun-yat-sen-university"}]


def same_as_oracle(root: Path) -> int:
    catalogue = load_catalogue(ROOT / "queries")
    oracle = parse_query_file(FIX / "per-paper-queries" / "funders-of-affiliated-papers.rq")
    store = open_store(root / "dist")
    try:
        backend, nonempty = EmbeddedBackend(store), 0
        for params in CASES:
            got = [[t.text if t else None for t in r] for r in run_query(catalogue["funders-of-affiliated-papers"],
                                                                          params, backend).rows]
            want = [[t.text if t else None for t in r] for r in run_query(oracle, params, backend).rows]
            assert got == want, params
            nonempty += bool(got)
        return nonempty
    finally:
        del store


@pytest.mark.slow
@pytest.mark.skipif(not REAL_WOS.is_file(), reason="needs ../shared/data/biblio")
def test_funders_of_affiliated_papers_follow_a_hierarchy_changed_after_the_import(import_project: Path) -> None:  # noqa: F811
    imported(import_project, "wos", REAL_WOS, "real", *REGISTRIES)
    assert same_as_oracle(import_project) >= 4
    edit_store(import_project, lambda store: store.add(PKU_BELOW_CAS))  # Peking University put below CAS
    assert same_as_oracle(import_project) >= 4
