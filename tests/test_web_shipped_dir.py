"""The service offers the package's shipped scenarios wherever it is started."""

from __future__ import annotations

from pathlib import Path

import pytest

from rareflow.scenario.shipped import SCENARIOS_DIR
from rareflow.web.scenarios import default_scenarios_dir


def test_shipped_scenarios_from_any_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RAREFLOW_SCENARIOS", raising=False)
    monkeypatch.chdir(tmp_path)  # no ./scenarios here
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "stray.yaml").write_text("name: stray\n")
    assert default_scenarios_dir() == SCENARIOS_DIR  # not the working directory's
    monkeypatch.setenv("RAREFLOW_SCENARIOS", str(tmp_path / "scenarios"))
    assert default_scenarios_dir() == tmp_path / "scenarios"
