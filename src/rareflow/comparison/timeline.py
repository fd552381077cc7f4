"""Month by month, B against A: what a restriction does over time, in the terms a market
reader follows it: China's exports of the restricted materials (departures, as customs count
them), arrivals outside China, the licence backlog, stocks inside and outside China, and
unserved demand and physical shortage outside China. Pure functions of two Results."""

from __future__ import annotations

import pandas as pd

from rareflow.comparison.common import CHINA
from rareflow.results import Result

MEASURES = (
    "exports_from_china",
    "arrivals_outside_china",
    "licence_backlog",
    "stocks_in_china",
    "stocks_outside_china",
    "unserved_outside_china",
    "shortage_outside_china",
)


def restricted_materials(a: Result, b: Result) -> list[str]:
    """Materials under a licence regime in either run (all traded materials when none)."""
    found = set(a.licences["material"]) | set(b.licences["material"])
    return sorted(found) if found else sorted(set(a.trade["material"]) | set(b.trade["material"]))


def _series(result: Result, materials: list[str], periods: list[str]) -> pd.DataFrame:
    trade, flows, short = result.trade, result.flows, result.shortfalls
    outside_flow = flows[(flows["region"] != CHINA) & flows["material"].isin(materials)]
    inside_flow = flows[(flows["region"] == CHINA) & flows["material"].isin(materials)]
    outside_short = short[short["region"] != CHINA]

    def by_period(frame: pd.DataFrame, column: str = "value") -> pd.Series:
        if column not in frame:  # results written before the column existed
            return pd.Series(0.0, index=periods)
        return frame.groupby("period")[column].sum().reindex(periods, fill_value=0.0)

    exports = trade[(trade["origin"] == CHINA) & trade["material"].isin(materials)]
    licences = result.licences[result.licences["material"].isin(materials)]
    return pd.DataFrame(
        {
            "exports_from_china": by_period(exports),
            "arrivals_outside_china": by_period(outside_flow[outside_flow["kind"] == "trade_in"]),
            "licence_backlog": by_period(licences, "backlog"),
            "stocks_in_china": by_period(inside_flow[inside_flow["kind"] == "stock_level"]),
            "stocks_outside_china": by_period(outside_flow[outside_flow["kind"] == "stock_level"]),
            "unserved_outside_china": by_period(outside_short, "unserved"),
            "shortage_outside_china": by_period(outside_short, "shortage"),
        },
        index=pd.Index(periods, name="period"),
    )


def shortage_by_sector(a: Result, b: Result, periods: list[str]) -> pd.DataFrame:
    """Physical shortage outside China by sector and period (every material; t per period):
    one row per period and sector with A, B and B - A; sectors short in neither run are left
    out."""

    def table(result: Result) -> pd.DataFrame:
        short = result.shortfalls
        if "shortage" not in short:  # results written before the column existed
            return pd.DataFrame(columns=periods, dtype=float)
        outside = short[(short["region"] != CHINA) & short["period"].isin(periods)]
        return outside.pivot_table(
            index="sector", columns="period", values="shortage", aggfunc="sum", fill_value=0.0
        ).reindex(columns=periods, fill_value=0.0)

    ta, tb = table(a), table(b)
    sectors = sorted(set(ta.index) | set(tb.index))
    ta = ta.reindex(sectors, fill_value=0.0)
    tb = tb.reindex(sectors, fill_value=0.0)
    frame = pd.concat({"a": ta.T.stack(), "b": tb.T.stack()}, axis=1).rename_axis(
        ["period", "sector"]
    )
    frame = frame.astype(float)
    frame["change"] = frame["b"] - frame["a"]
    short = frame.groupby(level="sector")[["a", "b"]].sum().max(axis=1) > 1e-6
    keep = frame.index.get_level_values("sector").isin(short[short].index)
    return frame[keep].reset_index()


def month_by_month(a: Result, b: Result, periods: list[str]) -> pd.DataFrame:
    """One row per period and measure (MEASURES): A, B and B - A, in t per period (stocks
    and the backlog at the period's end). Exports, arrivals, stocks and the backlog count the
    restricted materials only (restricted_materials); unserved demand counts every use."""
    materials = restricted_materials(a, b)
    sa, sb = _series(a, materials, periods), _series(b, materials, periods)
    frame = pd.concat({"a": sa.stack(), "b": sb.stack()}, axis=1).rename_axis(["period", "measure"])
    frame["change"] = frame["b"] - frame["a"]
    return frame.reset_index()
