"""Ensembles end to end on the real network (one yearly period, few samples): sequential and
Dask agree sample for sample, a SIGKILLed run resumes to the same dataset, bands and PRIM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from rareflow.cli.ensemble import ensemble_app
from rareflow.ensemble.evaluators import DaskEvaluator, WarmWorker, evaluate_cold, summarise
from rareflow.ensemble.runner import run_ensemble
from rareflow.ensemble.sensitivity import shortfall_bands, write_bands
from rareflow.ensemble.spec import load_ensemble
from rareflow.ensemble.store import TABLES, EnsembleStore, StoreError
from rareflow.results import Result
from rareflow.scenario.shipped import SCENARIOS_DIR
from rareflow.scenario.units import DURATION

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = 6

# quarterly: within one yearly period the licence queue is worked off and the year's totals
# do not move, so the sampled licence would not show in the outcomes
BODY = f"""name: small
scenario: {SCENARIOS_DIR / "seed.yaml"}
horizon: {{start: 2025-01, end: 2025-12, step: quarter}}
seed: 11
uncertain:
  - {{name: ban_duration, path: 'events[0].end', dist: uniform, low: 30 days, high: 730 days}}
  - {{name: approval_share, path: 'events[0].approval_share', dist: triangular, low: 0.05,
     mode: 0.25, high: 0.9}}
  - {{name: notice, path: 'events[5].notice', dist: uniform, low: 0 months, high: 6 months}}
