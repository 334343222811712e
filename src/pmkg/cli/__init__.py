"""The ``pmkg`` command line.  Only this package talks to the terminal.

Exit codes (of the process, as a shell, a Makefile or CI sees them):
0 ok; 1 the data violates shapes or checks; 2 input or runtime error;
130 interrupted (Ctrl-C); 141 the output pipe was closed early (``pmkg … | head``).

Command modules import their heavy libraries inside the commands, so that
``pmkg --help`` and ``pmkg query --list`` start fast (tests/test_cli_process.py
guards the import graph).
"""

from __future__ import annotations

import sys

import typer

from pmkg.cli import (
    build_cmds,
    curate_cmds,
    import_cmds,
    imports_cmds,
    link_cmds,
    query_cmds,
    report_cmds,
    resolve_cmds,
    search_cmds,
    server_cmds,
    site_cmds,
)
from pmkg.cli.common import EXIT_BROKEN_PIPE, EXIT_INPUT, EXIT_INTERRUPTED, print_error, silence_stdout
from pmkg.errors import PmkgError

app = typer.Typer(
    name="pmkg", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rendering it with rich costs ~0.15 s of imports at every start
    help="The precision-medicine knowledge graph: build it from kg/*.yaml, validate, query and report.\n\n"
         "Exit codes: 0 ok, 1 data violates shapes or checks, 2 input or runtime error, "
         "130 interrupted, 141 output pipe closed.")
build_cmds.register(app)
query_cmds.register(app)
server_cmds.register(app)
report_cmds.register(app)
link_cmds.register(app)
import_cmds.register(app)
curate_cmds.register(app)
site_cmds.register(app)
resolve_cmds.register(app)
imports_cmds.register(app)
search_cmds.register(app)


def run(argv: list[str] | None = None) -> int:
    """Run the app and return the process exit code (never raises, never prints a traceback)."""
    try:
        code = app(args=argv, standalone_mode=False)
        sys.stdout.flush()  # a closed pipe shows up here for short outputs
    except PmkgError as exc:
        print_error(exc, "; nothing was written.")
        return exc.exit_code
    except typer.Abort:
        typer.echo("aborted", err=True)
        return EXIT_INPUT
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        silence_stdout()
        return EXIT_BROKEN_PIPE
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_INPUT)
    except Exception as exc:  # last resort: one line, never a traceback
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):  # a usage error of typer's bundled click
            exc.show()
            return int(exc.exit_code)
        typer.echo(f"error: unexpected {type(exc).__name__}: {exc}", err=True)
        return EXIT_INPUT
    return code if isinstance(code, int) else 0


def main() -> None:
    """Console entry point: the exit code of :func:`run` becomes the process's."""
    sys.exit(run())
