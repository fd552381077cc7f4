"""Perfect foresight, myopic and rolling-window solves around a known future shock."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine_fixtures import ONE_BLOCK, two_region, two_way
from rareflow.network import Network
from rareflow.optimize import Horizon, Levers, solve

QUARTERS = Horizon(start="2025-01", end="2025-12", step="quarter")
# A's mine is out in the second half of the year: a shock the perfect-foresight market sees
SHOCK = Levers(outages=pd.DataFrame([{"facility": "a-mine", "start": "2025-07-01", "factor": 0.0}]))


def _with_stock() -> Network:
    net = two_way()
    net.stocks = pd.DataFrame(
        [
            {
                "region": "B",
                "material": "oxide:M",
                "initial": 0.0,
                "capacity": None,
                "holding_cost": 1_000.0,
            }
        ]
    )
    return net


def test_perfect_foresight_stockpiles_before_a_known_shock() -> None:
    r = solve(_with_stock(), QUARTERS, levers=SHOCK, options=ONE_BLOCK)
    level = r.flow("stock_level", "B").to_numpy()
    # B needs 15 t a quarter; importing early (10 + 5 + holding) beats its own 40 USD/kg mine
    assert level[1] == pytest.approx(30.0)
    assert level[2] == pytest.approx(15.0)
    assert level[3] == pytest.approx(0.0)
    assert r.flow("production", "B").sum() == pytest.approx(0.0)


def test_myopic_market_is_surprised_by_the_shock() -> None:
    r = solve(_with_stock(), QUARTERS, levers=SHOCK, foresight="myopic", options=ONE_BLOCK)
    assert np.allclose(r.flow("stock_level", "B").to_numpy(), 0.0)
    assert np.allclose(r.flow("production", "B").to_numpy(), [0, 0, 15, 15])
    assert np.allclose(r.price("B", "oxide:M").to_numpy(), [15, 15, 40, 40])
    assert r.summary["solves"] == 4


def test_window_sees_one_period_ahead() -> None:
    perfect = solve(_with_stock(), QUARTERS, levers=SHOCK, options=ONE_BLOCK)
    myopic = solve(_with_stock(), QUARTERS, levers=SHOCK, foresight="myopic", options=ONE_BLOCK)
    window = solve(
        _with_stock(), QUARTERS, levers=SHOCK, foresight="window", window=2, options=ONE_BLOCK
    )
    # in Q2 the window (Q2, Q3) sees the Q3 outage and stocks for Q3 only
    assert np.allclose(window.flow("stock_level", "B").to_numpy(), [0, 15, 0, 0])
    assert perfect.total_welfare > window.total_welfare > myopic.total_welfare


def test_window_as_long_as_the_horizon_equals_perfect_foresight() -> None:
    perfect = solve(_with_stock(), QUARTERS, levers=SHOCK, options=ONE_BLOCK)
    window = solve(
        _with_stock(), QUARTERS, levers=SHOCK, foresight="window", window=4, options=ONE_BLOCK
    )
    assert window.total_welfare == pytest.approx(perfect.total_welfare)


def test_myopic_keeps_shipping_on_routes_with_a_lead_time() -> None:
    """Rolling windows reach the arrival of what they ship; in-transit goods are carried."""
    net = two_way()
    net.arcs["lead_time_months"] = 3.0
    months = Horizon(start="2025-01", end="2025-06", step="month")
    r = solve(net, months, foresight="myopic", options=ONE_BLOCK)
    assert r.summary["window_periods"] == 4
    sent = r.arc_flow("A-B").to_numpy()
    arrived = r.flow("trade_in", "B").to_numpy()
    assert np.allclose(arrived[3:], sent[:3])
    assert np.allclose(arrived[3:], 5.0)
    assert sent.sum() == pytest.approx(arrived.sum() + r.in_transit["value"].sum())


def test_progress_is_reported_for_every_solve() -> None:
    calls: list[tuple[int, int, str]] = []
    solve(
        two_way(),
        QUARTERS,
        foresight="myopic",
        options=ONE_BLOCK,
        progress=lambda done, total, label: calls.append((done, total, label)),
    )
    assert [c[:2] for c in calls] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert calls[0][2] == "solve 2025Q1"


def test_unknown_foresight_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="foresight 'clairvoyant'"):
        solve(two_way(), QUARTERS, foresight="clairvoyant")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="window >= 1"):
        solve(two_way(), QUARTERS, foresight="window")


def test_summary_says_what_the_model_knew() -> None:
    """Perfect foresight says so; a myopic run says it rolls, also when one window (one yearly
    period here) covers the horizon, where it must not read as perfect foresight."""
    net = two_region()
    knew = {
        name: solve(net, horizon, foresight=mode, options=ONE_BLOCK).summary["information"]
        for name, horizon, mode in (
            ("perfect", Horizon(start="2025-01", end="2025-03", step="month"), "perfect"),
            ("myopic", Horizon(start="2025-01", end="2025-03", step="month"), "myopic"),
            ("one window", Horizon(start="2025-01", end="2025-12", step="year"), "myopic"),
        )
    }
    assert knew["perfect"].startswith("perfect foresight")
    assert knew["myopic"].startswith("rolling (myopic): each period knows only")
    assert knew["one window"].startswith("myopic, with one window over the whole horizon (1 ")
