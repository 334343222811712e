"""Charts for the reports: SVG text drawn by matplotlib (Agg, no pyplot state), networks laid out by networkx.

Every function takes plain data already taken from canned-query results and returns
an ``<svg>`` element ready to inline in HTML: no XML prolog, every ``id`` prefixed so
several charts can share one page, no external references.
"""

from __future__ import annotations

import io
import re
import textwrap
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


def _wrapped(label: str, width: int = 34) -> str:
    """A long label on at most two lines (shortened only beyond that), so names are not cut off."""
    lines = textwrap.wrap(label, width) or [""]
    return lines[0] if len(lines) == 1 else lines[0] + "\n" + _short(" ".join(lines[1:]), width)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    group: str = ""


@dataclass(frozen=True)
class Panel:
    """One bar chart: the bars shown (sorted by value) and how many rows the whole result had."""

    title: str
    bars: tuple[Bar, ...]
    total: int

    @property
    def heading(self) -> str:
        cut = f" (top {len(self.bars)} of {self.total})" if len(self.bars) < self.total else ""
        return self.title + cut


def ranked(title: str, bars: Sequence[Bar], top: int | None = None, keep_order: bool = False) -> Panel:
    """The bars sorted by value (largest first, then by label; or in the given order when it is already a
    ranking), cut to ``top``; the panel keeps the count."""
    ordered = list(bars) if keep_order else sorted(bars, key=lambda b: (-b.value, b.label))
    return Panel(title, tuple(ordered[:top] if top else ordered), len(ordered))


def bar_panels(panels: Sequence[Panel | tuple[str, Sequence[tuple[str, float]]]], prefix: str,
               xlabel: str = "") -> str:
    """Horizontal bar charts side by side, one per panel; bars coloured by group, with a legend."""
    shown = [p if isinstance(p, Panel) else Panel(p[0], tuple(Bar(a, b) for a, b in p[1]), len(p[1]))
             for p in panels]
    shown = [p for p in shown if p.bars]
    if not shown:
        raise ValueError("bar_panels needs at least one non-empty panel")
    tallest = max(len(p.bars) for p in shown)
    groups = _region_colours(list(dict.fromkeys(b.group for p in shown for b in p.bars if b.group)))
    fig = Figure(figsize=(6.2 * len(shown), 1.1 + 0.34 * tallest))
    axes = fig.subplots(1, len(shown), squeeze=False)[0]
    for index, (ax, panel) in enumerate(zip(axes, shown, strict=True)):
        bars = panel.bars
        ys = [tallest - 1 - i for i in range(len(bars))]  # first bar on top, panels aligned at the top
        fill = [groups[b.group] if b.group else PALETTE[index % len(PALETTE)] for b in bars]
        ax.barh(ys, [b.value for b in bars], color=fill)
        ax.set_yticks(ys, [_wrapped(b.label) for b in bars], fontsize=7.5)
        ax.set_ylim(-0.6, tallest - 0.4)
        ax.set_title(panel.heading, fontsize=10)
        ax.set_xlabel(xlabel, fontsize=8)
        ax.tick_params(axis="x", labelsize=8)
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_xlim(0, max(b.value for b in bars) * 1.15)
        for y, bar in zip(ys, bars, strict=True):
            ax.text(bar.value, y, f" {bar.value:g}", va="center", fontsize=7)
    if len(groups) > 1:
        handles = [Line2D([], [], marker="s", linestyle="", color=c, label=k) for k, c in groups.items()]
        axes[-1].legend(handles=handles, fontsize=7.5, loc="lower right", frameon=False)
    fig.tight_layout()
    return _svg(fig, prefix)


