"""Charts for the reports: SVG written directly (bars, lines, a timeline, networks laid out by networkx).

Every function takes plain data already taken from canned-query results and returns
an ``<svg>`` element ready to inline in HTML: no XML prolog, every ``id`` prefixed so
several charts can share one page, no external references.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from pmkg.ids import ID
from pmkg.query import Result, Value

if TYPE_CHECKING:
    import networkx as nx

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
    """Horizontal bar charts side by side, one per panel; bars coloured by group, with a legend.

    Written as SVG directly, not through matplotlib: a bar chart is rectangles and text, and
    matplotlib's text layout cost ~0.7 s per chart (the landscape report draws three)."""
    shown = [p if isinstance(p, Panel) else Panel(p[0], tuple(Bar(a, b) for a, b in p[1]), len(p[1]))
             for p in panels]
    shown = [p for p in shown if p.bars]
    if not shown:
        raise ValueError("bar_panels needs at least one non-empty panel")
    tallest = max(len(p.bars) for p in shown)
    groups = _region_colours(list(dict.fromkeys(b.group for p in shown for b in p.bars if b.group)))
    legend = list(groups.items()) if len(groups) > 1 else []
    top, row = 30.0, 24.0
    height = top + tallest * row + 44 + (18 * len(legend) if legend else 0)
    parts: list[str] = []
    x0 = 0.0
    for index, panel in enumerate(shown):
        width, body = _bar_panel(panel, index, groups, xlabel, x0, top, row, tallest)
        parts.append(f'<g id="{_esc(prefix)}-panel-{index}">{body}</g>')
        x0 += width
    y = top + tallest * row + 48
    for name, colour in legend:  # under the last panel, one line per group
        parts.append(f'<rect x="{x0 - 180:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{x0 - 165:.1f}" y="{y:.1f}" font-size="11">{_esc(name)}</text>')
        y += 18
    return (f'<svg role="img" aria-label="{_esc(prefix)}" class="chart" xmlns="http://www.w3.org/2000/svg" '
            f'width="{x0:.0f}" height="{height:.0f}" viewBox="0 0 {x0:.0f} {height:.0f}" '
            f'font-family="DejaVu Sans, Verdana, Arial, sans-serif">'
            + "".join(parts) + "</svg>")


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _nice_step(largest: float) -> float:
    """A round tick step (1, 2, 2.5 or 5 times a power of ten) giving about four ticks up to ``largest``."""
    rough = largest / 4 if largest > 0 else 1.0
    magnitude = 10 ** math.floor(math.log10(rough))
    return next(f * magnitude for f in (1, 2, 2.5, 5, 10) if rough <= f * magnitude)


def _bar_panel(panel: Panel, index: int, groups: dict[str, str], xlabel: str, x0: float, top: float,
               row: float, tallest: int) -> tuple[float, str]:
    """One panel at ``x0``: its width and its SVG (title, labels on the left, bars, values, axis)."""
    lines = [_wrapped(b.label).split("\n") for b in panel.bars]
    label_w = 12 + 6.2 * max(len(line) for parts in lines for line in parts)
    bar_w = 300.0
    largest = max(b.value for b in panel.bars) or 1.0
    scale = bar_w / (largest * 1.15)
    left = x0 + label_w
    out = [f'<text x="{left + bar_w / 2:.1f}" y="16" font-size="13" text-anchor="middle">{_esc(panel.heading)}</text>']
    for i, (bar, parts) in enumerate(zip(panel.bars, lines, strict=True)):
        y = top + i * row
        fill = groups[bar.group] if bar.group else PALETTE[index % len(PALETTE)]
        out.append(f'<rect x="{left:.1f}" y="{y + 3:.1f}" width="{max(bar.value * scale, 0.5):.1f}" '
                   f'height="{row - 6:.1f}" fill="{fill}"><title>{_esc(bar.label)}: {bar.value:g}</title></rect>')
        first = y + row / 2 + 4 - (5.5 if len(parts) > 1 else 0)
        for k, line in enumerate(parts):
            out.append(f'<text x="{left - 6:.1f}" y="{first + 11 * k:.1f}" font-size="10" '
                       f'text-anchor="end">{_esc(line)}</text>')
        out.append(f'<text x="{left + bar.value * scale + 2:.1f}" y="{y + row / 2 + 4:.1f}" '
                   f'font-size="10"> {bar.value:g}</text>')
    base = top + tallest * row
    out.append(f'<line x1="{left:.1f}" y1="{base:.1f}" x2="{left + bar_w:.1f}" y2="{base:.1f}" stroke="#333"/>')
    step = _nice_step(largest)
    tick = 0.0
    while tick <= largest * 1.15:
        x = left + tick * scale
        out.append(f'<line x1="{x:.1f}" y1="{base:.1f}" x2="{x:.1f}" y2="{base + 4:.1f}" stroke="#333"/>'
                   f'<text x="{x:.1f}" y="{base + 16:.1f}" font-size="10" text-anchor="middle">{tick:g}</text>')
        tick += step
    if xlabel:
        out.append(f'<text x="{left + bar_w / 2:.1f}" y="{base + 32:.1f}" font-size="11" '
                   f'text-anchor="middle">{_esc(xlabel)}</text>')
    return label_w + bar_w + 60, "".join(out)


