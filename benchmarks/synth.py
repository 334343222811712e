"""Synthetic curated KGs: the real kg/ with its entities copied N times.

Places, topics, concepts and documents are shared; every other record is
copied with ``-sK`` appended to its id and to references to copied ids, so the
synthetic graph has the real graph's shape at N times its size.  A copy's names
(``label``, ``label_zh``, ``aliases``, a shared alias) get `` (sK)`` appended, so a
query parameter given by name (``--param cluster=BioLAGO``) names the original
entity alone, as it does on the curated graph, instead of being ambiguous.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from pmkg.load import REFERENCE_FIELDS

SHARED_KINDS = {"documents", "places", "topics", "concepts"}
NAME_FIELDS = ("label", "label_zh", "aliases", "alias")


def _rename(value: Any, key: str | None, copied: set[str], suffix: str) -> Any:
    if isinstance(value, dict):
        return {k: _rename(v, k, copied, suffix) for k, v in value.items()}
    if isinstance(value, list):
        return [_rename(v, key, copied, suffix) for v in value]
    if isinstance(value, str) and key in NAME_FIELDS:
        return f"{value} ({suffix[1:]})"
    if isinstance(value, str) and value in copied and (key in REFERENCE_FIELDS or key in ("id", "about")):
        return value + suffix
    return value


def make_synthetic(kg: Path, out: Path, copies: int) -> Path:
    """Write a KG of ``copies`` times the real one into ``out`` (replaced)."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    data = {p.name: yaml.safe_load(p.read_text(encoding="utf-8")) or {} for p in sorted(kg.glob("*.yaml"))}
    copied = {rec["id"] for doc in data.values() for kind, recs in doc.items()
              if kind not in SHARED_KINDS for rec in recs if "id" in rec}
    for name, doc in data.items():
        shared = {k: v for k, v in doc.items() if k in SHARED_KINDS}
        if shared:
            (out / f"shared-{name}").write_text(yaml.safe_dump(shared, allow_unicode=True), encoding="utf-8")
        rest = {k: v for k, v in doc.items() if k not in SHARED_KINDS}
        for i in range(copies):
            suffix = "" if i == 0 else f"-s{i}"
            renamed = _rename(rest, None, copied, suffix) if suffix else rest
            if renamed:
                (out / f"{i:04d}-{name}").write_text(yaml.safe_dump(renamed, allow_unicode=True), encoding="utf-8")
    return out
