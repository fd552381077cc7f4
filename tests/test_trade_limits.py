"""Routes closed by law or by an integrated chain are data (trade_limits.csv): an undated
row leaves no arc, a dated one closes the arc from its date in every scenario."""

from __future__ import annotations

import pandas as pd
import pytest

from rareflow.data.loader import load_reference
from rareflow.network_builder import build_network
from rareflow.network_trade import (
    FREIGHT,
    closed_routes,
    freight_rule,
    route_freight,
    trade_arcs,
)
from rareflow.scenario import load_scenario
from rareflow.scenario.apply import apply, dated_closures


def test_undated_limits_leave_no_arc() -> None:
    net = build_network(load_reference(), last_year=2030)
    arcs = net.arcs
    # Lynas's chain: Australian mixed carbonate goes to Malaysia and nowhere else
    aus_mixed = arcs[(arcs["origin"] == "AUS") & (arcs["material"] == "mixed:monazite")]
    assert set(aus_mixed["destination"]) == {"MYS"}
    # India imports no concentrate or mixed compounds (Atomic Energy Act), exports no
    # concentrate and ships no oxide to China
    feed = arcs["material"].str.match("concentrate|mixed")
    into_india = arcs[(arcs["destination"] == "IND") & feed]
    assert into_india.empty
    from_india = arcs[arcs["origin"] == "IND"]
    assert from_india[from_india["material"].str.startswith("concentrate:")].empty
    to_china = from_india[from_india["destination"] == "CHN"]
    assert not to_china["material"].str.startswith("oxide:").any()
    # other routes are untouched: China still takes Australian concentrate
    assert len(arcs[(arcs["origin"] == "AUS") & (arcs["destination"] == "CHN")]) > 0


def test_a_plant_added_later_gets_no_closed_route() -> None:
    net = build_network(load_reference(), last_year=2030)
    again = trade_arcs(net)
    assert set(again["arc"]) == set(net.arcs["arc"])


def test_dated_limits_close_the_route_from_their_date_in_every_scenario() -> None:
    ref = load_reference()
    rows = pd.DataFrame(closed_routes(ref["trade_limits"]))
    dated = rows[rows["start"] != ""]
    assert ("USA", "CHN") in set(zip(dated["origin"], dated["destination"], strict=True))
    net = build_network(ref, last_year=2030)
    bounds = dated_closures(net)
    assert bounds and all(b["max_flow"] == 0.0 for b in bounds)
    applied = apply(load_scenario("baseline"), net)
    table = applied.levers.arc_bounds
    mp = table[(table["origin"] == "USA") & (table["destination"] == "CHN")]
    assert len(mp) == 1 and pd.Timestamp(mp["start"].iloc[0]) == pd.Timestamp("2025-04-01")


def test_leaving_an_established_supplier_costs_the_switching_premium() -> None:
    from rareflow.reference_prices import reference_price

    ref = load_reference()
    net = build_network(ref, last_year=2030)
    share = float(ref["costs"].query("kind == 'relationship'")["value"].iloc[0])
    cost = net.arcs.set_index("arc")["cost"]
    magnet = "magnet:NdFeB-HRE"

    def freight(origin: str, destination: str) -> float:
        rule = net.meta[FREIGHT]
        return float(
            route_freight(net.regions, pd.Series([origin]), pd.Series([destination]), rule)[0]
        )

    # Japan bought its magnets from China in 2024 (trade.csv): that route costs freight only
    assert cost[f"CHN>JPN:{magnet}"] == pytest.approx(freight("CHN", "JPN"))
    # a new supplier pays freight plus 10% of the magnet's reference price
    premium = share * reference_price(ref["prices"], magnet, "world", 2024)
    assert cost[f"VNM>JPN:{magnet}"] == pytest.approx(freight("VNM", "JPN") + premium)
    # where the data know no supplier of a buyer, no route is "new": freight only
    assert cost["CHN>KOR:oxide:La"] == pytest.approx(freight("CHN", "KOR"))


def test_freight_grows_with_the_distance_between_the_regions_places() -> None:
    # three places on the equator, 10 and 20 degrees apart (1,112 and 2,224 km) and a group
    # without a place: the mean of the located pairs (1,112, 2,224, 1,112 km: 1,483 km) costs
    # the sea rate, 100; handling 30 is the floor; the group ships at the sea rate
    regions = pd.DataFrame(
        {
            "region": ["A", "B", "C", "ROW"],
            "lat": [0.0, 0.0, 0.0, None],
            "lon": [0.0, 10.0, 20.0, None],
        }
    )
    rule = freight_rule(sea=100.0, handling=30.0)
    cost = route_freight(
        regions, pd.Series(["A", "A", "B", "A"]), pd.Series(["B", "C", "C", "ROW"]), rule
    )
    near, far = 30.0 + 70.0 * 0.75, 30.0 + 70.0 * 1.5
    assert cost.tolist() == pytest.approx([near, far, near, 100.0], rel=1e-9)


def test_a_nearer_supplier_wins_where_prices_tie() -> None:
    """India's co-product oxides (Ce, La) came from China, Malaysia and the USA in turns from
    one year to the next (equal freight on every route tied the LP); with freight by distance
    they come from the nearest maker every year."""
    ref = load_reference()
    net = build_network(ref, last_year=2030)
    cost = net.arcs.set_index("arc")["cost"]
    assert cost["MYS>IND:oxide:Ce"] < cost["CHN>IND:oxide:Ce"] < cost["USA>IND:oxide:Ce"]
