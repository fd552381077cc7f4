"""Service results: the baseline on the scenario's own horizon, shared comparisons, events."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from rareflow.web.db import Run
from test_web_fixtures import QUICK_YAML, service_client, signup, solve_queue


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with service_client("sqlite", tmp_path) as c:
        yield c


@pytest.mark.slow
def test_baseline_horizon_shared_compare_and_report_events(client: TestClient) -> None:
    a, b = signup(client, "alice"), signup(client, "bob22")
    sid = client.post("/api/scenarios", json={"yaml": QUICK_YAML}, headers=a).json()["id"]
    run = client.post("/api/runs", json={"scenario_id": sid, "with_baseline": True}, headers=a)
    assert run.status_code == 202, run.text
    run_id, base_id = run.json()["id"], run.json()["baseline_run_id"]
    db = client.app.state.db  # type: ignore[attr-defined]
    with db.session() as s:
        base = s.get(Run, base_id)
        assert base is not None
        horizon = yaml.safe_load(base.yaml)["horizon"]
    assert horizon == {"start": "2025-01", "end": "2025-12", "step": "year"}  # QUICK_YAML's own
    solve_queue(client)
    mine = client.get(f"/api/runs/{run_id}/compare", headers=a)
    assert mine.status_code == 200, mine.text
    assert [s["name"] for s in mine.json()["unserved"]] == ["quick-licence", "baseline"]
    assert all(v is not None for s in mine.json()["unserved"] for v in s["y"]), mine.text
    share = client.post(f"/api/runs/{run_id}/shares", json={"username": "bob22"}, headers=a)
    assert share.status_code == 204
    theirs = client.get(f"/api/runs/{run_id}/compare", headers=b)
    assert theirs.status_code == 200 and theirs.json() == mine.json()
    assert client.get(f"/api/runs/{base_id}", headers=b).status_code == 404  # still not listed
    page = client.get(f"/api/runs/{run_id}/report", headers=a)
    assert page.status_code == 200
    assert "Not available" not in page.text and "CHN" in page.text
