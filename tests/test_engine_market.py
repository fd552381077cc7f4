"""Hand-solved markets, demand blocks and a cross-check against scipy's linprog."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog
from scipy.sparse import csr_array

from engine_fixtures import ONE_BLOCK, chain, network, two_region, two_way
from rareflow.network import Network, NetworkError
from rareflow.optimize import Horizon, Levers, SolveError, SolveOptions, solve
from rareflow.optimize.inputs import build_inputs
from rareflow.optimize.model import build_model

YEAR = Horizon(start="2025-01", end="2025-12", step="year")


def test_two_region_market_with_spare_supply() -> None:
    """Supply in A (10,000 USD/t, 100 t/yr) serves 60 t in B (WTP 50,000) over a 5,000 arc.

    Supply is not binding, so A's price is the mining cost (10 USD/kg) and B's is that plus
    transport (15 USD/kg); all 60 t flow.
    """
    r = solve(two_region(), YEAR, options=ONE_BLOCK)
    assert r.flow("production", "A").iloc[0] == pytest.approx(60.0)
    assert r.arc_flow("A-B").iloc[0] == pytest.approx(60.0)
    assert r.flow("consumption", "B").iloc[0] == pytest.approx(60.0)
    assert r.price("A", "oxide:M").iloc[0] == pytest.approx(10.0)
    assert r.price("B", "oxide:M").iloc[0] == pytest.approx(15.0)
    assert r.unserved() == pytest.approx(0.0)
    assert r.total_welfare == pytest.approx(60 * (50_000 - 10_000 - 5_000))


def test_two_region_market_with_scarce_supply() -> None:
    """With 40 t/yr of supply the WTP sets B's price (50 USD/kg) and A's is 50 - 5."""
    r = solve(two_region(supply_cap=40.0), YEAR, options=ONE_BLOCK)
    assert r.flow("consumption", "B").iloc[0] == pytest.approx(40.0)
    assert r.price("B", "oxide:M").iloc[0] == pytest.approx(50.0)
    assert r.price("A", "oxide:M").iloc[0] == pytest.approx(45.0)
    row = r.shortfalls.iloc[0]
    assert row["unserved"] == pytest.approx(20.0)
    assert row["share"] == pytest.approx(1 / 3)
    assert r.flow("unserved", "B").iloc[0] == pytest.approx(20.0)


def test_monthly_step_splits_yearly_rates() -> None:
    r = solve(
        two_region(), Horizon(start="2025-01", end="2025-06", step="month"), options=ONE_BLOCK
    )
    assert len(r.periods) == 6
    assert np.allclose(r.arc_flow("A-B").to_numpy(), 5.0)
    assert np.allclose(r.price("B", "oxide:M").to_numpy(), 15.0)


def test_three_stage_chain_with_co_product_disposal() -> None:
    """Mine -> separation (0.6 X + 0.3 Y) -> demand, solved by hand.

    240 t of X need 400 t of separation, which makes 120 t of Y; only 60 t of Y sell, so 60 t
    are disposed and Y's price is 0. Then 0.6 p_X(A) = 1,000 + 2,000 -> p_X(A) = 5 USD/kg,
    p_X(B) = 6 USD/kg, concentrate 1 USD/kg.
    """
    r = solve(chain(), YEAR, options=ONE_BLOCK)
    assert r.flow("production", "A", "concentrate:c").iloc[0] == pytest.approx(400.0)
    assert r.flow("process_input", "A", "concentrate:c").iloc[0] == pytest.approx(400.0)
    assert r.flow("process_output", "A", "oxide:X").iloc[0] == pytest.approx(240.0)
    assert r.flow("process_output", "A", "oxide:Y").iloc[0] == pytest.approx(120.0)
    assert r.flow("disposal", "A", "oxide:Y").iloc[0] == pytest.approx(60.0)
    assert r.flow("consumption", "B", "oxide:X").iloc[0] == pytest.approx(240.0)
    assert r.price("A", "concentrate:c").iloc[0] == pytest.approx(1.0)
    assert r.price("A", "oxide:X").iloc[0] == pytest.approx(5.0)
    assert r.price("B", "oxide:X").iloc[0] == pytest.approx(6.0)
    assert r.price("A", "oxide:Y").iloc[0] == pytest.approx(0.0)
    expected = 240 * 50_000 + 60 * 10_000 - 400 * 1_000 - 400 * 2_000 - 240 * 1_000
    assert r.total_welfare == pytest.approx(expected)


def _single_market(capacity: float, elasticity: float, choke: float | None = None) -> Network:
    return network(
        regions=["A"],
        materials=["oxide:M"],
        supply=[
            {"step": "s", "region": "A", "material": "oxide:M", "cost": 0.0, "capacity": capacity}
        ],
        demand=[
            {
                "region": "A",
                "sector": "s",
                "material": "oxide:M",
                "quantity": 1_000.0,
                "ref_price": 10_000.0,
                "elasticity": elasticity,
                "choke_price": choke,
            }
        ],
    )


@pytest.mark.parametrize("elasticity", [-0.5, -0.3, -1.2])
def test_forty_percent_cut_shows_the_elasticity_price_multiple(elasticity: float) -> None:
    """Cutting supply 40% multiplies the price by 0.6^(1/e).

    Capacity sits just below the breakpoint, so the marginal block is partly served and the
    price is unique: at q0 it is p0, at 0.6 q0 it is p0 * 0.6^(1/e).
    """
    base = solve(_single_market(999.0, elasticity), YEAR)
    cut = solve(_single_market(599.0, elasticity), YEAR)
    p_base = base.price("A", "oxide:M").iloc[0]
    p_cut = cut.price("A", "oxide:M").iloc[0]
    assert p_base == pytest.approx(10.0)
    assert p_cut / p_base == pytest.approx(0.6 ** (1 / elasticity))
    assert cut.shortfalls["unserved"].sum() == pytest.approx(401.0)


def test_choke_price_caps_willingness_to_pay() -> None:
    cut = solve(_single_market(599.0, -0.5, choke=20_000.0), YEAR)
    assert cut.price("A", "oxide:M").iloc[0] == pytest.approx(20.0)


def test_shortage_is_demand_wanted_at_the_going_price_not_demand_given_up() -> None:
    """A 40% cut with no choke binding: all of the unserved demand is given up because of
    price, none is a shortage. With a choke of 2x the price stops there, and what buyers
    still want at the choke price but cannot get is a physical shortage."""
    priced = solve(_single_market(599.0, -0.5), YEAR).shortfalls
    assert priced["unserved"].sum() == pytest.approx(401.0)
    assert priced["shortage"].sum() == pytest.approx(0.0, abs=1e-6)
    choked = solve(_single_market(599.0, -0.5, choke=20_000.0), YEAR).shortfalls
    # at 2x the reference price an elasticity of -0.5 wants 1000 * 2^-0.5 = 707 t; the
    # blocks are coarse, so the top block is every block whose WTP was capped at the choke
    assert choked["unserved"].sum() == pytest.approx(401.0)
    assert 0.0 < choked["shortage"].sum() <= 401.0 + 1e-6
    wanted_at_choke = 1000.0 * 0.7  # blocks up to 0.7 q0 have WTP >= 2x at e = -0.5
    assert choked["shortage"].sum() == pytest.approx(wanted_at_choke - 599.0)


def test_demand_growth_scales_reference_quantity() -> None:
    net = two_region(supply_cap=1_000.0)
    net.demand_growth = pd.DataFrame(
        [{"region": "B", "sector": "s", "material": "oxide:M", "year": 2026, "index": 1.5}]
    )
    r = solve(net, Horizon(start="2025-01", end="2027-12", step="year"), options=ONE_BLOCK)
    # before the first growth row: the first row's index; after: carried forward
    assert np.allclose(r.flow("consumption", "B").to_numpy(), [90.0, 90.0, 90.0])


def test_lead_time_spreads_arrivals_and_keeps_accounting_exact() -> None:
    """A 1.5-month lead time: half a shipment arrives one month later, half two months later."""
    net = two_region(lead_time_months=1.5)
    r = solve(net, Horizon(start="2025-01", end="2025-06", step="month"), options=ONE_BLOCK)
    sent = r.arc_flow("A-B").to_numpy()
    arrived = r.flow("trade_in", "B").to_numpy()
    expected = np.zeros(6)
    expected[1:] += 0.5 * sent[:-1]
    expected[2:] += 0.5 * sent[:-2]
    assert np.allclose(arrived, expected)
    assert sent.sum() == pytest.approx(arrived.sum() + r.in_transit["value"].sum())
    assert arrived[0] == 0.0
    assert sent.sum() > 0


def test_bad_elasticity_is_a_clear_error() -> None:
    net = two_region()
    net.demand.loc[0, "elasticity"] = 0.4
    with pytest.raises(NetworkError, match=r"demand, row 0, column 'elasticity'"):
        solve(net, YEAR)


def test_small_lp_matches_scipy_linprog() -> None:
    """The LP linopy hands to HiGHS, re-solved by scipy from its matrices, agrees."""
    net = two_way(years=(2025,))
    net.stocks = pd.DataFrame(
        [
            {
                "region": "B",
                "material": "oxide:M",
                "initial": 5.0,
                "capacity": 50.0,
                "holding_cost": 800.0,
            }
        ]
    )
    net.arcs["lead_time_months"] = 3.0
    horizon = Horizon(start="2025-01", end="2025-12", step="quarter")
    inp = build_inputs(net, horizon, Levers(), SolveOptions())
    m = build_model(inp)
    mat = m.matrices
    a = csr_array(mat.A)
    sense = np.asarray(mat.sense)
    b = np.asarray(mat.b, dtype=float)
    upper = sense == "<"
    lower = sense == ">"
    equal = sense == "="
    a_ub = csr_array(np.vstack([a[upper].toarray(), -a[lower].toarray()]))
    b_ub = np.concatenate([b[upper], -b[lower]])
    bounds = list(zip(mat.lb, np.where(np.isinf(mat.ub), None, mat.ub), strict=True))
    ref = linprog(
        mat.c,
        A_ub=a_ub if a_ub.shape[0] else None,
        b_ub=b_ub if a_ub.shape[0] else None,
        A_eq=a[equal],
        b_eq=b[equal],
        bounds=bounds,
        method="highs",
    )
    assert ref.status == 0
    r = solve(net, horizon)
    assert r.objective == pytest.approx(ref.fun, rel=1e-9, abs=1e-6)
    m.solve(solver_name="highs", io_api="direct", output_flag=False)
    ours = np.concatenate([m.variables[name].solution.to_numpy().ravel() for name in m.variables])
    labels = np.concatenate([m.variables[name].labels.to_numpy().ravel() for name in m.variables])
    order = np.argsort(labels)
    ours = ours[order][np.isin(np.sort(labels), mat.vlabels)]
    assert np.allclose(ours, ref.x, atol=1e-6)


def test_discounting_keeps_prices_in_current_money() -> None:
    """Duals of a discounted objective are divided back by the discount factor."""
    horizon = Horizon(start="2025-01", end="2027-12", step="year")
    plain = solve(two_region(), horizon, options=ONE_BLOCK)
    discounted = solve(
        two_region(), horizon, options=SolveOptions(demand_breakpoints=(1.0,), discount_rate=0.08)
    )
    assert np.allclose(discounted.price("B", "oxide:M").to_numpy(), 15.0)
    per_year = 60 * (50_000 - 15_000)
    assert plain.total_welfare == pytest.approx(3 * per_year)
    factors = 1.08 ** -np.array([0.0, 365 / 365.25, 730 / 365.25])
    assert discounted.total_welfare == pytest.approx(per_year * factors.sum())


def test_unbounded_problem_is_a_clear_solver_error() -> None:
    """A supply step paid to produce without limit has no optimum: the error says so."""
    net = two_region(supply_cap=float("inf"), supply_cost=-1.0)
    with pytest.raises(SolveError, match="HiGHS did not find an optimal solution"):
        solve(net, YEAR, options=ONE_BLOCK)
