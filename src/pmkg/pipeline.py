"""The build: load -> map -> reason -> validate -> write (DESIGN.md data flow).

``build()`` runs every stage, timing each, and reports progress through an
optional callback so that library code never prints.

Reasoning and validation results are reused from the previous build when
exactly what they depend on is unchanged: the key of each is a SHA-256 over
the tool's version, the ontology (and shapes) files and every triple the tool
is given, in sorted N-Triples form, so any changed record that changes a
triple invalidates it.  A cached SHACL result is re-located to YAML lines with
the current records.  This module imports its heavy stages lazily, so the CLI
can ask for ``Paths`` and ``input_fingerprint`` without paying for rdflib.
"""

from __future__ import annotations

import functools
import hashlib
import heapq
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pmkg import __version__

if TYPE_CHECKING:
    from rdflib import Graph, URIRef

    from pmkg.errors import Problem
    from pmkg.load import KG
    from pmkg.map import Mapped, Triple
    from pmkg.store import Quad
    from pmkg.validate import ShaclReport

STAGES = ("load", "map", "reason", "validate", "materialise", "similarity", "write")
PARALLEL_MAX_TRIPLES = 300_000  # above this, HermiT and pySHACL run one after the other (peak memory)
Progress = Callable[[str], None]


def version(package: str) -> str:
    """An installed package's version (importlib.metadata costs ~0.07 s: imported only by the build)."""
    from importlib.metadata import version as installed
    return installed(package)


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
    """What a build made.  The inferred graph holds three kinds of triples, kept apart here:
    HermiT's types (``types``), the materialised place and topic facts (``materialised``) and the partner
    evidence (``evidence``); ``inferred`` is their union."""

    kg: KG | None  # None: the records are let go once mapped (at 100x the curated graph ~0.4 GB)
    mapped: Mapped
    types: set  # HermiT's inferred rdf:type triples (empty with --no-reason)
    materialised: set  # pm:withinPlace / pm:region / pm:withinTopic / pm:nameKey (materialise.py)
    evidence: set  # pm:PartnerEvidence nodes (similarity.py)
    warnings: list[Problem]
    timings: dict[str, float]
    summary: dict
    changes: dict | None = None  # what changed since the previous build (None: no previous build)
    cached: tuple[str, ...] = ()  # stages whose result was reused

    @property
    def inferred(self) -> set:
        """Everything in the inferred graph: types, materialised facts and partner evidence."""
        return self.types | self.materialised | self.evidence

    @property
    def quads(self) -> list[Quad]:
        """Every quad the build wrote (curated, provenance, inferred): made on demand, not kept."""
        from pmkg.namespaces import INFERRED_GRAPH
        return [*self.mapped.quads(), *((*t, INFERRED_GRAPH) for t in sorted(self.inferred))]


def _inputs(paths: Paths) -> list[Path]:
    return [*sorted(paths.kg.rglob("*.yaml")), paths.ontology, paths.shapes]


def _shown(path: Path, root: Path) -> str:
    return str(path.relative_to(root) if path.is_relative_to(root) else path)


def input_digests(paths: Paths) -> dict[str, str]:
    """SHA-256 of each input file, by its path relative to the project."""
    return {_shown(p, paths.root): hashlib.sha256(p.read_bytes()).hexdigest() for p in _inputs(paths)}


