"""SIGTERM to a standalone worker gives its run back to the queue, its attempt not counted."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rareflow.web.app import create_app
from test_web_fixtures import SCENARIOS, SHORT, database, signup
from test_web_jobs import start_worker, wait_for


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    with database("sqlite", tmp_path) as url:
        app = create_app(url, workers=0, runs_dir=tmp_path / "runs", scenarios_dir=SCENARIOS)
        with TestClient(app) as c:
            yield c, url


@pytest.mark.slow
def test_sigterm_requeues_without_counting_an_attempt(service: tuple[TestClient, str]) -> None:
    client, url = service
    runs = client.app.state.settings.runs_dir  # type: ignore[attr-defined]
    h = signup(client, "alice")
    body = {"scenario_id": "india-pauses-toyotsu", "horizon": SHORT}
    run_id = client.post("/api/runs", json=body, headers=h).json()["id"]

    def run() -> dict[str, object]:
        out: dict[str, object] = client.get(f"/api/runs/{run_id}", headers=h).json()
        return out

    for _ in range(3):  # three graceful restarts used to fail the run
        worker = start_worker(url, runs)
        try:
            wait_for(lambda: run()["status"] == "running", "the worker to claim the run")
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=60) == 0
        finally:
            if worker.poll() is None:
                worker.kill()
        state = run()
        if state["status"] == "done":  # the solve beat the signal: nothing to give back
            break
        assert state["status"] == "queued" and state["attempts"] == 0, state