def trends(series: dict[str, list[tuple[int, float]]], periods: Sequence[Bar], prefix: str) -> str:
    """Yearly counts as lines (one per series, each point labelled) and, beside them, the totals stated for
    periods as bars coloured by database (WoS next to CNKI where both exist)."""
    if not series and not periods:
        raise ValueError("trends needs a series or a period")
    parts: list[str] = []
    x0, height = 0.0, 0.0
    if series:
        width, body, h = _line_panel(series)
        parts.append(f'<g id="{_esc(prefix)}-series">{body}</g>')
        x0, height = width, h
    if periods:
        dbs = colours([b.group for b in periods])
        panel = Panel("totals stated for a period", tuple(periods), len(periods))
        width, body = _bar_panel(panel, 0, dbs, "", x0, 30.0, 24.0, len(periods))
        y = 30.0 + 24.0 * len(periods) + 30
        for name, colour in dbs.items():
            body += (f'<rect x="{x0 + width - 120:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{x0 + width - 105:.1f}" y="{y:.1f}" font-size="11">{_esc(name)}</text>')
            y += 18
        parts.append(f'<g id="{_esc(prefix)}-periods">{body}</g>')
        x0, height = x0 + width, max(height, y)
    return _svg_root(prefix, x0, height, parts)


def _svg_root(prefix: str, width: float, height: float, parts: Sequence[str]) -> str:
    return (f'<svg role="img" aria-label="{_esc(prefix)}" class="chart" xmlns="http://www.w3.org/2000/svg" '
            f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'font-family="DejaVu Sans, Verdana, Arial, sans-serif">' + "".join(parts) + "</svg>")


def _line_panel(series: dict[str, list[tuple[int, float]]]) -> tuple[float, str, float]:
    """Papers per year, one line per series with every point labelled: width, SVG, height."""
    left, top, plot_w, plot_h = 50.0, 40.0, 380.0, 200.0
    years = sorted({p[0] for pts in series.values() for p in pts})
    first, last = years[0], years[-1]
    largest = max(p[1] for pts in series.values() for p in pts) or 1.0
    span = max(last - first, 1)

    def at(year: float, value: float) -> tuple[float, float]:
        x = left + plot_w / 2 if last == first else left + (year - first) / span * plot_w
        return x, top + plot_h - value / (largest * 1.2) * plot_h

    out = [f'<text x="{left + plot_w / 2:.1f}" y="16" font-size="13" text-anchor="middle">papers per year</text>',
           f'<line x1="{left:.1f}" y1="{top + plot_h:.1f}" x2="{left + plot_w:.1f}" y2="{top + plot_h:.1f}" '
           'stroke="#333"/>',
           f'<line x1="{left:.1f}" y1="{top:.1f}" x2="{left:.1f}" y2="{top + plot_h:.1f}" stroke="#333"/>']
    for year in years:
        x, _ = at(year, 0)
        out.append(f'<text x="{x:.1f}" y="{top + plot_h + 15:.1f}" font-size="10" text-anchor="middle">{year}</text>')
    step, tick = _nice_step(largest), 0.0
    while tick <= largest * 1.2:
        _, y = at(first, tick)
        out.append(f'<text x="{left - 5:.1f}" y="{y + 3:.1f}" font-size="10" text-anchor="end">{tick:g}</text>')
        tick += step
    palette = colours(sorted(series))
    for i, (name, points) in enumerate(sorted(series.items())):
        coords = [at(x, y) for x, y in sorted(points)]
        out.append(f'<polyline fill="none" stroke="{palette[name]}" stroke-width="1.5" points="'
                   + " ".join(f"{x:.1f},{y:.1f}" for x, y in coords) + '"/>')
        for (x, y), (_, value) in zip(coords, sorted(points), strict=True):
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{palette[name]}"/>'
                       f'<text x="{x:.1f}" y="{y - 6:.1f}" font-size="9" text-anchor="middle">{value:g}</text>')
        out.append(f'<rect x="{left + 10:.1f}" y="{top + 2 + 16 * i:.1f}" width="10" height="10" '
                   f'fill="{palette[name]}"/><text x="{left + 25:.1f}" y="{top + 11 + 16 * i:.1f}" '
                   f'font-size="10">{_esc(name)}</text>')
    return left + plot_w + 30, "".join(out), top + plot_h + 30


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
    """Events (date, label, category) on a time axis, one row each, colour per category."""
    if not events:
        raise ValueError("timeline needs at least one event")
    events = sorted(events, key=lambda e: (e[0], e[1]))
    palette = colours([e[2] for e in events])
    left, top, plot_w, row = 22.0, 14.0, 900.0, 17.0
    first, last = events[0][0], events[-1][0]
    start, end = date(first.year - 1, 1, 1), date(last.year + 6, 1, 1)
    days = (end - start).days

    def x_of(day: date) -> float:
        return left + (day - start).days / days * plot_w

    base = top + row * len(events) + 6
    out: list[str] = []
    step = max(1, (end.year - start.year) // 12)
    for year in range(start.year, end.year + 1, step):
        x = x_of(date(year, 1, 1))
        out.append(f'<line x1="{x:.1f}" y1="{top - 8:.1f}" x2="{x:.1f}" y2="{base:.1f}" stroke="#dddddd"/>'
                   f'<text x="{x:.1f}" y="{base + 14:.1f}" font-size="10" text-anchor="middle">{year}</text>')
    for i, (day, label, category) in enumerate(events):
        x, y = x_of(day), top + row * i
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{palette[category]}">'
                   f"<title>{day.isoformat()}</title></circle>"
                   f'<text x="{x + 7:.1f}" y="{y + 3:.1f}" font-size="9">{_esc(_short(label, 70))}</text>')
    legend_w = 0.0
    if len(palette) > 1:
        lx = left + plot_w + 20
        for i, (category, colour) in enumerate(palette.items()):
            out.append(f'<circle cx="{lx + 5:.1f}" cy="{top + 16 * i - 3:.1f}" r="4" fill="{colour}"/>'
                       f'<text x="{lx + 14:.1f}" y="{top + 16 * i:.1f}" font-size="10">{_esc(category)}</text>')
        legend_w = 30 + 6.2 * max(len(c) for c in palette)
    width = left + plot_w + 20 + legend_w
    height = max(base + 24, top + 16 * len(palette) + 10)
    return _svg_root(prefix, width, height, [f'<g id="{_esc(prefix)}-events">', *out, "</g>"])


