"""``pmkg schema`` (JSON Schema of the curated YAML) and ``pmkg diff`` (release notes of two builds)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from pmkg.cli.common import console, reports_errors
from pmkg.errors import InputError


def register(app: typer.Typer) -> None:
    @app.command("schema")
    @reports_errors
    def schema_cmd(out: Path = typer.Option(None, "--out", "-o", help="Write here (e.g. kg/schema.json); "
                                                                        "default: standard output.")) -> None:
        """JSON Schema of the kg/*.yaml record format, generated from the pydantic models.

        Editors validate and complete as you type with a first line
        `# yaml-language-server: $schema=schema.json` in each kg/ file (kg/README.md).
        """
        from pmkg.record_schema import render_schema
        text = render_schema()
        if out is None:
            typer.echo(text, nl=False)
            return
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out}")

    @app.command("diff")
    @reports_errors
    def diff_cmd(old: Path = typer.Argument(..., help="dist/ of the previous release"),
                 new: Path = typer.Argument(..., help="dist/ of this release"),
                 fmt: str = typer.Option("md", "--format", "-f", help="md or json"),
                 title: str = typer.Option("Release notes", "--title")) -> None:
        """What a release added, removed and changed, per entity: facts and their sources."""
        from pmkg import diff
        if fmt not in ("md", "json"):
            raise InputError(f"--format {fmt!r}: use md or json")
        for folder in (old, new):
            if not folder.is_dir():
                raise InputError(f"no dist folder at {folder}", hint="pass two dist/ folders written by `pmkg build`")
        changes = diff.diff_dists(old, new)
        if fmt == "json":
            typer.echo(json.dumps(diff.to_json(changes), ensure_ascii=False, indent=2))
        else:
            typer.echo(diff.to_markdown(changes, title), nl=False)
