"""SHACL validation node by node: what a focus node's results depend on, and validating a few
nodes (or all of them, chunk by chunk) without handing pySHACL the whole graph.

A focus node's results under ``ontology/shapes.ttl`` depend only on its *neighbourhood*: the
triples about it, the triples that point at it through a predicate a shape follows backwards
(``sh:inversePath``), and - for every node one step away, either way - the triples a shape can
read there: its types (``sh:class``) and the second predicate of a two-step path.  The ontology
(class hierarchy) is added to every graph pySHACL sees.  :func:`reach` reads that out of the
shapes and returns None when a shape goes further (longer or recursive paths, ``sh:node`` /
``sh:qualifiedValueShape`` shapes with paths of their own, targets that are not subjects), and
the build then validates the whole graph as before.  A node's results are kept only for it:
the other nodes of a chunk, whose neighbourhood is incomplete there, get theirs in their own.

The digest of a node's neighbourhood keys its cached results: a changed record changes the
digest of exactly the nodes whose neighbourhood holds one of its triples, and only those are
validated again.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from pmkg.validate import Result, shacl_results

SH = Namespace("http://www.w3.org/ns/shacl#")
CHUNK_TRIPLES = 150_000  # triples of data per pySHACL graph (peak memory of the 100x build)
_PATH_OPERATORS = (SH.alternativePath, SH.zeroOrMorePath, SH.oneOrMorePath, SH.zeroOrOnePath)
_UNSUPPORTED_TARGETS = (SH.targetNode, SH.targetObjectsOf, SH.target)
_CLASSES = (URIRef("http://www.w3.org/2000/01/rdf-schema#Class"), URIRef("http://www.w3.org/2002/07/owl#Class"))
SUBCLASS = URIRef("http://www.w3.org/2000/01/rdf-schema#subClassOf")
Triple = tuple[Node, Node, Node]


@dataclass(frozen=True)
class Reach:
    """What the shapes read around a focus node."""

    inverse: frozenset[URIRef]  # predicates followed backwards (sh:inversePath p)
    second: frozenset[URIRef]  # predicates read one step away (rdf:type, the 2nd step of a path)
    classes: frozenset[URIRef]  # sh:targetClass (their instances, through rdfs:subClassOf, are focus nodes)
    subjects_of: frozenset[URIRef]  # sh:targetSubjectsOf


def _value_shapes(shapes: Graph) -> set[Node]:
    return {o for p in (SH.node, SH.qualifiedValueShape) for o in shapes.objects(None, p)}


def _has_path(shapes: Graph, node: Node, seen: set[Node]) -> bool:
    """Whether the shape ``node`` (or a shape nested in it) has a path: it then reads beyond its value."""
    if node in seen:
        return False
    seen.add(node)
    for p, o in shapes.predicate_objects(node):
        if p in (SH.path, SH.property):
            return True
        if p in (SH["or"], SH["and"], SH.xone):
            if any(_has_path(shapes, m, seen) for m in Collection(shapes, o)):
                return True
        elif p in (SH["not"], SH.node, SH.qualifiedValueShape) and _has_path(shapes, o, seen):
            return True
    return False


def reach(shapes: Graph) -> Reach | None:
    """The predicates a node's neighbourhood needs, or None when the shapes read further than that."""
    if any((None, p, None) in shapes for p in _UNSUPPORTED_TARGETS):
        return None
    if any((None, RDF.type, c) in shapes for c in _CLASSES):  # implicit class targets
        return None
    if any(_has_path(shapes, s, set()) for s in _value_shapes(shapes)):
        return None
    inverse, second = set(), {RDF.type}
    for path in set(shapes.objects(None, SH.path)):
        if isinstance(path, URIRef):
            continue
        if any(shapes.value(path, op) is not None for op in _PATH_OPERATORS):
            return None
        inv = shapes.value(path, SH.inversePath)
        if isinstance(inv, URIRef):
            inverse.add(inv)
            continue
        steps = list(Collection(shapes, path)) if shapes.value(path, RDF.first) is not None else []
        if len(steps) != 2 or not all(isinstance(s, URIRef) for s in steps):
            return None
        second.add(steps[1])
    return Reach(frozenset(inverse), frozenset(second),
                 frozenset(o for o in shapes.objects(None, SH.targetClass) if isinstance(o, URIRef)),
                 frozenset(o for o in shapes.objects(None, SH.targetSubjectsOf) if isinstance(o, URIRef)))


