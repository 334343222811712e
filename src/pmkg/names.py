"""Checks on the names of curated entities: shared aliases and YAML comma-split fragments.

Two entities carrying the same name make the resolver call it ambiguous and mislead a
reader; it is allowed only where a record says why (``shared_aliases``).  An unquoted
comma inside a YAML flow list (``aliases: [Starr … Co., Ltd.]``) silently splits one name
into two; the fragments are recognisable, because joined again with ", " they give
another name of the same entity, or because one is a bare legal form ("Ltd.").
"""

from __future__ import annotations

import re
from collections import defaultdict

from pmkg.errors import Problem
from pmkg.load import KG, Record

LEGAL_FORM = re.compile(r"^(ltd|limited|inc|co|corp|llc|gmbh|ag|s\.?a|s\.?p\.?a|plc|b\.?v)\.?$", re.IGNORECASE)


def _names(rec: Record) -> tuple[set[str], list[list[str]]]:
    """(all names of an entity record with its also-blocks, alias lists as written)."""
    m = rec.model
    names = {m.label} if getattr(m, "label", None) else set()
    lists = [list(m.aliases)]
    for block in getattr(m, "also", []):
        if block.label:
            names.add(block.label)
        lists.append(list(block.aliases))
    for aliases in lists:
        names |= set(aliases)
    return names, lists


def _entities(kg: KG) -> dict[str, tuple[Record, set[str], list[list[str]]]]:
    out: dict[str, tuple[Record, set[str], list[list[str]]]] = {}
    for rec in kg.records:
        if rec.kind in ("actors", "people", "programmes", "policies"):
            names, lists = _names(rec)
            out[rec.model.id] = (rec, names, lists)
    for rec in kg.of_kind("facts"):
        if rec.model.about in out:
            _, names, lists = out[rec.model.about]
            names |= set(rec.model.aliases)
            lists.append(list(rec.model.aliases))
    return out


def _declared(kg: KG) -> set[tuple[str, str, str]]:
    """(entity, other entity, casefolded name) pairs a record explains, both ways."""
    pairs: set[tuple[str, str, str]] = set()
    for rec in kg.records:
        owner = getattr(rec.model, "id", None) or getattr(rec.model, "about", None)
        blocks = [rec.model, *getattr(rec.model, "also", [])]
        for block in blocks:
            for shared in getattr(block, "shared_aliases", []):
                key = shared.alias.casefold()
                pairs |= {(owner, shared.also_of, key), (shared.also_of, owner, key)}
    return pairs


def shared_alias_problems(kg: KG) -> list[Problem]:
    """An alias that is also a name of another entity, unless a record says why."""
    entities = _entities(kg)
    by_name: dict[str, set[str]] = defaultdict(set)
    for eid, (_, names, _) in entities.items():
        for name in names:
            by_name[name.casefold()].add(eid)
    declared = _declared(kg)
    problems = []
    for eid, (rec, _, lists) in sorted(entities.items()):
        for alias in sorted({a for aliases in lists for a in aliases}):
            others = sorted(o for o in by_name[alias.casefold()] - {eid} if (eid, o, alias.casefold()) not in declared)
            if others:
                problems.append(Problem(f"alias '{alias}' is also a name of {', '.join(others)}", rec.file, rec.line,
                                        eid, hint="give one of them a distinct name, or say why in shared_aliases"))
    return problems


def comma_fragment_problems(kg: KG) -> list[Problem]:
    """Aliases that look like the halves of a name split at an unquoted comma."""
    problems = []
    for eid, (rec, names, lists) in sorted(_entities(kg).items()):
        folded = {n.casefold() for n in names}
        for aliases in lists:
            for i, alias in enumerate(aliases):
                joined = f"{alias}, {aliases[i + 1]}" if i + 1 < len(aliases) else None
                if LEGAL_FORM.match(alias):
                    message = f"alias '{alias}' is a bare legal form, probably split from a name at a comma"
                elif joined and joined.casefold() in folded:
                    message = f"aliases '{alias}' and '{aliases[i + 1]}' are '{joined}' split at its comma"
                else:
                    continue
                problems.append(Problem(message, rec.file, rec.line, eid,
                                        hint='quote a name that contains a comma: ["A, B"]'))
    return problems
