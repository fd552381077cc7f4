"""The plausibility report: indicator arithmetic on a hand-made Result, and the command on a
short horizon of the shipped baseline."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from rareflow.cli import app
from rareflow.data.loader import load_reference
from rareflow.plausibility import evaluate
from rareflow.results import Result

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
PERIODS = ("2025-01", "2025-02", "2026-01")


def _result() -> Result:
    flows = [
        ("production", "CHN", "concentrate:ionic_clay", "2025-01", 100.0),
        ("production", "CHN", "concentrate:bastnaesite", "2025-02", 50.0),
        ("production", "CHN", "concentrate:bastnaesite", "2026-01", 10.0),
        ("production", "AUS", "concentrate:monazite", "2025-01", 40.0),
        ("process_output", "CHN", "oxide:Nd", "2025-01", 90.0),
        ("process_output", "MYS", "oxide:Nd", "2025-01", 6.0),
        ("process_output", "MYS", "oxide:Pr", "2025-02", 4.0),
        ("process_output", "CHN", "magnet:NdFeB-LRE", "2025-01", 30.0),
        ("process_output", "JPN", "magnet:NdFeB-HRE", "2025-01", 10.0),
        ("process_output", "CHN", "oxide:Dy", "2025-01", 2.0),
        ("process_output", "MMR", "oxide:Tb", "2025-01", 0.25),
        ("trade_in", "JPN", "oxide:Nd", "2025-01", 3.0),
        ("consumption", "DEU", "oxide:Nd", "2025-01", 5.0),
    ]
    trade = [
        ("CHN>JPN:magnet:NdFeB-LRE", "CHN", "JPN", "magnet:NdFeB-LRE", "2025-01", 6.0),
        ("VNM>JPN:magnet:NdFeB-LRE", "VNM", "JPN", "magnet:NdFeB-LRE", "2025-01", 2.0),
        ("CHN>JPN:oxide:Nd", "CHN", "JPN", "oxide:Nd", "2025-01", 3.0),
        ("MYS>JPN:oxide:Nd", "MYS", "JPN", "oxide:Nd", "2025-02", 1.0),
        ("IND>CHN:oxide:Nd", "IND", "CHN", "oxide:Nd", "2026-01", 0.5),
        ("AUS>IND:mixed:monazite", "AUS", "IND", "mixed:monazite", "2025-01", 7.0),
    ]
    prices = [
        ("CHN", "oxide:Nd", "2025-01", 100.0),
        ("CHN", "oxide:Nd", "2025-02", 200.0),
        ("DEU", "oxide:Nd", "2025-01", 60.0),
        ("JPN", "oxide:Nd", "2025-01", 300.0),
        # Korea has a shadow price but nothing passes through its node: not a market price
        ("KOR", "oxide:Nd", "2025-01", 0.0),
    ]
    shortfalls = [
        # DEU ev: 2 t unserved, of which 1 t wanted at the going price (a physical shortage)
        ("DEU", "ev", "magnet:NdFeB-HRE", "2025-01", 100.0, 98.0, 2.0, 1.0, 0.02),
        ("DEU", "wind", "magnet:NdFeB-HRE", "2025-01", 100.0, 100.0, 0.0, 0.0, 0.0),
        # JPN: 5 t given up because of price, none short
        ("JPN", "ev", "oxide:Nd", "2026-01", 50.0, 45.0, 5.0, 0.0, 0.1),
    ]
    f = pd.DataFrame(flows, columns=["kind", "region", "material", "period", "value"])
    t = pd.DataFrame(trade, columns=["arc", "origin", "destination", "material", "period", "value"])
    cols = [
        "region",
        "sector",
        "material",
        "period",
        "reference",
        "consumed",
        "unserved",
        "shortage",
        "share",
    ]
    return Result(
        flows=f,
        trade=t,
        prices=pd.DataFrame(prices, columns=["region", "material", "period", "price"]),
        shortfalls=pd.DataFrame(shortfalls, columns=cols),
        # a yearly step: sums per year are read as they are, without annualising
        summary={
            "periods": list(PERIODS),
            "horizon": {"step": "year"},
            "meta": {"demand_calibration": '{"oxide:Nd": 1.04, "oxide:Er": 0.7}'},
        },
    )


REF_PRICES = pd.DataFrame(
    [("oxide:Nd", "CHN", 2024, 100.0), ("oxide:Nd", "world", 2024, 50.0)],
    columns=["material", "market", "year", "price"],
)


def _check(indicator: str, scope: str, low: float, high: float, horizon: str) -> pd.DataFrame:
    ranges = pd.DataFrame(
        [(indicator, scope, low, high, "t/yr", horizon, "src")],
        columns=["indicator", "scope", "low", "high", "unit", "horizon", "source"],
    )
    return evaluate(_result(), ranges, REF_PRICES)


def _value(indicator: str, scope: str, year: int = 2025) -> float:
    out = _check(indicator, scope, float("nan"), float("nan"), "every_year")
    return float(out.loc[out["year"] == year, "value"].iloc[0])


def test_volumes_sum_periods_into_years() -> None:
    assert _value("mine_output", "CHN") == 150.0
    assert _value("mine_output", "CHN", 2026) == 10.0
    # China's NdFeB in blanks: its finished magnets x the recipe's input per t
    assert _value("china_ndfeb_blanks", "CHN") == pytest.approx(30.0 * 1.282)
    assert _value("dy_oxide_output", "world") == 2.0
    assert _value("lynas_ndpr", "AUS+MYS") == 10.0
    # China's NdPr oxide: its own Nd output only, not Malaysia's Nd and Pr
    assert _value("china_ndpr_oxide_output", "CHN") == 90.0


def test_shares_read_region_and_origin() -> None:
    assert _value("china_share_separation", "world") == pytest.approx(92 / 102.25)
    assert _value("china_share_magnet", "world") == pytest.approx(0.75)
    assert _value("china_ndfeb_exports", "CHN") == 6.0
    assert _value("japan_china_share_magnet", "JPN") == pytest.approx(0.75)
    assert _value("japan_china_share_ndpr", "JPN") == pytest.approx(0.75)


def test_india_patterns_and_shortage() -> None:
    assert _value("india_ndpr_exports_to_china", "IND", 2026) == 0.5
    assert _value("india_feed_imports", "IND") == 7.0
    # DEU magnets: 1 t short of 200 across sectors -> 0.5%, the worst region/material in 2025;
    # Japan's 10% given up because of price in 2026 is not a shortage
    assert _value("shortage_share", "all") == pytest.approx(0.005)
    assert _value("shortage_share", "all", 2026) == 0.0


def test_tb_output_scaling_and_choke_price() -> None:
    assert _value("tb_oxide_output", "world") == 0.25
    # China's own output of one oxide: Myanmar's Tb is not China's
    assert _value("china_oxide_output", "oxide:Dy") == 2.0
    assert _value("china_oxide_output", "oxide:Tb") == 0.0
    # the calibration factor furthest from 1 (Er 0.7), the same every year
    assert _value("demand_scaling", "all") == pytest.approx(0.3)
    assert _value("demand_scaling", "all", 2026) == pytest.approx(0.3)
    # DEU magnets short in 2025: one region x material at a choke price; none in 2026 (Japan
    # gave demand up because of price, below any choke price)
    assert _value("choke_price_reached", "all") == 1.0
    assert _value("choke_price_reached", "all", 2026) == 0.0


def test_demand_scaling_unknown_without_calibration_factors() -> None:
    result = _result()
    result.summary = {"periods": list(PERIODS), "horizon": {"step": "year"}}
    ranges = pd.DataFrame(
        [("demand_scaling", "all", float("nan"), 0.1, "fraction", "base", "src")],
        columns=["indicator", "scope", "low", "high", "unit", "horizon", "source"],
    )
    assert list(evaluate(result, ranges, REF_PRICES)["status"]) == ["n/a"]


def test_prices_against_2024_inside_and_outside_china() -> None:
    assert _value("oxide_price_ratio_chn", "oxide:Nd") == pytest.approx(1.5)
    # no exCHN row: world 50 is the base; JPN at 300 (6x) is further from 1 than DEU (1.2x);
    # KOR's 0 is ignored (no flow of Nd oxide there)
    assert _value("oxide_price_ratio_exchn", "oxide:Nd") == pytest.approx(6.0)


def test_status_and_base_horizon() -> None:
    out = _check("mine_output", "CHN", 140.0, 160.0, "base")
    assert list(out["year"]) == [2025] and list(out["status"]) == ["pass"]
    out = _check("mine_output", "CHN", 140.0, 160.0, "every_year")
    assert list(out["status"]) == ["pass", "FAIL"]
    out = _check("india_ndpr_exports_to_china", "IND", float("nan"), 0.0, "every_year")
    assert list(out["status"]) == ["pass", "FAIL"]


def test_base_ranges_read_the_base_year_solve_when_given() -> None:
    base = _result()
    base.flows = base.flows.assign(
        period=base.flows["period"].str.replace("2025", "2024").str.replace("2026", "2024"),
        value=base.flows["value"] * 2,
    )
    base.summary = {"periods": ["2024"], "horizon": {"step": "year"}}
    ranges = pd.DataFrame(
        [
            ("mine_output", "CHN", 250.0, 400.0, "t/yr", "base", "src"),
            ("mine_output", "CHN", 0.0, 1e9, "t/yr", "every_year", "src"),
        ],
        columns=["indicator", "scope", "low", "high", "unit", "horizon", "source"],
    )
    out = evaluate(_result(), ranges, REF_PRICES, base=base)
    first = out.iloc[0]
    # the base range reads 2024 of the base-year solve (2 x (150 + 10)); the others the run
    assert (first["year"], first["value"], first["status"]) == (2024, 320.0, "pass")
    assert list(out["year"].iloc[1:]) == [2025, 2026]


def test_every_shipped_range_is_measured() -> None:
    ref = load_reference()
    ranges = ref["plausibility_ranges"]
    out = evaluate(_result(), ranges, ref["prices"])
    assert set(out["indicator"]) == set(ranges["indicator"])


def test_a_part_year_is_annualised() -> None:
    result = _result()
    result.summary["horizon"] = {"step": "month"}
    ranges = pd.DataFrame(
        [("mine_output", "CHN", 0.0, 1e9, "t/yr", "every_year", "src")],
        columns=["indicator", "scope", "low", "high", "unit", "horizon", "source"],
    )
    out = evaluate(result, ranges, REF_PRICES)
    # 2025 has two simulated months (150 t) -> 900 t/yr; 2026 one month (10 t) -> 120 t/yr
    assert list(out["value"]) == [900.0, 120.0]


def test_check_model_on_a_short_horizon(tmp_path: Path) -> None:
    csv = tmp_path / "report.csv"
    runner = CliRunner()
    args = ["check-model", "--scenario", str(SCENARIOS / "baseline.yaml")]
    args += ["--until", "2025-06", "--step", "quarter", "--csv", str(csv)]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    report = pd.read_csv(csv)
    assert "mine_output" in set(report["indicator"])
    # the baseline is calibrated to USGS 2024 mine output, so China's figure must pass
    china = report[(report["indicator"] == "mine_output") & (report["scope"] == "CHN")]
    assert list(china["status"]) == ["pass"]
    strict = runner.invoke(app, [*args, "--strict"])
    assert strict.exit_code == (1 if (report["status"] == "FAIL").any() else 0)


def test_check_model_refuses_a_bad_step() -> None:
    res = CliRunner().invoke(app, ["check-model", "--step", "week"])
    assert res.exit_code == 2
    assert "--step" in res.output


def test_check_model_refuses_a_bad_month() -> None:
    res = CliRunner().invoke(app, ["check-model", "--until", "2025-13"])
    assert res.exit_code == 2
    assert "--until" in res.output
