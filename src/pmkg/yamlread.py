"""A strict, fast YAML reader: libyaml's C parser, YAML 1.2 core types, line numbers.

PyYAML's pure-Python composer took ~8 s for ``kg/``; here libyaml's C parser
produces the events and this module builds Python values from them directly
(no node tree is kept), with a parallel tree of line numbers for error
messages.  Unlike PyYAML's SafeLoader (YAML 1.1) nothing is coerced:

* plain scalars resolve by the YAML 1.2 core schema, narrowed: ``null``/``~``,
  ``true``/``false``, base-10 integers without leading zeros, decimal floats;
  everything else - ``017``, ``0o17``, ``1:30``, ``.nan``, ``.inf``, ``yes``,
  ``on``, ``2019-02-30`` - stays a string, for the schema to accept or refuse;
* duplicate keys are errors naming both lines (never "the last one wins");
* explicit tags other than ``!!str`` are refused, aliases are limited,
  nesting depth is limited, NUL and other control characters are refused with
  their line, and only UTF-8 is read.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml._yaml import CParser

from pmkg.errors import Problem

MAX_ALIASES = 20
MAX_DEPTH = 32

NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
INT = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$")
FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|(?:0|[1-9][0-9]*)(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
# What libyaml refuses, plus C1 controls, which no curated text needs.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]")
BREAK = re.compile("\r\n|\r|\n|\x85|\u2028|\u2029")
COLLECTION_START = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
STR_TAGS = {"tag:yaml.org,2002:str", "!"}

# Line trees: a scalar's line (int), a mapping (line, {key: (key line, subtree)}),
# a sequence (line, [subtree, ...]).
Lines = Any


class YamlProblem(Exception):
    """The file cannot be read as YAML at all; ``line`` where it went wrong."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message, self.line = message, line


@dataclass
class Document:
    """The top-level mapping as an ordered list of blocks (duplicates kept, reported)."""

    blocks: list[tuple[str, int, Any, Lines]]  # key, key line, value, value lines
    problems: list[Problem] = field(default_factory=list)
    is_mapping: bool = True


def line_at(text: str, pos: int) -> int:
    return len(BREAK.findall(text, 0, pos)) + 1


