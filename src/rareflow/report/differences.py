"""The difference view of a report made against a baseline: scenario minus baseline, on the
periods both runs share (the report aligns them first), for prices inside and outside China
and for unserved demand by sector."""

from __future__ import annotations

import pandas as pd

# the prices the difference view draws (a subset of the report's price panel)
DIFFERENCE_MATERIALS = ("oxide:Nd", "oxide:Dy", "oxide:Tb", "magnet:NdFeB-HRE")


def price_changes(prices: pd.DataFrame) -> pd.DataFrame:
    """material, period, where, change: scenario minus baseline price, USD/kg (`prices` as the
    report's, with a `run` column holding 'scenario' and 'baseline')."""
    # spot prices only: the volume-weighted line follows China's price, the view would repeat it
    prices = prices[prices["where"].isin(("China", "outside China"))]
    wide = prices.pivot_table(
        index=["material", "period", "where"], columns="run", values="price", aggfunc="first"
    )
    if not {"scenario", "baseline"} <= set(wide.columns):
        return pd.DataFrame(columns=["material", "period", "where", "change"])
    change = (wide["scenario"] - wide["baseline"]).rename("change").dropna()
    return change.reset_index()


def shortfall_changes(scenario: pd.DataFrame, baseline: pd.DataFrame) -> pd.DataFrame:
    """sector, period, change: unserved demand of all regions, scenario minus baseline, t per
    period (both frames as the report's shortfalls by sector)."""
    keys = ["sector", "period"]
    merged = scenario.merge(baseline, on=keys, how="outer", suffixes=("", "_base")).fillna(0.0)
    merged["change"] = merged["unserved"] - merged["unserved_base"]
    return merged[[*keys, "change"]].sort_values(["period", "sector"]).reset_index(drop=True)
