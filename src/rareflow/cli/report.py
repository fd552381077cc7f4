"""`rareflow report`: the HTML or PDF report of a result directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rareflow.report import FORMATS, ReportError, write_report


def report(
    result_dir: Annotated[Path, typer.Argument(help="result directory written by `rareflow run`")],
    out: Annotated[Path, typer.Option("--out", help="the report file to write")],
    fmt: Annotated[str, typer.Option("--format", help="html | pdf")] = "html",
    against: Annotated[
        Path | None, typer.Option("--against", help="baseline result directory to compare with")
    ] = None,
    region: Annotated[
        str | None,
        typer.Option(help="region of the value-chain Sankey (default: most unserved demand)"),
    ] = None,
    period: Annotated[
        str | None,
        typer.Option(
            help="period of the Sankey: a period label, a year YYYY or 'all' "
            "(default: the last year)"
        ),
    ] = None,
) -> None:
    """Write the report of RESULT_DIR: value chain, prices, shortfalls, re-routing, risk
    measures, the scenario's events and the sources of every input."""
    if fmt not in FORMATS:
        typer.echo(f"error: --format {fmt}: expected one of {', '.join(FORMATS)}", err=True)
        raise typer.Exit(2)
    try:
        written = write_report(result_dir, out, fmt, against, region, period)
    except ReportError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"report written to {written}")
