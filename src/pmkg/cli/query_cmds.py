"""``pmkg query`` (the canned catalogue) and ``pmkg sparql`` (any SPARQL)."""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from pmkg.cli.common import RootOption, console, err_console, project_paths, reports_errors
from pmkg.errors import PmkgError, QueryError

if TYPE_CHECKING:  # the rest is imported by the commands that need it (a fast `--help` and `--list`)
    from rich.table import Table

    from pmkg.catalogue import QuerySpec
    from pmkg.pipeline import Paths
    from pmkg.query import Backend, Result

FormatOption = typer.Option(None, "--format", "-f",
                            help="table, csv, csv-excel (CSV with a BOM), json, md or xlsx; default: from --out's "
                                 "suffix, else table.")
OutOption = typer.Option(None, "--out", "-o", help="Write the result to this file (.csv, .xlsx, .json, .md).")
IrisOption = typer.Option(False, "--iris", help="Keep full IRIs (default: short ids such as actor/bgi).")
BomOption = typer.Option(False, "--bom", help="Start CSV with a UTF-8 byte-order mark, for Excel.")
LIST_TITLE = "Canned queries (pmkg query NAME --describe)"
EndpointOption = typer.Option(None, "--endpoint", help="Run on this SPARQL 1.1 endpoint instead of dist/.")


def ensure_built(root: Path) -> Paths:
    """Build first when dist/ is missing or older than its inputs."""
    from pmkg.pipeline import input_fingerprint
    from pmkg.store import read_manifest

    paths = project_paths(root)
    manifest = read_manifest(paths.dist)
    if manifest is None or manifest.get("fingerprint") != input_fingerprint(paths):
        from pmkg.cli.build_cmds import run_build
        why = "missing" if manifest is None else "stale"
        err_console.print(f"dist/ is {why}; building first …")
        run_build(root, write=True, reason=True)
    else:
        from pmkg.store import sync_imports
        reloaded = sync_imports(paths.dist, paths.imports)
        if reloaded:
            err_console.print(f"dist/store did not hold imports/{', '.join(reloaded)} as on disk (an import was "
                              "interrupted or a file changed); reloaded", markup=False, soft_wrap=True)
    upgrade_summaries(paths)
    return paths


def upgrade_summaries(paths: Paths) -> None:
    """Add their summary to imports made before summaries existed (one line each); a warning, not an
    error, when that cannot be done now (the paper-level queries then say which imports lack one)."""
    from pmkg.importers.upgrade import upgrade_imports

    try:
        upgraded = upgrade_imports(paths.dist, paths.imports)
    except PmkgError as exc:
        err_console.print(f"warning: imports without a summary could not be upgraded now: {exc}", markup=False,
                          soft_wrap=True)
        return
    for item in upgraded:
        err_console.print(item.message(), markup=False, soft_wrap=True)


def backend_for(root: Path, endpoint: str | None, store_policy: str = "disk") -> Backend:
    """The endpoint's backend, else the built store's: on disk, or (``store_policy`` memory or auto, for
    commands that run many queries) in memory (:mod:`pmkg.memory`; the choice is printed on stderr)."""
    if endpoint:
        from pmkg.remote import EndpointBackend
        return EndpointBackend(endpoint)
    from pmkg.query import EmbeddedBackend
    from pmkg.store import open_store
    paths = ensure_built(root)
    if store_policy == "disk":
        return EmbeddedBackend(open_store(paths.dist))
    from pmkg.memory import open_for_queries
    store, choice = open_for_queries(paths.dist, paths.imports, store_policy)
    err_console.print(choice.line(), markup=False, highlight=False)
    return EmbeddedBackend(store)


