"""The app ``pmkg serve`` runs: the static site, entity IRIs with content negotiation, the SPARQL
protocol endpoint and the canned queries as an HTTP API, on one port, read-only.

Routes: ``/`` the site; ``/id/<kind>/<slug>`` HTML or RDF by ``Accept`` (or a ``.ttl``, ``.nt``,
``.jsonld`` … suffix); ``/query`` (and ``/sparql``) the SPARQL 1.1 protocol, queries only, no
``SERVICE`` unless allowed; ``/api/queries`` and ``/api/queries/NAME``; ``/openapi.json``.
Queries run in worker processes with a time limit (:mod:`pmkg.web.worker`), on a snapshot of
``dist/`` on disk or in memory (``--store``), taken again after a rebuild or import
(:mod:`pmkg.web.served`); every answer names the build it came from (``X-Pmkg-Build``) and whether
that is what ``dist/`` holds now (``X-Pmkg-Current``).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from pmkg.catalogue import QuerySpec, load_catalogue
from pmkg.errors import PmkgError, QueryError
from pmkg.federation import uses_service
from pmkg.namespaces import ID
from pmkg.query import Value
from pmkg.site.pages import query_call
from pmkg.web import negotiate
from pmkg.web.openapi import RESERVED, openapi
from pmkg.web.served import Served, Snapshot
from pmkg.web.worker import CannedAnswer, QueryTimeout

ENTITY_PATH = re.compile(r"^(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)(?:\.(?P<suffix>[a-z]+))?$")
DEFAULT_MAX_ROWS = 10000
MAX_ROWS_LIMIT = 100000
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'self'; frame-ancestors 'none'")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class ServeConfig:
    site: Path
    dist: Path  # the built dist/ to serve (snapshots of it; never written)
    queries: Path
    imports: Path | None = None
    timeout: float = 30.0
    workers: int = 2
    allow_service: bool = False
    store_policy: str = "auto"  # memory, disk or auto (pmkg.memory)
    announce: Callable[[str], None] | None = field(default=None, repr=False)  # told which snapshot is served


class ApiError(PmkgError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def create_app(config: ServeConfig) -> FastAPI:
    catalogue = load_catalogue(config.queries)
    served = Served(config.dist, config.imports, config.queries, config.store_policy, config.workers,
                    config.timeout, config.announce)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        served.start()
        app.state.served = served
        try:
            yield
        finally:
            served.close()

    app = FastAPI(title="pmkg", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)

    @app.middleware("http")
    async def headers(request: Request, call_next: Any) -> Response:
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers.setdefault("Content-Security-Policy", CSP)
        return response

    @app.exception_handler(QueryTimeout)
    async def on_timeout(_request: Request, exc: QueryTimeout) -> JSONResponse:
        return error(504, "; ".join(exc.lines()))

    @app.exception_handler(ApiError)
    async def on_api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error(exc.status, str(exc))

    @app.exception_handler(QueryError)
    async def on_query_error(_request: Request, exc: QueryError) -> JSONResponse:
        return error(400, "; ".join(exc.lines()))

    def build_headers(snapshot: Snapshot) -> dict[str, str]:
        return {"X-Pmkg-Build": snapshot.fingerprint, "X-Pmkg-Current": str(served.current(snapshot)).lower()}

    @app.get("/openapi.json", include_in_schema=False)
    def openapi_json() -> JSONResponse:
        with served.use() as snapshot:
            return JSONResponse(openapi(catalogue, snapshot.fingerprint[:16]), headers=build_headers(snapshot))

    @app.get("/api/queries")
    def list_queries() -> JSONResponse:
        with served.use() as snapshot:
            return JSONResponse({"queries": [describe_spec(s) for s in catalogue.values()],
                                 "fingerprint": snapshot.fingerprint}, headers=build_headers(snapshot))

    @app.get("/api/queries/{name}")
    def run_canned(name: str, request: Request) -> Response:
        spec = catalogue.get(name)
        if spec is None:
            return error(404, f"no canned query '{name}'; GET /api/queries lists them")
        params, fmt, max_rows = api_params(spec, request)
        if uses_service(spec.text) and not config.allow_service:
            return error(403, f"query '{name}' fetches from another endpoint (SERVICE), which this server does "
                              "not do; start `pmkg serve --allow-service` to allow it")
        with served.use() as snapshot:
            answer: CannedAnswer = snapshot.pool.run("canned", name, params)
            return table_response(spec, params, answer, fmt, max_rows, build_headers(snapshot))

    @app.api_route("/query", methods=["GET", "POST"])
    @app.api_route("/sparql", methods=["GET", "POST"])
    async def sparql(request: Request) -> Response:
        text = await sparql_text(request)
        if uses_service(text) and not config.allow_service:
            return error(403, "SERVICE (federated query) is disabled on this server; start "
                              "`pmkg serve --allow-service` to allow it")
        accept = request.headers.get("accept")
        results = negotiate.choose(accept, list(negotiate.RESULTS)) or "application/sparql-results+json"
        graph = negotiate.choose(accept, list(negotiate.RDF)) or "text/turtle"
        from starlette.concurrency import run_in_threadpool

        def run() -> tuple[str, bytes, dict[str, str]]:
            with served.use() as snapshot:
                _kind, media, body = snapshot.pool.run("sparql", text, results, graph)
                return media, body, build_headers(snapshot)

        media, body, build = await run_in_threadpool(run)
        return Response(body, media_type=media, headers=build)

    @app.api_route("/id/{segment}/{name}", methods=["GET", "HEAD"])
    def entity(segment: str, name: str, request: Request) -> Response:
        match = ENTITY_PATH.match(name)
        if not re.fullmatch(r"[a-z]+", segment) or match is None:
            return error(404, "not an entity IRI of this graph")
        slug, suffix = match.group("slug"), match.group("suffix")
        if suffix and suffix not in negotiate.SUFFIX_TYPES:
            return error(404, f"unknown suffix .{suffix}; use .html, " + ", ".join(
                f".{s}" for s in negotiate.RDF.values()))
        offered = ["text/html", *negotiate.RDF]
        media = negotiate.SUFFIX_TYPES[suffix] if suffix else negotiate.choose(request.headers.get("accept"), offered)
        vary = {"Vary": "Accept"} if not suffix else {}
        if media is None:
            return error(406, "offered: " + ", ".join(offered), vary)
        iri = f"{ID}{segment}/{slug}"
        if media == "text/html":
            page = config.site / "id" / segment / f"{slug}.html"
            if not page.is_file():
                return error(404, f"no page for {iri}")
            return FileResponse(page, media_type="text/html; charset=utf-8", headers=vary | alternates(segment, slug))
        with served.use() as snapshot:
            body = snapshot.pool.run("describe", iri, media)
            build = build_headers(snapshot)
        if body is None:
            return error(404, f"{iri} is not in the graph", vary)
        return Response(body, media_type=media, headers=vary | build)

    app.mount("/", StaticFiles(directory=config.site, html=True), name="site")
    return app


def alternates(segment: str, slug: str) -> dict[str, str]:
    links = [f'<{slug}.{suffix}>; rel="alternate"; type="{media}"' for media, suffix in negotiate.RDF.items()]
    return {"Link": ", ".join(links)}


def describe_spec(spec: QuerySpec) -> dict[str, Any]:
    return {"name": spec.name, "summary": spec.summary, "description": spec.description, "tags": list(spec.tags),
            "columns": list(spec.columns), "url": f"/api/queries/{spec.name}",
            "params": [{"name": p.name, "type": p.type, "default": p.default, "example": p.example,
                        "required": p.required, "description": p.description,
                        "values": list(p.values) if p.values else None,
                        "kinds": list(p.kinds) if p.type == "entity" else None} for p in spec.params]}


def api_params(spec: QuerySpec, request: Request) -> tuple[dict[str, str | list[str]], str, int]:
    """The query's parameters (each known; repeated only where it takes several values, as a list),
    the format and the row cap, from the query string."""
    params: dict[str, str | list[str]] = {}
    for key, value in request.query_params.multi_items():
        if key in RESERVED:
            if key in params:
                raise ApiError(400, f"parameter '{key}' is given more than once; it takes one value")
            params[key] = value
            continue
        param = spec.param(key)  # raises QueryError (400) naming the known parameters
        if key not in params:
            params[key] = [value] if param.multiple else value
        elif param.multiple:
            params[key].append(value)  # type: ignore[union-attr]
        else:
            raise ApiError(400, f"parameter '{key}' is given more than once; it takes one value")
    for key in RESERVED:
        params.pop(key, None)
    params = {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in params.items()}
    fmt = request.query_params.get("format")
    if fmt is None:
        media = negotiate.choose(request.headers.get("accept"), list(negotiate.TABLES))
        if media is None:
            raise ApiError(406, "offered: " + ", ".join(negotiate.TABLES))
        fmt = negotiate.TABLES[media]
    if fmt not in ("json", "csv", "xlsx"):
        raise ApiError(400, f"format '{fmt[:20]}' is not one of json, csv, xlsx")
    raw = request.query_params.get("max-rows", str(DEFAULT_MAX_ROWS))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_ROWS_LIMIT:
        raise ApiError(400, f"max-rows must be an integer from 1 to {MAX_ROWS_LIMIT}")
    return params, fmt, int(raw)


def cell(value: Value | None) -> str | int | float | None:
    if value is None:
        return None
    number = value.number
    return number if number is not None else value.text


def table_response(spec: QuerySpec, params: dict[str, str], answer: CannedAnswer, fmt: str, max_rows: int,
                   build: dict[str, str]) -> Response:
    """The answer as JSON, CSV or XLSX; ``build`` holds the served build's X-Pmkg-Build and X-Pmkg-Current."""
    fingerprint = build["X-Pmkg-Build"]
    truncated = len(answer.rows) > max_rows
    rows = [[cell(v) for v in row] for row in answer.rows[:max_rows]]
    meta: dict[str, Any] = {"query": spec.name, "params": params, "call": query_call(spec, params),
                            "fingerprint": fingerprint, "rows": len(rows), "total_rows": len(answer.rows),
                            "truncated": truncated, "complete": not truncated and answer.notice is None,
                            "notice": answer.notice, "current": build["X-Pmkg-Current"] == "true"}
    headers = {"X-Pmkg-Query": spec.name, "X-Pmkg-Params": json.dumps(params, ensure_ascii=True),
               **build, "X-Pmkg-Rows": str(len(rows)),
               "X-Pmkg-Complete": str(meta["complete"]).lower(), "X-Pmkg-Truncated": str(truncated).lower(),
               "Vary": "Accept"}
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(answer.columns)
        writer.writerows([["" if v is None else v for v in row] for row in rows])
        return Response(buf.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
    if fmt == "xlsx":
        from pmkg.xlsx import xlsx_bytes

        about = {k: json.dumps(v) if isinstance(v, dict) else str(v) for k, v in meta.items()}
        return Response(xlsx_bytes(answer.columns, rows, about), media_type=XLSX,
                        headers=headers | {"Content-Disposition": f'attachment; filename="{spec.name}.xlsx"'})
    records = [dict(zip(answer.columns, row, strict=True)) for row in rows]
    return JSONResponse({"meta": meta, "columns": answer.columns, "rows": records}, headers=headers)


async def sparql_text(request: Request) -> str:
    """The query of a SPARQL protocol request (GET ?query=, POST form or POST application/sparql-query)."""
    if request.method == "GET":
        if "update" in request.query_params:
            raise ApiError(403, "this endpoint is read-only: SPARQL Update is not accepted")
        text = request.query_params.get("query")
    else:
        body = (await request.body()).decode("utf-8", "replace")
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype == "application/sparql-query":
            text = body
        elif ctype == "application/x-www-form-urlencoded":
            form = parse_qs(body, keep_blank_values=True)
            if "update" in form:
                raise ApiError(403, "this endpoint is read-only: SPARQL Update is not accepted")
            text = (form.get("query") or [None])[0]
        elif ctype == "application/sparql-update":
            raise ApiError(403, "this endpoint is read-only: SPARQL Update is not accepted")
        else:
            raise ApiError(415, "send the query as application/sparql-query or a form field 'query'")
    if not text or not text.strip():
        raise ApiError(400, "no query: give it as ?query=… or in the request body")
    return text  # an update sent as a query fails to parse as one (and the store is opened read-only)
