"""Fairness: a per-user limit of active runs, claims alternating between users, removable
shares and paged lists."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rareflow.web import deps as web_app
from rareflow.web.db import Run
from rareflow.web.jobs import Worker
from test_web_fixtures import QUICK_YAML, SHORT, service_client, signup


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with service_client("sqlite", tmp_path) as c:
        yield c


def _submit(client: TestClient, h: dict[str, str]) -> int:
    body = {"scenario_id": "baseline", "horizon": SHORT}
    return client.post("/api/runs", json=body, headers=h).status_code


def test_active_run_limit_per_user(client: TestClient) -> None:
    a, b = signup(client, "alice"), signup(client, "bob22")
    codes = [_submit(client, a) for _ in range(web_app.MAX_ACTIVE_RUNS + 1)]
    assert codes == [202] * web_app.MAX_ACTIVE_RUNS + [429]
    assert _submit(client, b) == 202  # another user is not held back


def test_claims_alternate_between_users(client: TestClient) -> None:
    a, b = signup(client, "alice"), signup(client, "bob22")
    for _ in range(4):
        assert _submit(client, a) == 202
    assert _submit(client, b) == 202  # bob's single run, queued last
    settings = client.app.state.settings  # type: ignore[attr-defined]
    db = client.app.state.db  # type: ignore[attr-defined]
    worker = Worker(db, settings.runs_dir, settings.scenarios_dir, lease_seconds=120)
    first, second = worker.claim(), worker.claim()
    assert first is not None and second is not None
    with db.session() as s:
        owners = {s.get(Run, first.id).owner_id, s.get(Run, second.id).owner_id}  # type: ignore[union-attr]
    assert len(owners) == 2  # bob's run is among the first two claimed, not the fifth


def test_receiver_can_remove_a_share(client: TestClient) -> None:
    a, b = signup(client, "alice"), signup(client, "bob22")
    sid = client.post("/api/scenarios", json={"yaml": QUICK_YAML}, headers=a).json()["id"]
    client.post(f"/api/scenarios/{sid}/shares", json={"username": "bob22"}, headers=a)
    assert client.get(f"/api/scenarios/{sid}", headers=b).status_code == 200
    assert client.delete(f"/api/scenarios/{sid}/share", headers=b).status_code == 204
    assert client.get(f"/api/scenarios/{sid}", headers=b).status_code == 404
    assert client.delete(f"/api/scenarios/{sid}/share", headers=b).status_code == 404
    assert client.get(f"/api/scenarios/{sid}", headers=a).status_code == 200  # owner keeps it


def test_lists_are_paged(client: TestClient) -> None:
    a = signup(client, "alice")
    for i in range(3):
        text = QUICK_YAML.replace("quick-licence", f"quick-{i}")
        assert client.post("/api/scenarios", json={"yaml": text}, headers=a).status_code == 201
    everything = client.get("/api/scenarios", headers=a)
    total = int(everything.headers["x-total-count"])
    assert total == len(everything.json()) >= 3
    ids = [
        s["id"]
        for offset in range(0, total, 2)
        for s in client.get(
            "/api/scenarios", params={"offset": offset, "limit": 2}, headers=a
        ).json()
    ]
    assert ids == [s["id"] for s in everything.json()]
    for _ in range(3):
        _submit(client, a)
    runs = client.get("/api/runs", params={"limit": 2}, headers=a)
    assert len(runs.json()) == 2 and runs.headers["x-total-count"] == "3"
    too_big = client.get("/api/runs", params={"limit": web_app.MAX_PAGE + 1}, headers=a)
    assert too_big.status_code == 422
