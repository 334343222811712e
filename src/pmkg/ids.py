"""The graph's IRI bases and record kinds as plain strings: no RDF library, so that the query
path (``pmkg query``, ``pmkg search``) starts without importing rdflib.  ``pmkg.namespaces``
builds its rdflib terms from these."""

from __future__ import annotations

ID = "https://w3id.org/pmkg/id/"
GRAPH = "https://w3id.org/pmkg/graph/"

# record kind (YAML key) -> IRI path segment
IRI_SEGMENT = {
    "documents": "document", "places": "place", "topics": "topic", "concepts": "concept",
    "actors": "actor", "people": "person", "programmes": "programme", "policies": "policy",
    "collaborations": "collaboration", "events": "event", "agenda": "item",
    "observations": "observation", "conflicts": "conflict",
}
SEGMENT_KIND = {v: k for k, v in IRI_SEGMENT.items()}