def trends(series: dict[str, list[tuple[int, float]]], periods: Sequence[Bar], prefix: str) -> str:
    """Yearly counts as lines (one per series, each point labelled) and, beside them, the totals stated for
    periods as bars coloured by database (WoS next to CNKI where both exist)."""
    if not series and not periods:
        raise ValueError("trends needs a series or a period")
    panels = 2 if series and periods else 1
    fig = Figure(figsize=(6.4 * panels, 3.6))
    axes = list(fig.subplots(1, panels, squeeze=False)[0])
    if series:
        ax = axes.pop(0)
        palette = colours(sorted(series))
        for name, points in sorted(series.items()):
            points = sorted(points)
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            ax.plot(xs, ys, marker="o", color=palette[name], label=name)
            for x, y in points:
                ax.annotate(f"{y:g}", (x, y), xytext=(0, 5), textcoords="offset points", ha="center", fontsize=7)
        years = sorted({p[0] for pts in series.values() for p in pts})
        ax.set_xticks(years, [str(y) for y in years], fontsize=8)
        ax.set_title("papers per year", fontsize=10)
        ax.tick_params(axis="y", labelsize=8)
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(fontsize=7.5, frameon=False, loc="upper left")
        ax.set_ylim(0, max(p[1] for pts in series.values() for p in pts) * 1.2)
    if periods:
        ax = axes.pop(0)
        dbs = colours([b.group for b in periods])
        bars = list(periods)[::-1]
        ax.barh(range(len(bars)), [b.value for b in bars], color=[dbs[b.group] for b in bars])
        ax.set_yticks(range(len(bars)), [_wrapped(b.label, 30) for b in bars], fontsize=7.5)
        for y, bar in enumerate(bars):
            ax.text(bar.value, y, f" {bar.value:g}", va="center", fontsize=7)
        ax.set_xlim(0, max(b.value for b in bars) * 1.2)
        ax.set_title("totals stated for a period", fontsize=10)
        ax.tick_params(axis="x", labelsize=8)
        ax.spines[["top", "right"]].set_visible(False)
        handles = [Line2D([], [], marker="s", linestyle="", color=c, label=k) for k, c in dbs.items()]
        ax.legend(handles=handles, fontsize=7.5, frameon=False, loc="lower right")
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
        side = 1.3 * len(nodes) ** 0.5
        sub = graph.subgraph(nodes)
        local = nx.spring_layout(sub, seed=7, iterations=200) if len(nodes) > 1 else {nodes[0]: (0.0, 0.0)}
        if x and x + side > row_width:
            x, y, row_height = 0.0, y + row_height + 0.8, 0.0
        for node, (px, py) in local.items():
            pos[node] = (x + side / 2 + px * side / 2, -(y + side / 2 + py * side / 2))
        x += side + 0.8
        width, row_height = max(width, x), max(row_height, side)
    return pos, (width, y + row_height)


REGION_COLOURS = {"China": "#d62728", "European Union": "#1f77b4", "United States": "#2ca02c"}
OFFSETS = ((0, 8), (0, -12), (10, -2), (-10, -2), (9, 8), (-9, 8), (9, -12), (-9, -12), (0, 18), (0, -22))


def _region_colours(regions: Sequence[str]) -> dict[str, str]:
    out = {r: REGION_COLOURS[r] for r in regions if r in REGION_COLOURS}
    spare = [c for c in PALETTE if c not in REGION_COLOURS.values()]
    for region in regions:
        if region not in out:
            out[region] = "#bbbbbb" if region == "unknown" else spare[len(out) % len(spare)]
    return out


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def place_labels(points: dict[str, tuple[float, float]], labels: dict[str, str], order: Sequence[str],
                 fontsize: float = 6.5) -> dict[str, tuple[int, int, str]]:
    """Greedy label placement in display points: for each node (in ``order``), the first offset whose
    box overlaps no placed label and no other node, else the least-overlapping one.  Returns
    node -> (dx, dy, horizontal alignment)."""
    placed: list[tuple[float, float, float, float]] = []
    dots = [(x - 4, y - 4, x + 4, y + 4) for x, y in points.values()]
    out: dict[str, tuple[int, int, str]] = {}
    for node in order:
        x, y = points[node]
        width, height = 0.55 * fontsize * len(labels[node]), fontsize + 1
        best: tuple[float, tuple[int, int, str]] | None = None
        for dx, dy in OFFSETS:
            ha = "center" if dx == 0 else ("left" if dx > 0 else "right")
            left = x + dx - (width / 2 if ha == "center" else (0 if ha == "left" else width))
            box = (left, y + dy - 1, left + width, y + dy + height)
            cost = sum(_overlap(box, p) for p in placed) + sum(_overlap(box, d) for d in dots
                                                                if not (d[0] < x < d[2] and d[1] < y < d[3]))
            if best is None or cost < best[0]:
                best = (cost, (dx, dy, ha), box)  # type: ignore[assignment]
            if cost == 0:
                break
        assert best is not None
        out[node] = best[1]
        placed.append(best[2])  # type: ignore[misc]
    return out


