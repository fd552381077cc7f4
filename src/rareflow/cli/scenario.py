"""`rareflow scenario ...`: schema, validate, show. Bad files exit with status 2, one line each."""

from __future__ import annotations

import json

import typer

from rareflow.scenario.describe import describe_scenario
from rareflow.scenario.errors import ScenarioError
from rareflow.scenario.loader import load_scenario
from rareflow.scenario.schema import json_schema
from rareflow.scenario.shipped import headline, shipped_ensembles, shipped_scenarios
from rareflow.scenario.vocabulary import load_vocabulary

scenario_app = typer.Typer(
    help="Scenarios: the shipped ones, the schema of scenario files, validation, a summary.",
    no_args_is_help=True,
)


@scenario_app.command("list")
def list_command() -> None:
    """List the shipped scenarios (usable by name anywhere) and ensembles."""
    for title, shipped in (("scenarios", shipped_scenarios()), ("ensembles", shipped_ensembles())):
        typer.echo(f"{title}:")
        width = max((len(n) for n in shipped), default=0)
        for name, path in shipped.items():
            typer.echo(f"  {name:<{width}}  {headline(path)}")


@scenario_app.command("schema")
def schema_command(
    explain: bool = typer.Option(
        False, "--explain", help="Every event type and field in plain words instead."
    ),
) -> None:
    """Print the JSON Schema of scenario files (for editors), or explain it (--explain)."""
    if explain:
        from rareflow.scenario.explain import explain as explain_text

        typer.echo(explain_text())
        return
    typer.echo(json.dumps(json_schema(), indent=2))


@scenario_app.command("validate")
def validate_command(
    files: list[str] = typer.Argument(..., help="Scenario files or shipped names to check."),  # noqa: B008
) -> None:
    """Check scenario files; print one line per bad file and exit 2 if any is bad."""
    bad = 0
    for path in files:
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            typer.echo(str(exc), err=True)
            bad += 1
            continue
        typer.echo(f"{path}: ok ({scenario.name}, {len(scenario.events)} events)")
    if bad:
        raise typer.Exit(code=2)


@scenario_app.command("show")
def show_command(
    file: str = typer.Argument(..., help="A scenario file or a shipped scenario's name."),
) -> None:
    """Print a scenario's horizon and its events in plain words."""
    try:
        scenario = load_scenario(file)
    except ScenarioError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=2) from None
    try:
        vocab = load_vocabulary(scenario.data)
    except Exception as exc:  # a broken reference table: one line, not a traceback
        typer.echo(f"{file}: cannot read the reference data: {exc}", err=True)
        raise typer.Exit(code=2) from None
    for line in describe_scenario(scenario, vocab):
        typer.echo(line)
