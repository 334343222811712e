"""Remote SPARQL 1.1 endpoints through SPARQLWrapper."""

from __future__ import annotations

import http.client
import json
import os
import socket
import urllib.error

from SPARQLWrapper import JSON, POST, SELECT, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from pmkg import __version__
from pmkg.errors import QueryError
from pmkg.query import Result, Value

USER_AGENT = f"pmkg/{__version__} (precision-medicine knowledge graph)"


def default_timeout() -> float:
    """Seconds to wait for an endpoint: ``PMKG_TIMEOUT`` or 30."""
    text = os.environ.get("PMKG_TIMEOUT", "")
    try:
        value = float(text) if text else 30.0
    except ValueError:
        raise QueryError(f"PMKG_TIMEOUT='{text}' is not a number of seconds") from None
    if not 0 < value < 86400:
        raise QueryError(f"PMKG_TIMEOUT='{text}' must be between 0 and 86400 seconds")
    return value


class EndpointBackend:
    """Runs queries on a SPARQL endpoint; errors become one clear QueryError."""

    def __init__(self, url: str, timeout: float | None = None) -> None:
        if not url.startswith(("http://", "https://")):
            raise QueryError(f"endpoint '{url}' is not an http(s) URL")
        self.url = url
        self.timeout = timeout if timeout is not None else default_timeout()

    def _call(self, text: str) -> dict:
        client = SPARQLWrapper(self.url, agent=USER_AGENT)
        client.setQuery(text)
        # SPARQLWrapper guesses the type from the text, but its comment stripping skips every other line of a
        # comment block, so a '#+' header mentioning 'add' or 'load' was sent as an update; SELECT and ASK
        # are both sent as `query=` with the JSON Accept header.
        client.queryType = SELECT
        client.setMethod(POST)
        client.setReturnFormat(JSON)
        client.setTimeout(max(1, round(self.timeout)))
        try:
            response = client.query()
            body = response.response.read()
        except urllib.error.HTTPError as exc:
            raise QueryError(f"endpoint {self.url} answered HTTP {exc.code} {exc.reason}") from exc
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, socket.timeout | TimeoutError):
                raise QueryError(f"endpoint {self.url} did not answer within {self.timeout:g} s") from exc
            raise QueryError(f"cannot reach endpoint {self.url}: {reason}") from exc
        except TimeoutError as exc:
            raise QueryError(f"endpoint {self.url} did not answer within {self.timeout:g} s") from exc
        except SPARQLWrapperException as exc:
            raise QueryError(f"endpoint {self.url} refused the query: {(str(exc).splitlines() or [''])[0]}") from exc
        except http.client.HTTPException as exc:  # RemoteDisconnected, IncompleteRead, BadStatusLine …
            raise QueryError(f"endpoint {self.url} closed the connection without a complete answer "
                             f"({type(exc).__name__})") from exc
        except OSError as exc:  # connection reset, refused, …
            raise QueryError(f"cannot reach endpoint {self.url}: {exc.strerror or exc}") from exc
        if not body:
            raise QueryError(f"endpoint {self.url} answered 200 with an empty body")
        try:
            data = json.loads(body)
        except (ValueError, RecursionError) as exc:  # not JSON, not UTF-8, or absurdly nested
            raise QueryError(f"endpoint {self.url} did not answer with SPARQL JSON results") from exc
        if not isinstance(data, dict):
            raise QueryError(f"endpoint {self.url} answered JSON that is not SPARQL results (not an object)")
        return data

    def select(self, text: str) -> Result:
        data = self._call(text)
        head, results = data.get("head"), data.get("results")
        columns = head.get("vars") if isinstance(head, dict) else None
        bindings = results.get("bindings") if isinstance(results, dict) else None
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns) \
                or not isinstance(bindings, list):
            raise QueryError(f"endpoint {self.url}: expected SELECT results (head.vars and results.bindings)")
        rows = []
        for number, row in enumerate(bindings, start=1):
            if not isinstance(row, dict):
                raise QueryError(f"endpoint {self.url}: result row {number} is not a JSON object")
            rows.append([self._value(row.get(c), number, c) for c in columns])
        return Result(columns, rows)

    def ask(self, text: str) -> bool:
        data = self._call(text)
        if not isinstance(data.get("boolean"), bool):
            raise QueryError(f"endpoint {self.url}: expected an ASK answer (a JSON boolean)")
        return data["boolean"]

    def _value(self, binding: object, row: int, column: str) -> Value | None:
        """One RDF term of the SPARQL 1.1 JSON results format; anything else is a clear error."""
        if binding is None:
            return None
        kind = binding.get("type") if isinstance(binding, dict) else None
        value = binding.get("value") if isinstance(binding, dict) else None
        if kind not in ("uri", "literal", "typed-literal", "bnode") or not isinstance(value, str):
            raise QueryError(f"endpoint {self.url}: row {row}, ?{column} is not an RDF term "
                             "(needs \"type\" uri/literal/bnode and a string \"value\")")
        if kind == "uri":
            return Value(value, is_iri=True)
        datatype = binding.get("datatype")
        return Value(value, datatype=datatype if isinstance(datatype, str) else None)
