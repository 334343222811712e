"""Evidence for partner suggestions, materialised at build time (issue 12, item 4).

For each EU cluster and each Chinese actor the build computes, from the curated data only:

- ``pm:textSimilarity``: the cosine similarity of TF-IDF vectors of two texts. A cluster's text is
  its description, the labels of its focus topics and the descriptions of its members and partners;
  a candidate's text is its description, the labels of its focus topics, its products and segments.
  Words are lower-cased runs of letters and digits of 3 or more characters, stop words left out;
  tf = 1 + log(count), idf = log((1 + n) / (1 + df)) + 1 over the texts of all clusters and
  candidates (n texts), vectors normalised to length 1.
- ``pm:sharedTerms``: the (at most) 5 words that contribute most to that similarity, the human
  justification;
- ``pm:topicScore``: the shared focus topics (broader topics included), each weighted 10 / the
  number of actors with the topic (an inverse document frequency over all actors), and
  ``pm:sharedTopics`` naming them with that number;
- ``pm:complementaryTypology``: whether the candidate has an IC2PerMed typology (PI / RTO / SME)
  the cluster does not have;
- ``pm:citingDocuments``: the number of source documents citing the candidate (evidence strength);
- ``pm:evidenceScore`` = topicScore + 10 × textSimilarity + 0.5 if complementary;
- ``pm:documentedTies``: the cluster's documented ties to the candidate (a collaboration both take
  part in, an event both convene, a direct relation either way), their labels separated by "; ";
- ``pm:rankingScore`` = evidenceScore + 100 × the number of documented ties, and ``pm:partnerRank``,
  the candidate's place among the cluster's kept candidates by ranking score, then the number of
  documents citing it, then IRI (so the partner query reads the rank instead of computing it).

One ``pm:PartnerEvidence`` node is kept for the ``KEEP`` best candidates of each cluster (by
evidence score, then the number of documents citing the candidate, then IRI) and for every
candidate with a documented tie. Everything is sorted and rounded to 3 places, so the build stays
byte-identical.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import pyoxigraph as ox
from rdflib import RDF, XSD, Literal, URIRef

from pmkg.materialise import _ox
from pmkg.namespaces import ID, hashed_iri
from pmkg.vocab import PM

KEEP = 25
TERMS_SHOWN = 5
TEXT_WEIGHT = 10
COMPLEMENT_BONUS = 0.5
EU, CHINA = ID + "place/eu", ID + "place/china"
TYPOLOGY = (PM.PublicInstitution, PM.ResearchAndTechnologyOrganisation, PM.SmallMediumEnterprise)
_STOP_TEXT = """
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had has
have having he her here hers herself him himself his how i if in into is it its itself just more
most my myself no nor not now of off on once only or other our ours ourselves out over own same she
should so some such than that the their theirs them themselves then there these they this those
through to too under until up very was we were what when where which while who whom why will with
would you your yours yourself yourselves etc including include includes based well within among
across via per one two three new
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())
PREFIXES = """PREFIX pm: <https://w3id.org/pmkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""
_EU_CLUSTER = f"?x a pm:Cluster ; pm:withinPlace <{EU}> ."
# the cluster pattern repeated in each branch (a join distributes over a union: the same rows): with it once
# outside the union, Oxigraph evaluated the member branch over every member first (4.7 s at 10x, 0.03 s so)
CLUSTER_TEXT = PREFIXES + f"""SELECT ?x ?text WHERE {{
  {{ {_EU_CLUSTER} ?x dcterms:description ?text }}
  UNION {{ {_EU_CLUSTER} ?x pm:focus ?t . ?t rdfs:label ?text . FILTER(LANG(?text) = "en") }}
  UNION {{ {_EU_CLUSTER} ?m pm:memberOf|pm:partnerOf ?x . ?m dcterms:description ?text }}
  UNION {{ {_EU_CLUSTER} ?x pm:partnerOf ?m . ?m dcterms:description ?text }}
}}"""
CANDIDATE_TEXT = PREFIXES + f"""SELECT ?x ?text WHERE {{
  ?x a pm:Actor ; pm:withinPlace <{CHINA}> .
  {{ ?x dcterms:description|pm:product|pm:segment ?text }}
  UNION {{ ?x pm:focus ?t . ?t rdfs:label ?text . FILTER(LANG(?text) = "en") }}
}}"""
TOPICS = PREFIXES + "SELECT DISTINCT ?x ?t WHERE { ?x a pm:Actor ; pm:focus/skos:broader* ?t }"
TOPIC_LABELS = PREFIXES + ('SELECT ?t (MIN(STR(?l)) AS ?label) WHERE { ?t rdfs:label ?l . FILTER(LANG(?l) = "en") }'
                            " GROUP BY ?t")
TYPES = PREFIXES + ("SELECT ?x ?ty WHERE { ?x a ?ty . VALUES ?ty { pm:PublicInstitution"
                     " pm:ResearchAndTechnologyOrganisation pm:SmallMediumEnterprise } }")
DOCUMENTS = PREFIXES + ("SELECT ?x (COUNT(DISTINCT ?doc) AS ?n) WHERE { ?cite pm:about ?x ; pm:citedIn ?doc }"
                         " GROUP BY ?x")
_RELATIONS = ("pm:partnerOf|pm:memberOf|pm:funds|pm:foundedBy|pm:ownedBy|pm:subOrganisationOf|pm:supportedBy")
TIES = PREFIXES + f"""SELECT DISTINCT ?c ?a ?tie ?tieText WHERE {{
  ?c a pm:Cluster ; pm:withinPlace <{EU}> .
  {{ ?tie pm:participant ?c , ?a . ?tie a pm:Collaboration }}
  UNION {{ ?tie pm:convener ?c , ?a . ?tie a pm:Event }}
  UNION {{ ?c {_RELATIONS} ?a . BIND(?a AS ?tie) }}
  UNION {{ ?a {_RELATIONS} ?c . BIND(?c AS ?tie) }}
  ?a pm:withinPlace <{CHINA}> .
  OPTIONAL {{ ?tie rdfs:label ?tieLabel . FILTER(LANG(?tieLabel) = "en") }}
  BIND(COALESCE(?tieLabel, STR(?tie)) AS ?tieText)
}}"""
TIE_WEIGHT = 100
Vector = dict[str, float]
QUERIES = (CLUSTER_TEXT, CANDIDATE_TEXT, TOPICS, TOPIC_LABELS, TYPES, DOCUMENTS, TIES)
RDF_TYPE = str(RDF.type)  # the queries' "a"


def _reads() -> frozenset[URIRef]:
    """Every IRI the queries name (prefixed names expanded; ``a`` is rdf:type): the predicates they read
    are among them, as no query has a variable in predicate position."""
    prefixes = dict(re.findall(r"PREFIX (\w+): <([^>]+)>", PREFIXES))
    body = "\n".join(q.removeprefix(PREFIXES) for q in QUERIES)
    names = {prefixes[p] + local for p, local in re.findall(r"\b(\w+):(\w+)", body) if p in prefixes}
    return frozenset(URIRef(iri) for iri in {*names, *re.findall(r"<([^>]+)>", body), RDF_TYPE})


READS = _reads()  # a triple under any other predicate cannot change the evidence


def words(text: str) -> list[str]:
    """The words of a text that count: lower-cased, 3+ letters or digits, not a stop word or a number."""
    return [w for w in re.findall(r"[a-z0-9]+", text.lower())
            if len(w) >= 3 and w not in STOP_WORDS and not w.isdigit()]


def tfidf(texts: dict[str, str]) -> dict[str, Vector]:
    """Unit-length TF-IDF vectors (sublinear tf, smoothed idf) of the texts, by key."""
    counts = {key: Counter(words(text)) for key, text in texts.items()}
    df = Counter(w for c in counts.values() for w in c)
    n = len(texts)
    vectors: dict[str, Vector] = {}
    for key, c in counts.items():
        v = {w: (1 + math.log(k)) * (math.log((1 + n) / (1 + df[w])) + 1) for w, k in c.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vectors[key] = {w: x / norm for w, x in v.items()}
    return vectors


def cosine(a: Vector, b: Vector) -> tuple[float, list[str]]:
    """Cosine of two unit vectors, and the shared words by contribution (largest first, then by word)."""
    shared = sorted((-a[w] * b[w], w) for w in a.keys() & b.keys())
    return -sum(x for x, _ in shared), [w for _, w in shared[:TERMS_SHOWN]]


def _rows(store: ox.Store, text: str) -> list[tuple[str, ...]]:
    return [tuple(term.value for term in row) for row in store.query(text, use_default_graph_as_union=True)]


def _texts(store: ox.Store, query: str) -> dict[str, str]:
    parts: dict[str, list[str]] = defaultdict(list)
    for key, text in _rows(store, query):
        parts[key].append(text)
    return {key: "\n".join(sorted(set(texts))) for key, texts in sorted(parts.items())}


def _grouped(rows: Iterable[tuple[str, ...]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for key, value in rows:
        out[key].add(value)
    return out


def _round(x: float) -> Literal:
    return Literal(Decimal(f"{x:.3f}"), datatype=XSD.decimal)


def evidence(store: ox.Store) -> list[dict]:
    """Every kept (cluster, candidate) pair with its evidence, sorted by cluster, then rank."""
    clusters, candidates = _texts(store, CLUSTER_TEXT), _texts(store, CANDIDATE_TEXT)
    vectors = tfidf({**{"c " + k: v for k, v in clusters.items()}, **{"a " + k: v for k, v in candidates.items()}})
    topics = _grouped(_rows(store, TOPICS))
    df = Counter(t for ts in topics.values() for t in ts)
    labels = dict(_rows(store, TOPIC_LABELS))
    types = _grouped(_rows(store, TYPES))
    documents = {x: int(n) for x, n in _rows(store, DOCUMENTS)}
    ties: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for c, a, tie, text in _rows(store, TIES):
        ties[c, a][tie].add(text)
    facts = Facts(vectors, topics, df, labels, types, documents, ties)
    out = []
    for c in clusters:
        pairs = [facts.pair(c, a) for a in facts.shortlist(c, candidates)]
        pairs.sort(key=lambda p: (-p["score"], -p["documents"], p["candidate"]))
        out += ranked([p for i, p in enumerate(pairs) if i < KEEP or p["ties"]])
    return out


MARGIN = 0.02  # more than the rounding in Facts.pair can move a score (0.0005 + 10 x 0.0005), float error included


@dataclass
class Facts:
    """What the evidence of a pair is computed from."""

    vectors: dict[str, Vector]
    topics: dict[str, set[str]]
    df: Counter
    labels: dict[str, str]
    types: dict[str, set[str]]
    documents: dict[str, int]
    ties: dict[tuple[str, str], dict[str, set[str]]]

    def pair(self, c: str, a: str) -> dict:
        """The evidence of cluster ``c`` for candidate ``a``."""
        sim, terms = cosine(self.vectors["c " + c], self.vectors["a " + a])
        df, labels = self.df, self.labels
        shared = sorted(self.topics.get(c, set()) & self.topics.get(a, set()), key=lambda t: (df[t], labels.get(t, t)))
        topic_score = sum(10 / df[t] for t in shared)
        complementary = bool(self.types.get(a, set()) - self.types.get(c, set()))
        score = round(topic_score, 3) + TEXT_WEIGHT * round(sim, 3) + COMPLEMENT_BONUS * complementary
        return {"cluster": c, "candidate": a, "similarity": sim, "terms": terms,
                "topicScore": topic_score, "complementary": complementary, "score": round(score, 3),
                "topics": "; ".join(f"{labels.get(t, t)} ({df[t]} actors)" for t in shared),
                "documents": self.documents.get(a, 0), "ties": self.ties.get((c, a), {})}

    def shortlist(self, c: str, candidates: Iterable[str]) -> list[str]:
        """The candidates that can be among the ``KEEP`` best of ``c`` or have a documented tie to it.

        Every candidate's score is estimated cheaply (unrounded, summed in any order: within
        :data:`MARGIN` of its exact score); a candidate more than the margin below the ``KEEP``-th best
        estimate has ``KEEP`` candidates surely above it, so only the rest are scored exactly
        (:meth:`pair`): the answer is the same as scoring every pair, ~3x faster."""
        vc, tc, tyc = self.vectors["c " + c], self.topics.get(c, set()), self.types.get(c, set())
        rough = {}
        for a in candidates:
            if a != c:
                va = self.vectors["a " + a]
                sim = sum(vc[w] * va[w] for w in vc.keys() & va.keys())
                topic = sum(10 / self.df[t] for t in tc & self.topics.get(a, set()))
                rough[a] = topic + TEXT_WEIGHT * sim + COMPLEMENT_BONUS * bool(self.types.get(a, set()) - tyc)
        if len(rough) <= KEEP:
            return list(rough)
        floor = heapq.nlargest(KEEP, rough.values())[-1] - MARGIN
        return [a for a, score in rough.items() if score >= floor or (c, a) in self.ties]


def ranked(pairs: list[dict]) -> list[dict]:
    """One cluster's kept pairs with their ranking score (evidence + 100 per documented tie) and rank."""
    for p in pairs:
        p["rankingScore"] = Decimal(f"{p['score']:.3f}") + TIE_WEIGHT * len(p["ties"])
    pairs.sort(key=lambda p: (-p["rankingScore"], -p["documents"], p["candidate"]))
    for i, p in enumerate(pairs, 1):
        p["rank"] = i
    return pairs


