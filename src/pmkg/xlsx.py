"""Spreadsheets: one result as an .xlsx workbook (openpyxl); sheet ``result`` and sheet ``about`` (metadata).

(A minimal version for ``pmkg serve``; the report work may replace it with a richer one, same signature.)
"""

from __future__ import annotations

import io


def _cell(value: object) -> object:
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)


def xlsx_bytes(columns: list[str], rows: list[list], meta: dict[str, str]) -> bytes:
    """The workbook as bytes; text starting with '=' stays text, never a formula."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "result"
    for values in ([str(c) for c in columns], *([_cell(v) for v in row] for row in rows)):
        sheet.append(values)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    about = book.create_sheet("about")
    for key, value in meta.items():
        about.append([str(key), str(value)])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
