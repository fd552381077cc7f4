"""The dashboard's outage, demand and tariff levers (issue 18): the events the form writes
render to YAML that validates, is stored and runs. The events below are exactly what
static/app.js builds from the form fields (a demand change of -0.3 is written as factor 0.7)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rareflow.data.schema import STAGES
from test_web_fixtures import PASSWORD, SHORT, service_client, signup, solve_queue

LEVERS: dict[str, tuple[dict[str, Any], str]] = {
    "outage-region-stage": (
        {"type": "outage", "region": "CHN", "stage": "separation", "share": 0.5,
         "start": "2025-03", "end": "2025-09"},
        "stage: separation",
    ),
    "outage-facility": (
        {"type": "outage", "facility": "toyotsu-vizag", "share": 1, "start": "2025-01"},
        "facility: toyotsu-vizag",
    ),
    "demand": (
        {"type": "demand", "region": "USA", "sector": "ev_traction", "factor": 0.7,
         "start": "2025-01"},
        "factor: 0.7",
    ),
    "tariff-145": (
        {"type": "import_tariff", "importer": "USA", "origins": ["CHN"],
         "materials": ["magnet:*"], "rate": 1.45, "start": "2025-01"},
        "rate: 1.45",
    ),
}  # fmt: skip


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with service_client("sqlite", tmp_path) as c:
        yield c


@pytest.mark.parametrize("lever", sorted(LEVERS))
def test_lever_validates_and_runs(client: TestClient, lever: str) -> None:
    h = signup(client, "alice")
    event, written = LEVERS[lever]
    data = {"name": f"lever-{lever}", "base": "baseline", "horizon": SHORT, "events": [event]}
    text = client.post("/api/scenarios/render", json={"data": data}, headers=h).json()["yaml"]
    assert written in text
    check = client.post("/api/scenarios/validate", json={"yaml": text}, headers=h).json()
    assert check["valid"] is True and check["events"] == 1, check
    sid = client.post("/api/scenarios", json={"yaml": text}, headers=h).json()["id"]
    run = client.post("/api/runs", json={"scenario_id": sid}, headers=h)
    assert run.status_code == 202, run.text
    solve_queue(client)
    done = client.get(f"/api/runs/{run.json()['id']}", headers=h).json()
    assert done["status"] == "done", done


def test_lever_mistakes_get_the_schema_message(client: TestClient) -> None:
    h = signup(client, "alice")
    both = {"type": "outage", "facility": "toyotsu-vizag", "region": "CHN", "stage": "mining",
            "start": "2025-01"}  # fmt: skip
    stage = {"type": "outage", "region": "CHN", "stage": "smelting", "start": "2025-01"}
    negative = {"type": "import_tariff", "importer": "USA", "materials": ["magnet:*"],
                "rate": -0.1}  # fmt: skip
    for event, expected in [
        (both, "not both"),
        (stage, "mining"),  # the message lists the valid stage names
        (negative, "expected a non-negative number"),
    ]:
        data = {"name": "bad", "base": "baseline", "events": [event]}
        text = client.post("/api/scenarios/render", json={"data": data}, headers=h).json()["yaml"]
        r = client.post("/api/scenarios/validate", json={"yaml": text}, headers=h).json()
        assert r["valid"] is False and expected in r["problem"]["detail"], r


def test_editor_lists_the_stage_names(client: TestClient) -> None:
    signup(client, "alice")
    token = client.post("/api/token", data={"username": "alice", "password": PASSWORD})
    client.cookies.set("rareflow_token", token.json()["access_token"])
    page = client.get("/scenarios/new").text
    for field in ("f-out-stage", "f-out-facility", "f-dem-sector", "f-dem-change", "f-tar-rate"):
        assert f'id="{field}"' in page
    assert f'data-values="{",".join(STAGES)}"' in page
