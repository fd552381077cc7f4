"""Valued stocks: how much each holder keeps and what a tonne of it is worth to them.

Two tranches of a node's stock carry a value at the end of a solve's last period
(constraints.add_buffers), each up to its size:

- `working`: the working stock of buyers and plants (stocks column `target`), worth the price
  the holder expects for the period (the planning stage's price path, meta EXPECTED_PRICES)
  raised by the release premium (policy_rules.csv): a myopic market keeps it while the spot
  price is near what was expected, draws it down when a shock lifts the price above the
  expectation by more than the premium, and refills it when the price is back;
- `reserve`: a state reserve's room (stocks column `reserve`, China's oxides), worth the
  expected price times the reserve's floor share: the reserve buys surplus when the price
  falls below that floor, instead of the surplus being thrown away, and sells it back when
  the price is above the floor again.

Without an expected price a stock has no value to hold it at: both tranches are 0 there.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from rareflow.network import (
    BUFFER_RELEASE_PREMIUM,
    CHINA_RESERVE_FLOOR,
    EXPECTED_PRICES,
    PRECAUTIONARY_STOCK_SHARE,
    Network,
)

TRANCHES = ("working", "reserve")


def expected_prices(network: Network) -> pd.DataFrame:
    """The expected price path as a table node x year (USD/t); empty without a plan."""
    text = network.meta.get(EXPECTED_PRICES, "")
    rows = json.loads(text) if text else []
    if not rows:
        return pd.DataFrame()
    frame = pd.DataFrame(rows)
    return frame.pivot_table(index="node", columns="year", values="price", aggfunc="first")


def _column(stocks: pd.DataFrame, name: str) -> np.ndarray:
    if name not in stocks:
        return np.zeros(len(stocks))
    return stocks[name].fillna(0.0).to_numpy(dtype=float)


def valued_stocks(
    network: Network, stocks: pd.DataFrame, periods: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """(size [stock node, tranche] t, value [stock node, tranche, period] USD/t) for the
    stocks table of optimize.inputs (indexed by node) over `periods` (columns year, length).

    A value includes the holding cost of the period, so that a tranche is kept exactly while
    the spot price is below expectation x its share."""
    n, years = len(stocks), periods["year"].to_numpy(dtype=int)
    size = np.stack([_column(stocks, "target"), _column(stocks, "reserve")], axis=1)
    expected = expected_prices(network)
    if expected.empty or n == 0:
        return np.zeros((n, len(TRANCHES))), np.zeros((n, len(TRANCHES), len(years)))
    planned = expected.columns.astype(int)
    span = sorted(set(planned) | set(years.tolist()))
    # years before the plan's first (the base year's own solve) take its first year's price
    # for working stocks; the reserve does not buy there: the base year is the observed
    # market, whatever the reserve bought in it included
    path = expected.reindex(columns=span).ffill(axis=1).bfill(axis=1)
    price = path.reindex(index=list(stocks.index))[list(years)].to_numpy(dtype=float)
    known = np.isfinite(price).all(axis=1) & (price > 0).all(axis=1)
    size = np.where(known[:, None], size, 0.0)
    reserve_on = (years >= int(planned.min())).astype(float)
    share = np.stack(
        [
            np.full(len(years), 1.0 + float(network.meta.get(BUFFER_RELEASE_PREMIUM, 0.0))),
            float(network.meta.get(CHINA_RESERVE_FLOOR, 0.0)) * reserve_on,
        ]
    )  # [tranche, period]
    hold = stocks["holding_cost"].to_numpy(dtype=float)[:, None, None]
    length = periods["length"].to_numpy(dtype=float)[None, None, :]
    value = price[:, None, :] * share[None, :, :] + hold * length * (share[None, :, :] > 0)
    return size, np.where(known[:, None, None] & (size[:, :, None] > 0), value, 0.0)


def with_precaution(
    network: Network,
    size: np.ndarray,
    ahead: np.ndarray,
    arcs: pd.DataFrame,
    stock_nodes: pd.Index,
) -> np.ndarray:
    """size [stock node, tranche, period]: `size` [node, tranche] in every period, the working
    stock raised by the precautionary share (policy_rules.csv, 0 = off) where a restriction on
    an arc into the node is announced and not yet in force (`ahead` [row, arc, period])."""
    n_per = ahead.shape[2]
    out = np.repeat(size[:, :, None], n_per, axis=2)
    share = float(network.meta.get(PRECAUTIONARY_STOCK_SHARE, 0.0))
    if share <= 0 or ahead.size == 0:
        return out
    arc_ahead = np.asarray(ahead.any(axis=0), dtype=bool)  # [arc, period]
    node_of_arc = pd.Index(stock_nodes).get_indexer(arcs["dnode"])
    for arc in np.flatnonzero(arc_ahead.any(axis=1) & (node_of_arc >= 0)):
        node = node_of_arc[arc]
        out[node, 0, :] = np.where(arc_ahead[arc], size[node, 0] * (1.0 + share), out[node, 0, :])
    return out
