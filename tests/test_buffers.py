"""Working stocks, solved by hand on a two-region market.

A mines and ships to B (supply 10,000 + freight 5,000 USD/t, so B's price is 15,000 USD/t =
15 USD/kg); B uses 120 t/yr (10 t a month, one demand block at 50,000 USD/t) and holds a
working stock of 10 t: a month, four weeks and a bit, of its use. B expects to pay 15,000
USD/t; with a release premium of 10% it keeps its stock while the price is below 16,500.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from engine_fixtures import ONE_BLOCK, chain, two_region
from rareflow.network import (
    BUFFER_RELEASE_PREMIUM,
    CHINA_RESERVE_FLOOR,
    EXPECTED_PRICES,
    PRECAUTIONARY_STOCK_SHARE,
    Network,
)
from rareflow.optimize import Horizon, Levers, solve

HALF_YEAR = Horizon(start="2025-01", end="2025-06", step="month")
EXPECTED = 15_000.0  # USD/t
HOLD = 1_200.0  # USD/t/yr: 100 USD/t a month


def _market(target: float = 10.0, premium: float = 0.10) -> Network:
    net = two_region(supply_cap=240.0, quantity=120.0)
    net.stocks = pd.DataFrame(
        [
            {
                "region": "B",
                "material": "oxide:M",
                "initial": target,
                "capacity": 20.0,
                "holding_cost": HOLD,
                "target": target,
            }
        ]
    )
    prices = [{"node": "B|oxide:M", "year": 2025, "price": EXPECTED}]
    net.meta[EXPECTED_PRICES] = json.dumps(prices)
    net.meta[BUFFER_RELEASE_PREMIUM] = str(premium)
    return net


def _cut(
    share_left: float,
    start: str = "2025-04-01",
    end: str | None = None,
    announced: str | None = None,
) -> Levers:
    """Arc A -> B limited to `share_left` of B's monthly use (120 t/yr) from `start`."""
    row = {
        "origin": "A",
        "destination": "B",
        "material": "oxide:M",
        "start": start,
        "max_flow": share_left * 120.0,
    }
    if end is not None:
        row["end"] = end
    if announced is not None:
        row["announced"] = announced
    return Levers(arc_bounds=pd.DataFrame([row]))


def _run(levers: Levers, reuse_model: bool = True, **market: float) -> tuple[np.ndarray, ...]:
    result = solve(
        _market(**market),
        HALF_YEAR,
        levers,
        foresight="myopic",
        options=ONE_BLOCK,
        reuse_model=reuse_model,
    )
    level = result.flow("stock_level", "B", "oxide:M").to_numpy()
    unserved = result.shortfalls.groupby("period")["unserved"].sum()
    unserved = unserved.reindex(result.periods, fill_value=0.0).to_numpy()
    price = result.price("B", "oxide:M").to_numpy() * 1000.0  # USD/t
    return level, unserved, price


def test_a_calm_market_keeps_its_stock() -> None:
    level, unserved, price = _run(Levers())
    assert level == pytest.approx(np.full(6, 10.0))
    assert unserved == pytest.approx(np.zeros(6), abs=1e-6)
    assert price == pytest.approx(np.full(6, EXPECTED))


@pytest.mark.parametrize("reuse_model", [True, False])
def test_four_weeks_of_stock_cover_the_first_month_of_a_total_cut(reuse_model: bool) -> None:
    level, unserved, _ = _run(_cut(0.0), reuse_model=reuse_model)
    # January-March as before; April is served from the stock; from May nothing arrives
    assert level[:3] == pytest.approx([10.0] * 3)
    assert unserved[:4] == pytest.approx([0.0] * 4, abs=1e-6)
    assert level[3] == pytest.approx(0.0, abs=1e-6)
    assert unserved[4:] == pytest.approx([10.0, 10.0])


def test_without_a_stock_the_cut_is_a_shortage_at_once() -> None:
    _, unserved, _ = _run(_cut(0.0), target=0.0)
    assert unserved[3:] == pytest.approx([10.0, 10.0, 10.0])


def test_a_partial_cut_is_met_from_stock_at_the_release_price() -> None:
    # half the supply from April: 5 t a month short; the stock covers two months, and while
    # it lasts the price is capped where holding it stops paying: 15,000 x 1.1
    level, unserved, price = _run(_cut(0.5))
    assert level[3:5] == pytest.approx([5.0, 0.0], abs=1e-6)
    assert unserved[3:5] == pytest.approx([0.0, 0.0], abs=1e-6)
    assert price[3] == pytest.approx(EXPECTED * 1.1)
    assert unserved[5] == pytest.approx(5.0)


def test_the_stock_refills_when_supply_returns() -> None:
    level, unserved, price = _run(_cut(0.0, start="2025-03-01", end="2025-05-01"))
    # cut in March and April: the stock covers March; back in May, B buys its use and 10 t
    # more to refill, at the normal price
    assert level[2] == pytest.approx(0.0, abs=1e-6)
    assert unserved[3] == pytest.approx(10.0)
    assert level[4:] == pytest.approx([10.0, 10.0])
    assert unserved[4:] == pytest.approx([0.0, 0.0], abs=1e-6)
    assert price[4] == pytest.approx(EXPECTED)


