"""Licence regimes as queues: applications, approvals at a share, a backlog, processing time.

While a regime is in force on an arc, buyers apply every period for their normal flow (the
row's `normal_flow`, else the flow of a reference solve without licences). The authority
approves `approval_share` of everything pending each month (this period's applications and
the backlog; a period of m months approves 1 - (1 - share)^m of it, so quarterly and monthly
runs agree); the rest waits in the backlog. Approved volume leaves `delay_days` later (the
processing time: export statistics record it when it leaves; arrivals follow the route's
transit time). The
departures of a period are capped at what was approved for it, so a share below 1 cuts
exports at first, and as the backlog grows the approvals climb back towards normal; when the
share rises, the backlog clears and exports can run above normal for a while.

The queue is data, not a decision: the authority's approvals do not depend on the market's
choices, so a myopic solve needs no window to see them (the cap path is known in advance from
the announced regime). Rows with the same arc form one regime; where several are in force,
the one that started last sets the share and the processing time (a share that follows a path
is a series of rows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

DAYS_PER_MONTH = 365.25 / 12.0


@dataclass
class LicenceQueue:
    """[arc, period] arrays of the regime, all in t per period except `regime`."""

    regime: np.ndarray  # bool: a licence is needed to leave in this period
    applied: np.ndarray
    approved: np.ndarray  # in the period of approval
    backlog: np.ndarray  # at the end of the period
    cap: np.ndarray  # departures allowed (approvals released by processing), inf outside


def licence_queue(
    table: pd.DataFrame,
    in_force: np.ndarray,
    normal: np.ndarray,
    length: np.ndarray,
    months_per_period: int,
) -> LicenceQueue:
    """The queue of every arc. `in_force` [row, arc, period] says where each licence row
    applies; `normal` [arc, period] is the reference flow in t/yr; `length` [period] years."""
    n_arc, n_per = normal.shape
    regime = np.asarray(in_force.any(axis=0), dtype=bool)
    share = np.ones((n_arc, n_per))
    delay = np.zeros((n_arc, n_per))  # periods
    base = np.zeros((n_arc, n_per))
    # the row that started last wins where several are in force
    starts = pd.to_datetime(table["start"]).fillna(pd.Timestamp.min).to_numpy()
    for r in np.argsort(starts, kind="stable"):
        on = in_force[r]
        # the share is of what is pending each month: a longer period approves more of it
        monthly = float(table["approval_share"].iloc[r])
        share = np.where(on, 1.0 - (1.0 - monthly) ** months_per_period, share)
        days = float(table["delay_days"].iloc[r])
        delay = np.where(on, days / DAYS_PER_MONTH / months_per_period, delay)
        explicit = float(table["normal_flow"].iloc[r])
        base = np.where(on, normal if np.isnan(explicit) else explicit, base)
    applied = np.where(regime, np.nan_to_num(base) * length[None, :], 0.0)
    approved = np.zeros_like(applied)
    backlog = np.zeros_like(applied)
    cap = np.zeros_like(applied)
    waiting = np.zeros(n_arc)
    for t in range(n_per):
        pending = np.where(regime[:, t], waiting + applied[:, t], 0.0)
        approved[:, t] = share[:, t] * pending
        waiting = backlog[:, t] = pending - approved[:, t]
        # released after processing: floor / ceil split of a fractional delay
        d = np.where(
            np.isclose(delay[:, t], np.round(delay[:, t])), np.round(delay[:, t]), delay[:, t]
        )
        lo = np.floor(d).astype(int)
        frac = d - lo
        for lag, weight in ((lo, 1.0 - frac), (lo + 1, frac)):
            when = t + lag
            inside = (when < n_per) & (weight > 0)
            np.add.at(
                cap, (np.flatnonzero(inside), when[inside]), approved[inside, t] * weight[inside]
            )
    return LicenceQueue(regime, applied, approved, backlog, np.where(regime, cap, np.inf))
