"""Licence regimes as queues (optimize.licences), solved by hand.

two_way: A exports to B 5 t a month (60 t/yr) at 10 + 5 USD/kg; B's own mine costs 40. B
holds a working stock of 10 t, valued at the 15 USD/kg it expects (+10%), so after a cut it
buys back what it drew. The route A -> B takes a month.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from engine_fixtures import ONE_BLOCK, two_way
from rareflow.network import BUFFER_RELEASE_PREMIUM, EXPECTED_PRICES, Network
from rareflow.optimize import Horizon, Levers, solve
from rareflow.optimize.licences import licence_queue

MONTHS = Horizon(start="2025-01", end="2025-06", step="month")


def _market() -> Network:
    net = two_way()
    net.arcs["lead_time_months"] = 1
    net.stocks = pd.DataFrame(
        [
            {
                "region": "B",
                "material": "oxide:M",
                "initial": 10.0,
                "capacity": 20.0,
                "holding_cost": 120.0,
                "target": 10.0,
            }
        ]
    )
    net.meta[EXPECTED_PRICES] = json.dumps([{"node": "B|oxide:M", "year": 2025, "price": 15e3}])
    net.meta[BUFFER_RELEASE_PREMIUM] = "0.1"
    return net


def _licence(rows: list[tuple[str, str | None, float]], delay_days: float = 0.0) -> Levers:
    table = [
        {
            "origin": "A",
            "destination": "B",
            "material": "oxide:M",
            "start": start,
            "end": end,
            "approval_share": share,
            "delay_days": delay_days,
        }
        for start, end, share in rows
    ]
    return Levers(licences=pd.DataFrame(table))


def test_a_queue_at_0_2_then_1_0_cuts_exports_then_clears_its_backlog() -> None:
    levers = _licence([("2025-03-01", "2025-05-01", 0.2), ("2025-05-01", None, 1.0)])
    result = solve(_market(), MONTHS, levers, foresight="myopic", options=ONE_BLOCK)
    sent = result.arc_flow("A-B").to_numpy()
    arrived = result.flow("trade_in", "B").to_numpy()
    # March: 0.2 x the 5 t applied for; April: 0.2 x (4 t waiting + 5 t) = 1.8
    assert sent[2:4] == pytest.approx([1.0, 1.8])
    # May: the whole backlog (7.2 t) and May's 5 t are approved; B ships above normal to
    # restock what it drew while exports were cut
    assert sent[4] > 5.0 + 1.0
    assert sent[4:].sum() > 10.0 + 1.0
    # arrivals follow the month in transit
    assert arrived[1:] == pytest.approx(sent[:-1])
    # the result's licence table: the queue month by month, and what left
    queue = result.licences.set_index("period")
    assert queue["backlog"].to_numpy() == pytest.approx([4.0, 7.2, 0.0, 0.0])
    # (June's applications are June's normal flow: nothing, as a June shipment would arrive
    # after the horizon)
    assert queue["approved"].to_numpy()[:3] == pytest.approx([1.0, 1.8, 12.2])
    assert queue["departed"].to_numpy() == pytest.approx(sent[2:])


def test_the_queue_arithmetic() -> None:
    # one arc, four months, regime from month 1 at share 0.5, 30 days of processing (about a
    # month: 0.986 periods, released over the next period and, a little, the one after)
    in_force = np.array([[[False, True, True, True]]])
    table = pd.DataFrame(
        [{"start": "2025-02-01", "approval_share": 0.5, "delay_days": 0.0, "normal_flow": np.nan}]
    )
    length = np.full(4, 1 / 12)
    queue = licence_queue(table, in_force, np.full((1, 4), 120.0), length, 1)
    assert queue.applied[0] == pytest.approx([0.0, 10.0, 10.0, 10.0])
    assert queue.approved[0] == pytest.approx([0.0, 5.0, 7.5, 8.75])
    assert queue.backlog[0] == pytest.approx([0.0, 5.0, 7.5, 8.75])
    assert queue.cap[0] == pytest.approx([np.inf, 5.0, 7.5, 8.75])
    delayed = licence_queue(
        table.assign(delay_days=365.25 / 12), in_force, np.full((1, 4), 120.0), length, 1
    )
    # approvals leave a month later; the regime's first month ships nothing
    assert delayed.cap[0] == pytest.approx([np.inf, 0.0, 5.0, 7.5])


def test_nothing_changes_before_the_regime_starts() -> None:
    levers = _licence([("2025-04-01", None, 0.2)], delay_days=2 * 365.25 / 12)
    base = solve(_market(), MONTHS, foresight="myopic", options=ONE_BLOCK)
    result = solve(_market(), MONTHS, levers, foresight="myopic", options=ONE_BLOCK)
    assert result.arc_flow("A-B").to_numpy()[:3] == pytest.approx(base.arc_flow("A-B")[:3])
    # two months of processing: April and May ship nothing licensed
    assert result.arc_flow("A-B").to_numpy()[3:5] == pytest.approx([0.0, 0.0], abs=1e-9)


def test_the_share_is_monthly_whatever_the_step() -> None:
    # a quarter approves what three months at 25% a month would: 1 - 0.75^3 of the pending
    in_force = np.array([[[True, True]]])
    table = pd.DataFrame(
        [{"start": "2025-01-01", "approval_share": 0.25, "delay_days": 0.0, "normal_flow": 40.0}]
    )
    queue = licence_queue(table, in_force, np.full((1, 2), np.nan), np.full(2, 0.25), 3)
    assert queue.applied[0] == pytest.approx([10.0, 10.0])
    assert queue.approved[0, 0] == pytest.approx(10.0 * (1 - 0.75**3))
