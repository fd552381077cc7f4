"""Build once, re-solve in place: the same market as rebuilding the LP every period."""

from __future__ import annotations

import dataclasses
import importlib
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from engine_fixtures import ONE_BLOCK, chain
from rareflow.optimize import Horizon, solve
from rareflow.optimize.balance import MassBalanceError, check_rows
from rareflow.optimize.inputs import Inputs, SolveOptions, build_inputs
from rareflow.optimize.levers import Levers
from rareflow.optimize.model import solve_model
from rareflow.optimize.rolling import information_states
from rareflow.optimize.solve import reference_flow
from rareflow.optimize.structure import MatrixStore, structure_key
from rareflow.optimize.timings import Timings
from rareflow.optimize.warm import ModelStore, WarmModel
from rareflow.results import Result
from rareflow.scenario import load_scenario, prepare

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
# short, and reaching past the licensing start (2025-04) so its event is inside the horizon;
# long enough that each scenario rolls (windows widen to the longest delivery lag + 1)
SHORT = Horizon(start="2025-02", end="2025-09", step="month")


def _by(frame: pd.DataFrame, keys: list[str], value: str) -> pd.Series:
    return frame.set_index(keys)[value].sort_index()


def _assert_same_market(a: Result, b: Result) -> None:
    """The same objective (relative 1e-7), flows and prices (solver tolerance) in every
    period."""
    assert a.objective == pytest.approx(b.objective, rel=1e-7)
    keys = ["kind", "region", "material", "period"]
    flows = _by(a.flows, keys, "value").sub(_by(b.flows, keys, "value"), fill_value=0.0)
    assert float(flows.abs().max()) <= 1e-6 * max(1.0, float(b.flows["value"].abs().max()))
    price_keys = ["region", "material", "period"]
    pd.testing.assert_series_equal(
        _by(a.prices, price_keys, "price"), _by(b.prices, price_keys, "price"), atol=1e-6
    )


@pytest.mark.parametrize("name", ["baseline", "seed", "china-2025-04-licensing"])
def test_in_place_equals_rebuild(name: str) -> None:
    applied = prepare(load_scenario(SCENARIOS / f"{name}.yaml"))
    kwargs = applied.solve_kwargs("myopic")
    warm = solve(applied.network, SHORT, applied.levers, reuse_model=True, **kwargs)
    cold = solve(applied.network, SHORT, applied.levers, reuse_model=False, **kwargs)
    assert warm.summary["solves"] == cold.summary["solves"] == len(SHORT)  # it rolled
    np.testing.assert_allclose(
        warm.summary["solver_objectives"], cold.summary["solver_objectives"], rtol=1e-7
    )
    _assert_same_market(warm, cold)
    # the in-place path built once; the rebuild path built a model per period
    assert warm.summary["timings"]["update_s"] > 0.0
    assert cold.summary["timings"]["update_s"] == 0.0


def test_resolve_with_changed_bounds_and_back() -> None:
    horizon = Horizon(start="2025-01", end="2025-12", step="quarter")
    inp = build_inputs(chain(), horizon, Levers(), ONE_BLOCK, None)
    model = WarmModel(inp)
    base = model.resolve()
    assert base.objective == pytest.approx(solve_model(inp).objective, rel=1e-9)
    # halve what every supply step may produce: less is mined and welfare falls
    cols = model.column("supply").to_numpy().ravel()
    cols = cols[cols >= 0]
    upper = model.ub.copy()
    upper[cols] = np.minimum(upper[cols], base.supply.to_numpy().ravel() * 0.5)
    tight = model.resolve(upper=upper)
    assert float(tight.supply.sum()) == pytest.approx(0.5 * float(base.supply.sum()), rel=1e-6)
    assert tight.objective > base.objective
    again = model.resolve()  # back to the built model's own bounds
    assert again.objective == pytest.approx(base.objective, rel=1e-9)


def test_balance_rows_checked_after_every_window() -> None:
    """A window solved in place is checked on its LP's balance rows; a row off by more than
    the tolerance stops the run with the periods named."""
    horizon = Horizon(start="2025-01", end="2025-12", step="quarter")
    inp = build_inputs(chain(), horizon, Levers(), ONE_BLOCK, None)
    model = WarmModel(inp)
    model.solve_window(0, 2, inp.window(0, 2).periods.index)
    worst, tol = model.balance
    assert 0.0 <= worst <= tol and tol > 0.0
    with pytest.raises(MassBalanceError, match=re.escape(ROW_OFF)):
        check_rows(np.array([0.0, -0.5]), 100.0, inp.window(0, 2).periods.index)


