"""Reports built only from canned-query results, rendered by jinja2 as HTML or Markdown.

A report is a list of sections; each section names the canned queries it shows
(``Run``).  A query that is not in the catalogue yet leaves a visible note in its
section instead of silently vanishing; a query that fails does the same and is
also listed in ``Report.problems``.  Every table cell is a cell of a canned-query
result (pivots only rearrange cells; a missing row counts as 0), and every table
names the ``pmkg query`` call that produced it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from pmkg import charts
from pmkg.catalogue import Param, QuerySpec
from pmkg.errors import InputError, PmkgError
from pmkg.namespaces import ID
from pmkg.output import short
from pmkg.query import Backend, Result, Value, resolve_entity, run_query

FORMATS = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md"}
SUBJECT_PARAMS = ("entity", "actor", "cluster", "subject")


@dataclass
class Table:
    """One canned-query result as shown: the call that made it, its columns and cell texts."""

    query: str
    call: str
    label: str
    columns: list[str]
    rows: list[list[str]]
    result: Result | None = None
    note: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    filtered: bool = False

    def without_empty_columns(self) -> Table:
        """The same table minus columns no row fills (e.g. ``country`` of ``actor-counts by=region``)."""
        keep = [i for i in range(len(self.columns)) if any(row[i] for row in self.rows)] if self.rows else []
        if not self.rows or len(keep) == len(self.columns):
            return self
        return Table(self.query, self.call, self.label, [self.columns[i] for i in keep],
                     [[row[i] for i in keep] for row in self.rows], self.result, self.note, self.params,
                     self.filtered)


@dataclass
class SectionOut:
    key: str
    title: str
    intro: str
    layout: str
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    chart: str | None = None
    chart_note: str | None = None


@dataclass
class Report:
    name: str
    title: str
    params: dict[str, str]
    generated: str
    build: dict[str, str]
    sections: list[SectionOut]
    figures: list[tuple[str, str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    subject: str | None = None

    @property
    def tables(self) -> list[Table]:
        return [t for s in self.sections for t in s.tables]

    @property
    def skipped(self) -> list[str]:
        return [n for s in self.sections for n in s.notes]


def output_format(path: Path) -> str:
    """``html`` or ``md`` from the output file's suffix."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"cannot tell the report format from '{path.name}'", hint="end --out in .html or .md")
    return fmt


def call_text(query: str, params: dict[str, str]) -> str:
    return f"pmkg query {query}" + "".join(f" --param {k}={_short_iri(v)}" for k, v in params.items())


def _short_iri(text: str) -> str:
    return text[len(ID):].split("/", 1)[-1] if text.startswith(ID) else text


def mentions(row: list[Value | None], subject: str) -> bool:
    """Whether a result row names the subject: as its IRI, or as its id (slug) in a plain-text cell."""
    slug = subject.rsplit("/", 1)[-1]
    return any(v is not None and (v.text == subject or (not v.is_iri and v.text == slug)) for v in row)


def _subject_param(spec: QuerySpec) -> Param | None:
    for name in SUBJECT_PARAMS:
        for p in spec.params:
            if p.name == name and p.type == "entity":
                return p
    entity = [p for p in spec.params if p.type == "entity" and p.required]
    return entity[0] if len(entity) == 1 else None


