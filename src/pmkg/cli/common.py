"""Shared CLI plumbing: error reporting, exit codes, project paths, consoles.

Start-up is kept light (see tests/test_cli_process.py): nothing here imports rich,
rdflib or pyoxigraph until a command needs them.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import typer

from pmkg.errors import PmkgError

if TYPE_CHECKING:
    from rich.console import Console

    from pmkg.pipeline import Paths

P = ParamSpec("P")
R = TypeVar("R")

EXIT_OK, EXIT_DATA, EXIT_INPUT = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a process stopped by Ctrl-C
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports `yes | head -1`


class _LazyConsole:
    """A rich Console made on first use (importing rich costs ~0.1 s that `--help` need not pay)."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def get(self) -> Console:
        if self._console is None:
            from rich.console import Console
            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.get(), name)

    def __enter__(self) -> Console:  # dunder methods bypass __getattr__ (rich's Live uses `with console:`)
        return self.get().__enter__()

    def __exit__(self, *exc: object) -> None:
        self.get().__exit__(*exc)


err_console: Console = _LazyConsole(stderr=True, highlight=False)  # type: ignore[assignment]
console: Console = _LazyConsole(highlight=False)  # type: ignore[assignment]

RootOption = typer.Option(Path("."), "--root", help="Project root holding kg/, ontology/, queries/ and dist/.",
                          file_okay=False)
StoreOption = typer.Option(None, "--store", help="Query the built store in memory, on disk, or auto (memory up to "
                                                 "$PMKG_MEMORY_MAX_QUADS quads, default 2,000,000); default: "
                                                 "$PMKG_STORE, else auto (serve) or disk (site, report).")


def print_error(exc: PmkgError, tail: str = "") -> None:
    """One line per problem on stderr, then the count when there are several."""
    for line in exc.lines():
        typer.echo(f"error: {line}", err=True)
    if len(exc.problems) > 1:
        typer.echo(f"{len(exc.problems)} problem(s){tail}", err=True)


def silence_stdout() -> None:
    """After EPIPE: point stdout at /dev/null so that the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def reports_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a PmkgError into one line per problem on stderr and its exit code; Ctrl-C and a closed
    output pipe into their shell codes, without a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except PmkgError as exc:
            print_error(exc)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            typer.echo("interrupted (nothing half-written: dist/ is replaced only by a finished build)", err=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except BrokenPipeError:
            silence_stdout()
            raise typer.Exit(EXIT_BROKEN_PIPE) from None

    return wrapper


def project_paths(root: Path) -> Paths:
    from pmkg.pipeline import Paths
    return Paths(root=root.resolve())