ROW_OFF = "periods 2025Q1..2025Q2: a balance row is off by 0.5 t (tolerance 0.0001 t)"


@pytest.mark.parametrize("name", ["seed", "china-2025-04-licensing"])
def test_refreshed_model_is_the_built_model(name: str) -> None:
    """One model refreshed from information state to information state has, row for row and
    column for column, the bounds, costs and right-hand sides of a model built for each state;
    rows a state no longer needs (a suspended agreement) are free."""
    applied = prepare(load_scenario(SCENARIOS / f"{name}.yaml"))
    kwargs = applied.solve_kwargs("myopic")
    options = kwargs.get("options") or SolveOptions()
    levers = applied.levers
    normal = (
        reference_flow(applied.network, SHORT, levers.reference(), 4, options)
        if levers.needs_normal_flow()
        else None
    )
    full = build_inputs(applied.network, SHORT, levers, options, normal)
    states = information_states(applied.network, SHORT, levers, options, normal, full, 1)
    assert len(states) > 1
    model = WarmModel(states[0].inputs)
    for state in states[1:]:
        built = WarmModel(state.inputs)
        assert model.refresh(state.inputs)
        assert np.array_equal(model.vlabels, built.vlabels)
        for attr in ("lb", "ub", "cost"):
            np.testing.assert_array_equal(getattr(model, attr), getattr(built, attr))
        position = {int(label): i for i, label in enumerate(model.clabels)}
        rows = np.array([position[int(label)] for label in built.clabels])
        np.testing.assert_array_equal(model.row_lo[rows], built.row_lo)
        np.testing.assert_array_equal(model.row_hi[rows], built.row_hi)
        assert (model.matrix[rows] != built.matrix).nnz == 0
        extra = np.setdiff1d(np.arange(len(model.clabels)), rows)
        assert np.isinf(model.row_lo[extra]).all() and np.isinf(model.row_hi[extra]).all()


def test_refresh_refuses_another_structure() -> None:
    horizon = Horizon(start="2025-01", end="2025-12", step="quarter")
    inp = build_inputs(chain(), horizon, Levers(), ONE_BLOCK, None)
    model = WarmModel(inp)
    other = dataclasses.replace(inp, stocks_held=not inp.stocks_held)
    assert not model.refresh(other)
    assert model.inp is inp


