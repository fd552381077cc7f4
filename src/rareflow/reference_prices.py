"""Reference prices of the reference tables: a material's price by market and year.

The builder, the calibration and the backtest read prices the same way: China's market for
China, the ex-China market elsewhere, the world price as fallback, the year nearest the one
asked for.
"""

from __future__ import annotations

import pandas as pd

# USD per t of material; the reference tables quote USD/kg.
KG_PER_T = 1000.0


def first_existing(table: pd.DataFrame, keys: list[str], column: str = "key") -> pd.Series:
    """The first row of `table` whose `column` matches one of `keys`, in order of `keys`."""
    for key in keys:
        hit = table[table[column] == key]
        if not hit.empty:
            return hit.iloc[0]
    raise KeyError(f"none of {keys} found in column {column}")


def reference_price(prices: pd.DataFrame, material: str, region: str, year: int) -> float:
    """Reference price USD/t: China's market for CHN, ex-China elsewhere, world as fallback."""
    rows = prices[prices["material"] == material]
    if rows.empty:
        raise KeyError(f"no reference price for {material}")
    preferred = ["CHN", "world", "exCHN"] if region == "CHN" else ["exCHN", "world", "CHN"]
    # nearest year to the base year, then market preference
    rows = rows.assign(dist=(rows["year"] - year).abs()).sort_values("dist")
    rows = rows[rows["dist"] == rows["dist"].min()]
    row = first_existing(rows, preferred, column="market")
    return float(row["price"]) * KG_PER_T


def price_or_inf(prices: pd.DataFrame, material: str, year: int) -> float:
    """World reference price USD/t, or inf where the data give none (nothing to cap at)."""
    try:
        return reference_price(prices, material, "world", year)
    except KeyError:
        return float("inf")
