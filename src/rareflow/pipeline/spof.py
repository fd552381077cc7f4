"""Single points of failure, solved: one solve per outage candidate, in a process pool.

The candidates and the ranking are pure functions in `rareflow.metrics.spof`; this module does
the solving (metrics never solve). An outage changes bounds only (a route, a plant, a mine at
zero), so each worker keeps one in-place model (optimize.warm.ModelStore) and refreshes it
from candidate to candidate instead of building a model per candidate.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import pandas as pd

from rareflow.metrics.common import MetricsError
from rareflow.metrics.spof import KINDS, candidates, combine, rank_outages, region_shortfall
from rareflow.network import Network
from rareflow.optimize import Horizon, Levers, SolveOptions, solve
from rareflow.optimize.warm import ModelStore

# each pool worker's in-place model, kept from one candidate to the next
_WORKER = threading.local()


@dataclass(frozen=True)
class _Job:
    network: Network
    horizon: Horizon
    levers: Levers
    foresight: str
    window: int | None
    options: SolveOptions | None
    region: str


def _run(job: _Job) -> tuple[float, float, float]:
    # top-level so the process pool can pickle it
    store = getattr(_WORKER, "models", None)
    if store is None:
        store = _WORKER.models = ModelStore()
    return _solve(job, store)


def _solve(job: _Job, models: ModelStore) -> tuple[float, float, float]:
    result = solve(
        job.network,
        job.horizon,
        job.levers,
        foresight=job.foresight,  # type: ignore[arg-type]
        window=job.window,
        options=job.options,
        models=models,
    )
    return region_shortfall(result, job.region)


def spof_ranking(
    network: Network,
    horizon: Horizon,
    region: str,
    levers: Levers | None = None,
    foresight: str = "perfect",
    options: SolveOptions | None = None,
    kinds: tuple[str, ...] = KINDS,
    max_routes: int = 20,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    window: int | None = None,
) -> pd.DataFrame:
    """Rank single points of failure for `region` (one solve per candidate, in parallel).

    `levers` are the scenario's own levers (the outage is added to them); `foresight` and
    `window` as for `rareflow.optimize.solve`. See `rareflow.metrics.spof.rank_outages`.
    """
    known = set(network.regions["region"])
    if region not in known:
        raise MetricsError(f"unknown region '{region}' (expected one of {sorted(known)})")
    base_levers = levers if levers is not None else Levers()
    models = ModelStore()  # this process's: the baseline's model, refreshed per candidate
    baseline = solve(
        network,
        horizon,
        base_levers,
        foresight=foresight,  # type: ignore[arg-type]
        window=window,
        options=options,
        models=models,
    )
    cands = candidates(network, baseline, kinds, max_routes)
    jobs = [
        _Job(
            network,
            horizon,
            combine(base_levers, c.table, c.rows),
            foresight,
            window,
            options,
            region,
        )
        for c in cands
    ]
    n_workers = workers if workers is not None else min(len(jobs), os.cpu_count() or 1)
    results: list[tuple[float, float, float]] = []
    if n_workers <= 1 or len(jobs) <= 1:
        for i, job in enumerate(jobs):
            results.append(_solve(job, models))
            if progress is not None:
                progress(i + 1, len(jobs))
    else:
        with ProcessPoolExecutor(max_workers=n_workers) as pool:
            for i, res in enumerate(pool.map(_run, jobs)):
                results.append(res)
                if progress is not None:
                    progress(i + 1, len(jobs))
    return rank_outages(cands, results, region_shortfall(baseline, region))
