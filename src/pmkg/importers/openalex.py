"""OpenAlex works as JSON lines (one Work object per line).

Affiliations: each authorship's ``institutions`` (display name, ROR id,
country code) and its ``raw_affiliation_strings``; funders: ``funders[]``
display names (with their ROR ids, which resolve only through a curated
``pm:rorId``) and ``awards`` / ``grants`` numbers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pmkg.errors import Problem
from pmkg.importers.model import (
    Affiliation,
    BadRecord,
    Malformed,
    Paper,
    Parsed,
    Undecodable,
    clean_doi,
    guarded,
    read_lines,
    year_of,
)


def count_openalex(data: bytes) -> int:
    return sum(1 for line in data.splitlines() if line.strip())


class WrongType(BadRecord):
    """A field of a work holds a JSON value of the wrong type."""


def _text(value: Any, name: str) -> str | None:
    if value is None or isinstance(value, str):
        return value or None
    if isinstance(value, int | float) and not isinstance(value, bool) and name.endswith(("year", "id")):
        return str(value)
    raise WrongType(f"'{name}' is a JSON {type(value).__name__}, not a string")


def _obj(value: Any, name: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise WrongType(f"'{name}' is a JSON {type(value).__name__}, not an object")
    return value


def _list(value: Any, name: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise WrongType(f"'{name}' is a JSON {type(value).__name__}, not a list")
    return value


def _short(url: Any, name: str = "id") -> str | None:
    text = _text(url, name)
    return text.rsplit("/", 1)[-1] if text else None


def paper_from_work(work: dict, file: str, line: int) -> Paper:
    oid = _short(work.get("id"))
    ids = _obj(work.get("ids"), "ids")
    source = _obj(_obj(work.get("primary_location"), "primary_location").get("source"), "primary_location.source")
    paper = Paper(file=file, line=line, record_id=oid or f"line {line}",
                  title=_text(work.get("title"), "title") or _text(work.get("display_name"), "display_name"),
                  year=year_of(_text(work.get("publication_year"), "publication_year")),
                  journal=_text(source.get("display_name"), "source.display_name"),
                  doi=clean_doi(_text(work.get("doi"), "doi") or _text(ids.get("doi"), "ids.doi")),
                  pmid=_short(ids.get("pmid"), "ids.pmid"), openalex_id=oid)
    for authorship in _list(work.get("authorships"), "authorships"):
        authorship = _obj(authorship, "authorships[]")
        for inst in _list(authorship.get("institutions"), "institutions"):
            inst = _obj(inst, "institutions[]")
            name = _text(inst.get("display_name"), "institutions[].display_name")
            if name:
                paper.affiliations.append(Affiliation(name, "institution", _short(inst.get("ror"), "ror"),
                                                      _text(inst.get("country_code"), "country_code")))
        for raw in _list(authorship.get("raw_affiliation_strings"), "raw_affiliation_strings"):
            raw = _text(raw, "raw_affiliation_strings[]")
            if raw and raw.strip():
                paper.affiliations.append(Affiliation(raw.strip(), "raw"))
    for funder in _list(work.get("funders"), "funders"):
        name = _text(_obj(funder, "funders[]").get("display_name"), "funders[].display_name")
        if name:
            paper.funders.append(name)
    for award in _list(work.get("awards"), "awards") + _list(work.get("grants"), "grants"):
        if isinstance(award, dict):
            number = award.get("funder_award_id") or award.get("award_id")
            if isinstance(number, str | int) and not isinstance(number, bool) and str(number).strip():
                paper.grants.append(str(number).strip())
    paper.key()
    return paper


def _work(raw: str, file: str, number: int) -> Paper:
    try:
        work = json.loads(raw)
    except RecursionError:
        raise WrongType("JSON nested too deeply") from None
    except ValueError as exc:
        raise WrongType(f"not an OpenAlex work: {str(exc)[:80]}") from None
    if not isinstance(work, dict):
        raise WrongType("not an OpenAlex work: not a JSON object")
    return paper_from_work(work, file, number)


def _rid_of(raw: str) -> str | None:
    """The work id of a line that may not parse, for the error message."""
    match = re.search(r'"id"\s*:\s*"([^"]{1,200})"', raw[:2000])
    return match.group(1).rsplit("/", 1)[-1] or None if match else None


def parse_openalex(path: Path, display: str | None = None) -> Iterator[Parsed]:
    shown = display or str(path)
    for number, raw in read_lines(path):
        if not raw.strip():
            continue
        rid = _rid_of(raw)
        if isinstance(raw, Undecodable):
            yield Malformed(Problem(raw.problem, shown, number, rid))
            continue
        yield guarded(_work, (raw, shown, number), shown, number, rid)
