"""The charts of a comparison (plotly), in one HTML page that works offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import pandas as pd


class Comparison(Protocol):
    """What the charts read of a rareflow.comparison.Comparison (named here, not imported:
    the comparison writes these charts, so neither module imports the other at load time)."""

    name_a: str
    name_b: str
    periods: list[str]

    def __getitem__(self, name: str) -> pd.DataFrame: ...


def _figures(cmp: Comparison, top: int = 15) -> list[Any]:
    import plotly.express as px

    title = f"{cmp.name_b} minus {cmp.name_a}, {cmp.periods[0]} to {cmp.periods[-1]}"
    figs = []
    detail = cmp["shortfall_detail"]
    if not detail.empty:
        by = detail.groupby(["region", "material"], as_index=False)["change_t"].sum()
        figs.append(
            px.bar(
                by,
                x="region",
                y="change_t",
                color="material",
                title=f"Change of unserved demand by region and material (t): {title}",
                labels={"change_t": "t"},
            )
        )
        by = detail.groupby(["sector", "material"], as_index=False)["change_t"].sum()
        figs.append(
            px.bar(
                by,
                x="sector",
                y="change_t",
                color="material",
                title=f"Change of unserved demand by sector and material (t): {title}",
                labels={"change_t": "t"},
            )
        )
    series = cmp["price_series"]
    if not series.empty:
        long = series.melt(
            id_vars=["material", "period", "scenario"],
            value_vars=["china", "outside", "outside_vw"],
            var_name="where",
            value_name="price",
        )
        long["line"] = long["scenario"] + " " + long["where"]
        figs.append(
            px.line(
                long,
                x="period",
                y="price",
                color="line",
                facet_col="material",
                facet_col_wrap=3,
                title="Prices inside China and outside it (demand-weighted spot; outside_vw: "
                "volume-weighted, contracts and spot), USD/kg",
                labels={"price": "USD/kg"},
            ).update_yaxes(matches=None)
        )
    trade = cmp["trade_rerouting"]
    if not trade.empty:
        pairs = cmp["replacements"].head(top)
        keep = trade.merge(pairs[["destination", "material"]], on=["destination", "material"])
        keep = keep.assign(flow=keep["destination"] + " " + keep["material"])
        figs.append(
            px.bar(
                keep,
                y="flow",
                x="change_t",
                color="origin",
                orientation="h",
                title=f"Trade re-routing: change of inflow by origin (t): {title}",
                labels={"change_t": "t", "flow": "importer, material"},
            )
        )
    ss = cmp["self_sufficiency"].dropna(subset=["change_pp"])
    if not ss.empty:
        grid = ss.pivot_table(index="region", columns="stage", values="change_pp")
        figs.append(
            px.imshow(
                grid,
                color_continuous_scale="RdBu",
                color_continuous_midpoint=0.0,
                aspect="auto",
                title=f"Change of self-sufficiency (percentage points): {title}",
                labels={"color": "pp"},
            )
        )
    return figs


def write_charts(cmp: Comparison, path: Path) -> Path:
    """All charts in one HTML page; plotly.js is embedded once, so the file works offline."""
    figs = _figures(cmp)
    parts = [
        fig.to_html(full_html=False, include_plotlyjs=(i == 0), default_height="520px")
        for i, fig in enumerate(figs)
    ]
    head = f"<h1>{cmp.name_b} against {cmp.name_a}</h1>"
    if not parts:
        parts = ["<p>Nothing differs between the two results.</p>"]
    body = "\n".join([head, *parts])
    path.write_text(
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f"<title>{cmp.name_b} vs {cmp.name_a}</title></head>\n<body>\n{body}\n</body></html>\n"
    )
    return path
