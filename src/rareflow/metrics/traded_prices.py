"""Prices as traded: the spot price beside the volume-weighted price buyers pay.

Most rare earth volume is bought on term contracts priced off China's domestic price index, and
a thin spot market sets the headline (policy_rules.csv `contract_share`,
`contract_price_lag_months`, with their sources). A buyer's volume-weighted price is

    share x index + (1 - share) x spot,

where the index is China's price averaged over the `lag` months before the period (the
period's own price when the lag is 0 or nothing precedes it). A settlement of a run's prices,
as rareflow.metrics.contracts is: the market solve does not see it, so quantities do not
depend on it; contract volumes are taken as delivered first. A result without the rules in its
meta (written before they existed) has a share of 0: its volume-weighted price is the spot.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from rareflow.horizon import STEP_MONTHS
from rareflow.network import CONTRACT_PRICE_LAG_MONTHS, CONTRACT_SHARE
from rareflow.results import Result

# how the report labels the volume-weighted price outside China beside the spot prices
VOLUME_WEIGHTED = "outside China, volume-weighted"


@dataclass(frozen=True)
class ContractTerms:
    """How buyers pay: `share` of their volume on contracts at China's index lagged
    `lag_periods` periods of the run."""

    share: float
    lag_periods: int

    @classmethod
    def of(cls, result: Result) -> ContractTerms:
        meta = result.summary.get("meta")
        meta = meta if isinstance(meta, dict) else {}
        share = float(meta.get(CONTRACT_SHARE, 0.0))
        months = float(meta.get(CONTRACT_PRICE_LAG_MONTHS, 0.0))
        step = str((result.summary.get("horizon") or {}).get("step", "month"))
        return cls(share=share, lag_periods=round(months / STEP_MONTHS.get(step, 1)))


def index_price(china: pd.Series, lag_periods: int) -> pd.Series:
    """China's price (a series over ordered periods) averaged over the `lag_periods` periods
    before each period; the period's own price where none precede it or the lag is 0."""
    if lag_periods <= 0:
        return china
    before = china.shift(1).rolling(lag_periods, min_periods=1).mean()
    return before.fillna(china)


def volume_weighted(spot: pd.Series, index: pd.Series, share: float) -> pd.Series:
    """What buyers pay on average when `share` of their volume settles at `index`."""
    return share * index + (1.0 - share) * spot


def with_volume_weighted(series: pd.DataFrame, terms: ContractTerms) -> pd.DataFrame:
    """`series` (material, period, china, outside: USD/kg) with `china_vw` and `outside_vw`:
    the volume-weighted prices inside and outside China, both contracts indexed to China's
    price."""
    parts = []
    for _, part in series.sort_values("period").groupby("material", sort=False):
        china = part["china"].astype(float)
        index = index_price(china, terms.lag_periods)
        parts.append(
            part.assign(
                china_vw=volume_weighted(china, index, terms.share),
                outside_vw=volume_weighted(part["outside"].astype(float), index, terms.share),
            )
        )
    if not parts:
        return series.assign(china_vw=pd.Series(dtype=float), outside_vw=pd.Series(dtype=float))
    return pd.concat(parts).sort_index()
