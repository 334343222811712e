"""``pmkg link ror | funders | wikidata | review | decide``: propose and review registry links."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from pmkg.cli.common import RootOption, err_console, reports_errors
from pmkg.errors import InputError

if TYPE_CHECKING:  # pmkg.link.* (rdflib, pydantic, SPARQLWrapper) is imported by each command (a fast start)
    from pmkg.link.run import LinkReport

link_app = typer.Typer(no_args_is_help=True, help="Propose links of curated actors to ROR, the Crossref Funder "
                       "Registry and Wikidata (kg/links/<source>.yaml), and review them.")


def _note(text: str) -> None:
    err_console.print(f"[dim]{text} …[/dim]")


def _print(report: LinkReport) -> None:
    for w in report.warnings:
        typer.echo(f"warning: {w}", err=True)
    m = report.merge
    counts = report.counts()
    typer.echo(f"{report.path}: {m.added} new, {m.refreshed} refreshed, {m.kept} earlier proposals kept, "
                  f"{m.decided} decisions untouched, {m.skipped} proposals dropped for an existing decision")
    typer.echo(f"links: {counts['accepted']} accepted, {counts['proposed']} proposed ({counts['flagged']} "
                  f"flagged), {counts['rejected']} rejected; {counts['entities with a link']} of "
                  f"{report.entities} entities have a link")
    for identifier, actors in sorted(m.shared.items()):
        typer.echo(f"shared identifier: {identifier} is linked to {', '.join(sorted(actors))}")
    for qid, owners in sorted(report.defects.items()):
        typer.echo(f"registry defect: Wikidata {qid} is carried by ROR records {', '.join(sorted(owners))}")


def _source(source: str) -> str:
    from pmkg.link.review import SOURCES

    if source not in SOURCES:
        raise InputError(f"unknown link source '{source}'", hint="one of: " + ", ".join(SOURCES))
    return source


@link_app.command("ror")
@reports_errors
def ror_cmd(root: Path = RootOption,
            dump: Path | None = typer.Option(None, "--dump", help="ROR records: JSON Lines (.jsonl[.gz]) or a "
                                             "JSON array; default: the file of document ror-v2-9.")) -> None:
    """Propose ROR ids for the curated actors (kg/links/ror.yaml)."""
    from pmkg.link.run import link_ror
    _print(link_ror(root, dump, _note))


@link_app.command("funders")
@reports_errors
def funders_cmd(root: Path = RootOption,
                registry: Path | None = typer.Option(None, "--registry", help="Funder Registry RDF/XML (.rdf[.gz]); "
                                                     "default: the file of crossref-funder-registry-2018-07-09.")
                ) -> None:
    """Propose Crossref funder DOIs for the curated actors (kg/links/funders.yaml)."""
    from pmkg.link.run import link_funders
    _print(link_funders(root, registry, _note))


@link_app.command("wikidata")
@reports_errors
def wikidata_cmd(
    root: Path = RootOption,
    endpoint: str | None = typer.Option(None, "--endpoint", help="SPARQL endpoint with Wikidata's data, e.g. "
                                        "https://query.wikidata.org/sparql; without it, only QIDs carried by ROR "
                                        "records are proposed."),
    ror_dump: Path | None = typer.Option(None, "--ror-dump", help="ROR records (default: document ror-v2-9)."),
    timeout: float = typer.Option(20.0, "--timeout", help="Seconds to wait for one answer."),
    retries: int = typer.Option(2, "--retries", help="Retries after a timeout, refused connection or HTTP 5xx."),
    backoff: float = typer.Option(1.0, "--backoff", help="Seconds before the first retry; doubled each time."),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help="On-disk cache of answers "
                                          "(default ~/.cache/pmkg/wikidata)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the cache."),
    require_endpoint: bool = typer.Option(False, "--require-endpoint",
                                          help="Fail (exit 2, nothing written) when the endpoint fails, instead "
                                               "of falling back to the QIDs carried by ROR records."),
) -> None:
    """Propose Wikidata QIDs for the curated actors and countries (kg/links/wikidata.yaml)."""
    from pmkg.link.run import link_wikidata
    client = None
    if endpoint:
        from pmkg.link.wikidata import WikidataClient
        cache = None if no_cache else (cache_dir or Path.home() / ".cache" / "pmkg" / "wikidata")
        client = WikidataClient(endpoint, timeout=timeout, retries=retries, backoff=backoff, cache_dir=cache)
    _print(link_wikidata(root, ror_dump, client, require_endpoint=require_endpoint, note=_note))


@link_app.command("review")
@reports_errors
def review_cmd(source: str = typer.Argument(..., help="ror, funders or wikidata."),
               reviewer: str = typer.Option(..., "--reviewer", help="Who applies the rule (recorded in `reason`)."),
               root: Path = RootOption) -> None:
    """Apply the review rule: accept exact name/alias matches whose country agrees and that have no flag;
    reject name matches in another country; leave the rest proposed. Decisions already made stay."""
    from pmkg.link.run import review_file
    counts = review_file(root, _source(source), reviewer)
    typer.echo(f"reviewed by rule: {counts['accepted']} accepted, {counts['rejected']} rejected, "
                  f"{counts['proposed']} left proposed")


@link_app.command("decide")
@reports_errors
def decide_cmd(source: str = typer.Argument(..., help="ror, funders or wikidata."),
               about: str = typer.Argument(..., help="The curated id (actor or country)."),
               identifier: str = typer.Argument(..., help="The registry identifier of the link."),
               status: str = typer.Option(..., "--status", help="accepted, rejected or proposed."),
               reason: str = typer.Option(..., "--reason", help="Why (recorded in the file)."),
               root: Path = RootOption) -> None:
    """Record a curator's decision on one link."""
    from pmkg.link.run import decide_link
    decide_link(root, _source(source), about, identifier, status, reason)
    typer.echo(f"{source}: {about} -> {identifier}: {status}")


def register(app: typer.Typer) -> None:
    app.add_typer(link_app, name="link")
