"""The WoS (plain and tab-delimited), OpenAlex and MEDLINE parsers on our own fixtures."""

from __future__ import annotations

import codecs
from pathlib import Path

from test_import_support import BIBLIO

from pmkg.importers.medline import parse_medline
from pmkg.importers.model import Malformed, Paper
from pmkg.importers.openalex import parse_openalex
from pmkg.importers.wos import funders_and_grants, parse_wos, parse_wos_tab, split_outside_brackets

WOS = BIBLIO / "wos-sample.txt"


def papers(items: list) -> list[Paper]:
    return [p for p in items if isinstance(p, Paper)]


def problems(items: list) -> list:
    return [p.problem for p in items if isinstance(p, Malformed)]


def test_wos_plain_reads_every_record_with_continuation_lines() -> None:
    items = list(parse_wos(WOS))
    assert len(items) == 5
    first, second, third = papers(items)
    assert WOS.read_bytes().startswith(codecs.BOM_UTF8)
    assert first.wos_id == "WOS:000000000000001"
    assert first.doi == "10.9999/pmkg.test.0001"  # lower-cased
    assert first.title.endswith("an uncurated CAS institute and two funder look-alikes")
    assert first.year == "2021"
    assert [a.text for a in first.affiliations if a.field == "C1"] == [
        "Chinese Acad Sci, Inst Automat, Beijing 100190, Peoples R China",
        "Univ Nowhere, Dept Stat, Springfield, IL 62701 USA"]
    assert first.funders == ["National Natural Science Foundation of China",
                             "Natural Science Foundation of Zhejiang Province", "National Science Foundation", "Funds"]
    assert "62000003" in first.grants and "CCF-0000001" in first.grants
    assert [a.text for a in second.affiliations if a.field == "C3"] == [
        "Zhejiang University of Technology", "Chinese Academy of Medical Sciences - Peking Union Medical College"]
    assert third.doi == "10.9999/pmkg.test.0003"


def test_wos_malformed_records_name_file_line_and_record_id() -> None:
    found = problems(list(parse_wos(WOS)))
    assert [(p.line, p.record_id) for p in found] == [(61, "WOS:000000000000004"), (66, "record 5")]
    assert "not a WoS tag line" in found[0].message
    assert str(found[0]).startswith(f"{WOS}:61 WOS:000000000000004: ")
    assert "no DOI, UT, PMID or OpenAlex id" in found[1].message


def test_wos_without_bom_and_utf16_read_the_same(tmp_path: Path) -> None:
    text = WOS.read_text(encoding="utf-8-sig")
    plain, utf16 = tmp_path / "plain.txt", tmp_path / "utf16.txt"
    plain.write_text(text, encoding="utf-8")
    utf16.write_text(text, encoding="utf-16")
    expected = [p.key() for p in papers(list(parse_wos(WOS)))]
    assert [p.key() for p in papers(list(parse_wos(plain)))] == expected
    assert [p.key() for p in papers(list(parse_wos(utf16)))] == expected


def test_wos_missing_er_and_stray_lines_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "cut.txt"
    path.write_text("FN x\nVR 1.0\n   stray continuation\nPT J\nUT WOS:1\nPT J\nUT WOS:2\nER\nPT J\nUT WOS:3\n",
                    encoding="utf-8")
    found = problems(list(parse_wos(path)))
    assert [(p.line, p.record_id) for p in found] == [(3, None), (4, "WOS:1"), (9, "WOS:3")]
    assert [p.key() for p in papers(list(parse_wos(path)))] == ["wos:WOS:2"]


def test_one_non_utf8_byte_skips_its_record_not_the_file(tmp_path: Path) -> None:
    """Issue 10: one bad byte aborted the whole import; now only its record is skipped (with its line)."""
    path = tmp_path / "latin1.txt"
    path.write_bytes("PT J\nTI caf\u00e9\nUT WOS:1\nER\nPT J\nTI fine\nUT WOS:2\nER\n".encode("latin-1"))
    items = list(parse_wos(path))
    (bad,) = problems(items)
    assert (bad.line, bad.record_id) == (2, "WOS:1") and "not UTF-8" in bad.message
    assert [p.key() for p in papers(items)] == ["wos:WOS:2"]


def test_wos_tab_gives_the_same_papers_as_plain_text() -> None:
    plain = {p.key(): p for p in papers(list(parse_wos(WOS)))}
    tab = papers(list(parse_wos_tab(BIBLIO / "wos-sample-tab.txt")))
    assert len(tab) == 3
    for paper in tab:
        other = plain[paper.key()]
        assert (paper.title, paper.funders, paper.grants) == (other.title, other.funders, other.grants)
        assert paper.affiliations == other.affiliations


def test_funder_brackets_nest_and_notes_are_stripped() -> None:
    names, grants = funders_and_grants(
        "A Fund [1, 2]; B Program [QKH[2013]2074]; National Natural Science Foundation of China "
        "Funding Source: Medline; [GM1]")
    assert names == ["A Fund", "B Program", "National Natural Science Foundation of China"]
    assert grants == ["1", "2", "QKH[2013]2074", "GM1"]
    assert split_outside_brackets("[A; B] X, Y; [C] Z") == ["[A; B] X, Y", "[C] Z"]


def test_openalex_works_and_a_truncated_line() -> None:
    items = list(parse_openalex(BIBLIO / "openalex-sample.jsonl"))
    first, second = papers(items)
    assert first.doi == "10.9999/pmkg.test.0003" and first.openalex_id == "W9000000003"
    assert first.key() == "doi:10.9999/pmkg.test.0003"
    assert second.key() == "openalex:W9000000005"
    inst = [a for a in second.affiliations if a.field == "institution"]
    assert inst[0].ror == "034t30j35" and inst[0].country == "CN"
    assert first.funders == ["National Natural Science Foundation of China"] and first.grants == ["62000009"]
    (bad,) = problems(items)
    assert bad.line == 3 and bad.record_id == "W9000000006"


def test_medline_records() -> None:
    first, second = papers(list(parse_medline(BIBLIO / "medline-sample.txt")))
    assert first.pmid == "99000001" and first.doi == "10.9999/pmkg.test.0007"
    assert first.title.endswith("title and two affiliations.")
    assert first.affiliations[0].text == "Institute of Automation, Chinese Academy of Sciences, Beijing 100190, China"
    assert first.funders == ["NIH HHS", "National Natural Science Foundation of China"]
    assert first.grants == ["R01 XX000001", "62000004"]
    assert first.year == "2021" and first.journal == "PMKG test journal"
    assert second.key() == "pmid:99000002"
