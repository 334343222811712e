"""What format a bibliographic file looks like, from its first bytes, so that importing an OpenAlex
file as ``wos`` is an error naming the format it looks like rather than "0 records" and success."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

NAMES = {"wos": "Web of Science plain text", "wos-tab": "Web of Science tab-delimited",
         "openalex": "OpenAlex JSON (Lines)", "medline": "MEDLINE/PubMed text"}


def sniff(path: Path, size: int = 65536) -> str | None:
    """'wos', 'wos-tab', 'openalex', 'medline', or None when the start of the file says nothing."""
    try:
        with path.open("rb") as fh:
            head = fh.read(size)
    except OSError:
        return None
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = head.decode("utf-16", errors="ignore")
    else:
        text = head.decode("utf-8", errors="ignore").lstrip("\ufeff")
    body = text.lstrip()
    if body.startswith(("{", "[")):
        return "openalex"
    first = body.split("\n", 1)[0]
    if "\t" in first and re.match(r"^(?:PT|AU|TI|UT)\t", first):
        return "wos-tab"
    if re.search(r"(?m)^PMID- ", text):
        return "medline"
    if re.search(r"(?m)^(?:FN |PT |ER\s*$)", text) and re.search(r"(?m)^(?:TI|AU|UT|C1|PY) ", text):
        return "wos"
    return None


def check_format(fmt: str, path: Path) -> str | None:
    """An error message when ``path`` clearly is another format than ``fmt``, else None."""
    seen = sniff(path)
    if seen is None or seen == fmt:
        return None
    return (f"this looks like a {NAMES[seen]} file, not {NAMES.get(fmt, fmt)}; "
            f"import it with `pmkg import {seen} {path.name}`")
