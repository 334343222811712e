"""Reports built only from canned-query results, rendered by jinja2 as HTML or Markdown.

A report is a list of sections; each section names the canned queries it shows
(``Run``).  A query that is not in the catalogue yet leaves a visible note in its
section instead of silently vanishing; a query that fails does the same and is
also listed in ``Report.problems``.  Every table cell is a cell of a canned-query
result (pivots only rearrange cells; a missing row counts as 0), and every table
names the ``pmkg query`` call that produced it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from pmkg import charts
from pmkg.catalogue import Param, QuerySpec
from pmkg.errors import InputError, PmkgError
from pmkg.ids import ID
from pmkg.output import short
from pmkg.query import Backend, Result, Value, resolve_entity, run_query

FORMATS = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md", ".pdf": "pdf"}
NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?%?$")
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


@dataclass(frozen=True)
class Sentence:
    """A sentence of generated text and the query call its numbers come from (empty: none)."""

    text: str
    source: str = ""


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
    words: list[Sentence] = field(default_factory=list)
    footnotes: list[str] = field(default_factory=list)


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
    empty: list[str] = field(default_factory=list)
    summary: list[Sentence] = field(default_factory=list)

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
        raise InputError(f"cannot tell the report format from '{path.name}'", hint="end --out in .html, .md or .pdf")
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
    """Runs the sections of one report on one backend, collecting tables and notes.

    Results are cached per (query, parameters), so a report that shows a query and also
    counts or summarises it runs it once."""

    def __init__(self, catalogue: dict[str, QuerySpec], backend: Backend, subject: str | None,
                 cache: dict[tuple[str, tuple[tuple[str, str], ...]], Result] | None = None) -> None:
        self.catalogue = catalogue
        self.backend = backend
        self.subject = subject
        self.problems: list[str] = []
        self._cache = cache if cache is not None else {}

    def result(self, name: str, params: dict[str, str] | None = None) -> Result | None:
        """A canned query's whole result (cached); None when the query is missing or fails (noted once)."""
        params = dict(params or {})
        key = result_key(name, params)
        if key not in self._cache:
            if name not in self.catalogue:
                return None
            try:
                self._cache[key] = run_query(self.catalogue[name], params, self.backend)
            except PmkgError as exc:
                self.problems.append(f"`{call_text(name, params)}` failed: {exc}")
                return None
        return self._cache[key]

    def regions(self) -> dict[str, str]:
        """Actor IRI -> its region label, from the `actors` query (for colouring the network)."""
        result = self.result("actors")
        if result is None or "region" not in result.columns:
            return {}
        col = result.columns.index("region")
        return {row[0].text: row[col].text for row in result.rows if row[0] is not None and row[col] is not None}

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
        key = result_key(name, params)
        try:
            result = self._cache[key] if key in self._cache else run_query(spec, params, self.backend)
        except PmkgError as exc:
            message = f"`{call_text(name, params)}` failed: {exc}"
            self.problems.append(message)
            return f"Not shown: {message}"
        self._cache[key] = result
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
            chart = section.chart if isinstance(section.chart, Chart) else Chart(section.chart)
            out.chart, out.chart_note = draw(chart, section.key, out.tables, self)
        if section.finish and out.tables:
            section.finish(out, self)
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


def _cell(result: Result, row: list[Value | None], column: str) -> str:
    if column not in result.columns:
        return ""
    value = row[result.columns.index(column)]
    return value.text if value is not None else ""


def _bars(table: Table, chart: Chart) -> list[charts.Bar]:
    """One bar per row of the whole result: label from ``chart.label`` columns, value, group."""
    result = table.result
    if result is None:
        return []
    if not chart.value:
        return [charts.Bar(label, value) for label, value in charts.bars_of(result, limit=10_000)]
    out = []
    for row in result.rows:
        value = charts.number(row[result.columns.index(chart.value)]) if chart.value in result.columns else None
        parts = [_cell(result, row, c) for c in chart.label]
        label = " · ".join(p for p in parts if p)
        if value is not None and label:
            out.append(charts.Bar(label, value, _cell(result, row, chart.group) if chart.group else ""))
    return out


