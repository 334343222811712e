"""Importers of bibliographic records (WoS, OpenAlex, MEDLINE) into paper-level graph data."""
