"""Running SPARQL: parameters bound as RDF terms, embedded Oxigraph or a remote endpoint.

Parameters never reach the query text as raw strings: each value is checked
against its declared type and turned into an RDF term (IRI, typed literal),
serialised by pyoxigraph with its escaping, and bound through a ``VALUES`` block
placed at the top of the outermost ``WHERE`` group.  Unset optional
parameters are ``UNDEF``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import product
from typing import NamedTuple, Protocol

import pyoxigraph as ox

from pmkg.catalogue import Param, QuerySpec, example_cases
from pmkg.errors import QueryError
from pmkg.ids import ID, SEGMENT_KIND

MAX_VALUE_LENGTH = 500
IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
PREFIXES = {
    "pm": "https://w3id.org/pmkg/ontology#", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#", "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#", "org": "http://www.w3.org/ns/org#",
    "schema": "https://schema.org/", "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
}
XSD = "http://www.w3.org/2001/XMLSchema#"
Term = ox.NamedNode | ox.Literal  # pyoxigraph's terms: rdflib costs ~0.16 s of imports at every `pmkg query`


class Value(NamedTuple):
    """One result cell: its text, whether it is an IRI, and its datatype.

    A named tuple, not a frozen dataclass: a large result makes one per cell, and a frozen dataclass
    costs more to create (its ``__init__`` sets each field through ``object.__setattr__``; measured
    from pyoxigraph terms: 1.11 against 0.73 us a cell)."""

    text: str
    is_iri: bool = False
    datatype: str | None = None

    @property
    def number(self) -> int | float | None:
        if self.datatype and self.datatype.startswith(XSD):
            local = self.datatype[len(XSD):]
            try:
                if local in ("integer", "int", "long", "nonNegativeInteger"):
                    return int(self.text)
                if local in ("decimal", "double", "float"):
                    return float(self.text)
            except ValueError:
                return None
        return None


@dataclass
class Result:
    columns: list[str]
    rows: list[list[Value | None]]
    notice: str | None = None

    def records(self) -> list[dict[str, str | None]]:
        return [{c: (v.text if v else None) for c, v in zip(self.columns, row, strict=True)} for row in self.rows]


class Backend(Protocol):
    def select(self, text: str) -> Result: ...
    def ask(self, text: str) -> bool: ...


class EmbeddedBackend:
    """pyoxigraph store; the default graph is the union of the named graphs."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store

    def _run(self, text: str):
        try:
            return self.store.query(text, use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise QueryError(f"SPARQL syntax error: {exc}") from exc
        except OSError as exc:
            raise _failure(text, exc) from exc

    def select(self, text: str) -> Result:
        solutions = self._run(text)
        if isinstance(solutions, bool) or not hasattr(solutions, "variables"):
            raise QueryError("expected a SELECT query")
        columns = [v.value for v in solutions.variables]
        try:  # Oxigraph evaluates lazily: a SERVICE call fails while the rows are read
            # a solution iterates its values in the order of the variables (None when unbound);
            # by position, not by name: reading a cell by name costs more than the query on large results
            rows = [[_from_ox(term) for term in sol] for sol in solutions]
        except OSError as exc:
            raise _failure(text, exc) from exc
        return Result(columns, rows)

    def ask(self, text: str) -> bool:
        return bool(self._run(text))


def _failure(text: str, exc: OSError) -> QueryError:
    """One line for a query that failed on I/O: a SERVICE endpoint that cannot be reached is named."""
    from pmkg.service import service_endpoints

    endpoints = [url for url in service_endpoints(text) if url]
    if not endpoints:
        return QueryError(f"query failed: {exc}")
    named = ", ".join(f"<{url}>" for url in dict.fromkeys(endpoints))
    return QueryError(f"the SPARQL endpoint {named} that the query calls (SERVICE) is unreachable: {exc}",
                      hint="this query needs the network; the other canned queries run offline")


def _from_ox(term: ox.NamedNode | ox.Literal | ox.BlankNode | None) -> Value | None:
    if term is None:
        return None
    kind = type(term)  # exact classes: pyoxigraph's terms are final, and isinstance costs more per cell
    if kind is ox.NamedNode:
        return Value(term.value, True)
    if kind is ox.Literal:
        datatype = term.datatype
        return Value(term.value, False, datatype.value if datatype is not None else None)
    return Value(str(term))


def term_text(term: Term) -> str:
    """SPARQL text of an RDF term, always on one line: IRIs checked, literals fully escaped.

    pyoxigraph writes a term in its N-Triples form: a literal short-quoted with every quote,
    backslash, line break and control character escaped, so a value cannot end the literal.
    """
    if isinstance(term, ox.NamedNode):
        if IRI_FORBIDDEN.search(term.value):
            raise QueryError(f"{shown(term.value)} is not a valid IRI")
        return f"<{term.value}>"
    if not isinstance(term, ox.Literal):
        raise QueryError(f"{shown(str(term))} cannot be a parameter value")
    return str(term)


def iri(text: str) -> ox.NamedNode:
    """An IRI term; one that is not a valid IRI is a QueryError (a one-line message)."""
    if IRI_FORBIDDEN.search(text):
        raise QueryError(f"{shown(text)} is not a valid IRI")
    try:
        return ox.NamedNode(text)
    except ValueError as exc:
        raise QueryError(f"{shown(text)} is not a valid IRI ({exc})") from exc


def literal(value: str, datatype: str | None = None) -> ox.Literal:
    """A plain (xsd:string) literal, or one of an XML Schema datatype named by its local name."""
    return ox.Literal(value, datatype=ox.NamedNode(XSD + datatype)) if datatype else ox.Literal(value)


def shown(raw: str, limit: int = 60) -> str:
    """A user's value as it may appear in a one-line message: quoted, escaped, truncated."""
    text = raw if len(raw) <= limit else raw[:limit] + "…"
    return repr(text)


def _check_text(param: Param, raw: str) -> str:
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise QueryError(f"--param {param.name}: value is not valid UTF-8 text") from exc
    if len(raw) > MAX_VALUE_LENGTH:
        raise QueryError(f"--param {param.name}: value is {len(raw)} characters; at most {MAX_VALUE_LENGTH}")
    if "\x00" in raw:
        raise QueryError(f"--param {param.name}: value contains a NUL character")
    return raw


def _known_value(param: Param, raw: str) -> str:
    """A string parameter with listed ``values``: a listed value in any case becomes the listed spelling
    (``WoS`` -> ``wos``); a value ending in ':' is a prefix (``imported:`` takes ``imported:<id>``);
    anything else fails with the allowed values instead of silently matching nothing."""
    values = [str(v) for v in (param.values or [])]
    if not values:
        return raw
    for value in values:
        if value.endswith(":") and raw.lower().startswith(value.lower()) and len(raw) > len(value):
            return value + raw[len(value):]
        if raw.lower() == value.lower():
            return value
    shown_values = ", ".join(v + "<…>" if v.endswith(":") else v for v in values)
    raise QueryError(f"--param {param.name}: {shown(raw)} is not one of {shown_values}")


def _expand(curie: str) -> ox.NamedNode:
    prefix, _, local = curie.partition(":")
    if prefix in PREFIXES and not curie.startswith("http"):
        return iri(PREFIXES[prefix] + local)
    return iri(curie)


def to_term(param: Param, raw: str, backend: Backend) -> Term:
    """Check ``raw`` against the parameter's type and make it an RDF term."""
    raw = _check_text(param, raw).strip()
    kind = param.type
    if kind == "string":
        return literal(_known_value(param, raw))
    if kind in ("integer", "year"):
        if not re.fullmatch(r"[+-]?\d{1,9}", raw):
            what = "a year" if kind == "year" else "an integer"
            raise QueryError(f"--param {param.name}: {shown(raw)} is not {what}")
        value = int(raw)
        if kind == "year" and not 1000 <= value <= 2999:
            raise QueryError(f"--param {param.name}: {value} is not a plausible year")
        if kind == "integer" and value < 0:
            raise QueryError(f"--param {param.name}: must not be negative")
        return literal(str(value), "integer")
    if kind == "boolean":
        low = raw.lower()
        if low not in ("true", "false", "yes", "no", "1", "0"):
            raise QueryError(f"--param {param.name}: {shown(raw)} is not true or false")
        return literal("true" if low in ("true", "yes", "1") else "false", "boolean")
    if kind == "date":
        if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", raw):
            raise QueryError(f"--param {param.name}: {shown(raw)} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
        return literal(raw)
    if kind == "enum":
        values = param.values or []
        keys = list(values)
        match = next((k for k in keys if str(k).lower() == raw.lower()), None)
        if match is None:
            raise QueryError(f"--param {param.name}: {shown(raw)} is not one of {', '.join(map(str, keys))}")
        return _expand(values[match]) if isinstance(values, dict) else literal(str(match))
    return resolve_entity(param, raw, backend)


def _kind_prefixes(param: Param) -> list[str]:
    if "any" in param.kinds:
        return [f"{ID}{seg}/" for seg in SEGMENT_KIND]
    return [f"{ID}{k}/" for k in param.kinds]


def resolve_entity(param: Param, raw: str, backend: Backend) -> ox.NamedNode:
    """An id, an IRI, or a label/alias (case-insensitive); ambiguity is an error."""
    prefixes = _kind_prefixes(param)
    if raw.startswith(("http://", "https://")):
        if IRI_FORBIDDEN.search(raw):
            raise QueryError(f"--param {param.name}: {shown(raw)} is not a valid IRI")
        given = iri(raw)
        if not backend.ask(f"ASK {{ {{ {term_text(given)} ?p ?o }} UNION {{ ?s ?p {term_text(given)} }} }}"):
            raise QueryError(f"--param {param.name}: no resource {raw} in the graph")
        return given
    if SLUG_RE.match(raw):
        for prefix in prefixes:
            candidate = iri(prefix + raw)
            if backend.ask(f"ASK {{ {term_text(candidate)} a ?type }}"):
                return candidate
    label = literal(raw.lower())
    filters = " || ".join(f"STRSTARTS(STR(?e), {term_text(literal(p))})" for p in prefixes)
    keyed = not UNKEYED_KINDS & set(param.kinds)
    found = backend.select(_by_name(NAME_KEY_MATCH, label, filters)).rows if keyed else []
    if not found:  # a store or endpoint without the materialised keys: every name lower-cased
        found = backend.select(_by_name(NAME_SCAN_MATCH, label, filters)).rows
    if not found:
        what = "/".join(param.kinds)
        raise QueryError(f"--param {param.name}: no {what} with id, label or alias {shown(raw)}",
                         hint=did_you_mean(backend, raw, param.kinds))
    if len(found) > 1:
        cands = "; ".join(f"{_slug(r[0].text)} ({r[1].text if r[1] else ''})" for r in found[:10])
        raise QueryError(f"--param {param.name}: {shown(raw)} is ambiguous: {cands}", hint="pass the id instead")
    return iri(found[0][0].text)


# How a name given as a parameter is matched: the name keys materialised at build time (pm:nameKey:
# LCASE(STR(name)) of every rdfs:label and skos:altLabel, src/pmkg/materialise.py), one triple
# pattern; else the definition itself, every name in the graph lower-cased (~5 ms on the curated graph).
NAME_KEY_MATCH = "?e <https://w3id.org/pmkg/ontology#nameKey> ?wanted ."
# Kinds whose names are not all keyed: `pmkg import` adds an import's document and registry organisations
# (…/id/organisation/ror-…, with names) to the store after the build's materialise step.
UNKEYED_KINDS = {"any", "document", "organisation"}
NAME_SCAN_MATCH = "?e rdfs:label|skos:altLabel ?name . FILTER(LCASE(STR(?name)) = ?wanted)"


def _by_name(match: str, label: ox.Literal, filters: str) -> str:
    return (
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
        f"SELECT DISTINCT ?e (SAMPLE(?l) AS ?label) WHERE {{ VALUES ?wanted {{ {term_text(label)} }} {match} "
        f"FILTER({filters}) OPTIONAL {{ ?e rdfs:label ?l FILTER(LANG(?l) = 'en') }} }} GROUP BY ?e ORDER BY ?e"
    )


def did_you_mean(backend: Backend, raw: str, kinds: tuple[str, ...]) -> str:
    """The nearest ids and names of the wanted kinds, as a hint; the search itself is `pmkg search`."""
    from pmkg.search import suggest
    try:
        hits = suggest(backend, raw, kinds)
    except QueryError:
        hits = []
    if not hits:
        return f"`pmkg search {shown(raw, 40)}` finds entities by any part of their names"
    names = "; ".join(f"{h.id} ({h.label})" for h in hits)
    return f"did you mean: {names}? (`pmkg search TEXT` finds more)"


def _slug(iri: str) -> str:
    return iri[len(ID):] if iri.startswith(ID) else iri


def bind(spec: QuerySpec, given: dict[str, str | list[str]],
         backend: Backend) -> dict[str, Term | list[Term] | None]:
    """Typed RDF terms for every parameter of ``spec`` (defaults applied); a parameter declared
    ``multiple`` may be given a list of values, which binds a list of terms."""
    names = {p.name for p in spec.params}
    for name in given:
        if name not in names:
            spec.param(name)  # raises with the list of known parameters
    bound: dict[str, Term | list[Term] | None] = {}
    for p in spec.params:
        raw = given.get(p.name, p.default)
        if isinstance(raw, list):
            values = list(dict.fromkeys(v for v in raw if v != ""))
            if len(values) > 1 and not p.multiple:
                raise QueryError(f"--param {p.name}: takes one value, {len(values)} were given")
            if len(values) > 1:
                bound[p.variable] = [to_term(p, v, backend) for v in values]
                continue
            raw = values[0] if values else None
        if raw is None or raw == "":
            if p.required:
                raise QueryError(f"query '{spec.name}' needs --param {p.name}=…",
                                 hint=f"example: --param {p.name}={p.example}")
            bound[p.variable] = None
            continue
        bound[p.variable] = to_term(p, str(raw), backend)
    return bound


WHERE_RE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)


BIND_MARKER = re.compile(r"^[ \t]*# pmkg:bind-params[ \t]*$", re.MULTILINE)


def render(spec: QuerySpec, bound: dict[str, Term | list[Term] | None]) -> str:
    """The query text with a VALUES block of the bound terms in its outermost WHERE.

    A subquery does not see the outer VALUES (SPARQL evaluates it first); one that
    needs the parameters says so with a line ``# pmkg:bind-params``, which is
    replaced by the same VALUES block.  A list of terms (a ``multiple`` parameter) makes
    one row per value (per combination, for several lists): the rows matching any value.
    """
    if not bound:
        return spec.text
    text = fold_unset(spec.text, bound)
    match = WHERE_RE.search(_strip_comments(text))
    if match is None:
        raise QueryError(f"query '{spec.name}' has no WHERE clause to bind parameters in")
    names = " ".join(f"?{v}" for v in bound)
    columns = [[term_text(x) for x in t] if isinstance(t, list) else [term_text(t) if t is not None else "UNDEF"]
               for t in bound.values()]
    rows = " ".join("(" + " ".join(row) + ")" for row in product(*columns))
    values = f"VALUES ({names}) {{ {rows} }}"
    text = text[: match.end()] + f"\n  {values}\n" + text[match.end():]
    return BIND_MARKER.sub(lambda m: m.group(0).replace("# pmkg:bind-params", values), text)


def fold_unset(text: str, bound: dict[str, Term | None]) -> str:
    """The unset test of each unset parameter (``STR(COALESCE(?__x, "")) = ""``, the form grlc can also
    serve, see :mod:`pmkg.grlc`) written as the constant it is, ``true`` (``!= ""``: ``false``).

    Only constants enter the text.  Oxigraph folds ``!BOUND`` of a variable that is never bound, not
    this test, and without the fold it sometimes evaluates the EXISTS beside it over every node.
    """
    for var, term in bound.items():
        if term is None:
            test = f'STR(COALESCE(?{var}, ""))'
            text = text.replace(test + ' = ""', "true").replace(test + ' != ""', "false")
    return text


def _strip_comments(text: str) -> str:
    """Blank out comments (keeping offsets) so a WHERE in a comment is not matched."""
    return re.sub(r"#[^\n]*", lambda m: " " * len(m.group(0)), text)


def run_query(spec: QuerySpec, given: dict[str, str | list[str]], backend: Backend) -> Result:
    bound = bind(spec, given, backend)
    result = backend.select(render(spec, bound))
    if spec.requires == "papers" and not result.rows:
        has_papers = backend.ask("ASK { ?p a <https://w3id.org/pmkg/ontology#Publication> }")
        if not has_papers:
            result.notice = ("No paper-level data is loaded: this question needs imported bibliographic "
                             "records (`pmkg import wos FILE`); the curated graph alone has none.")
    from pmkg.importers.notes import summary_notes

    notes = summary_notes(spec, _strip_comments(spec.text), given, backend)
    if notes:
        result.notice = " ".join([result.notice, *notes] if result.notice else notes)
    return result


@dataclass(frozen=True)
class RenderedCase:
    """One canned query case (its defaults, or one example) as ``pmkg query`` binds and renders it."""

    case: str
    spec: QuerySpec
    given: dict[str, str]
    bound: dict[str, Term | list[Term] | None]
    text: str


def rendered_examples(catalogue: dict[str, QuerySpec], backend: Backend) -> list[RenderedCase]:
    """Every query's defaults and each example, bound and rendered; an example naming data the graph
    lacks (an import, on the curated build) is left out.  Other engines are compared on these cases."""
    out = []
    for name, spec in catalogue.items():
        for label, given in example_cases(spec):
            try:
                bound = bind(spec, given, backend)
            except QueryError:
                continue
            out.append(RenderedCase(f"{name} {label}".strip(), spec, given, bound, render(spec, bound)))
    return out
