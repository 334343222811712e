"""The build: load -> map -> reason -> validate -> write (DESIGN.md data flow).

``build()`` runs every stage, timing each, and reports progress through an
optional callback so that library code never prints.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rdflib import RDF, Graph, URIRef

from pmkg import __version__
from pmkg.errors import Problem, ValidationFailed
from pmkg.load import KG, load_kg
from pmkg.map import Mapped, map_kg
from pmkg.materialise import materialise
from pmkg.namespaces import INFERRED_GRAPH, ONTOLOGY_GRAPH
from pmkg.reason import reason
from pmkg.store import Quad, write_dist
from pmkg.validate import load_shapes, validate_graph

STAGES = ("load", "map", "reason", "validate", "write")
Progress = Callable[[str], None]


@dataclass
class Paths:
    """Where the build reads and writes; defaults are the project layout."""

    root: Path = field(default_factory=Path.cwd)
    kg: Path | None = None
    ontology: Path | None = None
    shapes: Path | None = None
    dist: Path | None = None
    imports: Path | None = None

    def __post_init__(self) -> None:
        self.kg = self.kg or self.root / "kg"
        self.ontology = self.ontology or self.root / "ontology" / "pmkg.ttl"
        self.shapes = self.shapes or self.root / "ontology" / "shapes.ttl"
        self.dist = self.dist or self.root / "dist"
        self.imports = self.imports or self.root / "imports"


@dataclass
class BuildResult:
    kg: KG
    mapped: Mapped
    inferred: set
    warnings: list[Problem]
    timings: dict[str, float]
    quads: list[Quad]
    summary: dict


def input_fingerprint(paths: Paths) -> str:
    """Hash of everything the build reads, to tell whether ``dist/`` is stale."""
    digest = hashlib.sha256(__version__.encode())
    files = [*sorted(paths.kg.rglob("*.yaml")), paths.ontology, paths.shapes]
    for path in files:
        digest.update(str(path.relative_to(paths.root) if path.is_relative_to(paths.root) else path).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _summary(kg: KG, quads: list[Quad], inferred: set, warnings: list[Problem]) -> dict:
    classes: Counter[str] = Counter()
    typed = {(s, o) for s, p, o, g in quads if p == RDF.type and g != ONTOLOGY_GRAPH}
    for _s, o in typed:
        classes[_curie(o)] += 1
    per_source: Counter[str] = Counter()
    for _s, _p, _o, g in quads:
        if g not in (ONTOLOGY_GRAPH, INFERRED_GRAPH):
            per_source[str(g).rsplit("/", 1)[-1]] += 1
    records: Counter[str] = Counter(r.kind for r in kg.records)
    return {"records": dict(sorted(records.items())), "classes": dict(sorted(classes.items())),
            "triples_per_source": dict(sorted(per_source.items())),
            "triples": len({q[:3] for q in quads if q[3] != ONTOLOGY_GRAPH}),
            "inferred": len(inferred), "warnings": len(warnings)}


def _curie(iri: URIRef) -> str:
    text = str(iri)
    for prefix, ns in (("pm:", "https://w3id.org/pmkg/ontology#"), ("foaf:", "http://xmlns.com/foaf/0.1/"),
                       ("org:", "http://www.w3.org/ns/org#"), ("skos:", "http://www.w3.org/2004/02/skos/core#"),
                       ("rdf:", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"), ("prov:", "http://www.w3.org/ns/prov#"),
                       ("schema:", "https://schema.org/"), ("bibo:", "http://purl.org/ontology/bibo/")):
        if text.startswith(ns):
            return prefix + text[len(ns):]
    return text


def build(paths: Paths, *, write: bool = True, run_reasoner: bool = True,
          progress: Progress | None = None) -> BuildResult:
    """Run the pipeline; raise InputError / ValidationFailed with every problem found."""
    note = progress or (lambda _stage: None)
    timings: dict[str, float] = {}

    def timed(stage: str, func, *args):  # noqa: ANN001 - tiny local helper
        note(stage)
        start = time.perf_counter()
        value = func(*args)
        timings[stage] = time.perf_counter() - start
        return value

    kg = timed("load", load_kg, paths.kg)
    ontology = Graph().parse(paths.ontology, format="turtle")
    mapped = timed("map", map_kg, kg)
    inferred: set = set()
    if run_reasoner:
        inferred, _ = timed("reason", reason, ontology, mapped)
    inferred |= timed("materialise", materialise, [*ontology, *(q[:3] for q in mapped.quads()), *inferred])
    shapes = load_shapes(paths.shapes)

    def union() -> Graph:
        g = Graph()
        for t in ontology:
            g.add(t)
        for part in (mapped.graphs, mapped.provenance):
            for triples in part.values():
                for t in triples:
                    g.add(t)
        for t in inferred:
            g.add(t)
        return g

    data = union()
    report = timed("validate", validate_graph, data, shapes, mapped)
    if report.violations:
        raise ValidationFailed(f"{len(report.violations)} SHACL violation(s)", problems=report.violations)
    quads: list[Quad] = list(mapped.quads())
    quads += [(*t, INFERRED_GRAPH) for t in sorted(inferred)]
    quads += [(s, p, o, ONTOLOGY_GRAPH) for s, p, o in ontology]
    summary = _summary(kg, quads, inferred, report.warnings)
    if write:
        manifest = {"version": __version__, "built": datetime.now(UTC).isoformat(timespec="seconds"),
                    "fingerprint": input_fingerprint(paths), "reasoned": run_reasoner,
                    "warnings": [str(w) for w in report.warnings], "summary": summary,
                    "timings": {k: round(v, 3) for k, v in timings.items()}}
        timed("write", write_dist, paths.dist, quads, ontology, manifest, paths.imports)
    return BuildResult(kg, mapped, inferred, report.warnings, timings, quads, summary)

