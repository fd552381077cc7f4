"""Build the LP once, re-solve it in place: rolling horizons without rebuilding per period.

`WarmModel` builds the LP of the whole horizon once with linopy (the same constraint
families as `model.build_model`) and hands it to HiGHS once. A rolling window [k, stop) is
then solved by changing bounds only (HiGHS keeps its basis between runs, a warm start):

- columns of periods before k are fixed at the values kept from earlier windows, so stocks,
  shipments still travelling and used quotas carry over exactly as in a rebuilt window;
- columns of periods from `stop` on are fixed at 0 and their rows are made free, so what a
  window ships beyond its end is in transit, as in a rebuilt window;
- rows of periods before k are made free (they hold already; freeing them avoids reporting
  tolerance-level violations of fixed columns as infeasibility).

Discount factors are counted from the horizon start in both paths, so the window's objective
is the full objective minus the constant of the fixed columns. The structure never changes
between windows (every lever is already data of the one model), so nothing is rebuilt here;
a changed network or lever set needs a new WarmModel. `resolve` re-solves the whole horizon
with new column bounds and costs, the entry point for warm variants (ensembles, SPOF).
"""

from __future__ import annotations

import time

import highspy
import linopy
import numpy as np
import xarray as xr

from rareflow.optimize.constraints import restocking_yield
from rareflow.optimize.inputs import Inputs
from rareflow.optimize.model import Solution, SolveError, build_model, read_back
from rareflow.optimize.timings import Timings


def _period_of(labels: xr.DataArray, size: int) -> np.ndarray:
    """Period position of every label (-1 for labels without a period)."""
    out = np.full(size, -1, dtype=np.int64)
    if "period" not in labels.dims:
        return out
    arr = labels.transpose(..., "period").to_numpy()
    pos = np.broadcast_to(np.arange(arr.shape[-1]), arr.shape)
    used = arr >= 0
    out[arr[used]] = pos[used]
    return out


