"""Stage 1: read ``kg/*.yaml`` into checked records with a source map.

Only YAML's safe subset is accepted (no custom tags), anchors and aliases are
limited (an "alias bomb" is refused before it expands), and files larger than
``MAX_FILE_BYTES`` are refused.  Every record is validated against its model
in :mod:`pmkg.schema`; every problem in every file is reported at once, each
with file, line and record id.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from pmkg.errors import InputError, Problem
from pmkg.schema import RECORD_KINDS

MAX_FILE_BYTES = 5_000_000
MAX_ALIASES = 20

# Which record kinds a reference field may point to; None = any entity.
REFERENCE_FIELDS: dict[str, tuple[str, ...] | None] = {
    "located_in": ("places",), "jurisdiction": ("places",), "city": ("places",),
    "focus": ("topics",), "topics": ("topics",), "broader": ("topics",),
    "collaboration_kind": ("concepts",), "doc": ("documents",), "person": ("people",),
    "parent": None, "founded_by": None, "owned_by": None, "funded_by": None,
    "member_of": None, "partner_of": None, "supported_by": None, "org": None,
    "owner": None, "part_of": None, "coordinator": None, "participants": None,
    "issued_by": None, "conveners": None, "organisers": None, "follow_up_of": None,
    "responsible": None, "subject": None, "supervised_by": None, "listed_jointly_with": None, "refers_to": None,
    "author_of": ("documents",), "also_of": None, "about": None, "registry_doc": ("documents",),
}


@dataclass
class Record:
    """One validated record and where it was written."""

    kind: str
    model: BaseModel
    file: str
    line: int
    field_lines: dict[str, int] = field(default_factory=dict)

    @property
    def id(self) -> str | None:
        return getattr(self.model, "id", None) or getattr(self.model, "about", None)


@dataclass
class KG:
    records: list[Record]
    kinds_by_id: dict[str, str]

    def of_kind(self, kind: str) -> Iterator[Record]:
        return (r for r in self.records if r.kind == kind)

    def by_id(self) -> dict[str, Record]:
        return {r.model.id: r for r in self.records if hasattr(r.model, "id")}


class _LimitedLoader(yaml.SafeLoader):
    """SafeLoader that refuses more than MAX_ALIASES alias references."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.alias_count = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.alias_count += 1
            if self.alias_count > MAX_ALIASES:
                event = self.peek_event()
                raise yaml.YAMLError(
                    f"more than {MAX_ALIASES} YAML aliases (line {event.start_mark.line + 1}); "
                    "aliases are refused to prevent alias bombs - write the values out")
        return super().compose_node(parent, index)


def _display(path: Path, base: Path | None = None) -> str:
    """The path as users think of it: relative to the project root (or the cwd)."""
    for anchor in (base, Path.cwd()):
        if anchor is None:
            continue
        try:
            return str(path.resolve().relative_to(anchor.resolve()))
        except ValueError:
            continue
    return str(path)


def _parse(path: Path, shown: str) -> tuple[Any, yaml.Node | None]:
    """Return (python data, node tree) of a YAML file, refusing unsafe input."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(f"file is {size} bytes, more than the {MAX_FILE_BYTES} allowed",
                         file=shown, hint="split it into several files")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not valid UTF-8 ({exc.reason} at byte {exc.start})", file=shown) from exc
    loader = _LimitedLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        msg = " ".join(str(m) for m in (exc.context, exc.problem) if m)
        if exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
            msg += f" (the construct started at line {exc.context_mark.line + 1})"
        if "could not determine a constructor" in msg:
            msg += " - custom YAML tags are not allowed"
        raise InputError(f"malformed YAML: {msg}", file=shown, line=line) from exc
    except yaml.YAMLError as exc:
        raise InputError(f"malformed YAML: {exc}", file=shown) from exc
    finally:
        loader.dispose()
    return data, node


def _child(node: yaml.Node | None, key: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key:
                return v
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        return node.value[key]
    return None


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """Line of the deepest node along ``loc`` (a pydantic error location)."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        child = _child(node, key)
        if child is None:
            if isinstance(node, yaml.MappingNode):  # point at the key if the value is missing
                for k, _ in node.value:
                    if k.value == key:
                        return k.start_mark.line + 1
            break
        node = child
        line = node.start_mark.line + 1
    return line


def _record_problems(err: ValidationError, node: yaml.Node, shown: str, rid: str | None) -> list[Problem]:
    problems = []
    for e in err.errors():
        loc = tuple(e["loc"])
        where = ".".join(str(x) for x in loc) or "record"
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "unknown field; see kg/README.md for the fields of this record kind"
        elif e["type"] == "missing":
            msg = "required field is missing"
        problems.append(Problem(f"'{where}': {msg}", shown, _line_of(node, loc), rid))
    return problems


