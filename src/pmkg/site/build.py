"""``pmkg site``: write the static site from the built graph (no server needed to read it)."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import shutil
import time
import warnings
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from pmkg.catalogue import QuerySpec
from pmkg.errors import PmkgError
from pmkg.federation import uses_service
from pmkg.query import EmbeddedBackend, Result, run_query
from pmkg.site import publications
from pmkg.site.graph import Entity, SiteGraph, load_site_graph
from pmkg.site.pages import (
    MAIN_KINDS,
    Views,
    defaults_for,
    kind_title,
    page_path,
    query_call,
    result_cells,
)
from pmkg.site.search import index_entries
from pmkg.store import read_manifest

STATIC = Path(__file__).parent / "static"
DOWNLOADS = ("pmkg.ttl", "pmkg.nq", "pmkg.jsonld", "pmkg.trig", "ontology.ttl", "build.json")
RESULT_ROWS_SHOWN = 500


@dataclass
class SiteSummary:
    out: Path
    pages: int
    publication_pages: int
    bytes: int
    seconds: float
    ontology_docs: str
    problems: list[str]


def environment() -> Environment:
    env = Environment(loader=PackageLoader("pmkg.site", "templates"), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html.j2"]), trim_blocks=True, lstrip_blocks=True)
    env.globals["kind_title"] = kind_title
    return env


class SiteWriter:
    """Writes pages under ``out``; every page gets ``root``, the relative way back to the site root."""

    def __init__(self, out: Path, env: Environment, build: dict[str, str]) -> None:
        self.out = out
        self.env = env
        self.build = build
        self.pages = 0

    def page(self, path: str, template: str, **context: object) -> None:
        depth = path.count("/")
        target = self.out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        html = self.env.get_template(template).render(root="../" * depth, build=self.build, path=path, **context)
        target.write_text(html, encoding="utf-8")
        self.pages += 1


def check_out_folder(out: Path) -> None:
    """Refuse an ``out`` that holds anything but a previous site (it would be replaced)."""
    if out.exists() and not (out / "index.html").exists() and any(out.iterdir()):
        raise PmkgError(f"{out} exists and is not a pmkg site; refusing to overwrite it",
                        hint="choose an empty or new --out folder")


def build_site(dist: Path, catalogue: dict[str, QuerySpec], out: Path, ontology: Path,
               store: object | None = None) -> SiteSummary:
    """Write the whole site into ``out`` (replaced); ``store`` is the opened built store."""
    from pmkg.store import open_store

    started = time.perf_counter()
    manifest = read_manifest(dist) or {}
    ox_store = store if store is not None else open_store(dist)
    backend = EmbeddedBackend(ox_store)  # type: ignore[arg-type]
    graph = load_site_graph(ox_store)  # type: ignore[arg-type]
    build = {"fingerprint": str(manifest.get("fingerprint", "unknown")), "built": str(manifest.get("built", "unknown")),
             "generated": datetime.now(UTC).replace(microsecond=0).isoformat()}
    check_out_folder(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    writer = SiteWriter(out, environment(), build)
    problems: list[str] = []
    results = run_all(catalogue, backend, problems)
    copy_static(out)
    ontology_docs = write_ontology(writer, ontology, problems)
    views = Views(graph, results.get("conflicts"), ontology_anchors(out / "ontology" / "index.html"))
    charts = write_charts(out, catalogue, backend, manifest, problems, results)
    write_entities(writer, graph, views)
    write_lists(writer, graph, views)
    write_queries(writer, catalogue, results, views)
    write_search(writer, graph, backend)
    write_downloads(writer, dist)
    write_home(writer, graph, manifest, charts, catalogue)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    papers = len(graph.by_segment().get(publications.SEGMENT, []))
    return SiteSummary(out, writer.pages, papers, size, time.perf_counter() - started, ontology_docs, problems)


def copy_static(out: Path) -> None:
    shutil.copytree(STATIC, out / "assets")


def run_all(catalogue: dict[str, QuerySpec], backend: EmbeddedBackend, problems: list[str]) -> dict[str, Result]:
    """Every canned query with its defaults (a required parameter gets its example)."""
    results = {}
    for name, spec in catalogue.items():
        if uses_service(spec.text):
            problems.append(f"query {name}: not run, it fetches from another endpoint (SERVICE)")
            continue
        try:
            results[name] = run_query(spec, defaults_for(spec), backend)
        except (PmkgError, OSError) as exc:
            problems.append(f"query {name}: {exc}")
    return results


def write_charts(out: Path, catalogue: dict[str, QuerySpec], backend: EmbeddedBackend, manifest: dict,
                 problems: list[str], results: dict[str, Result]) -> list[dict[str, str]]:
    """The landscape report's charts (pmkg.report) as SVG files under charts/; a query the site has
    already run with the same parameters is not run again."""
    from pmkg.report import build_report, result_key

    cache = {result_key(name, defaults_for(catalogue[name])): result for name, result in results.items()}
    report = build_report("landscape", {}, catalogue, backend, manifest, cache=cache)
    problems.extend(report.problems)
    folder = out / "charts"
    folder.mkdir()
    charts = []
    for section in report.sections:
        if not section.chart:
            continue
        name = f"{section.key}.svg"
        svg = section.chart if "xmlns=" in section.chart[:300] else section.chart.replace(
            "<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1)
        (folder / name).write_text(svg, encoding="utf-8")
        calls = [t.call for t in section.tables]
        charts.append({"title": section.title, "intro": section.intro, "src": f"charts/{name}",
                       "calls": calls, "note": section.chart_note or ""})
    return charts


def write_entities(writer: SiteWriter, graph: SiteGraph, views: Views) -> None:
    for iri, entity in graph.entities.items():
        path = page_path(iri)
        if path is not None:
            writer.page(path, "entity.html.j2", view=views.entity(entity), iri=iri)


def write_lists(writer: SiteWriter, graph: SiteGraph, views: Views) -> None:
    for segment, entities in graph.by_segment().items():
        if segment == publications.SEGMENT:
            write_publication_list(writer, entities, views)
            continue
        rows = [views.list_row(e) for e in entities]
        writer.page(f"list/{segment}.html", "list.html.j2", segment=segment, rows=rows)


def write_publication_list(writer: SiteWriter, entities: list[Entity], views: Views) -> None:
    """The imported publications, newest first, with the imports they come from and how many each holds."""
    rows = [views.publication_row(e) for e in sorted(entities, key=lambda e: (-int(publications.year_of(e) or 0),
                                                                             e.label.lower(), e.slug))]
    per_import = Counter(imp.href for r in rows for imp in r["imports"])  # type: ignore[attr-defined]
    imports = sorted({(imp.text, imp.href): imp for r in rows for imp in r["imports"]}.values(),  # type: ignore[attr-defined]
                     key=lambda lk: lk.text)
    writer.page(f"list/{publications.SEGMENT}.html", "publications.html.j2", segment=publications.SEGMENT,
                rows=rows, imports=[(lk, per_import[lk.href]) for lk in imports])


def write_queries(writer: SiteWriter, catalogue: dict[str, QuerySpec], results: dict[str, Result],
                  views: Views) -> None:
    (writer.out / "queries").mkdir(exist_ok=True)
    for name, spec in catalogue.items():
        params = defaults_for(spec)
        result = results.get(name)
        rows = result_cells(result, views, RESULT_ROWS_SHOWN) if result else []
        if result is not None:
            (writer.out / "queries" / f"{name}.csv").write_text(result_csv(result), encoding="utf-8")
        writer.page(f"queries/{name}.html", "query.html.j2", spec=spec, result=result, rows=rows,
                    federated=uses_service(spec.text),
                    call=query_call(spec, params), shown=RESULT_ROWS_SHOWN,
                    api="api/queries/" + name + ("?" + "&".join(f"{k}={v}" for k, v in params.items())
                                                 if params else ""))
    writer.page("queries/index.html", "queries.html.j2", catalogue=catalogue, results=results)


def result_csv(result: Result) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(result.columns)
    w.writerows([[v.text if v else "" for v in row] for row in result.rows])
    return buf.getvalue()


def write_search(writer: SiteWriter, graph: SiteGraph, backend: EmbeddedBackend) -> None:
    from pmkg.search import load_index

    entries = index_entries(graph, load_index(backend))
    text = json.dumps(entries, ensure_ascii=False, separators=(",", ":"))
    (writer.out / "assets" / "search-index.js").write_text(f"window.PMKG_INDEX = {text};\n", encoding="utf-8")
    (writer.out / "search-index.json").write_text(text, encoding="utf-8")
    writer.page("search.html", "search.html.j2", entries=len(entries))


def write_ontology(writer: SiteWriter, ontology: Path, problems: list[str]) -> str:
    """pyLODE's documentation of the ontology (self-contained HTML); a note if pyLODE is missing."""
    target = writer.out / "ontology" / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(ontology, target.parent / "pmkg.ttl")
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:  # pyLODE sets the root logger to DEBUG when imported and logs its progress there
        from pylode import OntPub

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)  # pyLODE 3.3 reads its CSS without closing it
            doc = OntPub(str(ontology))
            describe_missing(doc.props_labeled)
            doc.make_html(destination=str(target))
    except Exception as exc:  # pylode 3.4.1 fails on import (reads a pyproject.toml its wheel lacks)
        problems.append(f"ontology docs: pyLODE failed ({exc}); only the Turtle is linked")
        writer.page("ontology/index.html", "ontology.html.j2", error=str(exc))
        return "none (pyLODE failed)"
    finally:
        root.setLevel(level)
        root.handlers[:] = handlers
    html = target.read_text(encoding="utf-8")
    back = '<p class="pmkg-back"><a href="../index.html">pmkg site</a> · <a href="pmkg.ttl">pmkg.ttl</a></p>'
    target.write_text(re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + back, html, count=1), encoding="utf-8")
    writer.pages += 1
    return "pyLODE"


