"""``pmkg search TEXT [--kind KIND]``: find entities by label, alias, description or quoted text."""

from __future__ import annotations

from pathlib import Path

import typer

from pmkg.cli.common import RootOption, console, err_console, reports_errors
from pmkg.errors import QueryError


def register(app: typer.Typer) -> None:
    @app.command("search")
    @reports_errors
    def search_cmd(
        text: str = typer.Argument(..., help="What you remember of the name, alias, description or a quote."),
        kind: list[str] = typer.Option([], "--kind", "-k", help="Only this kind (actor, policy, person, event, "
                                       "place, topic, programme, …); repeat for several."),
        limit: int = typer.Option(10, "--limit", "-n", help="At most this many results."),
        fmt: str = typer.Option("table", "--format", "-f", help="table or csv."),
        root: Path = RootOption,
    ) -> None:
        """Search entities (typo-tolerant), best match first: id, kind, label and why it matched."""
        from rich.table import Table

        from pmkg.cli.query_cmds import backend_for
        from pmkg.search import KINDS, search
        bad = [k for k in kind if k not in KINDS]
        if bad:
            raise QueryError(f"--kind {bad[0]!r} is not a kind", hint="kinds: " + ", ".join(KINDS))
        if fmt not in ("table", "csv"):
            raise QueryError(f"unknown format '{fmt}'", hint="one of: table, csv")
        hits = search(backend_for(root, None), text, tuple(kind), limit)
        if fmt == "csv":
            import csv
            import sys
            writer = csv.writer(sys.stdout, lineterminator="\n")
            writer.writerow(["id", "kind", "label", "score", "field", "matched"])
            for h in hits:
                writer.writerow([h.id, h.kind, h.label, f"{h.score:g}", h.field, h.matched])
            return
        table = Table(title=f"Search: {text}", show_lines=False)
        table.add_column("id", no_wrap=True)
        for col in ("kind", "label", "why it matched"):
            table.add_column(col, overflow="fold")
        for h in hits:
            table.add_row(h.id, h.kind, h.label, h.why)
        console.print(table)
        err_console.print(f"{len(hits)} match(es)" + ("" if hits else f" for {text!r}; try fewer words"))
