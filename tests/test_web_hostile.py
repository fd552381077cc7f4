"""Hostile input to the service: one-line 422s, no echoed secrets, headers on every answer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hostile import HOSTILE
from test_web_fixtures import service_client, signup


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with service_client("sqlite", tmp_path) as c:
        yield c


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_service_refuses_hostile_scenario_text(client: TestClient, name: str) -> None:
    h = signup(client, "alice")
    text, fragment = HOSTILE[name]
    body = json.dumps({"yaml": text})  # ASCII escapes: a lone surrogate arrives as \ud800
    headers = {**h, "Content-Type": "application/json"}
    checked = client.post("/api/scenarios/validate", content=body, headers=headers)
    assert checked.status_code == 200, checked.text
    problem = checked.json()["problem"]
    assert checked.json()["valid"] is False and "\n" not in problem["detail"]
    assert fragment in problem["detail"] or fragment == problem["field"], problem
    created = client.post("/api/scenarios", content=body, headers=headers)
    assert created.status_code == 422, created.text


def test_render_of_deep_data_is_a_422(client: TestClient) -> None:
    h = signup(client, "alice")
    deep: object = 1
    for _ in range(900):
        deep = {"a": deep}
    r = client.post("/api/scenarios/render", json={"data": {"x": deep}}, headers=h)
    assert r.status_code == 422 and "nested" in r.text


def test_validation_error_does_not_echo_the_password(client: TestClient) -> None:
    secret = "hunter2-" + "x" * 300  # too long for the schema: refused with the input attached
    r = client.post("/api/users", json={"username": ["not", "text"], "password": secret})
    assert r.status_code == 422
    assert "hunter2" not in r.text


def test_lone_surrogate_in_any_json_body_is_a_422(client: TestClient) -> None:
    body = '{"username": "al\\ud800ice", "password": "correct horse battery"}'
    r = client.post("/api/users", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    h = signup(client, "alice")
    body = '{"data": {"name": "x\\udc00", "description": {"\\ud800": 1}}}'
    headers = {**h, "Content-Type": "application/json"}
    r = client.post("/api/scenarios/render", content=body, headers=headers)
    assert r.status_code in (200, 422), r.text  # escaped in the YAML, or refused


def test_security_headers_on_every_response(client: TestClient) -> None:
    for path in ("/api/me", "/login", "/openapi.json", "/nope"):
        r = client.get(path)
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"], path
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "same-origin"