def draw(chart: Chart, key: str, tables: list[Table], runner: Runner | None = None) -> tuple[str | None, str | None]:
    """The section's chart as inline SVG, or a note saying why there is none."""
    results = [(t.label or t.query, t.result) for t in tables if t.result is not None]
    prefix = f"chart-{key}"
    if chart.kind == "bars":
        panels = [charts.ranked(t.label or chart.title or t.query, bars, chart.top, chart.keep_order)
                  for t in tables if (bars := _bars(t, chart))]
        if not panels:
            return None, "No chart: no result has rows with a label and a count."
        note = "; ".join(f"{p.title}: the chart shows the top {len(p.bars)} of {p.total} rows, the table all of them"
                         for p in panels if len(p.bars) < p.total) or None
        return charts.bar_panels(panels, prefix, chart.xlabel), note
    if chart.kind == "timeline":
        events, undated = charts.events_of([r for _, r in results])
        if not events:
            return None, "No chart: no row has a date."
        note = f"{undated} row(s) without a date are in the table but not on the chart." if undated else None
        return charts.timeline(events, prefix), note
    if chart.kind == "trends":
        series, periods = charts.trends_of([r for _, r in results])
        if not series and not periods:
            return None, "No chart: no yearly or period counts."
        return charts.trends(series, periods, prefix), None
    if chart.kind == "network":
        ties = charts.ties_of(results)
        if not ties:
            return None, "No diagram: no result row names two actors or places."
        return charts.network(ties, prefix, runner.regions() if runner else None), None
    raise InputError(f"unknown chart kind '{chart.kind}'")