def evidence_triples(store: ox.Store) -> set[tuple]:
    """The ``pm:PartnerEvidence`` nodes of ``evidence`` as triples."""
    out: set[tuple] = set()
    for p in evidence(store):
        node = hashed_iri("evidence", p["cluster"], p["candidate"])
        out |= {(node, RDF.type, PM.PartnerEvidence), (node, PM.forCluster, URIRef(p["cluster"])),
                (node, PM.candidate, URIRef(p["candidate"])), (node, PM.textSimilarity, _round(p["similarity"])),
                (node, PM.topicScore, _round(p["topicScore"])), (node, PM.evidenceScore, _round(p["score"])),
                (node, PM.complementaryTypology, Literal(p["complementary"])),
                (node, PM.citingDocuments, Literal(p["documents"])),
                (node, PM.sharedTerms, Literal("; ".join(p["terms"])))}
        out |= {(node, PM.rankingScore, Literal(p["rankingScore"], datatype=XSD.decimal)),
                (node, PM.partnerRank, Literal(p["rank"]))}
        if p["topics"]:
            out.add((node, PM.sharedTopics, Literal(p["topics"])))
        if p["ties"]:
            out.add((node, PM.documentedTies, Literal("; ".join(sorted(set().union(*p["ties"].values()))))))
    return out


def partner_evidence(triples: Iterable[tuple]) -> set[tuple]:
    """The evidence triples for a build, from its triples (curated, ontology, inferred, materialised):
    only those under a predicate the queries read (:data:`READS`) go into the store, and of the
    ``rdf:type`` triples only those of a class they name (every ``a`` in them has a constant class:
    the reification's rdf:Statement types, most of them, are left out)."""
    store = ox.Store()
    store.extend(ox.Quad(_ox(s), _ox(p), _ox(o)) for s, p, o in triples
                 if p in READS and (p != RDF.type or o in READS))
    return evidence_triples(store)