def input_fingerprint(paths: Paths) -> str:
    """Hash of everything the build reads, to tell whether ``dist/`` is stale."""
    digest = hashlib.sha256(__version__.encode())
    for path in _inputs(paths):
        digest.update(_shown(path, paths.root).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def _summary(records: Counter[str], mapped: Mapped, lines: Lines, parts: tuple[set, set, set],
             warnings: list[Problem]) -> dict:
    """Counts for build.json and the summary; ``parts`` are HermiT's types, the materialised facts
    and the partner evidence, counted apart (``inferred`` is the size of their union)."""
    types, facts, evidence = parts
    inferred = types | facts | evidence
    classes: Counter[str] = Counter()
    typed = {(s, o) for triples in (*mapped.graphs.values(), inferred) for s, p, o in triples
             if str.__eq__(p, RDF_TYPE)}
    for _s, o in typed:
        classes[_curie(o)] += 1
    per_source: Counter[str] = Counter()
    for g, graph_lines in (*lines.graphs.items(), *lines.provenance.items()):
        per_source[str(g).rsplit("/", 1)[-1]] += len(graph_lines)
    return {"records": dict(sorted(records.items())), "classes": dict(sorted(classes.items())),
            "triples_per_source": dict(sorted(per_source.items())),
            "triples": sum(1 for _line in unique_sorted(lines.all())),
            "inferred": len(inferred), "inferred_types": len(types), "materialised": len(facts),
            "partner_evidence": len(evidence), "warnings": len(warnings)}


SPILL_PROVENANCE_LINES = 400_000  # above this many reification lines, Lines keeps them in a temp file
PROVENANCE_PREDICATES = frozenset({"http://www.w3.org/1999/02/22-rdf-syntax-ns#subject",
                                   "http://www.w3.org/1999/02/22-rdf-syntax-ns#predicate",
                                   "http://www.w3.org/1999/02/22-rdf-syntax-ns#object",
                                   "https://w3id.org/pmkg/ontology#citation", RDF_TYPE})
RDF_STATEMENT = "http://www.w3.org/1999/02/22-rdf-syntax-ns#Statement"


@dataclass(frozen=True)
class Segment:
    """Sorted N-Triples lines kept in a file (``size`` bytes from ``offset``, one line each): iterated
    again and again like the list it stands for, never held whole."""

    path: Path
    offset: int
    size: int
    count: int

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[str]:
        if not self.size:
            return
        remaining = self.size
        with self.path.open("rb") as fh:
            fh.seek(self.offset)
            for raw in fh:
                yield raw[:-1].decode("utf-8")
                remaining -= len(raw)
                if remaining <= 0:
                    return


@dataclass
class Lines:
    """The N-Triples text of every triple, computed once: for the cache keys, the summary and dist/.

    The reification's lines (``provenance``, sorted, by graph) are lists, or - above
    :data:`SPILL_PROVENANCE_LINES` - :class:`Segment` s of a temp file, with ``provenance_all``
    the sorted, de-duplicated union of them all (for keys and counts); their triples are made again
    from ``mapped`` only where a stage reads them (:meth:`provenance_pairs`)."""

    graphs: dict[URIRef, list[str]]
    provenance: dict[URIRef, list[str] | Segment]
    inferred: list[str] = field(default_factory=list)
    blank: bool = False  # some triple has a blank node: no stable key
    pairs: dict[URIRef, tuple[list[Triple], list[str]]] = field(default_factory=dict)  # data graphs, unsorted
    mapped: Mapped | None = None
    provenance_all: Segment | None = None

    @classmethod
    def of(cls, mapped: Mapped) -> Lines:
        from rdflib import BNode

        from pmkg.store import nt_lines
        blank = any(isinstance(t, BNode) for part in (mapped.graphs.values(), (
            {t for t, _cite in entries} for entries in mapped.reified.values()))
            for ts in part for triple in ts for t in (triple[0], triple[2]))
        pairs = {g: (list(ts), nt_lines(ts)) for g, ts in mapped.graphs.items()}
        lines = cls({g: sorted(ls) for g, (_ts, ls) in pairs.items()}, {}, blank=blank, pairs=pairs,  # sorted: sets
                    mapped=mapped)
        each = ((g, sorted(nt_lines(mapped.provenance_triples(g)))) for g in mapped.reified)
        if 5 * sum(map(len, mapped.reified.values())) <= SPILL_PROVENANCE_LINES:
            lines.provenance = dict(each)
        else:
            lines._spill(each)
        return lines

    def _spill(self, graphs: Iterable[tuple[URIRef, list[str]]]) -> None:
        """Write each graph's sorted reification lines to a temp file (removed with this object), then
        their sorted union to another."""
        import shutil
        import tempfile
        import weakref

        from pmkg.store import write_sorted
        folder = Path(tempfile.mkdtemp(prefix=f"pmkg-lines-{os.getpid()}-"))
        weakref.finalize(self, shutil.rmtree, folder, True)
        path = folder / "by-graph.nt"
        with path.open("wb") as out:
            for g, graph_lines in graphs:
                data = "".join(f"{line}\n" for line in graph_lines).encode("utf-8")
                self.provenance[g] = Segment(path, out.tell(), len(data), len(graph_lines))
                out.write(data)
        union = folder / "all.nt"
        write_sorted((f"{line}\n" for segment in self.provenance.values() for line in segment), union, unique=True)
        self.provenance_all = Segment(union, 0, union.stat().st_size, sum(1 for _ in union.open("rb")))

    def data_pairs(self) -> Iterable[tuple[Triple, str]]:
        """Every curated data triple with its N-Triples line."""
        for ts, ls in self.pairs.values():
            yield from zip(ts, ls, strict=True)

    def provenance_pairs(self) -> Iterable[tuple[Triple, str]]:
        """Every reification triple with its line, made again from the mapped records graph by graph."""
        from pmkg.store import nt_lines
        for g in self.mapped.reified if self.mapped else ():
            ts = list(self.mapped.provenance_triples(g))
            yield from zip(ts, nt_lines(ts), strict=True)

    def all_pairs(self) -> Iterable[tuple[Triple, str]]:
        """Every curated triple (data and provenance) with its N-Triples line."""
        yield from self.data_pairs()
        yield from self.provenance_pairs()

    def data(self) -> list[list[str]]:
        return list(self.graphs.values())

    def curated(self) -> list[list[str] | Segment]:
        """The groups of lines of every curated triple, data and provenance (sorted groups)."""
        reified = [self.provenance_all] if self.provenance_all else list(self.provenance.values())
        return [*self.graphs.values(), *reified]

    def all(self) -> list[list[str] | Segment]:
        return [*self.curated(), self.inferred]

    def nquad_graphs(self) -> list[tuple[URIRef, list[str] | Segment]]:
        """(graph, sorted N-Triples lines) of every graph the build writes, the inferred one last."""
        from pmkg.namespaces import INFERRED_GRAPH
        return [*self.graphs.items(), *self.provenance.items(), (INFERRED_GRAPH, sorted(self.inferred))]


def _curie(iri: URIRef) -> str:
    text = str(iri)
    for prefix, ns in (("pm:", "https://w3id.org/pmkg/ontology#"), ("foaf:", "http://xmlns.com/foaf/0.1/"),
                       ("org:", "http://www.w3.org/ns/org#"), ("skos:", "http://www.w3.org/2004/02/skos/core#"),
                       ("rdf:", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"), ("prov:", "http://www.w3.org/ns/prov#"),
                       ("schema:", "https://schema.org/"), ("bibo:", "http://purl.org/ontology/bibo/")):
        if text.startswith(ns):
            return prefix + text[len(ns):]
    return text


def triples_key(label: str, files: Iterable[Path], groups: Iterable[list[str]]) -> str:
    """Fingerprint of a tool's whole input: its name and version, files (the ontology, whose blank
    nodes are named anew at each parse), and the N-Triples lines of the other triples, order-free."""
    digest = hashlib.sha256(label.encode())
    for path in files:
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    for line in unique_sorted(groups):
        digest.update(line.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def unique_sorted(groups: Iterable[list[str]]) -> Iterator[str]:
    """The lines of all ``groups``, sorted, each once: a merge of the sorted groups, so no set of every
    line is built (at 100x the curated graph that set alone was ~0.5 GB)."""
    previous = None
    for line in heapq.merge(*(group if isinstance(group, Segment) else sorted(group) for group in groups)):
        if line != previous:
            yield line
        previous = line


def hermit_pairs(paths: Paths, lines: Lines) -> list[tuple[Triple, str]]:
    """The data triples HermiT is given (``reason.needed_by_hermit``), each with its line."""
    from pmkg.reason import axiomatised_predicates, needed_by_hermit
    axiomatised = axiomatised_predicates(paths.ontology)
    return [(t, line) for ts, ls in lines.pairs.values() for t, line in zip(ts, ls, strict=True)
            if needed_by_hermit(t, axiomatised)]


def _reason_key(paths: Paths, lines: Lines, given: list[tuple[Triple, str]]) -> str | None:
    if lines.blank:
        return None
    label = f"hermit (owlready2 {version('owlready2')} jar, called directly) needed-triples"
    return triples_key(label, [paths.ontology], [[line for _t, line in given]])


def _reason_cached(paths: Paths, lines: Lines, given: list[tuple[Triple, str]]) -> tuple[str | None, set | None]:
    """The reasoning key, and HermiT's inferred types from the previous build when the ontology and
    the triples HermiT is given are unchanged (else None)."""
    from rdflib import RDF, URIRef

    from pmkg.store import read_cache
    key = _reason_key(paths, lines, given)
    hit = read_cache(paths.dist, "reason", key) if key else None
    return key, None if hit is None else {(URIRef(s), RDF.type, URIRef(o)) for s, o in hit["types"]}


def _remember_reasoning(key: str | None, inferred: set, cache: dict) -> None:
    if key:
        cache["reason"] = {"key": key, "types": sorted([str(s), str(o)] for s, _p, o in inferred)}


PLACE_LINKS = ("https://w3id.org/pmkg/ontology#locatedIn", "https://w3id.org/pmkg/ontology#memberOf")


def materialise_input(triples: list[Triple]) -> list[Triple]:
    """What ``materialise`` reads, and no more: its predicates (``READS``), of ``rdf:type`` only the
    types of the nodes ``pm:locatedIn`` / ``pm:memberOf`` lead to - its definitions ask the type of
    ``?top`` and ``?higher`` alone.  The answer is the same (tests/test_build_speed.py checks it on
    the curated graph); the region definition runs ~60x faster on the smaller store."""
    from pmkg.materialise import READS
    places = {o for _s, p, o in triples if str.__eq__(p, PLACE_LINKS[0]) or str.__eq__(p, PLACE_LINKS[1])}
    return [t for t in triples if t[1] in READS and (not str.__eq__(t[1], RDF_TYPE) or t[0] in places)]


def _reads_provenance() -> bool:
    """Whether materialise or the partner evidence reads a triple of the reification: a predicate of it
    (``rdf:type`` aside), or ``rdf:type rdf:Statement``; when neither does, the build hands them the
    data triples alone (at 100x the curated graph the reification is 5.5M triples)."""
    from pmkg.materialise import READS as MATERIALISE
    from pmkg.similarity import READS as SIMILARITY
    reads = {str(p) for p in (*MATERIALISE, *SIMILARITY)}
    return bool(reads & (PROVENANCE_PREDICATES - {RDF_TYPE})) or RDF_STATEMENT in reads


def release_free_memory() -> None:
    """Give the C heap's free pages back to the system (glibc's ``malloc_trim``; nothing elsewhere):
    the in-memory stores of the stages before (Rust allocations) are freed but stay resident."""
    import gc

    from pmkg.store import trim_heap
    gc.collect()
    trim_heap()


def release_if_large(size: int) -> None:
    """:func:`release_free_memory` between the stages of a graph above :data:`PARALLEL_MAX_TRIPLES`
    triples (what the stage before freed is given back before the next one takes its own; a full
    collection costs ~1 s at 100x the curated graph, and is not worth it on a small one)."""
    if size > PARALLEL_MAX_TRIPLES:
        release_free_memory()


def _in_thread(func: Callable[[], Any]) -> Callable[[], Any]:
    """Start ``func`` in a daemon thread (Ctrl-C need not wait for it); return a function that waits
    for its value or raises its error."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = func()
        except BaseException as exc:  # handed to the waiting thread
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True, name="pmkg-reason")
    thread.start()

    def wait() -> Any:
        thread.join()
        if "error" in box:
            raise box["error"]
        return box["value"]

    return wait


def _validate_cached(paths: Paths, ontology: Callable[[], Graph], data: list[Triple], mapped: Mapped,
                     lines: Lines, types: set, cache: dict) -> tuple[ShaclReport, bool]:
    """pySHACL's results on ontology + ``data`` (whose lines are ``lines`` with the inferred ``types``),
    reused when the shapes, ontology and data are unchanged; else validated node by node
    (:mod:`pmkg.shacl_nodes`): only the focus nodes whose neighbourhood changed are validated again."""
    from rdflib import URIRef

    from pmkg.store import nt_lines, read_cache
    from pmkg.validate import from_results
    type_list = sorted(types)
    type_lines = nt_lines(type_list)
    key = None if lines.blank else triples_key(f"pyshacl {version('pyshacl')}", [paths.shapes, paths.ontology],
                                               [*lines.curated(), type_lines])
    hit = read_cache(paths.dist, "validate", key) if key else None
    nodes_key = triples_key(f"pyshacl {version('pyshacl')} by node", [paths.shapes, paths.ontology], [])
    if hit is not None:
        results = [(URIRef(f), path, message, severity) for f, path, message, severity in hit["results"]]
        by_node = cache.get("validate-nodes") or read_cache(paths.dist, "validate-nodes", nodes_key)
        if by_node is not None:  # kept for the next build
            cache["validate-nodes"] = by_node
    else:
        type_pairs = zip(type_list, type_lines, strict=True)
        results = _validate_fresh(paths, ontology, data, lines, type_pairs, nodes_key, cache)
    if key and all(isinstance(r[0], URIRef) for r in results):  # a result on a blank node cannot be cached
        cache["validate"] = {"key": key, "results": [[str(f), *rest] for f, *rest in results]}
    return from_results(results, mapped), hit is not None


def _validate_fresh(paths: Paths, ontology: Callable[[], Graph], data: list[Triple], lines: Lines,
                    type_pairs: Iterable[tuple[Triple, str]], nodes_key: str, cache: dict) -> list:
    """Validate node by node, reusing the previous results of every node whose neighbourhood is
    unchanged; the whole graph at once when the shapes read further than a neighbourhood."""
    from rdflib import Graph, URIRef

    from pmkg.shacl_nodes import Neighbourhoods, provenance_in_reach, reach, validate_nodes
    from pmkg.store import nt_lines, read_cache
    from pmkg.validate import load_shapes, shacl_results
    shapes = load_shapes(paths.shapes)
    scope = None if lines.blank else reach(shapes)
    if scope is None:
        graph = Graph()
        for t in (*ontology(), *data, *(t for t, _line in lines.provenance_pairs())):
            graph.add(t)
        return shacl_results(graph, shapes)
    onto = list(ontology())
    hood = Neighbourhoods(scope)
    hood.add(zip(onto, nt_lines(onto), strict=True))
    hood.add(lines.data_pairs())
    hood.add(type_pairs)
    if provenance_in_reach(hood):
        hood.add(lines.provenance_pairs())
    entry = cache.get("validate-nodes") or read_cache(paths.dist, "validate-nodes", nodes_key) or {}
    previous = entry.get("nodes", {})
    targets = hood.targets()
    digests = {node: hood.digest(node) for node in targets if isinstance(node, URIRef)}
    todo = [n for n in targets if n not in digests or previous.get(str(n), [None])[0] != digests[n]]
    fresh: dict = {n: [] for n in todo}
    for r in validate_nodes(hood, todo, onto, shapes):
        fresh.setdefault(r[0], []).append(r)
    kept = {str(n): [d, [list(r[1:]) for r in fresh[n]] if n in fresh else previous[str(n)][1]]
            for n, d in digests.items()}
    cache["validate-nodes"] = {"key": nodes_key, "nodes": kept}
    results = [r for rs in fresh.values() for r in rs]
    results += [(URIRef(n), *r) for n, (_d, rs) in kept.items() if URIRef(n) not in fresh for r in rs]
    return results


def compare(previous: dict | None, summary: dict, digests: dict[str, str],
            triples: tuple[int, int] | None) -> dict | None:
    """What changed since the previous build: input files, records, triples added/removed (``triples``,
    from the writer), warnings."""
    if previous is None:
        return None
    before = previous.get("inputs") or {}
    files = sorted(f for f in set(before) | set(digests) if before.get(f) != digests.get(f))
    recs = {k: summary["records"].get(k, 0) - previous.get("summary", {}).get("records", {}).get(k, 0)
            for k in set(summary["records"]) | set(previous.get("summary", {}).get("records", {}))}
    out: dict[str, Any] = {"since": previous.get("built"), "files": files if before else None,
                           "records": {k: v for k, v in sorted(recs.items()) if v},
                           "warnings": summary["warnings"] - previous.get("summary", {}).get("warnings", 0)}
    if triples is not None:
        out["triples_added"], out["triples_removed"] = triples
    return out


def build(paths: Paths, *, write: bool = True, run_reasoner: bool = True,
          progress: Progress | None = None) -> BuildResult:
    """Run the pipeline; raise InputError / ValidationFailed with every problem found."""
    from rdflib import Graph

    from pmkg.errors import ValidationFailed
    from pmkg.load import load_kg
    from pmkg.map import map_kg
    from pmkg.materialise import materialise
    from pmkg.similarity import partner_evidence
    from pmkg.store import read_manifest, write_dist

    note = progress or (lambda _stage: None)
    timings: dict[str, float] = {}
    cache: dict[str, dict] = {}
    cached: list[str] = []

    def timed(stage: str, func, *args):  # noqa: ANN001 - tiny local helper
        note(stage)
        start = time.perf_counter()
        value = func(*args)
        timings[stage] = time.perf_counter() - start
        return value

    kg = timed("load", load_kg, paths.kg)
    ontology = functools.cache(lambda: Graph().parse(paths.ontology, format="turtle"))  # parsed only if needed
    mapped = timed("map", map_kg, kg)
    records = Counter(r.kind for r in kg.records)
    del kg  # the records are not needed again: the mapped data keeps where each triple came from
    lines = Lines.of(mapped)
    asserted = [t for ts in mapped.graphs.values() for t in ts]
    if _reads_provenance():  # else the reification is left out of what materialise and similarity read
        asserted += [t for t, _line in lines.provenance_pairs()]
    size = len(asserted) + sum(map(len, lines.provenance.values())) * (not _reads_provenance())
    # facts many queries need (a thing's places and region), from the asserted graph and the ontology
    facts = timed("materialise", materialise, materialise_input([*ontology(), *asserted]))

    def checked(inferred_types: set) -> tuple[ShaclReport, bool, set]:
        """pySHACL's report on the asserted graph with these types (and whether it was reused), and the
        partner evidence (text similarity, topic weights) from the same facts - only for a graph that is
        written: it checks nothing, so `pmkg validate` does without it."""
        release_if_large(size)
        report, hit = timed("validate", _validate_cached, paths, ontology, [*asserted, *inferred_types], mapped,
                            lines, inferred_types, cache)
        if write:
            release_if_large(size)
        evidence = (timed("similarity", partner_evidence, [*ontology(), *asserted, *inferred_types, *facts])
                    if write else set())
        return report, hit, evidence

    types: set | None = set()
    if run_reasoner:
        given = hermit_pairs(paths, lines)
        key, types = timed("reason", _reason_cached, paths, lines, given)
        cached += ["reason"] * (types is not None)
    if types is None:  # HermiT (Java: the other core) runs beside pySHACL and the partner evidence,
        from pmkg.reason import rdfs_types, reason  # which use a prediction of HermiT's answer
        graph = ontology()  # parsed before the threads share it
        predicted = rdfs_types(graph, mapped)
        hermit_data = [t for t, _line in given]
        del given
        if size > PARALLEL_MAX_TRIPLES:  # both tools' copies of a big graph at once: memory
            release_free_memory()  # what materialise's store held, before Java takes its heap
            predicted = timed("reason", reason, graph, mapped, hermit_data)[0]
        wait = _in_thread(lambda: predicted if size > PARALLEL_MAX_TRIPLES
                          else timed("reason", reason, graph, mapped, hermit_data)[0])
        report, hit, evidence = checked(predicted)
        note("reason")
        types = wait()
        _remember_reasoning(key, types, cache)
        if types != predicted:  # the prediction was wrong: validate and derive from what HermiT says
            report, hit, evidence = checked(types)
    else:
        if run_reasoner:
            _remember_reasoning(key, types, cache)
        report, hit, evidence = checked(types)
    cached += ["validate"] * hit
    inferred = types | facts | evidence
    if report.violations:
        raise ValidationFailed(f"{len(report.violations)} SHACL violation(s)", problems=report.violations)
    from pmkg.store import nt_lines
    lines.inferred = nt_lines(inferred)
    summary = _summary(records, mapped, lines, (types, facts, evidence), report.warnings)
    if not write:
        summary["partner_evidence"] = None  # not computed
    previous = read_manifest(paths.dist)
    digests = input_digests(paths)
    triples = None
    if write:
        asserted.clear()  # read by no stage after these: the write has the lines
        lines.pairs.clear()
        release_if_large(size)
        manifest = {"version": __version__, "built": datetime.now(UTC).isoformat(timespec="seconds"),
                    "fingerprint": input_fingerprint(paths), "reasoned": run_reasoner, "inputs": digests,
                    "warnings": [str(w) for w in report.warnings], "summary": summary,
                    "timings": {k: round(v, 3) for k, v in timings.items()}, "cached": cached}
        triples = timed("write", write_dist, paths.dist, lines.nquad_graphs(), paths.ontology, manifest,
                        paths.imports, cache)
    changes = compare(previous, summary, digests, triples if previous else None)
    return BuildResult(None, mapped, types, facts, evidence, report.warnings, timings, summary, changes,
                       tuple(cached))
