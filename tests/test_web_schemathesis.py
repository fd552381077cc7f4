"""Schemathesis against the service's OpenAPI description: no request makes a server error.

Every operation is called with generated (valid and invalid) inputs, signed in as a user who owns
a scenario, on SQLite and PostgreSQL. A bounded number of examples per operation keeps it short.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error

from rareflow.web.app import create_app
from test_web_fixtures import QUICK_YAML, SCENARIOS, database, signup

EXAMPLES = 30


@pytest.fixture(params=["sqlite", "postgresql"])
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    with database(str(request.param), tmp_path) as url:
        app = create_app(url, workers=0, runs_dir=tmp_path / "runs", scenarios_dir=SCENARIOS)
        with TestClient(app) as c:
            yield c


@pytest.fixture
def auth_headers(service: TestClient) -> dict[str, str]:
    h = signup(service, "fuzzer")
    assert service.post("/api/scenarios", json={"yaml": QUICK_YAML}, headers=h).status_code == 201
    return h


def test_no_server_errors(service: TestClient, auth_headers: dict[str, str]) -> None:
    # schemathesis' pytest loader (from_fixture) does not work with this pytest, so each
    # operation's Hypothesis strategy is driven here directly
    api = schemathesis.openapi.from_asgi("/openapi.json", service.app)
    failures: list[str] = []
    operations = 0
    for item in api.get_all_operations():
        operation = item.ok()  # type: ignore[union-attr]
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            phases=[Phase.explicit, Phase.generate],  # no shrinking: report, do not minimise
        )
        def call(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=auth_headers, checks=[not_a_server_error])

        try:
            call()
        except Exception as exc:
            failures.append(f"{operation.label}: {exc}")
    assert operations >= 15
    assert not failures, "\n".join(failures)
