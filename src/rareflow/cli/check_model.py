"""`rareflow check-model`: run the shipped baseline and print each figure beside its range.

A report, so it exits 0 even when figures fail; `--strict` exits 1 on any FAIL.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from rareflow.cli.errors import user_errors
from rareflow.cli.options import StepOption, UntilOption
from rareflow.results import Result

BASE_YEAR = 2024  # the year the network is calibrated to (BuildOptions.base_year)


def solve_baseline(
    scenario: str, until: str | None, step: str | None, start: str | None = None
) -> Result:
    """The baseline through the pipeline, with the horizon optionally moved or coarsened."""
    from rareflow import pipeline

    options = pipeline.RunOptions(start=start, until=until, step=step)
    return pipeline.run(pipeline.load(scenario, options), options)


def solve_base_year(scenario: str, year: int) -> Result:
    """The scenario's network over its calibration year alone, one annual period: what the
    "base" figures (2024 production, shares, trade) are checked on."""
    return solve_baseline(scenario, until=f"{year}-12", step="year", start=f"{year}-01")


def _cell(value: object) -> str:
    if isinstance(value, float):
        if pd.isna(value):
            return ""
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.0f}"
    return str(value)


def print_report(report: pd.DataFrame) -> None:
    table = Table(title="Plausibility of the no-event baseline")
    for col in ("indicator", "scope", "year", "value", "low", "high", "unit", "status"):
        table.add_column(col, justify="right" if col in ("value", "low", "high") else "left")
    for row in report.itertuples(index=False):
        table.add_row(*(_cell(getattr(row, c)) for c in report.columns if c != "source"))
    console = Console(width=120)
    console.print(table)
    fails = int((report["status"] == "FAIL").sum())
    console.print(
        f"{len(report)} checks: {fails} FAIL, {int((report['status'] == 'pass').sum())} pass"
    )


def check_model(
    scenario: Annotated[
        str, typer.Option("--scenario", help="baseline scenario: a shipped name or a file")
    ] = "baseline",
    until: UntilOption = None,
    step: StepOption = None,
    strict: Annotated[bool, typer.Option("--strict", help="exit 1 on any FAIL")] = False,
    csv: Annotated[Path | None, typer.Option("--csv", help="also write the table here")] = None,
) -> None:
    """Run the no-event baseline and print each figure beside its sourced range.

    A report: it exits 0 even when figures fail; --strict exits 1 on any FAIL."""
    from rareflow.data.loader import load_reference
    from rareflow.pipeline import RunOptions
    from rareflow.plausibility.indicators import evaluate

    with user_errors():
        RunOptions(until=until, step=step)  # a bad option is refused before any solve
        ref = load_reference()
        result = solve_baseline(scenario, until, step)
        base = solve_base_year(scenario, BASE_YEAR)
    report = evaluate(result, ref["plausibility_ranges"], ref["prices"], base=base)
    print_report(report)
    if csv is not None:
        report.to_csv(csv, index=False)
    sys.stdout.flush()
    if strict and (report["status"] == "FAIL").any():
        raise typer.Exit(1)
