"""The time axis of a solve: a start, an end and a step (month, quarter or year)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from rareflow.errors import UserError

Step = Literal["month", "quarter", "year"]

STEP_MONTHS: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}
_FREQ: dict[str, str] = {"month": "M", "quarter": "Q", "year": "Y"}


class HorizonError(UserError, ValueError):
    """A horizon that cannot be built (bad dates or step)."""


@dataclass(frozen=True)
class Horizon:
    """Periods from the one containing `start` to the one containing `end`, both included.

    `start` and `end` are anything pandas reads as a date ("2025-01", "2025-01-01", "2025").
    A quarterly or yearly horizon starts at the quarter or year that contains `start`.
    """

    start: str
    end: str
    step: Step = "month"

    def __post_init__(self) -> None:
        if self.step not in STEP_MONTHS:
            raise HorizonError(f"horizon step '{self.step}' is not one of {', '.join(STEP_MONTHS)}")
        for name in ("start", "end"):
            try:
                pd.Timestamp(str(getattr(self, name)))
            except (ValueError, TypeError) as err:
                raise HorizonError(
                    f"horizon {name} '{getattr(self, name)}' is not a date (expected e.g. 2025-01)"
                ) from err
        if pd.Timestamp(str(self.end)) < pd.Timestamp(str(self.start)):
            raise HorizonError(f"horizon end {self.end} is before its start {self.start}")

    @property
    def months_per_period(self) -> int:
        return STEP_MONTHS[self.step]

    @property
    def periods(self) -> pd.DataFrame:
        """One row per period: period (label), start, end (exclusive), mid, year, length (years)."""
        freq = _FREQ[self.step]
        rng = pd.period_range(pd.Timestamp(str(self.start)), pd.Timestamp(str(self.end)), freq=freq)
        starts = rng.start_time
        ends = (rng + 1).start_time
        frame = pd.DataFrame(
            {
                "period": [str(p) for p in rng],
                "start": starts,
                "end": ends,
                "mid": starts + (ends - starts) / 2,
                "year": np.asarray(rng.year, dtype=int),
                # lengths are nominal (month = 1/12 yr) so t/yr x length is exact and uniform
                "length": np.full(len(rng), self.months_per_period / 12.0),
            }
        )
        return frame

    @property
    def labels(self) -> list[str]:
        return list(self.periods["period"])

    def __len__(self) -> int:
        return len(self.periods)

    def to_dict(self) -> dict[str, Any]:
        return {"start": str(self.start), "end": str(self.end), "step": self.step}


def in_range(mid: pd.Series, start: pd.Series, end: pd.Series) -> np.ndarray:
    """Boolean matrix [rows, periods]: the period's midpoint lies in [start, end).

    A missing start means "from the beginning", a missing end "for ever". Using the midpoint
    lets a lever that starts mid-period apply to the period it covers most of.
    """
    mids = pd.to_datetime(mid).to_numpy()[None, :]
    lo = pd.to_datetime(start).to_numpy()[:, None]
    hi = pd.to_datetime(end).to_numpy()[:, None]
    after = np.where(pd.isna(lo), True, mids >= lo)
    before = np.where(pd.isna(hi), True, mids < hi)
    return np.asarray(after & before, dtype=bool)
