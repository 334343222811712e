"""Resolution of funder and affiliation strings against the real curated graph,
with one test per look-alike trap found in the real WoS files."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from test_import_support import import_template  # noqa: F401 - session fixture

from pmkg.importers.model import Affiliation
from pmkg.importers.resolve import Resolver, load_curated
from pmkg.store import STORE_DIR, open_store

ACTOR = "https://w3id.org/pmkg/id/actor/"
PROG = "https://w3id.org/pmkg/id/programme/"
PLACE = "https://w3id.org/pmkg/id/place/"


def _resolver(dist: Path, extra: list[ox.Quad] | None = None) -> Resolver:
    """A resolver over a copy of the built store in memory, plus ``extra`` quads."""
    store = ox.Store()
    store.bulk_extend(open_store(dist).quads_for_pattern(None, None, None, None))
    if extra:
        store.bulk_extend(extra)
    return Resolver(load_curated(store))


@pytest.fixture(scope="module")
def resolver(import_template: Path) -> Resolver:  # noqa: F811
    assert (import_template / "dist" / STORE_DIR).is_dir()
    return _resolver(import_template / "dist")


def c1(text: str) -> Affiliation:
    return Affiliation(text, "C1")


@pytest.mark.parametrize(("text", "expected"), [
    ("National Natural Science Foundation of China", "nsfc"),
    ("National Natural Science Foundation of China (NSFC)", "nsfc"),
    ("NSFC, China", "nsfc"),
    ("Major Research Plan of the National Natural Science Foundation of China", "nsfc"),
    ("National Natural Science Foundation of China, Beijing, P.R. China", "nsfc"),
    ("Natural Science Foundation of Guangdong Province in China", "natural-science-foundation-of-guangdong-province"),
    ("Zhejiang Provincial Natural Science Foundation of China", "natural-science-foundation-of-zhejiang-province"),
    ("Science and Technology Commission of Shanghai Municipality",
     "shanghai-municipal-science-and-technology-commission"),
    ("Youth Innovation Promotion Association CAS", "chinese-academy-of-sciences"),
    ("CAMS Innovation Fund for Medical Sciences", "chinese-academy-of-medical-sciences"),
    ("Beijing Municipal Science & Technology Commission", "beijing-municipal-science-and-technology-commission"),
])
def test_funders_resolve(resolver: Resolver, text: str, expected: str) -> None:
    assert resolver.funder(text) == ACTOR + expected


def test_funder_programmes_resolve(resolver: Resolver) -> None:
    assert resolver.funder("National Key R&D Program of China") == PROG + "national-key-rd-program"


@pytest.mark.parametrize("text", [
    "National Science Foundation",                     # the US NSF is not the NSFC
    "National Natural Science Foundation",             # no country: left for a curator
    "Natural Science Foundation of Zhejiang Province",  # provincial, resolves to itself (below)
    "Zhejiang Provincial Natural Science Foundation of China",
    "Guangdong Basic and Applied Basic Research Foundation",
    "German Research Foundation (DFG)",
])
def test_funder_look_alikes_are_not_nsfc(resolver: Resolver, text: str) -> None:
    assert resolver.funder(text) != ACTOR + "nsfc"


def test_provincial_foundation_is_itself(resolver: Resolver) -> None:
    assert resolver.funder("Natural Science Foundation of Zhejiang Province") == \
        ACTOR + "natural-science-foundation-of-zhejiang-province"


def test_china_qualifier_is_dropped_only_for_chinese_actors(resolver: Resolver) -> None:
    # "National Institutes of Health" is curated (US); "... of China" must not reach it
    assert resolver.funder("National Institutes of Health") == ACTOR + "nih"
    assert resolver.funder("National Institutes of Health of China") is None


def test_zhejiang_university_of_technology_is_not_zhejiang_university(resolver: Resolver) -> None:
    assert resolver.affiliation(c1("Zhejiang Univ Technol, Coll Comp Sci, Hangzhou, Peoples R China")) == ()
    assert resolver.affiliation(Affiliation("Zhejiang University of Technology", "C3")) == ()
    assert resolver.funder("Zhejiang University of Technology Key Research Fund") is None
    assert resolver.affiliation(c1("Zhejiang Univ, Sch Med, Hangzhou, Peoples R China")) == \
        (ACTOR + "zhejiang-university",)


def test_cas_institute_counts_as_cas(resolver: Resolver) -> None:
    assert resolver.affiliation(c1("Chinese Acad Sci, Inst Automat, Beijing 100190, Peoples R China")) == \
        (ACTOR + "chinese-academy-of-sciences",)
    assert resolver.affiliation(Affiliation("University of Chinese Academy of Sciences, CAS", "C3")) == \
        (ACTOR + "chinese-academy-of-sciences",)


def test_curated_cas_institute_is_itself(resolver: Resolver) -> None:
    assert resolver.affiliation(c1("Chinese Acad Sci, Shenzhen Inst Adv Technol, Shenzhen, Peoples R China")) == \
        (ACTOR + "siat",)
    assert resolver.affiliation(Affiliation("Shenzhen Institute of Advanced Technology, CAS", "C3")) == \
        (ACTOR + "siat",)
    raw = Affiliation("Institute of Microbiology, Chinese Academy of Sciences, Beijing, China", "raw")
    assert resolver.affiliation(raw) == (ACTOR + "cas-institute-of-microbiology",)


def test_academy_of_medical_sciences_is_not_cas(resolver: Resolver) -> None:
    hits = resolver.affiliation(c1("Chinese Acad Med Sci & Peking Union Med Coll, Canc Hosp, Beijing, Peoples R China"))
    assert ACTOR + "chinese-academy-of-sciences" not in hits
    assert hits == (ACTOR + "chinese-academy-of-medical-sciences",)


def test_generic_sub_units_do_not_resolve_out_of_context(resolver: Resolver) -> None:
    # "University Hospital" is an alias of University Hospital Tübingen; "Center for Precision Medicine"
    # names two curated centres; neither may match a sub-unit of an unrelated address
    assert resolver.affiliation(c1("Univ Hosp, Ctr Precis Med, Hangzhou, Peoples R China")) == ()
    assert resolver.affiliation(c1("Chinese Acad Sci, Inst Microbiol, Beijing, Peoples R China")) == \
        (ACTOR + "cas-institute-of-microbiology",)
    assert resolver.affiliation(c1("Peking Univ, Inst Microbiol, Beijing, Peoples R China")) == \
        (ACTOR + "peking-university",)


def test_countries_from_wos_addresses(resolver: Resolver) -> None:
    assert resolver.country("Chinese Acad Sci, Beijing 100190, Peoples R China") == PLACE + "china"
    assert resolver.country("Univ Nowhere, Springfield, IL 62701 USA") == PLACE + "united-states"
    assert resolver.country("Univ Oxford, Oxford, England") == PLACE + "united-kingdom"
    assert resolver.country("Chinese Univ Hong Kong, Shatin, Hong Kong") == PLACE + "china"
    assert resolver.country("Somewhere, Atlantis") is None


def test_ror_resolves_only_through_a_curated_ror_id(import_template: Path) -> None:  # noqa: F811
    unknown = "00zzzzz00"  # a ROR-shaped id no curated actor carries
    inst = Affiliation("Some Registry Name", "institution", ror=unknown)
    plain = _resolver(import_template / "dist")
    assert unknown not in plain.c.ror
    assert plain.affiliation(inst) == ()
    zju = ox.NamedNode(ACTOR + "zhejiang-university")
    quad = ox.Quad(zju, ox.NamedNode("https://w3id.org/pmkg/ontology#rorId"), ox.Literal(unknown))
    assert _resolver(import_template / "dist", [quad]).affiliation(inst) == (zju.value,)
