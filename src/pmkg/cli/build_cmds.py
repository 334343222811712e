"""``pmkg build``, ``validate`` and ``stats``.

The build ends with a summary that fits on one screen: counts, what changed
since the previous build, the warnings grouped by kind (count and one example
each) and where the full list is.  ``-v`` adds the tables and every warning,
``-q`` prints nothing but errors.  Progress goes to stderr, only on a terminal.
"""

from __future__ import annotations

import contextlib
import gc
import textwrap
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from pmkg.cli.common import RootOption, console, err_console, project_paths, reports_errors

if TYPE_CHECKING:
    from rich.table import Table

    from pmkg.errors import Problem
    from pmkg.pipeline import BuildResult

MAX_KINDS = 7  # two lines each: the summary stays within 25 lines
WIDTH = 100
VerboseOption = typer.Option(False, "--verbose", "-v", help="Also the tables per class and source, the stage "
                             "timings and every warning.")
QuietOption = typer.Option(False, "--quiet", "-q", help="Nothing but errors.")
# The build makes millions of small, mostly acyclic objects (terms, triples, lines): with Python's default
# thresholds (700, 10, 10) the cyclic collector rescans them again and again - ~0.4 s of a 2 s validate.
BUILD_GC_THRESHOLDS = (100_000, 50, 100)


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the block with :data:`BUILD_GC_THRESHOLDS`, then restore the thresholds."""
    before = gc.get_threshold()
    gc.set_threshold(*BUILD_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def run_build(root: Path, *, write: bool, reason: bool, quiet: bool = False, verbose: bool = False) -> BuildResult:
    """Run the pipeline; a progress display on stderr when it is a terminal, stage names with ``verbose``."""
    from pmkg.pipeline import STAGES, build

    paths = project_paths(root)
    stages = [s for s in STAGES if (reason or s != "reason") and (write or s != "write")]
    if quiet or not err_console.is_terminal:
        def note(stage: str) -> None:
            if verbose:
                typer.echo(f"… {stage}", err=True)
        with fewer_collections():
            return build(paths, write=write, run_reasoner=reason, progress=note)
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    with fewer_collections(), Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err_console, transient=True) as progress:
        task = progress.add_task("starting", total=len(stages))

        def show(stage: str) -> None:
            done = stages.index(stage) if stage in stages else 0
            progress.update(task, description=f"[{done + 1}/{len(stages)}] {stage}", completed=done)

        return build(paths, write=write, run_reasoner=reason, progress=show)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def warning_kinds(warnings: list[Problem]) -> list[str]:
    """Two lines per kind of warning (its message): count, message; one example location."""
    kinds: Counter[str] = Counter(w.message for w in warnings)
    first = {}
    for w in warnings:
        first.setdefault(w.message, w)
    lines = []
    for message, count in kinds.most_common(MAX_KINDS):
        example = first[message]
        where = " ".join(x for x in ((example.file or "") + (f":{example.line}" if example.line else ""),
                                     example.record_id or "") if x)
        text, _, prop = message.rpartition(" [") if message.endswith("]") else (message, "", "")
        head = f"  {count:>4}  " + (f"[{prop} " if prop else "")
        lines.append(head + _clip(text, WIDTH - len(head)))
        if where:
            lines.append(f"        e.g. {where}")
    if len(kinds) > MAX_KINDS:
        lines.append(f"        … and {len(kinds) - MAX_KINDS} more kind(s)")
    return lines


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def change_line(changes: dict | None) -> str:
    if changes is None:
        return "first build (no previous dist/build.json to compare with)"
    parts = []
    files = changes.get("files")
    if files:
        shown = ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
        parts.append(f"{_plural(len(files), 'input file')} ({shown})")
    if "triples_added" in changes:
        parts.append(f"+{changes['triples_added']:,} / -{changes['triples_removed']:,} triples")
    if changes["records"]:
        parts.append("records " + ", ".join(f"{k} {v:+d}" for k, v in changes["records"].items()))
    if changes["warnings"]:
        parts.append(f"warnings {changes['warnings']:+d}")
    since = f"since the build of {changes.get('since') or '?'}"
    if not (files or changes.get("triples_added") or changes.get("triples_removed") or changes["records"]
            or changes["warnings"]):
        return f"changed {since}: nothing"
    return f"changed {since}: " + "; ".join(parts)


def inferred_text(summary: dict) -> str:
    """The inferred graph's parts, counted apart (a build.json from before they were has the total only)."""
    if "inferred_types" not in summary:
        return f"{summary['inferred']:,} inferred"
    evidence = summary["partner_evidence"]  # None: not computed (`pmkg validate` writes no graph)
    return (f"inferred: {summary['inferred_types']:,} types by HermiT, "
            f"{summary['materialised']:,} materialised facts (places, topics, names)"
            + (f", {evidence:,} partner-evidence triples" if evidence is not None else ""))


