"""A window that is the same LP as the one before (a month of the same year with nothing
carried over differently) is not solved again: its result is the previous one, one period on,
and equals what solving it gives."""

from __future__ import annotations

import importlib
import itertools

import numpy as np
import pytest

from engine_fixtures import ONE_BLOCK, two_region
from rareflow import pipeline
from rareflow.optimize import Horizon, solve

YEAR = Horizon(start="2025-01", end="2025-12", step="month")
# the module that rolls the windows and looks each one up by its key
rolling_module = importlib.import_module("rareflow.optimize.rolling")


def _every_window_solved(monkeypatch: pytest.MonkeyPatch) -> None:
    counter = itertools.count()
    monkeypatch.setattr(rolling_module, "window_key", lambda *args: str(next(counter)).encode())


def test_twelve_equal_months_are_solved_once() -> None:
    result = solve(two_region(), YEAR, foresight="myopic", options=ONE_BLOCK)
    assert result.summary["solves"] == 12
    assert result.summary["windows_repeated"] == 11
    assert np.allclose(result.arc_flow("A-B").to_numpy(), 5.0)


@pytest.mark.parametrize("reuse_model", [True, False])
def test_repeating_a_window_equals_solving_it(
    monkeypatch: pytest.MonkeyPatch, reuse_model: bool
) -> None:
    options = pipeline.RunOptions(until="2026-06", step="month", foresight="myopic")
    applied = pipeline.prepare(pipeline.load("seed", options))
    kwargs = applied.solve_kwargs(None)
    fast = solve(
        applied.network, applied.horizon, applied.levers, reuse_model=reuse_model, **kwargs
    )
    assert fast.summary["windows_repeated"] > 0
    _every_window_solved(monkeypatch)
    slow = solve(
        applied.network, applied.horizon, applied.levers, reuse_model=reuse_model, **kwargs
    )
    assert slow.summary["windows_repeated"] == 0
    assert fast.objective == pytest.approx(slow.objective, rel=1e-9)
    for table in ("prices", "flows"):
        a, b = fast.table(table), slow.table(table)
        value = "price" if table == "prices" else "value"
        keys = [c for c in a.columns if c != value]
        merged = a.merge(b, on=keys, how="outer", suffixes=("_a", "_b")).fillna(0.0)
        assert np.allclose(merged[f"{value}_a"], merged[f"{value}_b"], atol=1e-6)
