"""``pmkg resolve affiliations|funders FILE``: reconcile strings (one per line) against ROR and the
Open Funder Registry, curated actors first (when a built store is there)."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from pmkg.cli.common import RootOption, err_console, project_paths
from pmkg.errors import InputError, PmkgError

if TYPE_CHECKING:  # the registry code (rdflib, pyoxigraph) is imported by the commands (a fast start)
    from pmkg.registry.resolver import Resolved

resolve_app = typer.Typer(no_args_is_help=True, help="Resolve affiliation or funder strings (one per line) to "
                          "ROR ids, funder DOIs and curated actors.")
FormatOption = typer.Option("csv", "--format", help="csv | json")
OutOption = typer.Option(None, "--out", help="Write here instead of standard output.")
CacheOption = typer.Option(None, "--cache", help="Index directory (default $PMKG_CACHE or ~/.cache/pmkg).",
                           file_okay=False)
NoCuratedOption = typer.Option(False, "--no-curated", help="Registries only (ignore the built curated graph).")


def read_strings(path: Path) -> list[str]:
    try:
        return [line.rstrip("\r\n") for line in path.read_text(encoding="utf-8-sig").splitlines()]
    except FileNotFoundError as exc:
        raise InputError("no such file", file=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", file=str(path)) from exc
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", file=str(path)) from exc


def _note(message: str) -> None:
    err_console.print(message, markup=False, highlight=False, soft_wrap=True)


def row(text: str, r: Resolved, funders: bool) -> dict[str, object]:
    from pmkg.registry.resolver import entity_slug

    out: dict[str, object] = {
        "input": text, "ror_ids": " ".join(f"https://ror.org/{i}" for i in r.ror_ids),
        "entity": " ".join(entity_slug(e) for e in r.entities), "score": round(r.score, 3), "method": r.method}
    if funders:
        out["funder_dois"] = " ".join(f"10.13039/{d}" for d in r.funder_ids)
    return out


def emit(rows: list[dict[str, object]], fmt: str, out: Path | None) -> None:
    if fmt == "json":
        lists = [{k: (str(v).split() if k in ("ror_ids", "entity", "funder_dois") else v) for k, v in r.items()}
                 for r in rows]
        text = json.dumps(lists, ensure_ascii=False, indent=1) + "\n"
    else:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else ["input", "ror_ids", "entity", "score",
                                                                             "method"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        text = buf.getvalue()
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise PmkgError(f"cannot write {out}: {exc.strerror or exc}") from exc


def _check_format(fmt: str) -> None:
    if fmt not in ("csv", "json"):
        raise typer.BadParameter(f"'{fmt}' is not one of: csv, json", param_hint="--format")


def _summary(rows: list[dict[str, object]], started: float, kind: str) -> None:
    done = sum(1 for r in rows if r["ror_ids"] or r["entity"] or r.get("funder_dois"))
    seconds = time.perf_counter() - started
    _note(f"{kind}: {done}/{len(rows)} strings resolved ({done / len(rows):.1%}), "
          f"{len(rows) / seconds:,.0f} strings/s" if rows else f"{kind}: no strings")


@resolve_app.command("affiliations")
def affiliations_cmd(file: Path = typer.Argument(..., help="Affiliation strings, one per line."),
                     ror_dump: Path = typer.Option(..., "--ror-dump", help="ROR dump (.jsonl.gz, .jsonl or .json; "
                                                   "schema v1 or v2)."),
                     fmt: str = FormatOption, out: Path = OutOption, cache: Path = CacheOption,
                     no_curated: bool = NoCuratedOption, root: Path = RootOption) -> None:
    """Affiliation strings -> ROR ids (several for a string naming several organisations) and curated actors."""
    from pmkg.importers.model import Affiliation
    from pmkg.registry.index import load_ror
    from pmkg.registry.match import AffiliationMatcher
    from pmkg.registry.resolver import FullResolver, load_links_from

    _check_format(fmt)
    strings = read_strings(file)
    matcher = AffiliationMatcher(load_ror(ror_dump, _note, cache))
    curated = None if no_curated else load_links_from(project_paths(root).dist)
    resolver = FullResolver(curated, matcher, None)
    started = time.perf_counter()
    rows = [row(t, resolver.affiliation(Affiliation(t, "raw")), False) for t in strings]
    _summary(rows, started, "affiliations")
    emit(rows, fmt, out)


@resolve_app.command("funders")
def funders_cmd(file: Path = typer.Argument(..., help="Funder strings, one per line."),
                registry: Path = typer.Option(..., "--registry", help="Open Funder Registry RDF/XML (.rdf, .rdf.gz)."),
                crosswalk: Path = typer.Option(None, "--crosswalk", help="ROR <-> Funder Registry mapping "
                                               "(JSON {funder id: ROR URL}, .json or .json.gz): adds ROR ids."),
                ror_dump: Path = typer.Option(None, "--ror-dump", help="ROR dump: funders the registry lacks are "
                                              "looked up among ROR's names too, and many-to-one crosswalk "
                                              "entries are checked by name (without it only one-to-one "
                                              "entries give ROR ids)."),
                fmt: str = FormatOption, out: Path = OutOption, cache: Path = CacheOption,
                no_curated: bool = NoCuratedOption, root: Path = RootOption) -> None:
    """Funder strings -> Funder Registry DOIs, ROR ids (through the crosswalk) and curated actors."""
    from pmkg.registry.index import load_funders, load_ror
    from pmkg.registry.match import FunderMatcher
    from pmkg.registry.resolver import FullResolver, load_links_from

    _check_format(fmt)
    strings = read_strings(file)
    ror = load_ror(ror_dump, _note, cache) if ror_dump else None
    matcher = FunderMatcher(load_funders(registry, crosswalk, _note, cache), ror)
    curated = None if no_curated else load_links_from(project_paths(root).dist)
    resolver = FullResolver(curated, None, matcher)
    started = time.perf_counter()
    rows = [row(t, resolver.funder(t), True) for t in strings]
    _summary(rows, started, "funders")
    emit(rows, fmt, out)


def register(app: typer.Typer) -> None:
    # errors propagate to pmkg.cli.main (not @reports_errors): a sub-app's typer.Exit loses its code there
    app.add_typer(resolve_app, name="resolve")
