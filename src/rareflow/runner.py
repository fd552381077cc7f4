"""Run a scenario file end to end: load, validate, build, solve, write results.

Used by `rareflow run` and by anything else that runs scenarios (the service, ensembles), so
that they all follow the same steps and write the same files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from rareflow.optimize import solve
from rareflow.results import Result
from rareflow.scenario import load_scenario, prepare

Progress = Callable[[int, int, str], None]


@dataclass
class RunOutput:
    """A solved scenario and where its files went."""

    name: str
    result: Result
    out_dir: Path | None


def run_scenario(
    path: Path,
    out_dir: Path | None = None,
    foresight: str | None = None,
    data_dir: Path | None = None,
    progress: Progress | None = None,
    excel: bool = False,
) -> RunOutput:
    """Solve the scenario in `path`; write the result files to `out_dir` when given.

    Raises ScenarioError / ReferenceDataError for user mistakes (the CLI turns them into one
    line and exit status 2).
    """
    scenario = load_scenario(path)
    if data_dir is not None:
        scenario = scenario.model_copy(update={"data": str(data_dir)})
    applied = prepare(scenario)
    result = solve(
        applied.network,
        applied.horizon,
        applied.levers,
        progress=progress,
        **applied.solve_kwargs(foresight),
    )
    result.summary["scenario"] = scenario.name
    result.summary["scenario_file"] = str(path)
    result.summary["notes"] = list(applied.notes)
    if out_dir is not None:
        result.to_dir(out_dir)
        # the report and later readers find the scenario as it was run, next to its results
        (out_dir / "scenario.yaml").write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
        if excel:
            result.to_excel(out_dir / "result.xlsx")
    return RunOutput(name=scenario.name, result=result, out_dir=out_dir)


def summary_table(result: Result) -> pd.DataFrame:
    """The printed summary: per region, demand served and unserved, and key prices."""
    sf = result.shortfalls
    by_region = sf.groupby("region")[["reference", "consumed", "unserved"]].sum()
    by_region["unserved_share"] = by_region["unserved"] / by_region["reference"].where(
        by_region["reference"] > 0
    )
    return by_region.sort_values("unserved", ascending=False)
