"""Rolling solves: windows of periods solved one after another, each knowing only the events
announced by its start (information states), with stocks, shipments in transit and used
quotas carried from window to window. The in-place model (optimize.warm) serves every window
and every state it can; the rebuild path builds a linopy model per window."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from rareflow.horizon import Horizon
from rareflow.network import Network
from rareflow.optimize.arrays import labels
from rareflow.optimize.balance import MassBalanceError, check_mass_balance, node_flows
from rareflow.optimize.inputs import Inputs, NetworkArrays, SolveOptions, build_inputs
from rareflow.optimize.levers import Levers
from rareflow.optimize.model import Solution, solve_model
from rareflow.optimize.timings import Timings
from rareflow.optimize.warm import ModelStore, WarmModel

# progress(done, total, label): called after each LP solve
Progress = Callable[[int, int, str], None]


@dataclass
class RollingRun:
    inputs: Inputs
    solution: Solution
    flows: dict[str, xr.DataArray]  # node flows of the whole horizon
    in_transit: xr.DataArray  # [arc] t still travelling at the horizon end
    solves: int  # windows, each an LP...
    repeated: int  # ...of which this many were the previous window's LP again (not re-solved)
    solver_objectives: list[float]
    max_residual: float
    tolerance: float


@dataclass(frozen=True)
class State:
    """What a rolling solve knows from period `first` on: the inputs of the levers announced
    by then, and the window that reaches the arrival of what it ships under the lead times and
    licence delays it knows of."""

    first: int
    inputs: Inputs
    size: int


def information_states(
    network: Network,
    horizon: Horizon,
    levers: Levers,
    options: SolveOptions,
    normal: xr.DataArray | None,
    full: Inputs,
    base_size: int,
    base: NetworkArrays | None = None,
) -> list[State]:
    """What a rolling solve knows, period by period: from each announcement date inside the
    horizon on, the levers announced by then (Levers.known_before). A window starting at period
    k is built from the last state starting at or before k, so a lead time or a licence delay
    never shows policy not yet announced, and a delay not yet announced does not lengthen the
    window either. Perfect foresight (one window) sees everything: one state, the full inputs.
    `base` (NetworkArrays) is shared by every state's inputs when given."""
    n = len(full.periods)
    if base_size >= n:
        return [State(0, full, n)]
    # a period knows what was announced before its end: an event announced (and starting)
    # mid-period is in force in that period, so its solve must see it
    ends = pd.to_datetime(full.periods["end"]).reset_index(drop=True)
    dates = levers.announcements()
    states: list[State] = []
    known_count = -1
    for k, when in enumerate(ends):
        count = sum(1 for d in dates if d < when)
        if count == known_count:
            continue
        known_count = count
        known = levers if count == len(dates) else levers.known_before(when)
        inputs = (
            full
            if count == len(dates)
            else build_inputs(network, horizon, known, options, normal, base)
        )
        size = max(base_size, longest_lag(network, horizon, known, options) + 1)
        states.append(State(k, inputs, min(size, n)))
    return states


def longest_lag(network: Network, horizon: Horizon, levers: Levers, options: SolveOptions) -> int:
    """Periods the longest transit takes. (A licence's processing time is not a lag the
    market decides over: the approvals are known in advance, optimize.licences.)"""
    lead = pd.to_numeric(network.arcs["lead_time_months"], errors="coerce").fillna(0.0)
    months = float(lead.max() if len(lead) else 0.0)
    return int(np.ceil(months / horizon.months_per_period - 1e-9))


class Counter:
    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress = progress
        self.total = total
        self.done = 0

    def step(self, label: str, steps: int = 1) -> None:
        self.done += steps
        if self.progress is not None:
            self.progress(min(self.done, self.total), self.total, label)


@dataclass(frozen=True)
class _Kept:
    """What a window leaves to the next: its objective, the departures [arc, kept period]
    and closing stocks [stock node] of its kept periods, and their Solution (None when the
    window was solved in place: the model keeps its values, read once at the end)."""

    objective: float
    trade: np.ndarray
    stock: np.ndarray | None
    solution: Solution | None


