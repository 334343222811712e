"""Canned queries that grlc (https://github.com/CLARIAH/grlc) can serve unchanged.

grlc makes an HTTP API of a folder of ``.rq`` files.  It finds parameters by their
variable names, not by pmkg's ``#+ params:`` block, and pastes each value into the
query text (``?__segment`` -> ``"AI drug development"``); an optional parameter
that is not given stays an unbound variable.  So every parameter variable is
spelled the way grlc reads it, from the parameter's pmkg name and type:

- ``?_name`` required, ``?__name`` optional; ``name`` is the parameter's name in
  camelCase (``listed-in`` -> ``listedIn``: grlc cuts a name at ``-`` or ``_``);
- a suffix for the term grlc writes: ``_iri`` (entities, enums of IRIs) ``<v>``,
  ``_integer`` (integers, years) ``"v"^^xsd:integer``, ``_xsd_boolean``
  ``"v"^^xsd:boolean``; none for strings and dates ``"v"``.

pmkg binds the same variables in a VALUES block (``pmkg.query.render``), so a
query must mean the same whether a parameter variable is a constant (grlc), a
VALUES binding (pmkg) or unbound (grlc, parameter not given): an unset test is
``STR(COALESCE(?__x, "")) = ""`` (never ``BOUND(?__x)``, which is a syntax error
once grlc puts a value there), a default is applied in the query
(``COALESCE(?__limit_integer, 10)``), and a parameter variable is never bound by
the query (``AS ?__x``).  The ``#+ defaults:`` and ``#+ enumerate:`` decorators
give grlc's API page the defaults and allowed values of ``params``.
"""

from __future__ import annotations

import re
from typing import Any

from pmkg.errors import QueryError

ID = "https://w3id.org/pmkg/id/"
XSD_PREFIX = "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>"
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
TOKEN_RE = re.compile(r"[?$]_\w*")
# grlc 1.3.11's own matcher (grlc/gquery.py get_parameters), to check that grlc reads each variable as meant.
GRLC_VARIABLE = re.compile(r"\?(?P<required>[_]{1,2})(?P<name>[a-zA-Z0-9]+)"
                           r"([_](?P<type>(iri)|(number)|(literal)|(integer)))?"
                           r"([_](?P<prefix>[a-zA-Z0-9]+)[_](?P<userdefined>[a-zA-Z0-9]+))?"
                           r"([_](?P<lang>[a-zA-Z0-9]+))?")
PREFIX_RE = re.compile(r"^\s*PREFIX\s+(\w*):\s*<([^>]*)>", re.IGNORECASE | re.MULTILINE)
BOUND_RE = re.compile(r"\bBOUND\s*\(\s*[?$]_", re.IGNORECASE)
BINDS_RE = re.compile(r"\bAS\s+[?$]_", re.IGNORECASE)


def grlc_name(name: str) -> str:
    """The API name grlc gives a parameter: ``include-suborgs`` -> ``includeSuborgs``."""
    first, *rest = name.split("-")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def suffix(kind: str, values: Any) -> str:
    if kind == "entity" or (kind == "enum" and isinstance(values, dict)):
        return "_iri"
    if kind in ("integer", "year"):
        return "_integer"
    if kind == "boolean":
        return "_xsd_boolean"
    return ""


def variable(name: str, kind: str, values: Any, required: bool) -> str:
    """The SPARQL variable (without ``?``) of a parameter, as grlc reads it."""
    return ("_" if required else "__") + grlc_name(name) + suffix(kind, values)


def prefixes(text: str) -> dict[str, str]:
    return {p: ns for p, ns in PREFIX_RE.findall(text)}


def _expand(curie: str, known: dict[str, str]) -> str:
    prefix, _, local = curie.partition(":")
    return known[prefix] + local if prefix in known and not curie.startswith("http") else curie


def decorator_value(param: Any, value: Any, known: dict[str, str]) -> str:
    """A pmkg value as grlc's client gives it: an enum's IRI, ``true``/``false``, or the text."""
    if param.type == "enum" and isinstance(param.values, dict):
        return _expand(str(param.values[value]), known)
    if param.type == "boolean":
        return "true" if str(value).lower() in ("true", "yes", "1") else "false"
    return str(value)


