"""What every importer produces: one ``Paper`` per bibliographic record.

Parsers yield ``Paper`` objects or ``Malformed`` markers (a record that cannot
be read, located by file, line and record id), never print and never stop at
the first bad record: the caller decides to skip or abort (``--strict``).
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pmkg.errors import InputError, Problem

YEAR = re.compile(r"\b(1[5-9]\d\d|2\d\d\d)\b")
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


class BadRecord(ValueError):
    """A record a parser cannot read; the message is shown as it is."""


def guarded(build: Callable[..., Paper], args: tuple, file: str, line: int, record_id: str | None) -> Parsed:
    """``build(*args)``, or a Malformed naming file, line and record when the record cannot be read.

    Parsers build each record through this, so that no value of any shape (a dict where a
    string belongs, nesting too deep for the JSON decoder …) escapes as a crash and one
    bad record never aborts the file.
    """
    try:
        return build(*args)
    except InputError as exc:
        return Malformed(Problem(exc.problems[0].message, file, line, record_id))
    except BadRecord as exc:
        return Malformed(Problem(str(exc), file, line, record_id))
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError) as exc:
        detail = str(exc).splitlines()[0][:80] if str(exc) else ""
        return Malformed(Problem(f"cannot read this record ({type(exc).__name__}: {detail})", file, line,
                                 record_id))


def ends_with_line_break(path: Path) -> bool:
    """Whether the file's last line is complete (a cut-off export ends mid-line)."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - 2))
            tail = fh.read()
    except OSError:
        return True
    return size == 0 or b"\n" in tail or b"\r" in tail


def year_of(raw: str | None) -> str | None:
    match = YEAR.search(raw or "")
    return match.group(1) if match else None


class Undecodable(str):
    """A line that is not valid UTF-8, decoded with U+FFFD; ``problem`` says where.

    Parsers mark the record holding it as malformed (the import goes on without
    ``--strict``) instead of importing replacement characters as if they were text.
    """

    problem: str


def _undecodable(raw: bytes, exc: UnicodeDecodeError) -> Undecodable:
    line = Undecodable(raw.decode("utf-8", errors="replace").rstrip("\r\n"))
    line.problem = f"not UTF-8 text ({exc.reason} at column {exc.start + 1}); export the records as UTF-8"
    return line


def _split_cr(raw: bytes) -> list[bytes]:
    """Old-Mac files end lines with CR alone: split them like LF lines (CRLF stays one line)."""
    body = raw.rstrip(b"\r\n")
    return body.split(b"\r") if b"\r" in body else [body]


def read_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Numbered lines of a text file, UTF-8 with or without BOM, or UTF-16 with BOM.

    Lines end with LF, CRLF or CR alone.  UTF-8 is decoded line by line; an
    undecodable line is yielded as :class:`Undecodable`, with its line number.
    """
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", file=str(path)) from exc
    with fh:
        head = fh.read(4)
        fh.seek(0)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = fh.read().decode("utf-16", errors="replace")
            for number, line in enumerate(text.splitlines(), start=1):
                if "\ufffd" in line:
                    bad = Undecodable(line)
                    bad.problem = "not UTF-16 text (an undecodable character); export the records as UTF-8"
                    yield number, bad
                else:
                    yield number, line
            return
        number = 0
        for raw in fh:
            if number == 0 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]
            if b"\r" not in raw:  # the common case: an LF line
                number += 1
                try:
                    yield number, raw.rstrip(b"\n").decode("utf-8")
                except UnicodeDecodeError as exc:
                    yield number, _undecodable(raw.rstrip(b"\n"), exc)
                continue
            for piece in _split_cr(raw):
                number += 1
                try:
                    yield number, piece.decode("utf-8")
                except UnicodeDecodeError as exc:
                    yield number, _undecodable(piece, exc)
