"""``pmkg import FORMAT FILE…``: bibliographic records into the built store and imports/."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from pmkg.cli.common import RootOption, console, err_console, reports_errors

if TYPE_CHECKING:  # pmkg.importers (rdflib, pyoxigraph) and rich are imported by the command (a fast start)
    from rich.console import Console

    from pmkg.importers.run import ImportReport


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def print_report(report: ImportReport, top: int = 10) -> None:
    for line in report.upgraded:
        err_console.print(line, markup=False, highlight=False, soft_wrap=True)
    for problem in report.problems:
        err_console.print(f"skipped: {problem}", markup=False, highlight=False, soft_wrap=True)
    t = report.tally
    from rich.markup import escape

    for problem in report.duplicates:
        err_console.print(f"duplicate: {problem}", markup=False, highlight=False, soft_wrap=True)
    dups = f", duplicates {len(report.duplicates)}" if report.duplicates else ""
    console.print(f"[bold]{escape(report.source_id)}[/bold]: read {report.read}, imported {report.imported}, "
                  f"skipped {report.skipped}{dups} ({report.records_per_second:,.0f} records/s, "
                  f"{report.quads} quads)", soft_wrap=True)
    console.print(f"funder strings resolved: {t.funders_resolved}/{t.funders} ({_share(t.share('funder'))}); "
                  f"affiliation strings resolved: {t.affiliations_resolved}/{t.affiliations} "
                  f"({_share(t.share('affiliation'))})", soft_wrap=True)
    if t.unresolved:
        console.print("most frequent unresolved strings:")
        for (kind, text), count in t.unresolved.most_common(top):
            console.print(f"  {count:>5}  {kind:<11} {text}", markup=False, highlight=False, soft_wrap=True)
    for other in report.shares_papers_with:
        err_console.print(f"warning: some papers of this import are also in <{other}>; without `source`, the "
                          "paper-level queries count them in each import", markup=False, highlight=False,
                          soft_wrap=True)
    console.print(f"graph <{report.graph}>, persisted in {report.nquads}", markup=False, soft_wrap=True)


def default_registries(root: Path, ror_dump: Path | None, registry: Path | None,
                       crosswalk: Path | None) -> dict[str, Path | None] | None:
    """The registry files given, else those kg/sources.yaml names (where they exist)."""
    from pmkg.registry.defaults import registry_files

    found = registry_files(root)
    ror_dump = ror_dump or found.get("ror")
    registry = registry or found.get("funders")
    if crosswalk is None and registry is not None:
        beside = registry.parent / "ror-funder-registry-mapping.json.gz"
        crosswalk = beside if beside.is_file() else None
    if ror_dump is None and registry is None:
        err_console.print("no registry dumps found: resolving to curated actors only", highlight=False)
        return None
    return {"ror_dump": ror_dump, "registry": registry, "crosswalk": crosswalk}


class ImportBar:
    """The import's progress on stderr (rich draws nothing when stderr is not a terminal): what it
    opens until the first record is read, then records read out of the estimate, then - once reading
    is done - a line of its own for the commit (imports/<id>.nq and the store load, tens of seconds at
    100k records) whose pulsing bar and clock keep moving; the records bar, finished, freezes its own
    clock."""

    def __init__(self, total: int, committing: int, console: Console | None = None) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.total, self.committing = total, committing
        columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[count]}"),
                   TextColumn("{task.fields[rate]}"), TimeElapsedColumn())
        self.progress = Progress(*columns, console=console or err_console, transient=True)
        # until the first record: the store opens and the registry indexes load (~20 s under load at 10k)
        self.task = self.progress.add_task("opening the store and indexes", total=total or None,
                                           count=self._count(0), rate="")
        self.commit_task: int | None = None
        self.reading = False

    def _count(self, done: int) -> str:
        return f"{done:,}/{self.total:,}" if self.total else f"{done:,}"

    def __enter__(self) -> ImportBar:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(*exc)  # type: ignore[arg-type]

    def step(self, done: int) -> None:
        bar = self.progress
        if done == self.committing:
            if self.commit_task is None:
                read = int(bar.tasks[self.task].completed)
                self.commit_task = bar.add_task("writing imports/ and loading dist/store", total=None,
                                                count=f"{read:,} records read", rate="")
            return
        if not self.reading:
            self.reading = True
            bar.update(self.task, description="importing")
        if done % 200 == 0 or done == self.total:
            elapsed = bar.tasks[self.task].elapsed or 0.0
            bar.update(self.task, completed=done, count=self._count(done),
                       rate=f"{done / elapsed:,.0f} records/s" if elapsed else "")


def register(app: typer.Typer) -> None:
    @app.command("import")
    @reports_errors
    def import_cmd(
        fmt: str = typer.Argument(..., metavar="FORMAT", help="wos | wos-tab | openalex | medline"),
        files: list[Path] = typer.Argument(..., metavar="FILE…", help="One or more files of that format."),
        source_id: str = typer.Option(None, "--source-id", help="Id of the import (its named graph and "
                                      "imports/<id>.nq); default: the first file's name. Re-using an id "
                                      "replaces that import."),
        strict: bool = typer.Option(False, "--strict", help="Abort on the first malformed record (nothing is "
                                    "written) instead of skipping it."),
        replace_empty: bool = typer.Option(False, "--replace-empty", help="Replace an earlier import with this "
                                           "one even when no record could be imported (by default an import "
                                           "that reads nothing is refused and changes nothing)."),
        unresolved: Path = typer.Option(None, "--unresolved", help="Write the unresolved funder and affiliation "
                                        "strings with their frequencies to this CSV."),
        ror_dump: Path = typer.Option(None, "--ror-dump", help="ROR dump for affiliations no curated actor "
                                      "matches (default: the file of document ror-v2-9 in kg/sources.yaml, if "
                                      "present)."),
        registry: Path = typer.Option(None, "--funder-registry", help="Open Funder Registry RDF/XML for funders "
                                      "no curated actor matches (default: as for --ror-dump)."),
        crosswalk: Path = typer.Option(None, "--crosswalk", help="ROR <-> Funder Registry mapping (default: "
                                       "ror-funder-registry-mapping.json.gz beside the Funder Registry file)."),
        no_registries: bool = typer.Option(False, "--no-registries", help="Resolve to curated actors only."),
        root: Path = RootOption,
    ) -> None:
        """Import bibliographic records: one pm:Publication per record, affiliations and funders resolved
        to curated actors, the source's own named graph in dist/store, persisted as imports/<id>.nq."""
        from pmkg.cli.query_cmds import ensure_built
        from pmkg.importers.run import COMMITTING, PARSERS, count_records, import_files

        if fmt not in PARSERS:
            raise typer.BadParameter(f"'{fmt}' is not one of: {', '.join(PARSERS)}", param_hint="FORMAT")
        paths = ensure_built(root)
        total = sum(count_records(fmt, f) for f in files if f.is_file())
        with ImportBar(total, COMMITTING) as bar:
            registries = None if no_registries else default_registries(root, ror_dump, registry, crosswalk)
            report = import_files(fmt, files, dist=paths.dist, imports=paths.imports, source_id=source_id,
                                  strict=strict, replace_empty=replace_empty, progress=bar.step,
                                  registries=registries)
        if unresolved:
            report.write_unresolved(unresolved)
        print_report(report)
        if unresolved:
            console.print(f"unresolved strings written to {unresolved}", soft_wrap=True)
