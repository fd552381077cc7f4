"""Charts and a page of a backtest: each observed series beside the model and the naive
forecasts, and the error table (rareflow.backtest)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from rareflow.report.style import fixed_colour

# the naive forecasts are drawn dashed and faint: they are the yardstick, not the answer
_STYLE = {
    "observed": {"mode": "lines+markers", "line": {"width": 3}},
    "model": {"mode": "lines+markers", "line": {"width": 2}},
    "no_change": {"mode": "lines", "line": {"width": 1, "dash": "dash"}},
    "trend": {"mode": "lines", "line": {"width": 1, "dash": "dot"}},
}


def series_figure(lined: pd.DataFrame, series: str, path: pd.Series | None = None) -> go.Figure:
    """One observed series with the three forecasts at its points, the model's whole path
    (`path`, by period) as a thin line under them, and the base value as a first point."""
    group = lined[lined["series"] == series].sort_values("date")
    fig = go.Figure()
    if path is not None and path.notna().any():
        fig.add_trace(
            go.Scatter(
                x=path.index,
                y=path.to_numpy(),
                name="model, every period",
                mode="lines",
                line={"width": 1},
                marker={"color": fixed_colour("model", tuple(_STYLE))},
                opacity=0.5,
            )
        )
    for name, style in _STYLE.items():
        values = group[name]
        if values.isna().all():
            continue
        fig.add_trace(
            go.Scatter(
                x=group["date"],
                y=values,
                name=name.replace("_", " "),
                marker={"color": fixed_colour(name, tuple(_STYLE))},
                **style,
            )
        )
    unit = str(group["unit"].iloc[0])
    fig.update_layout(
        title=f"{series} ({unit}); base value {_number(float(group['base'].iloc[0]))}",
        # prices moved tenfold: a log axis shows a factor of 2 the same size everywhere
        yaxis={"title": unit, "type": "log"},
        legend={"orientation": "h"},
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
    )
    return fig


def write_backtest_page(
    path: Path,
    title: str,
    description: str,
    table_markdown: str,
    lined: pd.DataFrame,
    paths: Mapping[str, pd.Series] | None = None,
) -> Path:
    """A self-contained HTML page: the description, the error table, a chart per series
    (with the model's whole path where `paths` has it, by series label)."""
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 6px}</style>",
        "</head><body>",
        f"<h1>{html.escape(title)}</h1><p>{html.escape(description)}</p>",
        "<h2>Error figures (model / no change / trend)</h2>",
        _markdown_to_html(table_markdown),
    ]
    for i, series in enumerate(lined["series"].drop_duplicates()):
        fig = series_figure(lined, str(series), (paths or {}).get(str(series)))
        parts.append(fig.to_html(full_html=False, include_plotlyjs=(i == 0)))
    parts.append("</body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.3g}"


def _markdown_to_html(text: str) -> str:
    rows = [line.strip().strip("|").split("|") for line in text.strip().splitlines()]
    rows = [r for r in rows if not set("".join(r).strip()) <= set("-: ")]
    head, body = rows[0], rows[1:]
    out = ["<table><tr>", *(f"<th>{html.escape(c.strip())}</th>" for c in head), "</tr>"]
    for row in body:
        out += ["<tr>", *(f"<td>{html.escape(c.strip())}</td>" for c in row), "</tr>"]
    out.append("</table>")
    return "".join(out)
