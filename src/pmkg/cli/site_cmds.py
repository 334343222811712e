"""``pmkg site --out DIR``: the static site from the built graph."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from pmkg.cli.common import RootOption, StoreOption, err_console, reports_errors
from pmkg.cli.query_cmds import ensure_built

if TYPE_CHECKING:  # pmkg.pipeline is imported by the build (a fast start)
    from pmkg.pipeline import Paths


def generate(paths: Paths, out: Path, *, to_stderr: bool = False, policy: str = "disk") -> None:
    """Write the site and print what was written (to stderr for ``pmkg serve``, whose stdout names its URLs);
    the queries run on the store in memory or on disk as ``policy`` says (:mod:`pmkg.memory`)."""
    from pmkg.catalogue import load_catalogue
    from pmkg.memory import open_for_queries
    from pmkg.site import build_site
    from pmkg.site.build import check_out_folder

    check_out_folder(out)  # before the store is opened and named: the error is the only line
    with err_console.status("writing the site …"):
        store, choice = open_for_queries(paths.dist, paths.imports, policy)
        err_console.print(f"site: {choice.line()}", markup=False, highlight=False)
        summary = build_site(paths.dist, load_catalogue(paths.root / "queries"), out, paths.ontology, store)
    for problem in summary.problems:
        err_console.print(f"[yellow]warning:[/yellow] {problem}", markup=True, highlight=False)
    papers = f" ({summary.publication_pages} of imported publications)" if summary.publication_pages else ""
    typer.echo(f"site: {summary.pages} pages{papers}, {summary.bytes / 1e6:.1f} MB in {out} "
               f"({summary.seconds:.1f} s; ontology docs: {summary.ontology_docs})", err=to_stderr)


def register(app: typer.Typer) -> None:
    @app.command("site")
    @reports_errors
    def site_cmd(
        out: Path = typer.Option(Path("site"), "--out", "-o", file_okay=False,
                                 help="Folder to write the site into (replaced if it holds a previous site)."),
        store: str = StoreOption,
        root: Path = RootOption,
    ) -> None:
        """Write the static site (entity pages, lists, queries, search, ontology, downloads); opens from disk."""
        from pmkg.memory import policy_from

        policy = policy_from(store, default="disk")  # memory reorders GROUP_CONCAT parts (pmkg.memory)
        paths = ensure_built(root)
        generate(paths, out.resolve(), policy=policy)
        typer.echo(f"open {(out.resolve() / 'index.html').as_uri()}")
