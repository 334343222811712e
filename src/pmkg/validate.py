"""Stage 4: SHACL validation with pySHACL, reported as ``file:line id: message``.

pySHACL is given a plain in-memory rdflib graph (DESIGN.md: an Oxigraph-backed
store makes pySHACL's emptiness checks full COUNTs).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.term import Node

from pmkg.errors import Problem
from pmkg.map import Mapped

SH = Namespace("http://www.w3.org/ns/shacl#")
FIELD_OF_PATH = {  # SHACL result path -> YAML field, for the line number
    "locatedIn": "located_in", "url": "website", "foundingDate": "founded", "issuedBy": "issued_by",
    "issued": "issued", "participant": "participants", "collaborationKind": "collaboration_kind",
    "count": "count", "measure": "measure", "label": "label", "subOrganisationOf": "parent",
}


@dataclass
class ShaclReport:
    violations: list[Problem]
    warnings: list[Problem]


def load_shapes(path: Path) -> Graph:
    return Graph().parse(path, format="turtle")


def _path_name(path: Node | None) -> str | None:
    if isinstance(path, URIRef):
        text = str(path)
        return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    return None


def _locate(focus: Node, path: Node | None, mapped: Mapped) -> tuple[str | None, int | None, str | None]:
    origin = mapped.origins.get(focus)  # type: ignore[arg-type]
    if origin is None:  # a node without an id (citation, figure …): find a triple about it
        for triples in mapped.graphs.values():
            for t in triples:
                if t[0] == focus:
                    origin = mapped.triple_origins.get(t)
                    break
            if origin:
                break
    if origin is None:
        return None, None, str(focus)
    name = FIELD_OF_PATH.get(_path_name(path) or "")
    line = origin.field_lines.get(name, origin.line) if name else origin.line
    return origin.file, line, origin.record_id


Result = tuple[Node, str | None, str, str]  # focus node, result path, message, severity IRI


def shacl_results(data: Graph, shapes: Graph) -> list[Result]:
    """pySHACL's top-level results only: the ``sh:result`` of the report, not the results nested
    under ``sh:detail`` (a mistyped date would otherwise count twice, once without a YAML line)."""
    from pyshacl import validate as shacl_validate

    _conforms, results, _text = shacl_validate(
        data, shacl_graph=shapes, inference="none", allow_warnings=True, abort_on_first=False)
    out: list[Result] = []
    for report in results.subjects(RDF.type, SH.ValidationReport):
        for result in results.objects(report, SH.result):
            path = results.value(result, SH.resultPath)
            out.append((results.value(result, SH.focusNode), str(path) if isinstance(path, URIRef) else None,
                        str(results.value(result, SH.resultMessage) or "violates a shape"),
                        str(results.value(result, SH.resultSeverity))))
    return out


def from_results(results: list[Result], mapped: Mapped) -> ShaclReport:
    """Problems located at their YAML lines, violations apart from warnings, sorted and de-duplicated."""
    violations: list[Problem] = []
    warnings: list[Problem] = []
    for focus, path_text, message, severity in results:
        path = URIRef(path_text) if path_text else None
        file, line, rid = _locate(focus, path, mapped)
        prop = _path_name(path)
        problem = Problem(f"{message} [{prop}]" if prop else message, file, line, rid)
        (violations if severity == str(SH.Violation) else warnings).append(problem)
    key = lambda p: (p.file or "", p.line or 0, p.message)  # noqa: E731
    return ShaclReport(sorted(set(violations), key=key), sorted(set(warnings), key=key))


def validate_graph(data: Graph, shapes: Graph, mapped: Mapped) -> ShaclReport:
    """Validate ``data`` (data + ontology + inferred) and map results to YAML lines."""
    return from_results(shacl_results(data, shapes), mapped)
