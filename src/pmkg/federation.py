"""Whether a SPARQL text asks for federation (``SERVICE``), which the site and ``pmkg serve`` refuse by default.

Oxigraph runs ``SERVICE`` by sending HTTP requests from the process, so a public,
read-only endpoint would otherwise fetch any URL a caller names.  The check is
lexical and errs on the side of refusing: codepoint escapes (``\\u0053ERVICE``)
are decoded first, as SPARQL does before parsing; then IRIs, strings and comments
are blanked out and the keyword is looked for outside prefixed names and variables.
"""

from __future__ import annotations

import re

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_IRI = r'<[^<>"{}|^`\\\s]*>'
_LONG_STRINGS = r"'''.*?'''" + "|" + r'""".*?"""'
_SHORT_STRINGS = r"'(?:[^'\\\n]|\\.)*'" + "|" + r'"(?:[^"\\\n]|\\.)*"'
_COMMENT = r"#[^\n]*"
_HIDDEN = re.compile("|".join((_IRI, _LONG_STRINGS, _SHORT_STRINGS, _COMMENT)), re.S)
_SERVICE = re.compile(r"(?<![\w?$:-])SERVICE(?![\w:-])", re.IGNORECASE)


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


def uses_service(text: str) -> bool:
    """True when the query contains a SERVICE clause (or something that might be one)."""
    visible = _HIDDEN.sub(" ", _unescape(text))
    return bool(_SERVICE.search(visible))
