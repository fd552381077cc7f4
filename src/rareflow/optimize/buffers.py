"""Working stocks: how much each holder keeps and what a tonne of it is worth to them.

A holder (a buyer or maker of a material in a region) keeps a working stock `target` t and
values it at the price it expects for the period (the planning stage's price path, meta
EXPECTED_PRICES) raised by the release premium (policy_rules.csv). In the LP the stock left at
the end of a solve's last period is worth that value up to the target (constraints.add_buffers):
a myopic market then keeps its buffers while the spot price is near what was expected, draws
them down when a shock lifts the price above the expectation by more than the premium, and
refills them when the price is back. Without an expected price a stock has no value to hold
it at, and its target is 0.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from rareflow.network import BUFFER_RELEASE_PREMIUM, EXPECTED_PRICES, Network


def expected_prices(network: Network) -> pd.DataFrame:
    """The expected price path as a table node x year (USD/t); empty without a plan."""
    text = network.meta.get(EXPECTED_PRICES, "")
    rows = json.loads(text) if text else []
    if not rows:
        return pd.DataFrame()
    frame = pd.DataFrame(rows)
    return frame.pivot_table(index="node", columns="year", values="price", aggfunc="first")


def working_stocks(
    network: Network, stocks: pd.DataFrame, periods: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """(target [stock node] t, value [stock node, period] USD/t) for the stocks table of
    optimize.inputs (indexed by node) over `periods` (columns year, length).

    The value includes the holding cost of the period, so that a stock is kept exactly while
    the spot price is below expectation x (1 + premium)."""
    n, years = len(stocks), periods["year"].to_numpy(dtype=int)
    target = (
        stocks["target"].fillna(0.0).to_numpy(dtype=float) if "target" in stocks else np.zeros(n)
    )
    expected = expected_prices(network)
    if expected.empty or n == 0:
        return np.zeros(n), np.zeros((n, len(years)))
    span = sorted(set(expected.columns.astype(int)) | set(years.tolist()))
    # years outside the plan's (the base year's solve) take the nearest planned year's price
    path = expected.reindex(columns=span).ffill(axis=1).bfill(axis=1)
    price = path.reindex(index=list(stocks.index))[list(years)].to_numpy(dtype=float)
    known = np.isfinite(price).all(axis=1) & (price > 0).all(axis=1)
    target = np.where(known, target, 0.0)
    premium = float(network.meta.get(BUFFER_RELEASE_PREMIUM, 0.0))
    hold = stocks["holding_cost"].to_numpy(dtype=float)[:, None]
    length = periods["length"].to_numpy(dtype=float)[None, :]
    value = np.where(known[:, None], price * (1.0 + premium) + hold * length, 0.0)
    return target, value
