"""Rewrite canned queries so that grlc serves them unchanged (idempotent; see pmkg.grlc).

    .venv/bin/python scripts/grlc_rewrite.py queries/*.rq      # needs a built dist/ (entity defaults)

For each parameter of a file's ``#+ params:`` block it
1. renames the old pmkg variable ``?_name_with_underscores`` (``?_listed_in``) to the
   variable grlc reads (``?__listedIn_iri``: ``?_`` required / ``?__`` optional, camelCase
   name, type suffix ``_iri`` / ``_integer`` / ``_xsd_boolean`` / none), in the whole file;
2. rewrites ``!BOUND(?v)`` to ``STR(COALESCE(?v, "")) = ""`` and ``BOUND(?v)`` to
   ``STR(COALESCE(?v, "")) != ""`` for the parameter variables (valid SPARQL once grlc
   pastes a value for ``?v``; the same answer when it is unbound or VALUES-bound);
3. adds ``PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>`` after the last PREFIX line when a
   parameter is typed (``_integer``, ``_xsd_boolean``) and the query lacks it (grlc would insert it
   before every ``SELECT``, subqueries too);
4. writes the ``#+ defaults:`` and ``#+ enumerate:`` decorators from ``params`` (just before
   ``#+ columns:``; an entity default becomes its IRI, resolved in dist/).
Defaults in the query text itself (``COALESCE(?__limit_integer, 10)``: grlc does not apply
``defaults``) and parameter variables bound by the query are left for hand edits; the
catalogue's checks (pmkg.grlc) say where.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

from pmkg import grlc
from pmkg.catalogue import Param, _header, _param

ROOT = Path(__file__).resolve().parents[1]
DECORATOR_RE = re.compile(r"^#\+ (defaults|enumerate):.*\n(?:#\+ {2,}.*\n)*", re.MULTILINE)


def params_of(path: Path, text: str) -> list[Param]:
    meta = yaml.safe_load(_header(text)) or {}
    return [_param(path.stem, raw, i) for i, raw in enumerate(meta.get("params") or [])]


def rename(text: str, p: Param) -> str:
    old = re.compile(r"[?$]_" + re.escape(p.name.replace("-", "_")) + r"(?!\w)")
    return old.sub("?" + p.variable, text)


def unbound_tests(text: str, p: Param) -> str:
    var = re.escape("?" + p.variable)
    text = re.sub(r"!\s*BOUND\s*\(\s*" + var + r"\s*\)", f'STR(COALESCE(?{p.variable}, "")) = ""', text,
                  flags=re.IGNORECASE)
    return re.sub(r"\bBOUND\s*\(\s*" + var + r"\s*\)", f'STR(COALESCE(?{p.variable}, "")) != ""', text,
                  flags=re.IGNORECASE)


def scalar(value: object) -> str:
    dumped = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000)
    return dumped.removesuffix("\n").removesuffix("\n...").strip()


def entity_iri(p: Param) -> str:
    from pmkg.query import EmbeddedBackend, resolve_entity
    from pmkg.store import open_store
    return resolve_entity(p, str(p.default), EmbeddedBackend(open_store(ROOT / "dist"))).value


def decorators(params: list[Param], text: str) -> str:
    known = grlc.prefixes(text)
    defaults, enums = [], []
    for p in params:
        if p.default is not None:
            value = entity_iri(p) if p.type == "entity" else grlc.decorator_value(p, p.default, known)
            value = int(value) if p.type in ("integer", "year") else value
            defaults.append(f"#+   - {p.grlc_name}: {scalar(value)}\n")
        if (values := grlc.enumeration(p, known)) is not None:
            enums.append(f"#+   - {p.grlc_name}: {scalar(values)}\n")
    return ("#+ defaults:\n" + "".join(defaults) if defaults else "") + \
           ("#+ enumerate:\n" + "".join(enums) if enums else "")


def with_xsd_prefix(text: str, params: list[Param]) -> str:
    if grlc.XSD_PREFIX in text or not any(p.variable.endswith(("_integer", "_xsd_boolean")) for p in params):
        return text
    last = list(re.finditer(r"^PREFIX .*\n", text, re.MULTILINE | re.IGNORECASE))[-1]
    return text[: last.end()] + grlc.XSD_PREFIX + "\n" + text[last.end():]


def rewrite(path: Path) -> bool:
    text = path.read_text(encoding="utf-8")
    params = params_of(path, text)
    new = DECORATOR_RE.sub("", text)
    for p in params:
        new = unbound_tests(rename(new, p), p)
    new = with_xsd_prefix(new, params)
    if block := decorators(params, new):
        new = new.replace("#+ columns:", block + "#+ columns:", 1)
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def main(paths: list[str]) -> int:
    for name in paths:
        if rewrite(Path(name)):
            print(f"rewritten: {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
