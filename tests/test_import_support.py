"""Shared helpers for the importer tests: a throw-away project with the real curated
graph (kg/ copied, so a test may add aliases) built once without HermiT."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest

from pmkg.pipeline import Paths, build
from pmkg.store import open_writable

ROOT = Path(__file__).resolve().parents[1]
BIBLIO = Path(__file__).parent / "fixtures" / "biblio"
# ../shared beside the checkout, or $PMKG_TEST_SHARED for a worktree elsewhere (not $PMKG_SHARED: with it the
# CLI finds the registry dumps by default, and the tests that import without --ror-dump resolve differently)
SHARED_BIBLIO = Path(os.environ.get("PMKG_TEST_SHARED") or ROOT.parent / "shared") / "data" / "biblio"


def make_import_project(dest: Path, *, without_aliases: bool = False) -> Path:
    """A project root with a copy of kg/, symlinked ontology/ and queries/, and no dist/."""
    shutil.copytree(ROOT / "kg", dest / "kg")
    if without_aliases:
        (dest / "kg" / "import-aliases.yaml").unlink(missing_ok=True)
    for name in ("ontology", "queries"):
        (dest / name).symlink_to(ROOT / name)
    return dest


# Peking University put below CAS after an import: a change of the hierarchy the import's summaries predate
PKU_BELOW_CAS = ox.Quad(ox.NamedNode("https://w3id.org/pmkg/id/actor/peking-university"),
                        ox.NamedNode("https://w3id.org/pmkg/ontology#subOrganisationOf"),
                        ox.NamedNode("https://w3id.org/pmkg/id/actor/chinese-academy-of-sciences"),
                        ox.NamedNode("https://w3id.org/pmkg/id/document/test-hierarchy"))


def edit_store(root: Path, change: Callable[[ox.Store], None]) -> None:
    """Apply ``change`` to the project's store opened for writing, then flush and let the store go (its lock
    with it), as another process would change the store between two queries."""
    store = open_writable(root / "dist")
    try:
        change(store)
        store.flush()
    finally:
        del store


@pytest.fixture(scope="session")
def import_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_import_project(tmp_path_factory.mktemp("import-template"))
    build(Paths(root=root), run_reasoner=False)
    return root


@pytest.fixture
def import_project(import_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the built template (kg/ and dist/), safe to import into."""
    root = tmp_path / "proj"
    root.mkdir()
    shutil.copytree(import_template / "kg", root / "kg")
    shutil.copytree(import_template / "dist", root / "dist")
    for name in ("ontology", "queries"):
        (root / name).symlink_to(ROOT / name)
    return root


def test_fixture_readme_names_every_fixture() -> None:
    readme = (BIBLIO / "README.md").read_text(encoding="utf-8")
    for path in BIBLIO.iterdir():
        if path.name != "README.md":
            assert f"`{path.name}`" in readme, f"{path.name} is not described in the fixture README"
