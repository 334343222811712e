"""The three linking runs (ROR, Funder Registry, Wikidata): read, propose, merge, write.

Library code: returns a :class:`LinkReport`, raises :class:`~pmkg.errors.PmkgError`; the CLI prints.
Every run reads ``kg/links/<source>.yaml`` before anything else, so a malformed file stops the run
before any work, and writes it atomically at the end, so a failure in between changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pmkg.errors import InputError
from pmkg.link.curated import curated_actors, curated_countries
from pmkg.link.funders import read_funders
from pmkg.link.match import RegistryIndex, RegistryRecord, propose
from pmkg.link.review import SOURCES, MergeResult, auto_review, decide, merge, read_links, write_links
from pmkg.link.ror import read_ror
from pmkg.link.wikidata import EndpointError, WikidataClient
from pmkg.link.wikidata_propose import RegistryLinks, WikidataProposer, propose_wikidata
from pmkg.load import KG, load_kg
from pmkg.schema import Document, Link

Note = Callable[[str], None]


@dataclass
class LinkReport:
    source: str
    path: Path
    entities: int
    merge: MergeResult
    defects: dict[str, set[str]] = field(default_factory=dict)  # QID -> ROR ids carrying it
    warnings: list[str] = field(default_factory=list)
    records_read: int = 0

    def counts(self) -> dict[str, int]:
        status = {"proposed": 0, "accepted": 0, "rejected": 0}
        for link in self.merge.links:
            status[link.status] += 1
        status["flagged"] = sum(1 for x in self.merge.links if x.flags and x.status == "proposed")
        status["entities with a link"] = len({x.about for x in self.merge.links if x.status != "rejected"})
        return status


def links_path(root: Path, source: str) -> Path:
    """``kg/links/<source>.yaml`` of the project at ``root``; a ``root`` that holds no ``kg/`` folder
    (a typo) is an error, never a new project tree."""
    if not (root / "kg").is_dir():
        raise InputError(f"no pmkg project at {root}: {root / 'kg'} is not a folder; nothing was written",
                         hint="give the project folder (the one holding kg/) with --root")
    return root / "kg" / "links" / f"{source}.yaml"


def registry_file(root: Path, kg: KG, doc_id: str, given: Path | None, option: str) -> Path:
    """The file given, or the one the registry document in kg/sources.yaml names (beside the seeds)."""
    if given is not None:
        return given
    doc = next((r.model for r in kg.of_kind("documents") if r.model.id == doc_id), None)  # type: ignore[attr-defined]
    if isinstance(doc, Document) and doc.file:
        candidate = (root.resolve().parent / "shared" / "seeds" / doc.file).resolve()
        if candidate.is_file():
            return candidate
    raise InputError(f"no registry file given and none found for document '{doc_id}'", hint=f"pass {option} FILE")


def qid_owners(records: list[RegistryRecord]) -> dict[str, set[str]]:
    owners: dict[str, set[str]] = {}
    for rec in records:
        for qid in rec.wikidata:
            owners.setdefault(qid, set()).add(rec.identifier)
    return owners


def _accepted(existing: list[Link]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for x in existing:
        if x.status == "accepted":
            out.setdefault(x.about, set()).add(x.identifier)
    return out


def _registry_run(root: Path, source: str, records: Callable[[KG], list[RegistryRecord]],
                  note: Note) -> tuple[LinkReport, list[RegistryRecord]]:
    path = links_path(root, source)
    existing = read_links(path)
    kg = load_kg(root / "kg")
    actors = curated_actors(kg)
    names = {c.iso: c.label for c in curated_countries(kg)}
    recs = records(kg)
    note(f"matching {len(actors)} actors against {len(recs)} records")
    proposals = propose(actors, RegistryIndex(recs), SOURCES[source][1], accepted=_accepted(existing),
                        country_names=names)
    result = merge(existing, proposals)
    write_links(path, result.links, source)
    return LinkReport(source, path, len(actors), result, records_read=len(recs)), recs


def link_ror(root: Path, dump: Path | None, note: Note = lambda _: None) -> LinkReport:
    def records(kg: KG) -> list[RegistryRecord]:
        path = registry_file(root, kg, "ror-v2-9", dump, "--dump")
        note(f"reading {path}")
        return list(read_ror(path))

    report, recs = _registry_run(root, "ror", records, note)
    linked = {x.identifier for x in report.merge.links if x.status != "rejected"}
    report.defects = {q: o for q, o in qid_owners(recs).items() if len(o) > 1 and o & linked}
    return report


def link_funders(root: Path, registry: Path | None, note: Note = lambda _: None) -> LinkReport:
    def records(kg: KG) -> list[RegistryRecord]:
        path = registry_file(root, kg, "crossref-funder-registry-2018-07-09", registry, "--registry")
        note(f"reading {path} (RDF/XML)")
        return read_funders(path)

    return _registry_run(root, "funders", records, note)[0]


def link_wikidata(root: Path, dump: Path | None, client: WikidataClient | None, *, require_endpoint: bool = False,
                  note: Note = lambda _: None) -> LinkReport:
    """QIDs carried by ROR records, plus (with a client) the endpoint's look-ups; see wikidata_propose."""
    path = links_path(root, "wikidata")
    existing = read_links(path)
    ror_links, funder_links = read_links(links_path(root, "ror")), read_links(links_path(root, "funders"))
    kg = load_kg(root / "kg")
    actors, countries = curated_actors(kg), curated_countries(kg)
    dump_path = registry_file(root, kg, "ror-v2-9", dump, "--ror-dump")
    note(f"reading {dump_path}")
    all_records = list(read_ror(dump_path))
    owners = qid_owners(all_records)
    wanted = {x.identifier for x in ror_links}
    ror_records = {r.identifier: r for r in all_records if r.identifier in wanted}
    links = RegistryLinks(RegistryLinks.usable(ror_links), RegistryLinks.usable(funder_links))
    warnings: list[str] = []
    proposer = WikidataProposer(ror_records, owners, links, client)
    try:
        if client is not None:
            note(f"querying {client.endpoint}")
        proposals = propose_wikidata(actors, countries, proposer, use_endpoint=client is not None)
    except EndpointError as exc:
        if require_endpoint:
            raise
        warnings.append(f"{exc.lines()[0]}; proposing only the QIDs carried by ROR records")
        proposer = WikidataProposer(ror_records, owners, links, None)
        proposals = propose_wikidata(actors, countries, proposer, use_endpoint=False)
    result = merge(existing, proposals)
    write_links(path, result.links, "wikidata")
    return LinkReport("wikidata", path, len(actors) + len(countries), result, proposer.defects, warnings,
                      len(all_records))


def review_file(root: Path, source: str, reviewer: str) -> dict[str, int]:
    """Apply the review rule (review.rule_decision) to the proposed links of one file."""
    path = links_path(root, source)
    links, counts = auto_review(read_links(path), reviewer)
    write_links(path, links, source)
    return counts


def decide_link(root: Path, source: str, about: str, identifier: str, status: str, reason: str) -> None:
    path = links_path(root, source)
    write_links(path, decide(read_links(path), about, identifier, status, reason), source)
