"""Record models for the curated YAML in ``kg/``.

Every YAML file is a mapping whose keys are record kinds (``actors``,
``policies`` …) and whose values are lists of records.  The models below are
strict (unknown fields are errors) so that a typo in the YAML is caught before
any RDF exists.  ``kg/README.md`` documents each kind with an example.
"""

from __future__ import annotations

import datetime
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Slug = Annotated[str, Field(pattern=SLUG, max_length=120)]


def _real_date(text: str) -> str:
    """A year, year-month or date that exists on the calendar (no 2019-02-30, no month 13)."""
    parts = [int(p) for p in text.split("-")]
    try:
        datetime.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError as exc:
        raise ValueError(f"'{text}' is not a real date ({exc})") from None
    return text


# Dates as the documents give them: a year, a year-month or a full date, quoted or not (the loader
# reads YAML 1.2 core types, so an unquoted 2019-02-03 is a string too).
PartialDate = Annotated[str, Field(pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$"), AfterValidator(_real_date)]

TYPOLOGY = ("PI", "RTO", "SME")
ACTOR_KINDS = (
    "cluster", "university", "hospital", "company", "government-body",
    "funding-agency", "research-institute", "non-profit", "laboratory",
    "professional-society", "international-organisation", "consortium",
    "working-group", "platform",
)
PLACE_KINDS = ("country", "region", "city", "supranational")
POLICY_KINDS = ("law", "plan", "regulation", "guideline", "notice", "report", "strategy", "opinion")
AGENDA_KINDS = (
    "objective", "work-package", "action-area", "action", "facilitator",
    "barrier", "recommendation", "collaboration-area", "common-objective",
    "pillar", "responsibility", "finding",
)
RANKS = ("preferred", "normal", "deprecated")
SEVERITIES = ("substantive", "minor", "format")
SUCCESSION_KINDS = ("renamed", "replaced", "merged", "restructured")
# An http(s) URL that is also a valid IRI reference: no spaces, controls or <>"{}|\\^` (RFC 3987),
# which an N-Triples/Turtle writer could not put between angle brackets.
URL_RE = re.compile(r"^https?://[^\s/$.?#<>\"{}|\\^`\x00-\x20\x7f][^\s<>\"{}|\\^`\x00-\x20\x7f]*$",
                    re.IGNORECASE)


class Strict(BaseModel):
    """Base: unknown fields are errors, values are not coerced (strict mode: no '17' for 17,
    no 1 for true), numbers must be finite (no NaN, no infinity)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True, allow_inf_nan=False)


class Source(Strict):
    """Where a fact comes from: document id, place in it, and for prose a quote."""

    doc: Slug
    at: str = Field(min_length=1, description="table and row, or section")
    quote: str | None = None


class Figure(Strict):
    """A number a document states about an entity (hospital count, exams/day …)."""

    measure: Slug
    text: str = Field(description="the figure exactly as the document gives it")
    value: float | None = None


class Participation(Strict):
    """A person taking part in an event."""

    person: Slug
    role: str | None = None
    side: str | None = None


class Membership(Strict):
    """A person's post at an organisation."""

    org: Slug
    role: str | None = None


class Succession(Strict):
    """The body this one succeeds (took over from), with the date and how."""

    org: Slug = Field(description="id of the predecessor")
    date: PartialDate | None = Field(None, description="when the successor took over")
    how: Literal[SUCCESSION_KINDS] | None = None  # type: ignore[valid-type]


class Renaming(Strict):
    """The entity changed its name (same body, new name) at a date."""

    date: PartialDate | None = None
    former_name: str | None = Field(None, description="the earlier name, if the source gives it")
    new_name: str | None = None


class SharedAlias(Strict):
    """Why an alias is also an alias (or label) of another entity."""

    alias: str
    also_of: Slug = Field(description="the other entity carrying the same name")
    reason: str = Field(min_length=1)


def _check_urls(values: list[str]) -> list[str]:
    for url in values:
        if not URL_RE.match(url):
            if re.match(r"^https?://", url, re.IGNORECASE):
                raise ValueError(f"'{url}' contains a character not allowed in an IRI (space, control, "
                                 "or one of <>\"{}|\\^`); percent-encode it")
            raise ValueError(f"'{url}' is not an http(s) URL; write it with its scheme, e.g. https://{url}")
    return values


class Facts(Strict):
    """Fields every describable entity may carry, attributable to one source.

    Used for the entity record itself and for ``also`` / ``facts`` blocks that
    add what another document (or another place in the same one) says.
    """

    label_zh: str | None = None
    aliases: list[str] = []
    description: str | None = None
    note: str | None = Field(None, description="curator's rationale, e.g. for a merge")
    located_in: list[Slug] = []
    place_unknown: bool = Field(False, description="no source states the place; say why in `note`")
    website: list[str] = []
    founded: PartialDate | None = None
    typology: list[Literal["PI", "RTO", "SME"]] = []
    kinds: list[Literal[ACTOR_KINDS]] = []  # type: ignore[valid-type]
    parent: list[Slug] = Field([], description="sub-organisation of")
    founded_by: list[Slug] = []
    owned_by: list[Slug] = []
    funded_by: list[Slug] = []
    member_of: list[Slug] = []
    partner_of: list[Slug] = []
    supported_by: list[Slug] = []
    focus: list[Slug] = Field([], description="topic ids")
    segment: str | None = None
    products: list[str] = []
    figures: list[Figure] = []
    formerly: list[str] = Field([], description="earlier names")
    affiliations: list[Membership] = []
    succeeds: list[Succession] = Field([], description="predecessor bodies, with dates")
    renamed: list[Renaming] = []
    supervised_by: list[Slug] = []
    listed_jointly_with: list[Slug] = Field([], description="bodies a source names together as one (CAMS/PUMC)")
    refers_to: list[Slug] = Field([], description="laws, policies or programmes the text refers to")
    author_of: list[Slug] = Field([], description="documents (ids in sources.yaml) a person wrote")
    shared_aliases: list[SharedAlias] = Field([], description="aliases another entity also carries, and why")

    _urls = field_validator("website")(classmethod(lambda cls, v: _check_urls(v)))


class FactsBlock(Facts):
    """Extra facts about an entity from a source of their own.

    Besides the shared fields, a block may state the dates, issuers and grant
    number of a policy or programme, so that a second document's (or a second
    table's) claim about them can be recorded with its own source.
    """

    source: Source
    label: str | None = None
    issued: PartialDate | None = None
    issued_by: list[Slug] = []
    start: PartialDate | None = None
    end: PartialDate | None = None
    grant_number: str | None = None


class FactsRecord(FactsBlock):
    """Top-level ``facts`` record: facts about an entity defined in another file."""

    about: Slug


class Entity(Facts):
    id: Slug
    label: str = Field(min_length=1)
    source: Source
    also: list[FactsBlock] = []


class Document(Strict):
    id: Slug
    label: str
    authors: list[str] = []
    issued: PartialDate | None = None
    publisher: str | None = None
    file: str | None = None
    kind: Literal["seed", "standard", "curation", "registry", "import"] = "seed"
    description: str | None = None
    supported_by: list[Slug] = Field([], description="who supported the work (as the document's acknowledgement says)")


class Place(Entity):
    place_kind: Literal[PLACE_KINDS]  # type: ignore[valid-type]
    iso_code: str | None = Field(None, pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")


class Topic(Entity):
    broader: list[Slug] = []


class Actor(Entity):
    pass


class Person(Entity):
    pass


class Programme(Entity):
    programme_kind: Literal["programme", "plan", "initiative", "project", "platform"] = "programme"
    owner: list[Slug] = []
    jurisdiction: list[Slug] = []
    start: PartialDate | None = None
    end: PartialDate | None = None
    part_of: list[Slug] = []
    grant_number: str | None = None
    coordinator: list[Slug] = []
    participants: list[Slug] = []


class Policy(Entity):
    policy_kind: Literal[POLICY_KINDS]  # type: ignore[valid-type]
    issued: PartialDate | None = None
    effective: PartialDate | None = None
    issued_by: list[Slug] = []
    jurisdiction: list[Slug] = []
    topics: list[Slug] = []
    status: str | None = None


class Collaboration(Entity):
    participants: list[Slug] = Field(min_length=2)
    collaboration_kind: Slug
    topics: list[Slug] = []
    disease_area: str | None = None
    start: PartialDate | None = None
    end: PartialDate | None = None


class Event(Entity):
    event_kind: Literal["dialogue", "workshop", "forum", "meeting", "conference", "study-trip"]
    start: PartialDate | None = None
    end: PartialDate | None = None
    conveners: list[Slug] = []
    organisers: list[Slug] = []
    participants: list[Participation] = []
    topics: list[Slug] = []
    follow_up_of: list[Slug] = []


class AgendaItem(Entity):
    item_kind: Literal[AGENDA_KINDS]  # type: ignore[valid-type]
    part_of: list[Slug] = []
    responsible: list[Slug] = []
    order: int | None = Field(None, ge=0)
    topics: list[Slug] = []


class Observation(Strict):
    """One number from a document: a bibliometric table cell or a headline figure."""

    id: Slug
    subject: Slug
    measure: Slug = Field(description="papers, funded-papers, first-author-articles, actors-identified …")
    count: int | None = Field(None, ge=0)
    value: float | None = None
    rank: int | None = Field(None, ge=1)
    database: Literal["wos", "cnki", "desk-research"] | None = None
    sample: str | None = None
    period_start: PartialDate | None = None
    period_end: PartialDate | None = None
    year: PartialDate | None = None
    level: str | None = None
    city: Slug | None = None
    label: str | None = Field(None, description="the subject's name as the table spells it")
    source: Source


class Claim(FactsBlock):
    """One side of a conflict, ranked as Wikidata ranks statements.

    ``preferred``: what a reader should use by default (asserted in the graph);
    ``normal``: kept, but only in the reification; ``deprecated``: known to be wrong
    as printed (a malformed URL, a misspelt place), kept with its ``reason``.
    """

    rank: Literal[RANKS] = "normal"  # type: ignore[valid-type]
    reason: str | None = Field(None, description="why this rank (kg/README.md lists the rule per kind)")


class Conflict(Strict):
    """Two or more sources disagree about one property of one entity."""

    id: Slug
    about: Slug
    property: str = Field(description="the YAML field the claims disagree on")
    description: str
    severity: Literal[SEVERITIES] | None = Field(  # type: ignore[valid-type]
        None, description="override of the computed severity (see kg/README.md)")
    claims: list[Claim] = Field(min_length=2)

    @model_validator(mode="after")
    def _one_preferred(self) -> Conflict:
        preferred = [c for c in self.claims if c.rank == "preferred"]
        if len(preferred) != 1:
            raise ValueError(f"a conflict needs exactly one claim with rank: preferred (has {len(preferred)})")
        for claim in self.claims:
            if claim.rank != "normal" and not claim.reason:
                raise ValueError(f"a {claim.rank} claim needs a 'reason' ({claim.source.at})")
        return self


class ConceptRecord(Entity):
    """A SKOS concept in a scheme other than topics (collaboration kinds …)."""

    scheme: Slug


class Link(Strict):
    """A proposed or reviewed match of a curated entity to an external registry record.

    Proposals are written by ``pmkg link``; a curator sets ``status``.  Only
    accepted links enter the graph (skos:exactMatch plus the identifier), in
    the named graph of the registry document ``registry_doc``.
    """

    about: Slug
    registry: Literal["ror", "funder-registry", "wikidata"]
    registry_doc: Slug = Field(description="the documents id of the registry release the record came from")
    identifier: str = Field(min_length=1)
    iri: str
    label: str | None = None
    score: float | None = None
    method: str | None = None
    evidence: list[str] = []
    flags: list[str] = []
    status: Literal["proposed", "accepted", "rejected"] = "proposed"
    reason: str | None = None

    _iri = field_validator("iri")(classmethod(lambda cls, v: _check_urls([v])[0]))


RECORD_KINDS: dict[str, type[BaseModel]] = {
    "documents": Document,
    "places": Place,
    "topics": Topic,
    "concepts": ConceptRecord,
    "actors": Actor,
    "people": Person,
    "programmes": Programme,
    "policies": Policy,
    "collaborations": Collaboration,
    "events": Event,
    "agenda": AgendaItem,
    "observations": Observation,
    "conflicts": Conflict,
    "facts": FactsRecord,
    "links": Link,
}
