"""Wikidata: a SPARQL client (User-Agent, timeout, retries with back-off, on-disk cache) and the look-ups.

Look-ups use Wikidata's own properties, so the same queries run on
query.wikidata.org and on a local extract of the same shape:
``wdt:P6782`` (ROR id), ``wdt:P3153`` (Crossref funder id, without the
``10.13039/`` prefix), ``wdt:P17`` (country), ``wdt:P297`` (ISO 3166-1
alpha-2 code), ``rdfs:label`` / ``skos:altLabel``.  Values are bound with
``VALUES`` as RDF terms (escaped by rdflib), never pasted into the text.
"""

from __future__ import annotations

import hashlib
import json
import time
import urllib.error
from collections.abc import Callable, Iterable
from pathlib import Path

from rdflib import Literal
from SPARQLWrapper import JSON, POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import EndPointInternalError, SPARQLWrapperException

from pmkg import __version__
from pmkg.errors import PmkgError

ENTITY = "http://www.wikidata.org/entity/"
USER_AGENT = f"pmkg/{__version__} (precision-medicine knowledge graph; registry linking)"
PREFIXES = ("PREFIX wdt: <http://www.wikidata.org/prop/direct/>\n"
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
            "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n")
BATCH = 50


class EndpointError(PmkgError):
    """The Wikidata endpoint could not answer (unreachable, too slow, an HTTP error, an empty or bad body)."""


class _Retryable(Exception):
    pass


def qid_of(iri: str) -> str:
    return iri.rsplit("/", 1)[-1]


class WikidataClient:
    """SELECT queries to one SPARQL endpoint; results cached on disk by (endpoint, query)."""

    def __init__(self, endpoint: str, *, timeout: float = 20.0, retries: int = 2, backoff: float = 1.0,
                 cache_dir: Path | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        if not endpoint.startswith(("http://", "https://")):
            raise EndpointError(f"endpoint '{endpoint}' is not an http(s) URL")
        self.endpoint, self.timeout, self.retries, self.backoff = endpoint, timeout, retries, backoff
        self.cache_dir, self.sleep = cache_dir, sleep
        self.calls = 0  # requests actually sent (cache hits excluded)

    def _cache_file(self, query: str) -> Path | None:
        if self.cache_dir is None:
            return None
        key = hashlib.sha256(f"{self.endpoint}\n{query}".encode()).hexdigest()
        return self.cache_dir / f"{key}.json"

    def select(self, query: str) -> list[dict[str, str]]:
        """Rows as {variable: value}; EndpointError after the retries are spent."""
        cached = self._cache_file(query)
        if cached and cached.is_file():
            return json.loads(cached.read_text(encoding="utf-8"))
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                rows = self._call(query)
            except _Retryable as exc:
                last = str(exc)
                continue
            if cached:
                cached.parent.mkdir(parents=True, exist_ok=True)
                cached.write_text(json.dumps(rows), encoding="utf-8")
            return rows
        tries = self.retries + 1
        raise EndpointError(f"Wikidata endpoint {self.endpoint}: {last} ({tries} attempt{'s' * (tries > 1)})")

    def _call(self, query: str) -> list[dict[str, str]]:
        self.calls += 1
        client = SPARQLWrapper(self.endpoint, agent=USER_AGENT)
        client.setQuery(query)
        client.setMethod(POST)
        client.setReturnFormat(JSON)
        client.setTimeout(max(1, round(self.timeout)))
        try:
            body = client.query().response.read()
        except EndPointInternalError as exc:
            raise _Retryable("answered HTTP 500 Internal Server Error") from exc
        except SPARQLWrapperException as exc:
            raise EndpointError(f"Wikidata endpoint {self.endpoint} refused the query: "
                                f"{str(exc).splitlines()[0]}") from exc
        except urllib.error.HTTPError as exc:
            if exc.code >= 500 or exc.code == 429:
                raise _Retryable(f"answered HTTP {exc.code} {exc.reason}") from exc
            raise EndpointError(f"Wikidata endpoint {self.endpoint} answered HTTP {exc.code} {exc.reason}") from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise _Retryable(f"no answer within {self.timeout:g} s") from exc
            raise _Retryable(f"cannot connect ({exc.reason})") from exc
        except TimeoutError as exc:
            raise _Retryable(f"no answer within {self.timeout:g} s") from exc
        except OSError as exc:
            raise _Retryable(f"connection failed ({type(exc).__name__}: {exc})") from exc
        if not body.strip():
            raise EndpointError(f"Wikidata endpoint {self.endpoint} answered with an empty body")
        try:
            data = json.loads(body)
            return [{k: v["value"] for k, v in b.items()} for b in data["results"]["bindings"]]
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise EndpointError(f"Wikidata endpoint {self.endpoint} did not answer with SPARQL JSON results") from exc

    # -- look-ups ---------------------------------------------------------
    def _batched(self, template: str, terms: list[str]) -> list[dict[str, str]]:
        rows: list[dict[str, str]] = []
        for i in range(0, len(terms), BATCH):
            rows += self.select(PREFIXES + template.replace("%VALUES%", " ".join(terms[i:i + BATCH])))
        return rows

    def items_by_property(self, prop: str, values: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
        """value -> [(QID, English label)] of the items whose ``wdt:<prop>`` is that string."""
        terms = [Literal(v).n3() for v in sorted(set(values))]
        rows = self._batched("SELECT ?item ?value ?label WHERE { VALUES ?value { %VALUES% } "
                             f"?item wdt:{prop} ?value . "
                             "OPTIONAL { ?item rdfs:label ?label FILTER(LANG(?label) = \"en\") } }", terms)
        out: dict[str, list[tuple[str, str]]] = {}
        for r in rows:
            pair = (qid_of(r["item"]), r.get("label", ""))
            if pair not in out.setdefault(r["value"], []):
                out[r["value"]].append(pair)
        return out

    def items_by_name(self, names: Iterable[str]) -> dict[str, list[tuple[str, str, str | None, str]]]:
        """English name -> [(QID, English label, country ISO code or None, 'label'|'alias')]."""
        terms = [Literal(n, lang="en").n3() for n in sorted(set(names))]
        rows = self._batched(
            "SELECT ?item ?name ?label ?iso ?how WHERE { VALUES ?name { %VALUES% } "
            "{ ?item rdfs:label ?name BIND(\"label\" AS ?how) } UNION { ?item skos:altLabel ?name "
            "BIND(\"alias\" AS ?how) } OPTIONAL { ?item rdfs:label ?label FILTER(LANG(?label) = \"en\") } "
            "OPTIONAL { ?item wdt:P17 ?country . ?country wdt:P297 ?iso } }", terms)
        out: dict[str, list[tuple[str, str, str | None, str]]] = {}
        for r in rows:
            hit = (qid_of(r["item"]), r.get("label", ""), r.get("iso"), r.get("how", "label"))
            if hit not in out.setdefault(r["name"], []):
                out[r["name"]].append(hit)
        return out
