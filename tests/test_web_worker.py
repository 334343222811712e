"""The query pool's time limit counts the query, not the start-up of a fresh worker."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pmkg.web.worker import QueryPool, QueryTimeout


@pytest.fixture()
def store_copy(real_build, tmp_path: Path) -> Path:
    root = real_build[0]
    shutil.copytree(root / "dist" / "store", tmp_path / "store", ignore=shutil.ignore_patterns("LOCK"))
    return tmp_path / "store"


def test_query_time_limit_excludes_worker_start_up(real_build, store_copy) -> None:
    """Regression: a worker's own start-up (Python, pyoxigraph, opening the store) was counted
    against the first query it ran, so after a timeout the replacement worker's first query,
    however small, could time out too (seen in CI under load: `ASK {}` failed after a stopped query)."""
    pool = QueryPool(store_copy, real_build[0] / "queries", workers=1, timeout=0.1)
    try:
        kind, _, body = pool.run("sparql", "ASK {}", "application/sparql-results+json", "text/turtle")
        assert kind == "boolean" and b"true" in body
        with pytest.raises(QueryTimeout):
            pool.run("sparql", "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
                     "application/sparql-results+json", "text/turtle")
        kind, _, body = pool.run("sparql", "ASK {}", "application/sparql-results+json", "text/turtle")
        assert kind == "boolean" and b"true" in body
    finally:
        pool.close()


def test_a_memory_worker_answers_from_its_copy(real_build, tmp_path: Path) -> None:
    """Mode "memory": the worker loads the snapshot's N-Quads files and answers as the disk store does."""
    from pmkg.memory import write_snapshot_files
    from pmkg.store import open_store

    root = real_build[0]
    write_snapshot_files(root / "dist", root / "imports", tmp_path / "snap")
    pool = QueryPool(tmp_path / "snap", root / "queries", workers=1, timeout=60, mode="memory")
    try:
        kind, _, body = pool.run("sparql", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                                 "application/sparql-results+json", "text/turtle")
        assert kind == "solutions" and f'"{len(open_store(root / "dist"))}"'.encode() in body
    finally:
        pool.close()
