"""Time in scenarios: the intervals an event is in force, shares of years, the engine horizon."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rareflow.scenario.schema import EventBase

DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12.0

Interval = tuple[dt.date | None, dt.date | None]


def iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def in_force(event: EventBase) -> list[Interval]:
    """[start, end) intervals of an event, its suspensions cut out."""
    intervals: list[Interval] = [(event.start, event.end)]
    for pause in sorted(event.suspended, key=lambda p: p.start):
        cut: list[Interval] = []
        for lo, hi in intervals:
            p_lo, p_hi = pause.start, pause.end
            overlaps = (hi is None or p_lo < hi) and (p_hi is None or lo is None or lo < p_hi)
            if not overlaps:
                cut.append((lo, hi))
                continue
            if lo is None or lo < p_lo:
                cut.append((lo, p_lo))
            if p_hi is not None and (hi is None or p_hi < hi):
                cut.append((p_hi, hi))
        intervals = cut
    return intervals


def overlap_days(lo: dt.date | None, hi: dt.date | None, a: dt.date, b: dt.date) -> float:
    """Days of [lo, hi) inside [a, b)."""
    start = max(lo, a) if lo is not None else a
    end = min(hi, b) if hi is not None else b
    return max((end - start).days, 0)


def year_share(intervals: list[Interval], year: int) -> float:
    """Share of calendar `year` covered by `intervals`."""
    a, b = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    return min(sum(overlap_days(lo, hi, a, b) for lo, hi in intervals) / (b - a).days, 1.0)


def lever_rows(intervals: list[Interval], **values: Any) -> list[dict[str, Any]]:
    """Lever rows of `values`, one per interval in force (start, end as ISO dates)."""
    return [{**values, "start": iso(lo), "end": iso(hi)} for lo, hi in intervals]
