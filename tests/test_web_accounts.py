"""Accounts: throttled sign-in, password rule, token expiry and revocation, Origin checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from rareflow.web import auth, guard
from rareflow.web.db import ApiToken
from test_web_fixtures import PASSWORD, service_client, signup


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with service_client("sqlite", tmp_path) as c:
        yield c


def test_login_throttled_per_account_with_retry_after(client: TestClient) -> None:
    signup(client, "alice")
    for _ in range(guard.MAX_FAILURES):
        bad = client.post("/api/token", data={"username": "alice", "password": "wrong pass"})
        assert bad.status_code == 401
    r = client.post("/api/token", data={"username": "alice", "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    # the form is throttled too, by address as well: another name from here is refused
    r = client.post("/login", data={"username": "nobody", "password": "x" * 8})
    assert r.status_code == 429


def test_signups_throttled_per_address(client: TestClient) -> None:
    codes = [
        client.post("/api/users", json={"username": f"user{i}", "password": PASSWORD}).status_code
        for i in range(guard.MAX_SIGNUPS + 1)
    ]
    assert codes[:-1] == [201] * guard.MAX_SIGNUPS and codes[-1] == 429


@pytest.mark.parametrize(
    "password", ["password", "aaaaaaaa", "12345678", "abcdefgh", "Password1", "xxalice99"]
)
def test_common_and_trivial_passwords_refused(client: TestClient, password: str) -> None:
    r = client.post("/api/users", json={"username": "alice", "password": password})
    assert r.status_code == 422, r.text
    assert f'{password}"' not in r.text and f"{password}'" not in r.text


def test_delete_token_revokes_the_presented_one(client: TestClient) -> None:
    h = signup(client, "alice")
    other = client.post("/api/token", data={"username": "alice", "password": PASSWORD})
    h2 = {"Authorization": f"Bearer {other.json()['access_token']}"}
    assert client.delete("/api/token", headers=h).status_code == 204
    assert client.get("/api/me", headers=h).status_code == 401
    assert client.get("/api/me", headers=h2).status_code == 200


def test_tokens_expire_and_expired_ones_are_deleted(client: TestClient) -> None:
    h = signup(client, "alice")
    db = client.app.state.db  # type: ignore[attr-defined]
    old = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=auth.TOKEN_DAYS + 1)
    with db.session() as s:
        s.execute(update(ApiToken).values(created=old))
    assert client.get("/api/me", headers=h).status_code == 401
    signup_again = client.post("/api/token", data={"username": "alice", "password": PASSWORD})
    assert signup_again.status_code == 200
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ApiToken)) == 1


def test_cross_site_forms_refused(client: TestClient) -> None:
    signup(client, "alice")
    evil = {"Origin": "https://evil.example"}
    form = {"username": "alice", "password": PASSWORD}
    for path in ("/login", "/signup", "/logout"):
        r = client.post(path, data=form, headers=evil, follow_redirects=False)
        assert r.status_code == 403, path
    same = {"Origin": "http://testserver"}
    r = client.post("/login", data=form, headers=same, follow_redirects=False)
    assert r.status_code == 303


def test_sharing_does_not_tell_who_exists(client: TestClient) -> None:
    from test_web_fixtures import QUICK_YAML

    h = signup(client, "alice")
    signup(client, "bob2")
    sid = client.post("/api/scenarios", json={"yaml": QUICK_YAML}, headers=h).json()["id"]
    known = client.post(f"/api/scenarios/{sid}/shares", json={"username": "bob2"}, headers=h)
    unknown = client.post(f"/api/scenarios/{sid}/shares", json={"username": "nobody"}, headers=h)
    assert known.status_code == unknown.status_code == 204
