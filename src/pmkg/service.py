"""SPARQL ``SERVICE`` (federated query) control for queries typed by a user.

Oxigraph runs ``SERVICE <url>`` by sending an HTTP request to ``url``, from
the machine that runs pmkg: a free-form query could make pmkg call any URL
(request forgery once bound to a public address), and a hanging endpoint
hung ``pmkg sparql`` indefinitely.  So ``pmkg sparql`` refuses SERVICE unless
its endpoint is listed with ``--allow-service URL``, and an allowed SERVICE
query runs under a timeout.  Canned queries (``queries/*.rq``, reviewed files
of the project) keep their constant SERVICE endpoints.

The check tokenises the query (strings, IRIs and comments cannot hide or fake
the keyword) and resolves prefixed names against the query's PREFIX lines.
"""

from __future__ import annotations

import re

from pmkg.errors import QueryError

TOKEN = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r"|<[^<>\"{}|^`\\\x00-\x20]*>"
    r"|#[^\n]*"
    r"|[?$][A-Za-z0-9_\u00b7\u00c0-\uffff]+"
    r"|[A-Za-z_\u00c0-\uffff][\w\-.\u00b7\u00c0-\uffff]*:[^\s{}()<>\[\],;\"']*"
    r"|[A-Za-z_][\w\-]*:?"
    r"|\S",
    re.DOTALL,
)


def _tokens(text: str) -> list[str]:
    return [t for t in TOKEN.findall(text) if not t.startswith("#")]


def service_endpoints(text: str) -> list[str | None]:
    """The endpoint of every SERVICE in the query; None for a variable endpoint."""
    tokens = _tokens(text)
    prefixes: dict[str, str] = {}
    found: list[str | None] = []
    for i, tok in enumerate(tokens):
        upper = tok.upper()
        if upper == "PREFIX" and i + 2 < len(tokens) and tokens[i + 2].startswith("<"):
            prefixes[tokens[i + 1].rstrip(":")] = tokens[i + 2][1:-1]
        if upper != "SERVICE":
            continue
        j = i + 1
        if j < len(tokens) and tokens[j].upper() == "SILENT":
            j += 1
        target = tokens[j] if j < len(tokens) else ""
        if target.startswith("<"):
            found.append(target[1:-1])
        elif ":" in target and not target.startswith(("?", "$")):
            prefix, _, local = target.partition(":")
            found.append(prefixes.get(prefix, "") + local if prefix in prefixes else target)
        else:
            found.append(None)
    return found


def check_service(text: str, allowed: list[str]) -> list[str]:
    """Raise unless every SERVICE endpoint of ``text`` is in ``allowed``; return the endpoints."""
    endpoints = service_endpoints(text)
    for url in endpoints:
        if url is None:
            raise QueryError("SERVICE with a variable endpoint is not allowed",
                             hint="name the endpoint and allow it with --allow-service URL")
        if url not in allowed:
            raise QueryError(f"SERVICE <{url}> is not allowed: pmkg does not send requests to endpoints "
                             "nobody listed", hint=f"add --allow-service {url} if you trust it")
    return [u for u in endpoints if u]
