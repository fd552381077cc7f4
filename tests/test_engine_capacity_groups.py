"""Alternative recipes of one plant share its capacity (capacity groups)."""

from __future__ import annotations

import pandas as pd
import pytest

from rareflow.network import Network
from rareflow.optimize import Horizon, solve


def _plant(groups: list[str]) -> Network:
    """Two recipes (x -> z, y -> z) at one plant of 50 t/yr each; demand for 200 t of z."""
    return Network(
        regions=pd.DataFrame({"region": ["A"], "name": ["A"], "kind": ["country"]}),
        materials=pd.DataFrame(
            {
                "material": ["x", "y", "z"],
                "form": ["oxide"] * 3,
                "element": [""] * 3,
                "tradable": [True] * 3,
            }
        ),
        supply=pd.DataFrame(
            {
                "step": ["sx", "sy"],
                "region": ["A", "A"],
                "material": ["x", "y"],
                "cost": [1000.0, 3000.0],
                "facility": ["", ""],
            }
        ),
        supply_capacity=pd.DataFrame(
            {"step": ["sx", "sy"], "year": [2025, 2025], "capacity": [30.0, 100.0]}
        ),
        processes=pd.DataFrame(
            {"process": ["px", "py"], "stage": ["alloying"] * 2, "cost": [0.0, 0.0]}
        ),
        process_coefficients=pd.DataFrame(
            {
                "process": ["px", "px", "py", "py"],
                "material": ["x", "z", "y", "z"],
                "coefficient": [-1.0, 1.0, -1.0, 1.0],
            }
        ),
        facilities=pd.DataFrame(
            {
                "facility": ["f", "f~y"],
                "region": ["A", "A"],
                "process": ["px", "py"],
                "owner": ["o", "o"],
                "capacity_group": groups,
            }
        ),
        facility_capacity=pd.DataFrame(
            {"facility": ["f", "f~y"], "year": [2025, 2025], "capacity": [50.0, 50.0]}
        ),
        demand=pd.DataFrame(
            {
                "region": ["A"],
                "sector": ["s"],
                "material": ["z"],
                "base_year": [2025],
                "quantity": [200.0],
                "ref_price": [100_000.0],
                "elasticity": [-0.5],
                "choke_price": [None],
            }
        ),
    )


def test_recipes_of_one_plant_share_its_capacity() -> None:
    result = solve(_plant(["f", "f"]), Horizon(start="2025-01", end="2025-12", step="year"))
    made = result.flow("process_output", "A", "z").sum()
    # 30 t through the cheap recipe (all x there is), the other 20 t of the shared 50 via y
    assert made == pytest.approx(50.0)
    assert result.flow("process_input", "A", "x").sum() == pytest.approx(30.0)
    assert result.flow("process_input", "A", "y").sum() == pytest.approx(20.0)


def test_without_a_group_each_recipe_has_its_own_capacity() -> None:
    result = solve(_plant(["", ""]), Horizon(start="2025-01", end="2025-12", step="year"))
    assert result.flow("process_output", "A", "z").sum() == pytest.approx(80.0)