def _changed(held: tuple[np.ndarray, np.ndarray], lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Indices whose (lower, upper) bound differs from what HiGHS holds."""
    return np.flatnonzero((lo != held[0]) | (hi != held[1])).astype(np.int32)


class WarmModel:
    """The LP of `inp`'s whole horizon in HiGHS, re-solved in place per window."""

    def __init__(
        self, inp: Inputs, timings: Timings | None = None, warm_start: bool = False
    ) -> None:
        self.inp = inp
        self.warm_start = warm_start
        self.timings = timings if timings is not None else Timings()
        with self.timings.stage("build_s"):
            self.model = m = build_model(inp, None)
            mat = m.matrices
            self.vlabels = np.asarray(mat.vlabels)
            self.clabels = np.asarray(mat.clabels)
            self.lb = np.asarray(mat.lb, dtype=float)
            self.ub = np.asarray(mat.ub, dtype=float)
            self.cost = np.asarray(mat.c, dtype=float)
            sense = np.asarray(mat.sense)
            b = np.asarray(mat.b, dtype=float)
            self.row_lo = np.where(sense != "<", b, -np.inf)
            self.row_hi = np.where(sense != ">", b, np.inf)
            rows = mat.A
            assert rows is not None  # every model has its balance rows
            self.highs = self._highs(rows.tocsr())
            nvar = 1 + max(int(m.variables[v].labels.max()) for v in m.variables)
            ncon = 1 + max(int(m.constraints[c].labels.max()) for c in m.constraints)
            col_period = np.full(nvar, -1, dtype=np.int64)
            for name in m.variables:
                col_period = np.maximum(col_period, _period_of(m.variables[name].labels, nvar))
            row_period = np.full(ncon, -1, dtype=np.int64)
            for name in m.constraints:
                row_period = np.maximum(row_period, _period_of(m.constraints[name].labels, ncon))
            self.col_period = col_period[self.vlabels]
            self.row_period = row_period[self.clabels]
            self.x = np.zeros(len(self.vlabels))
            self.nvar, self.ncon = nvar, ncon
            self.buffer_cols, self.buffer_period, self.buffer_cap = self._buffer_columns()
            self.held_rows = self._rows_of("stock_held")
            # the bounds HiGHS holds now: a window only sends the ones that change (the
            # periods it fixes and frees), since HiGHS's edit costs grow with what is sent
            self._col_bounds = (self.lb.copy(), self.ub.copy())
            self._row_bounds = (self.row_lo.copy(), self.row_hi.copy())

    def _set_col_bounds(self, lo: np.ndarray, hi: np.ndarray) -> None:
        idx = _changed(self._col_bounds, lo, hi)
        if len(idx):
            self.highs.changeColsBounds(len(idx), idx, lo[idx], hi[idx])
        self._col_bounds = (lo, hi)

    def _set_row_bounds(self, lo: np.ndarray, hi: np.ndarray) -> None:
        idx = _changed(self._row_bounds, lo, hi)
        if len(idx):
            self.highs.changeRowsBounds(len(idx), idx, lo[idx], hi[idx])  # type: ignore[attr-defined]
        self._row_bounds = (lo, hi)

    def _rows_of(self, constraint: str) -> np.ndarray:
        """Which matrix rows belong to `constraint` (all False when the model has none)."""
        out = np.zeros(len(self.clabels), dtype=bool)
        if constraint not in self.model.constraints:
            return out
        labels = self.model.constraints[constraint].labels.to_numpy()
        pos = np.full(self.ncon, -1, dtype=np.int64)
        pos[self.clabels] = np.arange(len(self.clabels))
        rows = pos[labels[labels >= 0]]
        out[rows[rows >= 0]] = True
        return out

    def _buffer_columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Columns of `buffer` (the valued stock), their period and size: what a tonne of it
        is worth depends on where the window ends (constraints.buffer_worth), so its bound
        and cost move with the window."""
        self.buffer_value = self.buffer_yield = np.zeros(0)
        if "buffer" not in self.model.variables:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
        column = self.column("buffer").transpose("node", "tranche", "period")
        cols = column.to_numpy()
        size = self.inp.buffer_target.sel(node=column["node"], tranche=column["tranche"])
        cap = size.transpose("node", "tranche", "period").to_numpy()
        period = np.broadcast_to(np.arange(cols.shape[2]), cols.shape)
        inp = self.inp
        value = (inp.buffer_value * inp.discount).transpose("node", "tranche", "period")
        per_node = (restocking_yield(inp) * inp.discount).sel(node=column["node"])
        earn = per_node.transpose("node", "period").to_numpy()[:, None, :] * (cap > 0)
        ok = cols >= 0
        # USD per t of each column (discounted) at a window's end, and before it (held mode)
        self.buffer_value = value.to_numpy()[ok]
        self.buffer_yield = np.broadcast_to(earn, cols.shape)[ok] * float(inp.stocks_held)
        return cols[ok], period[ok], cap[ok]

    def _highs(self, a: object) -> highspy.Highs:
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        for key, value in self.inp.options.solver_options.items():
            h.setOptionValue(key, value)
        n = len(self.vlabels)
        h.addVars(n, self.lb, self.ub)
        h.changeColsCost(n, np.arange(n, dtype=np.int32), self.cost)
        csr = a  # scipy csr matrix of the rows
        h.addRows(
            len(self.clabels),
            self.row_lo,
            self.row_hi,
            csr.nnz,  # type: ignore[attr-defined]
            csr.indptr,  # type: ignore[attr-defined]
            csr.indices,  # type: ignore[attr-defined]
            csr.data,  # type: ignore[attr-defined]
        )
        return h

    def solve_window(self, k: int, stop: int, part: Inputs, fixed: xr.DataArray) -> Solution:
        """Solve periods [k, stop) with earlier periods fixed; `part` and `fixed` are the
        window's inputs and earlier arrivals, used only to read the solution back."""
        with self.timings.stage("update_s"):
            cp, rp = self.col_period, self.row_period
            before, after = (cp >= 0) & (cp < k), cp >= stop
            lo = np.where(before, self.x, np.where(after, 0.0, self.lb))
            hi = np.where(before, self.x, np.where(after, 0.0, self.ub))
            b, bp = self.buffer_cols, self.buffer_period
            end = bp == stop - 1
            earlier = (bp >= k) & (bp < stop - 1) & (self.buffer_yield > 0)
            hi[b] = np.where(bp < k, self.x[b], np.where(end | earlier, self.buffer_cap, 0.0))
            cost = self.cost.copy()
            if len(b):
                cost[b] = -np.where(end, self.buffer_value, np.where(earlier, self.buffer_yield, 0))
                self.highs.changeColsCost(len(b), b.astype(np.int32), cost[b])
            free = (rp >= 0) & ((rp < k) | (rp >= stop))
            free |= self.held_rows & (rp == k)  # a window's first period decides its stocks
            self._set_col_bounds(lo, hi)
            self._set_row_bounds(
                np.where(free, -np.inf, self.row_lo), np.where(free, np.inf, self.row_hi)
            )
        x, dual = self._run(part)
        with self.timings.stage("readback_s"):
            # fixed columns keep the value they were fixed at, not the solver's rounding of it
            self.x = np.where(before, self.x, x)
            inside = (cp >= k) & (cp < stop)
            objective = float(cost[inside] @ x[inside])
            return self._solution(x, dual, objective, part, fixed, slice(k, stop))

    def repeat_period(self, source: int, target: int) -> None:
        """Keep for period `target` the values kept for period `source` (its window was the
        same LP one period on), so later windows fix the right values."""
        pos = np.full(self.nvar, -1, dtype=np.int64)
        pos[self.vlabels] = np.arange(len(self.vlabels))
        for name in self.model.variables:
            labels = self.model.variables[name].labels
            if "period" not in labels.dims:
                continue
            both = labels.isel(period=[source, target]).transpose(..., "period").to_numpy()
            both = both.reshape(-1, 2)
            src, dst = both[:, 0], both[:, 1]
            ok = (src >= 0) & (dst >= 0)
            src_col, dst_col = pos[src[ok]], pos[dst[ok]]
            ok = (src_col >= 0) & (dst_col >= 0)
            self.x[dst_col[ok]] = self.x[src_col[ok]]

    def resolve(self, lower: np.ndarray | None = None, upper: np.ndarray | None = None) -> Solution:
        """Re-solve the whole horizon with new column bounds (model column order), warm."""
        with self.timings.stage("update_s"):
            lo = self.lb if lower is None else np.asarray(lower, dtype=float)
            hi = self.ub if upper is None else np.asarray(upper, dtype=float)
            self._set_col_bounds(lo, hi)
            self._set_row_bounds(self.row_lo, self.row_hi)
        x, dual = self._run(self.inp)
        with self.timings.stage("readback_s"):
            self.x = x
            objective = float(self.cost @ x)
            return self._solution(x, dual, objective, self.inp, None, slice(None))

    def column(self, variable: str) -> xr.DataArray:
        """Model column of every cell of `variable` (-1 where masked), for `resolve`."""
        labels = self.model.variables[variable].labels
        pos = np.full(self.nvar, -1, dtype=np.int64)
        pos[self.vlabels] = np.arange(len(self.vlabels))
        return labels.copy(data=np.where(labels.to_numpy() >= 0, pos[labels.to_numpy()], -1))

    def _run(self, part: Inputs) -> tuple[np.ndarray, np.ndarray]:
        start = time.perf_counter()
        if not self.warm_start:
            self.highs.clearSolver()  # same vertex as a fresh model when optima tie
        self.highs.run()
        self.timings.solver_s += time.perf_counter() - start
        status = self.highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise SolveError(
                f"HiGHS did not find an optimal solution ({self.highs.modelStatusToString(status)})"
                f" for periods {part.periods.index[0]}..{part.periods.index[-1]}"
            )
        sol = self.highs.getSolution()
        return np.asarray(sol.col_value, dtype=float), np.asarray(sol.row_dual, dtype=float)

    def _solution(
        self,
        x: np.ndarray,
        dual: np.ndarray,
        objective: float,
        part: Inputs,
        fixed: xr.DataArray | None,
        periods: slice,
    ) -> Solution:
        by_label = np.full(self.nvar, np.nan)
        by_label[self.vlabels] = x
        duals = np.full(self.ncon, np.nan)
        duals[self.clabels] = dual
        m: linopy.Model = self.model
        pidx = part.period_index

        def pick(labels: xr.DataArray, source: np.ndarray) -> xr.DataArray:
            # the window's periods first: reading the whole horizon per window is quadratic
            window = labels.isel(period=periods)
            raw = window.to_numpy()
            data = np.where(raw >= 0, source[np.maximum(raw, 0)], np.nan)
            return window.copy(data=data).assign_coords(period=pidx)

        def values(name: str) -> xr.DataArray | None:
            return pick(m.variables[name].labels, by_label) if name in m.variables else None

        balance = pick(m.constraints["balance"].labels, duals)
        return read_back(values, balance, objective, part, fixed)
