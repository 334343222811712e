"""What a release changed: entities added and removed, facts added and removed per entity, and
the sources (document and location) of facts kept whose citations changed.

Reads the N-Quads of two ``dist/`` folders (``pmkg.nq``).  A *fact* is an asserted triple
about a curated entity (an IRI under ``/id/<kind>/<slug>`` with a curated slug), outside the
ontology and inferred graphs.  Nodes without a curated id (memberships, figures, successions …)
are folded into the fact that points at them, described by their own properties, so that a
new post of a person reads as one fact.  A fact's sources are the citations of its reified
statements (``document: location``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from pmkg.errors import InputError
from pmkg.namespaces import GRAPH, ID, IRI_SEGMENT

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PM_NS = "https://w3id.org/pmkg/ontology#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
ENTITY_SEGMENTS = set(IRI_SEGMENT.values())
SKIPPED_GRAPHS = {GRAPH + "ontology", GRAPH + "inferred"}
PREFIXES = {PM_NS: "pm:", RDF_NS: "rdf:", "http://www.w3.org/2000/01/rdf-schema#": "rdfs:",
            "http://www.w3.org/2004/02/skos/core#": "skos:", "https://schema.org/": "schema:",
            "http://purl.org/dc/terms/": "dcterms:", "http://www.w3.org/ns/org#": "org:", ID: ""}
Fact = tuple[str, str]  # (predicate, object), both rendered


@dataclass
class Release:
    """The facts of one build, per entity, with their sources."""

    facts: dict[str, set[Fact]] = field(default_factory=lambda: defaultdict(set))
    sources: dict[tuple[str, Fact], set[str]] = field(default_factory=lambda: defaultdict(set))
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class EntityChange:
    entity: str
    label: str
    status: str  # added | removed | changed
    added: list[Fact] = field(default_factory=list)
    removed: list[Fact] = field(default_factory=list)
    resourced: list[tuple[Fact, list[str], list[str]]] = field(default_factory=list)  # fact, sources -, sources +
    sources: dict[Fact, list[str]] = field(default_factory=dict)  # of added (new) and removed (old) facts


def short(term: str) -> str:
    for ns, prefix in PREFIXES.items():
        if term.startswith(ns):
            return prefix + term[len(ns):]
    return term


def _text(term: ox.NamedNode | ox.Literal | ox.BlankNode) -> str:
    if isinstance(term, ox.NamedNode):
        return short(term.value)
    if isinstance(term, ox.Literal):
        return f'"{term.value}"@{term.language}' if term.language else f'"{term.value}"'
    return "_:" + term.value


def is_entity(iri: str) -> bool:
    if not iri.startswith(ID):
        return False
    return iri[len(ID):].split("/", 1)[0] in ENTITY_SEGMENTS


def _quads(dist: Path) -> list[ox.Quad]:
    path = dist / "pmkg.nq"
    if not path.is_file():
        raise InputError(f"no pmkg.nq in {dist}", hint="pass two dist/ folders written by `pmkg build`")
    return list(ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS))


def load_release(dist: Path) -> Release:
    """Facts per entity with their sources, from ``dist/pmkg.nq``."""
    quads = [q for q in _quads(dist) if q.graph_name.value not in SKIPPED_GRAPHS]
    by_subject: dict[str, list[ox.Quad]] = defaultdict(list)
    for q in quads:
        by_subject[q.subject.value].append(q)
    statements = {s for s, qs in by_subject.items()
                  if any(q.predicate.value == RDF_NS + "type" and q.object.value == RDF_NS + "Statement" for q in qs)}
    rel = Release()

    def folded(node: str) -> str:
        parts = sorted(f"{short(q.predicate.value)} {_text(q.object)}" for q in by_subject.get(node, [])
                       if q.predicate.value not in (RDF_NS + "type", PM_NS + "about", "http://www.w3.org/ns/org#member")
                       and q.object.value != node)
        return "{" + "; ".join(parts) + "}"

    def render(obj: ox.NamedNode | ox.Literal | ox.BlankNode) -> str:
        if isinstance(obj, ox.NamedNode) and obj.value.startswith(ID) and not is_entity(obj.value):
            return folded(obj.value)
        return _text(obj)

    for subj, qs in by_subject.items():
        if not is_entity(subj):
            continue
        for q in qs:
            fact = (short(q.predicate.value), render(q.object))
            rel.facts[subj].add(fact)
            if q.predicate.value == RDFS_LABEL and getattr(q.object, "language", None) == "en":
                rel.labels.setdefault(subj, q.object.value)
    citations = {s: {q.predicate.value: q.object for q in by_subject[s]} for s in by_subject
                 if any(q.object.value == PM_NS + "Citation" for q in by_subject[s])}
    for st in statements:
        props = {q.predicate.value: q.object for q in by_subject[st]}
        subj, cite = props.get(RDF_NS + "subject"), props.get(PM_NS + "citation")
        if subj is None or cite is None or not is_entity(subj.value):
            continue
        c = citations.get(cite.value, {})
        doc = c.get(PM_NS + "citedIn")
        where = f"{short(doc.value).removeprefix('document/') if doc else '?'}: {c[PM_NS + 'location'].value}" \
            if PM_NS + "location" in c else short(doc.value) if doc else "?"
        fact = (short(props[RDF_NS + "predicate"].value), render(props[RDF_NS + "object"]))
        rel.sources[(subj.value, fact)].add(where)
    return rel


def diff_releases(old: Release, new: Release) -> list[EntityChange]:
    """Per entity: added / removed entities, facts added and removed, sources changed."""
    changes = []
    for entity in sorted(set(old.facts) | set(new.facts)):
        before, after = old.facts.get(entity, set()), new.facts.get(entity, set())
        label = new.labels.get(entity) or old.labels.get(entity) or short(entity)
        status = "added" if not before else "removed" if not after else "changed"
        change = EntityChange(short(entity), label, status, sorted(after - before), sorted(before - after))
        change.sources = {f: sorted(new.sources.get((entity, f), ())) for f in change.added}
        change.sources |= {f: sorted(old.sources.get((entity, f), ())) for f in change.removed}
        for fact in sorted(before & after):
            was, now = old.sources.get((entity, fact), set()), new.sources.get((entity, fact), set())
            if was != now:
                change.resourced.append((fact, sorted(was - now), sorted(now - was)))
        if change.added or change.removed or change.resourced:
            changes.append(change)
    return changes


def diff_dists(old: Path, new: Path) -> list[EntityChange]:
    return diff_releases(load_release(old), load_release(new))


def summary(changes: list[EntityChange]) -> dict[str, int]:
    count = {k: sum(1 for c in changes if c.status == k) for k in ("added", "removed", "changed")}
    count["facts added"] = sum(len(c.added) for c in changes)
    count["facts removed"] = sum(len(c.removed) for c in changes)
    count["facts with changed sources"] = sum(len(c.resourced) for c in changes)
    return count


def _fact(fact: Fact, sources: list[str]) -> str:
    where = f"  [{'; '.join(sources)}]" if sources else ""
    return f"{fact[0]} {fact[1]}{where}"


def to_markdown(changes: list[EntityChange], title: str = "Release notes") -> str:
    """Release notes: a summary line, then one section per entity added, removed or changed."""
    counts = summary(changes)
    lines = [f"# {title}", "", ", ".join(f"{v} {k}" for k, v in counts.items()) + " (entities, then facts).", ""]
    for status in ("added", "removed", "changed"):
        group = [c for c in changes if c.status == status]
        if not group:
            continue
        lines += [f"## {status.capitalize()} ({len(group)})", ""]
        for c in group:
            lines.append(f"### {c.label} ({c.entity})" if c.label != c.entity else f"### {c.entity}")
            for fact in c.added:
                lines.append(f"- \\+ {_fact(fact, c.sources.get(fact, []))}")
            for fact in c.removed:
                lines.append(f"- \\- {_fact(fact, c.sources.get(fact, []))}")
            for fact, gone, came in c.resourced:
                lines.append(f"- sources of {fact[0]} {fact[1]}: " + ", ".join(
                    [f"- {g}" for g in gone] + [f"+ {n}" for n in came]))
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def to_json(changes: list[EntityChange]) -> dict:
    return {"summary": summary(changes), "entities": [
        {"entity": c.entity, "label": c.label, "status": c.status,
         "added": [{"fact": list(f), "sources": c.sources.get(f, [])} for f in c.added],
         "removed": [{"fact": list(f), "sources": c.sources.get(f, [])} for f in c.removed],
         "sources_changed": [{"fact": list(f), "removed": g, "added": n} for f, g, n in c.resourced]}
        for c in changes]}
