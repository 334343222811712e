"""Charts for the reports: SVG text drawn by matplotlib (Agg, no pyplot state), networks laid out by networkx.

Every function takes plain data already taken from canned-query results and returns
an ``<svg>`` element ready to inline in HTML: no XML prolog, every ``id`` prefixed so
several charts can share one page, no external references.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import matplotlib

matplotlib.use("Agg")

import networkx as nx
from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from pmkg.namespaces import ID
from pmkg.query import Result, Value

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
           "#bcbd22", "#7f7f7f")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


@dataclass(frozen=True)
class Tie:
    """One edge of the collaboration network; nodes are (id, label, group)."""

    source: tuple[str, str, str]
    target: tuple[str, str, str]
    kind: str


def colours(keys: Sequence[str]) -> dict[str, str]:
    """A stable colour per key, in first-seen order."""
    out: dict[str, str] = {}
    for key in keys:
        if key not in out:
            out[key] = PALETTE[len(out) % len(PALETTE)]
    return out


def _svg(fig: Figure, prefix: str) -> str:
    buf = io.StringIO()
    with rc_context({"svg.hashsalt": prefix, "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', text)
    text = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", text)
    text = re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', text)
    return text.replace("<svg ", f'<svg role="img" aria-label="{prefix}" class="chart" ', 1)


def _short(label: str, width: int = 42) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def bar_panels(panels: Sequence[tuple[str, Sequence[tuple[str, float]]]], prefix: str, xlabel: str = "") -> str:
    """Horizontal bar charts side by side, one panel per (title, [(label, value)])."""
    panels = [(t, list(bars)) for t, bars in panels if bars]
    if not panels:
        raise ValueError("bar_panels needs at least one non-empty panel")
    tallest = max(len(bars) for _, bars in panels)
    fig = Figure(figsize=(5.2 * len(panels), 0.9 + 0.32 * tallest))
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for index, (ax, (title, bars)) in enumerate(zip(axes, panels, strict=True)):
        labels = [_short(b[0]) for b in bars][::-1]
        values = [b[1] for b in bars][::-1]
        ax.barh(range(len(bars)), values, color=PALETTE[index % len(PALETTE)])
        ax.set_yticks(range(len(bars)), labels, fontsize=8)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(xlabel, fontsize=8)
        ax.tick_params(axis="x", labelsize=8)
        ax.spines[["top", "right"]].set_visible(False)
        for y, v in enumerate(values):
            ax.text(v, y, f" {v:g}", va="center", fontsize=7)
    fig.tight_layout()
    return _svg(fig, prefix)


def parse_date(text: str) -> date | None:
    """YYYY, YYYY-MM or YYYY-MM-DD (a prefix of an xsd:dateTime too) as a date; None if not a date."""
    match = DATE_RE.match(text.strip())
    if not match:
        return None
    year, month, day = int(match[1]), int(match[2] or 1), int(match[3] or 1)
    try:
        return date(year, month, day)
    except ValueError:
        return None


def timeline(events: Sequence[tuple[date, str, str]], prefix: str) -> str:
    """Events (date, label, category) on a time axis, labels staggered, colour per category."""
    if not events:
        raise ValueError("timeline needs at least one event")
    events = sorted(events, key=lambda e: (e[0], e[1]))
    palette = colours([e[2] for e in events])
    fig = Figure(figsize=(11, 1.4 + 0.24 * len(events)))
    ax = fig.subplots()
    for row, (when, label, category) in enumerate(events):
        ax.plot([when], [row], "o", color=palette[category], markersize=6)
        ax.annotate(_short(label, 70), (when, row), xytext=(6, 0), textcoords="offset points",
                    va="center", fontsize=7)
    ax.set_ylim(len(events) - 0.5, -0.8)
    ax.set_yticks([])
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.grid(axis="x", color="#dddddd")
    ax.tick_params(axis="x", labelsize=8)
    first, last = events[0][0], events[-1][0]
    ax.set_xlim(date(first.year - 1, 1, 1), date(last.year + 6, 1, 1))
    if len(palette) > 1:
        handles = [Line2D([], [], marker="o", linestyle="", color=c, label=k) for k, c in palette.items()]
        ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    fig.tight_layout()
    return _svg(fig, prefix)


def packed_layout(graph: nx.Graph) -> tuple[dict, tuple[float, float]]:
    """Spring layout per connected component (fixed seed), the components packed in rows, largest first,
    so small groups neither fly apart nor crowd the big one.  Returns positions and the drawing's size."""
    components = sorted((sorted(c) for c in nx.connected_components(graph)), key=lambda c: (-len(c), c[0]))
    row_width = max(6.0, 2.2 * sum(len(c) for c in components) ** 0.5)
    pos: dict = {}
    x = y = row_height = width = 0.0
    for nodes in components:
        side = 0.9 * len(nodes) ** 0.5
        sub = graph.subgraph(nodes)
        local = nx.spring_layout(sub, seed=7, iterations=200) if len(nodes) > 1 else {nodes[0]: (0.0, 0.0)}
        if x and x + side > row_width:
            x, y, row_height = 0.0, y + row_height + 0.8, 0.0
        for node, (px, py) in local.items():
            pos[node] = (x + side / 2 + px * side / 2, -(y + side / 2 + py * side / 2))
        x += side + 0.8
        width, row_height = max(width, x), max(row_height, side)
    return pos, (width, y + row_height)


