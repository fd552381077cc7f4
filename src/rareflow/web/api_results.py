"""Results of finished runs: tables, Excel, reports, comparisons."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, HTTPException, Query, Response
from fastapi.responses import FileResponse

from rareflow.results import TABLES, Result
from rareflow.web import safety
from rareflow.web.db import (
    Run,
)
from rareflow.web.deps import (
    MAX_ROWS,
    ServiceDep,
    SessionDep,
    UserDep,
    _frame_records,
    _json_safe,
)
from rareflow.web.models import (
    Comparison,
    ResultsOut,
    Series,
    TableInfo,
    TablePage,
)

router = APIRouter()


@router.get("/api/runs/{run_id}/results", response_model=ResultsOut, tags=["results"])
def results(svc: ServiceDep, run_id: str, user: UserDep, session: SessionDep) -> ResultsOut:
    path = svc.finished_dir(session, user, run_id)
    result = Result.from_dir(path)
    return ResultsOut(
        tables=[
            TableInfo(name=n, rows=len(result.table(n)), columns=list(t.names))
            for n, t in TABLES.items()
        ],
        summary=_json_safe(result.summary),
    )


@router.get(
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
    svc: ServiceDep,
    run_id: str,
    table: str,
    user: UserDep,
    session: SessionDep,
    format: Literal["json", "csv", "parquet"] = "json",
    limit: Annotated[int, Query(ge=1, le=MAX_ROWS)] = 10_000,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Any:
    """One result table as JSON records (paged), CSV or Parquet (whole table)."""
    path = svc.finished_dir(session, user, run_id)
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


@router.get(
    "/api/runs/{run_id}/excel",
    tags=["results"],
    response_class=FileResponse,
    responses={
        200: {"content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}
    },
)
def excel(svc: ServiceDep, run_id: str, user: UserDep, session: SessionDep) -> FileResponse:
    """All result tables as one Excel workbook."""
    path = svc.finished_dir(session, user, run_id)
    target = svc.cached(
        svc.settings.runs_dir / ".cache" / f"{run_id}.xlsx",
        lambda tmp: Result.from_dir(path).to_excel(tmp),
    )
    return FileResponse(
        target,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=f"{run_id}.xlsx",
    )


@router.get(
    "/api/runs/{run_id}/report",
    tags=["results"],
    response_class=FileResponse,
    responses={200: {"content": {"text/html": {}, "application/pdf": {}}}},
)
def report(
    svc: ServiceDep,
    run_id: str,
    user: UserDep,
    session: SessionDep,
    against: Annotated[str | None, Query(max_length=64)] = None,
    format: Literal["html", "pdf"] = "html",
) -> FileResponse:
    """The report of a run, compared with run `against` if given (HTML works offline)."""
    path = svc.finished_dir(session, user, run_id)
    run = svc.visible_run(session, user, run_id)
    base = svc.against_dir(session, user, run, against) if against else None
    from rareflow.report import ReportError, write_report

    name = f"{run_id}-{against or 'alone'}.{format}"
    try:
        target = svc.cached(
            svc.settings.runs_dir / ".cache" / name,
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


@router.get("/api/runs/{run_id}/compare", response_model=Comparison, tags=["results"])
def compare(
    svc: ServiceDep,
    run_id: str,
    user: UserDep,
    session: SessionDep,
    against: Annotated[str | None, Query(max_length=64)] = None,
    region: Annotated[str | None, Query(max_length=64)] = None,
    material: Annotated[str | None, Query(max_length=64)] = None,
) -> Comparison:
    """Chart data: unserved demand and a price, this run against another (its baseline)."""
    run = svc.visible_run(session, user, run_id)
    against = against or run.baseline_run_id
    this = Result.from_dir(svc.finished_dir(session, user, run_id))
    other = Result.from_dir(svc.against_dir(session, user, run, against)) if against else None
    return comparison(run, this, other, against, region, material)


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
