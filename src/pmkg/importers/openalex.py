"""OpenAlex works as JSON lines (one Work object per line).

Affiliations: each authorship's ``institutions`` (display name, ROR id,
country code) and its ``raw_affiliation_strings``; funders: ``funders[]``
display names (with their ROR ids, which resolve only through a curated
``pm:rorId``) and ``awards`` / ``grants`` numbers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pmkg.errors import PmkgError, Problem
from pmkg.importers.model import Affiliation, Malformed, Paper, Parsed, clean_doi, read_lines, year_of


def count_openalex(data: bytes) -> int:
    return sum(1 for line in data.splitlines() if line.strip())


def _short(url: Any) -> str | None:
    return str(url).rsplit("/", 1)[-1] if url else None


def paper_from_work(work: dict, file: str, line: int) -> Paper:
    oid = _short(work.get("id"))
    ids = work.get("ids") or {}
    source = ((work.get("primary_location") or {}).get("source") or {})
    paper = Paper(file=file, line=line, record_id=oid or f"line {line}",
                  title=work.get("title") or work.get("display_name"),
                  year=year_of(str(work.get("publication_year") or "")), journal=source.get("display_name"),
                  doi=clean_doi(work.get("doi") or ids.get("doi")), pmid=_short(ids.get("pmid")),
                  openalex_id=oid)
    for authorship in work.get("authorships") or []:
        for inst in authorship.get("institutions") or []:
            if inst.get("display_name"):
                paper.affiliations.append(Affiliation(inst["display_name"], "institution", _short(inst.get("ror")),
                                                      inst.get("country_code")))
        for raw in authorship.get("raw_affiliation_strings") or []:
            if raw and raw.strip():
                paper.affiliations.append(Affiliation(raw.strip(), "raw"))
    for funder in work.get("funders") or []:
        if funder.get("display_name"):
            paper.funders.append(funder["display_name"])
    for award in (work.get("awards") or []) + (work.get("grants") or []):
        number = award.get("funder_award_id") or award.get("award_id") if isinstance(award, dict) else None
        if number:
            paper.grants.append(str(number))
    paper.key()
    return paper


def parse_openalex(path: Path, display: str | None = None) -> Iterator[Parsed]:
    shown = display or str(path)
    for number, raw in read_lines(path):
        if not raw.strip():
            continue
        try:
            work = json.loads(raw)
            if not isinstance(work, dict):
                raise ValueError("not a JSON object")
            yield paper_from_work(work, shown, number)
        except ValueError as exc:
            rid = None
            if raw.lstrip().startswith("{") and '"id"' in raw:
                rid = raw.split('"id"', 1)[1].split('"')[1].rsplit("/", 1)[-1] or None
            yield Malformed(Problem(f"not an OpenAlex work: {str(exc)[:80]}", shown, number, rid))
        except PmkgError as exc:  # no identifier
            yield Malformed(Problem(exc.problems[0].message, shown, number, None))
        except (AttributeError, TypeError, KeyError) as exc:  # a field of the wrong JSON type
            yield Malformed(Problem(f"a field has the wrong type: {exc}", shown, number, None))
