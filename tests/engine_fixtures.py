"""Small hand-built Networks for the engine tests (units: t/yr, USD/t)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from rareflow.network import COMPONENTS, Network
from rareflow.optimize import Levers, SolveOptions

# one demand block at the reference price: a demand row is then "q0 tonnes at WTP p0",
# which is what the hand-solved markets need
ONE_BLOCK = SolveOptions(demand_breakpoints=(1.0,))


def table(name: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    cols = COMPONENTS[name].names
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    return pd.DataFrame(rows, columns=list(cols))


def network(
    regions: list[str],
    materials: list[str],
    supply: list[dict[str, Any]] | None = None,
    processes: list[dict[str, Any]] | None = None,
    coefficients: list[dict[str, Any]] | None = None,
    facilities: list[dict[str, Any]] | None = None,
    arcs: list[dict[str, Any]] | None = None,
    demand: list[dict[str, Any]] | None = None,
    growth: list[dict[str, Any]] | None = None,
    stocks: list[dict[str, Any]] | None = None,
    agreements: list[dict[str, Any]] | None = None,
    years: tuple[int, ...] = (2025,),
) -> Network:
    """A Network from short row lists.

    supply rows: step, region, material, cost, capacity (t/yr, same every year of `years`).
    facility rows: facility, region, process, capacity.
    """
    supply = supply or []
    facilities = facilities or []
    return Network(
        regions=table("regions", [{"region": r, "name": r, "kind": "country"} for r in regions]),
        materials=table(
            "materials",
            [
                {"material": m, "form": m.split(":")[0], "element": "", "tradable": True}
                for m in materials
            ],
        ),
        supply=table("supply", [{**s, "facility": s.get("facility", "")} for s in supply]),
        supply_capacity=table(
            "supply_capacity",
            [
                {"step": s["step"], "year": y, "capacity": s["capacity"]}
                for s in supply
                for y in years
            ],
        ),
        processes=table("processes", processes or []),
        process_coefficients=table("process_coefficients", coefficients or []),
        facilities=table("facilities", [{**f, "owner": f.get("owner", "x")} for f in facilities]),
        facility_capacity=table(
            "facility_capacity",
            [
                {"facility": f["facility"], "year": y, "capacity": f["capacity"]}
                for f in facilities
                for y in years
            ],
        ),
        arcs=table(
            "arcs",
            [{"lead_time_months": 0, **a} for a in (arcs or [])],
        ),
        demand=table(
            "demand",
            [
                {"base_year": years[0], "choke_price": None, "elasticity": -0.5, **d}
                for d in (demand or [])
            ],
        ),
        demand_growth=table("demand_growth", growth or []),
        stocks=table("stocks", stocks or []),
        agreements=table("agreements", agreements or []),
        meta={"built_by": "tests/engine_fixtures.py"},
    )


def two_region(
    supply_cap: float = 100.0,
    supply_cost: float = 10_000.0,
    arc_cost: float = 5_000.0,
    wtp: float = 50_000.0,
    quantity: float = 60.0,
    lead_time_months: float = 0.0,
) -> Network:
    """Mine in A, consumers in B, one arc A -> B of material m."""
    return network(
        regions=["A", "B"],
        materials=["oxide:M"],
        supply=[
            {
                "step": "a-mine",
                "region": "A",
                "material": "oxide:M",
                "cost": supply_cost,
                "capacity": supply_cap,
            }
        ],
        arcs=[
            {
                "arc": "A-B",
                "origin": "A",
                "destination": "B",
                "material": "oxide:M",
                "cost": arc_cost,
                "lead_time_months": lead_time_months,
            }
        ],
        demand=[
            {
                "region": "B",
                "sector": "s",
                "material": "oxide:M",
                "quantity": quantity,
                "ref_price": wtp,
            }
        ],
    )


def chain() -> Network:
    """Mine -> separation (two co-products, 10% loss) -> demand; Y is in surplus.

    Mine in A: concentrate at 1,000 USD/t, 1,000 t/yr. Separation in A: 1 t concentrate ->
    0.6 t oxide:X + 0.3 t oxide:Y at 2,000 USD/t, 500 t/yr. X sells in B (240 t at WTP
    50,000) over an arc costing 1,000 USD/t; Y sells in A (60 t at WTP 10,000).
    """
    return network(
        regions=["A", "B"],
        materials=["concentrate:c", "oxide:X", "oxide:Y"],
        supply=[
            {
                "step": "mine",
                "region": "A",
                "material": "concentrate:c",
                "cost": 1_000.0,
                "capacity": 1_000.0,
            }
        ],
        processes=[{"process": "sep", "stage": "separation", "cost": 2_000.0}],
        coefficients=[
            {"process": "sep", "material": "concentrate:c", "coefficient": -1.0},
            {"process": "sep", "material": "oxide:X", "coefficient": 0.6},
            {"process": "sep", "material": "oxide:Y", "coefficient": 0.3},
        ],
        facilities=[{"facility": "sep-a", "region": "A", "process": "sep", "capacity": 500.0}],
        arcs=[
            {
                "arc": "X-AB",
                "origin": "A",
                "destination": "B",
                "material": "oxide:X",
                "cost": 1_000.0,
            }
        ],
        demand=[
            {
                "region": "B",
                "sector": "s",
                "material": "oxide:X",
                "quantity": 240.0,
                "ref_price": 50_000.0,
            },
            {
                "region": "A",
                "sector": "s",
                "material": "oxide:Y",
                "quantity": 60.0,
                "ref_price": 10_000.0,
            },
        ],
    )


def two_way(years: tuple[int, ...] = (2025,)) -> Network:
    """A cheap producer A and an expensive producer B, both with consumers; arc A -> B.

    A: supply 10,000 USD/t up to 1,000 t/yr; demand 100 t at 50,000.
    B: supply 40,000 USD/t up to 1,000 t/yr; demand 60 t at 50,000.
    With a 5,000 USD/t arc, B imports all its 60 t from A: price A 10, B 15 USD/kg.
    """
    return network(
        regions=["A", "B"],
        materials=["oxide:M"],
        supply=[
            {
                "step": "a-mine",
                "region": "A",
                "material": "oxide:M",
                "cost": 10_000.0,
                "capacity": 1_000.0,
            },
            {
                "step": "b-mine",
                "region": "B",
                "material": "oxide:M",
                "cost": 40_000.0,
                "capacity": 1_000.0,
            },
        ],
        arcs=[
            {
                "arc": "A-B",
                "origin": "A",
                "destination": "B",
                "material": "oxide:M",
                "cost": 5_000.0,
            }
        ],
        demand=[
            {
                "region": "A",
                "sector": "s",
                "material": "oxide:M",
                "quantity": 100.0,
                "ref_price": 50_000.0,
            },
            {
                "region": "B",
                "sector": "s",
                "material": "oxide:M",
                "quantity": 60.0,
                "ref_price": 50_000.0,
            },
        ],
        years=years,
    )


def quota_from_a(total: float, end: str, destination: str = "*") -> Levers:
    """A quota of `total` t on everything region A ships from 2025-01 to `end`."""
    return Levers(
        quotas=pd.DataFrame(
            [
                {
                    "quota": "q",
                    "origin": "A",
                    "destination": destination,
                    "material": "*",
                    "start": "2025-01-01",
                    "end": end,
                    "total": total,
                }
            ]
        )
    )
