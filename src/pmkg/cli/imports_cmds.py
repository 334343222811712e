"""``pmkg imports`` (list the imports) and ``pmkg imports remove ID`` (drop one from imports/ and the store)."""

from __future__ import annotations

from pathlib import Path

import typer

from pmkg.cli.common import RootOption, console, project_paths

imports_app = typer.Typer(help="List the imported bibliographic files, or remove one.", invoke_without_command=True)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


@imports_app.callback()
def imports_cmd(ctx: typer.Context, fmt: str = typer.Option("table", "--format", help="table | csv"),
                root: Path = RootOption) -> None:
    """The imports: id, format, files, records, date, share of affiliation and funder strings resolved."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Table

    from pmkg.importers.catalog import list_imports

    infos = list_imports(project_paths(root).imports)
    header = ["id", "format", "files", "records", "date", "affiliations_resolved", "funders_resolved"]
    rows = [[i.id, i.format, " ".join(i.files), str(i.records), i.date, _pct(i.share("affiliation")),
             _pct(i.share("funder"))] for i in infos]
    if fmt == "csv":
        import csv
        import sys

        out = csv.writer(sys.stdout, lineterminator="\n")
        out.writerow(header)
        out.writerows(rows)
        return
    if fmt != "table":
        raise typer.BadParameter(f"'{fmt}' is not one of: table, csv", param_hint="--format")
    if not rows:
        console.print("no imports (use `pmkg import FORMAT FILE`)")
        return
    table = Table(*header)
    for row in rows:
        table.add_row(*row)
    console.print(table)


@imports_app.command("remove")
def remove_cmd(source_id: str = typer.Argument(..., metavar="ID", help="The import's id (see `pmkg imports`)."),
               root: Path = RootOption) -> None:
    """Remove an import: its named graph from dist/store, imports/<ID>.nq and .json, and the registry
    organisations only it used."""
    from pmkg.importers.catalog import remove_import

    paths = project_paths(root)
    quads, minted = remove_import(paths.dist, paths.imports, source_id)
    console.print(f"removed import {source_id}: {quads} quads of its graph, {minted} registry quads only it used",
                  markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    # errors propagate to pmkg.cli.main (not @reports_errors): a sub-app's typer.Exit loses its code there
    app.add_typer(imports_app, name="imports")
