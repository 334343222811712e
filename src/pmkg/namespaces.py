"""IRIs of the graph: the pm: vocabulary (see vocab.py), resource IRIs and named graphs."""

from __future__ import annotations

import hashlib

from rdflib import Namespace, URIRef

from pmkg.ids import GRAPH, ID, IRI_SEGMENT, SEGMENT_KIND
from pmkg.vocab import PM

ONTOLOGY_GRAPH = URIRef(GRAPH + "ontology")
INFERRED_GRAPH = URIRef(GRAPH + "inferred")
ORG = Namespace("http://www.w3.org/ns/org#")
SCHEMA = Namespace("https://schema.org/")
BIBO = Namespace("http://purl.org/ontology/bibo/")
PROV = Namespace("http://www.w3.org/ns/prov#")
VANN = Namespace("http://purl.org/vocab/vann/")
__all__ = ["GRAPH", "ID", "IRI_SEGMENT", "PM", "SEGMENT_KIND"]


def entity_iri(kind: str, slug: str) -> URIRef:
    return URIRef(f"{ID}{IRI_SEGMENT[kind]}/{slug}")


def document_iri(slug: str) -> URIRef:
    """A source document's IRI, which is also the name of its graph."""
    return entity_iri("documents", slug)


def hashed_iri(segment: str, *parts: str) -> URIRef:
    """Deterministic IRI for a node without a curated id (citation, statement …)."""
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]
    return URIRef(f"{ID}{segment}/{digest}")