def summary_lines(result: BuildResult, seconds: float, written: Path | None) -> list[str]:
    """The build's summary: at most 25 lines."""
    s = result.summary
    total = sum(s["records"].values())
    lines = [f"pmkg {'build' if written else 'validate'}: {_plural(total, 'record')}, {s['triples']:,} triples "
             f"({inferred_text(s)}), {_plural(len(result.warnings), 'warning')}, in {seconds:.1f} s",
             *textwrap.wrap("records: " + ", ".join(f"{k} {v:,}" for k, v in s["records"].items()), WIDTH,
                            initial_indent="  ", subsequent_indent="    "),
             "  stages: " + " · ".join(f"{k} {v:.2f} s" + (" (reused)" if k in result.cached else "")
                                      for k, v in result.timings.items())]
    if written:
        lines.append("  " + change_line(result.changes))
    if result.warnings:
        lines.append(f"warnings by kind (SHACL severity Warning; every one: `pmkg validate --warnings` "
                     f"or {'dist/build.json' if written else 'pmkg validate -v'}):")
        lines += warning_kinds(result.warnings)
    if written:
        lines.append(f"written: {written} (counts per class and source: `pmkg stats`)")
    return lines


def summary_tables(summary: dict, timings: dict | None = None) -> list[Table]:
    from rich.table import Table

    classes = Table(title="Resources per class", show_edge=False)
    classes.add_column("class")
    classes.add_column("count", justify="right")
    for name, count in sorted(summary["classes"].items(), key=lambda kv: (-kv[1], kv[0])):
        if name not in ("rdf:Statement",):
            classes.add_row(name, str(count))
    sources = Table(title="Triples per source document (named graph)", show_edge=False)
    sources.add_column("source")
    sources.add_column("triples", justify="right")
    for name, count in summary["triples_per_source"].items():
        sources.add_row(name, str(count))
    tables = [classes, sources]
    if timings:
        t = Table(title="Stage timings (s)", show_edge=False)
        for stage in timings:
            t.add_column(stage, justify="right")
        t.add_row(*[f"{v:.2f}" for v in timings.values()])
        tables.append(t)
    return tables


def print_details(summary: dict, warnings: list[str], timings: dict | None = None) -> None:
    """The long form (``-v``, ``pmkg stats``): tables per class and source, and every warning."""
    for table in summary_tables(summary, timings):
        console.print(table)
    for w in warnings:
        typer.echo(f"warning: {w}")


def register(app: typer.Typer) -> None:
    @app.command("build")
    @reports_errors
    def build_cmd(
        root: Path = RootOption,
        no_reason: bool = typer.Option(False, "--no-reason", help="Skip HermiT (quick edits only; CI reasons)."),
        quiet: bool = QuietOption,
        verbose: bool = VerboseOption,
    ) -> None:
        """Build the graph: load kg/*.yaml, map, reason, validate and write dist/ atomically."""
        start = time.perf_counter()
        result = run_build(root, write=True, reason=not no_reason, quiet=quiet, verbose=verbose)
        from pmkg.cli.query_cmds import upgrade_summaries

        upgrade_summaries(project_paths(root))
        if quiet:
            return
        if verbose:
            print_details(result.summary, [str(w) for w in result.warnings], result.timings)
        for line in summary_lines(result, time.perf_counter() - start, project_paths(root).dist):
            typer.echo(line)

    @app.command("validate")
    @reports_errors
    def validate_cmd(root: Path = RootOption,
                     no_reason: bool = typer.Option(False, "--no-reason", help="Skip HermiT."),
                     warnings: bool = typer.Option(False, "--warnings", help="List every warning, one per line "
                                                   "(file:line record-id: message), instead of the summary."),
                     quiet: bool = QuietOption, verbose: bool = VerboseOption) -> None:
        """Everything the build does except writing: schema, references, HermiT and SHACL.
        Exit 1 when the data violates a shape or the ontology, 2 on malformed input."""
        start = time.perf_counter()
        result = run_build(root, write=False, reason=not no_reason, quiet=quiet, verbose=verbose)
        if warnings:
            for w in result.warnings:
                typer.echo(f"warning: {w}")
            return
        if quiet:
            return
        if verbose:
            for w in result.warnings:
                typer.echo(f"warning: {w}")
        for line in summary_lines(result, time.perf_counter() - start, None):
            typer.echo(line)

    @app.command("stats")
    @reports_errors
    def stats_cmd(root: Path = RootOption) -> None:
        """Counts per class and per source document of the built graph (builds first if needed)."""
        from pmkg.cli.query_cmds import ensure_built
        from pmkg.store import read_manifest

        paths = ensure_built(root)
        manifest = read_manifest(paths.dist) or {}
        console.print(f"build of {manifest.get('built', '?')}, fingerprint {manifest.get('fingerprint', '?')[:12]}")
        summary = manifest["summary"]
        records = ", ".join(f"{k} {v}" for k, v in summary["records"].items())
        console.print(f"{summary['triples']} triples ({inferred_text(summary)}); records: {records}")
        print_details(summary, manifest.get("warnings", []))
