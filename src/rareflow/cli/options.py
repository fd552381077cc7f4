"""Options shared by every command that solves: one spelling, one help text, one meaning
(`rareflow.pipeline.RunOptions` checks their values)."""

from __future__ import annotations

from typing import Annotated

import typer

ForesightOption = Annotated[
    str | None,
    typer.Option(
        "--foresight", help="perfect | myopic | 'window N' (default: the scenario's, else perfect)."
    ),
]
UntilOption = Annotated[
    str | None, typer.Option("--until", help="End the horizon at this month (YYYY-MM).")
]
StepOption = Annotated[
    str | None, typer.Option("--step", help="Solve by month, quarter or year (coarser is faster).")
]
