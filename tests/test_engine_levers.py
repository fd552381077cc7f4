"""Levers: bans, quotas, taxes, licences, agreements, capacity changes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine_fixtures import ONE_BLOCK, network, quota_from_a, two_way
from rareflow.network import Network, NetworkError
from rareflow.optimize import Horizon, LeverError, Levers, solve

YEAR = Horizon(start="2025-01", end="2025-12", step="year")
MONTHS = Horizon(start="2025-01", end="2025-06", step="month")


def test_ban_zeroes_the_arc_and_opens_a_price_gap() -> None:
    base = solve(two_way(), YEAR, options=ONE_BLOCK)
    assert base.arc_flow("A-B").iloc[0] == pytest.approx(60.0)
    gap = base.price("B", "oxide:M").iloc[0] - base.price("A", "oxide:M").iloc[0]
    assert gap == pytest.approx(5.0)  # the transport cost

    ban = Levers(
        arc_bounds=pd.DataFrame(
            [{"origin": "A", "destination": "*", "material": "oxide:*", "max_flow": 0.0}]
        )
    )
    r = solve(two_way(), YEAR, levers=ban, options=ONE_BLOCK)
    assert r.arc_flow("A-B").iloc[0] == pytest.approx(0.0)
    # B now pays its own mining cost: 40 USD/kg against 10 in A
    assert r.price("B", "oxide:M").iloc[0] == pytest.approx(40.0)
    assert r.price("A", "oxide:M").iloc[0] == pytest.approx(10.0)


def test_bound_applies_only_in_its_period_range() -> None:
    cap = Levers(
        arc_bounds=pd.DataFrame(
            [
                {
                    "origin": "A",
                    "destination": "B",
                    "material": "*",
                    "start": "2025-03-01",
                    "end": "2025-05-01",
                    "max_flow": 12.0,
                }
            ]
        )
    )
    r = solve(two_way(), MONTHS, levers=cap, options=ONE_BLOCK)
    # 12 t/yr = 1 t/month in March and April, the normal 5 t/month otherwise
    assert np.allclose(r.arc_flow("A-B").to_numpy(), [5, 5, 1, 1, 5, 5])


def test_quota_caps_the_group_total_over_its_range() -> None:
    quota = quota_from_a(20.0, "2025-07-01")
    r = solve(
        two_way(),
        Horizon(start="2025-01", end="2025-12", step="quarter"),
        levers=quota,
        options=ONE_BLOCK,
    )
    flow = r.arc_flow("A-B").to_numpy()
    assert flow[:2].sum() == pytest.approx(20.0)
    assert np.allclose(flow[2:], 15.0)


def test_quota_is_carried_across_myopic_solves() -> None:
    quota = quota_from_a(20.0, "2025-07-01", destination="B")
    r = solve(
        two_way(),
        Horizon(start="2025-01", end="2025-12", step="quarter"),
        levers=quota,
        foresight="myopic",
        options=ONE_BLOCK,
    )
    flow = r.arc_flow("A-B").to_numpy()
    assert flow[:2].sum() == pytest.approx(20.0)
    assert flow[0] == pytest.approx(15.0)


@pytest.mark.parametrize(
    ("tax", "wedge"),
    [({"usd_per_t": 3_000.0}, 8.0), ({"ad_valorem": 0.1, "ref_price": 20_000.0}, 7.0)],
)
def test_tax_shows_up_as_a_price_wedge(tax: dict[str, float], wedge: float) -> None:
    levers = Levers(
        taxes=pd.DataFrame([{"origin": "A", "destination": "B", "material": "oxide:M", **tax}])
    )
    r = solve(two_way(), YEAR, levers=levers, options=ONE_BLOCK)
    assert r.arc_flow("A-B").iloc[0] == pytest.approx(60.0)
    gap = r.price("B", "oxide:M").iloc[0] - r.price("A", "oxide:M").iloc[0]
    assert gap == pytest.approx(wedge)  # transport 5 + tax
    taxes = r.welfare[r.welfare["component"] == "taxes"]["value"].sum()
    assert taxes == pytest.approx(60.0 * (wedge - 5.0) * 1000.0)


def test_licence_queue_approves_a_share_of_what_is_pending_after_processing() -> None:
    base = solve(two_way(), MONTHS, options=ONE_BLOCK)
    licence = Levers(
        licences=pd.DataFrame(
            [
                {
                    "origin": "A",
                    "destination": "B",
                    "material": "oxide:M",
                    "start": "2025-03-01",
                    "approval_share": 0.4,
                    "delay_days": 365.25 / 12,
                }
            ]
        )
    )
    r = solve(two_way(), MONTHS, levers=licence, options=ONE_BLOCK)
    normal = base.arc_flow("A-B").to_numpy()
    sent = r.arc_flow("A-B").to_numpy()
    arrived = r.flow("trade_in", "B").to_numpy()
    assert np.allclose(normal, 5.0)
    # applications of 5 t a month from March; 40% of what is pending is approved and leaves a
    # month later: March 2 t (leaves in April), April 0.4 x (3 + 5) = 3.2, May 0.4 x (4.8 + 5)
    assert sent == pytest.approx([5.0, 5.0, 0.0, 2.0, 3.2, 3.92])
    # export statistics record the departure; the route takes no time, so arrivals match
    assert arrived == pytest.approx(sent)
    # B covers the gap from its own mine at 40 USD/kg
    assert r.price("B", "oxide:M").iloc[2] == pytest.approx(40.0)


def _contracted(arc_cost: float = 35_000.0) -> Network:
    net = two_way()
    net.arcs["cost"] = arc_cost  # trade is uneconomic: 10 + 35 > 40 USD/kg
    net.agreements = pd.DataFrame(
        [
            {
                "agreement": "a-b",
                "seller_region": "A",
                "buyer_region": "B",
                "material": "oxide:M",
                "start": "2024-01-01",
                "end": None,
                "volume_min": 36.0,
                "volume_max": 36.0,
            }
        ]
    )
    return net


def test_agreement_forces_the_contracted_flow() -> None:
    r = solve(_contracted(), MONTHS, options=ONE_BLOCK)
    assert np.allclose(r.arc_flow("A-B").to_numpy(), 3.0)
    assert r.summary["agreement_shortfall_t"] == pytest.approx(0.0)


def test_agreement_suspension_takes_effect_after_notice() -> None:
    suspend = Levers(
        agreement_suspensions=pd.DataFrame(
            [{"agreement": "a-b", "start": "2025-03-01", "notice_days": 61, "share": 1.0}]
        )
    )
    r = solve(_contracted(), MONTHS, levers=suspend, options=ONE_BLOCK)
    # notice ends on 1 May: January-April keep the contract, May and June trade nothing
    assert np.allclose(r.arc_flow("A-B").to_numpy(), [3, 3, 3, 3, 0, 0])


def test_partial_suspension_shrinks_the_contract() -> None:
    suspend = Levers(
        agreement_suspensions=pd.DataFrame(
            [{"agreement": "a-b", "start": "2025-01-01", "notice_days": 0, "share": 0.5}]
        )
    )
    r = solve(_contracted(), MONTHS, levers=suspend, options=ONE_BLOCK)
    assert np.allclose(r.arc_flow("A-B").to_numpy(), 1.5)


def test_agreement_within_one_region_is_an_error() -> None:
    net = _contracted()
    net.agreements.loc[0, "buyer_region"] = "A"
    with pytest.raises(NetworkError, match="seller_region equals buyer_region"):
        solve(net, MONTHS)


def test_agreement_without_an_arc_is_an_error() -> None:
    net = _contracted()
    net.agreements.loc[0, "seller_region"] = "B"
    net.agreements.loc[0, "buyer_region"] = "A"
    with pytest.raises(NetworkError, match="no arc B -> A"):
        solve(net, MONTHS)


def test_capacity_override_and_outage() -> None:
    net = network(
        regions=["A"],
        materials=["oxide:M"],
        supply=[
            {
                "step": "mine",
                "region": "A",
                "material": "oxide:M",
                "cost": 0.0,
                "capacity": 120.0,
                "facility": "big-mine",
            }
        ],
        demand=[
            {
                "region": "A",
                "sector": "s",
                "material": "oxide:M",
                "quantity": 1_000.0,
                "ref_price": 10_000.0,
            }
        ],
    )
    levers = Levers(
        capacity=pd.DataFrame([{"facility": "big-mine", "start": "2025-03-01", "capacity": 240.0}]),
        outages=pd.DataFrame(
            [
                {
                    "region": "A",
                    "stage": "supply",
                    "start": "2025-05-01",
                    "end": "2025-06-01",
                    "factor": 0.25,
                }
            ]
        ),
    )
    r = solve(net, MONTHS, levers=levers, options=ONE_BLOCK)
    assert np.allclose(r.flow("production", "A").to_numpy(), [10, 10, 20, 20, 5, 20])


def test_bad_lever_value_is_a_clear_error() -> None:
    with pytest.raises(LeverError, match=r"'licences', row 0, column 'approval_share'"):
        Levers(
            licences=pd.DataFrame(
                [{"origin": "A", "destination": "B", "material": "*", "approval_share": 1.4}]
            )
        )


def test_share_of_normal_flow_bound() -> None:
    half = Levers(
        arc_bounds=pd.DataFrame(
            [
                {
                    "origin": "A",
                    "destination": "B",
                    "material": "*",
                    "start": "2025-04-01",
                    "max_share": 0.5,
                }
            ]
        )
    )
    r = solve(two_way(), MONTHS, levers=half, options=ONE_BLOCK)
    assert np.allclose(r.arc_flow("A-B").to_numpy(), [5, 5, 5, 2.5, 2.5, 2.5])
    assert r.summary["solves"] == 1  # the reference solve is not counted in the result


def test_ban_overrides_an_agreement_without_a_breach_penalty() -> None:
    ban = Levers(
        arc_bounds=pd.DataFrame(
            [
                {
                    "origin": "A",
                    "destination": "B",
                    "material": "*",
                    "start": "2025-04-01",
                    "max_flow": 0.0,
                }
            ]
        )
    )
    r = solve(_contracted(), MONTHS, levers=ban, options=ONE_BLOCK)
    assert np.allclose(r.arc_flow("A-B").to_numpy(), [3, 3, 3, 0, 0, 0])
    assert r.summary["agreement_shortfall_t"] == pytest.approx(0.0)


def test_undeliverable_contract_is_reported_as_shortfall() -> None:
    net = _contracted()
    net.supply_capacity.loc[net.supply_capacity["step"] == "a-mine", "capacity"] = 24.0
    net.demand = net.demand[net.demand["region"] == "B"].reset_index(drop=True)
    r = solve(net, MONTHS, options=ONE_BLOCK)
    # A can mine 2 t a month but owes 3: 1 t a month is missing
    assert np.allclose(r.arc_flow("A-B").to_numpy(), 2.0)
    assert r.summary["agreement_shortfall_t"] == pytest.approx(6.0)


def test_an_empty_lever_table_is_checked_once_and_handed_out_as_a_copy() -> None:
    """An empty table with the spec's columns takes the kept checked empty table (a scenario
    makes several per sample): the same frame parsing makes, and a copy each time."""
    from rareflow.optimize.levers import LEVER_TABLES, _normalise, _parse

    for name, spec in LEVER_TABLES.items():
        empty = pd.DataFrame([], columns=list(spec.names))
        pd.testing.assert_frame_equal(_normalise(name, empty), _parse(name, empty))
    first = Levers().arc_bounds
    first["origin"] = first["origin"].astype(str)
    first.loc[0] = ["CHN", "*", "*", None, None, None, 1.0, None]  # a caller's edit stays its own
    assert len(Levers().arc_bounds) == 0
    assert str(Levers().arc_bounds["announced"].dtype).startswith("datetime64")
