"""Durability: a worker process killed (SIGKILL) mid-solve; after restart the run finishes.

Also: cancelling a running job stops its worker within a heartbeat and marks the run cancelled.
The runs use a one-year yearly horizon so that each solve takes seconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rareflow.results import Result
from rareflow.web.app import create_app
from rareflow.web.jobs import worker_command
from test_web_fixtures import SCENARIOS, SHORT, database, signup

LEASE = 2.0  # seconds; a dead worker's run is claimable again this long after its last beat
PATIENCE = 180.0  # generous bound for a solve of seconds on a slow CI machine


@pytest.fixture(params=["sqlite", "postgresql"])
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    with database(str(request.param), tmp_path) as url:
        app = create_app(url, workers=0, runs_dir=tmp_path / "runs", scenarios_dir=SCENARIOS)
        with TestClient(app) as c:
            yield c, url


def start_worker(url: str, runs: Path) -> subprocess.Popen[bytes]:
    cmd = worker_command(url, runs, SCENARIOS, None, lease_seconds=LEASE)
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_for(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


def test_killed_worker_run_is_picked_up_again(service: tuple[TestClient, str]) -> None:
    client, url = service
    runs = client.app.state.settings.runs_dir  # type: ignore[attr-defined]
    h = signup(client, "alice")
    body = {"scenario_id": "india-pauses-toyotsu", "horizon": SHORT}
    run_id = client.post("/api/runs", json=body, headers=h).json()["id"]

    def run() -> dict[str, object]:
        out: dict[str, object] = client.get(f"/api/runs/{run_id}", headers=h).json()
        return out

    first = start_worker(url, runs)
    try:
        # solving has begun once the engine reported its first step
        wait_for(lambda: run()["progress_done"] == 1, "the first progress step")
        first.send_signal(signal.SIGKILL)
        first.wait()
    finally:
        if first.poll() is None:
            first.kill()
    assert run()["status"] == "running" and run()["attempts"] == 1
    assert not (runs / run_id).exists()  # nothing half-written where results are read

    second = start_worker(url, runs)
    try:
        wait_for(lambda: run()["status"] in ("done", "failed", "cancelled"), "the restarted run")
    finally:
        second.terminate()
        second.wait()
    final = run()
    assert final["status"] == "done", final
    assert final["attempts"] == 2
    result = Result.from_dir(runs / run_id)
    assert result.summary["scenario"] == "india-pauses-toyotsu" and result.periods == ["2025"]
    assert not list(runs.glob(".tmp-*")), "the dead worker's partial files were left behind"
    assert client.get(f"/api/runs/{run_id}/results/prices", headers=h).json()["total"] > 0


def test_cancel_a_running_job(service: tuple[TestClient, str]) -> None:
    client, url = service
    runs = client.app.state.settings.runs_dir  # type: ignore[attr-defined]
    h = signup(client, "alice")
    body = {"scenario_id": "baseline", "horizon": SHORT}
    run_id = client.post("/api/runs", json=body, headers=h).json()["id"]
    worker = start_worker(url, runs)
    try:
        wait_for(
            lambda: client.get(f"/api/runs/{run_id}", headers=h).json()["status"] == "running",
            "the run to start",
        )
        out = client.post(f"/api/runs/{run_id}/cancel", headers=h).json()
        assert out["status"] == "running"  # the worker stops it at its next heartbeat
        wait_for(lambda: worker.poll() is not None, "the worker to stop")
    finally:
        if worker.poll() is None:
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait()
    final = client.get(f"/api/runs/{run_id}", headers=h).json()
    assert final["status"] == "cancelled", final
    assert not (runs / run_id).exists()