def roll(
    inp: Inputs,
    size: int,
    counter: Counter | None,
    label: str,
    timings: Timings,
    reuse_model: bool = True,
    states: list[State] | None = None,
    store: ModelStore | None = None,
) -> RollingRun:
    """Solve windows of `size` periods, keep the first period of each (all for one window).

    `states` (information_states) gives the inputs each window is built from; the kept
    period of a window is the same in all of them (what is in force at t is announced by t),
    so stocks, arrivals and quotas carry over from `inp`."""
    n = len(inp.periods)
    states = states or [State(0, inp, size)]
    arcs = list(inp.arcs.index)
    fixed = np.zeros((len(arcs), n))  # arrivals from kept departures, by arrival period
    kernel = {lag: w.transpose("arc", "period").to_numpy() for lag, w in inp.kernel.items()}
    in_transit = np.zeros(len(arcs))
    # what earlier windows left, as numpy (made into labelled arrays only for a rebuilt window)
    used = np.zeros(inp.quota_total.shape)
    stock = inp.stock_initial.to_numpy().astype(float)
    kept: list[Solution] = []  # kept periods of rebuilt windows
    in_place = 0  # periods [0, in_place) were kept in the in-place model
    last_flows: dict[str, xr.DataArray] = {}
    objectives: list[float] = []
    worst, tol = 0.0, 0.0
    warm = _WarmStates(states, timings, store) if reuse_model and size < n else None
    arrays: dict[int, _Arrays] = {}  # each state's, made when a window of it needs a key
    previous: tuple[bytes, _Kept] | None = None  # the last window solved, by its key
    repeats = 0
    k = 0
    while k < n:
        known = _state_at(states, k)
        stop = min(k + known.size, n)
        # one window over the whole horizon (perfect foresight, or a lag as long as the
        # horizon with nothing to learn on the way) is solved once; else one period is kept
        keep = n - k if len(states) == 1 and known.size >= n else 1
        window = inp.periods.index[k:stop]
        quota_left = inp.quota_total.to_numpy() - used
        key = (
            window_key(
                _state_arrays(arrays, known),
                k,
                stop,
                (stock, quota_left),
                fixed[:, k:stop],
            )
            if keep == 1
            else b""
        )
        objective = warm.solve_window(k, stop, window) if warm and key != _key(previous) else None
        if previous is not None and key == previous[0]:
            # the same LP as the window before (a month of the same year, stocks and arrivals
            # as before): its solution, one period on; already checked for mass balance
            step = _moved(previous[1], window, warm, k)
            repeats += 1
        elif objective is not None and warm is not None:
            # every solve is checked over all its periods, not only the kept one: on its LP's
            # balance rows in place (the kept periods are checked node by node below)
            trade, level = warm.kept(k)
            step = _Kept(objective, trade[:, None], level, None)
            w, t = warm.balance()
            worst, tol = max(worst, w), max(tol, t)
        else:
            # the rebuild path: this window's inputs as xarray, built with linopy
            part_inputs = known.inputs.window(k, stop)
            part_inputs.stock_initial = inp.stock_initial.copy(data=stock)
            part_inputs.quota_total = inp.quota_total.copy(data=quota_left)
            fixed_da = xr.DataArray(
                fixed[:, k:stop],
                coords={"arc": arcs, "period": part_inputs.period_index},
                dims=["arc", "period"],
            )
            sol = solve_model(part_inputs, fixed_da, timings=timings, window=keep == 1)
            with timings.stage("readback_s"):
                last_flows = node_flows(part_inputs, sol)
                w, t = check_mass_balance(last_flows)
            worst, tol = max(worst, w), max(tol, t)
            part = sol.keep(0, keep)
            level = part.stock_level.isel(period=-1).to_numpy() if len(inp.stocks) else None
            step = _Kept(sol.objective, part.trade.to_numpy(), level, part)
        in_place = k + keep if step.solution is None else in_place
        if step.solution is not None:
            kept.append(step.solution)
        previous = (key, step) if keep == 1 else None
        objectives.append(step.objective)
        stock = np.asarray(step.stock, dtype=float) if step.stock is not None else stock
        _ship_on(kernel, step.trade, k, keep, fixed, in_transit)
        if inp.quota_total.sizes.get("quota", 0):
            coef = inp.quota_coef.isel(period=slice(k, k + keep))
            spent = (coef * coef[0].copy(data=step.trade)).sum(["arc", "period"])
            used = used + spent.transpose(*inp.quota_total.dims).to_numpy()
        if counter is not None:
            counter.step(f"{label} {window[0]}")
        k += keep
    if in_place:
        assert warm is not None
        kept.insert(0, warm.solution(inp, in_place))
    return _finish(inp, kept, last_flows, (worst, tol), in_transit, objectives, repeats, timings)


def _key(previous: tuple[bytes, _Kept] | None) -> bytes | None:
    return previous[0] if previous is not None else None


