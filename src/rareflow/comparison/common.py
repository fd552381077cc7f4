"""What every part of a comparison shares: its error, constants, periods."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from rareflow.errors import UserError
from rareflow.results import Result

KEY_MATERIALS: tuple[str, ...] = ("oxide:Nd", "oxide:Pr", "oxide:Dy", "oxide:Tb", "magnet:*")
CHINA = "CHN"
# changes smaller than this (t) are rounding noise of the solver, not re-routing
TRADE_TOLERANCE_T = 1e-6
# months per period of each horizon step, and the step a period label shows

Progress = Callable[[int, int, str], None]
# the code a solve depends on (part of the cache key); the rest (metrics, web, ...) is not
SOLVE_MODULES = ("network.py", "network_builder.py", "calibration.py", "results.py")
SOLVE_PACKAGES = ("optimize", "scenario", "data", "pipeline")


class CompareError(UserError, ValueError):
    """Inputs that cannot be compared (a missing file, no common periods); one line."""


# ---------------------------------------------------------------------------------------------
# periods


def period_years(label: str) -> float:
    """Length in years of a period label: 2025 (year), 2025Q1 (quarter), 2025-01 (month)."""
    text = str(label)
    if "Q" in text.upper():
        return 0.25
    if len(text) == 4 and text.isdigit():
        return 1.0
    return 1.0 / 12.0


def period_start(label: str) -> pd.Timestamp:
    text = str(label).upper()
    if "Q" in text:
        return pd.Period(text, freq="Q").start_time
    if len(text) == 4:
        return pd.Timestamp(f"{text}-01-01")
    return pd.Period(text, freq="M").start_time


def period_mid(label: str) -> pd.Timestamp:
    start = period_start(label)
    return start + pd.Timedelta(days=365.25 * period_years(label) / 2.0)


def mean_price(result: Result, region: str, material: str, periods: Iterable[str]) -> float:
    """Mean price (USD/kg) of `material` in `region` over `periods`; NaN where it has none."""
    p = result.prices
    sel = p[
        (p["region"] == region)
        & (p["material"] == material)
        & p["period"].astype(str).isin(set(map(str, periods)))
    ]
    return float(sel["price"].mean()) if len(sel) else float("nan")


def prices_at(
    result: Result, regions: pd.Series, materials: pd.Series, periods: pd.Series
) -> np.ndarray:
    """The price (USD/kg) of each row's region, material and period; NaN where none."""
    price = result.prices.set_index(["region", "material", "period"])["price"]
    keys = pd.MultiIndex.from_arrays(
        [regions.astype(str), materials.astype(str), periods.astype(str)]
    )
    return np.asarray(price.reindex(keys).to_numpy(), dtype=float)


def result_periods(result: Result) -> list[str]:
    """Periods of a result: from its summary, else from its tables."""
    if result.periods:
        return [str(p) for p in result.periods]
    seen: set[str] = set()
    for name in ("flows", "prices", "shortfalls", "trade"):
        seen |= {str(p) for p in result.table(name)["period"].dropna().unique()}
    return sorted(seen, key=period_start)


def common_periods(a: Result, b: Result) -> list[str]:
    pa, pb = result_periods(a), result_periods(b)
    common = [p for p in pa if p in set(pb)]
    if not common:
        span = lambda ps: f"{ps[0]}..{ps[-1]}" if ps else "none"  # noqa: E731
        raise CompareError(
            f"A and B have no period in common (A: {span(pa)}, B: {span(pb)}); run both with "
            "the same horizon step"
        )
    return common


def years_of(periods: Iterable[str]) -> float:
    return float(sum(period_years(p) for p in periods))


def _in(frame: pd.DataFrame, periods: list[str]) -> pd.DataFrame:
    return frame[frame["period"].astype(str).isin(periods)]


def finite(value: Any) -> bool:
    """True for a real number that is not NaN or infinite."""
    try:
        return bool(np.isfinite(float(value)))
    except (TypeError, ValueError):
        return False
