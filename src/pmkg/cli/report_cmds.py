"""``pmkg report NAME --out FILE``: HTML or Markdown reports built from canned-query results."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from pmkg.cli.common import RootOption, StoreOption, console, project_paths, reports_errors
from pmkg.cli.query_cmds import EndpointOption, backend_for, parse_params
from pmkg.errors import InputError, PmkgError

if TYPE_CHECKING:  # pmkg.report (jinja2; networkx for the network diagram) is imported by the command (a fast start)
    from rich.table import Table


def list_reports() -> Table:
    from rich.table import Table

    from pmkg.report_plans import PLANS

    table = Table(title="Reports (pmkg report NAME --out FILE.html|FILE.md|FILE.pdf)")
    table.add_column("name", no_wrap=True)
    table.add_column("summary")
    table.add_column("parameters")
    for name, plan in PLANS.items():
        table.add_row(name, plan.summary, plan.example or "")
    return table


def store_policy(option: str | None) -> str:
    from pmkg.memory import policy_from

    return policy_from(option, default="disk")  # memory reorders GROUP_CONCAT parts (pmkg.memory)


def register(app: typer.Typer) -> None:
    @app.command("report")
    @reports_errors
    def report_cmd(
        name: str = typer.Argument(None, help="landscape, actor, partners or funders (see --list)."),
        out: Path = typer.Option(None, "--out", "-o", help="Output file: .html, .md or .pdf."),
        param: list[str] = typer.Option([], "--param", "-p", help="NAME=VALUE, e.g. entity=bgi or cluster=…"),
        endpoint: str = EndpointOption,
        list_: bool = typer.Option(False, "--list", help="List the reports."),
        store: str = StoreOption,
        root: Path = RootOption,
    ) -> None:
        """Render a report from canned-query results as HTML or Markdown."""
        if list_ or not name:
            console.print(list_reports())
            return
        if out is None:
            raise InputError("pmkg report needs --out FILE.html, FILE.md or FILE.pdf")
        from pmkg.report import build_report, output_format, print_pdf, render
        from pmkg.store import read_manifest

        fmt = output_format(out)
        backend = backend_for(root, endpoint, store_policy(store))
        paths = project_paths(root)
        manifest = None if endpoint else read_manifest(paths.dist)
        from pmkg.catalogue import load_catalogue
        catalogue = load_catalogue(paths.root / "queries")
        report = build_report(name, parse_params(param), catalogue, backend, manifest,
                              source=endpoint or str(paths.dist))
        if fmt == "pdf":
            print_pdf(render(report, "html"), out)
        else:
            try:
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_text(render(report, fmt), encoding="utf-8")
            except OSError as exc:
                raise PmkgError(f"cannot write {out}: {exc}") from exc
        for note in report.skipped:
            typer.echo(f"note: {note}", err=True)
        shown = sum(1 for s in report.sections if s.tables)
        console.print(f"written: {out} ({len(report.sections)} sections, {shown} with data, "
                      f"{len(report.tables)} query results)", markup=False)
