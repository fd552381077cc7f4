"""The reference tables, paged."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from rareflow.web.deps import (
    MAX_ROWS,
    ServiceDep,
    UserDep,
    _frame_records,
)
from rareflow.web.models import (
    TableInfo,
    TablePage,
)

router = APIRouter()


@router.get("/api/reference", response_model=list[TableInfo], tags=["reference"])
def reference_tables(svc: ServiceDep, user: UserDep) -> list[TableInfo]:
    """The reference tables, their sizes and columns."""
    ref = svc.reference()
    return [
        TableInfo(name=n, rows=len(ref[n]), columns=[str(c) for c in ref[n].columns]) for n in ref
    ]


@router.get("/api/reference/{table}", response_model=TablePage, tags=["reference"])
def reference_table(
    svc: ServiceDep,
    table: str,
    user: UserDep,
    limit: Annotated[int, Query(ge=1, le=MAX_ROWS)] = 1000,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> TablePage:
    """One reference table as JSON records."""
    ref = svc.reference()
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
