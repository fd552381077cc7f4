"""Solved scenarios to compare: solve through the pipeline, or reuse the cached result of an
identical solve (keyed by a hash of everything the solve depends on); or read a result
directory."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rareflow.comparison.common import (
    SOLVE_MODULES,
    SOLVE_PACKAGES,
    CompareError,
    Progress,
)
from rareflow.horizon import Horizon
from rareflow.pipeline.options import RunOptions
from rareflow.results import Result
from rareflow.scenario import ScenarioError
from rareflow.scenario.shipped import find_scenario

if TYPE_CHECKING:
    from rareflow.optimize.warm import ModelStore


@dataclass
class Loaded:
    """A solved scenario to compare: its name, result and where it came from."""

    name: str
    result: Result
    source: Path
    cached: bool = False


def default_cache_dir() -> Path:
    """Where solved scenarios are kept between runs when no --out is given."""
    return Path(os.environ.get("TMPDIR", "/tmp")) / "rareflow-runs"


def _hash_files(digest: Any, files: Iterable[Path]) -> None:
    for path in sorted(files):
        digest.update(str(path.name).encode())
        digest.update(path.read_bytes())


def _inputs_hash(scenario: Any, foresight: str | None) -> str:
    """Hash of everything a solve depends on: the resolved scenario (its horizon overridden),
    the reference data (the packaged set and the scenario's data directory), the model's code
    and the foresight."""
    from rareflow.data.loader import packaged_dir

    digest = hashlib.sha256()
    digest.update(scenario.model_dump_json(exclude={"files"}).encode())
    digest.update(json.dumps({"foresight": foresight}).encode())
    _hash_files(digest, packaged_dir().glob("*.csv"))
    if scenario.data:
        data = Path(scenario.data)
        if data.is_dir():
            _hash_files(digest, data.glob("*.csv"))
    package = Path(__file__).resolve().parents[1]  # rareflow/
    code = [package / f for f in SOLVE_MODULES if (package / f).exists()]
    for sub in SOLVE_PACKAGES:
        code += list((package / sub).rglob("*.py"))
    _hash_files(digest, code)
    return digest.hexdigest()


def scenario_horizon(path: Path) -> Horizon:
    """The horizon a scenario file resolves to."""
    from rareflow.scenario import load_scenario

    return load_scenario(path).horizon


def run_cached(
    path: Path,
    cache_dir: Path,
    options: RunOptions | None = None,
    progress: Progress | None = None,
    models: ModelStore | None = None,
) -> Loaded:
    """Solve the scenario file `path` under `options` (foresight, horizon override, data), or
    reuse the cached result of an identical solve in `cache_dir`.

    The run goes through the pipeline exactly as `rareflow run` does; `models` lets the
    scenarios of one comparison share the in-place model (optimize.solve).
    """
    from rareflow import pipeline

    options = replace(options or RunOptions(), summary={"scenario_file": str(path)})
    scenario = pipeline.load(path, options)
    key = _inputs_hash(scenario, options.foresight)[:16]
    target = cache_dir / f"{scenario.name}-{key}"
    if (target / "summary.json").exists():
        return Loaded(scenario.name, Result.from_dir(target), path, cached=True)
    cache_dir.mkdir(parents=True, exist_ok=True)
    # solve into a scratch directory and move it in place: a killed run leaves no half cache
    scratch = cache_dir / f".{scenario.name}-{key}-{os.getpid()}"
    try:
        result = pipeline.run(scenario, options, progress=progress, models=models)
        result.to_dir(scratch)
        if target.exists():
            shutil.rmtree(target)
        scratch.rename(target)
    finally:
        if scratch.exists():
            shutil.rmtree(scratch)
    return Loaded(scenario.name, result, path, cached=False)


def load_input(
    path: Path,
    cache_dir: Path,
    options: RunOptions | None = None,
    progress: Progress | None = None,
    models: ModelStore | None = None,
) -> Loaded:
    """A result directory as it is, or a scenario file solved under `options` (cached)."""
    if path.is_dir():
        try:
            result = Result.from_dir(path)
        except FileNotFoundError as exc:
            raise CompareError(str(exc)) from exc
        name = str(result.summary.get("scenario") or path.name)
        return Loaded(name, result, path, cached=True)
    if not path.exists():
        # a bare name is a shipped scenario, as `rareflow run` takes it
        try:
            path = find_scenario(path)
        except ScenarioError as exc:
            raise CompareError(
                f"{path}: no such scenario file, result directory or shipped scenario"
            ) from exc
    if path.suffix not in (".yaml", ".yml"):
        raise CompareError(
            f"{path}: expected a scenario file (.yaml) or a result directory (with summary.json)"
        )
    return run_cached(path, cache_dir, options, progress, models)
