"""``kg/links/<source>.yaml``: read, merge new proposals in, review, write atomically.

The one rule of merging: a curator's decision is never overwritten.  An
accepted or rejected record stays as it is; a new proposal with the same
(about, identifier) is dropped, and an actor that already has an accepted link
gets no new proposals from that registry.  Earlier proposals are refreshed
when proposed again and kept, flagged ``not-reproposed``, when not.  ``shared-identifier`` flags are
recomputed over the whole file each time.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from pmkg.errors import InputError, Problem
from pmkg.link.match import shared_identifiers
from pmkg.schema import Link

# source name (CLI and file name) -> (registry, registry_doc, what the file is about)
SOURCES: dict[str, tuple[str, str, str]] = {
    "ror": ("ror", "ror-v2-9", "the Research Organization Registry (release v2.9 subset)"),
    "funders": ("funder-registry", "crossref-funder-registry-2018-07-09",
                "the Crossref Open Funder Registry (release of 2018-07-09)"),
    "wikidata": ("wikidata", "wikidata", "Wikidata"),
}
NAME_METHODS = {"exact-name", "exact-alias", "former-name", "name-without-qualifier", "acronym", "fuzzy-name"}
ACCEPT_METHODS = {"exact-name", "exact-alias", "ror-record", "ror-id-on-item", "funder-id-on-item", "iso-code"}
SHARED = "shared-identifier"
STALE = "not-reproposed"


def header(source: str) -> str:
    return (f"# Links of curated entities to {SOURCES[source][2]}.\n"
            f"# Written by `pmkg link {source}`; a curator sets `status` (proposed | accepted | rejected) and\n"
            "# `reason`.  Only accepted links enter the graph (skos:exactMatch and the identifier, in the\n"
            "# registry's named graph).  Re-running the command never changes an accepted or rejected record.\n")


def read_links(path: Path) -> list[Link]:
    """The links of one file (none if it does not exist); any malformed record is an InputError."""
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"malformed YAML: {getattr(exc, 'problem', exc)}", file=str(path),
                         line=mark.line + 1 if mark else None) from exc
    if data is None:
        return []
    if not isinstance(data, dict) or set(data) - {"links"} or not isinstance(data.get("links", []), list):
        raise InputError("a links file holds one key, 'links', with a list of records", file=str(path))
    links, problems = [], []
    for i, item in enumerate(data.get("links") or []):
        try:
            links.append(Link.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first["loc"]) or "record"
            about = item.get("about") if isinstance(item, dict) else None
            problems.append(Problem(f"link {i + 1}: '{where}': {first['msg']}", str(path), None, about))
    if problems:
        raise InputError(f"{len(problems)} malformed link record(s)", problems=problems)
    return links


def _to_yaml(link: Link) -> dict:
    out = {}
    for name, value in link.model_dump().items():
        if value is None or value == []:
            continue
        out[name] = value
    return out


def write_links(path: Path, links: Iterable[Link], source: str) -> None:
    """Write atomically (temporary file, then rename): a failure leaves the old file whole."""
    body = yaml.safe_dump({"links": [_to_yaml(x) for x in links]}, sort_keys=False, allow_unicode=True,
                          width=120, default_flow_style=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(header(source) + body)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass
class MergeResult:
    links: list[Link]
    added: int = 0
    refreshed: int = 0
    kept: int = 0  # earlier proposals not proposed again, kept as they were
    decided: int = 0  # accepted or rejected records, untouched
    skipped: int = 0  # new proposals dropped because a decision exists
    shared: dict[str, set[str]] = field(default_factory=dict)


def _order(link: Link) -> tuple:
    return (link.about, {"accepted": 0, "proposed": 1, "rejected": 2}[link.status], -(link.score or 0),
            link.identifier)


def merge(existing: list[Link], proposals: list[Link]) -> MergeResult:
    """Merge new proposals into the existing records (module docstring)."""
    decided = {(x.about, x.identifier): x for x in existing if x.status != "proposed"}
    has_accepted = {x.about for x in existing if x.status == "accepted"}
    old = {(x.about, x.identifier): x for x in existing if x.status == "proposed"}
    result = MergeResult([], decided=len(decided))
    fresh: dict[tuple[str, str], Link] = {}
    for p in proposals:
        key = (p.about, p.identifier)
        if key in decided or p.about in has_accepted:
            result.skipped += 1
            continue
        if key in fresh:
            continue
        fresh[key] = p
        if key in old:
            result.refreshed += 1
        else:
            result.added += 1
    stale = f"{STALE}: the latest run did not propose it again"
    kept = {k: v.model_copy(update={"flags": [f for f in v.flags if not f.startswith(STALE)] + [stale]})
            for k, v in old.items() if k not in fresh}
    result.kept = len(kept)
    links = list(decided.values()) + list(fresh.values()) + list(kept.values())
    result.links = sorted(flag_shared(links), key=_order)
    result.shared = shared_identifiers(result.links)
    return result


def flag_shared(links: list[Link]) -> list[Link]:
    """Recompute 'shared-identifier' flags on proposed links; accepted and rejected ones stay untouched."""
    shared = shared_identifiers(links)
    out = []
    for link in links:
        if link.status == "proposed":
            flags = [f for f in link.flags if not f.startswith(SHARED)]
            others = sorted(shared.get(link.identifier, set()) - {link.about})
            if others:
                flags.append(f"{SHARED}: {link.identifier} is also linked to {', '.join(others)}")
            link = link.model_copy(update={"flags": flags})
        out.append(link)
    return out


def rule_decision(link: Link, reviewer: str) -> tuple[str, str] | None:
    """(status, reason) the review rule gives a proposed link, or None to leave it proposed.

    Accept: an exact name or alias match (or a QID carried by an accepted ROR record) whose country
    agrees with the curated graph, with no flag.  Reject: a name match whose registry record lies in
    another country than the curated graph places the actor.
    """
    if link.status != "proposed":
        return None
    country = next((e for e in link.evidence if e.startswith("country agrees")), None)
    if link.method in ACCEPT_METHODS and not link.flags and country:
        return "accepted", (f"accepted by rule, reviewer {reviewer}: {link.method} match, {country}, no flags "
                            "(unambiguous evidence; not a human curator's check)")
    clash = next((f for f in link.flags if f.startswith("country-disagrees")), None)
    if clash and link.method in NAME_METHODS:
        return "rejected", (f"rejected by rule, reviewer {reviewer}: name match only and {clash.split(': ', 1)[1]} "
                            "- a different organisation of the same name")
    return None


def auto_review(links: list[Link], reviewer: str) -> tuple[list[Link], dict[str, int]]:
    """Apply :func:`rule_decision` to every proposed link; decisions already made are untouched.

    A link is accepted only if it is the one link of its actor in this file that is or would be accepted.
    """
    counts = {"accepted": 0, "rejected": 0, "proposed": 0}
    first = []  # rejections first: a rejected link no longer makes its identifier 'shared'
    for link in links:
        decision = rule_decision(link, reviewer)
        if decision and decision[0] == "rejected":
            link = link.model_copy(update={"status": "rejected", "reason": decision[1]})
            counts["rejected"] += 1
        first.append(link)
    links = flag_shared(first)
    decisions = {id(x): rule_decision(x, reviewer) for x in links}
    accepting: dict[str, int] = {}
    for x in links:
        if (decisions[id(x)] or ("",))[0] == "accepted" or x.status == "accepted":
            accepting[x.about] = accepting.get(x.about, 0) + 1
    out = []
    for link in links:
        decision = decisions[id(link)]
        if decision and decision[0] == "accepted" and accepting[link.about] > 1:
            decision = None  # two candidates (or one already accepted) qualify: a curator must choose
        if decision and decision[0] == "accepted":
            link = link.model_copy(update={"status": decision[0], "reason": decision[1]})
            counts[decision[0]] += 1
        elif link.status == "proposed":
            counts["proposed"] += 1
        out.append(link)
    return sorted(out, key=_order), counts


def decide(links: list[Link], about: str, identifier: str, status: str, reason: str) -> list[Link]:
    """A curator's decision on one link (by actor and identifier)."""
    if status not in ("accepted", "rejected", "proposed"):
        raise InputError(f"status '{status}' must be accepted, rejected or proposed")
    if not reason.strip():
        raise InputError("a decision needs a reason")
    hits = [i for i, x in enumerate(links) if x.about == about and x.identifier == identifier]
    if not hits:
        raise InputError(f"no link of '{about}' to '{identifier}' in the file",
                         hint="run `pmkg link <source>` first, or check the identifier")
    out = list(links)
    for i in hits:
        out[i] = out[i].model_copy(update={"status": status, "reason": reason})
    return out
