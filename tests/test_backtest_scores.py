"""The backtest's error arithmetic on hand-made series (every figure worked out by hand)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from rareflow.backtest.scores import no_change, overall, score, trend


def months(*labels: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex([pd.Timestamp(f"{m}-01") for m in labels])


OBS = pd.Series(
    [100.0, 400.0, 1000.0, 200.0], index=months("2010-06", "2011-01", "2011-08", "2012-06")
)


def test_a_forecast_scored_by_hand() -> None:
    # base 50 (both): observed rises 2x, 8x, 20x, 4x; the forecast 1.0x, 10x, 5x, 2x
    fc = pd.Series([50.0, 500.0, 250.0, 100.0], index=OBS.index)
    s = score(fc, OBS, f_base=50.0, o_base=50.0)
    assert s.points == 4
    # the first point: observed up, forecast flat (< 5%): wrong; the other three up and up
    assert s.direction == pytest.approx(3 / 4)
    # ratios 0.5, 1.25, 0.25, 0.5: within a factor of 2 at 0.5, 1.25, 0.5
    assert s.within_2x == pytest.approx(3 / 4)
    # |ln ratio|: ln2, ln1.25, ln4, ln2 -> median (ln2 + ln2) / 2 = ln 2
    assert s.mdale == pytest.approx(math.log(2))
    # observed peak 2011-08, forecast peak 2011-01: 7 months early
    assert s.peak_lag_months == -7
    # troughs: observed 2010-06, forecast 2010-06
    assert s.trough_lag_months == 0


def test_a_flat_forecast_has_no_peak_to_time() -> None:
    s = score(no_change(OBS, 50.0), OBS, f_base=50.0, o_base=50.0)
    assert math.isnan(s.peak_lag_months) and math.isnan(s.trough_lag_months)
    assert s.direction == 0.0  # observed moved everywhere, the forecast nowhere


def test_naive_forecasts() -> None:
    flat = no_change(OBS, 50.0)
    assert (flat == 50.0).all()
    s = score(flat, OBS, 50.0, 50.0)
    assert s.direction == 0.0  # the observed series always moved, the flat one never
    # a year before the base date the value was 25: doubling a year, compounded monthly
    grown = trend(OBS, 50.0, pd.Timestamp("2010-01-01"), 25.0)
    assert grown.loc["2011-01-01"] == pytest.approx(100.0)  # 12 months: x2
    assert grown.loc["2010-06-01"] == pytest.approx(50.0 * 2 ** (5 / 12))
    assert trend(OBS, 50.0, pd.Timestamp("2010-01-01"), 0.0).isna().all()


def test_overall_pools_by_points() -> None:
    table = pd.DataFrame(
        {
            "points": [4, 0, 2],
            "direction": [1.0, math.nan, 0.0],
            "within_2x": [0.5, math.nan, 1.0],
            "mdale": [0.1, math.nan, 0.3],
            "peak_lag_months": [-2.0, math.nan, 4.0],
        }
    )
    o = overall(table)
    assert o["direction"] == pytest.approx(4 / 6)
    assert o["within_2x"] == pytest.approx((0.5 * 4 + 1.0 * 2) / 6)
    assert o["mdale"] == pytest.approx(0.2)
    assert o["abs_peak_lag_months"] == pytest.approx(3.0)


def test_nothing_to_score() -> None:
    s = score(pd.Series(dtype=float), pd.Series(dtype=float), 1.0, 1.0)
    assert s.points == 0 and math.isnan(s.mdale)
