"""Command line entry point `rareflow`.

Each command group lives next to what it drives (e.g. `rareflow.data.commands`) and is only
registered here, so new groups (run, scenario, ...) are one `add_typer` line each.
"""

from __future__ import annotations

import typer

from rareflow.compare_commands import brief, compare
from rareflow.data.commands import data_app
from rareflow.ensemble.commands import discover, ensemble, sensitivity
from rareflow.importers.commands import import_app
from rareflow.metrics.commands import risk_app
from rareflow.plausibility.commands import check_model
from rareflow.report.commands import report
from rareflow.run_commands import run
from rareflow.scenario.commands import scenario_app
from rareflow.web.commands import serve

app = typer.Typer(
    name="rareflow",
    help="Rare earth supply chain model: reference data, scenarios and market equilibrium.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,  # user errors are handled; anything else is a real bug
)
app.add_typer(data_app, name="data")
app.add_typer(risk_app, name="risk")
app.add_typer(scenario_app, name="scenario")
app.command("run")(run)
app.command("report")(report)
app.command("compare")(compare)
app.command("brief")(brief)
app.command("serve")(serve)
app.command("ensemble")(ensemble)
app.command("sensitivity")(sensitivity)
app.command("discover")(discover)
app.command("check-model")(check_model)
data_app.add_typer(import_app, name="import", help="Import USGS, BACI or UN Comtrade files.")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
