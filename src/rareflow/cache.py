"""Caches: what a second run on the same data must not compute again.

On disk: calibrated base years (`CalibrationStore`), the reference ("normal flow") solves of
licence levers (`FlowStore`) and investment plans (`PlanStore`). In memory: `Kept`, the last
few values made by key (a network's arrays, its checks' findings).


A `CalibrationStore` maps a key (hash of the reference tables, the build options, the last
year and the rareflow version) to what calibration changes in a built network: the demand
quantities, the processing costs and the meta entries it adds. It lives in the user's cache
directory (platformdirs) or in $RAREFLOW_CACHE_DIR; a file that cannot be read is ignored and
the calibration is redone, so a damaged cache never changes a result.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np
import pandas as pd
import platformdirs
import xarray as xr

CACHE_ENV = "RAREFLOW_CACHE_DIR"


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Kept(Generic[K, V]):
    """The last `size` values made, by key, in this process's memory. Thread-safe (Dask's
    in-process workers are threads of one process); a value is made outside the lock, so two
    threads asking for the same new key may each make it once."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, make: Callable[[], V]) -> V:
        """The value kept for `key`, else `make()`, kept (the oldest beyond `size` dropped)."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        made = make()
        with self._lock:
            self._items[key] = made
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return made

    def __len__(self) -> int:
        return len(self._items)


_FORMAT = 2  # bump when the stored layout or what calibration computes changes


def cache_dir() -> Path:
    """$RAREFLOW_CACHE_DIR if set, else the user's cache directory for rareflow."""
    override = os.environ.get(CACHE_ENV)
    return Path(override) if override else Path(platformdirs.user_cache_dir("rareflow"))


@dataclass(frozen=True)
class CalibratedValues:
    """What calibration sets in a built network."""

    demand_quantity: np.ndarray
    process_cost: np.ndarray
    meta: dict[str, str]


def _version() -> str:
    try:
        return metadata.version("rareflow")
    except metadata.PackageNotFoundError:
        return "unknown"


def calibration_key(reference_hash: str, options: str, last_year: int) -> str:
    version = _version()
    text = json.dumps(
        {
            "format": _FORMAT,
            "reference": reference_hash,
            "options": options,
            "last_year": last_year,
            "rareflow": version,
        },
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass
class CalibrationStore:
    """Calibrations by key: in memory for this process, on disk under `directory`."""

    directory: Path
    _memory: dict[str, CalibratedValues] = field(default_factory=dict)

    def _path(self, key: str) -> Path:
        return self.directory / "calibration" / f"{key}.npz"

    def get(self, key: str) -> CalibratedValues | None:
        if key in self._memory:
            return self._memory[key]
        path = self._path(key)
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                values = CalibratedValues(
                    demand_quantity=np.asarray(data["demand_quantity"], dtype=float),
                    process_cost=np.asarray(data["process_cost"], dtype=float),
                    meta=dict(json.loads(str(data["meta"]))),
                )
        except (OSError, ValueError, KeyError):
            return None  # unreadable: calibrate again and overwrite it
        self._memory[key] = values
        return values

    def put(self, key: str, values: CalibratedValues) -> None:
        self._memory[key] = values
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
            np.savez(
                tmp,
                demand_quantity=values.demand_quantity,
                process_cost=values.process_cost,
                meta=np.array(json.dumps(values.meta)),
            )
            os.replace(tmp, path)  # atomic: a parallel run never reads half a file
        except OSError:
            pass  # a read-only cache only costs the next run a calibration


@dataclass
class FlowStore:
    """Reference flows [arc, period] by key: a few in memory, all on disk under `directory`."""

    directory: Path
    memory_size: int = 16
    _memory: dict[str, xr.DataArray] = field(default_factory=dict)

    def _path(self, key: str) -> Path:
        return self.directory / "reference_flow" / f"{key}.npz"

    def get(self, key: str) -> xr.DataArray | None:
        if key in self._memory:
            return self._memory[key]
        try:
            with np.load(self._path(key), allow_pickle=False) as data:
                flow = xr.DataArray(
                    np.asarray(data["values"], dtype=float),
                    coords={"arc": list(data["arc"]), "period": list(data["period"])},
                    dims=["arc", "period"],
                )
        except (OSError, ValueError, KeyError):
            return None  # absent or unreadable: solve again
        self._remember(key, flow)
        return flow

    def put(self, key: str, flow: xr.DataArray) -> None:
        flow = flow.transpose("arc", "period")
        self._remember(key, flow)
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
            np.savez(
                tmp,
                values=flow.to_numpy(),
                arc=np.array([str(a) for a in flow.indexes["arc"]]),
                period=np.array([str(p) for p in flow.indexes["period"]]),
            )
            os.replace(tmp, path)
        except OSError:
            pass

    def _remember(self, key: str, flow: xr.DataArray) -> None:
        if key not in self._memory and len(self._memory) >= self.memory_size:
            self._memory.pop(next(iter(self._memory)))
        self._memory[key] = flow


@dataclass
class PlanStore:
    """Investment plans (rareflow.planning) by key, as JSON tables: in memory, on disk."""

    directory: Path
    _memory: dict[str, pd.DataFrame] = field(default_factory=dict)

    def _path(self, key: str) -> Path:
        return self.directory / "plan" / f"{key}-{_FORMAT}-{_version()}.json"

    def get(self, key: str) -> pd.DataFrame | None:
        if key in self._memory:
            return self._memory[key].copy()
        try:
            stored = json.loads(self._path(key).read_text(encoding="utf-8"))
            # the columns are kept apart: a plan that builds nothing has no rows to name them
            frame = pd.DataFrame(stored["rows"], columns=stored.get("columns"))
        except (OSError, ValueError, KeyError, TypeError):
            return None  # absent or unreadable: plan again
        self._memory[key] = frame
        return frame.copy()

    def put(self, key: str, plan: pd.DataFrame) -> None:
        self._memory[key] = plan.copy()
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp")
            rows = json.loads(plan.to_json(orient="records"))
            text = json.dumps({"columns": [str(c) for c in plan.columns], "rows": rows})
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            pass


_PLANS: dict[Path, PlanStore] = {}


def default_plan_store() -> PlanStore:
    """The plan store of the current cache directory."""
    directory = cache_dir()
    if directory not in _PLANS:
        _PLANS[directory] = PlanStore(directory)
    return _PLANS[directory]


_STORES: dict[Path, CalibrationStore] = {}
_FLOWS: dict[Path, FlowStore] = {}


def default_flow_store() -> FlowStore:
    """The reference-flow store of the current cache directory."""
    directory = cache_dir()
    if directory not in _FLOWS:
        _FLOWS[directory] = FlowStore(directory)
    return _FLOWS[directory]


def default_store() -> CalibrationStore:
    """The store of the current cache directory (one per directory in this process)."""
    directory = cache_dir()
    if directory not in _STORES:
        _STORES[directory] = CalibrationStore(directory)
    return _STORES[directory]
