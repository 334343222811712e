"""The OpenAPI description of ``/api/queries``, generated from the ``#+`` headers of ``queries/*.rq``.

Each canned query is a path of its own with its parameters typed as the header declares them
(integers, years with bounds, booleans, dates with a pattern, enums with their values, entities
as strings resolved by id, IRI, label or alias).  A parameter takes one value, bound as one RDF
term, unless its header says ``multiple: true``: then it is an array, given by repeating it
(``?topic=genomics&topic=artificial-intelligence``), each value typed and bound as its own row of
the VALUES block (rows matching any of them).  Any other repeated parameter is answered 400.
"""

from __future__ import annotations

from typing import Any

from pmkg.catalogue import Param, QuerySpec
from pmkg.query import MAX_VALUE_LENGTH

FORMAT_PARAM = {"name": "format", "in": "query", "required": False,
                "description": "Result format; overrides the Accept header.",
                "schema": {"type": "string", "enum": ["json", "csv", "xlsx"]}}
MAX_ROWS_PARAM = {"name": "max-rows", "in": "query", "required": False,
                  "description": "Return at most this many rows (the metadata then says truncated).",
                  "schema": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 10000}}
RESERVED = {"format", "max-rows"}


def param_schema(p: Param) -> dict[str, Any]:
    if p.type == "integer":
        schema: dict[str, Any] = {"type": "integer", "minimum": 0}
    elif p.type == "year":
        schema = {"type": "integer", "minimum": 1000, "maximum": 2999}
    elif p.type == "boolean":
        schema = {"type": "boolean"}
    elif p.type == "date":
        schema = {"type": "string", "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$"}
    elif p.type == "enum":
        schema = {"type": "string", "enum": [str(v) for v in (p.values or [])]}
    else:
        schema = {"type": "string", "maxLength": MAX_VALUE_LENGTH}
    if p.default is not None:
        schema["default"] = p.default
    return schema


def param_object(p: Param) -> dict[str, Any]:
    description = p.description
    if p.type == "entity":
        description += f" (an id, IRI, label or alias of a {'/'.join(p.kinds)})"
    schema = param_schema(p)
    if p.multiple:  # ?topic=a&topic=b: rows matching any of the values
        description += "; repeat the parameter for several values (rows matching any of them)"
        default = schema.pop("default", None)
        schema = {"type": "array", "items": schema, "uniqueItems": True}
        if default is not None:
            schema["default"] = [default]
    out: dict[str, Any] = {"name": p.name, "in": "query", "required": p.required,
                           "description": description.strip(), "schema": schema}
    if p.multiple:
        out |= {"style": "form", "explode": True}
    if p.example is not None:
        out["example"] = [p.example] if p.multiple else p.example
    return out


def _result_schema(spec: QuerySpec) -> dict[str, Any]:
    row = {"type": "object", "properties": {c: {"type": ["string", "null"]} for c in spec.columns}}
    return {"type": "object", "required": ["meta", "columns", "rows"], "properties": {
        "meta": {"$ref": "#/components/schemas/Meta"},
        "columns": {"type": "array", "items": {"type": "string"}},
        "rows": {"type": "array", "items": row}}}


def operation(spec: QuerySpec) -> dict[str, Any]:
    return {
        "operationId": spec.name.replace("-", "_"), "summary": spec.summary, "description": spec.description,
        "tags": list(spec.tags) or ["queries"],
        "parameters": [param_object(p) for p in spec.params] + [FORMAT_PARAM, MAX_ROWS_PARAM],
        "responses": {
            "200": {"description": "The result, with its provenance in `meta` and in X-Pmkg-* headers.",
                    "content": {"application/json": {"schema": _result_schema(spec)},
                                "text/csv": {"schema": {"type": "string"}},
                                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
                                    {"schema": {"type": "string", "format": "binary"}}}},
            "400": {"description": "A parameter is unknown, repeated or not of its type.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "504": {"description": "The query ran longer than the server's limit and was stopped."},
        },
    }


def openapi(catalogue: dict[str, QuerySpec], version: str) -> dict[str, Any]:
    paths: dict[str, Any] = {"/api/queries": {"get": {
        "operationId": "list_queries", "summary": "The canned queries with their parameters and columns",
        "responses": {"200": {"description": "The catalogue", "content": {"application/json": {}}}}}}}
    for name, spec in catalogue.items():
        if not RESERVED & {p.name for p in spec.params}:
            paths[f"/api/queries/{name}"] = {"get": operation(spec)}
    meta_props = {k: {"type": t} for k, t in (("query", "string"), ("call", "string"), ("fingerprint", "string"),
                                               ("rows", "integer"), ("complete", "boolean"),
                                               ("truncated", "boolean"), ("notice", ["string", "null"]))}
    meta_props["params"] = {"type": "object", "additionalProperties": {
        "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "pmkg canned queries", "version": version,
                 "description": "The precision-medicine knowledge graph's canned SPARQL queries as an HTTP API. "
                                "Parameters are bound as RDF terms, never pasted into the query text."},
        "paths": paths,
        "components": {"schemas": {
            "Meta": {"type": "object", "properties": meta_props},
            "Error": {"type": "object", "properties": {"error": {"type": "string"}}}}},
    }