def packed_layout(graph: nx.Graph) -> tuple[dict, tuple[float, float]]:
    """Spring layout per connected component (fixed seed), the components packed in rows, largest first,
    so small groups neither fly apart nor crowd the big one.  Returns positions and the drawing's size."""
    import networkx as nx  # only the network diagram needs it (~0.3 s of imports)

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


def _marker(shape: str, x: float, y: float, r: float, fill: str) -> str:
    """A node marker centred on (x, y): circle, square, triangle or diamond (by node kind)."""
    style = f'fill="{fill}" stroke="#333333" stroke-width="0.8"'
    if shape == "s":
        return f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r:.1f}" height="{2 * r:.1f}" {style}/>'
    if shape == "^":
        return f'<polygon points="{x:.1f},{y - r:.1f} {x + r:.1f},{y + r:.1f} {x - r:.1f},{y + r:.1f}" {style}/>'
    if shape == "D":
        return (f'<polygon points="{x:.1f},{y - r:.1f} {x + r:.1f},{y:.1f} {x:.1f},{y + r:.1f} {x - r:.1f},{y:.1f}" '
                f"{style}/>")
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" {style}/>'


def _network_legend(fills: dict[str, str], kinds: dict[str, str], crossing: int, groups: list[str],
                    markers: dict[str, str], lx: float, ly: float) -> tuple[list[str], float]:
    """The network's legend at (lx, ly): regions, tie kinds, cross-border ties, node kinds; and where it ends."""
    legend: list[str] = []
    rows = [(_marker("o", lx + 5, 0, 4.5, c), r) for r, c in fills.items()]
    rows += [(f'<line x1="{lx:.1f}" y1="0" x2="{lx + 11:.1f}" y2="0" stroke="{c}" stroke-width="2"/>', k)
             for k, c in kinds.items()]
    if crossing:
        rows.append((f'<line x1="{lx:.1f}" y1="0" x2="{lx + 11:.1f}" y2="0" stroke="#555555" stroke-width="3"/>',
                     f"cross-border tie ({crossing})"))
    rows += [(_marker(markers[g], lx + 5, 0, 4.5, "#f4f4f4"), g) for g in groups]
    for mark, text in rows:
        legend.append(f'<g transform="translate(0 {ly - 3:.1f})">{mark}</g>'
                      f'<text x="{lx + 16:.1f}" y="{ly:.1f}" font-size="10">{_esc(text)}</text>')
        ly += 16
    return legend, ly


