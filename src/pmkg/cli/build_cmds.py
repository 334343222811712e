"""``pmkg build``, ``validate`` and ``stats``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from pmkg.cli.common import RootOption, console, err_console, project_paths, reports_errors
from pmkg.pipeline import STAGES, BuildResult, build
from pmkg.store import read_manifest


def run_build(root: Path, *, write: bool, reason: bool, quiet: bool = False) -> BuildResult:
    """Run the pipeline with a progress display on stderr."""
    paths = project_paths(root)
    stages = [s for s in STAGES if (reason or s != "reason") and (write or s != "write")]
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err_console, transient=True, disable=quiet) as progress:
        task = progress.add_task("starting", total=len(stages))

        def note(stage: str) -> None:
            done = stages.index(stage) if stage in stages else 0
            progress.update(task, description=f"[{done + 1}/{len(stages)}] {stage}", completed=done)

        return build(paths, write=write, run_reasoner=reason, progress=note)


def summary_tables(summary: dict, timings: dict | None = None) -> list[Table]:
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


def print_summary(summary: dict, warnings: list[str], timings: dict | None = None) -> None:
    records = ", ".join(f"{k} {v}" for k, v in summary["records"].items())
    console.print(f"[bold]pmkg[/bold]: {summary['triples']} triples ({summary['inferred']} inferred types); "
                  f"records: {records}")
    for table in summary_tables(summary, timings):
        console.print(table)
    if warnings:
        console.print(f"[yellow]{len(warnings)} warning(s)[/yellow] (SHACL, severity Warning):")
        for w in warnings[:20]:
            console.print(f"  warning: {w}", markup=False)
        if len(warnings) > 20:
            console.print(f"  … and {len(warnings) - 20} more (dist/build.json lists them all)")


def register(app: typer.Typer) -> None:
    @app.command("build")
    @reports_errors
    def build_cmd(
        root: Path = RootOption,
        no_reason: bool = typer.Option(False, "--no-reason", help="Skip HermiT (quick edits only; CI reasons)."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress display and no summary."),
    ) -> None:
        """Build the graph: load kg/*.yaml, map, reason, validate and write dist/ atomically."""
        result = run_build(root, write=True, reason=not no_reason, quiet=quiet)
        if not quiet:
            print_summary(result.summary, [str(w) for w in result.warnings], result.timings)
            console.print(f"written: {project_paths(root).dist}")

    @app.command("validate")
    @reports_errors
    def validate_cmd(root: Path = RootOption,
                     no_reason: bool = typer.Option(False, "--no-reason", help="Skip HermiT.")) -> None:
        """Everything the build does except writing: schema, references, HermiT and SHACL."""
        result = run_build(root, write=False, reason=not no_reason)
        for w in result.warnings:
            console.print(f"warning: {w}", markup=False)
        console.print(f"ok: {sum(result.summary['records'].values())} records valid, "
                      f"{len(result.warnings)} warning(s)")

    @app.command("stats")
    @reports_errors
    def stats_cmd(root: Path = RootOption) -> None:
        """Counts per class and per source document of the built graph (builds first if needed)."""
        from pmkg.cli.query_cmds import ensure_built
        paths = ensure_built(root)
        manifest = read_manifest(paths.dist) or {}
        console.print(f"build of {manifest.get('built', '?')}, fingerprint {manifest.get('fingerprint', '?')[:12]}")
        print_summary(manifest["summary"], manifest.get("warnings", []))
