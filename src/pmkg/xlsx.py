"""Spreadsheets: one result as an .xlsx workbook (openpyxl).

Sheet ``result``: a bold header row, frozen below the header, an autofilter, numbers
as numbers (ints and floats stay typed, everything else is text), column widths
fitted to the content.  Sheet ``about``: what produced it (query, parameters,
build fingerprint …), one key and value per row, in the order given.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

MAX_WIDTH = 60
Cell = str | int | float | bool | None


def _width(values: Sequence[Cell]) -> int:
    longest = max((len(str(v)) for v in values if v is not None), default=4)
    return min(MAX_WIDTH, max(6, longest + 2))


def _plain(value: object) -> Cell:
    """A cell value openpyxl writes with its type: numbers and booleans as they are, the rest as text."""
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)


def _append(sheet: object, values: list[Cell]) -> None:
    """One row; text starting with '=' stays text (openpyxl would store it as a formula)."""
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"


def xlsx_bytes(columns: list[str], rows: list[list], meta: dict[str, str]) -> bytes:
    """The workbook as bytes: sheet ``result`` (header, rows) and sheet ``about`` (``meta`` as key/value rows)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "result"
    sheet.append([str(c) for c in columns])
    for row in rows:
        _append(sheet, [_plain(v) for v in row])
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
    sheet.freeze_panes = "A2"
    if columns:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"
    for index, name in enumerate(columns, start=1):
        values = [name, *(row[index - 1] for row in rows[:500] if index - 1 < len(row))]
        sheet.column_dimensions[get_column_letter(index)].width = _width(values)
    about = book.create_sheet("about")
    about.append(["key", "value"])
    for cell in about[1]:
        cell.font = bold
    for key, value in meta.items():
        _append(about, [str(key), _plain(value)])
    about.column_dimensions["A"].width = 18
    about.column_dimensions["B"].width = 100
    for (cell,) in about.iter_rows(min_row=2, min_col=2, max_col=2):
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
