"""Strategies and oracles for the fuzz tests (issue 10), shared by the CI tests
(``test_fuzz_*.py``, small budget) and ``scripts/fuzz_table.py`` (large budget,
prints the table of the closing note).

Each ``check_*`` function runs one case and returns its outcome:

* ``"accepted"`` - read without problems, and the values are what was written;
* ``"clean-error"`` - refused with pmkg's own problems, each with the file;
* ``"crash"`` - any other exception escaped;
* ``"silent-wrong"`` - accepted, but a value differs from the input's;
* ``"data-lost"`` - a record of the input is neither read nor reported.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
from datetime import date
from pathlib import Path

from hypothesis import strategies as st

from pmkg.errors import PmkgError, Problem

GOOD = ("accepted", "clean-error")
KITCHEN = Path(__file__).parent / "fixtures" / "kitchen_sink"

# ---------------------------------------------------------------- the loader

HOSTILE_SCALARS = [
    "017", "0017", "1:30", "190:20:30", ".nan", ".NaN", ".inf", "-.inf", "+.inf", "1e999", "-1e999", "'1e999'",
    "yes", "no", "on", "off", "y", "n", "Yes", "NO", "~", "null", "Null", "", "2019-02-30", "2019-13-01",
    "2019-00", "0000", "2019-02-29", "2020-02-29", "0x1F", "0o17", "0b101", "1_000", "+12", "-0", "12.", ".5",
    "1e3", "1E-3", "true", "True", "TRUE", "false", "'017'", "'12'", "12", "0", "-3", "3.25", "[1]", "{a: 1}",
    "[]", "{}", "!!str 5", "!!int '5'", "!!float 1", "!!binary aGVsbG8=", "!!timestamp 2019-01-01",
    "!!python/name:os.system", '"\\x00"', '"a\\nb"', "'a\\nb'", "\"\\ud800\"", "'a >b'", "https://x.org/a>b",
    "https://x.org/a b", "https://x.org/{x}", "https://x.org/a\"b", "http://x", "ftp://x.org", "www.x.org",
    "[in Chinese] title", "[/]", "a: b", "- a", "&anchor 5", "*nope", "|\n  block", ">-\n  folded\n\n  two",
    "2019-02-03", "2019-02", "2019", "1.0", "1.5e3", "-.5",
]
INT_TEXT = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$")
FLOAT_TEXT = re.compile(r"^[-+]?(?:\.[0-9]+|(?:0|[1-9][0-9]*)(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
DATE_TEXT = re.compile(r"^'?(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?'?$")
IRI_BAD = re.compile(r"[\s<>\"{}|\\^`\x00-\x1f\x7f]")

# kind, base record (YAML flow mapping without the field), field, field type
FIELDS = [
    ("observations", "{id: o1, subject: t1, measure: papers, source: {doc: d1, at: x}", "count", "int"),
    ("observations", "{id: o1, subject: t1, measure: papers, source: {doc: d1, at: x}", "rank", "int1"),
    ("observations", "{id: o1, subject: t1, measure: papers, source: {doc: d1, at: x}", "value", "float"),
    ("observations", "{id: o1, subject: t1, measure: papers, source: {doc: d1, at: x}", "year", "date"),
    ("actors", "{id: a1, label: A, source: {doc: d1, at: x}", "founded", "date"),
    ("actors", "{id: a1, label: A, source: {doc: d1, at: x}", "place_unknown", "bool"),
    ("actors", "{id: a1, label: A, source: {doc: d1, at: x}", "description", "str"),
    ("actors", "{id: a1, label: A, source: {doc: d1, at: x}", "note", "str"),
    ("actors", "{id: a1, source: {doc: d1, at: x}", "label", "str1"),
    ("actors", "{label: A, source: {doc: d1, at: x}", "id", "slug"),
    ("links", "{about: a1, registry: ror, registry_doc: d1, identifier: x", "iri", "url"),
    ("agenda", "{id: g1, label: G, item_kind: action, source: {doc: d1, at: x}", "order", "int"),
]


def _real_date(y: str, m: str | None, d: str | None) -> bool:
    try:
        date(int(y), int(m or 1), int(d or 1))
    except ValueError:
        return False
    return True


def expected_value(kind: str, text: str) -> tuple[bool, object]:
    """(must be accepted?, the value the model must then hold) for a YAML scalar text."""
    text = text.removeprefix("&anchor ")
    if text in ("~", "null", "Null", "NULL", ""):  # YAML null: the optional field is absent
        return kind in ("int", "int1", "float", "date"), None
    quoted = text[:1] in ("'", '"')
    if kind in ("int", "int1"):
        ok = not quoted and bool(INT_TEXT.match(text)) and int(text) >= (1 if kind == "int1" else 0)
        return ok, int(text) if ok else None
    if kind == "float":
        if quoted or not FLOAT_TEXT.match(text) or math.isinf(float(text)):
            return False, None
        return True, float(text)
    if kind == "bool":
        return text in ("true", "True", "TRUE", "false", "False", "FALSE"), text.lower() == "true"
    if kind == "date":
        match = DATE_TEXT.match(text)
        an_int = bool(INT_TEXT.match(text)) and not text.startswith("0")
        if not match or text.startswith("'") != text.endswith("'") or an_int:
            return False, None  # an unquoted 2019 is an integer (YAML 1.2), refused for a date: quote it
        return _real_date(*match.groups()), text.strip("'")
    return False, None  # str, slug and url: oracle by JSON-quoted generated text, below


@st.composite
def scalar_cases(draw: st.DrawFn) -> tuple[str, str, str, str, object]:
    """(yaml text, kind of record, field, field type, expected or None) for one field x value case."""
    kind, base, fname, ftype = draw(st.sampled_from(FIELDS))
    if ftype in ("str", "str1", "slug", "url") and draw(st.booleans()):
        raw = draw(st.text(max_size=40))
        if ftype == "url":
            raw = "https://x.org/" + raw
        literal = json.dumps(raw)  # a JSON string is a valid YAML double-quoted scalar
        value_text, expected = literal, raw
    else:
        value_text = draw(st.sampled_from(HOSTILE_SCALARS) | st.from_regex(r"[-+.:0-9eExo_a-z]{1,8}", fullmatch=True))
        expected = None
    text = f"{kind}:\n  - {base}, {fname}: {value_text}}}\n" if "\n" not in value_text else \
        f"{kind}:\n  - {base}, {fname}: {json.dumps(value_text)}}}\n"
    return text, kind, fname, ftype, (value_text, expected)


def _accepted_value_ok(ftype: str, value_text: str, raw: object, value: object) -> bool:
    if raw is not None:  # generated text, JSON-quoted
        assert isinstance(raw, str)
        if ftype == "slug":
            return value == raw and re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", raw) is not None
        if ftype == "url":
            return value == raw.strip() and not IRI_BAD.search(raw.strip())
        return value == raw.strip()
    must, want = expected_value(ftype, value_text)
    if ftype in ("str", "str1", "slug", "url"):
        return (isinstance(value, str) and (ftype != "url" or not IRI_BAD.search(value))) or \
            (value is None and ftype == "str" and value_text in ("~", "null", "Null", "NULL", ""))
    return must and value == want and type(value) is type(want)


def check_scalar_case(case: tuple[str, str, str, str, object], tmp: Path) -> str:
    text, _kind, fname, ftype, (value_text, raw) = case
    path = tmp / "case.yaml"
    path.write_text(text, encoding="utf-8")
    outcome = _run_loader(path)
    if isinstance(outcome, str):
        return outcome
    records, problems = outcome
    if problems:
        must, _ = expected_value(ftype, value_text) if raw is None else (False, None)
        if raw is None and must and ftype not in ("str", "str1", "slug", "url"):
            return "refused-valid"  # a valid value refused: wrong too, though nothing is lost silently
        return "clean-error"
    if len(records) != 1:
        return "data-lost"
    value = getattr(records[0].model, fname)
    return "accepted" if _accepted_value_ok(ftype, value_text, raw, value) else "silent-wrong"


def _run_loader(path: Path) -> tuple[list, list[Problem]] | str:
    from pmkg.load import load_file
    try:
        records, problems = load_file(path, path.parent)
    except PmkgError:
        return "crash"  # load_file reports, it never raises
    except Exception:
        return "crash"
    for p in problems:
        if not p.file or any(c in str(p) for c in "\n\r\x85\u2028\u2029") or not isinstance(p.record_id, str | None):
            return "crash"
    return records, problems


MUTATIONS = ("insert", "delete", "duplicate-line", "swap-lines", "control", "truncate", "nest", "bytes")


@st.composite
def mutated_files(draw: st.DrawFn) -> tuple[bytes, str, int]:
    """(bytes, mutation, index of a duplicated key line or -1) from a kitchen-sink file."""
    source = draw(st.sampled_from(sorted(KITCHEN.glob("*.yaml"))))
    data = source.read_bytes()
    lines = data.split(b"\n")
    how = draw(st.sampled_from(MUTATIONS))
    dup = -1
    if how == "insert":
        pos = draw(st.integers(0, len(data)))
        data = data[:pos] + draw(st.text(max_size=8)).encode("utf-8") + data[pos:]
    elif how == "delete":
        a = draw(st.integers(0, len(data)))
        data = data[:a] + data[a + draw(st.integers(1, 40)):]
    elif how == "duplicate-line":
        i = draw(st.integers(0, len(lines) - 1))
        lines.insert(i, lines[i])
        dup = i
        data = b"\n".join(lines)
    elif how == "swap-lines":
        i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
        lines[i], lines[j] = lines[j], lines[i]
        data = b"\n".join(lines)
    elif how == "control":
        pos = draw(st.integers(0, len(data)))
        data = data[:pos] + bytes([draw(st.sampled_from([0, 1, 8, 11, 12, 27, 127]))]) + data[pos:]
    elif how == "truncate":
        data = data[:draw(st.integers(0, len(data)))]
    elif how == "nest":
        depth = draw(st.integers(30, 2000))
        data += b"\nzz: " + b"[" * depth + b"]" * depth + b"\n"
    else:
        pos = draw(st.integers(0, len(data)))
        data = data[:pos] + draw(st.binary(min_size=1, max_size=6)) + data[pos:]
    return data, how, dup


KEY_LINE = re.compile(rb"^\s+[a-z_]+:\s")


def check_mutated_file(case: tuple[bytes, str, int], tmp: Path) -> str:
    data, how, dup = case
    path = tmp / "mutated.yaml"
    path.write_bytes(data)
    outcome = _run_loader(path)
    if isinstance(outcome, str):
        return outcome
    _records, problems = outcome
    if problems:
        return "clean-error"
    lines = data.split(b"\n")
    if how == "duplicate-line" and KEY_LINE.match(lines[dup]) and not lines[dup].lstrip().startswith(b"-"):
        return "data-lost"  # a duplicated key was accepted: one of the two values vanished
    return "accepted"


# ---------------------------------------------------------------- the importers

# No line breaks or tabs inside a generated value: they would make a different file (damage is separate).
text_values = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\n\r\t"),
                      max_size=30)
BREAKS = [b"\n", b"\r\n", b"\r"]


@st.composite
def wos_files(draw: st.DrawFn) -> tuple[bytes, list[tuple[str, str]], str]:
    """A WoS plain-text file of generated records: (bytes, [(UT, title)], format)."""
    records, chunks = [], ["FN Clarivate Analytics Web of Science", "VR 1.0"]
    for i in range(draw(st.integers(0, 5))):
        ut, title = f"WOS:{i:015d}", draw(text_values)
        fu = draw(text_values)
        records.append((ut, title))
        chunks += ["PT J", f"TI {title}", f"C1 [{draw(text_values)}] {draw(text_values)}", f"FU {fu}",
                   f"PY {draw(st.integers(1400, 2200))}", f"UT {ut}", "ER", ""]
    chunks.append("EF")
    brk = draw(st.sampled_from(BREAKS))
    return brk.join(c.encode("utf-8") for c in chunks) + brk, records, "wos"


@st.composite
def wos_tab_files(draw: st.DrawFn) -> tuple[bytes, list[tuple[str, str]], str]:
    records, rows = [], ["PT\tTI\tC1\tFU\tPY\tDI\tUT"]
    for i in range(draw(st.integers(0, 5))):
        ut, title = f"WOS:{i:015d}", draw(text_values)
        records.append((ut, title))
        rows.append("\t".join(["J", title, draw(text_values), draw(text_values), "2020", "", ut]))
    brk = draw(st.sampled_from(BREAKS))
    return brk.join(r.encode("utf-8") for r in rows) + brk, records, "wos-tab"


@st.composite
def medline_files(draw: st.DrawFn) -> tuple[bytes, list[tuple[str, str]], str]:
    records, chunks = [], []
    for i in range(draw(st.integers(0, 5))):
        pmid, title = str(90000000 + i), draw(text_values)
        records.append((f"PMID {pmid}", title))
        chunks += [f"PMID- {pmid}", f"TI  - {title}", f"AD  - {draw(text_values)}", f"GR  - {draw(text_values)}",
                   f"DP  - {draw(st.integers(1400, 2200))}", ""]
    brk = draw(st.sampled_from(BREAKS))
    return brk.join(c.encode("utf-8") for c in chunks) + brk, records, "medline"


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | text_values,
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text_values, inner, max_size=3),
                           max_leaves=8)


@st.composite
def openalex_files(draw: st.DrawFn) -> tuple[bytes, list[tuple[str, str]], str]:
    records, lines = [], []
    for i in range(draw(st.integers(0, 5))):
        oid, title = f"W{i + 1}", draw(text_values)
        work: dict = {"id": f"https://openalex.org/{oid}", "title": title}
        for name in draw(st.lists(st.sampled_from(["title", "ids", "primary_location", "authorships", "funders",
                                                    "awards", "grants", "doi", "publication_year"]), max_size=3)):
            work[name] = draw(json_values)
        if work["title"] == title:
            records.append((oid, title))
        lines.append(json.dumps(work))
    return "\n".join(lines).encode("utf-8") + b"\n", records, "openalex"


def any_import_file() -> st.SearchStrategy:
    return st.one_of(wos_files(), wos_tab_files(), medline_files(), openalex_files())


@st.composite
def damaged(draw: st.DrawFn, files: st.SearchStrategy) -> tuple[bytes, list[tuple[str, str]], str, bool]:
    """A generated file, possibly damaged (bytes inserted, cut, deep JSON): (…, damaged?)."""
    data, records, fmt = draw(files)
    how = draw(st.sampled_from(["none", "none", "insert", "truncate", "bad-utf8", "deep"]))
    if how == "insert":
        pos = draw(st.integers(0, len(data)))
        data = data[:pos] + draw(st.binary(min_size=1, max_size=4)) + data[pos:]
    elif how == "truncate":
        data = data[:draw(st.integers(0, len(data)))]
    elif how == "bad-utf8":
        pos = draw(st.integers(0, len(data)))
        data = data[:pos] + b"\xff" + data[pos:]
    elif how == "deep":
        depth = draw(st.integers(100, 100_000))
        data += b'{"id": "W999", "title": ' + b"[" * depth + b"]" * depth + b"}\n"
    return data, records, fmt, how != "none"


def check_import_file(case: tuple[bytes, list[tuple[str, str]], str, bool], tmp: Path) -> str:
    """Parse a generated file; every generated record must be read right or reported."""
    from pmkg.importers.model import Malformed
    from pmkg.importers.run import PARSERS
    data, records, fmt, was_damaged = case
    path = tmp / f"case.{fmt}"
    path.write_bytes(data)
    try:
        items = list(PARSERS[fmt](path, path.name))
    except PmkgError as exc:  # a file-level refusal (e.g. no header): clean only with a file name
        return "clean-error" if all(p.file for p in exc.problems) else "crash"
    except Exception:
        return "crash"
    papers = [i for i in items if not isinstance(i, Malformed)]
    problems = [i.problem for i in items if isinstance(i, Malformed)]
    if any(not p.file or not p.line for p in problems):
        return "crash"
    if was_damaged:
        return "clean-error" if problems else "accepted"
    by_id = {(p.wos_id or p.record_id or p.openalex_id): p for p in papers}
    reported = {p.record_id for p in problems}
    for rid, title in records:
        paper = by_id.get(rid)
        if paper is None:
            if rid not in reported and not problems:
                return "data-lost"
            continue
        want = re.sub(r"\s+", " ", title).strip() or None
        got = re.sub(r"\s+", " ", paper.title or "").strip() or None
        if fmt == "openalex":
            want = title or None
            got = paper.title
        if got != want:
            return "silent-wrong"
    return "clean-error" if problems else "accepted"


def tmp_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="pmkg-fuzz-"))
