"""Time: dates as users write them, and the one horizon type.

A `Horizon` is what a scenario file writes (validated with the file's line in the message) and
what the engine solves over (its periods): one pydantic model for both roles, so a horizon is
never converted between types. Dates are 'YYYY-MM' (the month's first day) or 'YYYY-MM-DD'.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

Step = Literal["month", "quarter", "year"]

STEP_MONTHS: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}
_FREQ: dict[str, str] = {"month": "M", "quarter": "Q", "year": "Y"}

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def parse_date(value: object, allow_day: bool = True) -> dt.date:
    """'YYYY-MM' -> first of that month; 'YYYY-MM-DD' -> that day (when allowed)."""
    expected = "a month YYYY-MM or a day YYYY-MM-DD" if allow_day else "a month YYYY-MM"
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        if not allow_day and value.day != 1:
            raise ValueError(f"expected {expected}, got {value.isoformat()}")
        return value
    text = str(value).strip() if isinstance(value, str | int) else None
    if text is None:
        raise ValueError(f"expected {expected}, got {value!r}")
    month = _MONTH.match(text)
    day = _DAY.match(text) if allow_day else None
    try:
        if month:
            return dt.date(int(month.group(1)), int(month.group(2)), 1)
        if day:
            return dt.date(int(day.group(1)), int(day.group(2)), int(day.group(3)))
    except ValueError:
        raise ValueError(f"expected {expected}, got '{text}' (no such date)") from None
    raise ValueError(f"expected {expected}, got '{text}'")


def parse_month(value: object) -> dt.date:
    return parse_date(value, allow_day=False)


Month = Annotated[
    dt.date,
    BeforeValidator(parse_month),
    WithJsonSchema({"type": "string", "pattern": r"^\d{4}-\d{2}$", "description": "YYYY-MM"}),
]


class Horizon(BaseModel):
    """The months modelled, from the period containing `start` to the one containing `end`,
    both included, in steps of a month, a quarter or a year. A quarterly or yearly horizon
    starts at the quarter or year that contains `start`."""

    # unknown fields are errors (a scenario file's typo); frozen, so a horizon is a cache key
    model_config = ConfigDict(extra="forbid", frozen=True)

    start: Month
    end: Month
    step: Step = "month"

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, end: dt.date, info: ValidationInfo) -> dt.date:
        start = info.data.get("start")
        if start is not None and end < start:
            raise ValueError(
                f"expected a month not before start {start.strftime('%Y-%m')}, "
                f"got {end.strftime('%Y-%m')}"
            )
        return end

    @property
    def months_per_period(self) -> int:
        return STEP_MONTHS[self.step]

    def _range(self) -> pd.PeriodIndex:
        return pd.period_range(
            pd.Timestamp(self.start), pd.Timestamp(self.end), freq=_FREQ[self.step]
        )

    @property
    def periods(self) -> pd.DataFrame:
        """One row per period: period (label), start, end (exclusive), mid, year, length (years)."""
        rng = self._range()
        starts = rng.start_time
        ends = (rng + 1).start_time
        return pd.DataFrame(
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

    @property
    def labels(self) -> list[str]:
        return [str(p) for p in self._range()]

    def __len__(self) -> int:
        return len(self._range())

    def to_dict(self) -> dict[str, str]:
        """As a scenario file writes it: months YYYY-MM and the step."""
        return {
            "start": self.start.strftime("%Y-%m"),
            "end": self.end.strftime("%Y-%m"),
            "step": self.step,
        }


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
