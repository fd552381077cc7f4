"""Scenarios and ensembles shipped inside the package, found by name from any directory.

A reference to a scenario is a path to a YAML file or the name of a shipped one (`seed`,
`baseline`, ...). A path that exists wins, so a user's `seed.yaml` in the working directory
is taken over the shipped `seed`.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from rareflow.scenario.errors import ScenarioError

PACKAGE_DIR = Path(__file__).resolve().parents[1]
SCENARIOS_DIR = PACKAGE_DIR / "scenarios"
ENSEMBLES_DIR = PACKAGE_DIR / "ensembles"


def _by_name(directory: Path) -> dict[str, Path]:
    return {p.stem: p for p in sorted(directory.glob("*.yaml"))}


def shipped_scenarios() -> dict[str, Path]:
    """Name -> file of every shipped scenario."""
    return _by_name(SCENARIOS_DIR)


def shipped_ensembles() -> dict[str, Path]:
    """Name -> file of every shipped ensemble."""
    return _by_name(ENSEMBLES_DIR)


def description(path: Path) -> str:
    """The `description` of a YAML file on one line ('' when it has none or cannot be read)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return ""
    text = data.get("description", "") if isinstance(data, dict) else ""
    return " ".join(str(text or "").split())


def headline(path: Path, width: int = 100) -> str:
    """The first sentence of a file's description, cut to `width` characters."""
    text = description(path)
    first = re.split(r"(?<=[a-z0-9)]{3})[.;] ", text, maxsplit=1)[0].rstrip(".")
    return first if len(first) <= width else first[: width - 3].rstrip() + "..."


def _find(ref: str | Path, shipped: dict[str, Path], kind: str) -> Path:
    path = Path(ref)
    if path.is_file():
        return path
    name = path.name[: -len(path.suffix)] if path.suffix in (".yaml", ".yml") else path.name
    # a bare name (no directory) is looked up among the shipped files
    if path.parent == Path(".") and name in shipped:
        return shipped[name]
    if path.parent != Path(".") or path.suffix:
        raise ScenarioError(f"{ref}: no such {kind} file")
    known = ", ".join(shipped)
    raise ScenarioError(f"{ref}: no such {kind} file or shipped {kind} (shipped: {known})")


def find_scenario(ref: str | Path) -> Path:
    """The file of scenario `ref`: an existing path, else the shipped scenario of that name."""
    return _find(ref, shipped_scenarios(), "scenario")


def find_ensemble(ref: str | Path) -> Path:
    """The file of ensemble `ref`: an existing path, else the shipped ensemble of that name."""
    return _find(ref, shipped_ensembles(), "ensemble")
