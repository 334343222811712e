"""Parse the tab-separated tables of the seed documents (tests only)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import SEEDS

FILES = {"au-2023": "000_2ec526a8e95a0ce5.txt", "causio-2023": "001_20771e14e4427ed5.txt",
         "ic2permed-brochure": "002_172222005d9e1271.txt", "icdk-2019": "003_48bc5fec101dcc20.txt",
         "ncuscr-2024": "004_311a6a3ebb3ffb23.txt"}


def seed_text(doc: str) -> str:
    return (SEEDS / FILES[doc]).read_text(encoding="utf-8")


def tab_blocks(doc: str) -> list[list[list[str]]]:
    """Runs of consecutive tab-separated lines (a table, or one page of it), header first."""
    blocks: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in seed_text(doc).splitlines():
        if "\t" in line:
            current.append([c.strip() for c in line.split("\t")])
        elif current and line.strip():
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def causio_tables() -> tuple[list[list[str]], list[list[str]]]:
    """causio-2023 Table 1 (both pages, 63 rows) and Table 2 (15 rows), headers dropped."""
    blocks = [b for b in tab_blocks("causio-2023") if b[0][0] == "Institution"]
    table1 = [row for b in blocks if b[0][1] == "Country" for row in b[1:]]
    table2 = [row for b in blocks if b[0][1] == "Region" for row in b[1:]]
    return table1, table2


__all__ = ["Path", "causio_tables", "seed_text", "tab_blocks"]
