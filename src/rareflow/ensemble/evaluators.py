"""Evaluate batches of samples: sequentially, on a local process pool, or on Dask.

All evaluators run the same function, `run_batch(spec, rows, warm)`, and yield batch outputs
as they finish (in any order; the store and the sample ids make order irrelevant).

Warm re-solves. Each worker (process, Dask worker, or the main process) keeps a `WarmWorker`
per ensemble: the reference tables, the vocabulary and the network built from them are made
once. A sample then only
- substitutes its event values into the scenario (a pydantic `model_copy`) and turns the events
  into lever tables and network edits (`rareflow.scenario.apply`, milliseconds);
- rebuilds (and recalibrates) the network only when a sample changes a reference value, through
  `prepare` so that warm and cold give the same network; cached by the overrides, so a discrete
  `choice` builds each variant once (a continuous reference value is effectively cold);
- re-solves on the worker's in-place LP (`optimize.warm.ModelStore`): a sample whose levers
  change only bounds, costs and right-hand sides (dates, shares, capacity paths) refreshes
  the model the sample before left; one that changes the LP's structure (a network variant,
  an agreement row the model lacks) builds a model, which later samples then refresh. The
  engine's cache of reference ("normal flow") solves is reused whenever a sample leaves the
  reference levers unchanged.
Cold (`warm=False`, for benchmarks) reloads the reference data and rebuilds the network for
every sample, as `rareflow run` does.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from rareflow.ensemble.spec import EnsembleSpec, reference_overrides, substitute
from rareflow.lifetime import die_with_parent
from rareflow.network import Network
from rareflow.optimize.warm import ModelStore
from rareflow.pipeline import prepare, solve_applied
from rareflow.results import Result
from rareflow.scenario import Scenario, apply, load_vocabulary
from rareflow.scenario.schema import Parameter
from rareflow.scenario.vocabulary import Vocabulary

EXECUTORS = ("sequential", "processes", "dask")
OUTPUT_TABLES = ("outcomes", "shortfalls", "prices")


@dataclass
class Batch:
    """Samples evaluated together: their ids and parameter values."""

    batch_id: int
    rows: list[dict[str, float]]  # each with sample_id and every parameter's value


BatchOutput = tuple[int, dict[str, pd.DataFrame]]


# ---------------------------------------------------------------------------------------------
# one sample


def _form(material: pd.Series) -> pd.Series:
    return material.astype(str).str.split(":").str[0]


def summarise(sample_id: int, result: Result) -> dict[str, pd.DataFrame]:
    """The tables an ensemble keeps of one solve.

    outcomes: one row, scalar outcomes (welfare, unserved_t, shortfall_<REGION> and
    shortfall_<REGION>_<form>: unserved share of reference demand over the horizon);
    shortfalls: region x sector x period, reference and unserved t (materials summed);
    prices: region x material x period, USD/kg.
    """
    sf = result.shortfalls
    sf = sf[sf["reference"] > 0]
    out: dict[str, Any] = {
        "sample_id": sample_id,
        "welfare": float(result.summary.get("welfare", np.nan)),
        "unserved_t": float(sf["unserved"].sum()),
    }
    by_region = sf.groupby("region")[["reference", "unserved"]].sum()
    for region, row in by_region.iterrows():
        out[f"shortfall_{region}"] = float(row["unserved"] / row["reference"])
    by_form = (
        sf.assign(form=_form(sf["material"]))
        .groupby(["region", "form"])[["reference", "unserved"]]
        .sum()
    )
    for key, row in by_form.iterrows():
        pair: tuple[str, str] = key  # type: ignore[assignment]
        out[f"shortfall_{pair[0]}_{pair[1]}"] = float(row["unserved"] / row["reference"])
    short = sf.groupby(["region", "sector", "period"], as_index=False)[
        ["reference", "unserved"]
    ].sum()
    short.insert(0, "sample_id", np.int64(sample_id))
    prices = result.prices[["region", "material", "period", "price"]].copy()
    prices.insert(0, "sample_id", np.int64(sample_id))
    return {
        "outcomes": pd.DataFrame([out]),
        "shortfalls": short.reset_index(drop=True),
        "prices": prices.reset_index(drop=True),
    }


class WarmWorker:
    """What a worker keeps between samples of one ensemble (see the module docstring)."""

    def __init__(self, spec: EnsembleSpec) -> None:
        from rareflow.data.loader import load_reference

        self.spec = spec
        data = spec.scenario.data
        self.reference = load_reference(Path(data) if data else None)
        self.vocabulary: Vocabulary = load_vocabulary(data)
        self._base_overrides = len(reference_overrides(spec.scenario))
        self._networks: OrderedDict[str, Network] = OrderedDict()
        self.network = self._built(spec.scenario, [])
        # the in-place LP, refreshed from sample to sample where only bounds and costs change
        self.models = ModelStore()

    def _built(self, scenario: Scenario, extra: list[Parameter]) -> Network:
        """The network `prepare` makes for the scenario's reference overrides plus `extra`
        (built and calibrated as `prepare` does, through `prepare` itself, so that warm and
        cold solves agree); cached by the overrides."""
        key = repr([(o.table, o.key, o.column, o.value) for o in extra])
        net = self._networks.get(key)
        if net is None:
            only = scenario.model_copy(
                update={"events": [*reference_overrides(self.spec.scenario), *extra]}
            )
            net = prepare(only, self.reference).network
            self._networks[key] = net
            if len(self._networks) > 8:
                self._networks.popitem(last=False)
        return net

    def evaluate(self, values: Mapping[str, float]) -> Result:
        scenario = substitute(self.spec, values)
        extra = reference_overrides(scenario)[self._base_overrides :]
        network = self._built(scenario, extra) if extra else self.network
        applied = apply(scenario, network, self.vocabulary)
        result = solve_applied(applied, models=self.models)
        # the calibration was spent once, for the first sample on this network: later samples
        # report none in their timings (their total_s is then their own)
        network.meta["calibration_s"] = "0.000"
        return result


def evaluate_cold(spec: EnsembleSpec, values: Mapping[str, float]) -> Result:
    """One sample from scratch: reference data read, network built, scenario applied."""
    scenario = substitute(spec, values)
    applied = prepare(scenario)
    return solve_applied(applied)


# per process (and per thread: Dask's in-process workers share the module) warm workers
_LOCAL = threading.local()


def warm_worker(spec: EnsembleSpec) -> WarmWorker:
    cache: dict[str, WarmWorker] = getattr(_LOCAL, "workers", None) or {}
    _LOCAL.workers = cache
    key = spec.digest()
    if key not in cache:
        cache.clear()  # one ensemble at a time per worker
        cache[key] = WarmWorker(spec)
    return cache[key]


def run_batch(spec: EnsembleSpec, batch: Batch, warm: bool = True) -> BatchOutput:
    """Evaluate every sample of `batch`; the tables of all its samples concatenated."""
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in OUTPUT_TABLES}
    worker = warm_worker(spec) if warm else None
    for row in batch.rows:
        values = {p.name: row[p.name] for p in spec.parameters}
        result = worker.evaluate(values) if worker is not None else evaluate_cold(spec, values)
        for name, frame in summarise(int(row["sample_id"]), result).items():
            parts[name].append(frame)
    return batch.batch_id, {
        name: pd.concat(frames, ignore_index=True) for name, frames in parts.items()
    }


# ---------------------------------------------------------------------------------------------
# evaluators


class Evaluator(Protocol):
    """Runs `run_batch` over batches; yields outputs as they finish."""

    workers: int

    def imap(
        self, spec: EnsembleSpec, batches: Iterable[Batch], warm: bool
    ) -> Iterator[BatchOutput]: ...

    def close(self) -> None: ...


class SequentialEvaluator:
    """In this process, one batch after another."""

    workers = 1

    def imap(
        self, spec: EnsembleSpec, batches: Iterable[Batch], warm: bool
    ) -> Iterator[BatchOutput]:
        for batch in batches:
            yield run_batch(spec, batch, warm)

    def close(self) -> None:
        return None


def _bounded(
    submit: Callable[[Batch], Future[BatchOutput]], batches: Iterable[Batch], limit: int
) -> Iterator[BatchOutput]:
    """At most `limit` batches in flight; results as they complete."""
    pending: set[Future[BatchOutput]] = set()
    it = iter(batches)
    exhausted = False
    while True:
        while not exhausted and len(pending) < limit:
            try:
                pending.add(submit(next(it)))
            except StopIteration:
                exhausted = True
        if not pending:
            return
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        for fut in done:
            yield fut.result()


class ProcessEvaluator:
    """A local pool of worker processes (concurrent.futures, 'spawn' start: no forked
    threads of the parent); each process keeps its warm model across batches."""

    def __init__(self, workers: int | None = None) -> None:
        import multiprocessing
        import os

        self.workers = workers or max(os.cpu_count() or 1, 1)
        # workers end with this process: a killed ensemble leaves no solver running
        self.pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=die_with_parent,
            initargs=(os.getpid(),),
        )

    def imap(
        self, spec: EnsembleSpec, batches: Iterable[Batch], warm: bool
    ) -> Iterator[BatchOutput]:
        return _bounded(
            lambda b: self.pool.submit(run_batch, spec, b, warm), batches, 2 * self.workers
        )

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class DaskEvaluator:
    """Dask distributed: a LocalCluster by default, or the scheduler at `address`
    (tcp://HOST:PORT). The spec is scattered once; each worker keeps its warm model."""

    def __init__(
        self,
        address: str | None = None,
        workers: int | None = None,
        processes: bool = True,
        threads_per_worker: int = 1,
    ) -> None:
        from dask.distributed import Client, LocalCluster

        self.cluster: Any = None
        if address is None:
            import os

            n = workers or max(os.cpu_count() or 1, 1)
            # worker processes listen on loopback only; in-process workers use inproc://
            where = {"host": "127.0.0.1"} if processes else {}
            self.cluster = LocalCluster(
                n_workers=n,
                threads_per_worker=threads_per_worker,
                processes=processes,
                dashboard_address=None,
                **where,
            )
            self.client = Client(self.cluster)
        else:
            self.client = Client(address)
        self.workers = max(len(self.client.scheduler_info().get("workers", {})), 1)

    def imap(
        self, spec: EnsembleSpec, batches: Iterable[Batch], warm: bool
    ) -> Iterator[BatchOutput]:
        from dask.distributed import as_completed

        remote = self.client.scatter(spec, broadcast=True)
        limit = 2 * self.workers
        it = iter(batches)
        futures = as_completed()
        in_flight = 0
        for batch in it:
            futures.add(self.client.submit(run_batch, remote, batch, warm, pure=False))
            in_flight += 1
            if in_flight >= limit:
                break
        for fut in futures:
            out = fut.result()
            in_flight -= 1
            yield out
            nxt = next(it, None)
            if nxt is not None:
                futures.add(self.client.submit(run_batch, remote, nxt, warm, pure=False))
                in_flight += 1

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_evaluator(
    executor: str, workers: int | None = None, scheduler: str | None = None
) -> Evaluator:
    if executor == "sequential":
        if scheduler is not None:
            raise ValueError("--scheduler is for --executor dask")
        return SequentialEvaluator()
    if executor == "processes":
        if scheduler is not None:
            raise ValueError("--scheduler is for --executor dask")
        return ProcessEvaluator(workers)
    if executor == "dask":
        return DaskEvaluator(scheduler, workers)
    raise ValueError(f"expected --executor one of {', '.join(EXECUTORS)}, got '{executor}'")
