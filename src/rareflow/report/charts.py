"""The report's charts twice over: plotly figures for the HTML page and plain SVG for the PDF.

The PDF cannot run plotly.js and static export needs a browser, so the SVG versions are drawn
here by hand: a layered Sankey, small-multiple line charts, stacked and diverging bar charts.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rareflow.data.schema import FORMS
from rareflow.metrics.elements import MAGNET_ELEMENTS
from rareflow.metrics.traded_prices import VOLUME_WEIGHTED
from rareflow.report.content import (
    CONSUMER,
    FORM_LABEL,
    PRICE_MATERIALS,
    PRODUCER,
    STAGES,
    ReportContent,
)
from rareflow.report.differences import DIFFERENCE_MATERIALS
from rareflow.report.style import empty_svg, fixed_colour, svg_open, svg_title
from rareflow.report.world_map import trade_map_figure, trade_map_svg
from rareflow.scenario.vocabulary import SECTORS

WHERE_COLOUR = {"China": "#d62728", "outside China": "#1f77b4", VOLUME_WEIGHTED: "#17becf"}
# markers as well as colours: where the two prices are equal both lines stay visible
WHERE_MARKER = {
    "China": "circle-open",
    "outside China": "x-thin-open",
    VOLUME_WEIGHTED: "diamond-open",
}
FORM_ORDER = FORMS  # data.schema: the material forms in chain order
SECTOR_ORDER = SECTORS  # scenario.vocabulary: the sector ids


# -- Sankey ----------------------------------------------------------------------------------


def node_column(node: str) -> int:
    """Column of a Sankey node: the stages in chain order; imports of a form in the column
    before the stage using it, exports after the stage making it; sinks last."""
    if node in STAGES:
        return STAGES.index(node)
    label_form = {v: k for k, v in FORM_LABEL.items()}
    if ": " in node:
        side, label = node.split(": ", 1)
        form = label_form.get(label, label)
        if side == "imports":
            consumer = CONSUMER.get(form, "consumption")
            return max(0, STAGES.index(consumer) - 1) if consumer in STAGES else 0
        producer = PRODUCER.get(form, "separation")
        return min(len(STAGES) - 1, STAGES.index(producer) + 1)
    if node == "stock release":
        return STAGES.index("separation")
    return len(STAGES) - 1  # recycling, stock build, disposal: sinks


def sankey_figure(links: pd.DataFrame, title: str) -> go.Figure:
    nodes = list(dict.fromkeys([*links["source"], *links["target"]]))
    index = {n: i for i, n in enumerate(nodes)}
    forms = list(dict.fromkeys(links["form"]))
    form_colour = {f: fixed_colour(str(f), FORM_ORDER) for f in forms}
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            valueformat=",.0f",
            valuesuffix=" t",
            node={"label": nodes, "pad": 14, "thickness": 14},
            link={
                "source": [index[s] for s in links["source"]],
                "target": [index[t] for t in links["target"]],
                "value": links["value"].round(3).tolist(),
                "label": list(links["form"]),
                "color": [form_colour[f] + "66" for f in links["form"]],
            },
        )
    )
    fig.update_layout(title=title, height=520, margin={"l": 20, "r": 20, "t": 50, "b": 20})
    return fig


def sankey_svg(links: pd.DataFrame, title: str, width: int = 900, height: int = 520) -> str:
    """A layered Sankey: nodes in stage columns (side nodes under the stages), links as bands
    whose width is the tonnage. Links under 0.2% of the largest are left out of the drawing."""
    if not links.empty:
        links = links[links["value"] >= 0.002 * links["value"].max()]
    if links.empty:
        return empty_svg(title, "no flows in this region and period", width)
    nodes = list(dict.fromkeys([*links["source"], *links["target"]]))
    inflow = links.groupby("target")["value"].sum()
    outflow = links.groupby("source")["value"].sum()
    size = {n: max(float(inflow.get(n, 0.0)), float(outflow.get(n, 0.0))) for n in nodes}
    columns: dict[int, list[str]] = {}
    for n in sorted(nodes, key=lambda n: (n not in STAGES, -size[n])):
        columns.setdefault(node_column(n), []).append(n)
    forms = list(dict.fromkeys(links["form"]))
    top, bottom, left, right = 30 + 14 * ((len(forms) + 5) // 6), 10, 10, 150
    gap, node_w = 22, 10.0
    usable = height - top - bottom
    scale = min(
        (usable - gap * (len(col) - 1)) / max(sum(size[n] for n in col), 1e-9)
        for col in columns.values()
    )
    col_w = (width - left - right) / (len(STAGES) - 1)
    pos: dict[str, tuple[float, float, float]] = {}  # node -> x, y, height
    for col, members in columns.items():
        y = float(top)
        for n in members:
            h = max(size[n] * scale, 1.5)
            pos[n] = (left + col * col_w, y, h)
            y += h + gap
    parts = [svg_open(width, height), svg_title(title, width)]
    form_colour = {f: fixed_colour(str(f), FORM_ORDER) for f in forms}
    for i, f in enumerate(forms):  # legend: rows of six under the title
        lx, ly = left + (i % 6) * 140, 26 + 14 * (i // 6)
        parts.append(
            f'<rect x="{lx}" y="{ly}" width="10" height="10" fill="{form_colour[f]}" '
            f'fill-opacity="0.6"/><text x="{lx + 14}" y="{ly + 9}" font-size="10">'
            f"{escape(f)}</text>"
        )
    # bands leave a node in the order of their targets' heights and enter in the order of
    # their sources' heights, so that they do not cross at the nodes
    links = links.assign(
        _w=(links["value"] * scale).clip(lower=0.5),
        _sy=links["source"].map(lambda n: pos[str(n)][1]),
        _ty=links["target"].map(lambda n: pos[str(n)][1]),
    )
    start = links.sort_values(["source", "_ty"]).groupby("source")["_w"].cumsum() - links["_w"]
    end = links.sort_values(["target", "_sy"]).groupby("target")["_w"].cumsum() - links["_w"]
    columns_ = zip(
        links["source"].astype(str).tolist(),
        links["target"].astype(str).tolist(),
        links["form"].astype(str).tolist(),
        links["_w"].astype(float).tolist(),
        start.reindex(links.index).astype(float).tolist(),
        end.reindex(links.index).astype(float).tolist(),
        strict=True,
    )
    for src, dst, form, w, off_out, off_in in columns_:
        sx, sy, _ = pos[src]
        tx, ty, _ = pos[dst]
        y0 = sy + off_out + w / 2
        y1 = ty + off_in + w / 2
        x0, x1 = sx + node_w, tx
        mid = (x0 + x1) / 2
        parts.append(
            f'<path d="M{x0:.1f},{y0:.1f} C{mid:.1f},{y0:.1f} {mid:.1f},{y1:.1f} '
            f'{x1:.1f},{y1:.1f}" fill="none" stroke="{form_colour[form]}" '
            f'stroke-opacity="0.45" stroke-width="{w:.1f}"/>'
        )
    for n, (x, y, h) in pos.items():
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{node_w}" height="{h:.1f}" fill="#444"/>'
            f'<text x="{x + node_w + 3:.1f}" y="{y + 9:.1f}" font-size="9">{escape(n)}</text>'
            f'<text x="{x + node_w + 3:.1f}" y="{y + 19:.1f}" font-size="8" fill="#555">'
            f"{size[n]:,.0f} t</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


# -- prices ----------------------------------------------------------------------------------


def price_figure(prices: pd.DataFrame, materials: Sequence[str]) -> go.Figure:
    shown = [m for m in materials if m in set(prices["material"])]
    cols = 3
    rows = max(1, -(-len(shown) // cols))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=shown)
    legend_done: set[str] = set()
    for i, material in enumerate(shown):
        part = prices[prices["material"] == material]
        for (run, where), series in part.groupby(["run", "where"], sort=True):
            name = f"{where} ({run})"
            fig.add_trace(
                go.Scatter(
                    x=series["period"],
                    y=series["price"],
                    name=name,
                    legendgroup=name,
                    showlegend=name not in legend_done,
                    mode="lines+markers",
                    marker={
                        "symbol": WHERE_MARKER.get(str(where), "circle"),
                        "size": 7,
                        "color": WHERE_COLOUR.get(str(where), "#333"),
                    },
                    line={
                        "color": WHERE_COLOUR.get(str(where), "#333"),
                        "dash": "dot" if run == "baseline" else "solid",
                    },
                ),
                row=i // cols + 1,
                col=i % cols + 1,
            )
            legend_done.add(name)
    fig.update_yaxes(title_text="USD/kg", col=1)
    fig.update_layout(height=300 * rows, margin={"l": 50, "r": 20, "t": 50, "b": 30})
    return fig


def price_svgs(prices: pd.DataFrame, materials: Sequence[str]) -> list[str]:
    out: list[str] = []
    for material in materials:
        part = prices[prices["material"] == material]
        if part.empty:
            continue
        series = []
        for (run, where), s in part.groupby(["run", "where"], sort=True):
            series.append(
                (
                    f"{where} ({run})",
                    list(s["period"].astype(str)),
                    list(s["price"].astype(float)),
                    WHERE_COLOUR.get(str(where), "#333"),
                    run == "baseline",
                )
            )
        # one legend for the small multiples: under the first chart (same series in each)
        out.append(line_svg(series, f"{material} (USD/kg)", legend=not out))
    return out


def line_svg(
    series: list[tuple[str, list[str], list[float], str, bool]],
    title: str,
    width: int = 300,
    height: int = 200,
    legend: bool = True,
) -> str:
    """Lines over a shared category axis: (name, x labels, y values, colour, dashed); the
    legend under the chart unless `legend` is False (small multiples share the first's)."""
    xs = list(dict.fromkeys(x for s in series for x in s[1]))
    ys = [y for s in series for y in s[2] if y == y]
    if not xs or not ys:
        return empty_svg(title, "no data", width)
    lo, hi = min(ys), max(ys)
    pad = (hi - lo) * 0.1 or abs(hi) * 0.05 or 1.0
    # prices and tonnes are never negative: no axis tick below 0 for them
    lo, hi = (max(0.0, lo - pad) if lo >= 0 else lo - pad), hi + pad
    left, right, top, bottom = 48, 8, 26, 46 + (12 * len(series) if legend else 0)
    pw, ph = width - left - right, height - top - bottom
    if ph < 40:
        height += 40 - ph
        ph = 40

    def px(x: str) -> float:
        return left + (xs.index(x) / max(len(xs) - 1, 1)) * pw

    def py(y: float) -> float:
        return top + (hi - y) / (hi - lo) * ph

    parts = [svg_open(width, height), svg_title(title, width, 12)]
    parts.append(_axes(left, top, pw, ph))
    for frac in (0.0, 0.5, 1.0):
        v = lo + frac * (hi - lo)
        parts.append(
            f'<text x="{left - 4}" y="{py(v) + 3:.1f}" text-anchor="end" font-size="8">'
            f"{v:,.4g}</text>"
        )
    step = max(1, len(xs) // 4)
    for i, x in enumerate(xs):
        if i % step == 0:
            parts.append(
                f'<text x="{px(x):.1f}" y="{top + ph + 11}" text-anchor="middle" font-size="8">'
                f"{escape(x)}</text>"
            )
    for k, (name, sx, sy, colour, dashed) in enumerate(series):
        points = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(sx, sy, strict=True) if y == y)
        dash = ' stroke-dasharray="4 3"' if dashed else ""
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="1.5"{dash}/>'
        )
        if not legend:
            continue
        ly = top + ph + 24 + 12 * k
        parts.append(
            f'<line x1="{left}" y1="{ly}" x2="{left + 18}" y2="{ly}" stroke="{colour}"'
            f' stroke-width="1.5"{dash}/>'
            f'<text x="{left + 22}" y="{ly + 3}" font-size="9">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


# -- shortfalls ------------------------------------------------------------------------------


def shortfall_figure(shortfalls: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    for sector, part in shortfalls.groupby("sector", sort=True):
        colour = fixed_colour(str(sector), SECTOR_ORDER)
        fig.add_trace(
            go.Bar(x=part["period"], y=part["unserved"], name=str(sector), marker_color=colour)
        )
    fig.update_layout(
        barmode="stack",
        height=420,
        yaxis_title="unserved demand (t per period)",
        margin={"l": 60, "r": 20, "t": 30, "b": 40},
    )
    return fig


def shortfall_svg(shortfalls: pd.DataFrame, width: int = 900, height: int = 300) -> str:
    """Stacked bars of unserved demand by sector per period."""
    title = "Unserved demand by sector, all regions (t per period)"
    wide = shortfalls.pivot_table(
        index="period", columns="sector", values="unserved", aggfunc="sum"
    ).fillna(0.0)
    wide = wide.loc[:, wide.sum() > 0]
    if wide.empty:
        return empty_svg(title, "no unserved demand", width)
    left, right, top, bottom = 60, 170, 30, 30
    pw, ph = width - left - right, height - top - bottom
    hi = float(wide.sum(axis=1).max()) or 1.0
    bar = pw / len(wide) * 0.7
    parts = [svg_open(width, height), svg_title(title, width, 12), _axes(left, top, pw, ph)]
    parts.append(
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" font-size="8">{hi:,.0f}</text>'
        f'<text x="{left - 4}" y="{top + ph}" text-anchor="end" font-size="8">0</text>'
    )
    step = max(1, len(wide) // 8)
    for i, (period, row) in enumerate(wide.iterrows()):
        x = left + (i + 0.15) * pw / len(wide)
        y = float(top + ph)
        for k, value in enumerate(row):
            h = float(value) / hi * ph
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{fixed_colour(str(wide.columns[k]), SECTOR_ORDER)}"/>'
            )
        if i % step == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{top + ph + 12}" text-anchor="middle" '
                f'font-size="8">{escape(str(period))}</text>'
            )
    parts.append(_key_svg(list(wide.columns), SECTOR_ORDER, width - right + 12, top))
    parts.append("</svg>")
    return "\n".join(parts)


def _key_svg(names: list[object], order: Sequence[str], x: float, top: float) -> str:
    """A colour key, one swatch and name per line, at (x, top)."""
    return "".join(
        f'<rect x="{x}" y="{top + 13 * k}" width="9" height="9" '
        f'fill="{fixed_colour(str(name), order)}"/>'
        f'<text x="{x + 13}" y="{top + 13 * k + 8}" font-size="9">{escape(str(name))}</text>'
        for k, name in enumerate(names)
    )


# -- element content --------------------------------------------------------------------------

ELEMENT_ORDER = MAGNET_ELEMENTS  # metrics.elements: Nd, Pr, Dy, Tb, one colour each
ALL_REGIONS = "all regions"  # the element table's total row (metrics.elements)
ELEMENT_TITLE = "Unserved demand in element content by region, whole horizon (t of element)"


def element_figure(elements: pd.DataFrame) -> go.Figure:
    """Grouped bars: the Nd, Pr, Dy and Tb held in each region's unserved demand, so that
    magnets, metals and oxides add up (metrics.elements). The table's all-regions row is left
    to the table: it would flatten every region's bars."""
    elements = elements[elements["region"] != ALL_REGIONS]
    fig = go.Figure()
    for element in [e for e in ELEMENT_ORDER if e in set(elements["element"])]:
        part = elements[elements["element"] == element]
        fig.add_trace(
            go.Bar(
                x=part["region"],
                y=part["unserved"],
                name=element,
                marker_color=fixed_colour(element, ELEMENT_ORDER),
            )
        )
    fig.update_layout(
        barmode="group",
        height=360,
        title=ELEMENT_TITLE,
        yaxis_title="t of element",
        margin={"l": 60, "r": 20, "t": 40, "b": 40},
    )
    return fig


def element_svg(elements: pd.DataFrame, width: int = 900, height: int = 260) -> str:
    """The same grouped bars as SVG."""
    elements = elements[elements["region"] != ALL_REGIONS]
    wide = elements.pivot_table(
        index="region", columns="element", values="unserved", aggfunc="sum", sort=False
    ).fillna(0.0)
    wide = wide[[e for e in ELEMENT_ORDER if e in wide.columns]]
    if wide.empty or float(wide.to_numpy().max()) <= 0:
        return empty_svg(ELEMENT_TITLE, "no unserved demand", width)
    left, right, top, bottom = 60, 80, 30, 30
    pw, ph = width - left - right, height - top - bottom
    hi = float(wide.to_numpy().max())
    slot = pw / len(wide)
    bar = slot * 0.8 / len(wide.columns)
    parts = [svg_open(width, height), svg_title(ELEMENT_TITLE, width, 12), _axes(left, top, pw, ph)]
    parts.append(
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" font-size="8">{hi:,.0f}</text>'
        f'<text x="{left - 4}" y="{top + ph}" text-anchor="end" font-size="8">0</text>'
    )
    for i, (region, row) in enumerate(wide.iterrows()):
        x0 = left + i * slot + slot * 0.1
        for k, value in enumerate(row):
            h = float(value) / hi * ph
            parts.append(
                f'<rect x="{x0 + k * bar:.1f}" y="{top + ph - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{fixed_colour(str(wide.columns[k]), ELEMENT_ORDER)}"/>'
            )
        parts.append(
            f'<text x="{x0 + slot * 0.4:.1f}" y="{top + ph + 12}" text-anchor="middle" '
            f'font-size="8">{escape(str(region))}</text>'
        )
    parts.append(_key_svg(list(wide.columns), ELEMENT_ORDER, width - right + 12, top))
    parts.append("</svg>")
    return "\n".join(parts)


# -- trade re-routing ------------------------------------------------------------------------


def rerouting_totals(rerouting: pd.DataFrame, has_base: bool) -> pd.DataFrame:
    """Inflows summed over forms: importer, origin, value (change, or scenario inflow)."""
    key = "change" if has_base else "scenario"
    g = rerouting.groupby(["importer", "origin"], sort=False)[key].sum()
    out = g.rename("value").reset_index()
    return out[out["value"].abs() > 1e-6]


def rerouting_figure(rerouting: pd.DataFrame, importers: list[str], has_base: bool) -> go.Figure:
    totals = rerouting_totals(rerouting, has_base)
    fig = make_subplots(rows=1, cols=max(1, len(importers)), subplot_titles=importers or [""])
    for i, importer in enumerate(importers):
        part = totals[totals["importer"] == importer].sort_values("value")
        fig.add_trace(
            go.Bar(
                x=part["value"],
                y=part["origin"],
                orientation="h",
                name=importer,
                showlegend=False,
                marker_color=["#2ca02c" if v >= 0 else "#d62728" for v in part["value"]],
            ),
            row=1,
            col=i + 1,
        )
    label = "change in inflow vs baseline (t)" if has_base else "inflow over the horizon (t)"
    fig.update_xaxes(title_text=label)
    fig.update_layout(height=380, margin={"l": 50, "r": 20, "t": 40, "b": 40})
    return fig


def rerouting_svg(rerouting: pd.DataFrame, importers: list[str], has_base: bool) -> str:
    """Horizontal bars per importer and origin: change in inflow (or inflow)."""
    totals = rerouting_totals(rerouting, has_base)
    what = "change in inflow vs baseline" if has_base else "inflow"
    title = f"Imports of the worst-hit importers by origin: {what} (t over the horizon)"
    if totals.empty:
        return empty_svg(title, "no imports", 900)
    rows = [
        (str(i), str(o), float(v))
        for i, o, v in zip(totals["importer"], totals["origin"], totals["value"], strict=True)
    ]
    width, row_h, top = 900, 14, 30
    height = top + row_h * len(rows) + 20
    label_w = 120
    mid = label_w + (width - label_w) / 2
    half = (width - label_w) / 2 - 60
    hi = max(abs(v) for _, _, v in rows) or 1.0
    parts = [svg_open(width, height), svg_title(title, width, 12)]
    parts.append(f'<line x1="{mid}" y1="{top - 4}" x2="{mid}" y2="{height - 16}" stroke="#888"/>')
    for i, (importer, origin, value) in enumerate(rows):
        y = top + i * row_h
        w = abs(value) / hi * half
        x = mid if value >= 0 else mid - w
        colour = "#2ca02c" if value >= 0 else "#d62728"
        anchor_x = mid + w + 4 if value >= 0 else mid - w - 4
        anchor = "start" if value >= 0 else "end"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 10}" text-anchor="end" font-size="9">'
            f"{escape(importer)} from {escape(origin)}</text>"
            f'<rect x="{x:.1f}" y="{y + 2}" width="{w:.1f}" height="{row_h - 4}" '
            f'fill="{colour}"/>'
            f'<text x="{anchor_x:.1f}" y="{y + 10}" text-anchor="{anchor}" font-size="8">'
            f"{value:+,.0f}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


