"""Per-import summaries: the paper-level counts the canned queries need, written into the import's own
graph at import time, so `top-funders`, `top-institutions`, `funders-of-affiliated-papers` and
`co-affiliation-countries` read a few thousand summary nodes instead of every paper (150 s at 100k
papers before; the answers are the same).

Papers are grouped by what the queries ask of them:

* an **affiliation profile** (``pm:AffiliationProfile``) per distinct set of affiliated actors: its
  actors (``pm:profileActor``), the number of papers with exactly that set (``pm:summaryPapers``), the
  coverage sums of those papers (``pm:summaryFunderStrings`` …, the same per-paper figures the
  coverage columns add up), and a ``pm:fundingTally`` per funder (``pm:tallyFunder``) or unresolved
  funder string (``pm:tallyUnresolvedFunder``) with its number of papers (``pm:tallyPapers``).
  Every paper is in exactly one profile, so adding profiles up counts distinct papers, and a roll-up
  over sub-organisations (``pm:subOrganisationOf*`` at query time, the current hierarchy) counts a
  paper once however many of its units are below the organisation;
* a **country profile** (``pm:CountryProfile``) per distinct set of affiliation countries;
* the import itself (the graph's ``pm:SourceDocument`` node) carries the totals and a graph-level
  ``pm:fundingTally`` per funder; ``pm:sharesPapersWith`` names another import holding some of the
  same papers: the queries add the imports up, so without ``source`` such a paper counts in each import
  (the per-paper queries counted it once), and ``pmkg.query.run_query`` notes that on the answer.

:func:`summarise_graph` computes the same summary from a graph's paper triples (stores filled by hand,
tests); the import writes it from the facts it has at hand (:class:`Summary`).
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pyoxigraph as ox

PM = "https://w3id.org/pmkg/ontology#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SUB_ORGANISATION_OF = ox.NamedNode(PM + "subOrganisationOf")
INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
COVERAGE = ("summaryFunderStrings", "summaryUnresolvedFunders", "summaryAffiliationStrings",
            "summaryUnresolvedAffiliations")


@dataclass(frozen=True)
class PaperFacts:
    """What the paper-level queries read of one paper (IRIs and literal values as text)."""

    actors: frozenset[str]
    funders: frozenset[str]
    unresolved_funders: frozenset[str]
    countries: frozenset[str]
    funder_strings: int          # pm:funderStringCount (0 when absent)
    affiliation_strings: int     # pm:affiliationStringCount (0 when absent)
    unresolved_affiliations: int  # distinct pm:unresolvedAffiliation values

    @property
    def coverage(self) -> tuple[int, int, int, int]:
        return (self.funder_strings, len(self.unresolved_funders), self.affiliation_strings,
                self.unresolved_affiliations)


@dataclass
class Profile:
    papers: int = 0
    coverage: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    funders: Counter[str] = field(default_factory=Counter)
    unresolved: Counter[str] = field(default_factory=Counter)


def _key(items: Iterable[str]) -> str:
    return hashlib.sha1("\n".join(sorted(items)).encode("utf-8")).hexdigest()[:20]


def _int(n: int) -> str:
    return f'"{n}"^^<{INTEGER}>'


def _string(value: str) -> str:
    return str(ox.Literal(value))


class Summary:
    """Accumulates :class:`PaperFacts`; :meth:`lines` writes the summary as N-Quads lines."""

    def __init__(self) -> None:
        self.papers = 0
        self.with_country = 0
        self.coverage = [0, 0, 0, 0]
        self.funders: Counter[str] = Counter()
        self.profiles: dict[frozenset[str], Profile] = {}
        self.countries: Counter[frozenset[str]] = Counter()
        self.shares_with: set[str] = set()

    def add(self, facts: PaperFacts) -> None:
        self.papers += 1
        self.funders.update(facts.funders)
        profile = self.profiles.get(facts.actors)
        if profile is None:
            profile = self.profiles[facts.actors] = Profile()
        profile.papers += 1
        profile.funders.update(facts.funders)
        profile.unresolved.update(facts.unresolved_funders)
        for n, value in enumerate(facts.coverage):
            profile.coverage[n] += value
            self.coverage[n] += value
        if facts.countries:
            self.with_country += 1
            self.countries[facts.countries] += 1

    def lines(self, graph: str, parents: Mapping[str, Iterable[str]] | None = None) -> list[str]:
        """The summary's N-Quads lines in the import graph ``graph`` (an IRI), in a stable order; ``parents``:
        the organisation hierarchy (``pm:subOrganisationOf``, child -> parents) the roll-ups follow."""
        g = f"<{graph}>"
        out: list[str] = []

        def quad(s: str, p: str, o: str) -> None:
            out.append(f"{s} <{PM}{p}> {o} {g} .\n")

        def profile_node(kind: str, cls: str, member: str, members: Iterable[str], papers: int) -> str:
            node = f"<{graph}/summary/{kind}/{_key(members)}>"
            out.append(f"{node} <{RDF_TYPE}> <{PM}{cls}> {g} .\n")
            for m in sorted(members):
                quad(node, member, f"<{m}>")
            quad(node, "summaryPapers", _int(papers))
            return node

        quad(g, "summaryPapers", _int(self.papers))
        quad(g, "summaryPapersWithCountry", _int(self.with_country))
        for name, value in zip(COVERAGE, self.coverage, strict=True):
            quad(g, name, _int(value))
        for other in sorted(self.shares_with):
            quad(g, "sharesPapersWith", f"<{other}>")
        for funder, count in sorted(self.funders.items()):
            tally = f"<{graph}/summary/funder/{_key([funder])}>"
            quad(g, "fundingTally", tally)
            quad(tally, "tallyFunder", f"<{funder}>")
            quad(tally, "tallyPapers", _int(count))
        for actors, profile in sorted(self.profiles.items(), key=lambda kv: _key(kv[0])):
            node = profile_node("affiliations", "AffiliationProfile", "profileActor", actors, profile.papers)
            out += _figures(node, profile, f"{graph}/summary/affiliations/{_key(actors)}", g)
        for countries, count in sorted(self.countries.items(), key=lambda kv: _key(kv[0])):
            profile_node("countries", "CountryProfile", "profileCountry", countries, count)
        out += actor_lines(self.profiles, graph, parents or {})
        return out


def _figures(node: str, profile: Profile, prefix: str, g: str) -> list[str]:
    """A summary node's coverage sums and funding tallies (its pm:summaryPapers is written by the caller)."""
    out = [f"{node} <{PM}{name}> {_int(value)} {g} .\n" for name, value in zip(COVERAGE, profile.coverage, strict=True)]
    tallies = [("tallyFunder", f"<{f}>", f, n) for f, n in profile.funders.items()]
    tallies += [("tallyUnresolvedFunder", _string(u), "\0" + u, n) for u, n in profile.unresolved.items()]
    for prop, term, key, count in sorted(tallies, key=lambda t: t[2]):
        tally = f"<{prefix}/{_key([key])}>"
        out += [f"{node} <{PM}fundingTally> {tally} {g} .\n", f"{tally} <{PM}{prop}> {term} {g} .\n",
                f"{tally} <{PM}tallyPapers> {_int(count)} {g} .\n"]
    return out


