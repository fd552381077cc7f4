"""Request and response bodies of the service API (pydantic models)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from rareflow.scenario.schema import Horizon
from rareflow.web import auth
from rareflow.web.scenarios import (
    MAX_SCENARIO_BYTES,
)


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


class RunIn(BaseModel):
    scenario_id: str = Field(min_length=1, max_length=200)
    horizon: Horizon | None = Field(None, description="Replace the scenario's horizon.")
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
