"""Shared CLI plumbing: error reporting, project paths, opening the built store."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

from pmkg.errors import PmkgError
from pmkg.pipeline import Paths

P = ParamSpec("P")
R = TypeVar("R")
err_console = Console(stderr=True, highlight=False)
console = Console(highlight=False)

RootOption = typer.Option(Path("."), "--root", help="Project root holding kg/, ontology/, queries/ and dist/.",
                          file_okay=False)


def reports_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a PmkgError into one line per problem on stderr and its exit code."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except PmkgError as exc:
            for line in exc.lines():
                typer.echo(f"error: {line}", err=True)
            if len(exc.problems) > 1:
                typer.echo(f"{len(exc.problems)} problem(s)", err=True)
            raise typer.Exit(exc.exit_code) from None

    return wrapper


def project_paths(root: Path) -> Paths:
    return Paths(root=root.resolve())
