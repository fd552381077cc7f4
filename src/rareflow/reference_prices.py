"""Reference prices of the reference tables: a material's price by market and year.

The builder, the calibration and the backtest read prices the same way: China's market for
China, the ex-China market elsewhere, the world price as fallback, the year nearest the one
asked for.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# USD per t of material; the reference tables quote USD/kg.
KG_PER_T = 1000.0


def _matches(table: pd.DataFrame, column: str, value: str) -> np.ndarray:
    """Positions of the rows of `table` whose `column` is `value` (a missing cell matches
    nothing). Comparing one column and taking positions is what the builder does hundreds of
    times; filtering the whole frame each time cost most of a network's build."""
    return np.flatnonzero((table[column] == value).to_numpy(dtype=bool, na_value=False))


def first_existing(table: pd.DataFrame, keys: list[str], column: str = "key") -> pd.Series:
    """The first row of `table` whose `column` matches one of `keys`, in order of `keys`."""
    for key in keys:
        hit = _matches(table, column, key)
        if len(hit):
            return table.iloc[int(hit[0])]
    raise KeyError(f"none of {keys} found in column {column}")


def reference_price(prices: pd.DataFrame, material: str, region: str, year: int) -> float:
    """Reference price USD/t: China's market for CHN, ex-China elsewhere, world as fallback."""
    rows = _matches(prices, "material", material)
    if not len(rows):
        raise KeyError(f"no reference price for {material}")
    preferred = ["CHN", "world", "exCHN"] if region == "CHN" else ["exCHN", "world", "CHN"]
    # nearest year to the base year, then market preference (material, market and year are
    # the table's key, so at most one row matches)
    dist = np.abs(prices["year"].to_numpy(dtype=float)[rows] - year)
    nearest = prices.iloc[rows[dist == dist.min()]]
    return float(first_existing(nearest, preferred, column="market")["price"]) * KG_PER_T


def price_or_inf(prices: pd.DataFrame, material: str, year: int) -> float:
    """World reference price USD/t, or inf where the data give none (nothing to cap at)."""
    try:
        return reference_price(prices, material, "world", year)
    except KeyError:
        return float("inf")
