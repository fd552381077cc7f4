"""Hostile scenario texts are refused by the CLI fast, on one line, with exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from hostile import HOSTILE
from rareflow.cli.scenario import scenario_app
from rareflow.scenario import ScenarioError, safe_yaml


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_cli_refuses_hostile_text(name: str, tmp_path: Path) -> None:
    text, fragment = HOSTILE[name]
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    result = CliRunner().invoke(scenario_app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output[:500]
    assert lines[0].startswith(f"{path}:"), lines[0]
    assert fragment in lines[0], lines[0]


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_load_refuses_or_reads(name: str) -> None:
    """The plain loader (used by the service) refuses the parse-level ones by name."""
    text, fragment = HOSTILE[name]
    try:
        safe_yaml.load(text, "scenario.yaml")
    except ScenarioError as exc:
        assert "\n" not in str(exc) and fragment in str(exc)


def test_lone_surrogate_in_text_refused() -> None:
    with pytest.raises(ScenarioError, match="lone surrogates"):
        safe_yaml.load("name: x\ndescription: \ud800\n", "s.yaml")


def test_size_cap() -> None:
    with pytest.raises(ScenarioError, match="at most"):
        safe_yaml.load("# " + "x" * safe_yaml.MAX_BYTES, "s.yaml")


def test_ordinary_yaml_still_reads() -> None:
    data = safe_yaml.load("a: &x [1, 2.5]\nb: *x\nc: 2025-01-02\n", "s.yaml")
    assert data == {"a": [1, 2.5], "b": [1, 2.5], "c": "2025-01-02"}
