"""HTTP content negotiation: the best of the offered media types for an ``Accept`` header."""

from __future__ import annotations

HTML = ("text/html", "application/xhtml+xml")
RDF = {"text/turtle": "ttl", "application/n-triples": "nt", "application/ld+json": "jsonld",
       "application/rdf+xml": "rdf", "application/n-quads": "nq", "application/trig": "trig"}
SUFFIX_TYPES = {v: k for k, v in RDF.items()} | {"html": "text/html"}
RESULTS = {"application/sparql-results+json": "json", "application/json": "json",
           "application/sparql-results+xml": "xml", "text/csv": "csv", "text/tab-separated-values": "tsv"}
TABLES = {"application/json": "json", "text/csv": "csv",
          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx"}


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """(media range, q) pairs; a missing or empty header accepts anything."""
    if not header or not header.strip():
        return [("*/*", 1.0)]
    out = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        media, q = fields[0].lower(), 1.0
        for f in fields[1:]:
            if f.startswith("q="):
                try:
                    q = max(0.0, min(1.0, float(f[2:])))
                except ValueError:
                    q = 0.0
        if media:
            out.append((media, q))
    return out


def _quality(media: str, ranges: list[tuple[str, float]]) -> float:
    """q of the most specific range matching ``media`` (RFC 9110: specificity wins, not order)."""
    kind = media.split("/")[0]
    best, specificity = 0.0, -1
    for rng, q in ranges:
        level = 2 if rng == media else 1 if rng == f"{kind}/*" else 0 if rng == "*/*" else -1
        if level > specificity:
            best, specificity = q, level
    return best if specificity >= 0 else 0.0


def choose(header: str | None, offered: list[str]) -> str | None:
    """The offered type with the highest q (ties: the server's order), or None when nothing is acceptable."""
    ranges = parse_accept(header)
    scored = [(_quality(m, ranges), -i, m) for i, m in enumerate(offered)]
    q, _, media = max(scored)
    return media if q > 0 else None