def test_a_run_that_switches_to_rebuilding_keeps_what_it_solved_in_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When a later information state cannot use the in-place model (other columns), the
    periods solved in place are read back once and the rest is rebuilt per window: the run
    equals one rebuilt throughout."""
    rolling = importlib.import_module("rareflow.optimize.rolling")
    original = rolling._WarmStates.solve_window

    def switching(self: Any, k: int, stop: int, part: Inputs) -> float | None:
        if k >= 3 and not self.rebuilding:  # as if the state from period 3 had other columns
            self.rebuilding, self.done = True, self.model
        return original(self, k, stop, part)

    applied = prepare(load_scenario(SCENARIOS / "seed.yaml"))
    kwargs = applied.solve_kwargs("myopic")
    monkeypatch.setattr(rolling._WarmStates, "solve_window", switching)
    mixed = solve(applied.network, SHORT, applied.levers, reuse_model=True, **kwargs)
    monkeypatch.undo()
    cold = solve(applied.network, SHORT, applied.levers, reuse_model=False, **kwargs)
    _assert_same_market(mixed, cold)


def test_a_structure_read_from_disk_is_the_built_one(tmp_path: Path) -> None:
    """A second run reads the built LP from the cache instead of building it: refreshed to
    the inputs, it is the model a build makes, column for column and row for row."""
    horizon = Horizon(start="2025-01", end="2025-12", step="quarter")
    inp = build_inputs(chain(), horizon, Levers(), ONE_BLOCK, None)
    built = WarmModel(inp)
    disk = MatrixStore(tmp_path)
    disk.put(built.structure)
    stored = disk.get(built.structure.key)
    assert stored is not None and stored.fits(inp)
    read = WarmModel(inp, structure=stored)
    for attr in ("vlabels", "clabels", "lb", "ub", "cost", "row_lo", "row_hi", "col_period"):
        np.testing.assert_array_equal(getattr(read, attr), getattr(built, attr))
    assert (read.matrix != built.matrix).nnz == 0
    assert read.resolve().objective == pytest.approx(built.resolve().objective, rel=1e-12)
    # a store keeps models by structure: the next take reads the file, builds nothing
    store = ModelStore(disk=disk)
    store.take(inp, Timings())
    assert store.built == 0


def test_an_unreadable_stored_structure_is_built_again(tmp_path: Path) -> None:
    horizon = Horizon(start="2025-01", end="2025-12", step="quarter")
    inp = build_inputs(chain(), horizon, Levers(), ONE_BLOCK, None)
    disk = MatrixStore(tmp_path)
    store = ModelStore(disk=disk)
    first = store.take(inp, Timings())
    assert store.built == 1
    (path,) = disk.directory.glob("*.npz")
    path.write_bytes(b"not a structure")
    assert disk.get(first.structure.key) is None
    again = ModelStore(disk=disk)
    again.take(inp, Timings())
    assert again.built == 1  # built, not read


def test_window_lps_solve_without_presolve_unless_the_user_says() -> None:
    # a rolling window's LP is small (WINDOW_SOLVER_OPTIONS); a whole horizon keeps HiGHS's
    # defaults, and a user's solver_options win in both
    from rareflow.optimize.model import highs_options

    inp = build_inputs(chain(), SHORT, Levers(), SolveOptions())
    assert highs_options(inp, window=True) == {"presolve": "off"}
    assert highs_options(inp, window=False) == {}
    mine = dataclasses.replace(inp, options=SolveOptions(solver_options={"presolve": "on"}))
    assert highs_options(mine, window=True) == {"presolve": "on"}
    model = WarmModel(mine)
    assert model.highs.getOptionValue("presolve")[1] == "on"
    assert WarmModel(inp).highs.getOptionValue("presolve")[1] == "off"


def test_a_shorter_window_after_a_longer_one_holds_only_the_earlier_periods() -> None:
    # a later information state may look less far ahead than an earlier one: what the longer
    # window left beyond the shorter one's end must not be held (a quota row spans every
    # period, so a stale value there would change the shorter window's right-hand side)
    from engine_fixtures import quota_from_a, two_way

    quota = quota_from_a(20.0, "2025-12-01")
    horizon = Horizon(start="2025-01", end="2025-12", step="quarter")
    inp = build_inputs(two_way(), horizon, quota, ONE_BLOCK)
    periods = inp.periods.index
    stale, clean = WarmModel(inp), WarmModel(inp)
    for model in (stale, clean):
        model.solve_window(0, 3, periods[0:3])
    # clean keeps period 0 alone, as a run that never looked beyond period 1 would
    clean.x[clean.col_period >= 1] = 0.0
    clean.reach = 1
    for model in (stale, clean):
        model.solve_window(1, 2, periods[1:2])
    np.testing.assert_allclose(stale.x, clean.x, atol=1e-9)
    assert not stale.x[stale.col_period >= 2].any()


def test_the_structure_key_follows_the_tables_shape_not_their_values() -> None:
    """The tables are hashed once per network (NetworkArrays.structure_digest): a recipe's
    coefficient changes the key (another matrix), a cost does not (a refresh)."""
    horizon = Horizon(start="2025-01", end="2025-06", step="quarter")
    net = chain()
    key = structure_key(build_inputs(net, horizon, Levers(), ONE_BLOCK, None))
    dearer = net.copy()
    dearer.supply = dearer.supply.assign(cost=dearer.supply["cost"] * 2)
    assert structure_key(build_inputs(dearer, horizon, Levers(), ONE_BLOCK, None)) == key
    recipe = net.copy()
    recipe.process_coefficients = recipe.process_coefficients.assign(
        coefficient=recipe.process_coefficients["coefficient"].where(
            recipe.process_coefficients["material"] != "oxide:Y", 0.35
        )
    )
    assert structure_key(build_inputs(recipe, horizon, Levers(), ONE_BLOCK, None)) != key