def network(ties: Sequence[Tie], prefix: str) -> str:
    """Actors and places as nodes (shape per group), ties coloured by kind; spring layout, fixed seed."""
    if not ties:
        raise ValueError("network needs at least one tie")
    graph = nx.MultiGraph()
    for tie in ties:
        for node_id, label, group in (tie.source, tie.target):
            graph.add_node(node_id, label=label, group=group)
        graph.add_edge(tie.source[0], tie.target[0], kind=tie.kind)
    simple = nx.Graph(graph)
    pos, (width, height) = packed_layout(simple)
    kinds = colours(sorted({t.kind for t in ties}))
    scale = min(1.0, 15.0 / width)
    fig = Figure(figsize=(max(6.0, width * scale + 2.5), max(3.0, height * scale)))
    ax = fig.subplots()
    for a, b, data in graph.edges(data=True):
        (x1, y1), (x2, y2) = pos[a], pos[b]
        ax.plot([x1, x2], [y1, y2], color=kinds[data["kind"]], linewidth=1.2, alpha=0.75, zorder=1)
    groups = sorted({d["group"] for _, d in graph.nodes(data=True)})
    markers = dict(zip(groups, "os^Dv<>p" * 4, strict=False))
    for group in groups:
        nodes = [n for n, d in graph.nodes(data=True) if d["group"] == group]
        xs, ys = zip(*(pos[n] for n in nodes), strict=True)
        ax.scatter(xs, ys, s=[40 + 25 * simple.degree(n) for n in nodes], marker=markers[group],
                   color="#f4f4f4", edgecolors="#333333", linewidths=0.8, zorder=2, label=group)
    for node, data in graph.nodes(data=True):
        x, y = pos[node]
        ax.annotate(_short(data["label"], 30), (x, y), xytext=(0, 7), textcoords="offset points",
                    ha="center", fontsize=6.5, zorder=3)
    edge_handles = [Line2D([], [], color=c, linewidth=2, label=k) for k, c in kinds.items()]
    node_handles = [Line2D([], [], marker=markers[g], linestyle="", markerfacecolor="#f4f4f4",
                           markeredgecolor="#333333", label=g) for g in groups]
    ax.legend(handles=edge_handles + node_handles, fontsize=7, loc="upper left", frameon=False,
              bbox_to_anchor=(1.0, 1.0))
    ax.set_axis_off()
    fig.tight_layout()
    return _svg(fig, prefix)


# --- chart data from canned-query results (column roles found by name, then by content) ---

COUNT_HINTS = ("count", "papers", "publications", "actors", "grants", "score", "total", "ties", "n")
LABEL_HINTS = ("label", "name", "title")
CATEGORY_HINTS = ("kind", "policy-kind", "policy_kind", "type", "jurisdiction", "issuer", "issuers")
DATE_HINTS = ("issued", "date", "year", "start", "when")
TIE_KIND_HINTS = ("kind", "collaboration-kind", "collaboration_kind", "collaborationkind", "tie", "relation")


def _number(value: Value | None) -> float | None:
    if value is None:
        return None
    if value.number is not None:
        return float(value.number)
    try:
        return float(value.text)
    except ValueError:
        return None


def _filled(result: Result, col: int) -> list[Value]:
    return [row[col] for row in result.rows if row[col] is not None]


def _numeric_columns(result: Result) -> list[int]:
    return [i for i, c in enumerate(result.columns)
            if "rank" not in c.lower() and (vals := _filled(result, i))
            and all(not v.is_iri and _number(v) is not None for v in vals)]


def _by_hint(columns: Sequence[str], candidates: Sequence[int], hints: Sequence[str]) -> int | None:
    for hint in hints:
        for i in candidates:
            name = columns[i].lower()
            if name == hint or name.endswith(hint):
                return i
    return None


