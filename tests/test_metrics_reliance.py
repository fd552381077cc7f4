"""Import reliance, self-sufficiency and days of cover checked by hand on small cases."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from rareflow.metrics.common import days_in_period
from rareflow.metrics.cover import days_of_cover
from rareflow.metrics.reliance import group_reliance, reliance

ND = "oxide:Nd"


def _flows(rows: list[tuple[str, str, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["kind", "region", "material", "period", "value"])


# Two regions, two months. A produces, exports to B and stocks; in February it draws the stock.
FLOWS = _flows(
    [
        ("production", "A", ND, "2025-01", 100.0),
        ("trade_out", "A", ND, "2025-01", 60.0),
        ("consumption", "A", ND, "2025-01", 30.0),
        ("stock_level", "A", ND, "2025-01", 10.0),
        ("trade_in", "B", ND, "2025-01", 60.0),
        ("consumption", "B", ND, "2025-01", 50.0),
        # the engine may sign inputs negative: reliance takes magnitudes
        ("process_input", "B", ND, "2025-01", -10.0),
        ("production", "A", ND, "2025-02", 50.0),
        ("consumption", "A", ND, "2025-02", 60.0),
        ("stock_level", "A", ND, "2025-02", 0.0),
    ]
)


def test_reliance_by_hand() -> None:
    r = reliance(FLOWS).set_index(["region", "period"])
    a1 = r.loc[("A", "2025-01")]
    # apparent consumption = 100 + 0 - 60 - (10 - 0) = 30; net imports -60
    assert a1["apparent_consumption"] == pytest.approx(30.0)
    assert a1["import_reliance"] == pytest.approx(-2.0)
    assert bool(a1["net_exporter"])
    assert a1["self_sufficiency"] == pytest.approx(100.0 / 30.0)
    b1 = r.loc[("B", "2025-01")]
    assert b1["apparent_consumption"] == pytest.approx(60.0)
    assert b1["import_reliance"] == pytest.approx(1.0)
    assert b1["domestic_use"] == pytest.approx(60.0)
    assert b1["self_sufficiency"] == pytest.approx(0.0)
    a2 = r.loc[("A", "2025-02")]
    # stock drawn by 10: apparent consumption = 50 + 10 = 60, all of it domestic
    assert a2["stock_change"] == pytest.approx(-10.0)
    assert a2["apparent_consumption"] == pytest.approx(60.0)
    assert a2["import_reliance"] == pytest.approx(0.0)
    assert a2["self_sufficiency"] == pytest.approx(50.0 / 60.0)


def test_initial_stock_enters_the_first_stock_change() -> None:
    r = reliance(FLOWS, initial_stock={("A", ND): 25.0}).set_index(["region", "period"])
    # stock fell from 25 to 10: 15 more consumed than produced net of exports
    assert r.loc[("A", "2025-01"), "apparent_consumption"] == pytest.approx(55.0)


def test_engine_stock_builds_and_releases_are_used_when_reported() -> None:
    # a stockpile of 25 t (opening stock unknown to the flows) releases 15 t
    flows = _flows(
        [
            ("production", "A", ND, "2025-01", 100.0),
            ("stock_release", "A", ND, "2025-01", 15.0),
            ("stock_level", "A", ND, "2025-01", 10.0),
            ("consumption", "A", ND, "2025-01", 115.0),
        ]
    )
    r = reliance(flows).iloc[0]
    assert r["stock_change"] == pytest.approx(-15.0)
    assert r["apparent_consumption"] == pytest.approx(115.0)


def test_reliance_by_stage_sums_materials() -> None:
    flows = _flows(
        [
            ("trade_in", "JPN", "oxide:Nd", "2025", 30.0),
            ("production", "JPN", "oxide:Dy", "2025", 10.0),
            ("consumption", "JPN", "oxide:Nd", "2025", 30.0),
            ("consumption", "JPN", "oxide:Dy", "2025", 10.0),
        ]
    )
    r = reliance(flows, by="stage").iloc[0]
    assert r["stage"] == "separation"
    assert r["import_reliance"] == pytest.approx(0.75)
    assert r["self_sufficiency"] == pytest.approx(0.25)


class _Result:
    def __init__(self, flows: pd.DataFrame, trade: pd.DataFrame) -> None:
        self.flows = flows
        self.trade = trade


def test_group_reliance_cancels_trade_inside_the_group() -> None:
    flows = _flows(
        [
            ("production", "DEU", ND, "2025", 10.0),
            ("trade_out", "DEU", ND, "2025", 10.0),
            ("trade_in", "FRA", ND, "2025", 30.0),
            ("consumption", "FRA", ND, "2025", 30.0),
            ("production", "CHN", ND, "2025", 20.0),
            ("trade_out", "CHN", ND, "2025", 20.0),
        ]
    )
    trade = pd.DataFrame(
        {
            "origin": ["DEU", "CHN"],
            "destination": ["FRA", "FRA"],
            "material": [ND, ND],
            "period": ["2025", "2025"],
            "value": [10.0, 20.0],
        }
    )
    r = group_reliance(_Result(flows, trade), ("DEU", "FRA"), name="EU").iloc[0]
    assert r["region"] == "EU"
    assert r["imports"] == pytest.approx(20.0)
    assert r["exports"] == pytest.approx(0.0)
    assert r["import_reliance"] == pytest.approx(20.0 / 30.0)
    assert r["self_sufficiency"] == pytest.approx(10.0 / 30.0)


def test_period_lengths() -> None:
    assert days_in_period("2025-02") == 28
    assert days_in_period("2024-02") == 29
    assert days_in_period("2025Q1") == 90
    assert days_in_period(2024) == 366
    assert days_in_period("2025") == 365
    assert days_in_period(pd.Period("2025-04", freq="M")) == 30


def test_days_of_cover_by_hand() -> None:
    flows = _flows(
        [
            ("stock_level", "IND", ND, "2025-01", 62.0),
            ("consumption", "IND", ND, "2025-01", 31.0),  # 1 t/day
            ("process_input", "IND", ND, "2025-01", 31.0),  # another 1 t/day
            ("stock_level", "JPN", ND, "2025-01", 5.0),  # stock, no use
            ("stock_level", "USA", ND, "2025-01", 0.0),
            ("trade_in", "USA", ND, "2025-01", 3.0),
        ]
    )
    c = days_of_cover(flows).set_index("region")["days_of_cover"]
    assert c["IND"] == pytest.approx(31.0)
    assert math.isinf(c["JPN"])
    assert math.isnan(c["USA"])
