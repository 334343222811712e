"""Stage 1: read ``kg/*.yaml`` into checked records with a source map.

Only YAML's safe subset is accepted (no custom tags), anchors and aliases are
limited (an "alias bomb" is refused before it expands), and files larger than
``MAX_FILE_BYTES`` are refused.  Every record is validated against its model
in :mod:`pmkg.schema`; every problem in every file is reported at once, each
with file, line and record id.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from pmkg.errors import InputError, Problem
from pmkg.schema import RECORD_KINDS
from pmkg.yamlread import Document, Lines, YamlProblem, child_lines, decode, read_yaml, start_line

MAX_FILE_BYTES = 5_000_000

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


def _parse(path: Path, shown: str) -> Document | None:
    """The top-level blocks of a YAML file, refusing unsafe or unreadable input."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(f"file is {size} bytes, more than the {MAX_FILE_BYTES} allowed",
                             file=shown, hint="split it into several files")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", file=shown) from exc
    try:
        return read_yaml(decode(data), shown)
    except YamlProblem as exc:
        raise InputError(exc.message, file=shown, line=exc.line) from None


def _line_of(lines: Lines, loc: tuple[Any, ...]) -> int | None:
    """Line of the deepest value along ``loc`` (a pydantic error location)."""
    line = start_line(lines)
    for key in loc:
        key_line, sub = child_lines(lines, key)
        if sub is None:
            break
        lines = sub
        line = start_line(sub) if key_line is None or isinstance(sub, tuple) else key_line
    return line


def _message(e: dict) -> str:
    if e["type"] == "extra_forbidden":
        return "unknown field; see kg/README.md for the fields of this record kind"
    if e["type"] == "missing":
        return "required field is missing"
    msg = e["msg"].removeprefix("Value error, ")
    value = e.get("input")
    if isinstance(value, str | int | float | bool) and e["type"] not in ("value_error", "assertion_error"):
        msg += f" (got {value!r})"
    return msg


def _record_problems(err: ValidationError, lines: Lines, shown: str, rid: str | None) -> list[Problem]:
    problems = []
    for e in err.errors():
        loc = tuple(e["loc"])
        where = ".".join(str(x) for x in loc) or "record"
        problems.append(Problem(f"'{where}': {_message(e)}", shown, _line_of(lines, loc), rid))
    return problems


def _record_id(item: dict) -> str | None:
    rid = item.get("id") or item.get("about")
    return rid if isinstance(rid, str) else None


def _load_block(kind: str, line: int, items: Any, lines: Lines, shown: str,
                records: list[Record], problems: list[Problem]) -> None:
    model = RECORD_KINDS.get(kind)
    if model is None:
        problems.append(Problem(f"unknown record kind '{kind}'", shown, line,
                                hint="one of: " + ", ".join(RECORD_KINDS)))
        return
    if not isinstance(items, list):
        problems.append(Problem(f"'{kind}' must be a list of records", shown, line))
        return
    for index, item in enumerate(items):
        _, sub = child_lines(lines, index)
        rline = start_line(sub) or line
        if not isinstance(item, dict):
            problems.append(Problem("a record must be a mapping", shown, rline))
            continue
        rid = _record_id(item)
        try:
            obj = model.model_validate(item)
        except ValidationError as err:
            problems += _record_problems(err, sub, shown, rid)
            continue
        field_lines = {k: v[0] for k, v in sub[1].items()} if isinstance(sub, tuple) else {}
        records.append(Record(kind, obj, shown, rline, field_lines))


def load_file(path: Path, base: Path | None = None) -> tuple[list[Record], list[Problem]]:
    """Validate one YAML file; return its records and the problems found."""
    shown = _display(path, base)
    try:
        doc = _parse(path, shown)
    except InputError as exc:
        return [], exc.problems
    if doc is None:
        return [], []
    if not doc.is_mapping:
        return [], [Problem("top level must be a mapping of record kinds to lists", shown, 1)]
    records: list[Record] = []
    problems: list[Problem] = list(doc.problems)
    for kind, line, items, lines in doc.blocks:
        _load_block(kind, line, items, lines, shown, records, problems)
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
        raise InputError(f"no curated data folder at {root}", hint="run from the project root or pass --root")
    files = sorted(p for p in root.rglob("*.yaml") if p.is_file())
    if not files:
        raise InputError(f"no YAML files under {root}")
    records: list[Record] = []
    problems: list[Problem] = []
    gc.disable()  # building many small objects: the cyclic collector would rescan them again and again
    try:
        for path in files:
            recs, probs = load_file(path, root.parent)
            records += recs
            problems += probs
    finally:
        gc.enable()
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
