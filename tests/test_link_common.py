"""Shared helpers of the linking tests: the fixture KG and registry excerpts (tests/fixtures/registry)."""

from __future__ import annotations

import shutil
from pathlib import Path

from pmkg.link.curated import curated_actors, curated_countries
from pmkg.link.funders import read_funders
from pmkg.link.match import RegistryIndex, propose
from pmkg.link.review import auto_review, merge
from pmkg.link.ror import read_ror
from pmkg.load import load_kg
from pmkg.schema import Link

REGISTRY = Path(__file__).parent / "fixtures" / "registry"
ROR_EXCERPT = REGISTRY / "ror-excerpt.jsonl"
FUNDERS_EXCERPT = REGISTRY / "funders-excerpt.rdf"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def fixture_kg():
    return load_kg(REGISTRY / "kg")


def reviewed(source: str) -> list[Link]:
    """Proposals for the fixture KG against one excerpt, after the review rule."""
    kg = fixture_kg()
    actors = curated_actors(kg)
    names = {c.iso: c.label for c in curated_countries(kg)}
    records = list(read_ror(ROR_EXCERPT)) if source == "ror" else read_funders(FUNDERS_EXCERPT)
    doc = "ror-v2-9" if source == "ror" else "crossref-funder-registry-2018-07-09"
    links = merge([], propose(actors, RegistryIndex(records), doc, country_names=names)).links
    return auto_review(links, "test")[0]


def make_link_project(tmp: Path) -> Path:
    """A project root whose kg/ is the registry fixture KG (so kg/links/ can be written freely)."""
    root = tmp / "proj"
    shutil.copytree(REGISTRY / "kg", root / "kg")
    return root