def enumeration(param: Any, known: dict[str, str]) -> list[str] | None:
    """The values grlc's API page offers, or None (entities; prefix values like ``imported:``)."""
    if param.type == "boolean":
        return ["true", "false"]
    if not param.values or any(str(v).endswith(":") for v in param.values):
        return None
    return [decorator_value(param, v, known) for v in param.values] if param.type == "enum" \
        else [str(v) for v in param.values]


def _mapping(query: str, key: str, raw: Any) -> dict[str, Any]:
    """grlc's decorator form: a list of one-key mappings, ``- name: value``."""
    if raw is None:
        return {}
    if not isinstance(raw, list) or not all(isinstance(d, dict) and len(d) == 1 for d in raw):
        raise QueryError(f"{query}.rq: '{key}' must be a list of one-key mappings (grlc's form: '- name: value')")
    return {k: v for d in raw for k, v in d.items()}


def check_decorators(query: str, params: tuple, meta: dict, text: str) -> None:
    """``#+ defaults:`` and ``#+ enumerate:`` say what ``params`` says, in grlc's names and values."""
    known = prefixes(text)
    defaults, enums = _mapping(query, "defaults", meta.get("defaults")), _mapping(query, "enumerate",
                                                                                 meta.get("enumerate"))
    names = {grlc_name(p.name): p for p in params}
    if stray := (set(defaults) | set(enums)) - set(names):
        raise QueryError(f"{query}.rq: defaults/enumerate name(s) {', '.join(sorted(stray))}, "
                         "which are not grlc names of its params")
    for gname, p in names.items():
        _check_default(query, p, gname, defaults.get(gname), known)
        want = enumeration(p, known)
        got = [str(v).lower() if isinstance(v, bool) else str(v) for v in enums[gname]] if gname in enums else None
        if got != want:
            raise QueryError(f"{query}.rq: enumerate for {gname} must be {want} (from params), not {got}")


def _check_default(query: str, p: Any, gname: str, got: Any, known: dict[str, str]) -> None:
    if p.default is None:
        if got is not None:
            raise QueryError(f"{query}.rq: defaults gives {gname} a value, params gives {p.name} none")
        return
    got_text = str(got).lower() if isinstance(got, bool) else None if got is None else str(got)
    if p.type == "entity":
        if not (got_text or "").startswith(ID) or not got_text.endswith("/" + str(p.default)):
            raise QueryError(f"{query}.rq: defaults must give {gname} the IRI of {p.default!r} (as params does)")
    elif got_text != decorator_value(p, p.default, known):
        raise QueryError(f"{query}.rq: defaults must give {gname} {decorator_value(p, p.default, known)!r} "
                         f"(params' default), not {got_text!r}")


def check_variables(query: str, params: tuple, text: str) -> None:
    """Every ``?_…`` variable of the query is a parameter's, spelled as grlc reads it, and usable by grlc."""
    wanted = {p.variable: p for p in params}
    used = set(TOKEN_RE.findall(text))
    for token in sorted(used):
        if token[1:] not in wanted:
            expected = ", ".join("?" + v for v in wanted) or "none (no params)"
            raise QueryError(f"{query}.rq: variable {token} is not a parameter's grlc variable "
                             f"(its parameters': {expected})")
        match = GRLC_VARIABLE.match("?" + token[1:])
        if token.startswith("$") or match is None or match.group(0) != "?" + token[1:]:
            raise QueryError(f"{query}.rq: grlc would not read {token} as one parameter")
    for var, p in wanted.items():
        if clash := [other for other in wanted if other != var and other.startswith(var)]:
            raise QueryError(f"{query}.rq: grlc replaces ?{var} as text, which would also hit ?{clash[0]}")
        if "?" + var not in used:
            raise QueryError(f"{query}.rq: parameter {p.name} is declared but its variable ?{var} is not used")
    if BOUND_RE.search(text):
        raise QueryError(f"{query}.rq: BOUND(?_…) is a syntax error once grlc pastes a value there; "
                         "test an unset parameter with STR(COALESCE(?__x, \"\")) = \"\"")
    if BINDS_RE.search(text):
        raise QueryError(f"{query}.rq: a parameter variable is bound by the query ('AS ?_…'); "
                         "grlc would paste a value there")
    if any(v.endswith(("_integer", "_xsd_boolean")) for v in wanted) and XSD_PREFIX not in text:
        raise QueryError(f"{query}.rq: typed parameters need the line '{XSD_PREFIX}' "
                         "(grlc adds it to every SELECT, subqueries too, if missing)")
