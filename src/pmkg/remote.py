"""Remote SPARQL 1.1 endpoints through SPARQLWrapper."""

from __future__ import annotations

import json
import socket
import urllib.error

from SPARQLWrapper import JSON, POST, SELECT, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from pmkg import __version__
from pmkg.errors import QueryError
from pmkg.query import Result, Value

USER_AGENT = f"pmkg/{__version__} (precision-medicine knowledge graph)"


class EndpointBackend:
    """Runs queries on a SPARQL endpoint; errors become one clear QueryError."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise QueryError(f"endpoint '{url}' is not an http(s) URL")
        self.url = url
        self.timeout = timeout

    def _call(self, text: str) -> dict:
        client = SPARQLWrapper(self.url, agent=USER_AGENT)
        client.setQuery(text)
        # SPARQLWrapper guesses the type from the text, but its comment stripping skips every other line of a
        # comment block, so a '#+' header mentioning 'add' or 'load' was sent as an update; SELECT and ASK
        # are both sent as `query=` with the JSON Accept header.
        client.queryType = SELECT
        client.setMethod(POST)
        client.setReturnFormat(JSON)
        client.setTimeout(int(self.timeout))
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
            raise QueryError(f"endpoint {self.url} refused the query: {str(exc).splitlines()[0]}") from exc
        if not body:
            raise QueryError(f"endpoint {self.url} answered 200 with an empty body")
        try:
            return json.loads(body)
        except json.JSONDecodeError as exc:
            raise QueryError(f"endpoint {self.url} did not answer with SPARQL JSON results") from exc

    def select(self, text: str) -> Result:
        data = self._call(text)
        if "results" not in data:
            raise QueryError(f"endpoint {self.url}: expected SELECT results")
        columns = data.get("head", {}).get("vars", [])
        rows = [[_value(b.get(c)) for c in columns] for b in data["results"]["bindings"]]
        return Result(columns, rows)

    def ask(self, text: str) -> bool:
        data = self._call(text)
        if "boolean" not in data:
            raise QueryError(f"endpoint {self.url}: expected an ASK answer")
        return bool(data["boolean"])


def _value(binding: dict | None) -> Value | None:
    if binding is None:
        return None
    if binding["type"] == "uri":
        return Value(binding["value"], is_iri=True)
    return Value(binding["value"], datatype=binding.get("datatype"))
