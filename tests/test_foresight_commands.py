"""Every command that solves accepts each foresight mode, from a scenario file anywhere that
names a shipped base; a user's mistake is one line and exit status 2, never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rareflow.cli import app
from rareflow.scenario.shipped import SCENARIOS_DIR

MODES = ("perfect", "myopic", "window 3")
# four months: 'window 3' really rolls
TINY = "name: tiny\ndescription: tiny\nbase: {base}\nhorizon: {{start: 2025-01, end: 2025-04, step: month}}\nforesight: {mode}\n"  # noqa: E501
ENSEMBLE = """name: tiny-ens
scenario: {scenario}
seed: 3
uncertain:
  - {{name: approval_share, path: 'events[0].approval_share', dist: uniform, low: 0.1, high: 0.9}}
"""


def _tiny(tmp: Path, mode: str, base: str = "baseline", name: str = "tiny") -> Path:
    path = tmp / f"{name}.yaml"
    path.write_text(TINY.format(base=base, mode=mode).replace("name: tiny", f"name: {name}"))
    return path


def _args(command: str, tmp: Path, mode: str) -> list[str]:
    if command == "run":
        return ["run", str(_tiny(tmp, mode)), "--out", str(tmp / "o")]
    if command == "compare":
        a, b = _tiny(tmp, mode), _tiny(tmp, mode, "seed", "tiny-seed")
        return ["compare", str(a), str(b), "--out", str(tmp / "c")]
    if command == "risk":
        tiny = str(_tiny(tmp, mode))
        return ["risk", "--region", "JPN", "--scenario", tiny, "--baseline", tiny]
    if command == "spof":
        tiny = str(_tiny(tmp, mode))
        args = ["risk", "spof", "--region", "JPN", "--baseline", tiny, "--kinds", "country_stage"]
        return [*args, "--workers", "1", "--top", "3"]
    if command == "ensemble":
        ens = tmp / "ens.yaml"
        ens.write_text(ENSEMBLE.format(scenario=_tiny(tmp, mode, "seed")))
        args = ["ensemble", str(ens), "--samples", "2", "--out", str(tmp / "e")]
        return [*args, "--executor", "sequential"]
    # brief: the shipped scenarios, each with the foresight mode, on four years
    scen = tmp / "scenarios"
    shutil.copytree(SCENARIOS_DIR, scen)
    for path in scen.glob("*.yaml"):
        text = "\n".join(x for x in path.read_text().splitlines() if not x.startswith("foresight"))
        path.write_text(f"{text}\nforesight: {mode}\n")
    return ["brief", "seed", "--scenarios", str(scen), "--until", "2028-12", "--step", "year"]


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("command", ["run", "compare", "risk", "spof", "ensemble", "brief"])
def test_every_solving_command_takes_every_foresight(
    command: str, mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # not the repository: shipped names must resolve anyway
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # compare's cache of runs
    res = CliRunner().invoke(app, _args(command, tmp_path, mode))
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output


@pytest.mark.parametrize(
    "args",
    [
        ["run", "no-such-scenario", "--out", "o"],
        ["run", "seed", "--out", "o", "--foresight", "window x"],
        ["risk", "--region", "JPN", "--scenario", "missing.yaml"],
        ["risk", "spof", "--region", "JPN", "--baseline", "nope"],
        ["compare", "missing.yaml", "seed"],
        ["risk", "spof", "--region", "JPN", "--until", "2025-13"],
        ["risk", "--region", "JPN", "--step", "week"],
        ["risk", "--region", "JPN", "--foresight", "hindsight"],
    ],
)
def test_a_users_mistake_is_one_line(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert res.output.strip().count("\n") == 0, res.output