def load_file(path: Path, base: Path | None = None) -> tuple[list[Record], list[Problem]]:
    """Validate one YAML file; return its records and the problems found."""
    shown = _display(path, base)
    try:
        data, root = _parse(path, shown)
    except InputError as exc:
        return [], exc.problems
    if data is None:
        return [], []
    if not isinstance(data, dict):
        return [], [Problem("top level must be a mapping of record kinds to lists", shown, 1)]
    records: list[Record] = []
    problems: list[Problem] = []
    for kind, items in data.items():
        kind_node = _child(root, kind)
        line = kind_node.start_mark.line + 1 if kind_node else None
        model = RECORD_KINDS.get(kind)
        if model is None:
            problems.append(Problem(f"unknown record kind '{kind}'", shown, line,
                                    hint="one of: " + ", ".join(RECORD_KINDS)))
            continue
        if not isinstance(items, list):
            problems.append(Problem(f"'{kind}' must be a list of records", shown, line))
            continue
        for index, item in enumerate(items):
            node = _child(kind_node, index)
            rline = node.start_mark.line + 1 if node is not None else line
            rid = (item.get("id") or item.get("about")) if isinstance(item, dict) else None
            if not isinstance(item, dict):
                problems.append(Problem("a record must be a mapping", shown, rline))
                continue
            try:
                obj = model.model_validate(item)
            except ValidationError as err:
                problems += _record_problems(err, node, shown, rid)
                continue
            field_lines = {}
            if isinstance(node, yaml.MappingNode):
                field_lines = {k.value: k.start_mark.line + 1 for k, _ in node.value}
            records.append(Record(kind, obj, shown, rline or 0, field_lines))
    return records, problems


def _references(model: BaseModel, prefix: str = "") -> Iterator[tuple[str, str, str]]:
    """Yield (field path, field name, referenced id) for every reference in a record."""
    for name, value in model:
        path = f"{prefix}{name}"
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            if isinstance(item, BaseModel):
                sub = f"{path}[{i}]." if isinstance(value, list) else f"{path}."
                yield from _references(item, sub)
            elif name in REFERENCE_FIELDS and isinstance(item, str):
                yield path, name, item


def check_references(records: list[Record]) -> tuple[dict[str, str], list[Problem]]:
    """Ids unique across files; every reference resolves to a record of a fitting kind."""
    problems: list[Problem] = []
    kinds_by_id: dict[str, str] = {}
    first: dict[str, Record] = {}
    for rec in records:
        rid = getattr(rec.model, "id", None)
        if rid is None:
            continue
        if rid in first:
            other = first[rid]
            problems.append(Problem(f"duplicate id, already defined at {other.file}:{other.line}",
                                    rec.file, rec.line, rid,
                                    hint="ids are unique across all files; use a 'facts' record "
                                         "with 'about' to add to an existing entity"))
            continue
        first[rid] = rec
        kinds_by_id[rid] = rec.kind
    for rec in records:
        for path, name, target in _references(rec.model):
            top = path.split(".")[0].split("[")[0]
            line = rec.field_lines.get(top, rec.line)
            if target not in kinds_by_id:
                problems.append(Problem(f"'{path}' refers to '{target}', which is not defined in any file",
                                        rec.file, line, rec.id,
                                        hint="define it, or correct the id"))
                continue
            allowed = REFERENCE_FIELDS[name]
            if allowed and kinds_by_id[target] not in allowed:
                problems.append(Problem(
                    f"'{path}' must refer to one of {', '.join(allowed)}, "
                    f"but '{target}' is in {kinds_by_id[target]}", rec.file, line, rec.id))
            elif allowed is None and kinds_by_id[target] in ("documents", "observations", "conflicts"):
                problems.append(Problem(f"'{path}' cannot refer to a {kinds_by_id[target][:-1]}",
                                        rec.file, line, rec.id))
    return kinds_by_id, problems


def load_kg(root: Path) -> KG:
    """Load every ``*.yaml`` under ``root`` (sorted, recursive); raise with all problems."""
    if not root.is_dir():
        raise InputError(f"no curated data folder at {root}", hint="run from the project root or pass --kg")
    files = sorted(p for p in root.rglob("*.yaml") if p.is_file())
    if not files:
        raise InputError(f"no YAML files under {root}")
    records: list[Record] = []
    problems: list[Problem] = []
    for path in files:
        recs, probs = load_file(path, root.parent)
        records += recs
        problems += probs
    kinds_by_id, ref_problems = check_references(records)
    problems += ref_problems
    if problems:
        raise InputError(f"{len(problems)} problem(s) in the curated YAML", problems=problems)
    return KG(records, kinds_by_id)


def main(argv: list[str]) -> int:
    """``python -m pmkg.load [kg/]``: check the curated YAML and print every problem."""
    root = Path(argv[0]) if argv else Path("kg")
    try:
        kg = load_kg(root)
    except InputError as exc:
        for line in exc.lines():
            print(line, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s)", file=sys.stderr)
        return 2
    counts: dict[str, int] = {}
    for rec in kg.records:
        counts[rec.kind] = counts.get(rec.kind, 0) + 1
    print("ok: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
