"""Linking curated actors to external registries (ROR, Crossref Open Funder Registry, Wikidata).

``ror`` and ``funders`` read registry dumps into :class:`~pmkg.link.match.RegistryRecord`;
``match`` generates and scores candidates and cross-checks them against the
curated graph; ``wikidata`` queries a SPARQL endpoint (or falls back to the
QIDs carried by ROR records); ``review`` merges proposals into
``kg/links/<source>.yaml`` without ever overwriting a curator's decision.
"""
