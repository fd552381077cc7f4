"""Build the market LP of a set of periods, solve it with HiGHS and read the solution back."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import linopy
import numpy as np
import pandas as pd
import xarray as xr

from rareflow.errors import SolveFailure
from rareflow.optimize import constraints as c
from rareflow.optimize.inputs import Inputs
from rareflow.optimize.timings import Timings

# A rolling window's LP is small and solved many times: HiGHS's presolve costs more there than
# it saves (the shipped scenarios' windows: HiGHS's own time halves without it, 1.04 -> 0.45 s
# for the baseline 2025-2030 monthly), while on a whole-horizon LP it pays (2025-2030 monthly
# perfect foresight: 3.7 s with it, 6.8 s without). A user's solver_options override it.
WINDOW_SOLVER_OPTIONS: dict[str, Any] = {"presolve": "off"}


def highs_options(inp: Inputs, window: bool) -> dict[str, Any]:
    """HiGHS's options for an LP of `inp`: a rolling window's (`window`) or a whole horizon's."""
    defaults = WINDOW_SOLVER_OPTIONS if window else {}
    return {**defaults, **inp.options.solver_options}


class SolveError(SolveFailure, RuntimeError):
    """The solver did not return an optimal solution."""


@dataclass
class Solution:
    """Primal values (t per period) and prices of the periods of one solve."""

    supply: xr.DataArray  # [step, period]
    activity: xr.DataArray  # [facility, period]
    trade: xr.DataArray  # [arc, period] departures
    arrivals: xr.DataArray  # [arc, period] arrivals (earlier shipments included)
    consumption: xr.DataArray  # [dem, period] summed over blocks
    consumer_value: xr.DataArray  # [dem, period] USD of willingness to pay served
    stock_level: xr.DataArray  # [node, period] end-of-period level, stock nodes
    stock_start: xr.DataArray  # [node] level at the start of the first period
    disposal: xr.DataArray  # [node, period]
    shortfall: xr.DataArray  # [arc, period] contracted minimum not delivered
    price: xr.DataArray  # [node, period] USD/t, undiscounted
    objective: float
    status: str
    termination: str

    def keep(self, start: int, stop: int) -> Solution:
        """The periods [start, stop) of this solution."""
        return self._per_period(lambda a: a.isel(period=slice(start, stop)))

    def relabel(self, periods: pd.Index) -> Solution:
        """This solution with its periods named `periods` (as many): the same LP's solution
        one window on (rolling.roll's repeated windows)."""
        return self._per_period(lambda a: a.assign_coords(period=periods))

    def _per_period(self, change: Callable[[xr.DataArray], xr.DataArray]) -> Solution:
        out = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, xr.DataArray) and "period" in value.dims:
                value = change(value)
            out[name] = value
        return Solution(**out)


def build_model(inp: Inputs, fixed_arrivals: xr.DataArray | None = None) -> linopy.Model:
    """The LP of `inp`'s periods; `fixed_arrivals` [arc, period] t arrive from earlier solves."""
    m = linopy.Model()
    supply = c.add_supply(m, inp)
    process = c.add_activity(m, inp)
    departures, arrivals, fixed = c.add_trade(m, inp, fixed_arrivals)
    consumption = c.add_consumption(m, inp)
    release = c.add_stocks(m, inp)
    c.add_buffers(m, inp)
    c.add_held_stocks(m, inp)
    disposal = c.add_disposal(m, inp)
    c.add_balance(
        m,
        sources=[supply, process, arrivals, release],
        sinks=[departures, consumption, disposal],
        constant=fixed,
    )
    c.add_agreements(m, inp)
    c.add_quotas(m, inp)
    c.set_objective(m, inp)
    return m


# the primal values of a variable by name, None when the model has no such variable
Values = Callable[[str], xr.DataArray | None]


def _solution(values: Values, name: str, like: Callable[[], xr.DataArray]) -> xr.DataArray:
    found = values(name)
    return found.fillna(0.0) if found is not None else xr.zeros_like(like())


