"""The named consistency checks of `Network`, on tiny networks built by hand."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from rareflow.network import CHECKS, Network, NetworkError


def consistent() -> Network:
    """A mine in India feeding a separation plant whose Nd oxide China demands."""
    return Network(
        regions=pd.DataFrame(
            {"region": ["CHN", "IND"], "name": ["China", "India"], "kind": ["country"] * 2}
        ),
        materials=pd.DataFrame(
            {
                "material": ["concentrate:monazite", "oxide:Nd"],
                "form": ["concentrate", "oxide"],
                "element": ["", "Nd"],
                "tradable": [True, True],
            }
        ),
        supply=pd.DataFrame(
            {
                "step": ["mine:irel-oscom"],
                "region": ["IND"],
                "material": ["concentrate:monazite"],
                "cost": [500.0],
                "facility": ["irel-oscom"],
            }
        ),
        supply_capacity=pd.DataFrame(
            {"step": ["mine:irel-oscom"], "year": [2024], "capacity": [2900.0]}
        ),
        processes=pd.DataFrame(
            {"process": ["separation:monazite"], "stage": ["separation"], "cost": [5000.0]}
        ),
        process_coefficients=pd.DataFrame(
            {
                "process": ["separation:monazite"] * 2,
                "material": ["concentrate:monazite", "oxide:Nd"],
                "coefficient": [-1.0, 0.19],
            }
        ),
        facilities=pd.DataFrame(
            {
                "facility": ["irel-aluva"],
                "region": ["IND"],
                "process": ["separation:monazite"],
                "owner": ["IREL"],
            }
        ),
        facility_capacity=pd.DataFrame(
            {"facility": ["irel-aluva"], "year": [2024], "capacity": [3000.0]}
        ),
        arcs=pd.DataFrame(
            {
                "arc": ["IND>CHN:oxide:Nd"],
                "origin": ["IND"],
                "destination": ["CHN"],
                "material": ["oxide:Nd"],
                "cost": [100.0],
                "lead_time_months": [0.0],
            }
        ),
        demand=pd.DataFrame(
            {
                "region": ["CHN"],
                "sector": ["ev_traction"],
                "material": ["oxide:Nd"],
                "base_year": [2024],
                "quantity": [100.0],
                "ref_price": [56_000.0],
                "elasticity": [-0.3],
                "choke_price": [560_000.0],
            }
        ),
        agreements=pd.DataFrame(
            {
                "agreement": ["irel-toyotsu"],
                "seller_region": ["IND"],
                "buyer_region": ["CHN"],
                "material": ["oxide:Nd"],
                "start": [pd.Timestamp("2012-11-01")],
                "end": [pd.NaT],
                "volume_min": [0.0],
                "volume_max": [4100.0],
            }
        ),
    )


def with_row(net: Network, component: str, **row: object) -> Network:
    out = net.copy()
    table = out.component(component)
    setattr(out, component, pd.concat([table, pd.DataFrame([row])], ignore_index=True))
    return out


def _unknown_region_facility(net: Network) -> Network:
    return with_row(
        net, "facilities", facility="ghost", region="XXX", process="separation:monazite", owner="?"
    )


def _unknown_process_facility(net: Network) -> Network:
    return with_row(
        net, "facilities", facility="odd", region="IND", process="smelting:Nd", owner="?"
    )


def _process_input_not_made(net: Network) -> Network:
    out = with_row(
        net,
        "process_coefficients",
        process="separation:monazite",
        material="mixed:monazite",
        coefficient=-0.1,
    )
    return with_row(
        out, "materials", material="mixed:monazite", form="mixed", element="", tradable=True
    )


def _demand_without_supplier(net: Network) -> Network:
    out = with_row(net, "materials", material="metal:Dy", form="metal", element="Dy", tradable=True)
    row = net.demand.iloc[0].to_dict() | {"material": "metal:Dy", "sector": "wind"}
    return with_row(out, "demand", **row)


def _agreement_unknown_party(net: Network) -> Network:
    row = net.agreements.iloc[0].to_dict() | {"agreement": "x", "buyer_region": "ATL"}
    return with_row(net, "agreements", **row)


def _arc_unknown_endpoint(net: Network) -> Network:
    row = net.arcs.iloc[0].to_dict() | {"arc": "IND>ATL", "destination": "ATL"}
    return with_row(net, "arcs", **row)


def _unknown_material(net: Network) -> Network:
    row = net.supply.iloc[0].to_dict() | {"step": "mine:x", "material": "concentrate:unobtainium"}
    return with_row(net, "supply", **row)


def _non_numeric_cost(net: Network) -> Network:
    out = net.copy()
    out.arcs["cost"] = out.arcs["cost"].astype(object)
    out.arcs.loc[0, "cost"] = "cheap"
    return out


def _duplicate_arc(net: Network) -> Network:
    return with_row(net, "arcs", **net.arcs.iloc[0].to_dict())


def _negative_lead_time(net: Network) -> Network:
    out = net.copy()
    out.arcs.loc[0, "lead_time_months"] = -1.0
    return out


def _positive_elasticity(net: Network) -> Network:
    out = net.copy()
    out.demand.loc[0, "elasticity"] = 0.4
    return out


def _overfull_stock(net: Network) -> Network:
    return with_row(
        net,
        "stocks",
        region="IND",
        material="oxide:Nd",
        initial=10.0,
        capacity=5.0,
        holding_cost=1.0,
    )


def _agreement_within_a_region(net: Network) -> Network:
    out = net.copy()
    out.agreements.loc[0, "buyer_region"] = "IND"
    return out


BREAKERS: dict[str, tuple[Callable[[Network], Network], str]] = {
    "facility_unknown_region": (
        _unknown_region_facility,
        "facility ghost is in unknown region XXX",
    ),
    "facility_unknown_process": (_unknown_process_facility, "runs unknown process smelting:Nd"),
    "process_input_not_made": (
        _process_input_not_made,
        "process separation:monazite needs mixed:monazite, which nobody makes",
    ),
    "demand_without_supplier": (
        _demand_without_supplier,
        "demand for metal:Dy in CHN (wind) has no possible supplier",
    ),
    "agreement_unknown_party": (_agreement_unknown_party, "has unknown buyer_region ATL"),
    "arc_unknown_endpoint": (_arc_unknown_endpoint, "arc IND>ATL has an unknown region"),
    "unknown_material": (_unknown_material, "supply refers to unknown materials"),
    "non_numeric_value": (
        _non_numeric_cost,
        "arcs, row 0, column 'cost': expected a number, got 'cheap'",
    ),
    "duplicate_key": (_duplicate_arc, "arcs: duplicate arc 'IND>CHN:oxide:Nd'"),
    "arc_loop_or_lead_time": (_negative_lead_time, "lead_time_months must be >= 0"),
    "demand_value": (
        _positive_elasticity,
        "demand, row 0, column 'elasticity': expected an elasticity < 0, got 0.4",
    ),
    "stock_over_capacity": (_overfull_stock, "initial level above capacity at IND|oxide:Nd"),
    "agreement_route": (_agreement_within_a_region, "seller_region equals buyer_region"),
}


def test_every_check_has_a_test() -> None:
    assert set(BREAKERS) == set(CHECKS)


def test_consistent_network_has_no_issue() -> None:
    assert consistent().consistency() == []
    assert consistent().check(strict=True) == []


@pytest.mark.parametrize("name", sorted(BREAKERS))
def test_check_fires(name: str) -> None:
    breaker, message = BREAKERS[name]
    issues = breaker(consistent()).consistency()
    fired = [i for i in issues if i.check == name]
    assert fired, issues
    assert any(message in i.message for i in fired), fired


@pytest.mark.parametrize("name", sorted(BREAKERS))
def test_check_warns_or_raises(name: str) -> None:
    net = BREAKERS[name][0](consistent())
    with pytest.warns(UserWarning, match=rf"\[{name}\]"):
        net.check()
    with pytest.raises(NetworkError, match=rf"network is inconsistent: .*\[{name}\]"):
        net.check(strict=True)


def test_missing_component_columns_are_refused() -> None:
    with pytest.raises(NetworkError, match="component 'regions' lacks columns"):
        Network(regions=pd.DataFrame({"region": ["IND"]}))


def test_every_solve_runs_the_checks_first() -> None:
    """An error-level finding stops the solve with one line naming it; a warning-level one is
    kept in the result's summary and the solve goes on."""
    from rareflow.optimize import Horizon, solve

    year = Horizon(start="2025-01", end="2025-12", step="year")
    broken = consistent()
    broken.facilities["region"] = "XXX"
    with pytest.raises(NetworkError, match=r"cannot be solved: \[facility_unknown_region\]"):
        solve(broken, year)
    odd = consistent()
    extra = odd.demand.iloc[[0]].assign(material="oxide:Nd", region="IND", sector="nobody-makes")
    odd.supply = odd.supply.iloc[0:0]  # no mine: nothing makes what the plant needs
    odd.supply_capacity = odd.supply_capacity.iloc[0:0]
    odd.demand = pd.concat([odd.demand, extra], ignore_index=True)
    result = solve(odd, year)
    assert any(
        line.startswith("[process_input_not_made]") for line in result.summary["consistency"]
    )


