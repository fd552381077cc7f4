"""Single points of failure ranked on a small network whose bottleneck is known."""

from __future__ import annotations

import pytest

from engine_fixtures import ONE_BLOCK, network
from rareflow.metrics.common import MetricsError
from rareflow.metrics.spof import candidates
from rareflow.optimize import Horizon
from rareflow.pipeline.spof import spof_ranking

CONC, OX = "concentrate:c", "oxide:X"


def _net() -> object:
    """Two mines (A, C: 60 t/yr each) feed the only separator (S, 200 t/yr); oxide reaches
    the target T directly or through hub H. T wants 80 t/yr: the separator is the one piece
    whose loss cuts T off; either mine alone leaves T 20 t/yr short; the direct route S->T has
    a detour."""
    return network(
        regions=["A", "C", "S", "H", "T"],
        materials=[CONC, OX],
        supply=[
            {
                "step": "mine-a",
                "region": "A",
                "material": CONC,
                "cost": 1_000.0,
                "capacity": 60.0,
                "facility": "mine-a",
            },
            {
                "step": "mine-c",
                "region": "C",
                "material": CONC,
                "cost": 1_500.0,
                "capacity": 60.0,
                "facility": "mine-c",
            },
        ],
        processes=[{"process": "sep", "stage": "separation", "cost": 2_000.0}],
        coefficients=[
            {"process": "sep", "material": CONC, "coefficient": -1.0},
            {"process": "sep", "material": OX, "coefficient": 1.0},
        ],
        facilities=[{"facility": "sep-s", "region": "S", "process": "sep", "capacity": 200.0}],
        arcs=[
            {"arc": "AS", "origin": "A", "destination": "S", "material": CONC, "cost": 100.0},
            {"arc": "CS", "origin": "C", "destination": "S", "material": CONC, "cost": 100.0},
            {"arc": "ST", "origin": "S", "destination": "T", "material": OX, "cost": 100.0},
            {"arc": "SH", "origin": "S", "destination": "H", "material": OX, "cost": 100.0},
            {"arc": "HT", "origin": "H", "destination": "T", "material": OX, "cost": 100.0},
        ],
        demand=[
            {"region": "T", "sector": "s", "material": OX, "quantity": 80.0, "ref_price": 50_000.0}
        ],
    )


def test_spof_ranks_the_known_bottleneck_first() -> None:
    horizon = Horizon(start="2025-01", end="2025-01", step="month")
    ranking = spof_ranking(_net(), horizon, "T", options=ONE_BLOCK, workers=2, max_routes=10)
    by_target = ranking.set_index("target")
    top = set(ranking.loc[ranking["rank"] == 1, "target"])
    assert top == {"sep-s", "S separation"}
    # 80 t/yr for a month, all of T's demand
    assert by_target.loc["sep-s", "extra_unserved_t"] == pytest.approx(80.0 / 12, rel=1e-4)
    assert by_target.loc["sep-s", "share"] == pytest.approx(1.0)
    # one mine lost: 20 t/yr short for a month
    assert by_target.loc["mine-a", "extra_unserved_t"] == pytest.approx(20.0 / 12, rel=1e-3)
    assert by_target.loc["C mining", "extra_unserved_t"] == pytest.approx(20.0 / 12, rel=1e-3)
    # the direct route has a detour through H
    assert by_target.loc["S->T", "extra_unserved_t"] == pytest.approx(0.0, abs=1e-6)
    assert list(ranking["rank"]) == sorted(ranking["rank"])


def test_candidates_and_bad_inputs() -> None:
    net = _net()
    found = candidates(net, kinds=("facility", "country_stage"))
    assert {c.target for c in found} == {
        "mine-a",
        "mine-c",
        "sep-s",
        "A mining",
        "C mining",
        "S separation",
    }
    with pytest.raises(MetricsError, match="baseline"):
        candidates(net, kinds=("route",))
    with pytest.raises(MetricsError, match="unknown region"):
        spof_ranking(net, Horizon(start="2025-01", end="2025-01"), "XX")