def result_key(name: str, params: dict[str, str]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """How a result is cached: the query and its given parameters."""
    return name, tuple(sorted(params.items()))


def build_report(name: str, params: dict[str, str], catalogue: dict[str, QuerySpec], backend: Backend,
                 manifest: dict | None, source: str = "dist/",
                 cache: dict[tuple[str, tuple[tuple[str, str], ...]], Result] | None = None) -> Report:
    """Run the report's sections; raises InputError for an unknown report or a missing parameter.

    ``cache`` holds results already run (keyed by :func:`result_key`) and receives the new ones."""
    from pmkg.report_plans import PLANS
    plan: ReportPlan | None = PLANS.get(name)
    if plan is None:
        raise InputError(f"no report '{name}'", hint="reports: " + ", ".join(PLANS))
    unknown = set(params) - set(plan.params)
    if unknown:
        raise InputError(f"report '{name}' has no parameter(s) {', '.join(sorted(unknown))}",
                         hint=f"its parameters: {', '.join(plan.params) or 'none'}")
    for needed in plan.required:
        if not params.get(needed):
            raise InputError(f"report '{name}' needs --param {needed}=…", hint=f"example: {plan.example}")
    subject = None
    if plan.subject:
        raw = params.get(plan.subject)
        if not raw:
            raise InputError(f"report '{name}' needs --param {plan.subject}=…", hint=f"example: {plan.example}")
        subject = resolve_entity(Param(plan.subject, "entity", kinds=("actor",)), raw, backend).value
    runner = Runner(catalogue, backend, subject, cache)
    sections = [runner.section(s) for s in plan.sections(catalogue, params)]
    title = plan.title
    if subject:
        title += ": " + subject_label(sections, subject)
    generated = datetime.now(UTC).replace(microsecond=0).isoformat()
    build = {"fingerprint": str((manifest or {}).get("fingerprint", "unknown")),
             "built": str((manifest or {}).get("built", "unknown")), "source": source}
    if plan.drop_empty:
        empty = [s for s in sections if not s.notes and s.tables and not any(t.rows for t in s.tables)]
        sections = [s for s in sections if s not in empty]
    else:
        empty = []
    report = Report(name, title, dict(params), generated, build, sections, problems=runner.problems,
                    subject=subject, empty=[s.title for s in empty])
    report.figures = figures(runner, plan.figures)
    report.summary = plan.summary_writer(runner, report) if plan.summary_writer else []
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


def figures(runner: Runner, wanted: tuple[Figure, ...]) -> list[tuple[str, str, str]]:
    """Key figures as (what, number, where from): distinct values of a column of a canned query's result."""
    out = []
    for fig in wanted:
        result = runner.result(fig.query, fig.params)
        if result is None or fig.column not in result.columns:
            out.append((fig.label, "–", f"`{fig.query}` is not in the catalogue yet"))
            continue
        col = result.columns.index(fig.column)
        values = {tuple(short(row[result.columns.index(c)]) for c in (fig.column, *fig.also))
                  for row in result.rows if row[col] is not None}
        what = " and ".join(f"`{c}`" for c in (fig.column, *fig.also))
        out.append((fig.label, str(len(values)), f"distinct {what} in `{call_text(fig.query, fig.params)}`"))
    return out


def environment() -> Environment:
    env = Environment(loader=PackageLoader("pmkg", "templates"), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html.j2"]), trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters["mdcell"] = lambda text: str(text).replace("|", "\\|").replace("\n", " ")
    env.tests["number_text"] = lambda text: bool(NUMBER_RE.match(str(text)))
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
class Chart:
    """How a section's chart is drawn: ``kind`` (bars, timeline, trends, network); for bars the columns
    joined into a bar's label, the value column, the column giving its colour, and how many bars at most."""

    kind: str
    label: tuple[str, ...] = ()
    value: str = ""
    group: str = ""
    top: int | None = None
    title: str = ""
    xlabel: str = ""
    keep_order: bool = False


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    intro: str
    runs: tuple[Run, ...]
    chart: str | Chart | None = None
    layout: str = "tables"  # tables | side-by-side | pivot
    pivot_label: str = ""
    finish: Callable[[SectionOut, Runner], None] | None = None


@dataclass(frozen=True)
class Figure:
    """A key figure: the number of distinct values of ``column`` (with ``also``) in a query's result."""

    label: str
    query: str
    column: str
    params: dict[str, str] = field(default_factory=dict)
    also: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportPlan:
    title: str
    summary: str
    sections: Callable[[dict[str, QuerySpec], dict[str, str]], list[Section]]
    params: tuple[str, ...] = ()
    subject: str | None = None
    example: str = ""
    figures: tuple[Figure, ...] = ()
    summary_writer: Callable[[Runner, Report], list[Sentence]] | None = None
    drop_empty: bool = False
    required: tuple[str, ...] = ()


def print_pdf(html: str, pdf: Path) -> None:
    """Print the HTML to ``pdf`` with headless Chromium (its print styles paginate the tables)."""
    import shutil
    import subprocess
    import tempfile
    binary = next((b for n in ("chromium", "chromium-browser", "google-chrome") if (b := shutil.which(n))), None)
    if binary is None:
        raise PmkgError("printing a PDF needs Chromium (the `chromium` command); none is installed",
                        hint="write .html and print it from a browser instead")
    with tempfile.TemporaryDirectory(prefix="pmkg-pdf-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html, encoding="utf-8")
        target = Path(tmp) / "report.pdf"
        args = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", f"--user-data-dir={tmp}/profile", "--no-pdf-header-footer",
                f"--print-to-pdf={target}", page.as_uri()]
        try:
            done = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PmkgError(f"chromium could not print the PDF: {exc}") from exc
        if not target.is_file() or target.stat().st_size == 0:
            raise PmkgError(f"chromium wrote no PDF (exit {done.returncode}): {done.stderr.strip()[-300:]}")
        try:
            pdf.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(target, pdf)
        except OSError as exc:
            raise PmkgError(f"cannot write {pdf}: {exc}") from exc