def _moved(step: _Kept, window: pd.Index, warm: _WarmStates | None, k: int) -> _Kept:
    """A repeated window's kept period (`window`: its periods): the one before, one period
    on."""
    if step.solution is None:
        assert warm is not None
        warm.repeat(k, step.objective)
        return step
    kept = window[: len(step.solution.trade["period"])]
    solution = step.solution.relabel(labels(kept, "period"))
    return dataclasses.replace(step, solution=solution)


def _finish(
    inp: Inputs,
    kept: list[Solution],
    last_flows: dict[str, xr.DataArray],
    checked: tuple[float, float],
    in_transit: np.ndarray,
    objectives: list[float],
    repeats: int,
    timings: Timings,
) -> RollingRun:
    """The run's Solution from its kept periods, checked node by node."""
    worst, tol = checked
    solution = _concat(kept)
    if len(objectives) == 1:
        flows = last_flows  # the single solve covered the whole horizon and was checked
        w, t = worst, tol
    else:
        with timings.stage("readback_s"):
            flows = node_flows(inp, solution)
            w, t = check_mass_balance(flows)
    _check_transport(solution, in_transit, t)
    return RollingRun(
        inputs=inp,
        solution=solution,
        flows=flows,
        in_transit=xr.DataArray(in_transit, coords={"arc": list(inp.arcs.index)}, dims=["arc"]),
        solves=len(objectives),
        repeated=repeats,
        solver_objectives=objectives,
        max_residual=max(worst, w),
        tolerance=max(tol, t),
    )


def _ship_on(
    kernel: dict[int, np.ndarray],
    trade: np.ndarray,
    k: int,
    keep: int,
    fixed: np.ndarray,
    in_transit: np.ndarray,
) -> None:
    """Add the departures `trade` [arc, kept period] of the kept periods [k, k + keep) that
    arrive after them to `fixed` [arc, period] (arrivals later windows take as given) or,
    beyond the horizon, to `in_transit` [arc]. `kernel`: the share of a departure arriving
    `lag` periods later, by lag, [arc, period] (the inputs' kernel as numpy)."""
    n = fixed.shape[1]
    for lag, weights in kernel.items():
        sent = trade * weights[:, k : k + keep]
        target = k + np.arange(keep) + lag
        inside = (target >= k + keep) & (target < n)
        np.add.at(fixed.T, target[inside], sent[:, inside].T)
        in_transit += sent[:, target >= n].sum(axis=1)


# the inputs a rolling solve sets per window (what earlier windows left), not the state's
_CARRIED = ("stock_initial", "quota_total")


class _Arrays:
    """An information state's input arrays as numpy, period last, so that a window's key is
    cut with numpy slices: building each window's xarray inputs only to hash them cost more
    than the in-place solve of the window."""

    def __init__(self, inp: Inputs) -> None:
        self.by_period: list[tuple[str, np.ndarray]] = []
        fixed = hashlib.sha256()  # the arrays without a period: the same in every window
        for f in dataclasses.fields(inp):
            value = getattr(inp, f.name)
            if not isinstance(value, xr.DataArray) or f.name in _CARRIED:
                continue
            data = np.asarray(value.to_numpy(), dtype=float)
            if "period" in value.dims:
                axis = value.dims.index("period")
                self.by_period.append((f.name, np.moveaxis(data, axis, -1)))
            else:
                fixed.update(f.name.encode())
                fixed.update(np.ascontiguousarray(data).tobytes())
        for lag, weights in sorted(inp.kernel.items()):
            axis = weights.dims.index("period")
            data = np.moveaxis(np.asarray(weights.to_numpy(), dtype=float), axis, -1)
            self.by_period.append((f"kernel{lag}", data))
        self.fixed = fixed.digest()


def _state_arrays(arrays: dict[int, _Arrays], state: State) -> _Arrays:
    """`state`'s arrays, made the first time one of its windows needs a key (a single window
    over the whole horizon needs none)."""
    found = arrays.get(state.first)
    if found is None:
        found = arrays[state.first] = _Arrays(state.inputs)
    return found


def window_key(
    arrays: _Arrays, k: int, stop: int, carried: tuple[np.ndarray, ...], fixed: np.ndarray
) -> bytes:
    """A digest of everything window [k, stop)'s LP is made of except its period labels: the
    state's arrays in its periods, what earlier windows left (`carried`: stocks, quotas left)
    and the arrivals they fixed. Two windows with the same key are the same LP, so the second
    needs no solve."""
    digest = hashlib.sha256(arrays.fixed)
    for name, data in arrays.by_period:
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(data[..., k:stop]).tobytes())
    for value in carried:
        digest.update(np.ascontiguousarray(value, dtype=float).tobytes())
    digest.update(np.ascontiguousarray(fixed, dtype=float).tobytes())
    return digest.digest()