@contextlib.contextmanager
def service_deadline(services: list[str], seconds: float) -> Iterator[None]:
    """End the process with a clear message if a query calling SERVICE runs past ``seconds``:
    Oxigraph's SERVICE client has no timeout, and the embedded query cannot be interrupted."""
    if not services:
        yield
        return

    def give_up() -> None:
        sys.stderr.write(f"error: the query did not finish within {seconds:g} s (SERVICE "
                         f"{', '.join(services)} did not answer in time); raise --timeout to wait longer\n")
        sys.stderr.flush()
        os._exit(2)

    timer = threading.Timer(seconds, give_up)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def parse_params(items: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise QueryError(f"--param '{item[:60]}' must be NAME=VALUE")
        params[name.strip()] = value
    return params


def parse_query_params(items: list[str]) -> dict[str, str | list[str]]:
    """``--param NAME=VALUE`` of a canned query; a name repeated gives a list (for a parameter that
    takes several values; any other parameter then fails with a one-line error)."""
    params: dict[str, str | list[str]] = {}
    for item in items:
        for name, value in parse_params([item]).items():
            if name in params:
                before = params[name]
                params[name] = [*(before if isinstance(before, list) else [before]), value]
            else:
                params[name] = value
    return params


def param_pairs(given: dict[str, str | list[str]]) -> list[tuple[str, str]]:
    return [(k, x) for k, v in given.items() for x in (v if isinstance(v, list) else [v])]


def emit(result: Result, fmt: str | None, title: str | None = None, *, out: Path | None = None,
         iris: bool = False, bom: bool = False, meta: dict[str, str] | None = None) -> None:
    """Print the result, or write it to ``out``; the format comes from ``fmt`` or ``out``'s suffix."""
    from pmkg import output

    fmt = output.format_for(fmt, str(out) if out else None)
    if fmt not in output.FORMATS:
        raise QueryError(f"unknown format '{fmt}'", hint="one of: " + ", ".join(output.FORMATS))
    if fmt in output.BINARY_FORMATS and out is None:
        raise QueryError(f"--format {fmt} needs --out FILE.{fmt}")
    if result.notice:
        typer.echo(f"note: {result.notice}", err=True)
    data: str | bytes
    if fmt in ("csv", "csv-excel"):
        data = output.to_csv(result, iris, bom=bom or fmt == "csv-excel")
    elif fmt == "json":
        data = output.to_json(result)
    elif fmt == "md":
        data = output.to_markdown(result, iris)
    elif fmt == "xlsx":
        data = output.to_xlsx(result, meta or {}, iris)
    elif out is None and sys.stdout.isatty():
        console.print(output.to_table(result, title, iris))
        typer.echo(f"{len(result.rows)} row(s)", err=True)
        return
    else:
        data = output.to_plain(result, title, iris)
        if out is None:
            typer.echo(data, nl=False)
            typer.echo(f"{len(result.rows)} row(s)", err=True)
            return
    if out is None:
        typer.echo(data, nl=False)
        return
    write_file(out, data)
    typer.echo(f"written: {out} ({len(result.rows)} row(s))", err=True)


def write_file(out: Path, data: str | bytes) -> None:
    """Write ``data`` to ``out`` (folders created); an OSError becomes one line."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            out.write_bytes(data)
        else:
            out.write_text(data, encoding="utf-8")
    except OSError as exc:
        raise PmkgError(f"cannot write {out}: {exc}") from exc


def result_meta(what: str, params: dict[str, str], root: Path, endpoint: str | None,
                summary: str = "") -> dict[str, str]:
    """The second sheet of a spreadsheet: the query, its parameters and the build that answered it."""
    from datetime import UTC, datetime

    from pmkg.store import read_manifest
    meta = {"query": what}
    if summary:
        meta["summary"] = summary
    meta["parameters"] = " ".join(f"{k}={v}" for k, v in params.items()) or "(defaults)"
    if endpoint:
        meta["endpoint"] = endpoint
    else:
        manifest = read_manifest(project_paths(root).dist) or {}
        meta["build fingerprint"] = str(manifest.get("fingerprint", "unknown"))
        meta["built"] = str(manifest.get("built", "unknown"))
    meta["generated"] = datetime.now(UTC).replace(microsecond=0).isoformat()
    return meta


def describe(spec: QuerySpec) -> str:
    lines = [f"# {spec.name}", "", spec.summary, ""]
    if spec.description:
        lines += [spec.description, ""]
    if spec.params:
        lines += ["| parameter | type | default | example | description |", "|---|---|---|---|---|"]
        for p in spec.params:
            kind = p.type + (f" ({'/'.join(p.kinds)})" if p.type == "entity" else "")
            if p.type == "enum":
                kind += ": " + ", ".join(map(str, p.values or []))
            lines.append(f"| {p.name} | {kind} | {p.default if p.default is not None else ''} | "
                         f"{p.example if p.example is not None else ''} | {p.description} |")
        lines.append("")
    lines += ["Columns: " + ", ".join(spec.columns), "",
              f"Run: `pmkg query {spec.name}"
              + "".join(f" --param {shlex.quote(f'{p.name}={p.example}')}" for p in spec.params
                        if p.example is not None) + "`"]
    return "\n".join(lines)


def list_rows(catalogue: dict[str, QuerySpec]) -> list[list[str]]:
    return [[spec.name, spec.summary, ", ".join(p.name for p in spec.params)] for spec in catalogue.values()]


def print_list(catalogue: dict[str, QuerySpec]) -> None:
    """The catalogue as a rich table on a terminal, else as plain aligned text (no rich import)."""
    if sys.stdout.isatty():
        console.print(list_table(catalogue))
        return
    from pmkg.plaintext import plain_table
    typer.echo(plain_table(["name", "summary", "parameters"], list_rows(catalogue), LIST_TITLE), nl=False)


def list_table(catalogue: dict[str, QuerySpec]) -> Table:
    from rich.table import Table

    table = Table(title=LIST_TITLE, show_lines=False)
    table.add_column("name", no_wrap=True)
    table.add_column("summary")
    table.add_column("parameters")
    for row in list_rows(catalogue):
        table.add_row(*row)
    return table


def register(app: typer.Typer) -> None:
    @app.command("query")
    @reports_errors
    def query_cmd(
        name: str = typer.Argument(None, help="Query name (see --list); `describe NAME` explains one."),
        target: str = typer.Argument(None, hidden=True),
        param: list[str] = typer.Option([], "--param", "-p",
                                        help="NAME=VALUE; repeat for several (a multi-valued name once per value)."),
        fmt: str = FormatOption,
        out: Path = OutOption,
        iris: bool = IrisOption,
        bom: bool = BomOption,
        endpoint: str = EndpointOption,
        list_: bool = typer.Option(False, "--list", help="List the catalogue with summaries."),
        describe_: bool = typer.Option(False, "--describe", help="Explain the query: parameters, columns, example."),
        root: Path = RootOption,
    ) -> None:
        """Run a canned query from queries/ on the built graph (or --endpoint)."""
        from pmkg.catalogue import load_catalogue, load_query
        folder = project_paths(root).root / "queries"
        if list_ or not name:
            print_list(load_catalogue(folder))
            return
        if name == "describe":
            if not target:
                raise QueryError("usage: pmkg query describe NAME")
            name, describe_ = target, True
        spec = load_query(folder, name)  # only this one is parsed
        if spec is None:
            raise QueryError(f"no canned query '{name}'", hint="`pmkg query --list` shows the catalogue")
        if describe_:
            from rich.markdown import Markdown
            console.print(Markdown(describe(spec)))
            return
        from pmkg.query import run_query
        given = parse_query_params(param)
        result = run_query(spec, given, backend_for(root, endpoint))
        call = f"pmkg query {spec.name}" + "".join(f" --param {k}={v}" for k, v in param_pairs(given))
        shown = {k: v if isinstance(v, str) else " | ".join(v) for k, v in given.items()}
        emit(result, fmt, spec.summary, out=out, iris=iris, bom=bom,
             meta=result_meta(call, shown, root, endpoint, spec.summary))

    @app.command("sparql")
    @reports_errors
    def sparql_cmd(
        query: str = typer.Argument(..., help="A SELECT query, or the path of a .rq file."),
        fmt: str = FormatOption,
        out: Path = OutOption,
        iris: bool = IrisOption,
        bom: bool = BomOption,
        endpoint: str = EndpointOption,
        allow_service: list[str] = typer.Option([], "--allow-service", metavar="URL", help="Let a SERVICE "
                                                "clause call this endpoint (repeat for several); SERVICE is "
                                                "refused otherwise."),
        timeout: float = typer.Option(None, "--timeout", help="Seconds a query with SERVICE may take "
                                      "(default: PMKG_TIMEOUT or 30)."),
        root: Path = RootOption,
    ) -> None:
        """Run any SPARQL SELECT query (text or file) on the built graph (or --endpoint).
        SERVICE (federated query) only to endpoints given with --allow-service."""
        path = Path(query)
        text = query
        try:
            if len(query) < 4096 and path.suffix in (".rq", ".sparql") and path.is_file():
                text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PmkgError(f"cannot read {query}: {exc}") from exc
        if endpoint:
            emit(backend_for(root, endpoint).select(text), fmt, out=out, iris=iris, bom=bom,
                 meta=result_meta(f"pmkg sparql: {text}", {}, root, endpoint))
            return
        from pmkg.remote import default_timeout
        from pmkg.service import check_service
        services = check_service(text, allow_service)
        backend = backend_for(root, None)
        with service_deadline(services, timeout if timeout is not None else default_timeout()):
            result = backend.select(text)
        emit(result, fmt, out=out, iris=iris, bom=bom, meta=result_meta(f"pmkg sparql: {text}", {}, root, endpoint))
