"""`rareflow backtest`: replay a past episode on its base year's data and print the model's
error beside the naive forecasts'."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from rareflow.atomic_dir import atomic_dir
from rareflow.cli.errors import user_errors
from rareflow.cli.options import ForesightOption, StepOption, UntilOption

if TYPE_CHECKING:
    from rareflow.backtest.runner import Backtest


def backtest(
    episode: Annotated[
        str | None, typer.Argument(help="a shipped episode's name or an episode YAML file")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="directory for the error table, charts, run")
    ] = None,
    list_: Annotated[bool, typer.Option("--list", help="list the shipped episodes")] = False,
    foresight: ForesightOption = None,
    until: UntilOption = None,
    step: StepOption = None,
    elasticities: Annotated[
        str,
        typer.Option(
            "--elasticities",
            help="value | low | high: every demand elasticity at that end of its sourced range",
        ),
    ] = "value",
) -> None:
    """Replay EPISODE (calibrated to its base year only) and score it against what happened."""
    from rareflow.backtest.episode import load_episode, shipped_episodes

    console = Console(width=120)
    if list_ or episode is None:
        with user_errors():
            for name in shipped_episodes():
                ep = load_episode(name)
                console.print(
                    f"{name}: base year {ep.base_year}, policy {ep.scenario}. {ep.description}",
                    highlight=False,
                )
        return
    from rareflow.backtest.runner import markdown_table, run_backtest

    with user_errors():
        ep = load_episode(episode)

        def progress(done: int, total: int, label: str) -> None:
            if sys.stdout.isatty():
                console.print(f"\r{done}/{total} {label}", end="", highlight=False)

        bt = run_backtest(
            ep,
            until=until,
            step=step,
            foresight=foresight,
            elasticities=elasticities,
            progress=progress,
        )
        table = markdown_table(bt.errors)
        if out is not None:
            with atomic_dir(out) as tmp:
                write_backtest(bt, tmp, table)
    console.print(
        f"\nepisode {ep.name}: base year {ep.base_year}, replayed with {ep.scenario}, demand "
        f"elasticities at their {'central value' if elasticities == 'value' else elasticities}"
    )
    console.print(table, highlight=False, soft_wrap=True)
    console.print(
        "direction: share of points moving the observed way from the base; within 2x: share "
        "within a factor of 2; median abs log error: 0.69 is a factor of 2; peak lag: months "
        "the forecast's peak comes after the observed one (overall: mean absolute lag).",
        highlight=False,
    )
    if out is not None:
        console.print(f"written: {out}/errors.csv, lineup.csv, errors.md, backtest.html, run/")


def write_backtest(bt: Backtest, directory: Path, table: str) -> None:
    """The error table (CSV, Markdown), the line-up, the charts' page and the replay's run."""
    from rareflow.report.backtest import write_backtest_page

    bt.errors.to_csv(directory / "errors.csv", index=False)
    bt.lined.to_csv(directory / "lineup.csv", index=False)
    (directory / "errors.md").write_text(table, encoding="utf-8")
    from rareflow.backtest.replay import model_path

    keys = bt.lined[["series", "indicator", "material", "where"]].drop_duplicates()
    paths = {
        str(k.series): model_path(
            bt.result, str(k.indicator), str(k.material), str(k.where), bt.capacities
        )
        for k in keys.itertuples(index=False)
    }
    write_backtest_page(
        directory / "backtest.html",
        f"Backtest: {bt.episode.name}",
        bt.episode.description,
        table,
        bt.lined,
        paths,
    )
    bt.result.to_dir(directory / "run")
