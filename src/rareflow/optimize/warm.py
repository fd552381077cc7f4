"""Build the LP once, re-solve it per window: rolling horizons without rebuilding per period.

`WarmModel` builds the LP of the whole horizon once with linopy (the same constraint
families as `model.build_model`) and keeps its matrix. A rolling window [k, stop) is solved
as the window's part of that matrix, cut out with array operations, not a linopy build:

- columns of periods before k hold the values kept from earlier windows: they leave the LP
  and their terms move into the right-hand sides, so stocks, shipments still travelling and
  used quotas carry over exactly as in a rebuilt window;
- columns of periods from `stop` on are 0 (what a window ships beyond its end is in
  transit, as in a rebuilt window) and leave the LP with the rows of those periods;
- rows of periods before k hold already and leave the LP.

HiGHS gets a window-sized LP, the size a rebuilt window has. When a window's matrix is the
one HiGHS holds (same columns, rows and coefficients: the usual case from one month to the
next), only the bounds, costs and right-hand sides that differ are sent (`changeColsBounds`,
`changeColsCost`, `changeRowsBounds`); otherwise the window's matrix is passed anew
(`_load` says which, counted in `reloads`). Discount factors are counted from the horizon
start in both paths, so the window's objective is the full objective minus the constant of
the fixed columns. The model's structure (matrix, labels) is built once (optimize.structure,
or read from its on-disk store); `refresh` brings the model to other inputs of the same
structure (another information state, an ensemble sample, an outage), and `ModelStore` keeps
models between solves. `resolve` re-solves the whole horizon with new column bounds.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

import highspy
import numpy as np
import pandas as pd
import xarray as xr
from scipy import sparse

from rareflow.optimize import constraints as c
from rareflow.optimize.arrays import data_array
from rareflow.optimize.balance import check_rows
from rareflow.optimize.constraints import restocking_yield
from rareflow.optimize.inputs import Inputs
from rareflow.optimize.model import Solution, SolveError, highs_options, read_back
from rareflow.optimize.structure import Labels, MatrixStore, Structure, structure_key
from rareflow.optimize.timings import Timings


def _changed(held: tuple[np.ndarray, np.ndarray], lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Indices whose (lower, upper) bound differs from what HiGHS holds."""
    return np.flatnonzero((lo != held[0]) | (hi != held[1])).astype(np.int32)


@dataclass(frozen=True)
class _Window:
    """The part of the model's matrix a window [k, stop) solves: which columns (`index`, in
    model order) and rows, the rows' full matrix (to move the fixed columns' terms into the
    right-hand sides) and the window LP's matrix. It depends on the structure alone, so a
    model that serves several runs (an ensemble's samples, a comparison's scenarios) cuts it
    once. Bounds and costs are taken for the window's columns only: the model's arrays span
    the whole horizon, twenty times more."""

    index: np.ndarray  # the window's columns
    rows: np.ndarray  # bool, the window's rows
    row_matrix: sparse.csr_matrix  # rows x every column
    matrix: sparse.csr_matrix  # rows x index
    balance: np.ndarray  # which of the window's rows are balance rows
    inside: np.ndarray  # which of the window's columns have a period (not timeless)

    @classmethod
    def cut(
        cls,
        matrix: sparse.csr_matrix,
        cols: np.ndarray,
        rows: np.ndarray,
        balance_rows: np.ndarray,
        col_period: np.ndarray,
    ) -> _Window:
        row_matrix = matrix[rows]
        index = np.flatnonzero(cols)
        return cls(
            index,
            rows,
            row_matrix,
            row_matrix[:, cols],
            balance_rows[rows],
            col_period[index] >= 0,
        )


@dataclass
class _Loaded:
    """The window LP HiGHS holds: its matrix and what was last sent of bounds and costs."""

    matrix: sparse.csr_matrix
    bounds: tuple[np.ndarray, np.ndarray]
    cost: np.ndarray
    row_bounds: tuple[np.ndarray, np.ndarray]

    def same_matrix(self, other: sparse.csr_matrix) -> bool:
        a = self.matrix
        return a is other or (
            a.shape == other.shape
            and np.array_equal(a.indptr, other.indptr)
            and np.array_equal(a.indices, other.indices)
            and np.array_equal(a.data, other.data)
        )


