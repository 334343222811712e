"""Read Research Organization Registry records, schema v1 and v2, into :class:`RegistryRecord`.

Accepted inputs: JSON Lines (optionally gzipped) whose lines are either a ROR
record or ``{"source_path": …, "record": {…}}`` (the shared subset of the
v2.9 release), or a ROR data dump (a JSON array of records).

- v1: ``name``, ``aliases``, ``acronyms``, ``labels[].label``, ``country.country_code``,
  ``types`` ("Education" …), ``relationships[].type == "Parent"``,
  ``external_ids.{Wikidata,FundRef}.all`` (a list, or a string in old releases).
- v2: ``names[]`` with ``types`` (ror_display, label, alias, acronym) and ``lang``,
  ``locations[].geonames_details.country_code``, ``types`` ("education" …),
  ``relationships[].type == "parent"``, ``external_ids[]`` with ``type`` wikidata / fundref.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pmkg.errors import InputError
from pmkg.link.match import RegistryRecord

ROR_PREFIX = "https://ror.org/"


def _all(value: Any) -> list[str]:
    """external_ids 'all' is a list, or a bare string in early releases."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _short(ror_iri: str) -> str:
    return ror_iri.rsplit("/", 1)[-1]


def record_v1(r: dict) -> RegistryRecord:
    names: dict[str, str] = {a: "alias" for a in r.get("aliases") or []}
    for label in r.get("labels") or []:
        names.setdefault(label["label"], "label")
    ext = r.get("external_ids") or {}
    return RegistryRecord(
        registry="ror", identifier=_short(r["id"]), iri=r["id"], name=r["name"], names=names,
        acronyms=list(r.get("acronyms") or []), country=(r.get("country") or {}).get("country_code"),
        parents=[_short(x["id"]) for x in r.get("relationships") or [] if x["type"].lower() == "parent"],
        types={t.lower() for t in r.get("types") or []}, status=r.get("status") or "active",
        successors=[_short(x["id"]) for x in r.get("relationships") or [] if x["type"].lower() == "successor"],
        wikidata=_all((ext.get("Wikidata") or {}).get("all")), fundref=_all((ext.get("FundRef") or {}).get("all")))


def record_v2(r: dict) -> RegistryRecord:
    display = next((n["value"] for n in r["names"] if "ror_display" in n["types"]), r["names"][0]["value"])
    names: dict[str, str] = {}
    acronyms: list[str] = []
    for n in r["names"]:
        if n["value"] == display:
            continue
        if "acronym" in n["types"]:
            acronyms.append(n["value"])
        else:
            names.setdefault(n["value"], "alias" if "alias" in n["types"] else "label")
    ext = {e["type"]: _all(e.get("all")) for e in r.get("external_ids") or []}
    countries = [loc["geonames_details"].get("country_code") for loc in r.get("locations") or []
                 if loc.get("geonames_details")]
    rels = r.get("relationships") or []
    return RegistryRecord(
        registry="ror", identifier=_short(r["id"]), iri=r["id"], name=display, names=names, acronyms=acronyms,
        country=countries[0] if countries else None,
        parents=[_short(x["id"]) for x in rels if x["type"].lower() == "parent"],
        types={t.lower() for t in r.get("types") or []}, status=r.get("status") or "active",
        successors=[_short(x["id"]) for x in rels if x["type"].lower() == "successor"],
        wikidata=ext.get("wikidata", []), fundref=ext.get("fundref", []))


def parse_record(raw: dict) -> RegistryRecord:
    """One ROR record (v1 or v2 schema, told apart by ``names`` vs ``name``)."""
    r = raw.get("record", raw)
    if not isinstance(r, dict) or "id" not in r:
        raise ValueError("not a ROR record (no 'id')")
    return record_v2(r) if "names" in r else record_v1(r)


def _open(path: Path, hint: str = "pass --dump FILE (JSON Lines, .jsonl.gz or .json)") -> Any:
    if not path.is_file():
        raise InputError(f"ROR dump {path} does not exist", hint=hint)
    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else path.open(encoding="utf-8")


def read_raw(path: Path, hint: str = "pass --dump FILE (JSON Lines, .jsonl.gz or .json)") -> Iterator[
        tuple[int, str, Any]]:
    """(position, "line" | "record", JSON item) per record of a ROR dump (JSON Lines, gzipped or not, or a
    JSON array), streamed; unreadable or non-JSON input is an InputError naming file and line.  The one
    reader of ROR dumps: :func:`read_ror` (linking) and :func:`pmkg.registry.index.read_ror_orgs`
    (resolution) parse its items."""
    with _open(path, hint) as fh:
        try:
            first = fh.read(1)
            while first.isspace():
                first = fh.read(1)
            if first == "[":
                for i, item in enumerate(json.loads(first + fh.read())):
                    yield i + 1, "record", item
                return
            lineno = 1
            line = first + fh.readline()
            while line:
                if line.strip():
                    yield lineno, "line", _json(line, path, lineno)
                lineno += 1
                line = fh.readline()
        except (OSError, EOFError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read ROR dump {path}: {exc}") from exc
        except json.JSONDecodeError as exc:
            raise InputError(f"ROR dump {path} is not JSON: {exc.msg}", line=exc.lineno) from exc


def read_ror(path: Path) -> Iterator[RegistryRecord]:
    """Every record of a ROR dump; a malformed line is an InputError naming file and line."""
    for n, what, item in read_raw(path):
        yield _parsed(item, path, n, what)


def _json(line: str, path: Path, lineno: int) -> dict:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON ({exc.msg})", file=str(path), line=lineno) from exc


def _parsed(item: Any, path: Path, n: int, what: str) -> RegistryRecord:
    try:
        return parse_record(item)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise InputError(f"{what} {n} is not a ROR v1 or v2 record ({type(exc).__name__}: {exc})",
                         file=str(path), line=n if what == "line" else None) from exc


def geonames_countries(path: Path) -> dict[int, str]:
    """GeoNames country id -> ISO code, from the v1 records (``country_geonames_id`` + ``country_code``)."""
    table: dict[int, str] = {}
    with _open(path) as fh:
        for line in fh:
            r = json.loads(line).get("record", {}) if line.strip() else {}
            code = (r.get("country") or {}).get("country_code")
            for address in r.get("addresses") or []:
                gid = address.get("country_geonames_id")
                if gid and code:
                    table[int(gid)] = code
    return table
