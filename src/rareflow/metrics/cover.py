"""Days of cover: how long a region's stock of a material lasts at its current rate of use.

days of cover = closing stock / (domestic use in the period / days in the period), where
domestic use = final consumption + use as input by domestic processes. A stock with no use
lasts indefinitely (inf); no stock and no use gives NaN.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from rareflow.metrics.common import days_in_period
from rareflow.metrics.reliance import balance


def days_of_cover(
    source: Any, period_days: Callable[[Any], float] = days_in_period
) -> pd.DataFrame:
    """Days of cover by region, material and period of a Result (or its flows frame).

    Columns: region, material, period, stock, use, days, use_per_day, days_of_cover.
    `period_days` gives the length of a period label (months, quarters, years by default).
    """
    bal = balance(source)
    out = bal[["region", "material", "period", "stock"]].copy()
    out["use"] = bal["consumption"] + bal["process_input"]
    lengths = {p: period_days(p) for p in pd.unique(out["period"])}
    out["days"] = out["period"].map(lengths).astype(float)
    out["use_per_day"] = out["use"] / out["days"]
    with np.errstate(divide="ignore", invalid="ignore"):
        cover = out["stock"] / out["use_per_day"]
    no_use = out["use_per_day"] <= 0
    cover = cover.where(~no_use, np.where(out["stock"] > 0, np.inf, np.nan))
    out["days_of_cover"] = cover
    return out
