"""Command line entry point `rareflow`: one module per command group in this package.

Commands are registered by name with their one-line help and imported only when run, so that
`rareflow --help` starts without loading pandas, linopy, plotly or the ensemble machinery.
Errors become exit statuses in one place, `rareflow.cli.errors`.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer
from typer import _click as click  # typer vendors click: its types, not the click package
from typer.core import TyperGroup

# name -> (module, attribute: a Typer or a command function, one-line help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "data": ("rareflow.cli.data", "data_app", "Reference tables: validate, show, sources, import."),
    "scenario": (
        "rareflow.cli.scenario",
        "scenario_app",
        "Scenarios: list the shipped ones, schema, validate, show.",
    ),
    "run": ("rareflow.cli.run", "run", "Solve a scenario and write its results."),
    "compare": ("rareflow.cli.compare", "compare", "Compare two scenarios or result directories."),
    "brief": ("rareflow.cli.compare", "brief", "The seed article's questions with numbers."),
    "report": ("rareflow.cli.report", "report", "An HTML or PDF report of a result directory."),
    "risk": (
        "rareflow.cli.risk",
        "risk_app",
        "Concentration, reliance, cover, criticality, single points of failure.",
    ),
    "ensemble": ("rareflow.cli.ensemble", "ensemble", "Run an ensemble of uncertain scenarios."),
    "sensitivity": ("rareflow.cli.ensemble", "sensitivity", "Sobol indices of an ensemble."),
    "discover": ("rareflow.cli.ensemble", "discover", "Scenario discovery (PRIM) on an ensemble."),
    "serve": ("rareflow.cli.serve", "serve", "The multi-user service and dashboard."),
    "backtest": (
        "rareflow.cli.backtest",
        "backtest",
        "Replay a past episode on its base year's data; error figures beside naive forecasts.",
    ),
    "check-model": (
        "rareflow.cli.check_model",
        "check_model",
        "The no-event baseline beside sourced plausibility ranges, pass/FAIL per figure.",
    ),
}


def load_command(module: str, attribute: str, name: str) -> click.Command:
    """The click command of `attribute` in `module` (imported now)."""
    target: Any = getattr(importlib.import_module(module), attribute)
    if not isinstance(target, typer.Typer):
        single = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
        single.command(name)(target)
        target = single
    command = typer.main.get_command(target)
    command.name = name
    return command


def lazy_group(commands: dict[str, tuple[str, str, str]]) -> type[TyperGroup]:
    """A click group class that imports each of `commands` only when it is used."""

    class LazyGroup(TyperGroup):
        def list_commands(self, ctx: click.Context) -> list[str]:
            return [*super().list_commands(ctx), *commands]

        def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
            if cmd_name in commands:
                module, attribute, _ = commands[cmd_name]
                return load_command(module, attribute, cmd_name)
            return super().get_command(ctx, cmd_name)

        def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
            # the help of each command from the table: listing them imports nothing
            rows = [(name, help_) for name, (_, _, help_) in commands.items()]
            rows += [
                (name, cmd.get_short_help_str())
                for name, cmd in self.commands.items()
                if not cmd.hidden
            ]
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    return LazyGroup


app = typer.Typer(
    name="rareflow",
    cls=lazy_group(COMMANDS),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,  # user errors are handled; anything else is a real bug
)


@app.callback()
def main_callback() -> None:
    """Rare earth supply chain model: reference data, scenarios and market equilibrium."""


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        # Ctrl-C anywhere: one line, not a traceback; commands that write files write them
        # whole or not at all (atomic_dir), so nothing half-written is left behind
        print("interrupted", file=sys.stderr)
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
