"""Stage 3: OWL reasoning with HermiT (through owlready2).

HermiT checks that ontology + curated data are consistent and we materialise
the inferred classes of every individual into the ``inferred`` graph.  When
the data is inconsistent, HermiT gives no explanation; we then look for the
usual cause ourselves - an individual that falls into two disjoint classes -
and name the YAML records whose triples put it there.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

import owlready2
import owlready2.reasoning
from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.collection import Collection

from pmkg.errors import PmkgError, Problem, ValidationFailed
from pmkg.map import Mapped, Triple
from pmkg.safety import die_with_parent

Types = dict[URIRef, set[URIRef]]
# HermiT's JVM compiles with C1 only ("client" JIT): on the curated graph (17k triples with the
# ontology) HermiT's answer is the same and its CPU time halves (4.1 s -> 1.7 s), as C2's compiler
# threads never pay back in a run this short.  Above this size C2's faster code may matter.
QUICK_JIT_MAX_TRIPLES = 200_000
QUICK_JIT = "-XX:TieredStopAtLevel=1"
# The serial collector: at 10x the curated graph HermiT's peak RSS 555 -> 346 MB and its CPU 16.3 ->
# 13.5 s, same answer (G1, the default on this machine, commits heap ahead and runs its own threads).
SERIAL_GC = "-XX:+UseSerialGC"
HERMIT_BATCH = 50_000  # triples turned into N-Triples lines at a time


def _superclasses(ontology: Graph) -> dict[URIRef, set[URIRef]]:
    """Reflexive-transitive named superclasses of every named class."""
    direct: dict[URIRef, set[URIRef]] = defaultdict(set)
    for sub, sup in ontology.subject_objects(RDFS.subClassOf):
        if isinstance(sub, URIRef) and isinstance(sup, URIRef):
            direct[sub].add(sup)
    closure: dict[URIRef, set[URIRef]] = {}

    def up(cls: URIRef) -> set[URIRef]:
        if cls not in closure:
            closure[cls] = {cls}
            for sup in direct.get(cls, ()):
                closure[cls] |= up(sup)
        return closure[cls]

    for cls in list(direct) + [c for s in direct.values() for c in s]:
        up(cls)
    return closure


def _disjoint_pairs(ontology: Graph) -> set[frozenset[URIRef]]:
    pairs: set[frozenset[URIRef]] = set()
    for node in ontology.subjects(RDF.type, OWL.AllDisjointClasses):
        members = list(Collection(ontology, ontology.value(node, OWL.members)))
        pairs |= {frozenset((a, b)) for a in members for b in members if a != b}
    for a, b in ontology.subject_objects(OWL.disjointWith):
        pairs.add(frozenset((a, b)))
    return pairs


def explain_clashes(ontology: Graph, triples: Iterable[Triple], mapped: Mapped) -> list[Problem]:
    """Individuals typed (directly or through domains/ranges) into disjoint classes."""
    sup = _superclasses(ontology)
    domain = {p: d for p, d in ontology.subject_objects(RDFS.domain) if isinstance(d, URIRef)}
    rng = {p: r for p, r in ontology.subject_objects(RDFS.range) if isinstance(r, URIRef)}
    because: dict[URIRef, dict[URIRef, Triple]] = defaultdict(dict)  # individual -> class -> triple
    for t in triples:
        s, p, o = t
        if p == RDF.type and isinstance(o, URIRef):
            because[s].setdefault(o, t)
        if p in domain:
            because[s].setdefault(domain[p], t)
        if p in rng and isinstance(o, URIRef):
            because[o].setdefault(rng[p], t)
    problems = []
    for ind, classes in because.items():
        expanded = {c2: t for c, t in classes.items() for c2 in sup.get(c, {c})}
        for pair in _disjoint_pairs(ontology):
            a, b = sorted(pair)
            if a in expanded and b in expanded and a < b:
                causes = []
                for cls in (a, b):
                    t = expanded[cls]
                    o = mapped.triple_origins.get(t)
                    where = f"{o.file}:{o.line} {o.record_id}" if o else "?"
                    causes.append(f"{_short(cls)} from {where} ({_short(t[1])})")
                origin = mapped.origins.get(ind)
                problems.append(Problem(
                    f"inconsistent: {_short(ind)} is both {_short(a)} and {_short(b)}, which are disjoint; "
                    + "; ".join(causes),
                    origin.file if origin else None, origin.line if origin else None,
                    origin.record_id if origin else None,
                    hint="a reference probably points at the wrong kind of entity"))
    return problems


def _short(iri: URIRef) -> str:
    text = str(iri)
    for sep in ("#", "/"):
        if sep in text:
            text = text.rsplit(sep, 1)[1] if sep == "#" else text
    return text.replace("https://w3id.org/pmkg/id/", "")


_ABOUT_SUBJECT = {"domain", "range", "subPropertyOf", "equivalentProperty", "propertyDisjointWith", "inverseOf",
                  "propertyChainAxiom"}  # "p domain C": the axiom is about its subject
_ABOUT_OBJECT = {"subPropertyOf", "equivalentProperty", "propertyDisjointWith", "inverseOf", "onProperty",
                 "onProperties", "first"}  # "x onProperty p", a list member (chains, keys): about its object
_CHARACTERISTICS = {"FunctionalProperty", "InverseFunctionalProperty", "AsymmetricProperty", "IrreflexiveProperty",
                    "ReflexiveProperty", "SymmetricProperty", "TransitiveProperty"}


def axiomatised_predicates(ontology: Path) -> frozenset[str]:
    """Every property the ontology says something about for the reasoner: a domain, a range, a
    characteristic (functional …), a super- or sub-property, a restriction, key or chain naming it.
    Read with Oxigraph's parser (milliseconds), so the build can key its reasoning cache without
    parsing the ontology with rdflib."""
    import pyoxigraph as ox

    out: set[str] = set()
    for t in ox.parse(path=str(ontology), format=ox.RdfFormat.TURTLE):
        name = t.predicate.value.rsplit("#", 1)[-1]
        named_subject = isinstance(t.subject, ox.NamedNode)
        named_object = isinstance(t.object, ox.NamedNode)
        if named_subject and name in _ABOUT_SUBJECT:
            out.add(t.subject.value)
        if named_object and name in _ABOUT_OBJECT:
            out.add(t.object.value)
        if named_subject and named_object and name == "type" and t.object.value.rsplit("#", 1)[-1] in _CHARACTERISTICS:
            out.add(t.subject.value)
    return frozenset(out)


def needed_by_hermit(triple: Triple, axiomatised: frozenset[str]) -> bool:
    """Whether HermiT needs ``triple`` to classify the individuals and check consistency: every
    triple between two nodes, and a literal-valued one only for an axiomatised property (a literal
    under a property with no axiom - a label, a description, an alias - entails no class, and
    annotations have no semantics in OWL 2 DL).  A description edit then leaves HermiT's input,
    and so its cached answer, unchanged."""
    return not isinstance(triple[2], Literal) or str(triple[1]) in axiomatised


def reason(ontology: Graph, mapped: Mapped, data: list[Triple] | None = None) -> tuple[set[Triple], dict[str, float]]:
    """Run HermiT on the ontology plus ``data`` (default: every curated triple); return the inferred
    rdf:type triples (beyond the asserted ones)."""
    if data is None:
        data = [t for triples in mapped.graphs.values() for t in triples]
    with tempfile.TemporaryDirectory(prefix=f"pmkg-reason-{os.getpid()}-") as tmp:  # pid: safety.clean_leftovers
        path = Path(tmp) / "input.nt"
        with path.open("w", encoding="utf-8") as out:
            out.writelines(hermit_lines(ontology, data))
        try:
            output = run_hermit(path, len(data) + len(ontology))
        except Inconsistent as exc:
            problems = explain_clashes(ontology, data, mapped) or [
                Problem("HermiT found the ontology plus data inconsistent, and no disjoint-class clash "
                        "explains it", hint="bisect: `pmkg validate --root COPY` with some YAML files removed")]
            raise ValidationFailed("the ontology plus data is inconsistent", problems=problems) from exc
    asserted = {t for t in (*ontology.triples((None, RDF.type, None)), *data) if t[1] == RDF.type}
    return inferred_types(output, asserted), {}


def hermit_input(ontology: Graph, data: list[Triple]) -> str:
    """The N-Triples text HermiT reads (:func:`hermit_lines`), as one string."""
    return "".join(hermit_lines(ontology, data))


def hermit_lines(ontology: Graph, data: list[Triple]) -> Iterator[str]:
    """The N-Triples lines HermiT reads: the ontology, ``data`` and, as OWL 2 DL wants, a
    ``owl:NamedIndividual`` declaration of every typed individual (so owlready2 lists it); each
    triple once.  Written from the terms directly (an rdflib graph and its serialiser cost ~0.5 s),
    a batch at a time, so the file is never held whole in memory."""
    from pmkg.store import nt_lines

    declared = ((t[0], RDF.type, OWL.NamedIndividual) for t in data if t[1] == RDF.type)
    unique = list(dict.fromkeys(itertools.chain(ontology, data, declared)))
    for start in range(0, len(unique), HERMIT_BATCH):
        yield from (f"{line} .\n" for line in nt_lines(unique[start:start + HERMIT_BATCH]))


HEAP_ENV = "PMKG_HERMIT_XMX_MB"


def heap_mb() -> int:
    """HermiT's Java heap limit in MB: ``$PMKG_HERMIT_XMX_MB`` or owlready2's ``JAVA_MEMORY`` (2000).
    Measured (benchmarks/results/build-session5.txt): ~0.6 GB of RSS at 10x the curated graph."""
    value = os.environ.get(HEAP_ENV, "")
    return int(value) if value.isdigit() else int(owlready2.reasoning.JAVA_MEMORY)


class Inconsistent(Exception):
    """HermiT found the ontology plus data inconsistent."""


def run_hermit(path: Path, triples: int) -> str:
    """HermiT's output on the N-Triples file ``path``: the inferred class hierarchy (``-c``) and each
    individual's most specific classes (``-I``).  Called directly rather than through owlready2's
    ``sync_reasoner``, which loads the input into its quadstore, writes it out again and reads the answer
    back into Python objects (~0.8 s of Python on the curated graph); owlready2 still provides the jar
    and the Java settings (``owlready2.JAVA_EXE``, ``JAVA_MEMORY``)."""
    heap = heap_mb()
    done = _run_java(path, triples, heap)
    while _out_of_memory(done) and heap * 2 <= MAX_RETRY_HEAP_MB:  # a larger heap, not a failed build
        heap *= 2
        done = _run_java(path, triples, heap)
    if done.returncode == 1 and b"Inconsistent ontology" in done.stdout + done.stderr:
        raise Inconsistent
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
        raise PmkgError(f"HermiT failed (exit {done.returncode}): {tail[0][:300]}")
    return done.stdout.decode("utf-8")


MAX_RETRY_HEAP_MB = 8000  # HermiT out of heap is run again with twice the heap, up to this


def _out_of_memory(done: subprocess.CompletedProcess) -> bool:
    return done.returncode != 0 and b"OutOfMemoryError" in done.stdout + done.stderr


def _run_java(path: Path, triples: int, heap: int) -> subprocess.CompletedProcess:
    quick = [QUICK_JIT] if triples <= QUICK_JIT_MAX_TRIPLES else []
    command = [owlready2.JAVA_EXE, f"-Xmx{heap}M", SERIAL_GC, *quick,
               "-cp", owlready2.reasoning._HERMIT_CLASSPATH, "org.semanticweb.HermiT.cli.CommandLine",
               "-c", "-I", path.as_uri(), "--ignoreUnsupportedDatatypes"]
    try:  # HermiT's Java dies with us (kill -9 included)
        return subprocess.run(command, capture_output=True, check=False, preexec_fn=die_with_parent)
    except FileNotFoundError as exc:
        raise PmkgError("Java is needed for the HermiT reasoner and was not found",
                        hint="install a JRE (apt-get install default-jre-headless) or use --no-reason") from exc


_AXIOM = re.compile(r"^(SubClassOf|EquivalentClasses|Type)\( ((?:<[^>]+>\s*)+)\)$", re.MULTILINE)
PMKG_IRI = "https://w3id.org/pmkg/"


def inferred_types(output: str, asserted: set[Triple]) -> set[Triple]:
    """Every named class of every individual of the graph (``PMKG_IRI``) by HermiT's ``output``, not
    already asserted: its most specific classes (``Type``) - or its asserted ones when HermiT lists
    none - with their named superclasses in HermiT's hierarchy (``SubClassOf``, ``EquivalentClasses``)."""
    parents: dict[str, set[str]] = defaultdict(set)
    classes: dict[str, set[str]] = defaultdict(set)
    for relation, iris in _AXIOM.findall(output):
        a, *rest = iris.strip()[1:-1].split("> <")
        if relation == "Type":  # Type( individual class )
            classes[a].add(rest[0])
        elif relation == "SubClassOf":
            parents[a].add(rest[0])
        else:
            for x in (a, *rest):
                parents[x] |= {y for y in (a, *rest) if y != x}
    for s, _p, o in asserted:
        if str(s) not in classes and isinstance(o, URIRef):
            classes[str(s)].add(str(o))
    closure: dict[str, set[str]] = {}

    def up(cls: str) -> set[str]:
        if cls not in closure:
            closure[cls] = {cls}  # set first: equivalences are cycles
            todo = [cls]
            while todo:
                for sup in parents.get(todo.pop(), ()):
                    if sup not in closure[cls]:
                        closure[cls].add(sup)
                        todo.append(sup)
        return closure[cls]

    skip = {str(OWL.Thing), str(OWL.NamedIndividual), str(OWL.Nothing)}
    out = {(URIRef(ind), RDF.type, URIRef(anc)) for ind, direct in classes.items() if ind.startswith(PMKG_IRI)
           for cls in direct for anc in up(cls) if anc not in skip}
    return out - asserted


