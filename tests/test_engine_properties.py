"""Hypothesis properties of the engine on random small networks."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine_fixtures import network
from rareflow.network import Network
from rareflow.optimize import Horizon, solve
from rareflow.results import Result

HORIZON = Horizon(start="2025-01", end="2025-06", step="quarter")
SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SOURCES = ("production", "process_output", "trade_in", "stock_release")
SINKS = ("consumption", "process_input", "trade_out", "stock_build", "disposal")

money = st.floats(1_000.0, 30_000.0)
amount = st.floats(0.0, 400.0)


@st.composite
def random_networks(draw: st.DrawFn) -> dict[str, Any]:
    """2-3 regions, a mine and a separation plant (co-products X and Y) per region,
    demand for X and Y, arcs for X between every pair, a stock of X in the first region."""
    n = draw(st.integers(2, 3))
    regions = [f"R{i}" for i in range(n)]
    supply, facilities, demand, arcs = [], [], [], []
    for r in regions:
        supply.append(
            {
                "step": f"mine-{r}",
                "region": r,
                "material": "concentrate:c",
                "cost": draw(money),
                "capacity": draw(amount),
            }
        )
        facilities.append(
            {"facility": f"sep-{r}", "region": r, "process": "sep", "capacity": draw(amount)}
        )
        for mat in ("oxide:X", "oxide:Y"):
            demand.append(
                {
                    "region": r,
                    "sector": "s",
                    "material": mat,
                    "quantity": draw(st.floats(1.0, 200.0)),
                    "ref_price": draw(st.floats(20_000.0, 80_000.0)),
                    "elasticity": draw(st.floats(-1.5, -0.2)),
                }
            )
    for o in regions:
        for d in regions:
            if o != d:
                arcs.append(
                    {
                        "arc": f"{o}-{d}",
                        "origin": o,
                        "destination": d,
                        "material": "oxide:X",
                        "cost": draw(money),
                        "lead_time_months": draw(st.sampled_from([0.0, 1.5, 3.0])),
                    }
                )
    return {
        "regions": regions,
        "materials": ["concentrate:c", "oxide:X", "oxide:Y"],
        "supply": supply,
        "processes": [{"process": "sep", "stage": "separation", "cost": draw(money)}],
        "coefficients": [
            {"process": "sep", "material": "concentrate:c", "coefficient": -1.0},
            {"process": "sep", "material": "oxide:X", "coefficient": 0.55},
            {"process": "sep", "material": "oxide:Y", "coefficient": 0.35},
        ],
        "facilities": facilities,
        "arcs": arcs,
        "demand": demand,
        "stocks": [
            {
                "region": "R0",
                "material": "oxide:X",
                "initial": draw(amount),
                "capacity": 500.0,
                "holding_cost": draw(money),
            }
        ],
    }


def build(spec: dict[str, Any]) -> Network:
    return network(**spec)


def _by(result: Result, kind: str) -> pd.Series:
    f = result.flows[result.flows["kind"] == kind]
    return f.groupby(["region", "material", "period"])["value"].sum()


@SETTINGS
@given(random_networks())
def test_mass_is_conserved_and_solves_are_deterministic(spec: dict[str, Any]) -> None:
    r = solve(build(spec), HORIZON)
    kinds = {k: _by(r, k) for k in SOURCES + SINKS}
    index = pd.concat(list(kinds.values())).index.unique()
    sources = sum(kinds[k].reindex(index, fill_value=0.0) for k in SOURCES)
    sinks = sum(kinds[k].reindex(index, fill_value=0.0) for k in SINKS)
    scale = max(1.0, float(r.flows["value"].abs().max()))
    residual = np.abs(sources - sinks)
    assert residual.empty or float(residual.max()) <= 1e-6 * scale
    # every tonne shipped arrived or is still in transit
    shipped = r.trade["value"].sum()
    arrived = r.flows.loc[r.flows["kind"] == "trade_in", "value"].sum()
    assert shipped == pytest.approx(arrived + r.in_transit["value"].sum(), abs=1e-6 * scale)
    again = solve(build(spec), HORIZON)
    for name in ("flows", "trade", "prices", "shortfalls", "welfare"):
        pd.testing.assert_frame_equal(r.table(name), again.table(name), check_exact=True)


@SETTINGS
@given(random_networks(), st.integers(0, 2), st.floats(1.0, 500.0))
def test_more_capacity_never_lowers_welfare(spec: dict[str, Any], which: int, extra: float) -> None:
    base = solve(build(spec), HORIZON)
    bigger = {**spec, "supply": [dict(s) for s in spec["supply"]]}
    step = bigger["supply"][which % len(bigger["supply"])]
    step["capacity"] += extra
    more = solve(build(bigger), HORIZON)
    assert more.total_welfare >= base.total_welfare - 1e-7 * max(1.0, abs(base.total_welfare))


@SETTINGS
@given(random_networks(), st.randoms(use_true_random=False))
def test_relabelling_regions_changes_nothing(spec: dict[str, Any], rnd: Any) -> None:
    names = spec["regions"]
    shuffled = list(names)
    rnd.shuffle(shuffled)
    new = {o: f"Z{n}" for o, n in zip(names, shuffled, strict=True)}

    def rename(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for row in rows:
            row = dict(row)
            for key in ("region", "origin", "destination"):
                if key in row:
                    row[key] = new[row[key]]
            out.append(row)
        return out

    relabelled = {**spec, "regions": [new[r] for r in reversed(names)]}
    for key in ("supply", "facilities", "arcs", "demand", "stocks"):
        relabelled[key] = rename(spec[key])
    a = solve(build(spec), HORIZON)
    b = solve(build(relabelled), HORIZON)
    tol = 1e-7 * max(1.0, abs(a.total_welfare))
    assert b.total_welfare == pytest.approx(a.total_welfare, abs=tol)
    cons_a = _by(a, "consumption").groupby(level=[0, 1]).sum()
    cons_b = _by(b, "consumption").groupby(level=[0, 1]).sum()
    cons_a.index = cons_a.index.set_levels([new[r] for r in cons_a.index.levels[0]], level=0)
    joined = pd.concat([cons_a, cons_b], axis=1).fillna(0.0)
    assert np.allclose(joined.iloc[:, 0], joined.iloc[:, 1], rtol=1e-6, atol=1e-6)


@SETTINGS
@given(random_networks(), st.sampled_from([0.5, 2.0, 10.0]))
def test_scaling_demand_and_capacity_scales_flows(spec: dict[str, Any], k: float) -> None:
    scaled = {**spec}
    scaled["supply"] = [{**s, "capacity": s["capacity"] * k} for s in spec["supply"]]
    scaled["facilities"] = [{**f, "capacity": f["capacity"] * k} for f in spec["facilities"]]
    scaled["demand"] = [{**d, "quantity": d["quantity"] * k} for d in spec["demand"]]
    scaled["stocks"] = [
        {**s, "initial": s["initial"] * k, "capacity": s["capacity"] * k} for s in spec["stocks"]
    ]
    a = solve(build(spec), HORIZON)
    b = solve(build(scaled), HORIZON)
    tol = 1e-7 * max(1.0, abs(a.total_welfare)) * k
    assert b.total_welfare == pytest.approx(k * a.total_welfare, abs=tol)
    for kind in ("consumption", "production", "process_output", "unserved"):
        x = _by(a, kind) * k
        y = _by(b, kind)
        joined = pd.concat([x, y], axis=1).fillna(0.0)
        scale = max(1.0, float(joined.abs().max().max()))
        assert np.allclose(joined.iloc[:, 0], joined.iloc[:, 1], atol=1e-6 * scale)