class Runner:
    """Runs the sections of one report on one backend, collecting tables and notes."""

    def __init__(self, catalogue: dict[str, QuerySpec], backend: Backend, subject: str | None) -> None:
        self.catalogue = catalogue
        self.backend = backend
        self.subject = subject
        self.problems: list[str] = []

    def table(self, run: Run) -> Table | str:
        """The run's table, or the text of a visible note when it cannot be shown."""
        name = next((q for q in run.queries if q in self.catalogue), None)
        if name is None:
            wanted = " or ".join(f"`{q}`" for q in run.queries)
            return f"Skipped: the canned query {wanted} is not in the catalogue yet."
        spec = self.catalogue[name]
        params = dict(run.params)
        filter_rows = False
        if run.subject and self.subject:
            param = spec.param(run.subject) if isinstance(run.subject, str) else _subject_param(spec)
            if param is not None:
                params[param.name] = self.subject
            else:
                filter_rows = True
        try:
            result = run_query(spec, params, self.backend)
        except PmkgError as exc:
            message = f"`{call_text(name, params)}` failed: {exc}"
            self.problems.append(message)
            return f"Not shown: {message}"
        rows = result.rows
        note = result.notice
        if filter_rows:
            rows = [r for r in rows if mentions(r, self.subject or "")]
            result = Result(result.columns, rows, result.notice)
            note = f"the rows of `{name}` that mention {_short_iri(self.subject or '')}"
        cells = [[short(v) for v in row] for row in rows]
        table = Table(name, call_text(name, params), run.label, list(result.columns), cells, result, note,
                      params, filter_rows)
        return table.without_empty_columns()

    def section(self, section: Section) -> SectionOut:
        out = SectionOut(section.key, section.title, section.intro, section.layout)
        for run in section.runs:
            got = self.table(run)
            if isinstance(got, str):
                out.notes.append(got)
            else:
                out.tables.append(got)
        if section.layout == "pivot":
            out.tables = [pivot(out.tables, section.pivot_label)] if out.tables else []
        if section.chart and out.tables:
            out.chart, out.chart_note = draw(section.chart, section.key, out.tables)
        return out


def pivot(tables: list[Table], row_label: str) -> Table:
    """Tables of (key, …, count) become one table: a row per table, a column per key."""
    keys: list[str] = []
    for t in tables:
        keys += [r[0] for r in t.rows if r[0] not in keys]
    rows = []
    for t in tables:
        counts = {r[0]: r[-1] for r in t.rows}
        rows.append([t.label, *(counts.get(k, "0") for k in keys)])
    first = tables[0]
    call = first.call.replace(f"={first.label}", f"=<{row_label}>") if first.label else first.call
    return Table(first.query, call, "", [row_label, *keys], rows, None,
                 f"one run per {row_label}; a value missing from a run's result counts as 0")


def draw(kind: str, key: str, tables: list[Table]) -> tuple[str | None, str | None]:
    """The section's chart as inline SVG, or a note saying why there is none."""
    results = [(t.label or t.query, t.result) for t in tables if t.result is not None]
    prefix = f"chart-{key}"
    if kind == "bars":
        panels = [(label, bars) for label, result in results if (bars := charts.bars_of(result))]
        if not panels:
            return None, "No chart: no result has rows with a label and a count."
        return charts.bar_panels(panels, prefix), None
    if kind == "timeline":
        events, undated = charts.events_of([r for _, r in results])
        if not events:
            return None, "No chart: no row has a date."
        note = f"{undated} row(s) without a date are in the table but not on the chart." if undated else None
        return charts.timeline(events, prefix), note
    if kind == "network":
        ties = charts.ties_of(results)
        if not ties:
            return None, "No diagram: no result row names two actors or places."
        return charts.network(ties, prefix), None
    raise InputError(f"unknown chart kind '{kind}'")


def build_report(name: str, params: dict[str, str], catalogue: dict[str, QuerySpec], backend: Backend,
                 manifest: dict | None, source: str = "dist/") -> Report:
    """Run the report's sections; raises InputError for an unknown report or a missing parameter."""
    plan: ReportPlan | None = PLANS.get(name)
    if plan is None:
        raise InputError(f"no report '{name}'", hint="reports: " + ", ".join(PLANS))
    unknown = set(params) - set(plan.params)
    if unknown:
        raise InputError(f"report '{name}' has no parameter(s) {', '.join(sorted(unknown))}",
                         hint=f"its parameters: {', '.join(plan.params) or 'none'}")
    subject = None
    if plan.subject:
        raw = params.get(plan.subject)
        if not raw:
            raise InputError(f"report '{name}' needs --param {plan.subject}=…", hint=f"example: {plan.example}")
        subject = str(resolve_entity(Param(plan.subject, "entity", kinds=("actor",)), raw, backend))
    runner = Runner(catalogue, backend, subject)
    sections = [runner.section(s) for s in plan.sections(catalogue)]
    title = plan.title
    if subject:
        title += ": " + subject_label(sections, subject)
    generated = datetime.now(UTC).replace(microsecond=0).isoformat()
    build = {"fingerprint": str((manifest or {}).get("fingerprint", "unknown")),
             "built": str((manifest or {}).get("built", "unknown")), "source": source}
    report = Report(name, title, dict(params), generated, build, sections, problems=runner.problems,
                    subject=subject)
    report.figures = figures(report, plan.figures)
    return report


