"""What every importer produces: one ``Paper`` per bibliographic record.

Parsers yield ``Paper`` objects or ``Malformed`` markers (a record that cannot
be read, located by file, line and record id), never print and never stop at
the first bad record: the caller decides to skip or abort (``--strict``).
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pmkg.errors import InputError, Problem

DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)


@dataclass(frozen=True)
class Affiliation:
    """One affiliation string of a paper.

    ``field`` says where it came from (``C1`` address, ``C3`` organisation,
    ``raw`` OpenAlex/MEDLINE string, ``institution`` OpenAlex institution);
    ``ror`` is the ROR id of an OpenAlex institution; ``country`` the country
    as the record gives it (ISO code or name), if it does.
    """

    text: str
    field: str
    ror: str | None = None
    country: str | None = None


@dataclass
class Paper:
    """One bibliographic record, format-independent."""

    file: str
    line: int
    record_id: str
    title: str | None = None
    year: str | None = None
    journal: str | None = None
    doi: str | None = None
    wos_id: str | None = None
    pmid: str | None = None
    openalex_id: str | None = None
    affiliations: list[Affiliation] = field(default_factory=list)
    funders: list[str] = field(default_factory=list)
    grants: list[str] = field(default_factory=list)

    def key(self) -> str:
        """The identity of the paper across formats and files: DOI, else UT, else PMID, else OpenAlex id."""
        for prefix, value in (("doi", self.doi), ("wos", self.wos_id), ("pmid", self.pmid),
                              ("openalex", self.openalex_id)):
            if value:
                return f"{prefix}:{value}"
        raise InputError("record has no DOI, UT, PMID or OpenAlex id", file=self.file, line=self.line,
                         record_id=self.record_id)

    def slug(self) -> str:
        return hashlib.sha1(self.key().encode("utf-8")).hexdigest()[:20]


@dataclass(frozen=True)
class Malformed:
    """A record that could not be read; ``problem`` names file, line and record id."""

    problem: Problem


Parsed = Paper | Malformed


def clean_doi(raw: str | None) -> str | None:
    if not raw:
        return None
    doi = DOI_PREFIX.sub("", raw.strip()).strip().lower()
    return doi or None


def year_of(raw: str | None) -> str | None:
    match = re.search(r"\b(1[5-9]\d\d|2\d\d\d)\b", raw or "")
    return match.group(1) if match else None


def read_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Numbered lines of a text file, UTF-8 with or without BOM, or UTF-16 with BOM.

    UTF-8 is decoded line by line, so an undecodable byte is reported with its line.
    """
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", file=str(path)) from exc
    with fh:
        head = fh.read(4)
        fh.seek(0)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            try:
                text = fh.read().decode("utf-16")
            except UnicodeDecodeError as exc:
                raise InputError(f"not UTF-16 text ({exc.reason})", file=str(path)) from exc
            for number, line in enumerate(text.splitlines(), start=1):
                yield number, line
            return
        for number, raw in enumerate(fh, start=1):
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(f"not UTF-8 text ({exc.reason} at column {exc.start + 1})", file=str(path),
                                 line=number, hint="export the records as UTF-8") from exc
            yield number, line.rstrip("\r\n")
