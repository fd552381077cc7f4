"""Accounts: throttled sign-in, password rule, token expiry and revocation, Origin checks."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
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


def _answer(r: Response) -> tuple[int, bytes, list[tuple[str, str]]]:
    """Status, body and headers of a response, less the Date header."""
    return r.status_code, r.content, sorted((k, v) for k, v in r.headers.items() if k != "date")


def test_sharing_answers_alike_for_any_name(client: TestClient) -> None:
    from test_web_fixtures import QUICK_YAML

    h = signup(client, "alice")
    signup(client, "bob2")
    sid = client.post("/api/scenarios", json={"yaml": QUICK_YAML}, headers=h).json()["id"]
    url = f"/api/scenarios/{sid}/shares"
    # a new share, a repeated one, oneself, no such account, a name no account can have
    names = ["bob2", "bob2", "alice", "nobody", "no/such name"]
    answers = [_answer(client.post(url, json={"username": n}, headers=h)) for n in names]
    assert all(a == answers[0] for a in answers), answers
    assert answers[0][0] == 204


def test_signup_does_not_tell_a_taken_name(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    signup(client, "alice")
    hashed: list[str] = []
    real = auth.hash_password

    def counted(password: str) -> str:
        hashed.append(password)
        return real(password)

    monkeypatch.setattr(auth, "hash_password", counted)
    taken = client.post("/api/users", json={"username": "alice", "password": PASSWORD + "!"})
    assert taken.status_code == 422
    assert taken.json() == {"detail": auth.CANNOT_CREATE}
    assert "taken" not in taken.text and "exist" not in taken.text
    # the same argon2 work as a new account, so the answer does not come back sooner
    assert len(hashed) == 1
    fresh = client.post("/api/users", json={"username": "alice2", "password": PASSWORD + "!"})
    assert fresh.status_code == 201 and len(hashed) == 2
    # the dashboard's form answers the same
    form = client.post("/signup", data={"username": "alice", "password": PASSWORD + "!"})
    assert form.status_code == 422 and "taken" not in form.text
    assert html.escape(auth.CANNOT_CREATE) in form.text


def test_a_signup_that_loses_the_race_for_a_name_is_refused_not_a_500(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two sign-ups for one free name: both pass the check, the second insert hits the unique
    constraint. It gets the answer of a name in use, and the service goes on."""
    signup(client, "alice")
    monkeypatch.setattr(auth, "name_in_use", lambda session, username: False)
    late = client.post("/api/users", json={"username": "alice", "password": PASSWORD + "!"})
    assert late.status_code == 422 and late.json() == {"detail": auth.CANNOT_CREATE}
    form = client.post("/signup", data={"username": "alice", "password": PASSWORD + "!"})
    assert form.status_code == 422
    assert (
        client.post("/api/users", json={"username": "bob", "password": PASSWORD}).status_code == 201
    )


def test_signup_form_error_stays_with_the_signup_form(client: TestClient) -> None:
    r = client.post("/signup", data={"username": "carol<b>", "password": "password"})
    assert r.status_code == 422
    page = r.text
    form = page.index('id="signup-form"')
    error = page.index('id="signup-error"')
    assert form < error and 'id="login-error"' not in page
    # the typed name is kept (escaped), the password is not
    assert 'value="carol&lt;b&gt;"' in page and 'value="password"' not in page