def network(ties: Sequence[Tie], prefix: str, regions: dict[str, str] | None = None) -> str:
    """Actors and places as nodes coloured by region (shape per kind of node), ties coloured by kind,
    cross-border ties (ends in two regions) drawn thick; components laid out apart, labels kept apart.

    networkx lays the graph out; the SVG is written directly (matplotlib's text layout cost ~1 s here)."""
    if not ties:
        raise ValueError("network needs at least one tie")
    import networkx as nx

    regions = regions or {}
    graph = nx.MultiGraph()
    for tie in ties:
        for node_id, label, group in (tie.source, tie.target):
            graph.add_node(node_id, label=label, group=group, region=regions.get(node_id, "unknown"))
        graph.add_edge(tie.source[0], tie.target[0], kind=tie.kind)
    simple = nx.Graph(graph)
    pos, (width, _height) = packed_layout(simple)
    kinds = colours(sorted({t.kind for t in ties}))
    unit = min(70.0, 1000.0 / max(width, 1.0))  # pixels per layout unit
    margin = 40.0
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    left, top = min(xs), max(ys)  # layout y points up; SVG y points down
    px = {n: (margin + (x - left) * unit, margin + (top - y) * unit) for n, (x, y) in pos.items()}
    plot_w = margin * 2 + (max(xs) - left) * unit
    plot_h = margin * 2 + (top - min(ys)) * unit
    parts: list[str] = []
    crossing = 0
    for a, b, data in graph.edges(data=True):
        (x1, y1), (x2, y2) = px[a], px[b]
        ra, rb = graph.nodes[a]["region"], graph.nodes[b]["region"]
        cross = "unknown" not in (ra, rb) and ra != rb
        crossing += cross
        parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{kinds[data["kind"]]}" '
                     f'stroke-width="{2.8 if cross else 0.9}" stroke-opacity="{0.9 if cross else 0.6}" '
                     f'stroke-linecap="round"/>')
    node_regions = sorted({d["region"] for _, d in graph.nodes(data=True)}, key=lambda r: (r == "unknown", r))
    fills = _region_colours(node_regions)
    groups = sorted({d["group"] for _, d in graph.nodes(data=True)})
    markers = dict(zip(groups, "os^D" * 4, strict=False))
    for node, data in graph.nodes(data=True):
        radius = (36 + 18 * simple.degree(node)) ** 0.5 / 2
        parts.append(_marker(markers[data["group"]], *px[node], radius, fills[data["region"]]))
    labels = {n: _short(d["label"], 28) for n, d in graph.nodes(data=True)}
    order = sorted(graph.nodes, key=lambda n: (-simple.degree(n), labels[n]))
    up = {n: (x, plot_h - y) for n, (x, y) in px.items()}  # place_labels works with y pointing up
    lefts, rights = [0.0], [plot_w]
    for node, (dx, dy, ha) in place_labels(up, labels, order, fontsize=9).items():
        anchor = {"center": "middle", "left": "start", "right": "end"}[ha]
        x, y = px[node]
        text_w = 0.55 * 9 * len(labels[node])
        start = x + dx - {"middle": text_w / 2, "start": 0.0, "end": text_w}[anchor]
        lefts.append(start - 4)
        rights.append(start + text_w + 4)
        parts.append(f'<text x="{x + dx:.1f}" y="{y - dy:.1f}" font-size="9" text-anchor="{anchor}">'
                     f"{_esc(labels[node])}</text>")
    shift = -min(lefts)  # labels near the edge stay inside the picture
    plot_w = max(rights) + shift
    parts.insert(0, f'<g transform="translate({shift:.1f} 0)">')
    parts.append("</g>")
    legend, ly = _network_legend(fills, kinds, crossing, groups if len(groups) > 1 else [], markers,
                                 plot_w + 10, margin)
    legend_w = 20 + 6.2 * max(len(t) for t in [*fills, *kinds, f"cross-border tie ({crossing})", *groups])
    total_w, total_h = plot_w + 10 + legend_w, max(plot_h, ly + 10)
    return (f'<svg role="img" aria-label="{_esc(prefix)}" class="chart" xmlns="http://www.w3.org/2000/svg" '
            f'width="{total_w:.0f}" height="{total_h:.0f}" viewBox="0 0 {total_w:.0f} {total_h:.0f}" '
            f'font-family="DejaVu Sans, Verdana, Arial, sans-serif">'
            f'<g id="{_esc(prefix)}-graph">' + "".join(parts) + f'</g><g id="{_esc(prefix)}-legend">'
            + "".join(legend) + "</g></svg>")


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
