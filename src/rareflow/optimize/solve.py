"""Public entry point: solve a Network over a Horizon under Levers with a chosen foresight."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from rareflow.cache import default_flow_store
from rareflow.network import COMPONENT_COLUMNS, Network
from rareflow.optimize.balance import (
    MassBalanceError,
    check_mass_balance,
    node_flows,
    tidy_flows,
)
from rareflow.optimize.horizon import Horizon
from rareflow.optimize.inputs import Inputs, SolveOptions, build_inputs, node_ids
from rareflow.optimize.levers import Levers, frame_hash
from rareflow.optimize.model import Solution, solve_model
from rareflow.optimize.timings import Timings
from rareflow.optimize.warm import ModelStore, WarmModel
from rareflow.results import TABLES, Result

Foresight = Literal["perfect", "myopic", "window"]
# progress(done, total, label): called after each LP solve
Progress = Callable[[int, int, str], None]


@dataclass
class _Run:
    inputs: Inputs
    solution: Solution
    flows: dict[str, xr.DataArray]  # node flows of the whole horizon
    in_transit: xr.DataArray  # [arc] t still travelling at the horizon end
    solves: int  # windows, each an LP...
    repeated: int  # ...of which this many were the previous window's LP again (not re-solved)
    solver_objectives: list[float]
    max_residual: float
    tolerance: float


def network_hashes(network: Network) -> dict[str, str]:
    return {name: frame_hash(network.component(name)) for name in COMPONENT_COLUMNS}


def _window_size(foresight: str, window: int | None, periods: int) -> int:
    if foresight == "perfect":
        if window is not None:
            raise ValueError("window is only used with foresight='window'")
        return periods
    if foresight == "myopic":
        return 1
    if foresight == "window":
        if window is None or int(window) < 1:
            raise ValueError("foresight='window' needs window >= 1 (periods looked ahead)")
        return int(window)
    raise ValueError(f"foresight '{foresight}' is not one of perfect, myopic, window")


def solve(
    network: Network,
    horizon: Horizon,
    levers: Levers | None = None,
    foresight: Foresight = "perfect",
    window: int | None = None,
    progress: Progress | None = None,
    options: SolveOptions | None = None,
    reuse_model: bool = True,
    models: ModelStore | None = None,
) -> Result:
    """Clear the market over the horizon and return flows, prices, shortfalls and welfare.

    foresight: "perfect" solves the whole horizon as one LP; "myopic" solves one period at a
    time (a shock arrives as a surprise), carrying stocks and shipments in transit;
    "window" solves `window` periods, keeps the first and rolls on.
    reuse_model: a rolling horizon builds its LP once and re-solves it in place per window
    (optimize/warm.py); False rebuilds every window (the older path, kept for comparison).
    models: where a caller keeps the in-place model between solves of variants of one
    network (ensemble samples, comparisons): a later solve refreshes it instead of building.
    """
    started = time.perf_counter()
    # the network's named checks, before anything is built (PyPSA's consistency check)
    findings = network.check_before_solve()
    timings = Timings(calibration_s=_calibration_seconds(network))
    levers = levers if levers is not None else Levers()
    options = options if options is not None else SolveOptions()
    base_size = _window_size(foresight, window, len(horizon))
    size = base_size
    if size < len(horizon):
        # a rolling window must reach the arrival of what it ships, or nothing would ever be
        # shipped on a route with a lead time: extend it to the longest delivery lag (each
        # information state extends it only for the delays it knows, see information_states)
        size = max(size, _longest_lag(network, horizon, levers, options) + 1)
    per_run = 1 if size >= len(horizon) else len(horizon)
    needs_ref = levers.needs_normal_flow()
    total = per_run * (2 if needs_ref else 1)
    counter = _Counter(progress, total)
    normal = None
    if needs_ref:
        normal = reference_flow(
            network,
            horizon,
            levers.reference(),
            size,
            options,
            counter,
            timings,
            reuse_model,
            models,
        )
    with timings.stage("build_s"):
        inp = build_inputs(network, horizon, levers, options, normal)
        states = information_states(network, horizon, levers, options, normal, inp, base_size)
        if base_size == 1:
            # myopic: a window stretched by transit does not trade stocks against its future
            # (one-period windows have no future: their LP stays without those rows)
            inp = dataclasses.replace(inp, stocks_held=size > 1)
            states = [
                dataclasses.replace(s, inputs=dataclasses.replace(s.inputs, stocks_held=s.size > 1))
                for s in states
            ]
    run = _rolling(inp, size, counter, "solve", timings, reuse_model, states, models)
    with timings.stage("readback_s"):
        result = _result(network, horizon, levers, options, foresight, window, size, run)
    timings.total_s = time.perf_counter() - started + timings.calibration_s
    result.summary["timings"] = timings.to_dict()
    result.summary["consistency"] = [f"[{i.check}] {i.message}" for i in findings]
    return result


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
) -> list[State]:
    """What a rolling solve knows, period by period: from each announcement date inside the
    horizon on, the levers announced by then (Levers.known_before). A window starting at period
    k is built from the last state starting at or before k, so a lead time or a licence delay
    never shows policy not yet announced, and a delay not yet announced does not lengthen the
    window either. Perfect foresight (one window) sees everything: one state, the full inputs."""
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
            full if count == len(dates) else build_inputs(network, horizon, known, options, normal)
        )
        size = max(base_size, _longest_lag(network, horizon, known, options) + 1)
        states.append(State(k, inputs, min(size, n)))
    return states


def _calibration_seconds(network: Network) -> float:
    """Calibration time recorded on the network by its builder (0 when none or cached)."""
    try:
        return float(network.meta.get("calibration_s", 0.0))
    except ValueError:
        return 0.0


def _longest_lag(network: Network, horizon: Horizon, levers: Levers, options: SolveOptions) -> int:
    """Periods the longest transit takes. (A licence's processing time is not a lag the
    market decides over: the approvals are known in advance, optimize.licences.)"""
    lead = pd.to_numeric(network.arcs["lead_time_months"], errors="coerce").fillna(0.0)
    months = float(lead.max() if len(lead) else 0.0)
    return int(np.ceil(months / horizon.months_per_period - 1e-9))


class _Counter:
    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress = progress
        self.total = total
        self.done = 0

    def step(self, label: str, steps: int = 1) -> None:
        self.done += steps
        if self.progress is not None:
            self.progress(min(self.done, self.total), self.total, label)


def reference_flow(
    network: Network,
    horizon: Horizon,
    levers: Levers,
    size: int,
    options: SolveOptions,
    counter: _Counter | None = None,
    timings: Timings | None = None,
    reuse_model: bool = True,
    models: ModelStore | None = None,
) -> xr.DataArray:
    """Normal flow [arc, period] in t/yr: the trade of a solve without licence levers.

    Cached by a hash of everything it depends on, in memory and on disk (rareflow.cache).
    """
    store = default_flow_store()
    key = hashlib.sha256(
        json.dumps(
            {
                "version": _versions()["rareflow"],
                "reuse_model": reuse_model,
                "network": network_hashes(network),
                "horizon": horizon.to_dict(),
                "levers": levers.hashes(),
                "size": size,
                "options": options.to_dict(),
            },
            sort_keys=True,
            default=str,
        ).encode()
    ).hexdigest()
    cached = store.get(key)
    if cached is not None:
        if counter is not None:
            # reported like a solve: a listener waiting for each step must see this one too
            counter.step("reference (cached)", 1 if size >= len(horizon) else len(horizon))
        return cached
    timings = timings if timings is not None else Timings()
    with timings.stage("build_s"):
        inp = build_inputs(network, horizon, levers, options, None)
    run = _rolling(inp, size, counter, "reference", timings, reuse_model, store=models)
    flow = run.solution.trade / inp.length
    store.put(key, flow)
    return flow


def _rolling(
    inp: Inputs,
    size: int,
    counter: _Counter | None,
    label: str,
    timings: Timings,
    reuse_model: bool = True,
    states: list[State] | None = None,
    store: ModelStore | None = None,
) -> _Run:
    """Solve windows of `size` periods, keep the first period of each (all for one window).

    `states` (information_states) gives the inputs each window is built from; the kept
    period of a window is the same in all of them (what is in force at t is announced by t),
    so stocks, arrivals and quotas carry over from `inp`."""
    n = len(inp.periods)
    states = states or [State(0, inp, size)]
    arcs = list(inp.arcs.index)
    fixed = np.zeros((len(arcs), n))  # arrivals from kept departures, by arrival period
    in_transit = np.zeros(len(arcs))
    used = xr.zeros_like(inp.quota_total)
    stock = inp.stock_initial.copy()
    kept: list[Solution] = []
    last_flows: dict[str, xr.DataArray] = {}
    objectives: list[float] = []
    worst, tol = 0.0, 0.0
    warm = _WarmStates(states, timings, store) if reuse_model and size < n else None
    previous: tuple[bytes, Solution] | None = None  # the last window solved, by its key
    repeats = 0
    k = 0
    while k < n:
        known = _state_at(states, k)
        stop = min(k + known.size, n)
        # one window over the whole horizon (perfect foresight, or a lag as long as the
        # horizon with nothing to learn on the way) is solved once; else one period is kept
        keep = n - k if len(states) == 1 and known.size >= n else 1
        part_inputs = known.inputs.window(k, stop)
        part_inputs.stock_initial = stock
        part_inputs.quota_total = inp.quota_total - used
        fixed_da = xr.DataArray(
            fixed[:, k:stop],
            coords={"arc": arcs, "period": part_inputs.period_index},
            dims=["arc", "period"],
        )
        key = window_key(part_inputs, fixed_da) if keep == 1 else b""
        if previous is not None and key == previous[0]:
            # the same LP as the window before (a month of the same year, stocks and arrivals
            # as before): its solution, one period on; already checked for mass balance
            sol = previous[1].relabel(part_inputs.period_index)
            if warm is not None:
                warm.repeat(k)
            repeats += 1
        else:
            solved = warm.solve_window(k, stop, part_inputs, fixed_da) if warm else None
            # every solve is checked over all its periods, not only the kept one: on its LP's
            # balance rows in place (the kept periods are checked node by node below)
            if solved is not None and warm is not None:
                sol, (w, t) = solved, warm.balance()
            else:
                sol = solve_model(part_inputs, fixed_da, timings=timings)
                with timings.stage("readback_s"):
                    last_flows = node_flows(part_inputs, sol)
                    w, t = check_mass_balance(last_flows)
            worst, tol = max(worst, w), max(tol, t)
        previous = (key, sol) if keep == 1 else None
        objectives.append(sol.objective)
        part = sol.keep(0, keep)
        kept.append(part)
        stock = part.stock_level.isel(period=-1, drop=True) if len(inp.stocks) else stock
        # shipments of the kept periods arriving after them: fixed for later windows
        for lag, weights in inp.kernel.items():
            sent = part.trade.to_numpy() * weights.isel(period=slice(k, k + keep)).to_numpy()
            target = k + np.arange(keep) + lag
            later = target >= k + keep
            inside = later & (target < n)
            np.add.at(fixed.T, target[inside], sent[:, inside].T)
            in_transit += sent[:, target >= n].sum(axis=1)
        if inp.quota_total.sizes.get("quota", 0):
            coef = inp.quota_coef.isel(period=slice(k, k + keep))
            used = used + (part.trade * coef).sum(["arc", "period"])
        if counter is not None:
            counter.step(f"{label} {part_inputs.periods.index[0]}")
        k += keep
    solution = _concat(kept)
    if len(kept) == 1:
        flows = last_flows  # the single solve covered the whole horizon and was checked
        w, t = worst, tol
    else:
        with timings.stage("readback_s"):
            flows = node_flows(inp, solution)
            w, t = check_mass_balance(flows)
    _check_transport(solution, in_transit, t)
    return _Run(
        inputs=inp,
        solution=solution,
        flows=flows,
        in_transit=xr.DataArray(in_transit, coords={"arc": arcs}, dims=["arc"]),
        solves=len(objectives),
        repeated=repeats,
        solver_objectives=objectives,
        max_residual=max(worst, w),
        tolerance=max(tol, t),
    )


def window_key(part: Inputs, fixed: xr.DataArray) -> bytes:
    """A digest of everything a window's LP is made of except its period labels: two windows
    with the same key are the same LP, so the second needs no solve."""
    digest = hashlib.sha256()
    for f in dataclasses.fields(part):
        value = getattr(part, f.name)
        if isinstance(value, xr.DataArray):
            digest.update(f.name.encode())
            digest.update(np.ascontiguousarray(value.to_numpy(), dtype=float).tobytes())
    for lag, weights in sorted(part.kernel.items()):
        digest.update(f"kernel{lag}".encode())
        digest.update(np.ascontiguousarray(weights.to_numpy(), dtype=float).tobytes())
    digest.update(np.ascontiguousarray(fixed.to_numpy(), dtype=float).tobytes())
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
    rebuilds per window."""

    def __init__(self, states: list[State], timings: Timings, store: ModelStore | None) -> None:
        self.states = {state.first: state.inputs for state in states}
        self.timings = timings
        self.store = store if store is not None else ModelStore()
        self.model: WarmModel | None = None
        self.current = -1  # the state the model holds
        self.rebuilding = False

    def solve_window(self, k: int, stop: int, part: Inputs, fixed: xr.DataArray) -> Solution | None:
        """The window's solution, or None when the caller must rebuild it."""
        if self.rebuilding:
            return None
        first = max(f for f in self.states if f <= k)
        if first != self.current:
            self.current = first
            inputs = self.states[first]
            if self.model is None:
                self.model = self.store.take(inputs, self.timings)
            elif not self.model.refresh(inputs):
                held = self.model
                self.model = self.store.take(inputs, self.timings)
                if not np.array_equal(self.model.vlabels, held.vlabels):
                    self.rebuilding = True
                    return None
                self.model.x = held.x.copy()  # the periods kept so far, fixed here too
        assert self.model is not None
        return self.model.solve_window(k, stop, part, fixed)

    def balance(self) -> tuple[float, float]:
        """(largest residual, tolerance) of the last window's balance rows."""
        assert self.model is not None  # called after a window was solved in place
        return self.model.balance

    def repeat(self, k: int) -> None:
        """Period k repeats period k - 1 (an identical window): keep its values in the model
        that will fix them for later windows."""
        if self.model is not None and not self.rebuilding:
            self.model.repeat_period(k - 1, k)


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