def _state_at(states: list[State], k: int) -> State:
    """The last information state starting at or before period k."""
    return [state for state in states if state.first <= k][-1]


class _WarmStates:
    """The in-place model of a rolling solve across its information states: built for the
    first state (or taken from `store`, refreshed, when a run before left one of the same
    structure), then refreshed to each later state's bounds, costs and right-hand sides
    (WarmModel.refresh). A state with another structure gets a model of its own, built, which
    takes over the values kept so far; if even its columns differ, the rest of the run
    rebuilds per window (`done` then holds the model of the periods solved in place).

    Windows solved in place are not read back one by one: their kept values stay in the
    model and each kept period's balance duals in `duals`; `solution` reads them once."""

    def __init__(self, states: list[State], timings: Timings, store: ModelStore | None) -> None:
        self.states = {state.first: state.inputs for state in states}
        self.timings = timings
        self.store = store if store is not None else ModelStore()
        self.model: WarmModel | None = None
        self.current = -1  # the state the model holds
        self.rebuilding = False
        self.done: WarmModel | None = None  # the model holding the periods kept in place
        self.duals = np.zeros(0)  # kept periods' balance duals, shaped like the balance labels
        self.objective = 0.0  # sum of the objectives of the windows solved in place

    def solve_window(self, k: int, stop: int, window: pd.Index) -> float | None:
        """Solve the window in place and keep its first period: the window's objective, or
        None when the caller must rebuild it (and every later one)."""
        if self.rebuilding:
            return None
        first = max(f for f in self.states if f <= k)
        if first != self.current:
            self.current = first
            inputs = self.states[first]
            if self.model is None:
                self.model = self.store.take(inputs, self.timings)
                self.duals = np.zeros(self.model.balance_labels.raw.shape)
            elif not self.model.refresh(inputs):
                held = self.model
                self.model = self.store.take(inputs, self.timings)
                if not np.array_equal(self.model.vlabels, held.vlabels):
                    self.rebuilding, self.done = True, held
                    return None
                self.model.x = held.x.copy()  # the periods kept so far, fixed here too
                self.model.reach = held.reach
        model = self.model
        assert model is not None
        objective = model.solve_window(k, stop, window)
        self.objective += objective
        self.duals[model.balance_labels.index(k)] = model.balance_dual_at(k)
        return objective

    def kept(self, k: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Departures [arc] and closing stock levels [stock node] kept for period k."""
        model = self.model
        assert model is not None
        trade = model.values_at("trade", k)
        if trade is None:  # a network without trade routes
            trade = np.zeros(len(model.inp.arcs))
        return trade, model.values_at("stock_level", k)

    def balance(self) -> tuple[float, float]:
        """(largest residual, tolerance) of the last window's balance rows."""
        assert self.model is not None  # called after a window was solved in place
        return self.model.balance

    def repeat(self, k: int, objective: float) -> None:
        """Period k repeats period k - 1 (an identical window): keep its values in the model
        that will fix them for later windows, and its duals."""
        if self.model is not None and not self.rebuilding:
            self.model.repeat_period(k - 1, k)
            bl = self.model.balance_labels
            self.duals[bl.index(k)] = self.duals[bl.index(k - 1)]
            self.objective += objective

    def solution(self, inp: Inputs, stop: int) -> Solution:
        """The Solution of the periods [0, stop) kept in place, read once."""
        model = self.done if self.done is not None else self.model
        assert model is not None
        return model.solution(inp, self.duals, self.objective, stop)


def _concat(parts: list[Solution]) -> Solution:
    if len(parts) == 1:
        return parts[0]
    fields: dict[str, Any] = {}
    for name in Solution.__dataclass_fields__:
        first = getattr(parts[0], name)
        if isinstance(first, xr.DataArray) and "period" in first.dims:
            fields[name] = xr.concat([getattr(p, name) for p in parts], dim="period")
        else:
            fields[name] = first
    fields["objective"] = float(sum(p.objective for p in parts))
    return Solution(**fields)


def _check_transport(sol: Solution, in_transit: np.ndarray, tol: float) -> None:
    """Every tonne shipped either arrived within the horizon or is reported in transit."""
    sent = sol.trade.sum("period").to_numpy()
    arrived = sol.arrivals.sum("period").to_numpy()
    gap = np.abs(sent - arrived - in_transit)
    if gap.size and gap.max() > tol:
        arc = sol.trade.indexes["arc"][int(gap.argmax())]
        raise MassBalanceError(
            f"trade accounting: arc {arc} shipped {sent.max():.6g} t but arrivals plus "
            f"in-transit differ by {gap.max():.3g} t"
        )
