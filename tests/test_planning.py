"""Plan, then operate: the annual planning LP builds what pays for itself, after its lead time,
and the market then clears on what was built."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from engine_fixtures import ONE_BLOCK, network
from rareflow.cache import PlanStore
from rareflow.network import Network
from rareflow.optimize import Horizon, solve
from rareflow.planning import annuity_factor, candidates, plan, planned_network

YEARS = (2025, 2026, 2027, 2028, 2029)


def _market(mine_capacity: float = 1_000.0, plant_capacity: float = 100.0) -> Network:
    """A mine and a separation plant in A; 240 t/yr of oxide:X wanted at 50,000 USD/t needs
    400 t/yr of separation (0.6 t X per t), and the plant has only `plant_capacity`."""
    net = network(
        regions=["A"],
        materials=["concentrate:c", "oxide:X"],
        supply=[
            {
                "step": "mine",
                "region": "A",
                "material": "concentrate:c",
                "cost": 1_000.0,
                "capacity": mine_capacity,
            }
        ],
        processes=[{"process": "sep", "stage": "separation", "cost": 2_000.0}],
        coefficients=[
            {"process": "sep", "material": "concentrate:c", "coefficient": -1.0},
            {"process": "sep", "material": "oxide:X", "coefficient": 0.6},
        ],
        facilities=[
            {"facility": "sep-a", "region": "A", "process": "sep", "capacity": plant_capacity}
        ],
        demand=[
            {
                "region": "A",
                "sector": "s",
                "material": "oxide:X",
                "quantity": 240.0,
                "ref_price": 50_000.0,
            }
        ],
        years=YEARS,
    )
    net.meta["base_year"] = "2024"
    return net


def _options(capex: float, lead: int = 2, stage: str = "separation") -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "stage": stage,
                "region": "*",
                "capex": capex,
                "lead_years": lead,
                "life_years": 20,
                "discount_rate": 0.10,
            }
        ]
    )


def test_annuity_factor_is_the_capital_recovery_factor() -> None:
    assert annuity_factor(0.10, 20) == pytest.approx(0.117460, abs=1e-6)
    assert annuity_factor(0.0, 20) == pytest.approx(0.05)


def test_plan_builds_the_missing_capacity_after_its_lead_time() -> None:
    net = _market()
    cands = candidates(net, _options(capex=10_000.0), 2025)
    assert list(cands["candidate"]) == ["plan:A:sep"] and int(cands["first_year"].iloc[0]) == 2027
    built, _ = plan(net, cands, 2025, 2029, ONE_BLOCK)
    by_year = built.set_index("year")["capacity"]
    # 400 t/yr of separation serve the 240 t of X; 100 stand, so 300 are built, from 2027 on
    assert list(by_year.index) == [2027, 2028, 2029]
    assert by_year.to_numpy() == pytest.approx([300.0, 300.0, 300.0], rel=1e-6)
    assert built["added"].tolist() == pytest.approx([300.0, 0.0, 0.0], abs=1e-6)
    # the incentive price: with the plant built X sells at its long-run marginal cost, mining
    # and separation plus the annuity, per t of X: (1,000 + 2,000 + 10,000 x 0.11746) / 0.6
    lrmc = (1_000.0 + 2_000.0 + 10_000.0 * annuity_factor(0.10, 20)) / 0.6 / 1_000.0
    assert built["incentive_price"].iloc[0] == pytest.approx(lrmc, rel=1e-6)


def test_plan_builds_nothing_that_does_not_pay_for_itself() -> None:
    net = _market()
    # annuity 1e6 x 0.1175 = 117,460 USD per t/yr a year, against at most 0.6 x 50,000 -
    # 3,000 = 27,000 USD of surplus per t of separation
    cands = candidates(net, _options(capex=1.0e6), 2025)
    assert plan(net, cands, 2025, 2029, ONE_BLOCK)[0].empty


def test_plan_expands_mines_outside_china_the_same_way() -> None:
    net = _market(mine_capacity=150.0, plant_capacity=1_000.0)
    cands = candidates(net, _options(capex=20_000.0, lead=1, stage="mining"), 2025)
    assert list(cands["kind"]) == ["step"]
    built = plan(net, cands, 2025, 2029, ONE_BLOCK)[0].set_index("year")["capacity"]
    assert list(built.index) == [2026, 2027, 2028, 2029]
    assert built.to_numpy() == pytest.approx([250.0] * 4, rel=1e-6)


def test_china_mines_and_separation_are_not_candidates() -> None:
    net = _market()
    for table in (net.supply, net.facilities):
        table["region"] = "CHN"
    net.regions["region"] = "CHN"
    assert candidates(net, _options(capex=10.0), 2025).empty
    assert candidates(net, _options(capex=10.0, stage="mining"), 2025).empty


def test_the_market_clears_on_the_planned_capacity_and_the_plan_is_cached(
    tmp_path: Path,
) -> None:
    net = _market()
    tables = {"expansion_options": _options(capex=10_000.0)}
    store = PlanStore(tmp_path)
    first = planned_network(net, tables, 2025, 2029, store=store, options=ONE_BLOCK)
    assert float(first.meta["planning_s"]) > 0.0
    cap = first.facility_capacity[first.facility_capacity["facility"] == "plan:A:sep"]
    assert sorted(cap["year"]) == [2027, 2028, 2029]
    result = solve(
        first,
        Horizon(start="2025-01", end="2029-12", step="year"),
        foresight="myopic",
        options=ONE_BLOCK,
    )
    unserved = result.shortfalls.groupby(result.shortfalls["period"].astype(str))["unserved"].sum()
    assert unserved["2025"] == pytest.approx(180.0)  # 100 t/yr of plant make 60 of 240 t
    assert unserved[["2027", "2028", "2029"]].to_numpy() == pytest.approx([0.0] * 3, abs=1e-6)
    # what was built, where, when and at which incentive price is part of the result
    assert set(result.investments["year"]) == {2027, 2028, 2029}
    again = planned_network(net, tables, 2025, 2029, store=PlanStore(tmp_path), options=ONE_BLOCK)
    assert again.meta["planning_s"] == "0.000"
    assert again.meta["investment_plan"] == first.meta["investment_plan"]


def test_an_empty_plan_keeps_its_columns_on_disk(tmp_path: Path) -> None:
    # a network whose plan builds nothing: read back from disk by a second process, the table
    # must still have its columns (it had none, and planned_network failed on 'candidate')
    empty = pd.DataFrame(columns=["candidate", "year", "capacity"])
    PlanStore(tmp_path).put("k", empty)
    again = PlanStore(tmp_path).get("k")
    assert again is not None and again.empty
    assert list(again.columns) == ["candidate", "year", "capacity"]