def decode(data: bytes) -> str:
    """UTF-8 text (an optional BOM dropped); UTF-16/32, NUL and control characters refused."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise YamlProblem("the file is UTF-32; save it as UTF-8", 1)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise YamlProblem("the file is UTF-16; save it as UTF-8", 1)
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise YamlProblem("NUL byte in the file (UTF-16 without a byte-order mark?); save it as UTF-8", line)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise YamlProblem(f"not valid UTF-8 ({exc.reason} at byte {exc.start})", line) from exc
    bad = CONTROL.search(text)
    if bad:
        raise YamlProblem(f"control character U+{ord(bad.group()):04X} is not allowed; delete it",
                          line_at(text, bad.start()))
    return text


def resolve_plain(value: str) -> Any:
    """A plain scalar by the (narrowed) YAML 1.2 core schema."""
    if NULL.match(value):
        return None
    if value in BOOL:
        return BOOL[value]
    if INT.match(value):
        return int(value)
    if FLOAT.match(value):
        return float(value)  # '1e999' is inf here; the schema refuses non-finite numbers
    return value


class _Builder:
    """Build values and line trees from libyaml events, iteratively (no recursion)."""

    def __init__(self, text: str, shown: str) -> None:
        self.parser = CParser(text)
        self.shown = shown
        self.anchors: dict[str, tuple[Any, Lines]] = {}
        self.aliases = 0
        self.problems: list[Problem] = []

    def _scalar(self, event: Any) -> Any:
        line = event.start_mark.line + 1
        if event.tag is not None and event.tag not in STR_TAGS:
            raise YamlProblem(f"the YAML tag {event.tag}: custom YAML tags are not allowed; "
                              "quote the value instead", line)
        if event.implicit[0] and event.style in ("", None) and event.tag is None:
            return resolve_plain(event.value)
        bad = CONTROL.search(event.value)  # written as an escape ("\u001e") in a double-quoted string
        if bad:
            raise YamlProblem(f"control character U+{ord(bad.group()):04X} (an escape in a quoted string) "
                              "is not allowed; delete it", line)
        return event.value

    def _alias(self, event: Any) -> tuple[Any, Lines]:
        line = event.start_mark.line + 1
        self.aliases += 1
        if self.aliases > MAX_ALIASES:
            raise YamlProblem(f"more than {MAX_ALIASES} YAML aliases; aliases are refused to prevent "
                              "alias bombs - write the values out", line)
        if event.anchor not in self.anchors:
            raise YamlProblem(f"alias *{event.anchor} refers to no anchor defined before it", line)
        return self.anchors[event.anchor]

    def _check_collection(self, event: Any, depth: int) -> None:
        line = event.start_mark.line + 1
        if depth >= MAX_DEPTH:
            raise YamlProblem(f"nesting deeper than {MAX_DEPTH} levels; records are never that deep", line)
        if event.tag is not None and event.tag not in ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"):
            raise YamlProblem(f"the YAML tag {event.tag}: custom YAML tags are not allowed", line)

    def document(self) -> tuple[Any, Lines] | None:
        """The single document of the stream as (value, lines), or None when empty."""
        p = self.parser
        p.get_event()  # StreamStart
        if isinstance(p.peek_event(), yaml.StreamEndEvent):
            return None
        p.get_event()  # DocumentStart
        root = self._value()
        p.get_event()  # DocumentEnd
        extra = p.get_event()
        if not isinstance(extra, yaml.StreamEndEvent):
            raise YamlProblem("more than one YAML document ('---') in the file; one document per file",
                              extra.start_mark.line + 1)
        return root

    def _value(self) -> tuple[Any, Lines]:
        """Build one value; an explicit stack of open collections replaces recursion."""
        p = self.parser
        # stack entries: [container, lines, pending key, pending key line, anchor, top-level?]
        stack: list[list[Any]] = []
        while True:
            event = p.get_event()
            done: tuple[Any, Lines] | None = None
            if isinstance(event, yaml.ScalarEvent):
                done = (self._scalar(event), event.start_mark.line + 1)
                anchor = event.anchor
            elif isinstance(event, yaml.AliasEvent):
                done, anchor = self._alias(event), None
            elif isinstance(event, COLLECTION_START):
                self._check_collection(event, len(stack))
                mapping = isinstance(event, yaml.MappingStartEvent)
                line = event.start_mark.line + 1
                container: Any = {} if mapping else []
                lines = (line, {} if mapping else [])
                if mapping and not stack:
                    container = []  # the top level keeps duplicate blocks, to report them
                stack.append([container, lines, None, None, event.anchor, mapping and len(stack) == 0])
                continue
            else:  # MappingEnd / SequenceEnd
                container, lines, _k, _kl, anchor, _top = stack.pop()
                done = (container, lines)
            if anchor:
                self.anchors[anchor] = done
            if not stack:
                return done
            self._add(stack[-1], done, event)

    def _add(self, frame: list[Any], item: tuple[Any, Lines], event: Any) -> None:
        container, lines, key, key_line, _anchor, top = frame
        value, sub = item
        if isinstance(lines[1], list):
            container.append(value)
            lines[1].append(sub)
            return
        if key_line is None:  # this item is a key
            if not isinstance(sub, int) or isinstance(value, dict | list):
                raise YamlProblem("a key must be a plain string, not a list or mapping",
                                  event.start_mark.line + 1)
            frame[2], frame[3] = "" if value is None else str(value), sub
            return
        frame[2], frame[3] = None, None
        if key in lines[1]:
            first = lines[1][key][0]
            what = f"record kind '{key}' appears twice" if top else f"duplicate key '{key}'"
            self.problems.append(Problem(f"{what}, at lines {first} and {key_line}; the second would "
                                         "silently replace the first - merge them", self.shown, key_line))
            if not top:
                return
        else:
            lines[1][key] = (key_line, sub)
        if top:
            container.append((key, key_line, value, sub))
        else:
            container[key] = value


def read_yaml(text: str, shown: str) -> Document | None:
    """Parse ``text``; raise YamlProblem when it is not YAML; None for an empty file."""
    builder = _Builder(text, shown)
    try:
        root = builder.document()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        msg = " ".join(str(m) for m in (exc.context, exc.problem) if m)
        if exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
            msg += f" (the construct started at line {exc.context_mark.line + 1})"
        raise YamlProblem(f"malformed YAML: {msg}", mark.line + 1 if mark else None) from exc
    except yaml.YAMLError as exc:
        raise YamlProblem(f"malformed YAML: {str(exc).splitlines()[0]}") from exc
    if root is None or root[0] is None:
        return None
    value, lines = root
    if not isinstance(lines, tuple) or not isinstance(lines[1], dict):
        return Document([], builder.problems, is_mapping=False)
    return Document(value, builder.problems)


def child_lines(lines: Lines, key: str | int) -> tuple[int | None, Lines]:
    """(key line, subtree) of ``key`` in a line tree, or (None, None)."""
    if isinstance(lines, tuple) and isinstance(lines[1], dict) and isinstance(key, str) and key in lines[1]:
        return lines[1][key]
    if isinstance(lines, tuple) and isinstance(lines[1], list) and isinstance(key, int) \
            and 0 <= key < len(lines[1]):
        return None, lines[1][key]
    return None, None


def start_line(lines: Lines) -> int | None:
    if isinstance(lines, tuple):
        return lines[0]
    return lines if isinstance(lines, int) else None
