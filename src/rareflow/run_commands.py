"""`rareflow run`: solve a scenario file with progress, write results, print a summary."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from rareflow.data.loader import ReferenceDataError
from rareflow.network import NetworkError
from rareflow.optimize import HorizonError, LeverError, MassBalanceError, SolveError
from rareflow.optimize.timings import Timings
from rareflow.runner import run_scenario, summary_table
from rareflow.scenario import ScenarioError

USER_ERRORS = (ScenarioError, ReferenceDataError, NetworkError, HorizonError, LeverError)


def _fail(message: str) -> None:
    Console(stderr=True).print(f"error: {message}", markup=False, highlight=False)
    raise typer.Exit(2)


def run(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file")],
    out: Annotated[Path, typer.Option("--out", help="directory for the result files")],
    foresight: Annotated[
        str | None,
        typer.Option(help="perfect | myopic | 'window N' (default: the scenario's, else perfect)"),
    ] = None,
    data: Annotated[
        Path | None, typer.Option("--data", help="directory of reference tables to override")
    ] = None,
    excel: Annotated[bool, typer.Option("--excel", help="also write result.xlsx")] = False,
    report: Annotated[
        bool, typer.Option("--report", help="also write report.html next to the results")
    ] = False,
) -> None:
    """Solve SCENARIO and write flows, trade, prices, shortfalls and a summary to --out."""
    if not scenario.is_file():
        _fail(f"{scenario}: no such scenario file")
    console = Console()
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} {task.fields[label]}"),
        TimeElapsedColumn(),
    )
    with Progress(
        *columns, console=console, transient=False, disable=not sys.stdout.isatty()
    ) as bar:
        task = bar.add_task(f"solving {scenario.name}", total=None, label="")

        def progress(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, label=label)

        try:
            output = run_scenario(
                scenario,
                out_dir=out,
                foresight=foresight,
                data_dir=data,
                progress=progress,
                excel=excel,
            )
        except USER_ERRORS as exc:
            _fail(str(exc))
            return
        except (SolveError, MassBalanceError) as exc:
            _fail(f"the solve failed: {exc}")
            return
    result = output.result
    console.print(
        f"scenario {output.name}: status {result.status}, "
        f"{len(result.prices['period'].unique())} periods; results in {out}"
    )
    timings = Timings(**result.summary.get("timings", {}))
    console.print(timings.line(), highlight=False, soft_wrap=True)
    table = Table(title="Demand served by region (t over the horizon)")
    for col in ("region", "reference", "consumed", "unserved", "unserved %"):
        table.add_column(col, justify="right" if col != "region" else "left")
    for region, row in summary_table(result).iterrows():
        share = row["unserved_share"]
        table.add_row(
            str(region),
            f"{row['reference']:,.0f}",
            f"{row['consumed']:,.0f}",
            f"{row['unserved']:,.0f}",
            "" if share != share else f"{100 * share:.1f}",
        )
    console.print(table)
    if report:
        from rareflow.report import ReportError, write_report

        try:
            path = write_report(out, out / "report.html")
        except ReportError as exc:
            _fail(str(exc))
            return
        console.print(f"report: {path}")
