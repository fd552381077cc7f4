"""The rareflow service: a FastAPI application with an OpenAPI description and a dashboard.

`create_app(db_url, workers, data_dir, ...)` builds the application: it migrates the database,
and, when `workers` > 0, starts that many worker processes on startup (see `jobs`). The API is
under /api (reference data, scenarios, runs, results, reports); the dashboard pages are at /.

Access rule: a user sees their own scenarios and runs, the shipped scenarios, and what others
shared with them; anything else answers 404, exactly as if it did not exist.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rareflow.results import TABLES, Result
from rareflow.scenario import ScenarioError
from rareflow.web import auth, safety
from rareflow.web.db import (
    CANCELLED,
    DEFAULT_DB_URL,
    FINAL_STATES,
    QUEUED,
    RUNNING,
    Database,
    Run,
    Scenario,
    Share,
    User,
    now,
)
from rareflow.web.guard import Guard
from rareflow.web.jobs import LEASE_SECONDS, WorkerPool, result_dir
from rareflow.web.scenarios import (
    MAX_SCENARIO_BYTES,
    Shipped,
    check_text,
    default_scenarios_dir,
    render_yaml,
    safe_id,
    shipped_scenarios,
    with_horizon,
)

MAX_BODY_BYTES = MAX_SCENARIO_BYTES + 64_000  # a scenario upload plus its JSON envelope
MAX_ROWS = 100_000
MAX_PAGE = 200  # items of a list endpoint per request
MAX_ACTIVE_RUNS = 6  # queued or running runs per user: one user cannot fill the queue


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


# ---------------------------------------------------------------------------------------------
# API models


class NewUser(BaseModel):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    password: str = Field(min_length=auth.MIN_PASSWORD, max_length=auth.MAX_PASSWORD)


class UserOut(BaseModel):
    id: int
    username: str


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"


class TableInfo(BaseModel):
    name: str
    rows: int
    columns: list[str]


class TablePage(BaseModel):
    name: str
    columns: list[str]
    total: int
    offset: int
    rows: list[dict[str, Any]]


class ScenarioText(BaseModel):
    yaml: str = Field(max_length=MAX_SCENARIO_BYTES, description="Scenario file text (YAML).")


class ScenarioForm(BaseModel):
    data: dict[str, Any] = Field(description="Scenario fields as plain data, rendered to YAML.")


class RenderedYaml(BaseModel):
    yaml: str


class Problem(BaseModel):
    """A scenario that is not valid: the CLI's one-line message and where it points."""

    detail: str
    file: str | None = None
    line: int | None = None
    field: str = ""


class Validation(BaseModel):
    valid: bool
    name: str | None = None
    events: int = 0
    problem: Problem | None = None
    data: dict[str, Any] | None = Field(None, description="The fields, when the text is valid.")


class ScenarioOut(BaseModel):
    id: str
    name: str
    description: str
    shipped: bool
    owner: str | None
    editable: bool
    updated: str | None = None


class ScenarioDetail(ScenarioOut):
    yaml: str
    data: dict[str, Any]


class ShareIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)


Step = Literal["month", "quarter", "year"]