@dataclass
class Neighbourhoods:
    """An index of the data (triple and its N-Triples line) by subject and by inverse-path object."""

    reach: Reach
    out: dict[Node, list[tuple[Triple, str]]] = field(default_factory=lambda: defaultdict(list))
    into: dict[Node, list[tuple[Triple, str]]] = field(default_factory=lambda: defaultdict(list))

    def add(self, pairs: Iterable[tuple[Triple, str]]) -> None:
        for pair in pairs:
            t = pair[0]
            self.out[t[0]].append(pair)
            if t[1] in self.reach.inverse:
                self.into[t[2]].append(pair)

    def of(self, focus: Node) -> list[tuple[Triple, str]]:
        """Every triple the shapes can read to validate ``focus``."""
        own = self.out.get(focus, [])
        back = self.into.get(focus, [])
        near = {t[2] for t, _ in own} | {t[0] for t, _ in back}
        second = self.reach.second
        far = [pair for x in near if x != focus for pair in self.out.get(x, ()) if pair[0][1] in second]
        return [*own, *back, *far]

    def digest(self, focus: Node) -> str:
        lines = sorted({line for _t, line in self.of(focus)})
        return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()

    def targets(self) -> list[Node]:
        """Every focus node of the shapes: an instance of a target class (or of a subclass of one,
        as the ontology or data says), or a subject of a target predicate."""
        classes = self.target_classes()
        subjects_of = self.reach.subjects_of
        return [node for node, pairs in self.out.items()
                if any((p == RDF.type and o in classes) or p in subjects_of for (_s, p, o), _l in pairs)]

    def target_classes(self) -> set[Node]:
        """The target classes and every subclass of one (by the triples added so far)."""
        below: dict[Node, set[Node]] = defaultdict(set)
        for pairs in self.out.values():
            for (s, p, o), _line in pairs:
                if p == SUBCLASS:
                    below[o].add(s)
        classes, todo = set(self.reach.classes), list(self.reach.classes)
        while todo:
            for sub in below.get(todo.pop(), ()):
                if sub not in classes:
                    classes.add(sub)
                    todo.append(sub)
        return classes


REIFICATION = frozenset({RDF.subject, RDF.predicate, RDF.object, URIRef("https://w3id.org/pmkg/ontology#citation")})


def provenance_in_reach(hood: Neighbourhoods) -> bool:
    """Whether a reification triple (``s rdf:type rdf:Statement``, ``s rdf:subject x`` …, ``s
    pm:citation c``, where ``s`` is a statement IRI no triple points at) can be in a focus node's
    neighbourhood: only when ``rdf:Statement`` is (a subclass of) a target class, or a shape
    targets the subjects of, or follows backwards, one of its predicates.  ``hood`` holds the
    ontology and the data (their subclass triples); when this is False, the digests and results are
    the same without the reification, which the build then leaves out of the index."""
    predicates = REIFICATION | {RDF.type}
    return (RDF.Statement in hood.target_classes() or bool(predicates & hood.reach.subjects_of)
            or bool(predicates & hood.reach.inverse))


def _near_first(hood: Neighbourhoods, nodes: list[Node]) -> Iterator[Node]:
    """``nodes``, each soon followed by the nodes of its neighbourhood (breadth first): a chunk then
    holds most neighbours' whole neighbourhoods too, so pySHACL, which validates every target of a
    chunk's graph, does little work on nodes whose results are thrown away."""
    wanted = set(nodes)
    seen: set[Node] = set()
    for start in nodes:
        if start in seen:
            continue
        seen.add(start)
        queue = deque([start])
        while queue:
            node = queue.popleft()
            yield node
            for t, _line in hood.of(node):
                for x in (t[0], t[2]):
                    if x in wanted and x not in seen:
                        seen.add(x)
                        queue.append(x)


def _chunks(hood: Neighbourhoods, nodes: list[Node]) -> Iterator[tuple[set[Node], set[Triple]]]:
    chunk: set[Node] = set()
    triples: set[Triple] = set()
    for node in _near_first(hood, nodes):
        triples.update(t for t, _ in hood.of(node))
        chunk.add(node)
        if len(triples) >= CHUNK_TRIPLES:
            yield chunk, triples
            chunk, triples = set(), set()
    if chunk:
        yield chunk, triples


def validate_nodes(hood: Neighbourhoods, nodes: Iterable[Node], ontology: Iterable[Triple],
                   shapes: Graph) -> list[Result]:
    """pySHACL's results for ``nodes`` only, each chunk of them validated on its neighbourhoods
    plus the ontology."""
    onto = list(ontology)
    out: list[Result] = []
    for chunk, triples in _chunks(hood, sorted(nodes, key=str)):
        graph = Graph()
        for t in onto:
            graph.add(t)
        for t in triples:
            graph.add(t)
        out += [r for r in shacl_results(graph, shapes) if r[0] in chunk]
        del graph
    return out
