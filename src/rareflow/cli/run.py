"""`rareflow run`: solve a scenario file with progress, write results, print a summary."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from rareflow import pipeline
from rareflow.atomic_dir import atomic_dir
from rareflow.cli.errors import user_errors
from rareflow.cli.options import ForesightOption, StepOption, UntilOption

if TYPE_CHECKING:
    import pandas as pd

    from rareflow.results import Result


def run(
    scenario: Annotated[str, typer.Argument(help="a shipped scenario's name or a YAML file")],
    out: Annotated[Path, typer.Option("--out", help="directory for the result files")],
    foresight: ForesightOption = None,
    until: UntilOption = None,
    step: StepOption = None,
    data: Annotated[
        Path | None, typer.Option("--data", help="directory of reference tables to override")
    ] = None,
    excel: Annotated[bool, typer.Option("--excel", help="also write result.xlsx")] = False,
    report: Annotated[
        bool, typer.Option("--report", help="also write report.html next to the results")
    ] = False,
) -> None:
    """Solve SCENARIO and write flows, trade, prices, shortfalls and a summary to --out."""
    with user_errors():
        options = pipeline.RunOptions(foresight=foresight, until=until, step=step, data=data)
        loaded = pipeline.load(scenario, options)
    console = Console()
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} {task.fields[label]}"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),  # an estimate from the pace so far
    )
    with Progress(
        *columns, console=console, transient=False, disable=not sys.stdout.isatty()
    ) as bar:
        task = bar.add_task(f"solving {loaded.name}", total=None, label="")

        def progress(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, label=label)

        try:
            with user_errors(), atomic_dir(out) as tmp:
                # readers of --out never see two runs' files mixed: written aside, swapped in whole
                result = pipeline.run(loaded, options, progress=progress)
                pipeline.write_outputs(result, tmp, loaded, options, excel=excel)
                if report:
                    from rareflow.report import write_report

                    write_report(tmp, tmp / "report.html")
        except KeyboardInterrupt:
            bar.stop()
            console.print(
                f"interrupted: {out} is unchanged (a run writes its results only when it finishes)"
            )
            raise typer.Exit(130) from None
    console.print(
        f"scenario {loaded.name}: status {result.status}, "
        f"{len(result.prices['period'].unique())} periods; results in {out}"
    )
    from rareflow.optimize.timings import Timings  # the solver stack: only once a run is done

    timings = Timings(**result.summary.get("timings", {}))
    console.print(timings.line(), highlight=False, soft_wrap=True)
    table = Table(
        title="Demand served by region (t over the horizon; unserved = given up because of "
        "price + physical shortage)"
    )
    for col in ("region", "reference", "consumed", "unserved", "unserved %", "shortage"):
        table.add_column(col, justify="right" if col != "region" else "left")
    for region, row in summary_table(result).iterrows():
        share = row["unserved_share"]
        table.add_row(
            str(region),
            f"{row['reference']:,.0f}",
            f"{row['consumed']:,.0f}",
            f"{row['unserved']:,.0f}",
            "" if share != share else f"{100 * share:.1f}",
            f"{row['shortage']:,.0f}",
        )
    console.print(table)
    if not result.investments.empty:
        from rareflow.report.content import plan_summary

        console.print(f"capacity built by the plan: {plan_summary(result.investments)}")
    for line in contract_lines(result, loaded.data):
        console.print(line, highlight=False)
    if report:
        console.print(f"report: {out / 'report.html'}")


def contract_lines(result: Result, data: str | None = None) -> list[str]:
    """One line per contract in force during the run: what it settles to
    (rareflow.metrics.contracts), from the run's reference data (`data` overrides the
    packaged contracts table when it has one)."""
    from rareflow.data.loader import check_contracts, packaged_dir, read_table
    from rareflow.data.schema import SPECS_BY_NAME
    from rareflow.metrics.contracts import settle

    path = Path(data) / "contracts.csv" if data else None
    if path is None or not path.is_file():
        path = packaged_dir() / "contracts.csv"
    table, lines = read_table(SPECS_BY_NAME["contracts"], path)
    check_contracts(table, str(path), lines)
    settled = settle(result, table)
    out: list[str] = []
    for name, rows in settled.groupby("contract", sort=False):
        below = int((rows["spot_usd_per_kg"] < rows["contract_usd_per_kg"]).sum())
        price = rows["contract_usd_per_kg"].mean()
        if (rows["kind"] == "offtake").all():
            # the buyer pays the contract price itself: what it costs is the premium over spot
            premium = (rows["contract_usd_per_kg"] - rows["spot_usd_per_kg"]) * rows["volume_t"]
            terms = (
                f"the buyer pays USD {premium.sum() * 1000.0 / 1e6:,.1f} M over spot "
                f"(its volume-weighted price {rows['buyer_weighted_usd_per_kg'].mean():,.1f})"
            )
        else:
            terms = f"floor payments USD {rows['floor_payment_usd'].sum() / 1e6:,.1f} M"
        if rows["ceiling_saving_usd"].sum() > 0:
            terms += f", the ceiling saved USD {rows['ceiling_saving_usd'].sum() / 1e6:,.1f} M"
        if rows["take_or_pay_usd"].sum() > 0:
            terms += (
                f", take-or-pay on volume offered and not taken USD "
                f"{rows['take_or_pay_usd'].sum() / 1e6:,.1f} M"
            )
        out.append(
            f"contract {name}: {rows['volume_t'].sum():,.0f} t at {price:,.1f} "
            f"USD/kg on average (spot {rows['spot_usd_per_kg'].mean():,.1f}); {terms}, "
            f"upside handed back USD {rows['upside_usd'].sum() / 1e6:,.1f} M; spot under the "
            f"contract price in {below} of {len(rows)} periods"
        )
    return out


def summary_table(result: Result) -> pd.DataFrame:
    """The printed summary: per region, demand served, unserved and physically short."""
    sf = result.shortfalls
    by_region = sf.groupby("region")[["reference", "consumed", "unserved", "shortage"]].sum()
    by_region["unserved_share"] = by_region["unserved"] / by_region["reference"].where(
        by_region["reference"] > 0
    )
    return by_region.sort_values("unserved", ascending=False)