class HorizonIn(BaseModel):
    start: str = Field(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")
    end: str = Field(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")
    step: Step = "month"


class RunIn(BaseModel):
    scenario_id: str = Field(min_length=1, max_length=200)
    horizon: HorizonIn | None = Field(None, description="Replace the scenario's horizon.")
    foresight: str | None = Field(
        None, pattern=r"^(perfect|myopic|window \d{1,3})$", description="perfect|myopic|window N"
    )
    with_baseline: bool = Field(
        False, description="Also solve the shipped baseline on the same horizon to compare with."
    )


class RunOut(BaseModel):
    id: str
    scenario_id: str
    scenario_name: str
    owner: str
    status: str
    progress_done: int
    progress_total: int
    progress_label: str
    error: str
    attempts: int
    baseline_run_id: str | None
    created: str
    started: str | None
    finished: str | None
    seconds: float | None


class ResultsOut(BaseModel):
    tables: list[TableInfo]
    summary: dict[str, Any]


class Series(BaseModel):
    name: str
    x: list[str]
    y: list[float | None]


class Comparison(BaseModel):
    run_id: str
    against: str | None
    periods: list[str]
    unserved: list[Series]
    unserved_by_sector: list[Series]
    price: list[Series]
    region: str
    material: str
    regions: list[str]
    materials: list[str]


# ---------------------------------------------------------------------------------------------
# helpers


_json_safe = safety.json_safe


def _frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = json.loads(frame.to_json(orient="records", date_format="iso"))
    return out if isinstance(out, list) else []


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


# ---------------------------------------------------------------------------------------------
# dependencies


def get_session(request: Request) -> Iterator[Session]:
    db: Database = request.app.state.db
    with db.session() as s:
        yield s


# scope="function": commit before the response is sent, so that a client that got an answer
# (a new token, a queued run) finds it stored when it asks next
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def token_of(request: Request) -> str:
    """The bearer token, or the dashboard's cookie (then writes need the X-Rareflow header)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    cookie = request.cookies.get(auth.COOKIE, "")
    if (
        cookie
        and request.method not in ("GET", "HEAD")
        and request.headers.get(auth.CSRF_HEADER) != "1"
    ):
        raise HTTPException(403, "requests from the dashboard must carry X-Rareflow: 1")
    return cookie


def current_user(request: Request, session: SessionDep) -> User:
    token = token_of(request)
    user = auth.user_for_token(session, token) if token else None
    if user is None:
        raise HTTPException(
            401,
            "not signed in: send Authorization: Bearer <token> (POST /api/token)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


UserDep = Annotated[User, Depends(current_user)]


@dataclass
class Page:
    offset: int
    limit: int


def page_of(
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = MAX_PAGE,
) -> Page:
    return Page(offset, limit)


PageDep = Annotated[Page, Depends(page_of)]


def sign_in(request: Request, session: Session, username: str, password: str) -> User | None:
    """The user for these credentials, throttled per account and address (429 beyond)."""
    guard: Guard = request.app.state.guard
    guard.check_login(request, username)
    user = (
        auth.authenticate(session, username, password) if auth.USERNAME_RE.match(username) else None
    )
    if user is None:
        guard.failed_login(request, username)
    else:
        guard.good_login(username)
    return user


@dataclass
class Settings:
    db_url: str
    runs_dir: Path
    scenarios_dir: Path | None
    data_dir: Path | None
    workers: int
    lease_seconds: float


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
    guard = Guard()
    app.state.guard = guard

    # -- sessions and users: module-level dependencies, see below ----

    def shared_ids(session: Session, user: User, kind: str) -> list[str]:
        return list(
            session.scalars(
                select(Share.object_id).where(Share.kind == kind, Share.user_id == user.id)
            )
        )

    def username_of(session: Session, user_id: int) -> str:
        u = session.get(User, user_id)
        return u.username if u is not None else ""

    def scenario_out(session: Session, user: User, sc: Scenario) -> ScenarioOut:
        return ScenarioOut(
            id=sc.id,
            name=sc.name,
            description=sc.description,
            shipped=False,
            owner=username_of(session, sc.owner_id),
            editable=sc.owner_id == user.id,
            updated=_iso(sc.updated),
        )

    def shipped_out(sh: Shipped) -> ScenarioOut:
        return ScenarioOut(
            id=sh.id,
            name=sh.name,
            description=sh.description,
            shipped=True,
            owner=None,
            editable=False,
        )

    def visible_scenario(session: Session, user: User, scenario_id: str) -> Scenario | Shipped:
        if scenario_id in shipped:
            return shipped[scenario_id]
        sc = session.get(Scenario, scenario_id) if safe_id(scenario_id) else None
        if sc is not None and (
            sc.owner_id == user.id or scenario_id in shared_ids(session, user, "scenario")
        ):
            return sc
        raise HTTPException(404, f"no scenario '{scenario_id}'")

    def own_scenario(session: Session, user: User, scenario_id: str) -> Scenario:
        found = visible_scenario(session, user, scenario_id)
        if isinstance(found, Shipped):
            raise HTTPException(403, f"'{scenario_id}' is a shipped scenario: read-only")
        if found.owner_id != user.id:
            raise HTTPException(403, f"'{scenario_id}' was shared with you: read-only")
        return found

    def visible_run(session: Session, user: User, run_id: str) -> Run:
        run = session.get(Run, run_id) if safe_id(run_id) else None
        if run is not None and (
            run.owner_id == user.id or run_id in shared_ids(session, user, "run")
        ):
            return run
        raise HTTPException(404, f"no run '{run_id}'")

    def run_out(session: Session, run: Run) -> RunOut:
        return RunOut(
            id=run.id,
            scenario_id=run.scenario_id,
            scenario_name=run.scenario_name,
            owner=username_of(session, run.owner_id),
            status=run.status,
            progress_done=run.progress_done,
            progress_total=run.progress_total,
            progress_label=run.progress_label,
            error=run.error,
            attempts=run.attempts,
            baseline_run_id=run.baseline_run_id,
            created=run.created.isoformat(),
            started=_iso(run.started),
            finished=_iso(run.finished),
            seconds=run.seconds,
        )

    def problem(exc: ScenarioError) -> JSONResponse:
        body = Problem(detail=str(exc), file=exc.file, line=exc.line, field=exc.field)
        return JSONResponse(body.model_dump(), status_code=422)

    def check(text: str) -> Any:
        return check_text(text, settings.scenarios_dir, settings.data_dir)

    # -- accounts -------------------------------------------------------------------------------

    @app.post("/api/users", status_code=201, response_model=UserOut, tags=["accounts"])
    def register(body: NewUser, request: Request, session: SessionDep) -> UserOut:
        """Create an account."""
        guard.check_signup(request)
        try:
            user = auth.create_user(session, body.username, body.password)
        except auth.AuthError as exc:
            raise HTTPException(409 if "taken" in str(exc) else 422, str(exc)) from None
        return UserOut(id=user.id, username=user.username)

    @app.post(
        "/api/token",
        response_model=TokenOut,
        tags=["accounts"],
        responses={401: {"description": "wrong username or password"}},
    )
    def token(
        form: Annotated[OAuth2PasswordRequestForm, Depends()],
        request: Request,
        session: SessionDep,
    ) -> TokenOut:
        """OAuth2 password flow: a bearer token for username and password (429 after repeated
        failures for the account or the address, with Retry-After)."""
        user = sign_in(request, session, form.username, form.password)
        if user is None:
            raise HTTPException(401, "wrong username or password")
        return TokenOut(access_token=auth.issue_token(session, user, "api"))

    @app.delete("/api/token", status_code=204, tags=["accounts"])
    def revoke(request: Request, user: UserDep, session: SessionDep) -> Response:
        """Revoke the token this request presents (bearer header or dashboard cookie)."""
        auth.revoke_token(session, token_of(request))
        return Response(status_code=204)

    @app.get("/api/me", response_model=UserOut, tags=["accounts"])
    def me(user: UserDep) -> UserOut:
        return UserOut(id=user.id, username=user.username)

    # -- reference data ------------------------------------------------------------------------

    reference_cache: dict[str, Any] = {}

    def reference() -> Any:
        if "ref" not in reference_cache:
            from rareflow.data.loader import load_reference

            reference_cache["ref"] = load_reference(settings.data_dir)
        return reference_cache["ref"]

    @app.get("/api/reference", response_model=list[TableInfo], tags=["reference"])
    def reference_tables(user: UserDep) -> list[TableInfo]:
        """The reference tables, their sizes and columns."""
        ref = reference()
        return [
            TableInfo(name=n, rows=len(ref[n]), columns=[str(c) for c in ref[n].columns])
            for n in ref
        ]

    @app.get("/api/reference/{table}", response_model=TablePage, tags=["reference"])
    def reference_table(
        table: str,
        user: UserDep,
        limit: Annotated[int, Query(ge=1, le=MAX_ROWS)] = 1000,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> TablePage:
        """One reference table as JSON records."""
        ref = reference()
        if table not in ref:
            raise HTTPException(404, f"no reference table '{table}'")
        frame = ref[table]
        page = frame.iloc[offset : offset + limit]
        return TablePage(
            name=table,
            columns=[str(c) for c in frame.columns],
            total=len(frame),
            offset=offset,
            rows=_frame_records(page),
        )

    # -- scenarios ------------------------------------------------------------------------------

    @app.get("/api/scenarios", response_model=list[ScenarioOut], tags=["scenarios"])
    def list_scenarios(
        user: UserDep, session: SessionDep, page: PageDep, response: Response
    ) -> list[ScenarioOut]:
        """Shipped scenarios, then the user's own and those shared with them (paged; the
        total is in the X-Total-Count header)."""
        shared = shared_ids(session, user, "scenario")
        mine = or_(Scenario.owner_id == user.id, Scenario.id.in_(shared))
        fixed = [shipped_out(s) for s in shipped.values()]
        total = len(fixed) + (session.scalar(select(func.count(Scenario.id)).where(mine)) or 0)
        response.headers["X-Total-Count"] = str(total)
        first = fixed[page.offset : page.offset + page.limit]
        rows = session.scalars(
            select(Scenario)
            .where(mine)
            .order_by(Scenario.updated.desc(), Scenario.id)
            .offset(max(0, page.offset - len(fixed)))
            .limit(page.limit - len(first))
        ).all()
        return first + [scenario_out(session, user, s) for s in rows]

    @app.post(
        "/api/scenarios/validate",
        response_model=Validation,
        tags=["scenarios"],
    )
    def validate(body: ScenarioText, user: UserDep) -> Validation:
        """Check scenario text; the problem is the CLI's message (`rareflow scenario validate`)."""
        try:
            checked = check(body.yaml)
        except ScenarioError as exc:
            return Validation(
                valid=False,
                problem=Problem(detail=str(exc), file=exc.file, line=exc.line, field=exc.field),
                data=None,
            )
        return Validation(
            valid=True,
            name=checked.scenario.name,
            events=len(checked.scenario.events),
            data=_json_safe(checked.data),
        )

    @app.post("/api/scenarios/render", response_model=RenderedYaml, tags=["scenarios"])
    def render(body: ScenarioForm, user: UserDep) -> RenderedYaml:
        """Scenario fields as YAML text (what the dashboard's form writes into the editor)."""
        return RenderedYaml(yaml=render_yaml(_json_safe(body.data)))

    @app.post(
        "/api/scenarios",
        status_code=201,
        response_model=ScenarioDetail,
        tags=["scenarios"],
        responses={422: {"model": Problem, "description": "not a valid scenario"}},
    )
    def create_scenario(body: ScenarioText, user: UserDep, session: SessionDep) -> Any:
        """Store a scenario (validated first; an invalid one is refused with the message)."""
        try:
            checked = check(body.yaml)
        except ScenarioError as exc:
            return problem(exc)
        sc = Scenario(
            owner_id=user.id,
            name=checked.scenario.name,
            description=checked.scenario.description.replace("\x00", ""),
            yaml=body.yaml,
        )
        session.add(sc)
        session.flush()
        return detail(session, user, sc)

    def detail(session: Session, user: User, sc: Scenario | Shipped) -> ScenarioDetail:
        import yaml as pyyaml

        try:
            data = pyyaml.safe_load(sc.yaml)
        except pyyaml.YAMLError:
            data = {}
        data = _json_safe(data) if isinstance(data, dict) else {}
        base = shipped_out(sc) if isinstance(sc, Shipped) else scenario_out(session, user, sc)
        return ScenarioDetail(**base.model_dump(), yaml=sc.yaml, data=data)

    @app.get("/api/scenarios/{scenario_id}", response_model=ScenarioDetail, tags=["scenarios"])
    def get_scenario(scenario_id: str, user: UserDep, session: SessionDep) -> ScenarioDetail:
        return detail(session, user, visible_scenario(session, user, scenario_id))

    @app.put(
        "/api/scenarios/{scenario_id}",
        response_model=ScenarioDetail,
        tags=["scenarios"],
        responses={422: {"model": Problem, "description": "not a valid scenario"}},
    )
    def update_scenario(
        scenario_id: str, body: ScenarioText, user: UserDep, session: SessionDep
    ) -> Any:
        sc = own_scenario(session, user, scenario_id)
        try:
            checked = check(body.yaml)
        except ScenarioError as exc:
            return problem(exc)
        sc.yaml = body.yaml
        sc.name = checked.scenario.name
        sc.description = checked.scenario.description.replace("\x00", "")
        sc.updated = now()
        session.flush()
        return detail(session, user, sc)

    @app.delete("/api/scenarios/{scenario_id}", status_code=204, tags=["scenarios"])
    def delete_scenario(scenario_id: str, user: UserDep, session: SessionDep) -> Response:
        sc = own_scenario(session, user, scenario_id)
        session.execute(delete(Share).where(Share.kind == "scenario", Share.object_id == sc.id))
        session.delete(sc)
        return Response(status_code=204)

    def share(kind: str, object_id: str, body: ShareIn, session: Session) -> Response:
        other = (
            session.scalar(select(User).where(User.username == body.username))
            if auth.USERNAME_RE.match(body.username)
            else None
        )
        if other is None:  # answered as a success: sharing must not tell who has an account
            return Response(status_code=204)
        exists = session.scalar(
            select(Share).where(
                Share.kind == kind, Share.object_id == object_id, Share.user_id == other.id
            )
        )
        if exists is None:
            session.add(Share(kind=kind, object_id=object_id, user_id=other.id))
        return Response(status_code=204)

    @app.post("/api/scenarios/{scenario_id}/shares", status_code=204, tags=["scenarios"])
    def share_scenario(
        scenario_id: str, body: ShareIn, user: UserDep, session: SessionDep
    ) -> Response:
        """Let another user see (not change) this scenario."""
        sc = own_scenario(session, user, scenario_id)
        return share("scenario", sc.id, body, session)

    # -- runs -----------------------------------------------------------------------------------

    @app.get("/api/runs", response_model=list[RunOut], tags=["runs"])
    def list_runs(
        user: UserDep, session: SessionDep, page: PageDep, response: Response
    ) -> list[RunOut]:
        """The user's runs and those shared with them, newest first (paged, X-Total-Count)."""
        shared = shared_ids(session, user, "run")
        mine = or_(Run.owner_id == user.id, Run.id.in_(shared))
        total = session.scalar(select(func.count(Run.id)).where(mine)) or 0
        response.headers["X-Total-Count"] = str(total)
        rows = session.scalars(
            select(Run)
            .where(mine)
            .order_by(Run.created.desc(), Run.id)
            .offset(page.offset)
            .limit(page.limit)
        ).all()
        return [run_out(session, r) for r in rows]

    @app.delete("/api/scenarios/{scenario_id}/share", status_code=204, tags=["scenarios"])
    def leave_scenario(scenario_id: str, user: UserDep, session: SessionDep) -> Response:
        """Remove a scenario someone shared with you from your list."""
        return unshare(session, user, "scenario", scenario_id)

    @app.delete("/api/runs/{run_id}/share", status_code=204, tags=["runs"])
    def leave_run(run_id: str, user: UserDep, session: SessionDep) -> Response:
        """Remove a run someone shared with you from your list."""
        return unshare(session, user, "run", run_id)

    def unshare(session: Session, user: User, kind: str, object_id: str) -> Response:
        gone = session.execute(
            delete(Share).where(
                Share.kind == kind, Share.object_id == object_id, Share.user_id == user.id
            )
        )
        if not getattr(gone, "rowcount", 0):
            raise HTTPException(404, f"no {kind} '{object_id}' shared with you")
        return Response(status_code=204)

    def queue_run(
        session: Session, user: User, sc: Scenario | Shipped, body: RunIn, scenario_id: str
    ) -> Run:
        horizon = body.horizon.model_dump() if body.horizon else None
        try:
            text = with_horizon(sc.yaml, horizon, body.foresight)
            checked = check(text)
        except ScenarioError as exc:
            raise _ProblemError(exc) from None
        run = Run(
            owner_id=user.id,
            scenario_id=scenario_id,
            scenario_name=checked.scenario.name,
            yaml=text,
            foresight=body.foresight,
            status=QUEUED,
            cancel_requested=False,
            progress_done=0,
            progress_total=0,
            progress_label="queued",
            error="",
            attempts=0,
        )
        session.add(run)
        session.flush()
        return run

    @app.post(
        "/api/runs",
        status_code=202,
        response_model=RunOut,
        tags=["runs"],
        responses={422: {"model": Problem, "description": "the scenario is not valid"}},
    )
    def submit_run(body: RunIn, user: UserDep, session: SessionDep) -> Any:
        """Queue a solve of a scenario (optionally with a shorter horizon, and a baseline).
        429 when the user already has MAX_ACTIVE_RUNS queued or running."""
        sc = visible_scenario(session, user, body.scenario_id)
        active = session.scalar(
            select(func.count(Run.id)).where(
                Run.owner_id == user.id, Run.status.in_((QUEUED, RUNNING))
            )
        )
        if (active or 0) + (2 if body.with_baseline else 1) > MAX_ACTIVE_RUNS:
            raise HTTPException(
                429,
                f"you have {active} runs queued or running; at most {MAX_ACTIVE_RUNS} at a time",
                headers={"Retry-After": "30"},
            )
        try:
            run = queue_run(session, user, sc, body, body.scenario_id)
            if body.with_baseline and "baseline" in shipped and body.scenario_id != "baseline":
                # the baseline covers the periods of the run it is compared with
                own = check(run.yaml).scenario.horizon
                horizon = body.horizon or HorizonIn(
                    start=own.start.strftime("%Y-%m"), end=own.end.strftime("%Y-%m"), step=own.step
                )
                base = queue_run(
                    session,
                    user,
                    shipped["baseline"],
                    body.model_copy(update={"scenario_id": "baseline", "horizon": horizon}),
                    "baseline",
                )
                run.baseline_run_id = base.id
        except _ProblemError as exc:
            session.rollback()
            return problem(exc.error)
        session.flush()
        return run_out(session, run)

    @app.get("/api/runs/{run_id}", response_model=RunOut, tags=["runs"])
    def get_run(run_id: str, user: UserDep, session: SessionDep) -> RunOut:
        """Status and progress of a run."""
        return run_out(session, visible_run(session, user, run_id))

    @app.post("/api/runs/{run_id}/cancel", response_model=RunOut, tags=["runs"])
    def cancel_run(run_id: str, user: UserDep, session: SessionDep) -> RunOut:
        """Cancel a queued run at once, a running one within a heartbeat."""
        run = visible_run(session, user, run_id)
        if run.owner_id != user.id:
            raise HTTPException(403, "only the owner can cancel a run")
        if run.status == QUEUED:
            run.status = CANCELLED
            run.finished = now()
            run.progress_label = "cancelled"
        if run.status not in FINAL_STATES:
            run.cancel_requested = True
        session.flush()
        return run_out(session, run)

    @app.post("/api/runs/{run_id}/shares", status_code=204, tags=["runs"])
    def share_run(run_id: str, body: ShareIn, user: UserDep, session: SessionDep) -> Response:
        """Let another user see this run and its results."""
        run = visible_run(session, user, run_id)
        if run.owner_id != user.id:
            raise HTTPException(403, "only the owner can share a run")
        return share("run", run.id, body, session)

    # -- results --------------------------------------------------------------------------------

    def against_dir(session: Session, user: User, run: Run, against: str) -> Path:
        """A run to compare with: one the user may read, or the run's own baseline (whoever
        may read a run may read the baseline it was queued with)."""
        if against == run.baseline_run_id and safe_id(against):
            base = session.get(Run, against)
            if base is not None:
                return finished_dir(session, user, against, seen=base)
        return finished_dir(session, user, against)

    def finished_dir(session: Session, user: User, run_id: str, seen: Run | None = None) -> Path:
        run = seen if seen is not None else visible_run(session, user, run_id)
        path = result_dir(settings.runs_dir, run.id)
        if run.status != "done" or not (path / "summary.json").is_file():
            raise HTTPException(409, f"run '{run_id}' has no results (status {run.status})")
        return path

    @app.get("/api/runs/{run_id}/results", response_model=ResultsOut, tags=["results"])
    def results(run_id: str, user: UserDep, session: SessionDep) -> ResultsOut:
        path = finished_dir(session, user, run_id)
        result = Result.from_dir(path)
        return ResultsOut(
            tables=[
                TableInfo(name=n, rows=len(result.table(n)), columns=list(TABLES[n]))
                for n in TABLES
            ],
            summary=_json_safe(result.summary),
        )

    @app.get(
        "/api/runs/{run_id}/results/{table}",
        tags=["results"],
        response_model=TablePage,
        responses={
            200: {
                "content": {
                    "text/csv": {},
                    "application/vnd.apache.parquet": {},
                }
            }
        },
    )
    def result_table(
        run_id: str,
        table: str,
        user: UserDep,
        session: SessionDep,
        format: Literal["json", "csv", "parquet"] = "json",
        limit: Annotated[int, Query(ge=1, le=MAX_ROWS)] = 10_000,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> Any:
        """One result table as JSON records (paged), CSV or Parquet (whole table)."""
        path = finished_dir(session, user, run_id)
        if table not in TABLES:
            raise HTTPException(404, f"no result table '{table}' (one of {', '.join(TABLES)})")
        if format == "parquet":
            return FileResponse(
                path / f"{table}.parquet",
                media_type="application/vnd.apache.parquet",
                filename=f"{run_id}-{table}.parquet",
            )
        frame = Result.from_dir(path).table(table)
        if format == "csv":
            return Response(
                frame.to_csv(index=False),
                media_type="text/csv",
                headers={"content-disposition": f'attachment; filename="{run_id}-{table}.csv"'},
            )
        return TablePage(
            name=table,
            columns=[str(c) for c in frame.columns],
            total=len(frame),
            offset=offset,
            rows=_frame_records(frame.iloc[offset : offset + limit]),
        )

    def cached(target: Path, write: Callable[[Path], Any]) -> Path:
        """Write `target` once, through a temporary file renamed into place."""
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
            os.close(fd)
            tmp = Path(tmp_name)
            try:
                write(tmp)
                os.replace(tmp, target)
            finally:
                tmp.unlink(missing_ok=True)
        return target

    @app.get(
        "/api/runs/{run_id}/excel",
        tags=["results"],
        response_class=FileResponse,
        responses={
            200: {
                "content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}
            }
        },
    )
    def excel(run_id: str, user: UserDep, session: SessionDep) -> FileResponse:
        """All result tables as one Excel workbook."""
        path = finished_dir(session, user, run_id)
        target = cached(
            settings.runs_dir / ".cache" / f"{run_id}.xlsx",
            lambda tmp: Result.from_dir(path).to_excel(tmp),
        )
        return FileResponse(
            target,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            filename=f"{run_id}.xlsx",
        )

    @app.get(
        "/api/runs/{run_id}/report",
        tags=["results"],
        response_class=FileResponse,
        responses={200: {"content": {"text/html": {}, "application/pdf": {}}}},
    )
    def report(
        run_id: str,
        user: UserDep,
        session: SessionDep,
        against: Annotated[str | None, Query(max_length=64)] = None,
        format: Literal["html", "pdf"] = "html",
    ) -> FileResponse:
        """The report of a run, compared with run `against` if given (HTML works offline)."""
        path = finished_dir(session, user, run_id)
        run = visible_run(session, user, run_id)
        base = against_dir(session, user, run, against) if against else None
        from rareflow.report import ReportError, write_report

        name = f"{run_id}-{against or 'alone'}.{format}"
        try:
            target = cached(
                settings.runs_dir / ".cache" / name,
                lambda tmp: write_report(path, tmp, fmt=format, against=base),
            )
        except ReportError as exc:
            raise HTTPException(422, str(exc)) from None
        except ImportError as exc:  # the PDF library is not installed here
            raise HTTPException(404, f"{format} reports are not available: {exc}") from None
        media = "text/html" if format == "html" else "application/pdf"
        return FileResponse(
            target,
            media_type=media,
            filename=f"rareflow-{name}",
            headers={"Content-Security-Policy": safety.REPORT_CSP},
        )

    @app.get("/api/runs/{run_id}/compare", response_model=Comparison, tags=["results"])
    def compare(
        run_id: str,
        user: UserDep,
        session: SessionDep,
        against: Annotated[str | None, Query(max_length=64)] = None,
        region: Annotated[str | None, Query(max_length=64)] = None,
        material: Annotated[str | None, Query(max_length=64)] = None,
    ) -> Comparison:
        """Chart data: unserved demand and a price, this run against another (its baseline)."""
        run = visible_run(session, user, run_id)
        against = against or run.baseline_run_id
        this = Result.from_dir(finished_dir(session, user, run_id))
        other = Result.from_dir(against_dir(session, user, run, against)) if against else None
        return comparison(run, this, other, against, region, material)

    app.state.shipped_out = shipped_out
    from rareflow.web.pages import add_pages

    add_pages(app)
    return app


class _ProblemError(Exception):
    def __init__(self, error: ScenarioError) -> None:
        super().__init__(str(error))
        self.error = error


def _by_period(frame: pd.DataFrame, periods: list[str], column: str) -> list[float | None]:
    series = frame.groupby("period")[column].sum() if len(frame) else pd.Series(dtype=float)
    return [
        float(series[p]) if p in series.index and math.isfinite(float(series[p])) else None
        for p in periods
    ]


def comparison(
    run: Run,
    this: Result,
    other: Result | None,
    against: str | None,
    region: str | None,
    material: str | None,
) -> Comparison:
    periods = this.periods or sorted(this.shortfalls["period"].astype(str).unique())
    results = [(run.scenario_name, this)] + ([("baseline", other)] if other is not None else [])
    prices = this.prices
    regions = sorted(prices["region"].astype(str).unique())
    materials = sorted(prices["material"].astype(str).unique())
    chosen_region: str = (
        region
        if region is not None and region in regions
        else ("JPN" if "JPN" in regions else regions[0])
    )
    chosen_material: str = (
        material
        if material is not None and material in materials
        else ("oxide:Dy" if "oxide:Dy" in materials else materials[0])
    )
    unserved = [
        Series(name=n, x=periods, y=_by_period(r.shortfalls, periods, "unserved"))
        for n, r in results
    ]
    sectors = sorted(this.shortfalls["sector"].astype(str).unique())
    by_sector = []
    for n, r in results:
        totals = r.shortfalls.groupby("sector")["unserved"].sum()
        by_sector.append(
            Series(
                name=n,
                x=sectors,
                y=[float(totals.get(s, 0.0)) for s in sectors],
            )
        )
    price = []
    for n, r in results:
        p = r.prices[
            (r.prices["region"] == chosen_region) & (r.prices["material"] == chosen_material)
        ]
        price.append(Series(name=n, x=periods, y=_by_period(p, periods, "price")))
    return Comparison(
        run_id=run.id,
        against=against,
        periods=periods,
        unserved=unserved,
        unserved_by_sector=by_sector,
        price=price,
        region=chosen_region,
        material=chosen_material,
        regions=regions,
        materials=materials,
    )