def _cells(labels: np.ndarray, position: np.ndarray, values: np.ndarray) -> np.ndarray:
    """`values` (by matrix column or row) of each label in `labels`, 0 where a label is
    masked (-1) or not in the matrix."""
    where = np.where(labels >= 0, position[np.maximum(labels, 0)], -1)
    return np.where(where >= 0, values[np.maximum(where, 0)], 0.0)


def _broadcast(value: xr.DataArray, labels: Labels) -> np.ndarray:
    """`value`'s data on `labels`' cells. Where `value`'s coordinates are the labels' own, in
    the same order (as the build's functions make them), numpy broadcasts it; otherwise
    xarray aligns it by coordinate."""
    dims = labels.dims
    if all(
        d in dims and d in value.indexes and value.indexes[d].equals(labels.index_of(d))
        for d in value.dims
    ):
        order = [d for d in dims if d in value.dims]
        data = np.transpose(value.to_numpy(), [value.dims.index(d) for d in order])
        shape = [value.sizes[d] if d in value.dims else 1 for d in dims]
        return np.broadcast_to(data.reshape(shape), labels.raw.shape)
    return value.broadcast_like(labels.array()).transpose(*dims).to_numpy()


def _labelled(data: np.ndarray, labels: Labels, periods: pd.Index) -> xr.DataArray:
    """`data`, shaped like `labels` over `periods`, labelled by their coordinates (read back
    per window and kind, so made on the arrays' fast path)."""
    return data_array(
        data, *[(periods if d == "period" else labels.coords[d]).rename(d) for d in labels.dims]
    )


@dataclass(frozen=True)
class _Placement:
    """Where a variable's or constraint's cells sit in the matrix: the flat index of each
    cell in the matrix (`cells`, into the labels' shape) and its column or row (`at`). The
    same for every refresh of a structure, so it is found once."""

    cells: np.ndarray
    at: np.ndarray

    @classmethod
    def of(cls, position: np.ndarray, labels: Labels) -> _Placement:
        raw = labels.raw.reshape(-1)
        ok = np.flatnonzero(raw >= 0)
        where = position[raw[ok]]
        found = where >= 0
        return cls(ok[found], where[found])

    def scatter(self, target: np.ndarray, labels: Labels, value: xr.DataArray | float) -> None:
        """Write `value` (broadcast onto `labels`' cells) into `target` at each cell's place."""
        if isinstance(value, xr.DataArray):
            data = _broadcast(value, labels)
            target[self.at] = data.reshape(-1)[self.cells]
        else:
            target[self.at] = float(value)


