"""Element content of products: hand-checked against the recipes' stated compositions."""

from __future__ import annotations

import pandas as pd
import pytest

from rareflow.data.loader import load_reference
from rareflow.metrics.elements import content_table, element_shortfalls, in_elements


@pytest.fixture(scope="module")
def content() -> pd.DataFrame:
    return content_table(load_reference())


def _of(content: pd.DataFrame, material: str) -> dict[str, float]:
    rows = content[content["material"] == material]
    return dict(zip(rows["element"], rows["t_per_t"], strict=True))


def test_magnets_hold_what_their_recipes_say(content: pd.DataFrame) -> None:
    # processes.csv: Dy/Tb grade "NdPr 26.5, Dy 4.0, Tb 0.5" wt%; the LRE grade "NdPr 31 wt%";
    # NdPr alloy 3:1 Nd:Pr
    hre = _of(content, "magnet:NdFeB-HRE")
    assert hre["Nd"] + hre["Pr"] == pytest.approx(0.265, abs=0.001)
    assert hre["Dy"] == pytest.approx(0.040, abs=0.0005)
    assert hre["Tb"] == pytest.approx(0.005, abs=0.0005)
    lre = _of(content, "magnet:NdFeB-LRE")
    assert lre["Nd"] + lre["Pr"] == pytest.approx(0.31, abs=0.001) and "Dy" not in lre
    assert _of(content, "alloy:NdPr") == pytest.approx({"Nd": 0.75, "Pr": 0.25})
    # SmCo5: Sm 0.3379 by mass
    assert _of(content, "magnet:SmCo")["Sm"] == pytest.approx(0.338, abs=0.001)


def test_oxides_and_metals(content: pd.DataFrame) -> None:
    assert _of(content, "metal:Dy") == {"Dy": 1.0}
    # Nd2O3: 2 x 144.242 / (2 x 144.242 + 3 x 15.999)
    assert _of(content, "oxide:Nd")["Nd"] == pytest.approx(0.8574, abs=1e-4)


def test_in_elements_and_the_report_table(content: pd.DataFrame) -> None:
    frame = pd.DataFrame(
        {
            "region": ["JPN", "JPN", "DEU"],
            "material": ["magnet:NdFeB-HRE", "oxide:Nd", "oxide:Ce"],
            "consumed": [100.0, 10.0, 50.0],
            "unserved": [10.0, 0.0, 5.0],
        }
    )
    nd = in_elements(frame, "unserved", content)
    assert set(nd["element"]) == {"Nd", "Pr", "Dy", "Tb"}  # Ce is not a magnet element
    table = element_shortfalls(frame, content)
    jpn_nd = table[(table["region"] == "JPN") & (table["element"] == "Nd")].iloc[0]
    hre_nd = _of(content, "magnet:NdFeB-HRE")["Nd"]
    assert jpn_nd["consumed"] == pytest.approx(100 * hre_nd + 10 * 0.8574, abs=0.01)
    assert jpn_nd["unserved"] == pytest.approx(10 * hre_nd)
    total = table[table["region"] == "all regions"].set_index("element")
    assert total.loc["Dy", "unserved"] == pytest.approx(10 * 0.040, abs=0.005)
    # against a baseline with half the unserved magnets: the change is the other half
    base = frame.assign(unserved=frame["unserved"] / 2)
    changed = element_shortfalls(frame, content, base)
    jpn = changed[(changed["region"] == "JPN") & (changed["element"] == "Nd")].iloc[0]
    assert jpn["change"] == pytest.approx(5 * hre_nd)


def test_the_difference_view_is_scenario_minus_baseline() -> None:
    from rareflow.report.differences import price_changes, shortfall_changes

    prices = pd.DataFrame(
        {
            "material": ["oxide:Dy"] * 4,
            "period": ["2025Q1", "2025Q1", "2025Q2", "2025Q2"],
            "run": ["scenario", "baseline", "scenario", "baseline"],
            "where": ["China"] * 4,
            "price": [300.0, 260.0, 250.0, 260.0],
        }
    )
    changes = price_changes(prices)
    assert changes["change"].tolist() == [40.0, -10.0]
    # a sector short only in the scenario, one only in the baseline
    scen = pd.DataFrame({"sector": ["wind"], "period": ["2025Q1"], "unserved": [5.0]})
    base = pd.DataFrame({"sector": ["defence"], "period": ["2025Q1"], "unserved": [2.0]})
    got = shortfall_changes(scen, base).set_index("sector")["change"]
    assert got["wind"] == 5.0 and got["defence"] == -2.0
