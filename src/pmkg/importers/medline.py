"""PubMed MEDLINE text (``PMID- …``): a tag of up to four characters padded to
four, "- ", the value; continuation lines start with six spaces; records are
separated by blank lines.

Affiliations: ``AD`` (one per author and affiliation); funders: ``GR`` lines
("R01 CA123/CA/NCI NIH HHS/United States": the agency is the third part);
identifiers: ``PMID``, ``AID``/``LID`` "… [doi]".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from pmkg.errors import Problem
from pmkg.importers.model import (
    Affiliation,
    Malformed,
    Paper,
    Parsed,
    Undecodable,
    clean_doi,
    ends_with_line_break,
    guarded,
    read_lines,
    year_of,
)

TAG = re.compile(r"^([A-Z][A-Z0-9]{0,3}) *- (.*)$")
EMAIL = re.compile(r"\s*(?:Electronic address:\s*)?\S+@\S+", re.IGNORECASE)


def count_medline(data: bytes) -> int:
    return len(re.findall(rb"(?m)^PMID- ", data))


def paper_from_medline(tags: dict[str, list[str]], file: str, line: int) -> Paper:
    pmid = (tags.get("PMID") or [""])[0].strip()
    doi = next((v.rsplit(" ", 1)[0] for v in tags.get("AID", []) + tags.get("LID", []) if v.endswith("[doi]")),
               None)
    paper = Paper(file=file, line=line, record_id=f"PMID {pmid}" if pmid else f"record at line {line}",
                  title=" ".join(tags.get("TI", [])) or None, year=year_of(" ".join(tags.get("DP", []))),
                  journal=(tags.get("JT") or tags.get("TA") or [None])[0], doi=clean_doi(doi), pmid=pmid or None)
    for ad in tags.get("AD", []):
        text = EMAIL.sub("", ad).strip(" .;")
        if text:
            paper.affiliations.append(Affiliation(text, "raw"))
    for gr in tags.get("GR", []):
        # NIH style "R01 CA1/CA/NCI NIH HHS/United States" (agency third); else "number/Agency/Country"
        parts = [p.strip() for p in gr.split("/")]
        agency = parts[2] if len(parts) >= 4 else parts[1] if len(parts) >= 2 else parts[0]
        if len(parts) >= 2 and parts[0]:
            paper.grants.append(parts[0])
        if agency:
            paper.funders.append(agency)
    paper.key()
    return paper


def parse_medline(path: Path, display: str | None = None) -> Iterator[Parsed]:
    shown = display or str(path)
    tags: dict[str, list[str]] = {}
    start, tag = 0, None
    broken: Problem | None = None  # the first bad line inside the current record

    def finish() -> Parsed:
        pmid = (tags.get("PMID") or [""])[0].strip()
        if broken is not None:
            return Malformed(Problem(broken.message, shown, broken.line, f"PMID {pmid}" if pmid else None))
        return guarded(paper_from_medline, (tags, shown, start), shown, start, f"PMID {pmid}" if pmid else None)

    for number, raw in read_lines(path):
        if isinstance(raw, Undecodable) and raw.strip():
            broken = broken or Problem(raw.problem, shown, number)
            start = start or number
            tags.setdefault("", [])
        if not raw.strip():
            if tags:
                yield finish()
            tags, tag, broken, start = {}, None, None, 0
            continue
        if raw.startswith("      ") and tag:
            tags[tag][-1] += " " + raw.strip()
            continue
        match = TAG.match(raw)
        if match is None:
            broken = broken or Problem(f"not a MEDLINE tag line: '{raw[:40]}'", shown, number)
            tags.setdefault("", [])  # the record is open even if it starts with the bad line
            if not start:
                start = number
            tag = None
            continue
        if not tags:
            start = number
        tag = match.group(1)
        tags.setdefault(tag, []).append(match.group(2).strip())
    if tags and not ends_with_line_break(path):
        broken = broken or Problem("the file ends in the middle of a line: the last record looks truncated",
                                   shown, start)
    if tags:
        yield finish()
