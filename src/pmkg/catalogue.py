"""The canned-query catalogue: ``queries/*.rq`` with grlc-style ``#+`` headers.

The header is the YAML formed by the leading ``#+ `` lines, so every file stays
valid SPARQL.  Keys: ``summary`` (required), ``description``, ``tags``,
``params`` (list of {name, type, default, example, description, values, kind,
required, multiple}), ``columns`` (required), ``requires`` (a data condition, e.g.
``papers``), and grlc's ``defaults`` and ``enumerate``, which must agree with
``params``.  Each parameter binds the variable grlc reads for it (``listed-in``
-> ``?__listedIn_iri``, see :mod:`pmkg.grlc`).  A malformed header is an error,
not a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pmkg import grlc
from pmkg.errors import QueryError

# libyaml's C loader: the pure-Python one spent ~0.2 s on the 28 headers at every `pmkg query`
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

PARAM_TYPES = ("string", "integer", "boolean", "year", "date", "enum", "entity")
ENTITY_KINDS = ("actor", "organisation", "place", "topic", "person", "programme", "policy", "event", "item",
                "document", "collaboration", "concept", "any")


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    description: str = ""
    default: Any = None
    example: Any = None
    values: dict[str, str] | list[str] | None = None
    kinds: tuple[str, ...] = ("any",)
    required: bool = False
    multiple: bool = False  # takes several values (rows matching any of them); the query must be union-safe

    @property
    def variable(self) -> str:
        """The SPARQL variable (without ``?``) the parameter binds, as grlc reads it (see :mod:`pmkg.grlc`):
        ``include-suborgs`` (boolean, optional) -> ``__includeSuborgs_xsd_boolean``."""
        return grlc.variable(self.name, self.type, self.values, self.required and self.default is None)

    @property
    def grlc_name(self) -> str:
        """The parameter's name in grlc's API: ``listed-in`` -> ``listedIn``."""
        return grlc.grlc_name(self.name)


@dataclass(frozen=True)
class QuerySpec:
    name: str
    path: Path
    summary: str
    description: str
    columns: tuple[str, ...]
    text: str
    params: tuple[Param, ...] = ()
    tags: tuple[str, ...] = ()
    requires: str | None = None
    extra: dict = field(default_factory=dict)

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self.params) or "none"
        raise QueryError(f"query '{self.name}' has no parameter '{name}'", hint=f"its parameters: {known}")


def _header(text: str) -> str:
    lines = []
    for line in text.splitlines():
        if line.startswith("#+"):
            lines.append(line[3:] if line.startswith("#+ ") else line[2:])
        elif line.strip() and not line.startswith("#"):
            break
    return "\n".join(lines)


def _param(query: str, raw: Any, index: int) -> Param:
    where = f"{query}.rq: params[{index}]"
    if not isinstance(raw, dict) or "name" not in raw or "type" not in raw:
        raise QueryError(f"{where} must be a mapping with at least 'name' and 'type'")
    unknown = set(raw) - {"name", "type", "description", "default", "example", "values", "kind", "required",
                          "multiple"}
    if unknown:
        raise QueryError(f"{where} has unknown key(s): {', '.join(sorted(unknown))}")
    if not grlc.NAME_RE.match(str(raw["name"])):
        raise QueryError(f"{where} name {raw['name']!r} must be lower-case words joined by '-' (e.g. listed-in)")
    if raw["type"] not in PARAM_TYPES:
        raise QueryError(f"{where} type '{raw['type']}' is not one of {', '.join(PARAM_TYPES)}")
    if raw["type"] == "enum" and not raw.get("values"):
        raise QueryError(f"{where} is an enum without 'values'")
    kinds = raw.get("kind", "any")
    kinds = tuple(kinds) if isinstance(kinds, list) else (kinds,)
    if bad := [k for k in kinds if k not in ENTITY_KINDS]:
        raise QueryError(f"{where} kind {bad} is not one of {', '.join(ENTITY_KINDS)}")
    return Param(str(raw["name"]), raw["type"], str(raw.get("description", "")), raw.get("default"),
                 raw.get("example"), raw.get("values"), kinds, bool(raw.get("required", False)),
                 bool(raw.get("multiple", False)))


def parse_query_file(path: Path) -> QuerySpec:
    text = path.read_text(encoding="utf-8")
    try:
        meta = yaml.load(_header(text), Loader=_LOADER) or {}  # a safe loader
    except yaml.YAMLError as exc:
        raise QueryError(f"{path}: malformed '#+' header: {exc}") from exc
    if not isinstance(meta, dict):
        raise QueryError(f"{path}: the '#+' header must be a YAML mapping")
    for key in ("summary", "columns"):
        if not meta.get(key):
            raise QueryError(f"{path}: the '#+' header has no '{key}'")
    known = {"summary", "description", "tags", "params", "columns", "requires", "endpoint_in_test",
             "defaults", "enumerate"}
    if unknown := set(meta) - known:
        raise QueryError(f"{path}: unknown header key(s): {', '.join(sorted(unknown))}")
    params = tuple(_param(path.stem, p, i) for i, p in enumerate(meta.get("params") or []))
    grlc.check_variables(path.stem, params, text)
    grlc.check_decorators(path.stem, params, meta, text)
    return QuerySpec(path.stem, path, str(meta["summary"]), str(meta.get("description", "")).strip(),
                     tuple(meta["columns"]), text, params, tuple(meta.get("tags") or ()), meta.get("requires"))


def example_cases(spec: QuerySpec) -> list[tuple[str, dict[str, str]]]:
    """The query with its defaults (unless a parameter is required) and with each parameter at its example.

    Each case is (label, parameters); a required parameter without default takes its example in every case.
    """
    required = {p.name: str(p.example) for p in spec.params if p.required and p.default is None}
    out = [("", {})] if not required else [(" ".join(f"{k}={v}" for k, v in required.items()), required)]
    for p in spec.params:
        if p.example is not None and p.name not in required:
            out.append((f"{p.name}={p.example}", {**required, p.name: str(p.example)}))
    return out


def query_files(folder: Path) -> dict[str, Path]:
    """The catalogue's files by query name."""
    if not folder.is_dir():
        raise QueryError(f"no query folder at {folder}")
    return {p.stem: p for p in sorted(folder.glob("*.rq"))}


def load_catalogue(folder: Path) -> dict[str, QuerySpec]:
    return {name: parse_query_file(path) for name, path in query_files(folder).items()}


def load_query(folder: Path, name: str) -> QuerySpec | None:
    """One query of the catalogue (None if there is none of that name), without parsing the others."""
    path = query_files(folder).get(name)
    return parse_query_file(path) if path else None
