"""Public entry point: solve a Network over a Horizon under Levers with a chosen foresight."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from typing import Literal

import xarray as xr

from rareflow.cache import default_flow_store
from rareflow.horizon import Horizon
from rareflow.network import Network
from rareflow.optimize.assemble import assemble, versions
from rareflow.optimize.inputs import NetworkArrays, SolveOptions, build_inputs
from rareflow.optimize.levers import Levers
from rareflow.optimize.rolling import (
    Counter,
    Progress,
    information_states,
    longest_lag,
    roll,
)
from rareflow.optimize.timings import Timings
from rareflow.optimize.warm import ModelStore
from rareflow.results import Result

Foresight = Literal["perfect", "myopic", "window"]
__all__ = ["Foresight", "Progress", "reference_flow", "solve"]


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
    hashes = network.hashes()  # the checks, the arrays' cache and the result all key on them
    findings = network.check_before_solve(hashes)
    timings = Timings(calibration_s=_calibration_seconds(network))
    levers = levers if levers is not None else Levers()
    options = options if options is not None else SolveOptions()
    base_size = _window_size(foresight, window, len(horizon))
    size = base_size
    if size < len(horizon):
        # a rolling window must reach the arrival of what it ships, or nothing would ever be
        # shipped on a route with a lead time: extend it to the longest delivery lag (each
        # information state extends it only for the delays it knows, see information_states)
        size = max(size, longest_lag(network, horizon, levers, options) + 1)
    per_run = 1 if size >= len(horizon) else len(horizon)
    needs_ref = levers.needs_normal_flow()
    total = per_run * (2 if needs_ref else 1)
    counter = Counter(progress, total)
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
            hashes,
        )
    with timings.stage("build_s"):
        # shared by every state's inputs
        arrays = NetworkArrays.of(network, horizon, options, hashes)
        inp = build_inputs(network, horizon, levers, options, normal, arrays)
        states = information_states(
            network, horizon, levers, options, normal, inp, base_size, arrays
        )
        if base_size == 1:
            # myopic: a window stretched by transit does not trade stocks against its future
            # (one-period windows have no future: their LP stays without those rows)
            inp = dataclasses.replace(inp, stocks_held=size > 1)
            states = [
                dataclasses.replace(s, inputs=dataclasses.replace(s.inputs, stocks_held=s.size > 1))
                for s in states
            ]
    run = roll(inp, size, counter, "solve", timings, reuse_model, states, models)
    with timings.stage("readback_s"):
        result = assemble(network, hashes, horizon, levers, options, foresight, window, size, run)
    timings.total_s = time.perf_counter() - started + timings.calibration_s
    result.summary["timings"] = timings.to_dict()
    result.summary["consistency"] = [f"[{i.check}] {i.message}" for i in findings]
    return result


def _calibration_seconds(network: Network) -> float:
    """Calibration time recorded on the network by its builder (0 when none or cached)."""
    try:
        return float(network.meta.get("calibration_s", 0.0))
    except ValueError:
        return 0.0


def reference_flow(
    network: Network,
    horizon: Horizon,
    levers: Levers,
    size: int,
    options: SolveOptions,
    counter: Counter | None = None,
    timings: Timings | None = None,
    reuse_model: bool = True,
    models: ModelStore | None = None,
    hashes: dict[str, str] | None = None,
) -> xr.DataArray:
    """Normal flow [arc, period] in t/yr: the trade of a solve without licence levers.

    Cached by a hash of everything it depends on, in memory and on disk (rareflow.cache).
    `hashes`: network.hashes(), when the caller has them.
    """
    hashes = hashes if hashes is not None else network.hashes()
    store = default_flow_store()
    key = hashlib.sha256(
        json.dumps(
            {
                "version": versions()["rareflow"],
                "reuse_model": reuse_model,
                "network": hashes,
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
        arrays = NetworkArrays.of(network, horizon, options, hashes)
        inp = build_inputs(network, horizon, levers, options, None, arrays)
    run = roll(inp, size, counter, "reference", timings, reuse_model, store=models)
    flow = run.solution.trade / inp.length
    store.put(key, flow)
    return flow