# Terms of the ontology header that pyLODE's background ontologies lack (it would write "None. Defined in
# None"): their definitions as the vocabulary defining them gives them.
VANN = "http://purl.org/vocab/vann/"
VANN_TITLE = "VANN: A vocabulary for annotating vocabulary descriptions"
HEADER_TERMS = {
    VANN + "preferredNamespacePrefix": ("The preferred namespace prefix to use when using terms from this "
                                        "vocabulary in an XML document.", VANN_TITLE),
    VANN + "preferredNamespaceUri": ("The preferred namespace URI to use when using terms from this "
                                     "vocabulary in an XML document.", VANN_TITLE),
}


def describe_missing(props: dict) -> None:
    """Fill in pyLODE's description and defining vocabulary of header properties it does not know."""
    for iri, about in props.items():
        known = HEADER_TERMS.get(str(iri))
        if known and about.get("description") is None:
            about["description"], about["ont_title"] = known


def ontology_anchors(page: Path) -> set[str]:
    """The ids of the ontology page (pyLODE names a term's entry by its local name)."""
    return set(re.findall(r'\bid="([^"]+)"', page.read_text(encoding="utf-8"))) if page.is_file() else set()


def write_downloads(writer: SiteWriter, dist: Path) -> None:
    folder = writer.out / "downloads"
    folder.mkdir()
    files = []
    for name in DOWNLOADS:
        if (dist / name).is_file():
            shutil.copy(dist / name, folder / name)
            files.append({"name": name, "size": (dist / name).stat().st_size})
    writer.page("downloads.html", "downloads.html.j2", files=files)


def write_home(writer: SiteWriter, graph: SiteGraph, manifest: dict, charts: list[dict[str, str]],
               catalogue: dict[str, QuerySpec]) -> None:
    by_segment = graph.by_segment()
    figures = [(kind_title(k, True), len(by_segment.get(k, [])), f"list/{k}.html") for k in MAIN_KINDS
               if k in by_segment]
    summary = manifest.get("summary", {})
    writer.page("index.html", "home.html.j2", figures=figures, charts=charts, catalogue=catalogue,
                kinds=[(k, len(v)) for k, v in by_segment.items()], summary=summary)