def _absorb(into: Profile, profile: Profile) -> None:
    into.papers += profile.papers
    for n, value in enumerate(profile.coverage):
        into.coverage[n] += value
    into.funders.update(profile.funders)
    into.unresolved.update(profile.unresolved)


def upward(actor: str, parents: Mapping[str, Iterable[str]]) -> set[str]:
    """The actor and every organisation above it (``pm:subOrganisationOf*``; cycles are harmless)."""
    seen, todo = {actor}, [actor]
    while todo:
        for parent in parents.get(todo.pop(), ()):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def roll_up(profiles: Mapping[frozenset[str], Profile], parents: Mapping[str, Iterable[str]]
            ) -> tuple[dict[str, Profile], dict[str, Profile], dict[str, set[str]]]:
    """Per actor: its papers (direct affiliation), per organisation: the distinct papers of it or of an
    organisation below it (each profile once, however many of its actors are below), and the actors of
    the import below each organisation (its units, itself included when it has papers)."""
    direct: dict[str, Profile] = defaultdict(Profile)
    rolled: dict[str, Profile] = defaultdict(Profile)
    above = {a: upward(a, parents) for actors in profiles for a in actors}
    for actors, profile in profiles.items():
        for actor in actors:
            _absorb(direct[actor], profile)
        for org in set().union(*(above[a] for a in actors)):
            _absorb(rolled[org], profile)
    units: dict[str, set[str]] = defaultdict(set)
    for actor, orgs in above.items():
        for org in orgs:
            units[org].add(actor)
    return direct, rolled, units


def actor_lines(profiles: Mapping[frozenset[str], Profile], graph: str,
                parents: Mapping[str, Iterable[str]]) -> list[str]:
    """The per-organisation summary nodes of an import (from its affiliation profiles):

    * ``pm:ActorSummary`` per affiliated actor (``pm:summaryActor``): the papers affiliated to it directly;
    * ``pm:RollUpSummary`` per organisation at or above an affiliated actor in ``parents``: the distinct papers
      affiliated to it or to one of its units (``pm:rollUpUnit``: the import's actors it counts).  A query
      uses it only while its units are those the current hierarchy puts below the organisation.

    An actor with no unit but itself has one node of both classes.  Each node: pm:summaryPapers, the coverage
    sums and a pm:fundingTally per funder, as an affiliation profile has."""
    g, out = f"<{graph}>", []
    direct, rolled, units = roll_up(profiles, parents)

    def node(iri: str, classes: list[str], actor: str, profile: Profile, counted: Iterable[str]) -> None:
        out.extend(f"<{iri}> <{RDF_TYPE}> <{PM}{cls}> {g} .\n" for cls in classes)
        out.append(f"<{iri}> <{PM}summaryActor> <{actor}> {g} .\n")
        out.extend(f"<{iri}> <{PM}rollUpUnit> <{u}> {g} .\n" for u in sorted(counted))
        out.append(f"<{iri}> <{PM}summaryPapers> {_int(profile.papers)} {g} .\n")
        out.extend(_figures(f"<{iri}>", profile, iri, g))

    for org in sorted(rolled, key=lambda o: _key([o])):
        alone = units[org] == {org}
        if org in direct:
            node(f"{graph}/summary/actor/{_key([org])}", ["ActorSummary"] + ["RollUpSummary"] * alone, org,
                 direct[org], [org] if alone else [])
        if not alone:
            node(f"{graph}/summary/rollup/{_key([org])}", ["RollUpSummary"], org, rolled[org], units[org])
    return out


