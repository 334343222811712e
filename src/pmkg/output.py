"""Formatting query results: table (rich on a terminal, plain aligned text otherwise), CSV (optionally with
a BOM for Excel), JSON, Markdown, xlsx.

People read labels and short ids, not IRIs: a resource of the graph is shown as
``actor/bgi`` (its kind and id), a vocabulary term as ``pm:Cluster``.  ``iris=True``
keeps full IRIs.  JSON is for programs and always keeps full IRIs.
"""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING

from pmkg.ids import ID
from pmkg.plaintext import plain_table
from pmkg.query import PREFIXES, Result, Value

if TYPE_CHECKING:  # rich costs ~0.1 s to import and more to render: only a terminal gets it
    from rich.table import Table

FORMATS = ("table", "csv", "csv-excel", "json", "md", "xlsx")
BINARY_FORMATS = ("xlsx",)
BOM = "\ufeff"
SUFFIX_FORMATS = {".csv": "csv", ".json": "json", ".md": "md", ".xlsx": "xlsx", ".txt": "table"}


def short(value: Value | None) -> str:
    """A cell as people read it: ``actor/bgi`` for the graph's resources, ``pm:Cluster`` for terms."""
    if value is None:
        return ""
    if value.is_iri:
        if value.text.startswith(ID):
            return value.text[len(ID):]
        for prefix, namespace in PREFIXES.items():
            if value.text.startswith(namespace) and len(value.text) > len(namespace):
                return f"{prefix}:{value.text[len(namespace):]}"
    return value.text


def cell(value: Value | None, iris: bool = False) -> str:
    if value is None:
        return ""
    return value.text if iris else short(value)


def typed(value: Value | None, iris: bool = False) -> str | int | float | None:
    """A cell for a spreadsheet: numbers as numbers, the rest as text (short ids unless ``iris``)."""
    if value is None:
        return None
    number = value.number
    return number if number is not None else cell(value, iris)


def to_csv(result: Result, iris: bool = False, bom: bool = False) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow([cell(v, iris) for v in row])
    return (BOM if bom else "") + buf.getvalue()


def to_json(result: Result) -> str:
    def value(v: Value | None) -> object:
        if v is None:
            return None
        number = v.number
        return number if number is not None else v.text
    rows = [{c: value(v) for c, v in zip(result.columns, row, strict=True)} for row in result.rows]
    payload: dict[str, object] = {"columns": result.columns, "rows": rows}
    if result.notice:
        payload["notice"] = result.notice
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(result: Result, iris: bool = False) -> str:
    lines = ["| " + " | ".join(result.columns) + " |", "|" + "---|" * len(result.columns)]
    for row in result.rows:
        lines.append("| " + " | ".join(_md_cell(cell(v, iris)) for v in row) + " |")
    return "\n".join(lines) + "\n"


def to_table(result: Result, title: str | None = None, iris: bool = False) -> Table:
    """A rich table; every value is plain ``Text``, never markup, so a title like
    ``[in Chinese] …`` shows as written and a ``[/]`` in the data cannot crash the output."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(title) if title else None, show_lines=False)
    for col in result.columns:
        table.add_column(Text(col), overflow="fold")
    for row in result.rows:
        table.add_row(*[Text(cell(v, iris)) for v in row])
    return table


def to_plain(result: Result, title: str | None = None, iris: bool = False) -> str:
    """The result as :func:`plain_table` text (short ids unless ``iris``)."""
    return plain_table(result.columns, [[cell(v, iris) for v in row] for row in result.rows], title)


def to_xlsx(result: Result, meta: dict[str, str], iris: bool = False) -> bytes:
    """The result as a workbook (see pmkg.xlsx): typed numbers, short ids; ``meta`` on the second sheet."""
    from pmkg.xlsx import xlsx_bytes
    rows = [[typed(v, iris) for v in row] for row in result.rows]
    about = dict(meta)
    about.setdefault("rows", str(len(rows)))
    if result.notice:
        about.setdefault("notice", result.notice)
    return xlsx_bytes(list(result.columns), rows, about)


def format_for(fmt: str | None, out: str | None) -> str:
    """The format asked for, or the one the output file's suffix implies, else ``table``."""
    if fmt:
        return fmt
    if out:
        suffix = out[out.rfind("."):].lower() if "." in out else ""
        return SUFFIX_FORMATS.get(suffix, "table")
    return "table"
