"""Scenario -> Result, the one way: load, reference data, network, calibration, events, solve.

Every caller (the commands, the Python API, ensembles, the service's workers) goes through
`run` or through its steps `load`, `prepare` and `solve_applied`, so they all follow the same
steps and accept the same options.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from rareflow.pipeline.options import RunOptions
from rareflow.results import Result
from rareflow.scenario import Applied, Scenario, load_scenario
from rareflow.scenario import prepare as _prepare_scenario

if TYPE_CHECKING:
    from rareflow.optimize.warm import ModelStore

Progress = Callable[[int, int, str], None]
ScenarioRef = str | Path | Scenario


def load(scenario: ScenarioRef, options: RunOptions | None = None) -> Scenario:
    """The scenario `scenario` (a shipped name, a file or a Scenario) with `options`'s data
    directory and horizon override applied."""
    options = options or RunOptions()
    loaded = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    update: dict[str, object] = {}
    if options.data is not None:
        update["data"] = str(options.data)
    if not options.keeps_horizon:
        update["horizon"] = options.horizon(loaded.horizon)
    return loaded.model_copy(update=update) if update else loaded


def prepare(scenario: Scenario, reference: Mapping[str, pd.DataFrame] | None = None) -> Applied:
    """Reference data (read unless given) -> network built and calibrated -> events applied."""
    return _prepare_scenario(scenario, reference)


def solve_applied(
    applied: Applied,
    foresight: str | None = None,
    progress: Progress | None = None,
    models: ModelStore | None = None,
) -> Result:
    """Solve a prepared scenario; `foresight` overrides the scenario's ('perfect', 'myopic',
    'window N'; the default is the scenario's, else perfect). `models` keeps the in-place
    model between solves of variants of one network (optimize.solve)."""
    from rareflow.optimize import solve

    return solve(
        applied.network,
        applied.horizon,
        applied.levers,
        progress=progress,
        models=models,
        **applied.solve_kwargs(foresight),
    )


def run(
    scenario: ScenarioRef,
    options: RunOptions | None = None,
    progress: Progress | None = None,
    models: ModelStore | None = None,
) -> Result:
    """Solve `scenario` (a shipped name, a path or a Scenario) under `options`.

    The summary names the scenario, its file and the approximations made applying it.
    Raises a `rareflow.errors.UserError` for a user's mistake. `models` keeps the in-place
    model for the next run of a variant (optimize.solve).
    """
    options = options or RunOptions()
    loaded = load(scenario, options)
    applied = prepare(loaded)
    result = solve_applied(applied, options.foresight, progress, models)
    result.summary["scenario"] = loaded.name
    result.summary["scenario_file"] = loaded.files[-1] if loaded.files else ""
    result.summary["notes"] = list(applied.notes)
    result.summary.update(options.summary)
    return result


def write_outputs(
    result: Result,
    out_dir: Path,
    scenario: ScenarioRef,
    options: RunOptions | None = None,
    excel: bool = False,
) -> Path:
    """Write `result` to `out_dir` with the scenario as it was run next to it (the report and
    later readers find it there)."""
    options = options or RunOptions()
    result.to_dir(out_dir)
    source = Path(result.summary.get("scenario_file") or "")
    text = _scenario_text(scenario, source, options)
    if text is not None:
        (out_dir / "scenario.yaml").write_text(text, encoding="utf-8")
    if excel:
        result.to_excel(out_dir / "result.xlsx")
    return out_dir


def _scenario_text(scenario: ScenarioRef, source: Path, options: RunOptions) -> str | None:
    """The scenario as it was run, self-contained: its bases' events merged in (base first,
    each file's events under a comment naming it), the horizon as run, no `base:` line and no
    directory paths; a reader needs nothing but this file."""
    if not source.is_file():
        return None
    loaded = load(scenario, options)
    h = loaded.horizon
    head: dict[str, object] = {"name": loaded.name}
    if loaded.description:
        head["description"] = loaded.description
    head["horizon"] = h.to_dict()
    if loaded.foresight:
        head["foresight"] = loaded.foresight
    if loaded.data:
        head["data"] = loaded.data
    if loaded.vintage is not None:
        head["vintage"] = loaded.vintage
    parts = [
        "# rareflow: the scenario as it was run, its bases merged (self-contained)\n",
        yaml.safe_dump(head, sort_keys=False, allow_unicode=True),
    ]
    docs = [(name, _raw(name)) for name in loaded.files]  # each file read once, base first
    # a file overrides its base's replay: the last one that sets it
    replay = next((doc["replay"] for _, doc in reversed(docs) if "replay" in doc), None)
    if replay is not None:
        parts.append(yaml.safe_dump({"replay": replay}, sort_keys=False, allow_unicode=True))
    parts.append("events:\n" if loaded.events else "events: []\n")
    for name, doc in docs:
        events = doc.get("events") or []
        if events:
            parts.append(f"  # from {Path(name).name}\n")
            text = yaml.safe_dump(events, sort_keys=False, allow_unicode=True)
            parts.append("".join(f"  {line}\n" for line in text.splitlines()))
    return "".join(parts)


def _raw(name: str) -> dict[str, Any]:
    """A scenario file's top-level mapping as written (it was validated when loaded)."""
    doc = yaml.safe_load(Path(name).read_text(encoding="utf-8"))
    return doc if isinstance(doc, dict) else {}