# -- the state reserve: China's surplus bought at a floor instead of thrown away ----------


def _restricting_chain(room: float) -> Network:
    """engine_fixtures.chain: separation in A makes X (sold in B) and Y (sold in A); X in A
    costs 5,000 USD/t to make in calm months ((1,000 + 2,000) / 0.6, Y being in surplus),
    which is the price the plan expects there. A's reserve has `room` t for X."""
    net = chain()
    net.stocks = pd.DataFrame(
        [
            {
                "region": "A",
                "material": "oxide:X",
                "initial": 0.0,
                "capacity": room,
                "holding_cost": 120.0,
                "target": 0.0,
                "reserve": room,
            }
        ]
    )
    net.meta[EXPECTED_PRICES] = json.dumps([{"node": "A|oxide:X", "year": 2025, "price": 5e3}])
    net.meta[CHINA_RESERVE_FLOOR] = "0.9"
    return net


def _ban_x() -> Levers:
    row = {"origin": "A", "destination": "B", "material": "oxide:X", "start": "2025-04-01"}
    return Levers(arc_bounds=pd.DataFrame([{**row, "max_flow": 0.0}]))


def test_the_reserve_holds_the_price_inside_at_its_floor_while_it_has_room() -> None:
    result = solve(_restricting_chain(25.0), HALF_YEAR, _ban_x(), "myopic", options=ONE_BLOCK)
    inside = result.price("A", "oxide:X").to_numpy() * 1000.0
    level = result.flow("stock_level", "A", "oxide:X").to_numpy()
    # calm months: X at its cost, nothing bought
    assert inside[:3] == pytest.approx([5_000.0] * 3)
    assert level[:3] == pytest.approx([0.0] * 3, abs=1e-6)
    # the ban leaves 10 t a month of X in A (Y still needs 60 t/yr of separation): the
    # reserve buys it at 0.9 x 5,000 until its 25 t are full, then the surplus is disposed
    assert inside[3:5] == pytest.approx([4_500.0, 4_500.0])
    assert level[3:] == pytest.approx([10.0, 20.0, 25.0])
    assert inside[5] == pytest.approx(0.0, abs=1e-6)
    # outside, X is not to be had: all of B's demand goes unserved
    unserved_b = result.shortfalls[result.shortfalls["region"] == "B"]
    assert unserved_b.groupby("period")["unserved"].sum().to_numpy()[3:] == pytest.approx(
        [20.0] * 3
    )


def test_without_a_reserve_the_surplus_inside_is_worth_nothing() -> None:
    result = solve(_restricting_chain(0.0), HALF_YEAR, _ban_x(), "myopic", options=ONE_BLOCK)
    inside = result.price("A", "oxide:X").to_numpy() * 1000.0
    assert inside[3:] == pytest.approx([0.0] * 3, abs=1e-6)


def test_a_myopic_window_stretched_by_a_lead_time_decides_stocks_on_todays_market() -> None:
    # a two-month voyage makes each myopic solve look three months ahead; the reserve still
    # buys April's surplus in April, instead of waiting to buy the same tonnes in June (which
    # the window shows will also be in surplus) to save two months of holding
    net = _restricting_chain(25.0)
    net.arcs["lead_time_months"] = 2
    result = solve(net, HALF_YEAR, _ban_x(), "myopic", options=ONE_BLOCK)
    inside = result.price("A", "oxide:X").to_numpy() * 1000.0
    level = result.flow("stock_level", "A", "oxide:X").to_numpy()
    assert level[3:] == pytest.approx([10.0, 20.0, 25.0])
    # but the window also sees the reserve's room run out in June (30 t of surplus for 25 t):
    # room is scarce, so April's surplus is worth only the restocking yield of buying it
    # earlier (2 x 10 USD/t a month), not the floor; a one-month view holds the floor
    assert inside[3:5] == pytest.approx([20.0, 10.0])


# -- precautionary buying: an option, off by default -------------------------------------


@pytest.mark.parametrize("share, held, may_short", [(0.0, 10.0, 10.0), (0.5, 15.0, 5.0)])
def test_an_announced_cut_triggers_precautionary_buying_when_the_option_is_on(
    share: float, held: float, may_short: float
) -> None:
    net = _market()
    net.meta[PRECAUTIONARY_STOCK_SHARE] = str(share)
    cut = _cut(0.0, announced="2025-02-01")
    result = solve(net, HALF_YEAR, cut, foresight="myopic", options=ONE_BLOCK)
    level = result.flow("stock_level", "B", "oxide:M").to_numpy()
    unserved = result.shortfalls.groupby("period")["unserved"].sum().to_numpy()
    # January knows nothing; from February (the announcement) B holds its raised stock
    assert level[0] == pytest.approx(10.0)
    assert level[1:3] == pytest.approx([held, held])
    # April is served from the stock; what is left of it serves May
    assert unserved[3] == pytest.approx(0.0, abs=1e-6)
    assert unserved[4] == pytest.approx(may_short)
