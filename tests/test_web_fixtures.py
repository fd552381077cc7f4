"""Shared helpers of the service tests (imported by tests/test_web_*.py).

The PostgreSQL backend is used when RAREFLOW_TEST_PG_URL is set (e.g.
postgresql+psycopg://rareflow:rareflow@localhost/rareflow_test). Without it the PostgreSQL tests
are skipped locally and fail in CI (env CI set), so CI cannot pass without having run them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from rareflow.web.app import create_app
from rareflow.web.db import Database, normalise_url
from rareflow.web.jobs import Worker

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
PASSWORD = "correct horse battery"
SHORT = {"start": "2025-01", "end": "2025-12", "step": "year"}  # one yearly period: seconds

QUICK_YAML = """\
name: quick-licence
description: a short licensing scenario for the service tests
base: baseline
horizon: {start: 2025-01, end: 2025-12, step: year}
events:
  - type: export_licence
    exporter: CHN
    materials: [oxide:Dy, oxide:Tb]
    approval_share: 0.5
    start: 2025-01
"""


def pg_url() -> str | None:
    url = os.environ.get("RAREFLOW_TEST_PG_URL")
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail("CI is set but RAREFLOW_TEST_PG_URL is not: the PostgreSQL tests must run")
    pytest.skip("RAREFLOW_TEST_PG_URL is not set (PostgreSQL tests run in CI)")
    return None


@contextmanager
def database(backend: str, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database: a SQLite file, or a PostgreSQL schema of its own (so tests
    may run in parallel on one server), dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'service.db'}"
        return
    url = pg_url()
    assert url is not None
    schema = f"rareflow_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(url))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    joiner = "&" if "?" in url else "?"
    try:
        yield f"{url}{joiner}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


BACKENDS = ["sqlite", "postgresql"]


@contextmanager
def service_client(backend: str, tmp_path: Path) -> Iterator[TestClient]:
    """A test client of a fresh service (no worker processes) on `backend`."""
    with database(backend, tmp_path) as url:
        app = create_app(url, workers=0, runs_dir=tmp_path / "runs", scenarios_dir=SCENARIOS)
        with TestClient(app) as c:
            yield c


def signup(client: TestClient, username: str) -> dict[str, str]:
    """Create an account and return the Authorization header of a fresh token."""
    r = client.post("/api/users", json={"username": username, "password": PASSWORD})
    assert r.status_code == 201, r.text
    r = client.post("/api/token", data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def solve_queue(client: TestClient) -> None:
    """Solve every queued run in this process (one worker pass over the queue)."""
    app = client.app
    settings = app.state.settings  # type: ignore[attr-defined]
    db: Database = app.state.db  # type: ignore[attr-defined]
    Worker(db, settings.runs_dir, settings.scenarios_dir, lease_seconds=120).run_forever(once=True)
