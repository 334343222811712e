"""The static site: one page per entity, list pages, canned-query pages, search, ontology docs, downloads."""

from pmkg.site.build import SiteSummary, build_site

__all__ = ["SiteSummary", "build_site"]
