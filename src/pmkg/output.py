"""Formatting query results as table (rich), CSV, JSON or Markdown."""

from __future__ import annotations

import csv
import io
import json

from rich.table import Table
from rich.text import Text

from pmkg.namespaces import ID
from pmkg.query import Result, Value

FORMATS = ("table", "csv", "json", "md")


def short(value: Value | None) -> str:
    if value is None:
        return ""
    if value.is_iri and value.text.startswith(ID):
        return value.text[len(ID):]
    return value.text


def to_csv(result: Result) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow([v.text if v else "" for v in row])
    return buf.getvalue()


def to_json(result: Result) -> str:
    def cell(v: Value | None) -> object:
        if v is None:
            return None
        number = v.number
        return number if number is not None else v.text
    rows = [{c: cell(v) for c, v in zip(result.columns, row, strict=True)} for row in result.rows]
    payload: dict[str, object] = {"columns": result.columns, "rows": rows}
    if result.notice:
        payload["notice"] = result.notice
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(result: Result) -> str:
    lines = ["| " + " | ".join(result.columns) + " |", "|" + "---|" * len(result.columns)]
    for row in result.rows:
        lines.append("| " + " | ".join(_md_cell(short(v)) for v in row) + " |")
    return "\n".join(lines) + "\n"


def to_table(result: Result, title: str | None = None) -> Table:
    """A rich table; every value is plain ``Text``, never markup, so a title like
    ``[in Chinese] …`` shows as written and a ``[/]`` in the data cannot crash the output."""
    table = Table(title=Text(title) if title else None, show_lines=False)
    for col in result.columns:
        table.add_column(Text(col), overflow="fold")
    for row in result.rows:
        table.add_row(*[Text(short(v)) for v in row])
    return table
