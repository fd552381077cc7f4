"""One horizon type: what a scenario file writes is what the engine solves over."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from rareflow.horizon import Horizon
from rareflow.pipeline import OptionError, RunOptions, load
from rareflow.scenario import prepare


def test_periods_of_a_quarterly_horizon_start_at_the_quarter() -> None:
    h = Horizon(start="2025-02", end="2025-12", step="quarter")
    assert h.labels == ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]
    assert list(h.periods["length"]) == [0.25] * 4
    assert h.to_dict() == {"start": "2025-02", "end": "2025-12", "step": "quarter"}
    assert h == Horizon(start=dt.date(2025, 2, 1), end=dt.date(2025, 12, 1), step="quarter")
    assert len({h, Horizon(start="2025-02", end="2025-12", step="quarter")}) == 1  # a cache key


def test_bad_horizons_say_what_was_expected() -> None:
    with pytest.raises(ValidationError, match="expected a month not before start 2025-06"):
        Horizon(start="2025-06", end="2025-01")
    with pytest.raises(ValidationError, match="expected a month YYYY-MM"):
        Horizon(start="2025-06-15", end="2025-12")
    with pytest.raises(ValidationError, match="step"):
        Horizon(start="2025-01", end="2025-12", step="week")  # type: ignore[arg-type]


def test_the_scenario_horizon_is_the_engine_horizon() -> None:
    scenario = load("baseline", RunOptions(until="2025-06", step="quarter"))
    assert scenario.horizon == Horizon(start="2025-01", end="2025-06", step="quarter")
    applied = prepare(scenario)
    assert applied.horizon is scenario.horizon
    assert applied.horizon.labels == ["2025Q1", "2025Q2"]


def test_run_options_override_parts_of_a_horizon() -> None:
    h = Horizon(start="2025-01", end="2030-12", step="month")
    assert RunOptions().horizon(h) is h
    assert RunOptions(until="2026-06").horizon(h).to_dict() == {
        "start": "2025-01",
        "end": "2026-06",
        "step": "month",
    }
    assert RunOptions(start="2026-01", step="year").horizon(h).labels[0] == "2026"
    with pytest.raises(OptionError, match=r"before its start 2025-01 \(check --until"):
        RunOptions(until="2024-06").horizon(h)
    with pytest.raises(OptionError, match="--start: expected a month YYYY-MM"):
        RunOptions(start="2025")
