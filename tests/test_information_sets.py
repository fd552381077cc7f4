"""Information sets: a myopic or windowed solve knows an event only from its announcement,
however far a lead time stretches its window; perfect foresight sees everything."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine_fixtures import ONE_BLOCK, two_region
from rareflow.network import Network
from rareflow.optimize import Horizon, Levers, solve
from rareflow.scenario.schema import Scenario

HALF_YEAR = Horizon(start="2025-01", end="2025-06", step="month")


def _market() -> Network:
    """A ships to B; B can store 500 t cheaply, so a solver that sees a ban coming within its
    three-month window ships ahead of it."""
    net = two_region(supply_cap=200.0, quantity=60.0)
    net.stocks = pd.DataFrame(
        [
            {
                "region": "B",
                "material": "oxide:M",
                "initial": 0.0,
                "capacity": 500.0,
                "holding_cost": 10.0,
            }
        ]
    )
    return net


def _ban(announced: str | None) -> Levers:
    row = {
        "origin": "A",
        "destination": "B",
        "material": "oxide:M",
        "start": "2025-04-01",
        "max_flow": 0.0,
    }
    if announced is not None:
        row["announced"] = announced
    return Levers(arc_bounds=pd.DataFrame([row]))


def _shipped(levers: Levers, perfect: bool = False) -> np.ndarray:
    """Departures A -> B by month, solved three months at a time (a window, as a lead time
    or a licence delay makes a myopic run), or with perfect foresight."""
    if perfect:
        result = solve(_market(), HALF_YEAR, levers, foresight="perfect", options=ONE_BLOCK)
    else:
        result = solve(
            _market(), HALF_YEAR, levers, foresight="window", window=3, options=ONE_BLOCK
        )
    return result.arc_flow("A-B").to_numpy()


def test_nothing_moves_before_the_announcement() -> None:
    none = _shipped(Levers())
    surprise = _shipped(_ban("2025-04-01"))
    # the window reaches April from February, but the April ban is news in April
    assert surprise[:3] == pytest.approx(none[:3])
    assert surprise[3:].sum() == pytest.approx(0.0)


def test_an_early_announcement_is_acted_on_from_its_date() -> None:
    none = _shipped(Levers())
    early = _shipped(_ban("2025-02-01"))
    assert early[0] == pytest.approx(none[0])
    # from February the market knows: it ships ahead of the ban into B's stock
    assert early[1:3].sum() > none[1:3].sum() + 1.0


def test_a_row_without_a_date_is_known_from_the_start() -> None:
    undated = _shipped(_ban(None))
    early = _shipped(_ban("2024-12-01"))
    assert undated == pytest.approx(early)


def test_perfect_foresight_sees_everything() -> None:
    announced = _shipped(_ban("2025-04-01"), perfect=True)
    assert announced == pytest.approx(_shipped(_ban(None), perfect=True))
    assert announced[:3].sum() > _shipped(Levers(), perfect=True)[:3].sum() + 1.0


def test_a_scenario_event_carries_its_announcement_into_the_levers() -> None:
    from rareflow.data.loader import load_reference
    from rareflow.network_builder import build_network
    from rareflow.scenario import load_vocabulary
    from rareflow.scenario.apply import apply

    scenario = Scenario.model_validate(
        {
            "name": "announced",
            "horizon": {"start": "2025-01", "end": "2025-12", "step": "month"},
            "events": [
                {
                    "type": "export_ban",
                    "exporter": "CHN",
                    "materials": ["oxide:Dy"],
                    "start": "2025-06-01",
                    "announced": "2025-03-15",
                },
                {
                    "type": "export_ban",
                    "exporter": "CHN",
                    "materials": ["oxide:Tb"],
                    "start": "2025-07-01",
                },
            ],
        }
    )
    net = build_network(load_reference(), last_year=2030)
    bounds = apply(scenario, net, load_vocabulary(None)).levers.arc_bounds
    dates = dict(zip(bounds["material"], bounds["announced"], strict=False))
    assert dates["oxide:Dy"] == pd.Timestamp("2025-03-15")
    assert dates["oxide:Tb"] == pd.Timestamp("2025-07-01")  # default: its start


def test_a_ban_from_2026_leaves_2025_as_the_baseline(tmp_path: Path) -> None:
    """Issue 14's test on the shipped data: myopic, quarterly, a Dy/Tb licence with a 90-day
    delay from January 2026 (the delay stretches the solve window across the turn of the year)."""
    from rareflow import pipeline

    scenario = tmp_path / "ban-2026.yaml"
    scenario.write_text(
        "name: ban-2026\nbase: baseline\nforesight: myopic\n"
        "horizon: {start: 2025-01, end: 2026-06, step: quarter}\n"
        "events:\n"
        "  - {type: export_licence, exporter: CHN, elements: [Dy, Tb], approval_share: 0.2,\n"
        "     delay: 90 days, start: 2026-01-01}\n",
        encoding="utf-8",
    )
    options = pipeline.RunOptions(until="2026-06", step="quarter", foresight="myopic")
    base = pipeline.run(pipeline.load("baseline", options), options)
    banned = pipeline.run(pipeline.load(scenario, options), options)

    def year_2025(frame: pd.DataFrame, value: str) -> pd.Series:
        rows = frame[frame["period"].astype(str).str.startswith("2025")]
        keys = [c for c in frame.columns if c not in (value, "arc")]
        return rows.set_index(keys)[value].sort_index()

    assert year_2025(banned.prices, "price").to_numpy() == pytest.approx(
        year_2025(base.prices, "price").to_numpy(), abs=1e-6
    )
    flows_b, flows_e = year_2025(base.flows, "value"), year_2025(banned.flows, "value")
    joined = pd.concat([flows_b, flows_e], axis=1).fillna(0.0)
    assert joined.iloc[:, 0].to_numpy() == pytest.approx(joined.iloc[:, 1].to_numpy(), abs=1e-6)

    # and the licence does bite in 2026
    def year_2026(result: object) -> np.ndarray:
        prices = result.prices  # type: ignore[attr-defined]
        return prices[prices["period"].astype(str).str.startswith("2026")]["price"].to_numpy()

    assert np.abs(year_2026(banned) - year_2026(base)).max() > 1.0
