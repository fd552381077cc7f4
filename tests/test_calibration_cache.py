"""Calibration is done once per data set and kept on disk; a second run reuses it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rareflow.calibration import calibrated_network
from rareflow.calibration_cache import (
    CalibratedValues,
    CalibrationStore,
    cache_dir,
    calibration_key,
)
from rareflow.data.loader import load_reference


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
