"""Scenarios: list, validate, render, create, read, update, delete, share."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy import delete, func, or_, select

from rareflow.scenario import ScenarioError
from rareflow.web.db import (
    Scenario,
    Share,
    now,
)
from rareflow.web.deps import (
    PageDep,
    ServiceDep,
    SessionDep,
    UserDep,
    _json_safe,
)
from rareflow.web.models import (
    Problem,
    RenderedYaml,
    ScenarioDetail,
    ScenarioForm,
    ScenarioOut,
    ScenarioText,
    ShareIn,
    Validation,
)
from rareflow.web.scenarios import (
    render_yaml,
)

router = APIRouter()


@router.get("/api/scenarios", response_model=list[ScenarioOut], tags=["scenarios"])
def list_scenarios(
    svc: ServiceDep, user: UserDep, session: SessionDep, page: PageDep, response: Response
) -> list[ScenarioOut]:
    """Shipped scenarios, then the user's own and those shared with them (paged; the
    total is in the X-Total-Count header)."""
    shared = svc.shared_ids(session, user, "scenario")
    mine = or_(Scenario.owner_id == user.id, Scenario.id.in_(shared))
    fixed = [svc.shipped_out(s) for s in svc.shipped.values()]
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
    return first + [svc.scenario_out(session, user, s) for s in rows]


@router.post(
    "/api/scenarios/validate",
    response_model=Validation,
    tags=["scenarios"],
)
def validate(svc: ServiceDep, body: ScenarioText, user: UserDep) -> Validation:
    """Check scenario text; the problem is the CLI's message (`rareflow scenario validate`)."""
    try:
        checked = svc.check(body.yaml)
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


@router.post("/api/scenarios/render", response_model=RenderedYaml, tags=["scenarios"])
def render(body: ScenarioForm, user: UserDep) -> RenderedYaml:
    """Scenario fields as YAML text (what the dashboard's form writes into the editor)."""
    return RenderedYaml(yaml=render_yaml(_json_safe(body.data)))


@router.post(
    "/api/scenarios",
    status_code=201,
    response_model=ScenarioDetail,
    tags=["scenarios"],
    responses={422: {"model": Problem, "description": "not a valid scenario"}},
)
def create_scenario(svc: ServiceDep, body: ScenarioText, user: UserDep, session: SessionDep) -> Any:
    """Store a scenario (validated first; an invalid one is refused with the message)."""
    try:
        checked = svc.check(body.yaml)
    except ScenarioError as exc:
        return svc.problem(exc)
    sc = Scenario(
        owner_id=user.id,
        name=checked.scenario.name,
        description=checked.scenario.description.replace("\x00", ""),
        yaml=body.yaml,
    )
    session.add(sc)
    session.flush()
    return svc.detail(session, user, sc)


@router.get("/api/scenarios/{scenario_id}", response_model=ScenarioDetail, tags=["scenarios"])
def get_scenario(
    svc: ServiceDep, scenario_id: str, user: UserDep, session: SessionDep
) -> ScenarioDetail:
    return svc.detail(session, user, svc.visible_scenario(session, user, scenario_id))


@router.put(
    "/api/scenarios/{scenario_id}",
    response_model=ScenarioDetail,
    tags=["scenarios"],
    responses={422: {"model": Problem, "description": "not a valid scenario"}},
)
def update_scenario(
    svc: ServiceDep, scenario_id: str, body: ScenarioText, user: UserDep, session: SessionDep
) -> Any:
    sc = svc.own_scenario(session, user, scenario_id)
    try:
        checked = svc.check(body.yaml)
    except ScenarioError as exc:
        return svc.problem(exc)
    sc.yaml = body.yaml
    sc.name = checked.scenario.name
    sc.description = checked.scenario.description.replace("\x00", "")
    sc.updated = now()
    session.flush()
    return svc.detail(session, user, sc)


@router.delete("/api/scenarios/{scenario_id}", status_code=204, tags=["scenarios"])
def delete_scenario(
    svc: ServiceDep, scenario_id: str, user: UserDep, session: SessionDep
) -> Response:
    sc = svc.own_scenario(session, user, scenario_id)
    session.execute(delete(Share).where(Share.kind == "scenario", Share.object_id == sc.id))
    session.delete(sc)
    return Response(status_code=204)


@router.post("/api/scenarios/{scenario_id}/shares", status_code=204, tags=["scenarios"])
def share_scenario(
    svc: ServiceDep, scenario_id: str, body: ShareIn, user: UserDep, session: SessionDep
) -> Response:
    """Let another user see (not change) this scenario."""
    sc = svc.own_scenario(session, user, scenario_id)
    return svc.share("scenario", sc.id, body, session)