class WarmModel:
    """The LP of `inp`'s whole horizon, re-solved in place per window (the module docstring).
    `structure` is a built LP of inputs with the same structure_key (from a cache): it is
    refreshed to `inp` instead of building one. `key` is structure_key(inp) when the caller
    has it already."""

    def __init__(
        self,
        inp: Inputs,
        timings: Timings | None = None,
        structure: Structure | None = None,
        key: bytes | None = None,
    ) -> None:
        self.inp = inp
        self.timings = timings if timings is not None else Timings()
        with self.timings.stage("build_s"):
            built = structure if structure is not None else Structure.build(inp, key)
            self.structure = built
            self.vlabels, self.clabels = built.vlabels, built.clabels
            self.lb, self.ub, self.cost = built.lb.copy(), built.ub.copy(), built.cost.copy()
            self.sense = built.sense
            self.row_lo = np.where(self.sense != "<", built.rhs, -np.inf)
            self.row_hi = np.where(self.sense != ">", built.rhs, np.inf)
            self.matrix = built.matrix
            self.highs = highspy.Highs()
            self.highs.setOptionValue("output_flag", False)
            # every LP this model solves is a rolling window (resolve aside, which tests use)
            for option, value in highs_options(inp, window=True).items():
                self.highs.setOptionValue(option, value)
            self.loaded: _Loaded | None = None  # the window LP HiGHS holds
            self.reloads = 0  # windows whose matrix differed from the one held
            self.col_period, self.row_period = built.col_period, built.row_period
            self.x = np.zeros(len(self.vlabels))
            self.reach = 0  # periods [0, reach) may hold values in x; later ones are 0
            self.dual = np.zeros(len(self.clabels))  # row duals of the last solve
            self.nvar, self.ncon = built.nvar, built.ncon
            # the labels of every variable by period (and of the balance rows), for read-back
            self.labels = {n: v for n, v in built.variables.items() if v.periods is not None}
            self.balance_labels = built.constraints["balance"]
            # the matrix column of every variable label and the row of every constraint label
            self.position = np.full(self.nvar, -1, dtype=np.int64)
            self.position[self.vlabels] = np.arange(len(self.vlabels))
            self.row_position = np.full(self.ncon, -1, dtype=np.int64)
            self.row_position[self.clabels] = np.arange(len(self.clabels))
            self.placements: dict[tuple[str, str], _Placement] = {}
            self.held_rows = self._rows_of("stock_held")
            self.balance_rows = self._rows_of("balance")
            self.buffer_cols, self.buffer_period, self.buffer_cap = self._buffer_columns()
            self.balance = (0.0, 0.0)  # (largest residual, tolerance) of the last solve
            # windows cut, by (k, stop), kept once the model serves a second run (a run solves
            # each window once: keeping them then would only cost memory)
            self.windows: dict[tuple[int, int], _Window] = {}
            self.keep_windows = False
        if structure is not None and not self.refresh(inp, key):
            raise ValueError("the structure given does not fit these inputs (Structure.fits)")

    def _load(
        self,
        part: sparse.csr_matrix,
        bounds: tuple[np.ndarray, np.ndarray],
        cost: np.ndarray,
        row_bounds: tuple[np.ndarray, np.ndarray],
    ) -> None:
        """Give HiGHS the window LP with matrix `part` and these bounds and costs: in place
        when HiGHS holds the same matrix, else passed anew."""
        held = self.loaded
        if held is not None and held.same_matrix(part):
            # HiGHS's edit costs grow with what is sent: only what differs
            idx = _changed(held.bounds, *bounds)
            if len(idx):
                self.highs.changeColsBounds(len(idx), idx, bounds[0][idx], bounds[1][idx])
            idx = np.flatnonzero(cost != held.cost).astype(np.int32)
            if len(idx):
                self.highs.changeColsCost(len(idx), idx, cost[idx])
            idx = _changed(held.row_bounds, *row_bounds)
            if len(idx):
                lo, hi = row_bounds[0][idx], row_bounds[1][idx]
                self.highs.changeRowsBounds(len(idx), idx, lo, hi)  # type: ignore[attr-defined]
        else:
            # another shape (the horizon's last windows, a period with other coefficients)
            self.reloads += 1
            h = self.highs
            h.clearModel()
            n = part.shape[1]
            h.addVars(n, bounds[0], bounds[1])
            h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
            h.addRows(
                part.shape[0],
                row_bounds[0],
                row_bounds[1],
                part.nnz,
                part.indptr,
                part.indices,
                part.data,
            )
        self.loaded = _Loaded(part, bounds, cost, row_bounds)

    def _placed(self, kind: str, name: str) -> _Placement:
        """The placement of variable (`kind` "column") or constraint ("row") `name`."""
        found = self.placements.get((kind, name))
        if found is None:
            if kind == "column":
                found = _Placement.of(self.position, self.structure.variables[name])
            else:
                found = _Placement.of(self.row_position, self.structure.constraints[name])
            self.placements[(kind, name)] = found
        return found

    def _rows_of(self, constraint: str) -> np.ndarray:
        """Which matrix rows belong to `constraint` (all False when the model has none)."""
        out = np.zeros(len(self.clabels), dtype=bool)
        found = self.structure.constraints.get(constraint)
        if found is None:
            return out
        rows = self.row_position[found.raw[found.raw >= 0]]
        out[rows[rows >= 0]] = True
        return out

    def _buffer_columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Columns of `buffer` (the valued stock), their period and size: what a tonne of it
        is worth depends on where the window ends (constraints.buffer_worth), so its bound
        and cost move with the window."""
        self.buffer_value = self.buffer_yield = np.zeros(0)
        labels = self.structure.variables.get("buffer")
        if labels is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
        placed = self._placed("column", "buffer")
        period = np.unravel_index(placed.cells, labels.raw.shape)[labels.dims.index("period")]
        inp = self.inp

        def cells(value: xr.DataArray) -> np.ndarray:
            return _broadcast(value, labels).reshape(-1)[placed.cells]

        cap = cells(inp.buffer_target)
        per_node = (restocking_yield(inp) * inp.discount).sel(node=labels.index_of("node"))
        # USD per t of each column (discounted) at a window's end, and before it (held mode)
        self.buffer_value = cells(inp.buffer_value * inp.discount)
        self.buffer_yield = cells(per_node) * (cap > 0) * float(inp.stocks_held)
        return placed.at, period, cap

    def refresh(self, inp: Inputs, key: bytes | None = None) -> bool:
        """Make this the model of `inp` by changing bounds, costs and right-hand sides only,
        when `inp` has this model's structure (structure_key); False, and nothing changed,
        when it has not (the caller builds a model for it). Every value comes from the same
        functions the build uses (constraints.variable_uppers, objective_coefficients,
        right_hand_sides), so a refreshed model is the model a build would make. `key` is
        structure_key(inp) when the caller has it already."""
        if not self.structure.fits(inp, key):
            return False  # another structure, or an agreement row this model lacks
        with self.timings.stage("update_s"):
            variables, constraints = self.structure.variables, self.structure.constraints
            for name, upper in c.variable_uppers(inp).items():
                if name in variables:
                    self._placed("column", name).scatter(self.ub, variables[name], upper)
            cost = np.zeros(len(self.vlabels))
            for name, coefficient in c.objective_coefficients(inp).items():
                if name in variables:
                    self._placed("column", name).scatter(cost, variables[name], coefficient)
            self.cost = cost
            rhs = np.where(self.sense == "<", self.row_hi, self.row_lo)
            for name, value in c.right_hand_sides(inp, set(constraints)).items():
                self._placed("row", name).scatter(rhs, constraints[name], value)
            self.row_lo = np.where(self.sense != "<", rhs, -np.inf)
            self.row_hi = np.where(self.sense != ">", rhs, np.inf)
            self.inp = inp
            self.buffer_cols, self.buffer_period, self.buffer_cap = self._buffer_columns()
        return True

    def solve_window(self, k: int, stop: int, window: pd.Index) -> float:
        """Solve periods [k, stop) with earlier periods fixed (`window`: their labels, named
        in errors); the window's objective. Its values stay in `x` (read with
        `values_at`, or for the whole run with `solution`) and its row duals in `dual`."""
        with self.timings.stage("update_s"):
            part = self._window(k, stop)
            index = part.index
            lo, hi, cost = self.lb[index], self.ub[index], self.cost[index]
            b, bp = self.buffer_cols, self.buffer_period
            if len(b):
                # the valued stock's bound and worth depend on where the window ends
                end = bp == stop - 1
                earlier = (bp >= k) & (bp < stop - 1) & (self.buffer_yield > 0)
                cap = np.where(end | earlier, self.buffer_cap, 0.0)
                worth = -np.where(end, self.buffer_value, np.where(earlier, self.buffer_yield, 0))
                where = np.searchsorted(index, b)
                ours = (where < len(index)) & (index[np.minimum(where, len(index) - 1)] == b)
                hi[where[ours]] = cap[ours]
                cost[where[ours]] = worth[ours]
            # the earlier periods' kept values, held fixed; the window's own columns and (after
            # a longer window) what lies beyond its end are not held
            held = self.x.copy()
            held[index] = 0.0
            if stop < self.reach:
                held[self.col_period >= stop] = 0.0
            shift = part.row_matrix @ held
        x = self._run(part, (lo, hi), cost, shift, window)
        with self.timings.stage("readback_s"):
            if stop < self.reach:
                # a shorter window than the last: what it saw beyond this one's end is not kept
                self.x[self.col_period >= stop] = 0.0
            self.x[index] = x
            self.reach = stop
            return float(cost[part.inside] @ x[part.inside])

    def new_run(self) -> None:
        """Start another rolling run on this model: nothing kept yet, and from now on the
        windows it cuts are kept (each will be solved again in this run)."""
        self.x = np.zeros(len(self.vlabels))
        self.reach = 0
        self.keep_windows = True

    def _window(self, k: int, stop: int) -> _Window:
        """The columns and rows of window [k, stop) and its matrices (cut once)."""
        found = self.windows.get((k, stop))
        if found is None:
            cp, rp = self.col_period, self.row_period
            cols = (cp < 0) | ((cp >= k) & (cp < stop))
            rows = ~((rp >= 0) & ((rp < k) | (rp >= stop)))
            rows &= ~(self.held_rows & (rp == k))  # a window's first period decides its stocks
            found = _Window.cut(self.matrix, cols, rows, self.balance_rows, cp)
            if self.keep_windows:
                self.windows[(k, stop)] = found
        return found

    def values_at(self, name: str, k: int) -> np.ndarray | None:
        """The kept values of variable `name` in period k (its other dimensions in label
        order, 0 where a cell is masked); None when the model has no such variable."""
        labels = self.labels.get(name)
        if labels is None:
            return None
        return _cells(labels.at(k), self.position, self.x)

    def balance_dual_at(self, k: int) -> np.ndarray:
        """The balance rows' duals of period k from the last solve, by node (USD/t,
        discounted)."""
        return _cells(self.balance_labels.at(k), self.row_position, self.dual)

    def repeat_period(self, source: int, target: int) -> None:
        """Keep for period `target` the values kept for period `source` (its window was the
        same LP one period on), so later windows fix the right values."""
        for labels in self.labels.values():
            src, dst = labels.at(source).ravel(), labels.at(target).ravel()
            ok = (src >= 0) & (dst >= 0)
            src_col, dst_col = self.position[src[ok]], self.position[dst[ok]]
            ok = (src_col >= 0) & (dst_col >= 0)
            self.x[dst_col[ok]] = self.x[src_col[ok]]

    def solution(self, inp: Inputs, duals: np.ndarray, objective: float, stop: int) -> Solution:
        """The Solution of the kept periods [0, stop) of a rolling run, read once from `x`;
        `duals` (shaped like the balance labels) are the balance duals each period's own
        window gave."""
        part = inp if stop == len(inp.periods) else inp.window(0, stop)
        kept = duals[self.balance_labels.index(slice(0, stop))]
        with self.timings.stage("readback_s"):
            return self._solution(self.x, kept, objective, part, None, slice(0, stop))

    def resolve(self, lower: np.ndarray | None = None, upper: np.ndarray | None = None) -> Solution:
        """Re-solve the whole horizon with new column bounds (model column order), warm."""
        with self.timings.stage("update_s"):
            lo = self.lb if lower is None else np.asarray(lower, dtype=float)
            hi = self.ub if upper is None else np.asarray(upper, dtype=float)
            every = np.ones(len(self.vlabels), dtype=bool)
            rows = np.ones(len(self.clabels), dtype=bool)
            whole = _Window.cut(self.matrix, every, rows, self.balance_rows, self.col_period)
            shift = np.zeros(len(self.clabels))
        x = self._run(whole, (lo, hi), self.cost, shift, self.inp.periods.index)
        with self.timings.stage("readback_s"):
            self.x = x
            self.reach = len(self.inp.periods)
            objective = float(self.cost @ x)
            duals = _cells(self.balance_labels.raw, self.row_position, self.dual)
            return self._solution(x, duals, objective, self.inp, None, slice(None))

    def column(self, variable: str) -> xr.DataArray:
        """Model column of every cell of `variable` (-1 where masked), for `resolve`."""
        labels = self.structure.variables[variable]
        raw = labels.raw
        return labels.array().copy(data=np.where(raw >= 0, self.position[np.maximum(raw, 0)], -1))

    def _run(
        self,
        part: _Window,
        bounds: tuple[np.ndarray, np.ndarray],
        cost: np.ndarray,
        shift: np.ndarray,
        periods: pd.Index,
    ) -> np.ndarray:
        """Solve the LP of `part`'s columns x rows (bounds and costs given for its columns),
        the fixed columns' terms (`shift`, by row) moved into the right-hand sides; the
        primal values of `part`'s columns, the row duals in `self.dual` (0 outside its rows)."""
        rows = part.rows
        with self.timings.stage("update_s"):
            row_lo = self.row_lo[rows]
            self._load(part.matrix, bounds, cost, (row_lo - shift, self.row_hi[rows] - shift))
        start = time.perf_counter()
        # from scratch, not from the last window's basis: where optima tie, the vertex a warm
        # start lands on depends on the solve before it (see docs/performance.md)
        self.highs.clearSolver()
        self.highs.run()
        self.timings.solver_s += time.perf_counter() - start
        status = self.highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise SolveError(
                f"HiGHS did not find an optimal solution ({self.highs.modelStatusToString(status)})"
                f" for periods {periods[0]}..{periods[-1]}"
            )
        with self.timings.stage("readback_s"):
            sol = self.highs.getSolution()
            x = np.asarray(sol.col_value, dtype=float)
            self.dual = np.zeros(len(self.clabels))
            self.dual[rows] = np.asarray(sol.row_dual, dtype=float)
            # the solve's mass balance: the window's balance rows at the solution, in t
            balance = part.balance
            residual = (part.matrix @ x + shift)[balance] - row_lo[balance]
            scale = float(np.abs(x).max()) if len(x) else 0.0
            self.balance = check_rows(residual, scale, periods)
        return x

    def _solution(
        self,
        x: np.ndarray,
        duals: np.ndarray,
        objective: float,
        part: Inputs,
        fixed: xr.DataArray | None,
        periods: slice,
    ) -> Solution:
        """`duals`: the balance duals of `periods` per cell, in the balance labels' shape."""
        by_label = np.full(self.nvar, np.nan)
        by_label[self.vlabels] = x
        pidx = part.period_index

        def pick(labels: Labels, source: np.ndarray) -> xr.DataArray:
            # the window's periods only (reading the whole horizon per window is quadratic),
            # on plain arrays: xarray's indexing and alignment cost more than the solve
            raw = labels.window(periods)
            data = np.where(raw >= 0, source[np.maximum(raw, 0)], np.nan)
            return _labelled(data, labels, pidx)

        def values(name: str) -> xr.DataArray | None:
            found = self.labels.get(name)
            return pick(found, by_label) if found is not None else None

        bl = self.balance_labels
        balance = _labelled(duals, bl, pidx)
        return read_back(values, balance, objective, part, fixed)