"""


@pytest.fixture(scope="module")
def ensemble_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ens") / "small.yaml"
    path.write_text(BODY)
    return path


@pytest.fixture(scope="module")
def sequential(ensemble_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("seq") / "out"
    run = run_ensemble(
        ensemble_file,
        SAMPLES,
        out,
        method="lhs",
        executor="sequential",
        progress=False,
        batch_size=3,
    )
    assert (run.solved, run.skipped, run.samples) == (SAMPLES, 0, SAMPLES)
    return out


def _tables(out: Path) -> dict[str, pd.DataFrame]:
    store = EnsembleStore(out)
    return {name: store.read(name) for name in TABLES}


def test_every_sample_once_and_outcomes_vary(sequential: Path) -> None:
    tables = _tables(sequential)
    outcomes = tables["outcomes"]
    assert list(outcomes["sample_id"]) == list(range(SAMPLES))
    assert set(tables["shortfalls"]["sample_id"]) == set(range(SAMPLES))
    # the sampled values matter: outcomes differ between samples
    assert outcomes["unserved_t"].nunique() > 1
    assert "shortfall_IND_magnet" in outcomes.columns


def test_a_looser_licence_leaves_less_unserved_outside_china(ensemble_file: Path) -> None:
    # two samples that differ only in the licence (the IREL notice held at 3 months): a short
    # ban with a high approval share leaves less unserved outside China than a long strict one;
    # inside China it is the other way round (what is not exported is used at home at lower
    # prices), so the world's total is not monotone in the licence and is not compared
    spec = load_ensemble(ensemble_file)
    model = WarmWorker(spec)
    model.network.meta["calibration_s"] = "5.000"  # as if the worker's calibration took 5 s
    loose = model.evaluate({"ban_duration": 1.0, "approval_share": 0.9, "notice": 3.0})
    strict = model.evaluate({"ban_duration": 24.0, "approval_share": 0.05, "notice": 3.0})
    # the calibration is counted once, by the first sample on the network, not by every one
    assert loose.summary["timings"]["calibration_s"] == 5.0
    assert strict.summary["timings"]["calibration_s"] == 0.0

    def unserved(result: Result, china: bool) -> float:
        sf = result.shortfalls
        return float(sf.loc[(sf["region"] == "CHN") == china, "unserved"].sum())

    assert unserved(loose, china=False) < unserved(strict, china=False)
    assert unserved(loose, china=True) >= unserved(strict, china=True)


def test_warm_equals_cold(ensemble_file: Path, sequential: Path) -> None:
    # the warm worker solves two other samples first, so sample 5 runs on an LP refreshed
    # from theirs (optimize.warm.ModelStore), not on one built for it
    spec = load_ensemble(ensemble_file)
    design = EnsembleStore(sequential).design()
    worker = WarmWorker(spec)
    for i in (0, 3, 5):
        values = {p.name: float(design.iloc[i][p.name]) for p in spec.parameters}
        warm = summarise(i, worker.evaluate(values))
    assert worker.models.built < 3  # at least one sample refreshed a model, none rebuilt all
    cold = summarise(5, evaluate_cold(spec, values))
    for name in TABLES:
        pd.testing.assert_frame_equal(warm[name], cold[name])


def test_dask_local_cluster_matches_sequential(
    ensemble_file: Path, sequential: Path, tmp_path: Path
) -> None:
    evaluator = DaskEvaluator(workers=2, processes=False)
    try:
        assert evaluator.workers == 2
        run_ensemble(
            ensemble_file,
            SAMPLES,
            tmp_path / "dask",
            method="lhs",
            progress=False,
            batch_size=2,
            evaluator=evaluator,
        )
    finally:
        evaluator.close()
    seq, dask = _tables(sequential), _tables(tmp_path / "dask")
    for name in TABLES:
        pd.testing.assert_frame_equal(seq[name], dask[name])


def test_sigkill_then_resume_gives_the_uninterrupted_dataset(
    ensemble_file: Path, sequential: Path, tmp_path: Path
) -> None:
    out = tmp_path / "killed"
    cmd = [
        sys.executable,
        "-m",
        "rareflow.ensemble",
        "ensemble",
        str(ensemble_file),
        "--samples",
        str(SAMPLES),
        "--method",
        "lhs",
        "--executor",
        "sequential",
        "--batch-size",
        "1",
        "--out",
        str(out),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    store = EnsembleStore(out)
    deadline = time.monotonic() + 300
    try:
        while not store.done_batches() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    done_before = store.done_batches()
    assert 0 < len(done_before) < SAMPLES
    run = run_ensemble(ensemble_file, SAMPLES, out, method="lhs", resume=True, progress=False)
    assert run.skipped == len(done_before)
    assert run.solved == SAMPLES - len(done_before)
    resumed, whole = _tables(out), _tables(sequential)
    for name in TABLES:
        pd.testing.assert_frame_equal(resumed[name], whole[name])
    # a second resume has nothing left to do
    again = run_ensemble(ensemble_file, SAMPLES, out, method="lhs", resume=True, progress=False)
    assert (again.solved, again.skipped) == (0, SAMPLES)


def test_existing_directory_and_changed_resume_are_refused(
    ensemble_file: Path, sequential: Path
) -> None:
    with pytest.raises(StoreError, match="use --resume"):
        run_ensemble(ensemble_file, SAMPLES, sequential, method="lhs", progress=False)
    with pytest.raises(StoreError, match="samples changed"):
        run_ensemble(
            ensemble_file, SAMPLES + 1, sequential, method="lhs", resume=True, progress=False
        )
    result = CliRunner().invoke(
        ensemble_app,
        [
            "ensemble",
            str(ensemble_file),
            "--samples",
            str(SAMPLES),
            "--out",
            str(sequential),
            "--executor",
            "sequential",
            "--method",
            "lhs",
        ],
    )
    assert result.exit_code == 2
    assert "use --resume" in result.output
    result = CliRunner().invoke(
        ensemble_app,
        ["ensemble", str(ensemble_file), "--samples", "3", "--out", "x", "--method", "halton"],
    )
    assert result.exit_code == 2
    assert "--method: expected one of mc, lhs, sobol" in result.output


def test_bands_and_discovery(sequential: Path) -> None:
    paths = write_bands(sequential)
    assert all(p.is_file() for p in paths)
    html = (sequential / "bands_shortfall.html").read_text()
    assert "plotly" in html.lower() and len(html) > 1_000_000  # the library is embedded
    bands = shortfall_bands(EnsembleStore(sequential))
    assert (bands["p5"] <= bands["p50"] + 1e-12).all()
    assert (bands["p50"] <= bands["p95"] + 1e-12).all()
    assert (bands["samples"] == SAMPLES).all()
    ind = bands[(bands["region"] == "IND") & (bands["sector"] == "all")]
    assert list(ind["period"]) == ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]

    outcomes = EnsembleStore(sequential).read("outcomes")
    cut = float(np.median(outcomes["unserved_t"]))
    result = CliRunner().invoke(
        ensemble_app, ["discover", str(sequential), "--outcome", f"unserved_t > {cut}"]
    )
    assert result.exit_code == 0, result.output
    assert "coverage" in result.output and "density" in result.output
    box = pd.read_csv(sequential / "prim_box.csv")
    assert set(box["parameter"]) == {"ban_duration", "approval_share", "notice"}
    # bounds carry the unit the parameter was sampled in (shares are plain numbers)
    units = box.set_index("parameter")["unit"].fillna("")
    assert units["ban_duration"] == DURATION.unit and units["notice"] == DURATION.unit
    assert units["approval_share"] == ""
    bad = CliRunner().invoke(ensemble_app, ["discover", str(sequential), "--outcome", "nope > 1"])
    assert bad.exit_code == 2
    assert "expected a condition on columns" in bad.output
    lhs = CliRunner().invoke(ensemble_app, ["sensitivity", str(sequential)])
    assert lhs.exit_code == 2
    assert "--method sobol" in lhs.output


def test_a_licence_sampled_on_yearly_periods_is_warned(ensemble_file: Path, tmp_path: Path) -> None:
    # the fixture's file is quarterly: nothing to say
    assert load_ensemble(ensemble_file).warnings == []
    yearly = tmp_path / "yearly.yaml"
    yearly.write_text(ensemble_file.read_text().replace("step: quarter", "step: year"))
    warnings = load_ensemble(yearly).warnings
    # ban_duration and approval_share sample the April licence; the Toyotsu pause is not one
    assert [w.split("'")[1] for w in warnings] == ["ban_duration", "approval_share"]
    assert all("quarterly or monthly" in w for w in warnings)
