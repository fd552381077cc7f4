"""Calibration is done once per data set and kept on disk; a second run reuses it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from engine_fixtures import ONE_BLOCK, two_way
from rareflow import cache
from rareflow.cache import (
    CalibratedValues,
    CalibrationStore,
    FlowStore,
    cache_dir,
    calibration_key,
)
from rareflow.calibration import calibrated_network
from rareflow.data.loader import load_reference
from rareflow.optimize import Horizon, Levers, solve


def test_cache_dir_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAREFLOW_CACHE_DIR", str(tmp_path))
    assert cache_dir() == tmp_path


def test_store_round_trip_and_damaged_file(tmp_path: Path) -> None:
    values = CalibratedValues(np.array([1.0, 2.5]), np.array([3.0]), {"a": "b"})
    key = calibration_key("ref", "opts", 2040)
    assert key != calibration_key("ref2", "opts", 2040)
    CalibrationStore(tmp_path).put(key, values)
    back = CalibrationStore(tmp_path).get(key)  # a new process: read from disk
    assert back is not None
    np.testing.assert_array_equal(back.demand_quantity, values.demand_quantity)
    np.testing.assert_array_equal(back.process_cost, values.process_cost)
    assert back.meta == {"a": "b"}
    path = next((tmp_path / "calibration").glob("*.npz"))
    path.write_bytes(b"not an npz file")
    assert CalibrationStore(tmp_path).get(key) is None  # ignored, so calibrated again


def test_second_run_skips_calibration(tmp_path: Path) -> None:
    tables: dict[str, pd.DataFrame] = dict(load_reference())
    first = calibrated_network(tables, last_year=2026, store=CalibrationStore(tmp_path))
    assert float(first.meta["calibration_s"]) > 0.0
    # a fresh store on the same directory stands for the next run of the program
    second = calibrated_network(tables, last_year=2026, store=CalibrationStore(tmp_path))
    assert float(second.meta["calibration_s"]) == 0.0
    np.testing.assert_array_equal(first.demand["quantity"], second.demand["quantity"])
    np.testing.assert_array_equal(first.processes["cost"], second.processes["cost"])
    assert {k: v for k, v in first.meta.items() if k != "calibration_s"} == {
        k: v for k, v in second.meta.items() if k != "calibration_s"
    }


def test_reference_flow_store_round_trip(tmp_path: Path) -> None:
    flow = xr.DataArray(
        np.array([[1.0, 2.0], [3.0, 4.5]]),
        coords={"arc": ["A-B", "B-A"], "period": ["2025-01", "2025-02"]},
        dims=["arc", "period"],
    )
    FlowStore(tmp_path).put("k", flow)
    back = FlowStore(tmp_path).get("k")  # read from disk, not memory
    assert back is not None
    xr.testing.assert_equal(back, flow)
    assert FlowStore(tmp_path).get("other") is None


def test_licence_solve_reads_its_reference_flow_from_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAREFLOW_CACHE_DIR", str(tmp_path))
    licence = Levers(
        licences=pd.DataFrame(
            [
                {
                    "origin": "A",
                    "destination": "B",
                    "material": "oxide:M",
                    "start": "2025-03-01",
                    "approval_share": 0.4,
                    "delay_days": 0.0,
                }
            ]
        )
    )
    months = Horizon(start="2025-01", end="2025-04", step="month")
    first = solve(two_way(), months, levers=licence, options=ONE_BLOCK)
    assert list((tmp_path / "reference_flow").glob("*.npz"))
    cache._FLOWS.clear()  # a new process: memory empty, the file remains
    second = solve(two_way(), months, levers=licence, options=ONE_BLOCK)
    pd.testing.assert_frame_equal(first.trade, second.trade)
    assert first.objective == second.objective


def test_a_cached_reference_solve_still_reports_its_progress_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A listener waiting for each step (the service's progress, a test waiting for step 1)
    sees the same steps whether the reference solve ran or came from the cache."""
    monkeypatch.setenv("RAREFLOW_CACHE_DIR", str(tmp_path))
    licence = Levers(
        licences=pd.DataFrame(
            [
                {
                    "origin": "A",
                    "destination": "B",
                    "material": "oxide:M",
                    "start": "2025-03-01",
                    "approval_share": 0.4,
                    "delay_days": 0.0,
                }
            ]
        )
    )
    year = Horizon(start="2025-01", end="2025-12", step="year")

    def steps_of_one_solve() -> list[int]:
        seen: list[int] = []
        solve(
            two_way(),
            year,
            levers=licence,
            options=ONE_BLOCK,
            progress=lambda done, total, label: seen.append(done),
        )
        return seen

    assert steps_of_one_solve() == [1, 2]  # the reference solve, then the solve
    assert steps_of_one_solve() == [1, 2]  # the reference flow now comes from the cache
