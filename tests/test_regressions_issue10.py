"""Regression tests for issue 10: every crashing or silently-wrong input found by
the fuzzing, each named after the bug.  The loader corpus is
``tests/fixtures/crashers/*.yaml`` with the expected line and message in
``EXPECT.tsv``; importer cases are written inline."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmkg.errors import Problem
from pmkg.load import load_file

CRASHERS = Path(__file__).parent / "fixtures" / "crashers"


def _expectations() -> list[tuple[str, str, str]]:
    rows = []
    for line in (CRASHERS / "EXPECT.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, at, message = line.split("\t")
            rows.append((name, at, message))
    return rows


def _problems(path: Path) -> list[Problem]:
    records, problems = load_file(path, path.parent)
    assert not records or problems
    return problems


@pytest.mark.parametrize(("name", "line", "message"), _expectations(), ids=[r[0] for r in _expectations()])
def test_loader_refuses_crasher_with_file_and_line(name: str, line: str, message: str) -> None:
    problems = _problems(CRASHERS / name)
    assert problems, f"{name} was accepted"
    hit = [p for p in problems if message in p.message]
    assert hit, [str(p) for p in problems]
    assert hit[0].file == name
    if line:
        assert str(hit[0].line) == line, str(hit[0])
    for p in problems:  # one line each, printable
        assert "\n" not in str(p)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kg.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_unquoted_impossible_date_is_one_line_error_not_valueerror(tmp_path: Path) -> None:
    path = _write(tmp_path, "actors:\n  - id: a1\n    label: A\n    founded: 2019-02-30\n"
                            "    source: {doc: d1, at: x}\n")
    (p,) = _problems(path)
    assert (p.line, p.record_id) == (4, "a1") and "'2019-02-30' is not a real date" in p.message


def test_non_string_id_does_not_crash_the_error_printer(tmp_path: Path) -> None:
    path = _write(tmp_path, "actors:\n  - id: 2024\n    label: A\n    source: {doc: d1, at: x}\n")
    (p,) = _problems(path)
    assert str(p).startswith("kg.yaml:2: 'id': Input should be a valid string")


def test_duplicate_top_level_block_does_not_drop_the_first(tmp_path: Path) -> None:
    path = _write(tmp_path, "topics:\n  - {id: t1, label: T, source: {doc: d1, at: x}}\n"
                            "topics:\n  - {id: t2, label: U, source: {doc: d1, at: x}}\n")
    records, problems = load_file(path, tmp_path)
    assert [r.id for r in records] == ["t1", "t2"]  # both blocks read, and the file refused
    assert [str(p) for p in problems] == [
        "kg.yaml:3: record kind 'topics' appears twice, at lines 1 and 3; the second would silently "
        "replace the first - merge them"]


def test_duplicate_key_in_record_is_error_naming_both_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, "topics:\n  - id: t1\n    label: T\n    label: U\n    source: {doc: d1, at: x}\n")
    (p,) = _problems(path)
    assert "duplicate key 'label', at lines 3 and 4" in p.message


@pytest.mark.parametrize(("value", "expected"), [("017", "'017'"), ("1:30", "'1:30'"), ("0o17", "'0o17'"),
                                                 ("0x1F", "'0x1F'"), ("'17'", "'17'"), ("true", "True")])
def test_yaml11_octal_and_sexagesimal_counts_are_refused_not_coerced(tmp_path: Path, value: str,
                                                                    expected: str) -> None:
    path = _write(tmp_path, f"observations:\n  - id: o1\n    subject: t1\n    measure: papers\n"
                            f"    count: {value}\n    source: {{doc: d1, at: x}}\n")
    (p,) = _problems(path)
    assert p.line == 5 and "valid integer" in p.message and expected in p.message


@pytest.mark.parametrize("value", [".nan", ".NaN", ".inf", "-.inf", "'1e999'", "1e999", "'NaN'", "'12'"])
def test_nan_and_infinity_values_are_refused_not_coerced(tmp_path: Path, value: str) -> None:
    path = _write(tmp_path, f"observations:\n  - {{id: o1, subject: t1, measure: papers, value: {value}, "
                            "source: {doc: d1, at: x}}\n")
    (p,) = _problems(path)
    assert "'value'" in p.message and ("valid number" in p.message or "finite number" in p.message)


@pytest.mark.parametrize("value", ["yes", "no", "on", "off", "y", "1"])
def test_yaml11_booleans_are_refused_for_boolean_fields(tmp_path: Path, value: str) -> None:
    path = _write(tmp_path, f"actors:\n  - {{id: a1, label: A, place_unknown: {value}, "
                            "source: {doc: d1, at: x}}\n")
    (p,) = _problems(path)
    assert "valid boolean" in p.message


def test_yes_no_on_off_stay_strings_in_text_fields(tmp_path: Path) -> None:
    path = _write(tmp_path, "actors:\n  - {id: a1, label: yes, aliases: [no, on, off, 1:30, 017, 2019-02-03], "
                            "founded: 2019-02-03, source: {doc: d1, at: x}}\n")
    (rec,), problems = load_file(path, tmp_path)
    assert problems == []
    assert rec.model.label == "yes"
    assert rec.model.aliases == ["no", "on", "off", "1:30", "017", "2019-02-03"]
    assert rec.model.founded == "2019-02-03"


def test_link_iri_containing_angle_bracket_is_refused_by_url_check(tmp_path: Path) -> None:
    path = _write(tmp_path, "links:\n  - {about: a1, registry: ror, registry_doc: d1, identifier: x, "
                            "iri: 'https://ror.org/x>y'}\n")
    (p,) = _problems(path)
    assert "not allowed in an IRI" in p.message


def test_integer_values_are_accepted_for_number_fields(tmp_path: Path) -> None:
    path = _write(tmp_path, "observations:\n  - {id: o1, subject: t1, measure: papers, value: 12, count: 0, "
                            "source: {doc: d1, at: x}}\n")
    (rec,), problems = load_file(path, tmp_path)
    assert problems == [] and rec.model.value == 12.0 and rec.model.count == 0


def test_curated_string_with_newline_writes_valid_ntriples() -> None:
    import pyoxigraph as ox
    from rdflib import Literal, URIRef

    from pmkg.store import nquads_text, nt_lines, ntriples_lines
    g = URIRef("https://w3id.org/pmkg/graph/x")
    quad = (URIRef("https://w3id.org/pmkg/id/a"), URIRef("https://w3id.org/pmkg/ontology#note"),
            Literal('first paragraph\n\nsecond "quoted" \\ \t\r\x01'), g)
    (nt,) = ntriples_lines([quad])
    nq = nquads_text([(str(g), nt_lines([quad[:3]]))])  # what the build hands the store and the exports
    assert nt.count("\n") == 1 and nq.count("\n") == 1
    (parsed,) = ox.parse(nq.encode(), format=ox.RdfFormat.N_QUADS)
    assert parsed.object.value == str(quad[2])


# ---------------------------------------------------------------- importers

def _parse(fmt: str, path: Path) -> tuple[list, list[Problem]]:
    from pmkg.importers.model import Malformed
    from pmkg.importers.run import PARSERS
    items = list(PARSERS[fmt](path, path.name))
    return ([i for i in items if not isinstance(i, Malformed)], [i.problem for i in items if isinstance(i, Malformed)])


def test_truncated_tab_delimited_row_is_reported_not_imported_as_complete(tmp_path: Path) -> None:
    path = tmp_path / "tab.txt"
    path.write_text("PT\tTI\tSO\tPY\tUT\nJ\tWhole\tJ\t2020\tWOS:1\nJ\tCut off", encoding="utf-8")
    papers, (problem,) = _parse("wos-tab", path)
    assert [p.wos_id for p in papers] == ["WOS:1"]
    assert problem.line == 3 and "truncated row" in problem.message


def test_truncated_medline_record_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "medline.txt"
    path.write_text("PMID- 1\nTI  - Whole record\nDP  - 2020\n\nPMID- 2\nTI  - Cut in the mi", encoding="utf-8")
    papers, (problem,) = _parse("medline", path)
    assert [p.pmid for p in papers] == ["1"]
    assert (problem.line, problem.record_id) == (5, "PMID 2") and "truncated" in problem.message


def test_cr_only_medline_file_keeps_every_record(tmp_path: Path) -> None:
    path = tmp_path / "mac.txt"
    path.write_bytes(b"".join(f"PMID- {i}\rTI  - Record {i}\rDP  - 2020\r\r".encode() for i in range(41)))
    papers, problems = _parse("medline", path)
    assert len(papers) == 41 and problems == []


@pytest.mark.parametrize(("name", "work"), [
    ("dict-title", '{"id": "W1", "title": {"en": "x"}, "doi": "10.1/a"}'),
    ("deep-json", '{"id": "W1", "title": ' + "[" * 100_000 + "]" * 100_000 + "}"),
    ("truncated-line", '{"id": "https://openalex.org/W1", "title": "cut'),
    ("integer-funder-name", '{"id": "W1", "doi": "10.1/a", "funders": [{"display_name": 7}]}'),
    ("list-institution-name", '{"id": "W1", "doi": "10.1/a", "authorships": [{"institutions": '
                              '[{"display_name": ["a", "b"]}]}]}'),
])
def test_openalex_crash_classes_skip_one_record_not_the_file(tmp_path: Path, name: str, work: str) -> None:
    path = tmp_path / "works.jsonl"
    path.write_text(work + "\n" + '{"id": "https://openalex.org/W2", "title": "Fine", "doi": "10.1/b"}\n',
                    encoding="utf-8")
    papers, (problem,) = _parse("openalex", path)
    assert [p.openalex_id for p in papers] == ["W2"]
    assert (problem.file, problem.line, problem.record_id) == ("works.jsonl", 1, "W1"), str(problem)
