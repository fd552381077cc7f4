"""`rareflow check-model`: run the shipped baseline and print each figure beside its range.

A report, so it exits 0 even when figures fail; `--strict` exits 1 on any FAIL.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
import yaml
from rich.console import Console
from rich.table import Table

from rareflow.data.loader import ReferenceDataError, load_reference
from rareflow.plausibility.indicators import evaluate
from rareflow.results import Result
from rareflow.run_commands import USER_ERRORS
from rareflow.runner import run_scenario

STEPS = ("month", "quarter", "year")
UNTIL = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def _fail(message: str) -> None:
    Console(stderr=True).print(f"error: {message}", markup=False, highlight=False)
    raise typer.Exit(2)


def solve_baseline(scenario: Path, until: str | None, step: str | None) -> Result:
    """The one place that runs the baseline, so it can be re-pointed to a new pipeline."""
    spec = yaml.safe_load(scenario.read_text(encoding="utf-8"))
    horizon = dict(spec.get("horizon") or {})
    if until is not None:
        horizon["end"] = until
    if step is not None:
        horizon["step"] = step
    spec["horizon"] = horizon
    data = spec.get("data")
    if isinstance(data, str) and not Path(data).is_absolute():
        spec["data"] = str((scenario.parent / data).resolve())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / scenario.name
        path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
        return run_scenario(path).result


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
    scenario: Annotated[Path, typer.Option("--scenario", help="baseline scenario file")] = Path(
        "scenarios/baseline.yaml"
    ),
    until: Annotated[
        str | None, typer.Option("--until", help="last period YYYY-MM (default: scenario's)")
    ] = None,
    step: Annotated[
        str | None, typer.Option("--step", help="month | quarter | year (default: scenario's)")
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="exit 1 on any FAIL")] = False,
    csv: Annotated[Path | None, typer.Option("--csv", help="also write the table here")] = None,
) -> None:
    """Run the no-event baseline and print each figure beside its sourced range."""
    if step is not None and step not in STEPS:
        _fail(f"--step: expected one of {', '.join(STEPS)}, got {step!r}")
    if until is not None and not UNTIL.fullmatch(until):
        _fail(f"--until: expected a month YYYY-MM, got {until!r}")
    if not scenario.is_file():
        _fail(f"{scenario}: no such scenario file")
    try:
        ref = load_reference()
        result = solve_baseline(scenario, until, step)
    except (*USER_ERRORS, ReferenceDataError) as exc:
        _fail(str(exc))
    except (yaml.YAMLError, OSError) as exc:
        _fail(f"{scenario}: {exc}")
    report = evaluate(result, ref["plausibility_ranges"], ref["prices"])
    print_report(report)
    if csv is not None:
        report.to_csv(csv, index=False)
    sys.stdout.flush()
    if strict and (report["status"] == "FAIL").any():
        raise typer.Exit(1)
