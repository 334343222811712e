"""Plain aligned text tables for a pipe, a file or a program (``pmkg query`` when stdout is not a
terminal): no rich, whose import and rendering cost more than the query (~0.1 s and ~0.4 s for 43
policies).  Imports nothing beyond the standard library, so ``pmkg query --list`` stays light.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

# C0/C1 controls (ESC starts terminal sequences) and the bidirectional overrides, which reorder what follows
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escaped(match: re.Match[str]) -> str:
    ch = match.group()
    return _NAMED.get(ch) or (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")


def escape(text: str) -> str:
    """A cell on one line with nothing a terminal would act on: a newline shows as ``\\n``, ESC as ``\\x1b``."""
    return _UNSAFE.sub(_escaped, text)


def width(text: str) -> int:
    """Terminal columns of ``text``: East Asian wide characters take two, combining marks none."""
    if text.isascii():
        return len(text)
    return sum(0 if unicodedata.combining(ch) or unicodedata.category(ch) == "Cf"
               else 2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def plain_table(columns: Sequence[str], rows: Sequence[Sequence[str]], title: str | None = None) -> str:
    """Columns aligned with spaces, a dashed rule under the header, one line per row (cells escaped,
    never wrapped): for a pipe, a file or a program, where rich's box and folding only cost time."""
    head = [escape(c) for c in columns]
    body = [[escape(c) for c in row] for row in rows]
    widths = [max([width(c) for c in col]) for col in zip(head, *body, strict=True)]
    lines = [escape(title)] if title else []
    for cells in (head, ["-" * w for w in widths], *body):
        line = "  ".join(c + " " * (w - width(c)) for c, w in zip(cells, widths, strict=True))
        lines.append(line.rstrip())
    return "\n".join(lines) + "\n"
