"""Dependencies of the API routers: database session, current user, paging, the service."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
from fastapi import Depends, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from rareflow.scenario import ScenarioError
from rareflow.web import auth, safety
from rareflow.web.db import (
    QUEUED,
    Database,
    Run,
    Scenario,
    Share,
    User,
)
from rareflow.web.guard import Guard
from rareflow.web.jobs import result_dir
from rareflow.web.models import (
    Problem,
    RunIn,
    RunOut,
    ScenarioDetail,
    ScenarioOut,
    ShareIn,
)
from rareflow.web.scenarios import (
    MAX_SCENARIO_BYTES,
    Shipped,
    check_text,
    safe_id,
    with_horizon,
)

MAX_BODY_BYTES = MAX_SCENARIO_BYTES + 64_000  # a scenario upload plus its JSON envelope
MAX_ROWS = 100_000
MAX_PAGE = 200  # items of a list endpoint per request
MAX_ACTIVE_RUNS = 6  # queued or running runs per user: one user cannot fill the queue


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


class Service:
    """What the route handlers share: settings, the shipped scenarios and the access rule (a
    user sees their own objects, the shipped scenarios and what was shared with them)."""

    def __init__(self, settings: Settings, shipped: dict[str, Shipped]) -> None:
        self.settings = settings
        self.shipped = shipped
        self.reference_cache: dict[str, Any] = {}

    def shared_ids(self, session: Session, user: User, kind: str) -> list[str]:
        return list(
            session.scalars(
                select(Share.object_id).where(Share.kind == kind, Share.user_id == user.id)
            )
        )

    def username_of(self, session: Session, user_id: int) -> str:
        u = session.get(User, user_id)
        return u.username if u is not None else ""

    def scenario_out(self, session: Session, user: User, sc: Scenario) -> ScenarioOut:
        return ScenarioOut(
            id=sc.id,
            name=sc.name,
            description=sc.description,
            shipped=False,
            owner=self.username_of(session, sc.owner_id),
            editable=sc.owner_id == user.id,
            updated=_iso(sc.updated),
        )

    def shipped_out(self, sh: Shipped) -> ScenarioOut:
        return ScenarioOut(
            id=sh.id,
            name=sh.name,
            description=sh.description,
            shipped=True,
            owner=None,
            editable=False,
        )

    def visible_scenario(
        self, session: Session, user: User, scenario_id: str
    ) -> Scenario | Shipped:
        if scenario_id in self.shipped:
            return self.shipped[scenario_id]
        sc = session.get(Scenario, scenario_id) if safe_id(scenario_id) else None
        if sc is not None and (
            sc.owner_id == user.id or scenario_id in self.shared_ids(session, user, "scenario")
        ):
            return sc
        raise HTTPException(404, f"no scenario '{scenario_id}'")

    def own_scenario(self, session: Session, user: User, scenario_id: str) -> Scenario:
        found = self.visible_scenario(session, user, scenario_id)
        if isinstance(found, Shipped):
            raise HTTPException(403, f"'{scenario_id}' is a shipped scenario: read-only")
        if found.owner_id != user.id:
            raise HTTPException(403, f"'{scenario_id}' was shared with you: read-only")
        return found

    def visible_run(self, session: Session, user: User, run_id: str) -> Run:
        run = session.get(Run, run_id) if safe_id(run_id) else None
        if run is not None and (
            run.owner_id == user.id or run_id in self.shared_ids(session, user, "run")
        ):
            return run
        raise HTTPException(404, f"no run '{run_id}'")

    def run_out(self, session: Session, run: Run) -> RunOut:
        return RunOut(
            id=run.id,
            scenario_id=run.scenario_id,
            scenario_name=run.scenario_name,
            owner=self.username_of(session, run.owner_id),
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

    def problem(self, exc: ScenarioError) -> JSONResponse:
        body = Problem(detail=str(exc), file=exc.file, line=exc.line, field=exc.field)
        return JSONResponse(body.model_dump(), status_code=422)

    def check(self, text: str) -> Any:
        return check_text(text, self.settings.scenarios_dir, self.settings.data_dir)

    def reference(self) -> Any:
        if "ref" not in self.reference_cache:
            from rareflow.data.loader import load_reference

            self.reference_cache["ref"] = load_reference(self.settings.data_dir)
        return self.reference_cache["ref"]

    def detail(self, session: Session, user: User, sc: Scenario | Shipped) -> ScenarioDetail:
        import yaml as pyyaml

        try:
            data = pyyaml.safe_load(sc.yaml)
        except pyyaml.YAMLError:
            data = {}
        data = _json_safe(data) if isinstance(data, dict) else {}
        base = (
            self.shipped_out(sc)
            if isinstance(sc, Shipped)
            else self.scenario_out(session, user, sc)
        )
        return ScenarioDetail(**base.model_dump(), yaml=sc.yaml, data=data)

    def share(self, kind: str, object_id: str, body: ShareIn, session: Session) -> Response:
        other = (
            session.scalar(select(User).where(User.username == body.username))
            if auth.USERNAME_RE.match(body.username)
            else None
        )
        # an unknown name is answered as a success, after the same lookups: sharing must not
        # tell who has an account (-1 is no user's id)
        exists = session.scalar(
            select(Share).where(
                Share.kind == kind,
                Share.object_id == object_id,
                Share.user_id == (other.id if other is not None else -1),
            )
        )
        if other is not None and exists is None:
            session.add(Share(kind=kind, object_id=object_id, user_id=other.id))
        return Response(status_code=204)

    def unshare(self, session: Session, user: User, kind: str, object_id: str) -> Response:
        gone = session.execute(
            delete(Share).where(
                Share.kind == kind, Share.object_id == object_id, Share.user_id == user.id
            )
        )
        if not getattr(gone, "rowcount", 0):
            raise HTTPException(404, f"no {kind} '{object_id}' shared with you")
        return Response(status_code=204)

    def queue_run(
        self, session: Session, user: User, sc: Scenario | Shipped, body: RunIn, scenario_id: str
    ) -> Run:
        horizon = body.horizon.to_dict() if body.horizon else None
        try:
            text = with_horizon(sc.yaml, horizon, body.foresight)
            checked = self.check(text)
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

    def against_dir(self, session: Session, user: User, run: Run, against: str) -> Path:
        """A run to compare with: one the user may read, or the run's own baseline (whoever
        may read a run may read the baseline it was queued with)."""
        if against == run.baseline_run_id and safe_id(against):
            base = session.get(Run, against)
            if base is not None:
                return self.finished_dir(session, user, against, seen=base)
        return self.finished_dir(session, user, against)

    def finished_dir(
        self, session: Session, user: User, run_id: str, seen: Run | None = None
    ) -> Path:
        run = seen if seen is not None else self.visible_run(session, user, run_id)
        path = result_dir(self.settings.runs_dir, run.id)
        if run.status != "done" or not (path / "summary.json").is_file():
            raise HTTPException(409, f"run '{run_id}' has no results (status {run.status})")
        return path

    def cached(self, target: Path, write: Callable[[Path], Any]) -> Path:
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


def service_of(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(service_of)]


class _ProblemError(Exception):
    def __init__(self, error: ScenarioError) -> None:
        super().__init__(str(error))
        self.error = error
