"""Web of Science exports: plain text (``FN``/``PT``…``ER``/``EF``) and tab-delimited.

Plain text: a two-character tag, a space and the value; continuation lines
start with three spaces; ``ER`` ends a record, ``EF`` the file.  Each ``C1``
line is one address, ``[Authors] Organisation, Sub-unit, …, City, Country.``;
``C3`` lists WoS's organisation-enhanced names separated by ``; ``; ``FU``
lists funders with grant numbers in (possibly nested) brackets.

Tab-delimited: a header row of the same tags, one record per row; ``C1``
addresses are separated by ``; `` outside the author brackets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from pmkg.errors import InputError, Problem
from pmkg.importers.model import (
    Affiliation,
    Malformed,
    Paper,
    Parsed,
    Undecodable,
    clean_doi,
    guarded,
    read_lines,
    year_of,
)

TAG_LINE = re.compile(r"^([A-Z][A-Z0-9])(?: (.*))?$")
MULTILINE = {"AU", "AF", "C1", "CR", "RI", "OI"}  # one item per line
FUNDING_NOTE = re.compile(r"\s*Funding Source:\s*\S.*$", re.IGNORECASE)


SPACES = re.compile(r"\s+")
GRANT_SEPARATORS = re.compile(r"[,;]")
BRACKETS = re.compile(r"[\[\]]")


def split_outside_brackets(text: str, sep: str = ";") -> list[str]:
    """Split on ``sep`` where not inside ``[...]`` (grant lists and author lists nest)."""
    if "[" not in text:
        return [p.strip() for p in text.split(sep) if p.strip()]
    parts, depth, last = [], 0, 0
    for match in re.finditer(f"[\\[\\]{re.escape(sep)}]", text):  # only the characters that matter
        char = match.group()
        if char == "[":
            depth += 1
        elif char == "]":
            depth = max(0, depth - 1)
        elif depth == 0:
            parts.append(text[last:match.start()])
            last = match.end()
    parts.append(text[last:])
    return [p.strip() for p in parts if p.strip()]


def strip_brackets(text: str) -> tuple[str, list[str]]:
    """The text without its bracketed groups (nested too), and the bracket contents."""
    if "[" not in text:
        return SPACES.sub(" ", text).strip(" ,;"), []
    out: list[str] = []
    groups: list[str] = []
    current: list[str] = []
    depth, last = 0, 0
    for match in BRACKETS.finditer(text):
        (current if depth else out).append(text[last:match.start()])
        last = match.end()
        if match.group() == "[":
            if depth:
                current.append("[")
            depth += 1
        elif depth:
            depth -= 1
            if depth:
                current.append("]")
            else:
                groups.append("".join(current))
                current = []
        else:
            out.append("]")
    (current if depth else out).append(text[last:])
    if rest := "".join(current):  # an unclosed bracket: keep what it held as a group
        groups.append(rest)
    return SPACES.sub(" ", "".join(out)).strip(" ,;"), groups


def funders_and_grants(fu: str) -> tuple[list[str], list[str]]:
    """``FU`` text -> funder names (grant numbers and notes stripped) and grant numbers."""
    funders, grants = [], []
    for part in split_outside_brackets(fu):
        name, groups = strip_brackets(part)
        name = FUNDING_NOTE.sub("", name).strip(" ,;")
        for group in groups:
            grants += [g.strip() for g in GRANT_SEPARATORS.split(group) if g.strip()]
        if name:
            funders.append(name)
    return funders, grants


def address_of(c1_item: str) -> str:
    """A C1 item without its author bracket and final full stop."""
    text = c1_item.strip()
    close = text.find("]") if text.startswith("[") else -1
    if close > 0 and "[" not in text[1:close]:  # the common case: one flat author bracket
        text = text[close + 1:]
    elif text.startswith("["):
        end, depth = 0, 0
        for i, char in enumerate(text):
            depth += char == "["
            depth -= char == "]"
            if depth == 0:
                end = i
                break
        text = text[end + 1:]
    return text.strip().rstrip(".").strip()


def paper_from_tags(tags: dict[str, list[str]], file: str, line: int, record_id: str) -> Paper:
    """Build a Paper from tag -> lines (plain) or tag -> [value] (tab-delimited)."""

    def joined(tag: str) -> str:
        return SPACES.sub(" ", " ".join(tags.get(tag, ()))).strip()

    paper = Paper(file=file, line=line, record_id=record_id, title=joined("TI") or None,
                  year=year_of(joined("PY")) or year_of(joined("EA")), journal=joined("SO") or None,
                  doi=clean_doi(joined("DI")), wos_id=joined("UT") or None, pmid=joined("PM") or None)
    for address in tags.get("C1", []):
        text = address_of(address)
        if text:
            paper.affiliations.append(Affiliation(text, "C1"))
    for org in split_outside_brackets(joined("C3")):
        paper.affiliations.append(Affiliation(org, "C3"))
    paper.funders, paper.grants = funders_and_grants(joined("FU"))
    paper.key()  # raises InputError when the record has no identifier
    return paper


def _malformed(message: str, file: str, line: int, record_id: str | None) -> Malformed:
    return Malformed(Problem(message, file, line, record_id))


def parse_wos(path: Path, display: str | None = None) -> Iterator[Parsed]:
    """Records of a WoS plain-text export, in file order."""
    shown = display or str(path)
    tags: dict[str, list[str]] | None = None
    start, tag, count = 0, None, 0
    broken: Problem | None = None  # the first bad line inside the current record

    def finish() -> Parsed:
        assert tags is not None
        rid = " ".join(tags.get("UT", [])).strip() or f"record {count}"
        if broken is not None:
            return Malformed(Problem(broken.message, broken.file, broken.line, rid))
        return guarded(paper_from_tags, (tags, shown, start, rid), shown, start, rid)

    for number, raw in read_lines(path):
        if isinstance(raw, Undecodable):
            if tags is None or raw.startswith("PT "):
                yield _malformed(raw.problem, shown, number, None)
                tag = None
                continue
            broken = broken or Problem(raw.problem, shown, number)
        if not raw.strip():
            continue
        if raw.startswith("   "):
            if tags is None or tag is None:
                if tags is None:
                    yield _malformed("continuation line outside a record", shown, number, None)
                continue
            tags[tag].append(raw.strip())
            continue
        match = TAG_LINE.match(raw)
        if match is None:
            if tags is None:
                yield _malformed(f"not a WoS tag line: '{raw[:40]}'", shown, number, None)
            elif broken is None:
                broken = Problem(f"not a WoS tag line: '{raw[:40]}'", shown, number)
            tag = None
            continue
        tag, value = match.group(1), (match.group(2) or "").strip()
        if tag in ("FN", "VR", "EF") and tags is None:
            tag = None
            continue
        if tag == "PT":
            if tags is not None:
                rid = " ".join(tags.get("UT", [])).strip() or f"record {count}"
                yield _malformed("record has no ER line before the next PT", shown, start, rid)
            tags, start, broken = {}, number, None
            count += 1
        elif tags is None:
            yield _malformed(f"tag {tag} outside a record (no PT line before it)", shown, number, None)
            tag = None
            continue
        if tag == "ER":
            yield finish()
            tags, tag = None, None
            continue
        tags.setdefault(tag, []).append(value)
    if tags is not None:
        rid = " ".join(tags.get("UT", [])).strip() or f"record {count}"
        yield _malformed("file ends inside a record (no ER line)", shown, start, rid)


def parse_wos_tab(path: Path, display: str | None = None) -> Iterator[Parsed]:
    """Records of a WoS tab-delimited export (header row of field tags)."""
    shown = display or str(path)
    header: list[str] | None = None
    for number, raw in read_lines(path):
        if not raw.strip():
            continue
        cells = raw.split("\t")
        if header is None:
            header = [c.strip() for c in cells]
            if "UT" not in header and "DI" not in header:
                raise InputError("the header row has neither UT nor DI: not a WoS tab-delimited export",
                                 file=shown, line=number)
            continue
        row = dict(zip(header, cells, strict=False))
        rid = (row.get("UT") or "").strip() or f"row {number}"
        if isinstance(raw, Undecodable):
            yield _malformed(raw.problem, shown, number, rid)
            continue
        width = len([c for c in header if c]) if header[-1:] == [""] else len(header)
        if len(cells) > len(header) + 1 or len(cells) < width:
            what = " (a truncated row?)" if len(cells) < width else ""
            yield _malformed(f"{len(cells)} columns, the header has {len(header)}{what}", shown, number, rid)
            continue
        yield guarded(_tab_paper, (row, shown, number, rid), shown, number, rid)


def _tab_paper(row: dict[str, str], shown: str, number: int, rid: str) -> Paper:
    tags = {k: [v.strip()] for k, v in row.items() if k and v and v.strip()}
    if "C1" in tags:
        tags["C1"] = split_outside_brackets(tags["C1"][0])
    return paper_from_tags(tags, shown, number, rid)
