"""``pmkg query`` (the canned catalogue) and ``pmkg sparql`` (any SPARQL)."""

from __future__ import annotations

import io
import shlex
from pathlib import Path

import typer
from rich.markdown import Markdown
from rich.table import Table

from pmkg import output
from pmkg.catalogue import QuerySpec, load_catalogue
from pmkg.cli.common import RootOption, console, err_console, project_paths, reports_errors
from pmkg.errors import PmkgError, QueryError
from pmkg.pipeline import Paths, input_fingerprint
from pmkg.query import Backend, EmbeddedBackend, Result, run_query
from pmkg.store import open_store, read_manifest

FormatOption = typer.Option(None, "--format", "-f",
                            help="table, csv, csv-excel (CSV with a BOM), json, md or xlsx; default: from --out's "
                                 "suffix, else table.")
OutOption = typer.Option(None, "--out", "-o", help="Write the result to this file (.csv, .xlsx, .json, .md).")
IrisOption = typer.Option(False, "--iris", help="Keep full IRIs (default: short ids such as actor/bgi).")
BomOption = typer.Option(False, "--bom", help="Start CSV with a UTF-8 byte-order mark, for Excel.")
EndpointOption = typer.Option(None, "--endpoint", help="Run on this SPARQL 1.1 endpoint instead of dist/.")


def ensure_built(root: Path) -> Paths:
    """Build first when dist/ is missing or older than its inputs."""
    paths = project_paths(root)
    manifest = read_manifest(paths.dist)
    if manifest is None or manifest.get("fingerprint") != input_fingerprint(paths):
        from pmkg.cli.build_cmds import run_build
        why = "missing" if manifest is None else "stale"
        err_console.print(f"dist/ is {why}; building first …")
        run_build(root, write=True, reason=True)
    return paths


def backend_for(root: Path, endpoint: str | None) -> Backend:
    if endpoint:
        from pmkg.remote import EndpointBackend
        return EndpointBackend(endpoint)
    return EmbeddedBackend(open_store(ensure_built(root).dist))


def parse_params(items: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise QueryError(f"--param '{item[:60]}' must be NAME=VALUE")
        params[name.strip()] = value
    return params


def emit(result: Result, fmt: str | None, title: str | None = None, *, out: Path | None = None,
         iris: bool = False, bom: bool = False, meta: dict[str, str] | None = None) -> None:
    """Print the result, or write it to ``out``; the format comes from ``fmt`` or ``out``'s suffix."""
    fmt = output.format_for(fmt, str(out) if out else None)
    if fmt not in output.FORMATS:
        raise QueryError(f"unknown format '{fmt}'", hint="one of: " + ", ".join(output.FORMATS))
    if fmt in output.BINARY_FORMATS and out is None:
        raise QueryError(f"--format {fmt} needs --out FILE.{fmt}")
    if result.notice:
        err_console.print(f"[yellow]note:[/yellow] {result.notice}")
    data: str | bytes
    if fmt in ("csv", "csv-excel"):
        data = output.to_csv(result, iris, bom=bom or fmt == "csv-excel")
    elif fmt == "json":
        data = output.to_json(result)
    elif fmt == "md":
        data = output.to_markdown(result, iris)
    elif fmt == "xlsx":
        data = output.to_xlsx(result, meta or {}, iris)
    elif out is None:
        console.print(output.to_table(result, title, iris))
        err_console.print(f"{len(result.rows)} row(s)")
        return
    else:
        data = _plain_table(result, title, iris)
    if out is None:
        typer.echo(data, nl=False)
        return
    write_file(out, data)
    err_console.print(f"written: {out} ({len(result.rows)} row(s))", markup=False)


def _plain_table(result: Result, title: str | None, iris: bool) -> str:
    from rich.console import Console
    buf = Console(record=True, width=200, file=io.StringIO())
    buf.print(output.to_table(result, title, iris))
    return buf.export_text()


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


def list_table(catalogue: dict[str, QuerySpec]) -> Table:
    table = Table(title="Canned queries (pmkg query NAME --describe)", show_lines=False)
    table.add_column("name", no_wrap=True)
    table.add_column("summary")
    table.add_column("parameters")
    for spec in catalogue.values():
        table.add_row(spec.name, spec.summary, ", ".join(p.name for p in spec.params))
    return table


def register(app: typer.Typer) -> None:
    @app.command("query")
    @reports_errors
    def query_cmd(
        name: str = typer.Argument(None, help="Query name (see --list); `describe NAME` explains one."),
        target: str = typer.Argument(None, hidden=True),
        param: list[str] = typer.Option([], "--param", "-p", help="NAME=VALUE; repeat for several."),
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
        catalogue = load_catalogue(project_paths(root).root / "queries")
        if list_ or not name:
            console.print(list_table(catalogue))
            return
        if name == "describe":
            if not target:
                raise QueryError("usage: pmkg query describe NAME")
            name, describe_ = target, True
        if name not in catalogue:
            raise QueryError(f"no canned query '{name}'", hint="`pmkg query --list` shows the catalogue")
        spec = catalogue[name]
        if describe_:
            console.print(Markdown(describe(spec)))
            return
        given = parse_params(param)
        result = run_query(spec, given, backend_for(root, endpoint))
        call = f"pmkg query {spec.name}" + "".join(f" --param {k}={v}" for k, v in given.items())
        emit(result, fmt, spec.summary, out=out, iris=iris, bom=bom,
             meta=result_meta(call, given, root, endpoint, spec.summary))

    @app.command("sparql")
    @reports_errors
    def sparql_cmd(
        query: str = typer.Argument(..., help="A SELECT query, or the path of a .rq file."),
        fmt: str = FormatOption,
        out: Path = OutOption,
        iris: bool = IrisOption,
        bom: bool = BomOption,
        endpoint: str = EndpointOption,
        root: Path = RootOption,
    ) -> None:
        """Run any SPARQL SELECT query (text or file) on the built graph (or --endpoint)."""
        path = Path(query)
        text = query
        try:
            if len(query) < 4096 and path.suffix in (".rq", ".sparql") and path.is_file():
                text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PmkgError(f"cannot read {query}: {exc}") from exc
        emit(backend_for(root, endpoint).select(text), fmt, out=out, iris=iris, bom=bom,
             meta=result_meta(f"pmkg sparql: {text}", {}, root, endpoint))
