"""The rareflow service: a FastAPI application with an OpenAPI description and a dashboard.

`create_app(db_url, workers, data_dir, ...)` builds the application: it migrates the database,
and, when `workers` > 0, starts that many worker processes on startup (see `jobs`). The API is
under /api (reference data, scenarios, runs, results, reports); the dashboard pages are at /.

Access rule: a user sees their own scenarios and runs, the shipped scenarios, and what others
shared with them; anything else answers 404, exactly as if it did not exist.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rareflow.web import api_accounts, api_reference, api_results, api_runs, api_scenarios, safety
from rareflow.web.db import DEFAULT_DB_URL, Database
from rareflow.web.deps import MAX_BODY_BYTES, Service, Settings
from rareflow.web.guard import Guard
from rareflow.web.jobs import LEASE_SECONDS, WorkerPool
from rareflow.web.pages import add_pages
from rareflow.web.scenarios import Shipped, default_scenarios_dir, shipped_scenarios

# ---------------------------------------------------------------------------------------------
# request size limit


class BodyLimit:
    """Answer 413 to any request whose body exceeds `limit` bytes (declared or streamed)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._too_large(send)
            return
        chunks: list[Message] = []
        size = 0
        more = True
        while more:
            message = await receive()
            chunks.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.limit:
                await self._too_large(send)
                return
            more = message.get("more_body", False)

        async def replay() -> Message:
            return chunks.pop(0) if chunks else await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send) -> None:
        body = json.dumps(
            {"detail": f"request body too large: at most {self.limit} bytes"}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})


def create_app(
    db_url: str = DEFAULT_DB_URL,
    workers: int = 1,
    data_dir: Path | None = None,
    runs_dir: Path | None = None,
    scenarios_dir: Path | None = None,
    lease_seconds: float = LEASE_SECONDS,
) -> FastAPI:
    """The service application. `workers` = 0 starts no worker (tests run them separately)."""
    settings = Settings(
        db_url=db_url,
        runs_dir=Path(runs_dir) if runs_dir is not None else Path("rareflow-runs"),
        scenarios_dir=scenarios_dir if scenarios_dir is not None else default_scenarios_dir(),
        data_dir=data_dir,
        workers=workers,
        lease_seconds=lease_seconds,
    )
    db = Database(db_url)
    settings.runs_dir.mkdir(parents=True, exist_ok=True)
    shipped: dict[str, Shipped] = shipped_scenarios(settings.scenarios_dir)
    pool = (
        WorkerPool(
            workers,
            db.url,
            settings.runs_dir.resolve(),
            settings.scenarios_dir.resolve() if settings.scenarios_dir else None,
            data_dir.resolve() if data_dir else None,
            lease_seconds,
        )
        if workers > 0
        else None
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if pool is not None:
            pool.start()
        try:
            yield
        finally:
            if pool is not None:
                pool.stop(db)
            db.dispose()

    app = FastAPI(
        title="rareflow",
        version="0.1.0",
        description="Rare earth supply chain scenarios: reference data, scenarios, runs, results.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.shipped = shipped
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    safety.install(app)
    app.state.guard = Guard()
    service = Service(settings, shipped)
    app.state.service = service
    app.state.shipped_out = service.shipped_out
    for module in (api_accounts, api_reference, api_scenarios, api_runs, api_results):
        app.include_router(module.router)
    add_pages(app)
    return app
