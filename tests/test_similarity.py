"""Partner evidence (src/pmkg/similarity.py): deterministic, and the same as an independent recomputation."""

from __future__ import annotations

import math
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest

from pmkg.namespaces import INFERRED_GRAPH
from pmkg.similarity import STOP_WORDS, partner_evidence
from pmkg.store import open_store

ID = "https://w3id.org/pmkg/id/"
PREFIXES = """PREFIX pm: <https://w3id.org/pmkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""


@pytest.fixture(scope="module")
def store(real_build):
    return open_store(real_build[0] / "dist")


def evidence_in(store: ox.Store) -> dict[tuple[str, str], dict[str, str]]:
    q = PREFIXES + """SELECT ?c ?a ?p ?o WHERE { GRAPH ?g { ?e a pm:PartnerEvidence ; pm:forCluster ?c ;
                      pm:candidate ?a ; ?p ?o } }"""
    out: dict[tuple[str, str], dict[str, str]] = {}
    for c, a, p, o in store.query(q):
        out.setdefault((c.value, a.value), {})[p.value.rsplit("#", 1)[-1]] = o.value
    return out


def test_partner_evidence_does_not_depend_on_the_order_of_the_triples(real_build):
    _, result = real_build
    triples = [q[:3] for q in result.quads if q[3] != INFERRED_GRAPH]
    triples += [*result.types, *result.materialised]  # what the build gives it: all but the evidence
    once = partner_evidence(triples)
    again = partner_evidence(list(reversed(triples)))
    assert once and once == again
    assert once == result.evidence


def texts(store: ox.Store, query: str) -> dict[str, str]:
    parts: dict[str, set[str]] = {}
    for x, text in store.query(PREFIXES + query, use_default_graph_as_union=True):
        parts.setdefault(x.value, set()).add(text.value)
    return {x: "\n".join(sorted(p)) for x, p in parts.items()}


def test_text_similarity_agrees_with_an_independent_recomputation(store):
    """BioRN and GIBH: the cosine of TF-IDF vectors recomputed here from the texts in the store."""
    clusters = texts(store, f"""SELECT ?x ?text WHERE {{ ?x a pm:Cluster ; pm:region <{ID}place/eu> .
        {{ ?x dcterms:description ?text }} UNION {{ ?x pm:focus/rdfs:label ?text . FILTER(LANG(?text) = "en") }}
        UNION {{ ?m pm:memberOf ?x ; dcterms:description ?text }}
        UNION {{ ?m pm:partnerOf ?x ; dcterms:description ?text }}
        UNION {{ ?x pm:partnerOf ?m . ?m dcterms:description ?text }} }}""")
    candidates = texts(store, f"""SELECT ?x ?text WHERE {{ ?x a pm:Actor ; pm:region <{ID}place/china> .
        {{ ?x dcterms:description ?text }} UNION {{ ?x pm:product ?text }} UNION {{ ?x pm:segment ?text }}
        UNION {{ ?x pm:focus/rdfs:label ?text . FILTER(LANG(?text) = "en") }} }}""")
    bags = {("c", k): Counter(w for w in re.findall(r"[a-z0-9]+", v.lower())
                              if len(w) > 2 and not w.isdigit() and w not in STOP_WORDS)
            for k, v in clusters.items()}
    bags |= {("a", k): Counter(w for w in re.findall(r"[a-z0-9]+", v.lower())
                               if len(w) > 2 and not w.isdigit() and w not in STOP_WORDS)
             for k, v in candidates.items()}
    df = Counter(w for bag in bags.values() for w in bag)

    def vector(key: tuple[str, str]) -> dict[str, float]:
        v = {w: (1 + math.log(n)) * (1 + math.log((1 + len(bags)) / (1 + df[w]))) for w, n in bags[key].items()}
        length = math.sqrt(sum(x * x for x in v.values()))
        return {w: x / length for w, x in v.items()}

    cluster, candidate = ID + "actor/biorn", ID + "actor/guangzhou-institute-of-biomedicine-and-health"
    a, b = vector(("c", cluster)), vector(("a", candidate))
    expected = sum(a[w] * b.get(w, 0) for w in a)
    stored = evidence_in(store)[(cluster, candidate)]
    assert Decimal(stored["textSimilarity"]) == Decimal(f"{expected:.3f}") and expected > 0.05
    top = sorted(a.keys() & b.keys(), key=lambda w: (-a[w] * b[w], w))[:5]
    assert stored["sharedTerms"] == "; ".join(top)


def test_evidence_score_is_its_parts(store):
    found = evidence_in(store)
    assert len({c for c, _ in found}) == 26
    for row in found.values():
        bonus = Decimal("0.5") if row["complementaryTypology"] == "true" else 0
        assert Decimal(row["evidenceScore"]) == Decimal(row["topicScore"]) + 10 * Decimal(row["textSimilarity"]) + bonus


@pytest.mark.slow
def test_partner_query_gives_the_same_ranking_on_rdflib(real_build, store):
    """The query is portable SPARQL 1.1: rdflib's engine ranks the same as Oxigraph's (a second engine)."""
    from rdflib import Dataset

    from pmkg.catalogue import load_catalogue
    from pmkg.query import EmbeddedBackend, bind, render, run_query
    root = real_build[0]
    spec = load_catalogue(root / "queries")["chinese-partners-of-eu-clusters"]
    backend = EmbeddedBackend(store)
    records = run_query(spec, {"limit": "3"}, backend).records()
    ours = [(r["cluster"], r["rank"], r["actor"], r["score"]) for r in records]
    dataset = Dataset(default_union=True)
    dataset.parse(root / "dist" / "pmkg.nq", format="nquads")
    theirs = [tuple(str(x) for x in (row[0], row[2], row[3], row[5]))
              for row in dataset.query(render(spec, bind(spec, {"limit": "3"}, backend)))]
    assert len(ours) == 78 and sorted(theirs) == sorted(ours)


# The partner query's ranking as it was computed in SPARQL before the build stored it (a join of
# every candidate with every other candidate of its cluster, counting those ranked at least as high).
RANK_IN_SPARQL = PREFIXES + "SELECT ?c ?a ?key ?documents ?rank WHERE { {\n" + (
    Path(__file__).with_name("fixtures") / "partner-rank.rq").read_text(encoding="utf-8") + "} }"


def test_stored_partner_rank_agrees_with_the_ranking_the_query_computed(store):
    """pm:partnerRank and pm:rankingScore equal what the query used to compute per request."""
    stored = {(c.value, a.value): (Decimal(k.value), int(d.value), int(r.value)) for c, a, k, d, r in store.query(
        PREFIXES + """SELECT ?c ?a ?k ?d ?r WHERE { ?e pm:forCluster ?c ; pm:candidate ?a ; pm:rankingScore ?k ;
                      pm:citingDocuments ?d ; pm:partnerRank ?r }""", use_default_graph_as_union=True)}
    computed = {(c.value, a.value): (Decimal(k.value), int(d.value), int(r.value))
                for c, a, k, d, r in store.query(RANK_IN_SPARQL, use_default_graph_as_union=True)}
    assert len(stored) == 26 * 25 and stored == computed


def test_ranking_score_is_the_evidence_plus_the_ties(store):
    found = evidence_in(store)
    for row in found.values():
        ties = len(row["documentedTies"].split("; ")) if "documentedTies" in row else 0
        assert Decimal(row["rankingScore"]) == Decimal(row["evidenceScore"]) + 100 * ties
