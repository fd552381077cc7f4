"""The service API on SQLite and PostgreSQL: accounts, reference data, scenarios, runs, results."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from rareflow.cli import app as cli_app
from test_web_fixtures import (
    BACKENDS,
    PASSWORD,
    QUICK_YAML,
    SHORT,
    service_client,
    signup,
    solve_queue,
)


@pytest.fixture(params=BACKENDS)
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    with service_client(str(request.param), tmp_path) as c:
        yield c


def test_accounts_and_tokens(client: TestClient) -> None:
    h = signup(client, "alice")
    assert client.get("/api/me", headers=h).json()["username"] == "alice"
    assert client.get("/api/me").status_code == 401
    assert client.get("/api/me", headers={"Authorization": "Bearer nope"}).status_code == 401
    bad = client.post("/api/token", data={"username": "alice", "password": "wrong password"})
    assert bad.status_code == 401
    again = client.post("/api/users", json={"username": "alice", "password": PASSWORD})
    assert again.status_code == 422  # a taken name: refused like any other (issue 16)
    short = client.post("/api/users", json={"username": "bob", "password": "short"})
    assert short.status_code == 422


def test_passwords_and_tokens_are_not_stored_in_clear(client: TestClient) -> None:
    h = signup(client, "alice")
    token = h["Authorization"].split()[1]
    db = client.app.state.db  # type: ignore[attr-defined]
    from sqlalchemy import select

    from rareflow.web.db import ApiToken, User

    with db.session() as s:
        user = s.scalar(select(User))
        assert user is not None and PASSWORD not in user.password_hash
        assert user.password_hash.startswith("$argon2")
        hashes = list(s.scalars(select(ApiToken.token_hash)))
    assert token not in hashes and len(hashes) == 1


def test_reference_tables(client: TestClient) -> None:
    h = signup(client, "alice")
    tables = {t["name"]: t for t in client.get("/api/reference", headers=h).json()}
    assert "regions" in tables and tables["regions"]["rows"] > 20
    page = client.get("/api/reference/regions", params={"limit": 3}, headers=h).json()
    assert page["total"] == tables["regions"]["rows"] and len(page["rows"]) == 3
    assert {"code", "source", "vintage"} <= set(page["rows"][0])
    assert client.get("/api/reference/nope", headers=h).status_code == 404


def test_validation_messages_are_the_cli_messages(client: TestClient, tmp_path: Path) -> None:
    h = signup(client, "alice")
    bad = QUICK_YAML.replace("approval_share: 0.5", "approval_share: 1.4")
    api = client.post("/api/scenarios/validate", json={"yaml": bad}, headers=h).json()
    assert api["valid"] is False
    problem = api["problem"]
    assert problem["line"] == 9 and problem["field"] == "events[0].approval_share"
    # the CLI on the same text (its base next to it) prints the same line, with its own path
    (tmp_path / "baseline.yaml").write_text((Path("scenarios") / "baseline.yaml").read_text())
    (tmp_path / "scenario.yaml").write_text(bad)
    cli = CliRunner().invoke(cli_app, ["scenario", "validate", str(tmp_path / "scenario.yaml")])
    assert cli.exit_code == 2
    assert cli.stderr.strip() == f"{tmp_path}/{problem['detail']}"
    stored = client.post("/api/scenarios", json={"yaml": bad}, headers=h)
    assert stored.status_code == 422 and stored.json()["detail"] == problem["detail"]
    ok = client.post("/api/scenarios/validate", json={"yaml": QUICK_YAML}, headers=h).json()
    assert (ok["valid"], ok["name"], ok["events"], ok["problem"]) == (
        True,
        "quick-licence",
        1,
        None,
    )
    assert ok["data"]["events"][0]["materials"] == ["oxide:Dy", "oxide:Tb"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: x\nbase: baseline\ndata: /etc\n", "scenario.yaml:3: data: expected no `data`"),
        ("name: x\nbase: ../../etc/passwd\n", "scenario.yaml:2: base: expected the name of a"),
        # tags build nothing: a tagged list stays a list, a python tag on a scalar is refused
        ("name: !!python/object/apply:os.system [echo hi]\n", "scenario.yaml:1: name: expected"),
        ("name: !!python/name:os.system x\n", "scenario.yaml:1: invalid YAML"),
        ("a: &x [1]\nb: *x\n", "scenario.yaml:1: expected plain YAML without anchors"),
        ("- just\n- a list\n", "scenario.yaml:1: expected a mapping"),
        ("name: " + "a" * 201 + "\nbase: baseline\n", "scenario.yaml:1: name: expected a name"),
    ],
)
def test_uploads_are_data_only(client: TestClient, text: str, expected: str) -> None:
    h = signup(client, "alice")
    r = client.post("/api/scenarios", json={"yaml": text}, headers=h)
    assert r.status_code == 422
    assert r.json()["detail"].startswith(expected), r.json()


def test_request_size_limit(client: TestClient) -> None:
    h = signup(client, "alice")
    big = QUICK_YAML + "#" * 1_100_000 + "\n"
    r = client.post("/api/scenarios", json={"yaml": big}, headers=h)
    assert r.status_code == 413


def test_scenario_lifecycle(client: TestClient) -> None:
    h = signup(client, "alice")
    listed = client.get("/api/scenarios", headers=h).json()
    shipped = {s["id"] for s in listed if s["shipped"]}
    assert {"baseline", "india-pauses-toyotsu"} <= shipped
    created = client.post("/api/scenarios", json={"yaml": QUICK_YAML}, headers=h)
    assert created.status_code == 201
    sid = created.json()["id"]
    assert created.json()["data"]["events"][0]["approval_share"] == 0.5
    changed = QUICK_YAML.replace("name: quick-licence", "name: quick-licence-2")
    put = client.put(f"/api/scenarios/{sid}", json={"yaml": changed}, headers=h)
    assert put.status_code == 200 and put.json()["name"] == "quick-licence-2"
    got = client.get(f"/api/scenarios/{sid}", headers=h).json()
    assert got["yaml"] == changed and got["editable"] is True
    assert sid in {s["id"] for s in client.get("/api/scenarios", headers=h).json()}
    # shipped scenarios: readable, not writable
    toyotsu = client.get("/api/scenarios/india-pauses-toyotsu", headers=h)
    assert toyotsu.status_code == 200 and toyotsu.json()["editable"] is False
    assert (
        client.put(
            "/api/scenarios/india-pauses-toyotsu", json={"yaml": QUICK_YAML}, headers=h
        ).status_code
        == 403
    )
    assert client.delete("/api/scenarios/baseline", headers=h).status_code == 403
    assert client.delete(f"/api/scenarios/{sid}", headers=h).status_code == 204
    assert client.get(f"/api/scenarios/{sid}", headers=h).status_code == 404


def test_render_form_to_yaml(client: TestClient) -> None:
    h = signup(client, "alice")
    data = {"name": "form", "base": "baseline", "horizon": SHORT, "events": []}
    text = client.post("/api/scenarios/render", json={"data": data}, headers=h).json()["yaml"]
    ok = client.post("/api/scenarios/validate", json={"yaml": text}, headers=h).json()
    assert ok["valid"] is True and ok["name"] == "form"


def test_run_results_in_every_format(client: TestClient) -> None:
    h = signup(client, "alice")
    sid = client.post("/api/scenarios", json={"yaml": QUICK_YAML}, headers=h).json()["id"]
    r = client.post("/api/runs", json={"scenario_id": sid, "with_baseline": True}, headers=h)
    assert r.status_code == 202 and r.json()["status"] == "queued"
    run_id, base_id = r.json()["id"], r.json()["baseline_run_id"]
    assert client.get(f"/api/runs/{run_id}/results", headers=h).status_code == 409
    solve_queue(client)
    run = client.get(f"/api/runs/{run_id}", headers=h).json()
    assert run["status"] == "done", run
    assert run["progress_done"] == run["progress_total"] > 0
    assert client.get(f"/api/runs/{base_id}", headers=h).json()["status"] == "done"
    res = client.get(f"/api/runs/{run_id}/results", headers=h).json()
    assert res["summary"]["scenario"] == "quick-licence" and res["summary"]["periods"] == ["2025"]
    page = client.get(f"/api/runs/{run_id}/results/prices", headers=h).json()
    assert page["total"] > 0 and {"region", "material", "price"} <= set(page["rows"][0])
    csv = client.get(f"/api/runs/{run_id}/results/prices", params={"format": "csv"}, headers=h)
    assert csv.headers["content-type"].startswith("text/csv")
    assert len(pd.read_csv(io.StringIO(csv.text))) == page["total"]
    pq = client.get(f"/api/runs/{run_id}/results/prices", params={"format": "parquet"}, headers=h)
    assert len(pd.read_parquet(io.BytesIO(pq.content))) == page["total"]
    xl = client.get(f"/api/runs/{run_id}/excel", headers=h)
    assert xl.status_code == 200
    sheets = pd.read_excel(io.BytesIO(xl.content), sheet_name=None)
    assert {"summary", "prices", "shortfalls"} <= set(sheets)
    cmp = client.get(f"/api/runs/{run_id}/compare", headers=h).json()
    assert cmp["against"] == base_id and [s["name"] for s in cmp["unserved"]] == [
        "quick-licence",
        "baseline",
    ]
    assert cmp["periods"] == ["2025"]
    assert client.get(f"/api/runs/{run_id}/results/nope", headers=h).status_code == 404
    rep = client.get(f"/api/runs/{run_id}/report", params={"against": base_id}, headers=h)
    assert rep.status_code == 200 and rep.headers["content-type"].startswith("text/html")
    assert "quick-licence" in rep.text
    assert not re.search(r"<script[^>]*\bsrc=[\"']?https?:", rep.text)  # opens offline


def test_shipped_scenario_with_horizon_override_and_cancel(client: TestClient) -> None:
    h = signup(client, "alice")
    body = {"scenario_id": "india-pauses-toyotsu", "horizon": SHORT}
    run = client.post("/api/runs", json=body, headers=h).json()
    stored = client.app.state.db  # type: ignore[attr-defined]
    from rareflow.web.db import Run

    with stored.session() as s:
        row = s.get(Run, run["id"])
        assert row is not None and "step: year" in row.yaml and "irel-toyotsu" in row.yaml
    cancelled = client.post(f"/api/runs/{run['id']}/cancel", headers=h).json()
    assert cancelled["status"] == "cancelled"
    listed = client.get("/api/runs", headers=h).json()
    assert [r["id"] for r in listed] == [run["id"]]
    bad = client.post(
        "/api/runs",
        json={"scenario_id": "baseline", "horizon": {"start": "1990-01", "end": "1990-12"}},
        headers=h,
    )
    assert bad.status_code == 422 and "horizon.start" in bad.json()["detail"]
    # the request's horizon is the scenario file's: an end before the start is refused at once
    backwards = client.post(
        "/api/runs",
        json={"scenario_id": "baseline", "horizon": {"start": "2026-06", "end": "2025-12"}},
        headers=h,
    )
    assert backwards.status_code == 422
    (problem,) = backwards.json()["detail"]
    assert problem["loc"] == ["body", "horizon", "end"] and "not before start" in problem["msg"]


def test_access_other_users_get_404(client: TestClient) -> None:
    a = signup(client, "alice")
    b = signup(client, "bob")
    sid = client.post("/api/scenarios", json={"yaml": QUICK_YAML}, headers=a).json()["id"]
    rid = client.post("/api/runs", json={"scenario_id": sid}, headers=a).json()["id"]
    for method, url in [
        ("GET", f"/api/scenarios/{sid}"),
        ("DELETE", f"/api/scenarios/{sid}"),
        ("GET", f"/api/runs/{rid}"),
        ("POST", f"/api/runs/{rid}/cancel"),
        ("GET", f"/api/runs/{rid}/results"),
        ("GET", f"/api/runs/{rid}/results/prices"),
        ("GET", f"/api/runs/{rid}/excel"),
        ("GET", f"/api/runs/{rid}/report"),
        ("GET", f"/api/runs/{rid}/compare"),
    ]:
        assert client.request(method, url, headers=b).status_code == 404, (method, url)
    assert (
        client.put(f"/api/scenarios/{sid}", json={"yaml": QUICK_YAML}, headers=b).status_code == 404
    )
    assert client.post("/api/runs", json={"scenario_id": sid}, headers=b).status_code == 404
    assert sid not in {s["id"] for s in client.get("/api/scenarios", headers=b).json()}
    assert client.get("/api/runs", headers=b).json() == []
    # shared: visible, still read-only
    share = client.post(f"/api/scenarios/{sid}/shares", json={"username": "bob"}, headers=a)
    assert share.status_code == 204
    assert (
        client.post(f"/api/runs/{rid}/shares", json={"username": "bob"}, headers=a).status_code
        == 204
    )
    assert client.get(f"/api/scenarios/{sid}", headers=b).json()["editable"] is False
    assert client.get(f"/api/runs/{rid}", headers=b).status_code == 200
    assert (
        client.put(f"/api/scenarios/{sid}", json={"yaml": QUICK_YAML}, headers=b).status_code == 403
    )
    assert client.post(f"/api/runs/{rid}/cancel", headers=b).status_code == 403
    # a third user still sees nothing
    c = signup(client, "carol")
    assert client.get(f"/api/scenarios/{sid}", headers=c).status_code == 404
    assert client.get(f"/api/runs/{rid}", headers=c).status_code == 404


def test_serve_refuses_a_bad_database_in_one_line(tmp_path: Path) -> None:
    import typer

    from rareflow.cli.serve import serve

    cli = typer.Typer()
    cli.command()(serve)
    out = CliRunner().invoke(
        cli, ["--db", "nosuchdb://nowhere", "--workers", "0", "--runs", str(tmp_path / "r")]
    )
    assert out.exit_code == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot open the database nosuchdb://")


def test_streamed_body_over_the_limit_is_refused(client: TestClient) -> None:
    h = signup(client, "alice")

    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b"#" * 100_000  # 2 MB in all, with no Content-Length announced

    r = client.post(
        "/api/scenarios", content=chunks(), headers={**h, "content-type": "application/json"}
    )
    assert r.status_code == 413


def test_dashboard_cookie_needs_the_header_to_change_anything(client: TestClient) -> None:
    r = client.post(
        "/signup", data={"username": "dora", "password": PASSWORD}, follow_redirects=False
    )
    assert r.status_code == 303 and "rareflow_token" in r.cookies
    assert client.get("/api/me").json()["username"] == "dora"  # the cookie signs reads in
    body = {"yaml": QUICK_YAML}
    assert client.post("/api/scenarios", json=body).status_code == 403
    ok = client.post("/api/scenarios", json=body, headers={"X-Rareflow": "1"})
    assert ok.status_code == 201
    assert client.get("/").status_code == 200
    client.post("/logout")
    assert client.get("/api/me").status_code == 401