# -- helpers ---------------------------------------------------------------------------------


def _axes(left: float, top: float, pw: float, ph: float) -> str:
    return (
        f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="#333"/>'
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}" stroke="#333"/>'
    )


# -- differences (scenario minus baseline) ---------------------------------------------------


def difference_figure(prices: pd.DataFrame, shortfalls: pd.DataFrame) -> go.Figure:
    """One figure, one legend: price changes (left) and unserved-demand changes by sector."""
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=(
            "price, scenario minus baseline (USD/kg)",
            "unserved demand, scenario minus baseline (t per period)",
        ),
    )
    for (material, where), part in prices.groupby(["material", "where"], sort=True):
        if material not in DIFFERENCE_MATERIALS:
            continue
        fig.add_trace(
            go.Scatter(
                x=part["period"],
                y=part["change"],
                name=f"{material} {where}",
                mode="lines+markers",
                # a colour per material, China solid and outside China dashed
                line={
                    "dash": "solid" if where == "China" else "dash",
                    "color": fixed_colour(str(material), DIFFERENCE_MATERIALS),
                },
                marker={"color": fixed_colour(str(material), DIFFERENCE_MATERIALS)},
            ),
            row=1,
            col=1,
        )
    for sector, part in shortfalls.groupby("sector", sort=True):
        fig.add_trace(
            go.Bar(
                x=part["period"],
                y=part["change"],
                name=str(sector),
                marker_color=fixed_colour(str(sector), SECTOR_ORDER),
            ),
            row=1,
            col=2,
        )
    fig.update_layout(barmode="relative", height=420, margin={"l": 60, "r": 20, "t": 50, "b": 40})
    return fig


