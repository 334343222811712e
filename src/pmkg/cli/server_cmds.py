"""``pmkg publish`` (dist/ into a SPARQL server) and ``pmkg serve`` (Oxigraph's server on the built store)."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pmkg.cli.common import RootOption, err_console, reports_errors
from pmkg.cli.query_cmds import ensure_built
from pmkg.publish import graph_store_url, publish, short
from pmkg.server import DEFAULT_BIND, DEFAULT_PORT, free_port, serve_snapshot


@contextlib.contextmanager
def _stop_on_sigterm() -> Iterator[None]:
    """Within the block, SIGTERM becomes SystemExit so the snapshot and the child server are cleaned up."""

    def handler(_signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(0)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def register(app: typer.Typer) -> None:
    @app.command("publish")
    @reports_errors
    def publish_cmd(
        endpoint: str = typer.Option(..., "--endpoint", help="SPARQL query endpoint of the target server."),
        graph_store: str = typer.Option(None, "--graph-store",
                                        help="Graph Store Protocol URL (default: Oxigraph's …/store beside …/query)."),
        timeout: float = typer.Option(60.0, "--timeout", min=0.1, help="Seconds to wait for each HTTP request."),
        root: Path = RootOption,
    ) -> None:
        """Load dist/ into a SPARQL 1.1 server: one Graph Store PUT per named graph, replacing the previous release."""
        graph_store = graph_store_url(endpoint, graph_store)  # a bad URL is an error before any build
        paths = ensure_built(root)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err_console, transient=True) as bar:
            task = bar.add_task("publishing", total=None)

            def note(done: int, total: int, graph: str) -> None:
                bar.update(task, total=total, completed=done, description=f"PUT {graph}" if graph else "checking")

            report = publish(paths.dist, endpoint, graph_store, timeout=timeout, progress=note)
        typer.echo(f"published {len(report.written)} graphs ({report.triples} triples) to {report.graph_store} "
                   f"in {report.seconds:.2f} s")
        if report.removed:
            typer.echo(f"removed {len(report.removed)} graph(s) of a previous release: "
                       + ", ".join(short(g) for g in report.removed))

    @app.command("serve")
    @reports_errors
    def serve_cmd(
        port: int = typer.Option(DEFAULT_PORT, "--port", min=1, max=65535, help="TCP port to listen on."),
        bind: str = typer.Option(DEFAULT_BIND, "--bind", help="Address to listen on (0.0.0.0: every interface)."),
        timeout: int = typer.Option(60, "--timeout", min=1, help="Seconds a query may run (SERVICE calls "
                                    "included) before the server stops it."),
        root: Path = RootOption,
    ) -> None:
        """Serve the built graph read-only with Oxigraph's SPARQL server (union default graph) until Ctrl-C.
        SERVICE (federated query) is refused: the server never sends requests to other endpoints."""
        from pmkg.serve_guard import guard

        paths = ensure_built(root)
        with _stop_on_sigterm(), serve_snapshot(paths.dist, host=DEFAULT_BIND, port=free_port(),
                                                query_timeout=timeout) as server, \
                guard(bind, port, server.url, timeout + 5):
            shown = "127.0.0.1" if bind in ("0.0.0.0", "") else f"[{bind}]" if ":" in bind else bind
            typer.echo(f"SPARQL endpoint: http://{shown}:{port}/query")
            typer.echo(f"Graph Store (read-only): http://{shown}:{port}/store")
            err_console.print("serving a read-only snapshot of dist/store (SERVICE refused); Ctrl-C stops")
            try:
                code = server.wait()
            except KeyboardInterrupt:
                code = 0
            if code:
                raise typer.Exit(2)
