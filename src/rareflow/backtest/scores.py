"""Error figures of a forecast against observed series, and of the naive forecasts beside it.

A series is a pandas Series indexed by month (Timestamp, first of the month) holding one
indicator (a price, an export volume) in one unit. `base` is the value at the base date, the
last observation the forecaster had. Per indicator:

- direction: share of observed points whose change from the base has the sign the forecast's
  change has (a point with no observed change counts as right when the forecast moves < 5%);
- within_2x: share of points where the forecast is within a factor of 2 of the observation;
- mdale: median absolute log error, |ln(forecast / observed)| (0.69 is a factor of 2);
- peak_lag_months, trough_lag_months: months the forecast's highest (lowest) point comes after
  the observed one (negative: early); undefined for a forecast that does not move.

Naive forecasts use only what was known at the base date: `no_change` keeps the base value,
`trend` continues the change of the year before the base date at the same yearly rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

# a forecast that moves less than this relative to its base "does not change"
FLAT = 0.05


@dataclass(frozen=True)
class Scores:
    """The error figures of one forecast of one indicator (NaN where undefined)."""

    points: int
    direction: float
    within_2x: float
    mdale: float
    peak_lag_months: float
    trough_lag_months: float

    def as_dict(self) -> dict[str, float]:
        return {
            "points": float(self.points),
            "direction": self.direction,
            "within_2x": self.within_2x,
            "mdale": self.mdale,
            "peak_lag_months": self.peak_lag_months,
            "trough_lag_months": self.trough_lag_months,
        }


def _months(a: pd.Timestamp, b: pd.Timestamp) -> int:
    return (b.year - a.year) * 12 + (b.month - a.month)


def _direction(forecast: float, observed: float, f_base: float, o_base: float) -> bool:
    f_move = (forecast - f_base) / abs(f_base) if f_base else forecast - f_base
    o_move = observed - o_base
    if o_move == 0:
        return abs(f_move) < FLAT
    if abs(f_move) < FLAT:
        return False
    return bool(np.sign(f_move) == np.sign(o_move))


def score(forecast: pd.Series, observed: pd.Series, f_base: float, o_base: float) -> Scores:
    """Scores of `forecast` on the dates of `observed` (both positive values in one unit).

    `f_base` and `o_base` are the forecast's and the observation's values at the base date."""
    obs = observed.dropna().sort_index()
    fc = forecast.reindex(obs.index)
    paired = pd.DataFrame({"f": fc, "o": obs}).dropna()
    paired = paired[(paired["f"] > 0) & (paired["o"] > 0)]
    n = len(paired)
    if n == 0:
        nan = math.nan
        return Scores(0, nan, nan, nan, nan, nan)
    right = [
        _direction(f, o, f_base, o_base) for f, o in zip(paired["f"], paired["o"], strict=True)
    ]
    ratio = paired["f"] / paired["o"]
    log_err = np.abs(np.log(ratio.to_numpy(dtype=float)))
    when = pd.DatetimeIndex(paired.index)
    o, f = paired["o"].to_numpy(), paired["f"].to_numpy()
    # a forecast that does not move (< FLAT between its extremes) has no peak to time
    moves = n > 1 and float(f.max()) > float(f.min()) * (1.0 + FLAT)
    peak = _months(when[int(o.argmax())], when[int(f.argmax())]) if moves else math.nan
    trough = _months(when[int(o.argmin())], when[int(f.argmin())]) if moves else math.nan
    return Scores(
        points=n,
        # without a base there is no change to get right
        direction=float(np.mean(right)) if not math.isnan(f_base + o_base) else math.nan,
        within_2x=float(np.mean((ratio <= 2.0) & (ratio >= 0.5))),
        mdale=float(np.median(log_err)),
        peak_lag_months=float(peak),
        trough_lag_months=float(trough),
    )


def no_change(observed: pd.Series, base: float) -> pd.Series:
    """The naive forecast that nothing changes from the base date."""
    return pd.Series(base, index=observed.index, dtype=float)


def trend(
    observed: pd.Series, base: float, base_date: pd.Timestamp, year_before: float
) -> pd.Series:
    """The naive forecast that the change of the year before the base date goes on at the
    same yearly rate (compounded monthly)."""
    if not (base > 0 and year_before > 0):
        return pd.Series(math.nan, index=observed.index, dtype=float)
    rate = base / year_before
    months = np.array([_months(base_date, t) for t in observed.index], dtype=float)
    return pd.Series(base * rate ** (months / 12.0), index=observed.index, dtype=float)


def _mean_abs(values: np.ndarray) -> float:
    """Mean of |values| over the defined ones; NaN when none is."""
    defined = values[~np.isnan(values)]
    return float(np.abs(defined).mean()) if len(defined) else math.nan


def _weighted(table: pd.DataFrame, column: str) -> float:
    """Mean of `column` weighted by points, over the rows where it is defined."""
    rows = table[table[column].notna()]
    if rows.empty:
        return math.nan
    return float(np.average(rows[column], weights=rows["points"].to_numpy(dtype=float)))


def overall(table: pd.DataFrame) -> dict[str, float]:
    """Pooled figures of one forecaster over indicators: shares weighted by points, the median
    of the per-indicator median log errors, the mean absolute peak and trough lags."""
    t = table[table["points"] > 0]
    if t.empty:
        return {k: math.nan for k in ("direction", "within_2x", "mdale", "abs_peak_lag_months")}
    return {
        "direction": _weighted(t, "direction"),
        "within_2x": _weighted(t, "within_2x"),
        "mdale": float(np.median(t["mdale"])),
        "abs_peak_lag_months": _mean_abs(t["peak_lag_months"].to_numpy(dtype=float)),
    }
