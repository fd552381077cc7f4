"""Runs: the queue (per-user limit), status, cancel, shares."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Response
from sqlalchemy import func, or_, select

from rareflow.web.db import (
    CANCELLED,
    FINAL_STATES,
    QUEUED,
    RUNNING,
    Run,
    now,
)
from rareflow.web.deps import (
    MAX_ACTIVE_RUNS,
    PageDep,
    ServiceDep,
    SessionDep,
    UserDep,
    _ProblemError,
)
from rareflow.web.models import (
    Problem,
    RunIn,
    RunOut,
    ShareIn,
)

router = APIRouter()


@router.get("/api/runs", response_model=list[RunOut], tags=["runs"])
def list_runs(
    svc: ServiceDep, user: UserDep, session: SessionDep, page: PageDep, response: Response
) -> list[RunOut]:
    """The user's runs and those shared with them, newest first (paged, X-Total-Count)."""
    shared = svc.shared_ids(session, user, "run")
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
    return [svc.run_out(session, r) for r in rows]


@router.delete("/api/scenarios/{scenario_id}/share", status_code=204, tags=["scenarios"])
def leave_scenario(
    svc: ServiceDep, scenario_id: str, user: UserDep, session: SessionDep
) -> Response:
    """Remove a scenario someone shared with you from your list."""
    return svc.unshare(session, user, "scenario", scenario_id)


@router.delete("/api/runs/{run_id}/share", status_code=204, tags=["runs"])
def leave_run(svc: ServiceDep, run_id: str, user: UserDep, session: SessionDep) -> Response:
    """Remove a run someone shared with you from your list."""
    return svc.unshare(session, user, "run", run_id)


@router.post(
    "/api/runs",
    status_code=202,
    response_model=RunOut,
    tags=["runs"],
    responses={422: {"model": Problem, "description": "the scenario is not valid"}},
)
def submit_run(svc: ServiceDep, body: RunIn, user: UserDep, session: SessionDep) -> Any:
    """Queue a solve of a scenario (optionally with a shorter horizon, and a baseline).
    429 when the user already has MAX_ACTIVE_RUNS queued or running."""
    sc = svc.visible_scenario(session, user, body.scenario_id)
    active = session.scalar(
        select(func.count(Run.id)).where(Run.owner_id == user.id, Run.status.in_((QUEUED, RUNNING)))
    )
    if (active or 0) + (2 if body.with_baseline else 1) > MAX_ACTIVE_RUNS:
        raise HTTPException(
            429,
            f"you have {active} runs queued or running; at most {MAX_ACTIVE_RUNS} at a time",
            headers={"Retry-After": "30"},
        )
    try:
        run = svc.queue_run(session, user, sc, body, body.scenario_id)
        if body.with_baseline and "baseline" in svc.shipped and body.scenario_id != "baseline":
            # the baseline covers the periods of the run it is compared with
            own = svc.check(run.yaml).scenario.horizon
            horizon = body.horizon or own
            base = svc.queue_run(
                session,
                user,
                svc.shipped["baseline"],
                body.model_copy(update={"scenario_id": "baseline", "horizon": horizon}),
                "baseline",
            )
            run.baseline_run_id = base.id
    except _ProblemError as exc:
        session.rollback()
        return svc.problem(exc.error)
    session.flush()
    return svc.run_out(session, run)


@router.get("/api/runs/{run_id}", response_model=RunOut, tags=["runs"])
def get_run(svc: ServiceDep, run_id: str, user: UserDep, session: SessionDep) -> RunOut:
    """Status and progress of a run."""
    return svc.run_out(session, svc.visible_run(session, user, run_id))


@router.post("/api/runs/{run_id}/cancel", response_model=RunOut, tags=["runs"])
def cancel_run(svc: ServiceDep, run_id: str, user: UserDep, session: SessionDep) -> RunOut:
    """Cancel a queued run at once, a running one within a heartbeat."""
    run = svc.visible_run(session, user, run_id)
    if run.owner_id != user.id:
        raise HTTPException(403, "only the owner can cancel a run")
    if run.status == QUEUED:
        run.status = CANCELLED
        run.finished = now()
        run.progress_label = "cancelled"
    if run.status not in FINAL_STATES:
        run.cancel_requested = True
    session.flush()
    return svc.run_out(session, run)


@router.post("/api/runs/{run_id}/shares", status_code=204, tags=["runs"])
def share_run(
    svc: ServiceDep, run_id: str, body: ShareIn, user: UserDep, session: SessionDep
) -> Response:
    """Let another user see this run and its results."""
    run = svc.visible_run(session, user, run_id)
    if run.owner_id != user.id:
        raise HTTPException(403, "only the owner can share a run")
    return svc.share("run", run.id, body, session)
