"""Where the registry dumps are when none is given: the ``file`` of the registry documents in
kg/sources.yaml, relative to the seeds directory beside the project (``../shared/seeds``), or
``$PMKG_SHARED_DATA`` (a directory holding ``ror/`` and ``funders/``)."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

DOCS = {"ror": "ror-v2-9", "funders": "crossref-funder-registry-2018-07-09"}


def registry_files(root: Path) -> dict[str, Path]:
    try:
        docs = yaml.safe_load((root / "kg" / "sources.yaml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}
    by_id = {d.get("id"): d for d in docs.get("documents", []) if isinstance(d, dict)}
    bases = [Path(p) / "seeds" for p in (os.environ.get("PMKG_SHARED"),) if p]
    bases += [parent / "shared" / "seeds" for parent in root.resolve().parents]
    out: dict[str, Path] = {}
    for kind, doc_id in DOCS.items():
        file = (by_id.get(doc_id) or {}).get("file")
        for base in bases if file else []:
            candidate = (base / file).resolve()
            if candidate.is_file():
                out[kind] = candidate
                break
    return out
