"""The Python API: `rareflow.run`, `rareflow.compare`, `rareflow.load_scenario`.

    import rareflow as rf
    r = rf.run("seed", until="2026-12", step="quarter")
    r.prices                      # pandas, the long format of prices.parquet
    r.plot.prices()               # plotly figure
    c = rf.compare("baseline", "seed", until="2026-12", step="quarter")
    c.shortfall["region"]         # B minus A by region

Everything goes through `rareflow.pipeline`, as the commands do.
"""

from __future__ import annotations

from pathlib import Path

from rareflow.comparison import Comparison, compare_results
from rareflow.pipeline import RunOptions, ScenarioRef
from rareflow.pipeline import load as _load
from rareflow.pipeline import run as _run
from rareflow.report.result_plots import ResultPlots  # noqa: F401 -- attaches Result.plot
from rareflow.results import Result
from rareflow.scenario import Scenario


def run(
    scenario: ScenarioRef,
    *,
    foresight: str | None = None,
    until: str | None = None,
    step: str | None = None,
    start: str | None = None,
    data: str | Path | None = None,
) -> Result:
    """Solve `scenario`: a shipped name (`seed`, `baseline`, ...), a YAML path or a Scenario.

    foresight: 'perfect', 'myopic' or 'window N' (default: the scenario's, else perfect);
    start/until: months YYYY-MM replacing the horizon's ends; step: month, quarter or year;
    data: a directory of reference tables overriding the shipped ones.
    Raises rareflow.errors.UserError (one-line message) for a bad scenario or option.
    """
    options = RunOptions(
        foresight=foresight,
        start=start,
        until=until,
        step=step,
        data=Path(data) if data is not None else None,
    )
    return _run(scenario, options)


def load_scenario(scenario: ScenarioRef, *, data: str | Path | None = None) -> Scenario:
    """The scenario `scenario` (shipped name or path) read, validated and its bases resolved."""
    return _load(scenario, RunOptions(data=Path(data) if data is not None else None))


def _result(item: ScenarioRef | Result, options: RunOptions) -> tuple[str, Result]:
    if isinstance(item, Result):
        return str(item.summary.get("scenario", "result")), item
    if isinstance(item, str | Path) and Path(item).is_dir():
        loaded = Result.from_dir(item)
        return str(loaded.summary.get("scenario", Path(item).name)), loaded
    result = _run(item, options)
    return str(result.summary.get("scenario", "")), result


def compare(
    a: ScenarioRef | Result,
    b: ScenarioRef | Result,
    *,
    foresight: str | None = None,
    until: str | None = None,
    step: str | None = None,
    data: str | Path | None = None,
) -> Comparison:
    """B against A over the periods both cover: shortfalls, prices inside and outside China,
    trade re-routing, self-sufficiency. `a` and `b` are shipped names, scenario files, result
    directories or Results; scenarios are solved with the options given."""
    options = RunOptions(
        foresight=foresight, until=until, step=step, data=Path(data) if data else None
    )
    name_a, ra = _result(a, options)
    name_b, rb = _result(b, options)
    names = (name_a, name_b) if name_a != name_b else (f"A:{name_a}", f"B:{name_b}")
    return compare_results(ra, rb, names)