def label_column(result: Result) -> int | None:
    """The column naming each row: by name (label, name, title), else the first plain-text column."""
    numeric = set(_numeric_columns(result))
    text = [i for i in range(len(result.columns))
            if i not in numeric and (vals := _filled(result, i)) and not any(v.is_iri for v in vals)]
    hinted = [i for i in text if any(result.columns[i].lower().endswith(h) for h in LABEL_HINTS)]
    pool = hinted or text
    if not pool:
        return None
    return max(pool, key=lambda i: (len({v.text for v in _filled(result, i)}), -i))


def bars_of(result: Result, limit: int = 15) -> list[tuple[str, float]]:
    """(label, count) for the first ``limit`` rows, or [] when the result has no label or count column."""
    numeric = _numeric_columns(result)
    label = label_column(result)
    if not numeric or label is None:
        return []
    count = _by_hint(result.columns, numeric, COUNT_HINTS)
    count = numeric[-1] if count is None else count
    out = []
    for row in result.rows[:limit]:
        value = _number(row[count])
        if row[label] is not None and value is not None:
            out.append((row[label].text, value))
    return out


def events_of(results: Sequence[Result]) -> tuple[list[tuple[date, str, str]], int]:
    """(date, label, category) per dated row, and the number of rows without a date."""
    events: list[tuple[date, str, str]] = []
    undated = 0
    for result in results:
        dated = [i for i in range(len(result.columns))
                 if (vals := _filled(result, i)) and all(not v.is_iri and parse_date(v.text) for v in vals)]
        when = _by_hint(result.columns, dated, DATE_HINTS)
        when = when if when is not None else (dated[0] if dated else None)
        label = label_column(result)
        cats = [i for i in range(len(result.columns)) if i not in (when, label)]
        category = _by_hint(result.columns, cats, CATEGORY_HINTS)
        for row in result.rows:
            day = parse_date(row[when].text) if when is not None and row[when] is not None else None
            if day is None or label is None or row[label] is None:
                undated += 1
                continue
            cat = row[category].text if category is not None and row[category] is not None else ""
            events.append((day, row[label].text, cat))
    return events, undated


def _node_label(result: Result, row: list[Value | None], col: int) -> str:
    base = result.columns[col].lower()
    stem = re.sub(r"[_-]?(actor|iri|id)$", "", base)
    wanted = {b + s for b in (base, stem) if b for s in ("label", "_label", "-label", "name", "_name")}
    for i, name in enumerate(result.columns):
        if i != col and name.lower() in wanted and row[i]:
            return row[i].text
    text = row[col].text if row[col] else ""
    return text[len(ID):].split("/", 1)[-1] if text.startswith(ID) else text


def _endpoint_iri(value: Value) -> str:
    """An actor or place as an IRI: IRIs as they are, an id given as text as an actor's IRI."""
    return value.text if value.is_iri else f"{ID}actor/{value.text}"


def _endpoints(result: Result) -> list[int]:
    """Columns naming actors or places: actor/place IRIs, or ids in a column named like ``fromActor``."""
    ends = []
    for i, name in enumerate(result.columns):
        vals = _filled(result, i)
        if not vals:
            continue
        iris = all(v.is_iri and v.text.startswith(ID) and _segment(v.text) in ("actor", "place") for v in vals)
        ids = name.lower().endswith("actor") and all(not v.is_iri and SLUG_RE.match(v.text) for v in vals)
        if iris or ids:
            ends.append(i)
    return ends


def ties_of(results: Sequence[tuple[str, Result]]) -> list[Tie]:
    """Ties from (name, result) pairs: the first two actor/place IRI columns of a row are its ends;
    its kind is a kind column if there is one, else the query's name."""
    ties: list[Tie] = []
    for name, result in results:
        ends = _endpoints(result)
        if len(ends) < 2:
            continue
        plain = [i for i in range(len(result.columns)) if i not in ends]
        kind = _by_hint(result.columns, plain, TIE_KIND_HINTS)
        for row in result.rows:
            a, b = row[ends[0]], row[ends[1]]
            if a is None or b is None or _endpoint_iri(a) == _endpoint_iri(b):
                continue
            tie_kind = row[kind].text if kind is not None and row[kind] is not None else name
            a_iri, b_iri = _endpoint_iri(a), _endpoint_iri(b)
            ties.append(Tie((a_iri, _node_label(result, row, ends[0]), _segment(a_iri)),
                            (b_iri, _node_label(result, row, ends[1]), _segment(b_iri)), tie_kind))
    return ties


def _segment(iri: str) -> str:
    return iri[len(ID):].split("/", 1)[0]