class ModelStore:
    """The in-place models a caller keeps between solves of variants of one network (an
    ensemble's samples, a comparison's scenarios, outage candidates): `take` refreshes a kept
    model of the same structure instead of building one. Up to `size` structures are kept
    (an ensemble over a network variable, e.g. three elasticities, has one per value)."""

    def __init__(self, size: int = 4, disk: MatrixStore | None = None) -> None:
        self.size = size
        self.models: OrderedDict[bytes, WarmModel] = OrderedDict()
        self.disk = disk if disk is not None else MatrixStore()
        self.built = 0  # models built with linopy (the other takes refreshed or read one)

    def take(self, inp: Inputs, timings: Timings) -> WarmModel:
        """A model of `inp` for a new rolling solve: a kept one refreshed, else built."""
        key = structure_key(inp)
        model = self.models.get(key)
        if model is not None:
            self.models.move_to_end(key)
            model.timings = timings
            if model.refresh(inp, key):
                model.new_run()
                return model
        with timings.stage("build_s"):  # reading a built structure stands for building it
            stored = self.disk.get(key)
        if stored is not None and stored.fits(inp, key):
            model = WarmModel(inp, timings, structure=stored, key=key)
        else:
            model = WarmModel(inp, timings, key=key)
            self.built += 1
            self.disk.put(model.structure)
        self.models[key] = model
        self.models.move_to_end(key)
        while len(self.models) > self.size:
            self.models.popitem(last=False)
        return model