def test_keys_and_numbers_checked_are_the_declared_ones() -> None:
    """The key and number checks read network.COMPONENTS: a duplicate material (a key the
    declaration gives) and a capacity that is not a number are found like an arc's."""
    dup = with_row(consistent(), "materials", **consistent().materials.iloc[0].to_dict())
    messages = [i.message for i in dup.consistency() if i.check == "duplicate_key"]
    assert any(m.startswith("materials: duplicate material") for m in messages), messages
    net = consistent()
    net.facility_capacity["capacity"] = net.facility_capacity["capacity"].astype(object)
    net.facility_capacity.loc[0, "capacity"] = "lots"
    messages = [i.message for i in net.consistency() if i.check == "non_numeric_value"]
    assert "facility_capacity, row 0, column 'capacity': expected a number, got 'lots'" in messages


def test_checks_before_a_solve_are_kept_by_the_tables_not_the_object() -> None:
    """An ensemble's samples check networks whose tables repeat: the findings are kept by the
    tables' hashes, so a changed table is checked again and an unchanged one is not."""
    from unittest import mock

    import rareflow.network as network_module

    first = consistent()
    assert first.check_before_solve() == []
    again = consistent()
    with mock.patch.object(Network, "consistency", side_effect=AssertionError("checked")):
        assert again.check_before_solve() == []  # same tables: the kept findings
    broken = consistent()
    broken.facilities["region"] = "XXX"
    with pytest.raises(NetworkError, match=r"\[facility_unknown_region\]"):
        broken.check_before_solve()
    with pytest.raises(NetworkError, match=r"\[facility_unknown_region\]"):
        broken.check_before_solve()  # a kept error still stops the solve
    assert len(network_module._FINDINGS) <= network_module._FINDINGS.size
