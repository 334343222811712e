"""Registry-scale resolution: ROR and the Open Funder Registry as on-disk indexes, and matchers.

- :mod:`pmkg.registry.index`: read the dumps (ROR schema v1/v2 JSON Lines, Funder Registry
  RDF/XML, the ROR <-> Funder Registry crosswalk) into compact indexes, cached on disk and rebuilt
  when a dump changes (keyed by size, mtime and SHA-256).
- :mod:`pmkg.registry.match`: affiliation string -> ROR ids, funder string -> funder DOIs (+ ROR ids).
"""