def subject_label(sections: list[SectionOut], subject: str) -> str:
    """The subject's label as the first table that lists it gives it (its slug otherwise)."""
    for t in (t for s in sections for t in s.tables):
        if t.result and "label" in t.columns:
            col = t.columns.index("label")
            for row in t.result.rows:
                if row[0] is not None and row[0].text == subject and row[col] is not None:
                    return row[col].text
    return _short_iri(subject)


def figures(report: Report, wanted: tuple[tuple[str, str], ...]) -> list[tuple[str, str, str]]:
    """Key figures as (what, number, where from): the row count of a section's first table of a query."""
    out = []
    for label, query in wanted:
        table = next((t for t in report.tables if t.query == query and t.note is None), None)
        if table is not None:
            out.append((label, str(len(table.rows)), f"rows of `{table.call}`"))
        else:
            out.append((label, "–", f"`{query}` is not in the catalogue yet"))
    return out


def environment() -> Environment:
    env = Environment(loader=PackageLoader("pmkg", "templates"), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html.j2"]), trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters["mdcell"] = lambda text: str(text).replace("|", "\\|").replace("\n", " ")
    return env


def render(report: Report, fmt: str) -> str:
    template = environment().get_template(f"report.{fmt}.j2")
    return template.render(report=report)


# --- the reports: which canned queries each section shows ---

@dataclass(frozen=True)
class Run:
    """One canned-query call: the first of ``queries`` in the catalogue, with ``params``;
    ``subject`` binds the report's subject to the query's entity parameter (the one
    named, if a name is given), or keeps only the rows that mention it when the query
    has no such parameter."""

    queries: tuple[str, ...]
    params: dict[str, str] = field(default_factory=dict)
    label: str = ""
    subject: bool | str = False


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    intro: str
    runs: tuple[Run, ...]
    chart: str | None = None
    layout: str = "tables"  # tables | side-by-side | pivot
    pivot_label: str = ""


@dataclass(frozen=True)
class ReportPlan:
    title: str
    summary: str
    sections: Callable[[dict[str, QuerySpec]], list[Section]]
    params: tuple[str, ...] = ()
    subject: str | None = None
    example: str = ""
    figures: tuple[tuple[str, str], ...] = ()


def _enum_values(catalogue: dict[str, QuerySpec], query: str, param: str) -> list[str]:
    spec = catalogue.get(query)
    found = [p for p in spec.params if p.name == param] if spec else []
    return [str(v) for v in (found[0].values or [])] if found else []


def _by_database(query: str) -> tuple[Run, ...]:
    return tuple(Run((query,), {"database": db}, label) for db, label in (("wos", "Web of Science"),
                                                                           ("cnki", "CNKI")))


TIES = (Run(("cross-border-ties",), label="cross-border ties"),
        Run(("clinical-partners",), label="clinical partnership"),
        Run(("industry-collaborators",), label="industry partnership"))


def _about_subject(runs: tuple[Run, ...]) -> tuple[Run, ...]:
    return tuple(Run(r.queries, r.params, r.label, subject=True) for r in runs)


def _landscape(catalogue: dict[str, QuerySpec]) -> list[Section]:
    kinds = _enum_values(catalogue, "actor-counts", "kind")
    by_kind = tuple(Run(("actor-counts",), {"by": "region", "kind": k}, k) for k in kinds)
    return [
        Section("regions", "Actors by region", "Distinct actors per region (an actor in two places counts in each).",
                (Run(("actor-counts",), {"by": "region"}),)),
        Section("countries", "Actors by country", "Actors per country within each region.",
                (Run(("actor-counts",), {"by": "country"}, "actors per country"),), chart="bars"),
        Section("types", "Actors by typology", "The IC2PerMed typology of causio-2023: PI, RTO, SME.",
                (Run(("actor-counts",), {"by": "type"}),)),
        Section("kinds", "Actors by kind", "Kinds of organisation, orthogonal to the typology; per region.",
                by_kind or (Run(("actor-counts",), {"by": "region", "kind": "cluster"}, "cluster"),),
                layout="pivot", pivot_label="kind"),
        Section("funders", "Top funders", "Funders of precision-medicine papers, Web of Science and CNKI side by side.",
                _by_database("top-funders"), chart="bars", layout="side-by-side"),
        Section("institutions", "Top institutions", "Institutions by papers, Web of Science and CNKI side by side.",
                _by_database("top-institutions"), chart="bars", layout="side-by-side"),
        Section("publications", "Publication numbers", "Yearly counts and growth rates as au-2023 states them.",
                (Run(("publication-trends",)),)),
        Section("policies", "Policy timeline", "Policies, plans, laws and guidelines by date of issue.",
                (Run(("policies",)),), chart="timeline"),
        Section("network", "Collaboration network",
                "Actors (and places, where a query ties an actor to a place) as nodes; ties coloured by their kind.",
                TIES, chart="network"),
        Section("partners", "Chinese partners for EU clusters", "Suggested partners, with the reasons.",
                (Run(("chinese-partners-of-eu-clusters",), {"limit": "3"}, "top 3 per cluster"),)),
        Section("actors", "Appendix: all actors", "Every actor with its typology, kinds, place and region.",
                (Run(("actors",)),)),
        Section("sources", "Appendix: sources", "The source documents behind the graph.",
                (Run(("sources", "documents")),)),
        Section("conflicts", "Appendix: conflicts", "Where sources disagree; both claims are kept.",
                (Run(("conflicts",)),)),
    ]


def _actor(catalogue: dict[str, QuerySpec]) -> list[Section]:
    return [
        Section("identity", "Identity", "The actor as the `actors` query lists it.",
                (Run(("actors",), subject=True),)),
        Section("facts", "Facts and their sources", "Every fact with the document, location and quote behind it.",
                (Run(("provenance",), subject=True),)),
        Section("ties", "Ties", "Collaborations and partnerships that involve the actor.",
                _about_subject((*TIES, Run(("shared-partners",), label="shared partners"))), chart="network"),
        Section("hierarchy", "Place in the hierarchy", "The organisations below the actor (its parents are among "
                "the facts above).", (Run(("sub-organisations",), subject="parent"),)),
        Section("people", "People", "People with a post at the actor or below it.",
                (Run(("people",), subject="affiliation"),)),
        Section("conflicts", "Conflicting claims", "Where the sources disagree about the actor; both claims are kept.",
                (Run(("conflicts",), subject=True),)),
        Section("external-ids", "External identifiers", "Wikidata, ROR and other registry ids.",
                (Run(("external-ids",), subject=True),)),
    ]


def _partners(catalogue: dict[str, QuerySpec]) -> list[Section]:
    return [
        Section("identity", "The cluster", "The EU cluster as the `actors` query lists it.",
                (Run(("actors",), {"kind": "cluster"}, subject=True),)),
        Section("suggestions", "Suggested Chinese partners", "Each suggestion with its justification.",
                (Run(("chinese-partners-of-eu-clusters",), subject=True),), chart="bars"),
        Section("ties", "The cluster's existing ties", "Collaborations the cluster already has.",
                _about_subject(TIES), chart="network"),
    ]


PLANS: dict[str, ReportPlan] = {
    "landscape": ReportPlan(
        "The precision-medicine landscape of China, the EU and the US",
        "Overview numbers, actors, funders (WoS and CNKI), policies, the collaboration network, "
        "partner suggestions for EU clusters, sources and conflicts.", _landscape,
        figures=(("actors", "actors"), ("policies", "policies"), ("partner suggestions",
                 "chinese-partners-of-eu-clusters"), ("conflicting claims", "conflicts"))),
    "actor": ReportPlan("Actor profile", "One actor: facts with sources, ties, hierarchy, external ids.",
                        _actor, ("entity",), "entity", "--param entity=bgi"),
    "partners": ReportPlan("Partner suggestions", "Chinese partners suggested for one EU cluster, with reasons.",
                           _partners, ("cluster",), "cluster", "--param cluster=<an EU cluster id or name>"),
}