def difference_svgs(prices: pd.DataFrame) -> list[str]:
    """Price changes as SVG lines for the PDF, one chart per material."""
    out: list[str] = []
    for material in DIFFERENCE_MATERIALS:
        part = prices[prices["material"] == material]
        if part.empty:
            continue
        series = [
            (
                str(where),
                list(s["period"].astype(str)),
                list(s["change"].astype(float)),
                WHERE_COLOUR.get(str(where), "#333"),
                where != "China",
            )
            for where, s in part.groupby("where", sort=True)
        ]
        out.append(
            line_svg(series, f"{material}: scenario minus baseline (USD/kg)", legend=not out)
        )
    return out


def figures(content: ReportContent) -> dict[str, go.Figure]:
    """The plotly figures of a report, by section."""
    has_base = content.base_scenario is not None
    return {
        "sankey": sankey_figure(
            content.sankey, f"Value chain of {content.region}, {content.period_label} (t)"
        ),
        "prices": price_figure(content.prices, PRICE_MATERIALS),
        "shortfalls": shortfall_figure(content.shortfalls),
        "elements": element_figure(content.element_shortfalls),
        "rerouting": rerouting_figure(content.rerouting, content.importers, has_base),
        "differences": difference_figure(content.price_changes, content.shortfall_changes),
        "trade_map": trade_map_figure(content.trade_map, _map_title(content)),
    }


def svgs(content: ReportContent) -> dict[str, list[str]]:
    """The SVG charts of a report, by section (for the PDF)."""
    has_base = content.base_scenario is not None
    return {
        "sankey": [
            sankey_svg(
                content.sankey, f"Value chain of {content.region}, {content.period_label} (t)"
            )
        ],
        "prices": price_svgs(content.prices, PRICE_MATERIALS),
        "shortfalls": [shortfall_svg(content.shortfalls)],
        "elements": [element_svg(content.element_shortfalls)],
        "rerouting": [rerouting_svg(content.rerouting, content.importers, has_base)],
        "differences": difference_svgs(content.price_changes),
        "trade_map": [trade_map_svg(content.trade_map, _map_title(content))],
    }


def _map_title(content: ReportContent) -> str:
    return f"Largest trade flows between regions, {content.period_label} (t)"
