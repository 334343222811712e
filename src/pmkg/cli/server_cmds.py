"""``pmkg publish`` (dist/ into a SPARQL server) and ``pmkg serve`` (the site, IRIs, SPARQL and the API)."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import typer

from pmkg.cli.common import RootOption, StoreOption, err_console, reports_errors
from pmkg.cli.query_cmds import ensure_built

if TYPE_CHECKING:  # the rest is imported by the commands (a fast start)
    from pmkg.pipeline import Paths

DEFAULT_PORT, DEFAULT_BIND = 7878, "127.0.0.1"  # as pmkg.server's


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
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from pmkg.publish import graph_store_url, publish, short
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
        site: Path = typer.Option(None, "--site", file_okay=False,
                                  help="The site folder to serve (default: ROOT/site, written first if missing "
                                       "or from another build)."),
        timeout: float = typer.Option(30.0, "--timeout", min=0.1, help="Seconds a query may run before it is stopped."),
        workers: int = typer.Option(2, "--workers", min=1, max=32, help="Query worker processes."),
        allow_service: bool = typer.Option(False, "--allow-service",
                                           help="Let queries fetch from other endpoints (SPARQL SERVICE)."),
        oxigraph: bool = typer.Option(False, "--oxigraph", help="Serve only SPARQL, with Oxigraph's own server."),
        store: str = StoreOption,
        root: Path = RootOption,
    ) -> None:
        """Serve the site, the entity IRIs (HTML or RDF by Accept), the SPARQL endpoint (/query) and the canned
        queries as an API (/api/queries) on one port, read-only, until Ctrl-C."""
        from pmkg.memory import policy_from

        policy = policy_from(store)
        paths = ensure_built(root)
        if oxigraph:
            serve_oxigraph(paths.dist, bind, port, round(timeout))
            return
        with _stop_on_sigterm():  # uvicorn re-raises SIGTERM after its graceful shutdown: exit 0, cleaned up
            serve_site(paths, bind, port, site, timeout, workers, allow_service, policy)


def serve_oxigraph(dist: Path, bind: str, port: int, timeout: int) -> None:
    """Oxigraph's own SPARQL server behind a small guard that refuses SERVICE (Oxigraph has no switch for it)."""
    from pmkg.serve_guard import guard
    from pmkg.server import DEFAULT_BIND, free_port, serve_snapshot

    with _stop_on_sigterm(), serve_snapshot(dist, host=DEFAULT_BIND, port=free_port(),
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


def site_is_current(site: Path, dist: Path) -> bool:
    from pmkg.store import read_manifest

    built = read_manifest(site / "downloads")
    here = read_manifest(dist)
    return (site / "index.html").is_file() and built is not None and here is not None \
        and built.get("fingerprint") == here.get("fingerprint")


def serve_site(paths: Paths, bind: str, port: int, site: Path | None, timeout: float, workers: int,
               allow_service: bool, policy: str = "auto") -> None:
    import uvicorn

    from pmkg.cli.site_cmds import generate
    from pmkg.server import OxigraphServer, listening_socket
    from pmkg.web.app import ServeConfig, create_app

    site = (site or paths.root / "site").resolve()
    sock = listening_socket(bind, port)  # a port in use is an error before any work
    try:
        if not site_is_current(site, paths.dist):
            err_console.print(f"the site in {site} is missing or from another build; writing it first …")
            generate(paths, site, to_stderr=True)
        config = ServeConfig(site, paths.dist, paths.root / "queries", paths.imports, timeout=timeout,
                             workers=workers, allow_service=allow_service, store_policy=policy,
                             announce=lambda line: err_console.print(line, markup=False, highlight=False))
        app = create_app(config)
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
        url = OxigraphServer(host=bind, port=port).url
        typer.echo(f"SPARQL endpoint: {url}/query")
        typer.echo(f"Site: {url}/  ·  API: {url}/api/queries  ·  OpenAPI: {url}/openapi.json")
        err_console.print(f"serving {site} and a read-only snapshot of dist/ (taken again after a rebuild or "
                          "import); Ctrl-C stops")
        server.run(sockets=[sock])
    finally:
        sock.close()
