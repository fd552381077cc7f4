"""Sectors differ in what they will pay before substituting (sectors.csv choke_multiple), so
a deep shortage falls on the uses with substitutes first."""

from __future__ import annotations

import pytest

from rareflow.data.loader import load_reference
from rareflow.network_builder import build_network


def test_choke_price_is_the_sector_multiple_of_the_reference_price() -> None:
    ref = load_reference()
    net = build_network(ref, last_year=2030)
    multiple = ref["sectors"].set_index("sector")["choke_multiple"].astype(float)
    ratio = net.demand["choke_price"] / net.demand["ref_price"]
    expected = net.demand["sector"].map(multiple)
    assert ratio.to_numpy() == pytest.approx(expected.to_numpy())
    # the argued ordering: defence pays most, industrial motors (induction motors) least
    by_sector = ratio.groupby(net.demand["sector"]).first()
    assert by_sector["defence"] > by_sector["ev_traction"] > by_sector["industrial_motors"]


def test_a_sector_without_a_multiple_uses_the_builder_default() -> None:
    ref = dict(load_reference())
    sectors = ref["sectors"].copy()
    sectors.loc[sectors["sector"] == "wind", "choke_multiple"] = None
    ref["sectors"] = sectors
    net = build_network(ref, last_year=2030)
    wind = net.demand[net.demand["sector"] == "wind"]
    assert (wind["choke_price"] / wind["ref_price"]).to_numpy() == pytest.approx(10.0)