def hierarchy(store: ox.Store, without: ox.NamedNode | None = None) -> dict[str, set[str]]:
    """The organisation hierarchy of the store (every graph but ``without``): child -> parents
    (pm:subOrganisationOf)."""
    parents: dict[str, set[str]] = defaultdict(set)
    for quad in store.quads_for_pattern(None, SUB_ORGANISATION_OF, None, None):
        if without is None or quad.graph_name != without:
            parents[_term_key(quad.subject)].add(_term_key(quad.object))
    return parents


def stored_profiles(store: ox.Store, graph: ox.NamedNode) -> dict[frozenset[str], Profile]:
    """The affiliation profiles of an import's summary, read back from the store (what
    :meth:`Summary.lines` wrote of them)."""
    def objects(subject: ox.NamedNode | ox.BlankNode, local: str) -> list[ox.NamedNode | ox.Literal]:
        return [q.object for q in store.quads_for_pattern(subject, ox.NamedNode(PM + local), None, graph)]

    out: dict[frozenset[str], Profile] = {}
    for quad in store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), ox.NamedNode(PM + "AffiliationProfile"), graph):
        node = quad.subject
        profile = Profile(papers=sum(int(n.value) for n in objects(node, "summaryPapers")),
                          coverage=[sum(int(n.value) for n in objects(node, name)) for name in COVERAGE])
        for tally in objects(node, "fundingTally"):
            count = sum(int(n.value) for n in objects(tally, "tallyPapers"))
            for funder in objects(tally, "tallyFunder"):
                profile.funders[funder.value] += count
            for name in objects(tally, "tallyUnresolvedFunder"):
                profile.unresolved[name.value] += count
        out[frozenset(a.value for a in objects(node, "profileActor"))] = profile
    return out


def _term_key(term: object) -> str:
    return term.value if isinstance(term, ox.NamedNode) else str(term)


def graph_facts(store: ox.Store, graph: ox.NamedNode) -> dict[str, PaperFacts]:
    """Each paper's facts read back from the graph's triples (an independent path to the same summary)."""
    raw: dict[str, dict[str, set[str]]] = {}
    counts: dict[str, dict[str, int]] = {}
    publication = ox.NamedNode(PM + "Publication")
    for quad in store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), publication, graph):
        raw[quad.subject.value] = {k: set() for k in ("actors", "funders", "unresolved", "countries", "aff")}
        counts[quad.subject.value] = {"fc": 0, "ac": 0}
    picks = {"affiliatedActor": "actors", "unresolvedFunder": "unresolved", "affiliationCountry": "countries",
             "unresolvedAffiliation": "aff"}
    for local, slot in picks.items():
        for quad in store.quads_for_pattern(None, ox.NamedNode(PM + local), None, graph):
            if quad.subject.value in raw:
                raw[quad.subject.value][slot].add(quad.object.value)
    for quad in store.quads_for_pattern(None, ox.NamedNode(PM + "funds"), None, graph):
        if quad.object.value in raw:
            raw[quad.object.value]["funders"].add(quad.subject.value)
    for local, slot in (("funderStringCount", "fc"), ("affiliationStringCount", "ac")):
        for quad in store.quads_for_pattern(None, ox.NamedNode(PM + local), None, graph):
            if quad.subject.value in counts:
                counts[quad.subject.value][slot] = max(counts[quad.subject.value][slot], int(quad.object.value))
    return {paper: PaperFacts(frozenset(r["actors"]), frozenset(r["funders"]), frozenset(r["unresolved"]),
                              frozenset(r["countries"]), counts[paper]["fc"], counts[paper]["ac"], len(r["aff"]))
            for paper, r in raw.items()}


def summarise_graph(store: ox.Store, graph: ox.NamedNode) -> list[str]:
    """The summary lines of a graph's papers, computed from its triples (for data not written by
    ``pmkg import``, e.g. a test's hand-made graph: add them with :func:`add_summary`)."""
    summary = Summary()
    for facts in graph_facts(store, graph).values():
        summary.add(facts)
    return summary.lines(graph.value, hierarchy(store))


def add_summary(store: ox.Store, graph: ox.NamedNode) -> None:
    """Add the summary of ``graph``'s papers to the store (its paper triples as they are now)."""
    text = "".join(summarise_graph(store, graph)).encode("utf-8")
    store.load(text, format=ox.RdfFormat.N_QUADS)