def rdfs_types(ontology: Graph, mapped: Mapped) -> set[Triple]:
    """A cheap prediction of HermiT's answer: the named superclasses of every asserted type and of
    every rdfs:domain / rdfs:range, for the graph's own individuals, less the asserted types.

    On the curated graph it equals HermiT's inferred types exactly, so SHACL can validate against
    it while HermiT runs; the build re-validates whenever the two differ (pipeline.py).
    """
    sup = _superclasses(ontology)
    domain = {p: d for p, d in ontology.subject_objects(RDFS.domain) if isinstance(d, URIRef)}
    rng = {p: r for p, r in ontology.subject_objects(RDFS.range) if isinstance(r, URIRef)}
    classes: dict[URIRef, set[URIRef]] = defaultdict(set)
    asserted: set[Triple] = set()
    for triples in mapped.graphs.values():
        for s, p, o in triples:
            if p == RDF.type and isinstance(o, URIRef):
                classes[s].add(o)
                asserted.add((s, p, o))
            if p in domain:
                classes[s].add(domain[p])
            if p in rng and isinstance(o, URIRef):
                classes[o].add(rng[p])
    skip = {OWL.Thing, OWL.NamedIndividual}
    out = {(ind, RDF.type, anc) for ind, direct in classes.items() if str(ind).startswith("https://w3id.org/pmkg/")
           for cls in direct for anc in sup.get(cls, {cls}) if anc not in skip}
    return out - asserted - set(ontology.triples((None, RDF.type, None)))  # as HermiT: only what is new
