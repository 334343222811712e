"""The ``pmkg`` command line.  Only this package talks to the terminal.

Exit codes: 0 ok; 1 the data violates shapes or checks; 2 input or runtime error.
"""

from __future__ import annotations

import sys

import typer

from pmkg.cli import build_cmds, import_cmds, link_cmds, query_cmds, report_cmds, search_cmds, server_cmds
from pmkg.errors import PmkgError

app = typer.Typer(
    name="pmkg", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
    help="The precision-medicine knowledge graph: build it from kg/*.yaml, validate, query and report.\n\n"
         "Exit codes: 0 ok, 1 data violates shapes or checks, 2 input or runtime error.")
build_cmds.register(app)
query_cmds.register(app)
server_cmds.register(app)
report_cmds.register(app)
link_cmds.register(app)
import_cmds.register(app)
search_cmds.register(app)


def main() -> None:
    """Console entry point: every PmkgError becomes one line per problem and an exit code."""
    try:
        code = app(standalone_mode=False)  # without standalone mode, typer returns a command's Exit code
        if isinstance(code, int) and code:
            sys.exit(code)
    except PmkgError as exc:
        for line in exc.lines():
            typer.echo(f"error: {line}", err=True)
        if len(exc.problems) > 1:
            typer.echo(f"{len(exc.problems)} problem(s); nothing was written.", err=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(2)
    except (typer.Exit, SystemExit) as exc:
        code = getattr(exc, "exit_code", None)
        sys.exit(code if code is not None else getattr(exc, "code", 0))
    except KeyboardInterrupt:
        typer.echo("interrupted; the previous dist/ is untouched", err=True)
        sys.exit(2)
    except Exception as exc:  # last resort: one line, never a traceback
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):  # a usage error of typer's bundled click
            exc.show()
            sys.exit(exc.exit_code)
        typer.echo(f"error: unexpected {type(exc).__name__}: {exc}", err=True)
        sys.exit(2)