def network(ties: Sequence[Tie], prefix: str, regions: dict[str, str] | None = None) -> str:
    """Actors and places as nodes coloured by region (shape per kind of node), ties coloured by kind,
    cross-border ties (ends in two regions) drawn thick; components laid out apart, labels kept apart."""
    if not ties:
        raise ValueError("network needs at least one tie")
    regions = regions or {}
    graph = nx.MultiGraph()
    for tie in ties:
        for node_id, label, group in (tie.source, tie.target):
            graph.add_node(node_id, label=label, group=group, region=regions.get(node_id, "unknown"))
        graph.add_edge(tie.source[0], tie.target[0], kind=tie.kind)
    simple = nx.Graph(graph)
    pos, (width, height) = packed_layout(simple)
    kinds = colours(sorted({t.kind for t in ties}))
    scale = min(1.0, 15.0 / width)
    fig = Figure(figsize=(max(7.0, width * scale + 3.0), max(3.5, height * scale * 1.1)))
    ax = fig.subplots()
    crossing = 0
    for a, b, data in graph.edges(data=True):
        (x1, y1), (x2, y2) = pos[a], pos[b]
        ra, rb = graph.nodes[a]["region"], graph.nodes[b]["region"]
        cross = "unknown" not in (ra, rb) and ra != rb
        crossing += cross
        ax.plot([x1, x2], [y1, y2], color=kinds[data["kind"]], linewidth=2.8 if cross else 0.9,
                alpha=0.9 if cross else 0.6, zorder=1, solid_capstyle="round")
    node_regions = sorted({d["region"] for _, d in graph.nodes(data=True)}, key=lambda r: (r == "unknown", r))
    fills = _region_colours(node_regions)
    groups = sorted({d["group"] for _, d in graph.nodes(data=True)})
    markers = dict(zip(groups, "os^Dv<>p" * 4, strict=False))
    for group in groups:
        nodes = [n for n, d in graph.nodes(data=True) if d["group"] == group]
        xs, ys = zip(*(pos[n] for n in nodes), strict=True)
        ax.scatter(xs, ys, s=[36 + 18 * simple.degree(n) for n in nodes], marker=markers[group],
                   color=[fills[graph.nodes[n]["region"]] for n in nodes], edgecolors="#333333", linewidths=0.6,
                   zorder=2)
    ax.margins(0.06)
    ax.autoscale_view()
    to_points = ax.transData.transform
    scale_pt = 72.0 / fig.dpi
    points = {n: tuple(v * scale_pt for v in to_points(pos[n])) for n in graph.nodes}
    labels = {n: _short(d["label"], 28) for n, d in graph.nodes(data=True)}
    order = sorted(graph.nodes, key=lambda n: (-simple.degree(n), labels[n]))
    for node, (dx, dy, ha) in place_labels(points, labels, order).items():
        ax.annotate(labels[node], pos[node], xytext=(dx, dy), textcoords="offset points", ha=ha,
                    fontsize=6.5, zorder=3)
    region_handles = [Line2D([], [], marker="o", linestyle="", markerfacecolor=c, markeredgecolor="#333333",
                             label=r) for r, c in fills.items()]
    edge_handles = [Line2D([], [], color=c, linewidth=2, label=k) for k, c in kinds.items()]
    extra = [Line2D([], [], color="#555555", linewidth=3, label=f"cross-border tie ({crossing})")] if crossing else []
    node_handles = [Line2D([], [], marker=markers[g], linestyle="", markerfacecolor="#f4f4f4",
                           markeredgecolor="#333333", label=g) for g in groups] if len(groups) > 1 else []
    ax.legend(handles=region_handles + edge_handles + extra + node_handles, fontsize=7, loc="upper left",
              frameon=False, bbox_to_anchor=(1.0, 1.0))
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


number = _number


def trends_of(results: Sequence[Result]) -> tuple[dict[str, list[tuple[int, float]]], list[Bar]]:
    """From `publication-trends`-shaped results: yearly counts (from = to) per "scope (database)" series,
    and counts stated for a period (from < to) as bars labelled "scope, measure, from–to", grouped by
    database."""
    series: dict[str, list[tuple[int, float]]] = {}
    periods: list[Bar] = []
    for result in results:
        cols = {c: i for i, c in enumerate(result.columns)}
        if not {"from", "to", "count"} <= set(cols):
            continue
        for row in result.rows:
            def text(name: str, row: list[Value | None] = row, cols: dict[str, int] = cols) -> str:
                value = row[cols[name]] if name in cols else None
                return value.text if value is not None else ""
            count = _number(row[cols["count"]])
            if count is None or not text("from").isdigit() or not text("to").isdigit():
                continue
            scope, database = text("scope"), text("database").upper().replace("WOS", "WoS")
            if text("from") == text("to"):
                series.setdefault(f"{scope} ({database})", []).append((int(text("from")), count))
            else:
                what = text("measure").replace("-", " ")
                periods.append(Bar(f"{scope}, {what}, {text('from')}–{text('to')}", count, database))
    periods.sort(key=lambda b: (b.label.split(",")[0], b.label, b.group))
    return series, periods


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
