"""Shared fixtures: a throw-away project (kitchen-sink KG) and the real build."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pmkg.pipeline import Paths, build

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
# ../shared beside the checkout, or $PMKG_TEST_SHARED for a worktree elsewhere (as tests/test_import_support.py)
SHARED = Path(os.environ.get("PMKG_TEST_SHARED") or ROOT.parent / "shared")
SEEDS = SHARED / "seeds"


def make_project(tmp: Path, kg_source: Path) -> Path:
    """A project root with its own kg/ (copied) and the real ontology/ and queries/."""
    shutil.copytree(kg_source, tmp / "kg")
    shutil.copytree(ROOT / "ontology", tmp / "ontology")
    shutil.copytree(ROOT / "queries", tmp / "queries")
    return tmp


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "proj", FIXTURES / "kitchen_sink")


@pytest.fixture(scope="session")
def sink_build(tmp_path_factory: pytest.TempPathFactory):
    """The kitchen sink, built once (with HermiT) for read-only tests."""
    root = make_project(tmp_path_factory.mktemp("sink"), FIXTURES / "kitchen_sink")
    result = build(Paths(root=root))
    return root, result


@pytest.fixture(scope="session")
def real_build(tmp_path_factory: pytest.TempPathFactory):
    """The real curated graph (kg/), built once with HermiT into a temp dist/."""
    root = tmp_path_factory.mktemp("real")
    for name in ("kg", "ontology", "queries"):
        (root / name).symlink_to(ROOT / name)
    result = build(Paths(root=root))
    return root, result


@pytest.fixture(scope="session")
def backend(real_build):
    """The embedded store of the real build."""
    from pmkg.query import EmbeddedBackend
    from pmkg.store import open_store
    root, _ = real_build
    return EmbeddedBackend(open_store(root / "dist"))


@pytest.fixture(scope="session")
def run(real_build, backend):
    """``run(name, **params)``: a canned query's rows as dicts (``listed_in=`` for ``listed-in``)."""
    from pmkg.catalogue import load_catalogue
    from pmkg.query import run_query
    root, _ = real_build
    catalogue = load_catalogue(root / "queries")

    def _run(name: str, **params: str) -> list[dict[str, str | None]]:
        return run_query(catalogue[name], {k.replace("_", "-"): v for k, v in params.items()}, backend).records()
    return _run


def needs_seeds() -> pytest.MarkDecorator:
    return pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds not present")


@pytest.fixture(scope="session")
def site(real_build, tmp_path_factory: pytest.TempPathFactory):
    """The static site of the real build, written by the installed `pmkg site` script: (folder, stdout)."""
    import subprocess
    import sys
    out = tmp_path_factory.mktemp("site") / "site"
    pmkg = Path(sys.executable).parent / "pmkg"
    done = subprocess.run([str(pmkg), "site", "--out", str(out), "--root", str(real_build[0])],
                          capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr
    return out, done.stdout