def apply_kernel(
    inp: Inputs, trade: xr.DataArray, fixed_arrivals: xr.DataArray | None
) -> xr.DataArray:
    """Arrivals [arc, period] of `trade` within these periods plus arrivals fixed earlier."""
    total = xr.zeros_like(trade) if fixed_arrivals is None else fixed_arrivals.copy()
    for lag, w in inp.kernel.items():
        total = total + (trade * w).shift(period=lag).fillna(0.0)
    return total


def solve_model(
    inp: Inputs,
    fixed_arrivals: xr.DataArray | None = None,
    solver_log: bool = False,
    timings: Timings | None = None,
    window: bool = False,
) -> Solution:
    """Build, solve and read back one LP (`window`: one of a rolling horizon's, see
    WINDOW_SOLVER_OPTIONS); a non-optimal outcome raises SolveError."""
    timings = timings if timings is not None else Timings()
    with timings.stage("build_s"):
        m = build_model(inp, fixed_arrivals)
    options = {"output_flag": solver_log, **highs_options(inp, window)}
    start = time.perf_counter()
    status, termination = m.solve(solver_name="highs", io_api="direct", **options)
    call = time.perf_counter() - start
    # HiGHS's own clock; the rest of the call is linopy handing over the model and results
    run_time = _highs_run_time(m)
    timings.solver_s += run_time if run_time is not None else call
    timings.build_s += call - run_time if run_time is not None else 0.0
    check_optimal(inp, str(status), str(termination))
    with timings.stage("readback_s"):

        def values(name: str) -> xr.DataArray | None:
            return m.variables[name].solution if name in m.variables else None

        dual = m.constraints["balance"].dual
        return read_back(values, dual, float(m.objective.value or 0.0), inp, fixed_arrivals)


def _highs_run_time(m: linopy.Model) -> float | None:
    highs = getattr(m, "solver_model", None)
    get = getattr(highs, "getRunTime", None)
    return float(get()) if callable(get) else None


def check_optimal(inp: Inputs, status: str, termination: str) -> None:
    if status != "ok" or termination != "optimal":
        raise SolveError(
            f"HiGHS did not find an optimal solution (status {status}, {termination}) for "
            f"periods {inp.periods.index[0]}..{inp.periods.index[-1]}"
        )


def read_back(
    values: Values,
    dual: xr.DataArray,
    objective: float,
    inp: Inputs,
    fixed_arrivals: xr.DataArray | None,
) -> Solution:
    """The Solution of `inp`'s periods from primal values by variable and balance duals."""
    pidx = inp.period_index

    def zeros(dim: str, items: pd.Index) -> Callable[[], xr.DataArray]:
        # built only when the model lacks the variable (most windows have them all)
        shape = (len(items), len(pidx))
        return lambda: xr.DataArray(
            np.zeros(shape), coords={dim: list(items), "period": pidx}, dims=[dim, "period"]
        )

    trade = _solution(values, "trade", zeros("arc", inp.arcs.index))
    found = values("consumption")
    if found is not None:
        blocks = found.fillna(0.0)
        consumption = blocks.sum("block")
        value = (blocks * inp.wtp).sum("block")
    else:
        consumption = value = xr.zeros_like(inp.demand_ref)
    disposal = values("disposal")
    assert disposal is not None  # every model has disposal
    return Solution(
        supply=_solution(values, "supply", zeros("step", inp.steps.index)),
        activity=_solution(values, "activity", lambda: inp.facility_cap),
        trade=trade,
        arrivals=apply_kernel(inp, trade, fixed_arrivals),
        consumption=consumption,
        consumer_value=value,
        stock_level=_solution(values, "stock_level", zeros("node", inp.stocks.index)),
        stock_start=inp.stock_initial.copy(),
        disposal=disposal.fillna(0.0),
        shortfall=_solution(values, "agreement_shortfall", lambda: inp.agree_min),
        price=(dual / inp.discount).fillna(0.0),
        objective=objective,
        status="ok",
        termination="optimal",
    )