# -- the Result -----------------------------------------------------------------------------


def _versions() -> dict[str, str]:
    out = {}
    for pkg in ("rareflow", "linopy", "highspy", "pandas", "xarray", "numpy"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def _welfare(inp: Inputs, sol: Solution) -> pd.DataFrame:
    """Per period (undiscounted USD): consumer value and every cost, plus welfare."""
    step_cost = xr.DataArray(
        inp.steps["cost"].to_numpy(dtype=float), coords={"step": list(inp.steps.index)}, dims="step"
    )
    fac_cost = xr.DataArray(
        inp.facilities["cost"].to_numpy(dtype=float),
        coords={"facility": list(inp.facilities.index)},
        dims="facility",
    )
    hold = xr.DataArray(
        inp.stocks["holding_cost"].to_numpy(dtype=float),
        coords={"node": list(inp.stocks.index)},
        dims="node",
    )
    base = inp.arc_cost - inp.arc_tax
    parts = {
        "consumer_value": sol.consumer_value.sum("dem"),
        "supply_cost": (sol.supply * step_cost).sum("step"),
        "process_cost": (sol.activity * fac_cost).sum("facility"),
        "transport_cost": (sol.trade * base).sum("arc"),
        "taxes": (sol.trade * inp.arc_tax).sum("arc"),
        "holding_cost": (sol.stock_level * hold * inp.length).sum("node"),
        "disposal_cost": sol.disposal.sum("node") * inp.options.disposal_cost,
        "agreement_penalty": sol.shortfall.sum("arc") * inp.options.agreement_penalty,
    }
    frame = pd.DataFrame({k: v.to_series() for k, v in parts.items()})
    frame = frame.reindex(list(inp.periods.index)).fillna(0.0)
    frame["welfare"] = frame["consumer_value"] - frame.drop(columns="consumer_value").sum(axis=1)
    frame.index.name = "period"
    return frame.reset_index().melt(id_vars="period", var_name="component", value_name="value")


def _join_arcs(frame: pd.DataFrame, arcs: pd.DataFrame) -> pd.DataFrame:
    frame = frame.astype({"arc": object})
    return frame.join(arcs[["origin", "destination", "material"]].astype(object), on="arc")


def at_choke_width(inp: Inputs) -> xr.DataArray:
    """[dem, period] t of demand whose willingness to pay is the choke price: buyers with no
    substitute at any lower price. What of it is not served is a physical shortage (wanted at
    the going price, not supplied); the rest of `unserved` is demand given up because of price.
    Blocks are served from the highest willingness to pay down, so this is the top of the
    curve."""
    top = inp.wtp.max("block")
    at_choke = inp.wtp >= top * (1.0 - 1e-9)
    return inp.block_upper.where(at_choke, 0.0).sum("block")


def _licence_table(inp: Inputs, sol: Solution) -> pd.DataFrame:
    """The licence queues of routes under a regime, long (results.TABLES["licences"])."""
    queue = inp.licence_queue
    if queue is None or not queue.regime.any():
        return pd.DataFrame(columns=list(TABLES["licences"]))
    arcs = list(inp.arcs.index)
    periods = list(inp.periods.index)
    index = pd.MultiIndex.from_product([arcs, periods], names=["arc", "period"])
    allowed = np.where(np.isfinite(queue.cap), queue.cap, np.nan)
    frame = pd.DataFrame(
        {
            "applied": queue.applied.ravel(),
            "approved": queue.approved.ravel(),
            "backlog": queue.backlog.ravel(),
            "allowed": allowed.ravel(),
            "departed": sol.trade.transpose("arc", "period").to_numpy().ravel(),
            "regime": queue.regime.ravel(),
        },
        index=index,
    ).reset_index()
    frame = _join_arcs(frame[frame["regime"]].drop(columns="regime"), inp.arcs)
    return frame[list(TABLES["licences"])].reset_index(drop=True)


def _result(
    network: Network,
    horizon: Horizon,
    levers: Levers,
    options: SolveOptions,
    foresight: str,
    window: int | None,
    size: int,
    run: _Run,
) -> Result:
    inp, sol = run.inputs, run.solution
    flows = tidy_flows(run.flows, inp)

    trade = sol.trade.to_series().rename("value").reset_index()
    trade = trade[trade["value"].abs() > 1e-9]
    trade = _join_arcs(trade, inp.arcs)
    trade = trade[["arc", "origin", "destination", "material", "period", "value"]]

    prices = (sol.price / 1000.0 + 0.0).to_series().rename("price").reset_index()
    prices = prices.join(inp.nodes, on="node")[["region", "material", "period", "price"]]

    ref = inp.demand_ref.to_series().rename("reference")
    consumed = sol.consumption.to_series().rename("consumed")
    short = pd.concat([ref, consumed], axis=1).reset_index()
    short["unserved"] = (short["reference"] - short["consumed"]).clip(lower=0.0)
    choke = at_choke_width(inp).to_series().rename("choke")
    wanted = pd.concat([ref, choke], axis=1)["choke"].to_numpy()
    short["shortage"] = np.clip(wanted - short["consumed"].to_numpy(), 0.0, None)
    share = short["unserved"] / short["reference"].where(short["reference"] > 0)
    short["share"] = share.fillna(0.0)
    short = short.join(inp.demand[["region", "sector", "material"]], on="dem")
    short = short[list(TABLES["shortfalls"])]

    transit = run.in_transit.to_series().rename("value").reset_index()
    transit = transit[transit["value"].abs() > 1e-9]
    transit = _join_arcs(transit, inp.arcs)
    transit = transit[["arc", "origin", "destination", "material", "value"]]

    licences = _licence_table(inp, sol)
    welfare = _welfare(inp, sol)
    per_period = welfare[welfare["component"] == "welfare"].set_index("period")["value"]
    discounted = float((per_period * inp.discount.to_series()).sum())
    summary: dict[str, Any] = {
        "status": "optimal",
        "solver": "highs",
        "foresight": foresight,
        "information": (
            "perfect foresight: every event is known from the start of the horizon"
            if size >= len(horizon)
            else "rolling: each period knows only the events announced before its end"
        ),
        "window": window,
        "window_periods": size,
        "horizon": horizon.to_dict(),
        "periods": list(inp.periods.index),
        "objective": -discounted,
        "welfare": discounted,
        "welfare_undiscounted": float(per_period.sum()),
        "solver_objectives": run.solver_objectives,
        "solves": run.solves,
        "windows_repeated": run.repeated,
        "mass_balance": {"max_residual_t": run.max_residual, "tolerance_t": run.tolerance},
        "in_transit_t": float(run.in_transit.sum()),
        "unserved_t": float(short["unserved"].sum()),
        "agreement_shortfall_t": float(sol.shortfall.sum()),
        "options": options.to_dict(),
        "hashes": {"network": network_hashes(network), "levers": levers.hashes()},
        "meta": {
            k: v
            for k, v in network.meta.items()
            if k not in ("calibration_s", "planning_s", "investment_plan")
        },
        "versions": _versions(),
    }
    return Result(
        flows=flows,
        trade=trade.reset_index(drop=True),
        prices=prices.reset_index(drop=True),
        shortfalls=short.reset_index(drop=True),
        welfare=welfare,
        in_transit=transit.reset_index(drop=True),
        licences=licences,
        capacity=_capacity_table(inp, sol),
        agreements=_agreement_table(inp, sol),
        investments=_investments(network),
        summary=summary,
    )


def _capacity_table(inp: Inputs, sol: Solution) -> pd.DataFrame:
    """Each plant's and mine's activity, capacity, use and rent per period
    (results.TABLES["capacity"]). A plant is a capacity group (recipe variants of one plant
    share its capacity). The rent of a recipe is what one unit of its activity earns at the
    period's prices, the balance duals: sum of coefficient x price over its materials less
    its operating cost; a plant's rent is its busiest recipe's, which, where the plant runs
    full, is the dual of its capacity (every active recipe of a full plant earns the same).
    A mine (a supply step) earns its material's price less its cost; its process is
    `mining:<deposit>` for concentrates, `supply:<material>` for other supply."""
    periods = list(inp.periods.index)
    table = pd.concat(
        [_plant_rows(inp, sol, periods), _mine_rows(inp, sol, periods)], ignore_index=True
    )
    table = table[table["capacity"] > 1e-9].copy()
    table["use"] = (table["activity"] / table["capacity"]).clip(upper=1.0)
    return table[list(TABLES["capacity"])].reset_index(drop=True)


def _agreement_table(inp: Inputs, sol: Solution) -> pd.DataFrame:
    """Each contracted route per period (results.TABLES["agreements"]): flow, the bounds the
    agreements on it set after suspensions, the unmet minimum, and the price gap."""
    if inp.agree_min.sizes.get("arc", 0) == 0:
        return pd.DataFrame(columns=list(TABLES["agreements"]))
    arcs = list(inp.agree_min.indexes["arc"])
    periods = list(inp.periods.index)
    route = inp.arcs.loc[arcs]
    origin = node_ids(route["origin"], route["material"]).to_numpy()
    dest = node_ids(route["destination"], route["material"]).to_numpy()
    price = sol.price / 1000.0
    gap = price.sel(node=dest).to_numpy() - price.sel(node=origin).to_numpy()
    vmax = inp.agree_max.sel(arc=arcs).to_numpy()
    n = len(periods)
    return pd.DataFrame(
        {
            "arc": np.repeat(arcs, n),
            "origin": np.repeat(route["origin"].to_numpy(), n),
            "destination": np.repeat(route["destination"].to_numpy(), n),
            "material": np.repeat(route["material"].to_numpy(), n),
            "period": np.tile(periods, len(arcs)),
            "flow": sol.trade.sel(arc=arcs).to_numpy().ravel(),
            "volume_min": inp.agree_min.sel(arc=arcs).to_numpy().ravel(),
            "volume_max": np.where(np.isfinite(vmax), vmax, np.nan).ravel(),
            "unmet": sol.shortfall.sel(arc=arcs).to_numpy().ravel(),
            "gap": gap.ravel(),
        }
    )


def _plant_rows(inp: Inputs, sol: Solution, periods: list[str]) -> pd.DataFrame:
    fac = inp.facilities
    if len(fac) == 0:
        return pd.DataFrame(columns=list(TABLES["capacity"]))
    coef = inp.coefficients
    price = sol.price.sel(node=coef["node"].to_numpy()).to_numpy()  # [fm, period] USD/t
    by_recipe = (
        pd.DataFrame(price * coef["coefficient"].to_numpy()[:, None])
        .groupby(coef["facility"].to_numpy())
        .sum()
    )
    facilities = list(fac.index)
    earned = by_recipe.reindex(facilities, fill_value=0.0).to_numpy()
    rent = (earned - fac["cost"].to_numpy(dtype=float)[:, None]) / 1000.0  # USD/kg
    activity = sol.activity.sel(facility=facilities).to_numpy()
    capacity = inp.facility_cap.sel(facility=facilities).to_numpy()
    group = fac["capacity_group"].astype(str).to_numpy()
    frames = []
    for plant in dict.fromkeys(group):
        members = np.flatnonzero(group == plant)
        act = activity[members]
        busiest = members[np.argmax(act, axis=0)]  # the recipe that runs most, per period
        main = members[0]
        frames.append(
            pd.DataFrame(
                {
                    "plant": plant,
                    "region": fac["region"].iloc[main],
                    "process": str(fac["process"].iloc[main]).split("~")[0],
                    "period": periods,
                    "activity": act.sum(axis=0),
                    "capacity": capacity[members].max(axis=0),
                    "rent": rent[busiest, np.arange(len(periods))],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _mine_rows(inp: Inputs, sol: Solution, periods: list[str]) -> pd.DataFrame:
    steps = inp.steps
    if len(steps) == 0:
        return pd.DataFrame(columns=list(TABLES["capacity"]))
    ids = list(steps.index)
    price = sol.price.sel(node=steps["node"].to_numpy()).to_numpy()  # [step, period] USD/t
    rent = (price - steps["cost"].to_numpy(dtype=float)[:, None]) / 1000.0
    kind = np.where(steps["stage"].to_numpy() == "mining", "mining", "supply")
    material = steps["material"].astype(str)
    process = np.where(
        kind == "mining", "mining:" + material.str.split(":").str[-1], "supply:" + material
    )
    n = len(periods)
    return pd.DataFrame(
        {
            "plant": np.repeat(ids, n),
            "region": np.repeat(steps["region"].to_numpy(), n),
            "process": np.repeat(process, n),
            "period": np.tile(periods, len(ids)),
            "activity": sol.supply.sel(step=ids).to_numpy().ravel(),
            "capacity": inp.supply_cap.sel(step=ids).to_numpy().ravel(),
            "rent": rent.ravel(),
        }
    )


def _investments(network: Network) -> pd.DataFrame:
    """What the planning stage built into this network (rareflow.planning), as a table."""
    text = network.meta.get("investment_plan")
    rows = json.loads(text) if text else []
    return pd.DataFrame(rows, columns=list(TABLES["investments"]))
