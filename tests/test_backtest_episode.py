"""Episode files: the shipped 2010 episode reads with every point sourced; mistakes are one line
naming file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from rareflow.backtest.episode import EpisodeError, load_episode, shipped_episodes
from rareflow.scenario.errors import ScenarioError


def test_the_shipped_2010_episode() -> None:
    assert "china-2010" in shipped_episodes()
    ep = load_episode("china-2010")
    assert ep.base_date.strftime("%Y-%m") == "2009-12" and ep.base_year == 2009
    obs = ep.observed
    dy = obs[(obs["material"] == "oxide:Dy") & (obs["where"] == "outside China")]
    assert dy.set_index(dy["date"].dt.strftime("%Y-%m"))["value"]["2011-08"] == 2377
    ex = obs[obs["indicator"] == "exports"]
    exports = ex.set_index(ex["date"].dt.year)["value"]
    assert exports[2011] == 16900
    assert (obs["source"] != "").all() and (obs["value"] > 0).all()


@pytest.mark.parametrize(
    ("body", "line", "fragment"),
    [
        (
            "name: x\nbase_date: 2009-13\nbase_year: 2009\nscenario: s\nobserved: []\n",
            5,
            "observed: expected a list of observed series",
        ),
        (
            "name: x\nbase_date: 2009-12\nbase_year: 2009\nscenario: s\nobserved:\n"
            "  - {indicator: price, unit: USD/kg, points: {2011-01: {value: 5, source: nope}}}\n",
            6,
            "'nope' is not an id of sources.csv",
        ),
        (
            "name: x\nbase_date: 2009-12\nbase_year: 2009\nscenario: s\nobserved:\n"
            "  - {indicator: price, unit: USD/kg,\n"
            "     points: {2011-01: {value: -5, source: iso-3166}}}\n",
            7,
            "expected a positive number, got -5",
        ),
        (
            "name: x\nbase_date: 2009-12\nbase_year: 2009\nscenario: s\nobserved:\n"
            "  - {indicator: price, unit: USD/kg, pionts: {}}\n",
            6,
            "unknown field",
        ),
        ("name: x\nbase_date: 2009-12\nbase_year: 2009\nobserved: []\n", 1, "scenario: required"),
    ],
)
def test_episode_mistakes(tmp_path: Path, body: str, line: int, fragment: str) -> None:
    path = tmp_path / "ep.yaml"
    path.write_text(body)
    with pytest.raises(ScenarioError) as err:
        load_episode(path)
    message = str(err.value)
    assert message.startswith(f"{path}:{line}: ") and fragment in message
    assert "\n" not in message


def test_unknown_episode_names_the_shipped_ones() -> None:
    with pytest.raises(EpisodeError, match="shipped: china-2010"):
        load_episode("china-1999")
