"""Ensemble files: syntax, errors with file:line, distributions, substitution, designs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from rareflow.ensemble.distributions import DistributionError, make_distribution
from rareflow.ensemble.sampling import DesignError, design, quantiles
from rareflow.ensemble.spec import load_ensemble, substitute
from rareflow.scenario import ScenarioError
from rareflow.scenario.schema import Parameter
from rareflow.scenario.shipped import SCENARIOS_DIR

SEED = SCENARIOS_DIR / "seed.yaml"
SHIPPED = Path(__file__).resolve().parents[1] / "ensembles" / "seed-uncertain.yaml"

HEADER = f"""name: t
scenario: {SEED}
horizon: {{start: 2025-01, end: 2026-12, step: year}}
seed: 7
uncertain:
"""


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "e.yaml"
    path.write_text(HEADER + body)
    return path


def test_shipped_ensemble_loads() -> None:
    spec = load_ensemble(SHIPPED)
    assert [p.name for p in spec.parameters] == [
        "ban_duration",
        "approval_share",
        "ramp_delay",
        "magnet_elasticity",
    ]
    ban = spec.parameters[0]
    # '90 days' .. '1095 days' stored in months
    assert ban.unit == "month"
    assert ban.dist.low == pytest.approx(90 / (365.25 / 12))
    assert ban.dist.high == pytest.approx(1095 / (365.25 / 12))


def test_substitute_sets_dates_paths_and_reference(tmp_path: Path) -> None:
    spec = load_ensemble(
        write(
            tmp_path,
            """  - {name: ban, path: 'events[0].end', dist: uniform, low: 30 days, high: 365 days}
  - {name: share, path: 'events[0].approval_share', dist: uniform, low: 0.1, high: 0.5}
  - {name: delay, path: 'events[6].path', op: shift, dist: uniform, low: 0 days, high: 1 yr}
  - {name: late, path: 'events[6].path[2030-01]', op: scale, dist: uniform, low: 0.5, high: 1}
  - name: el
    path: reference.elasticities[demand,short,magnet].value
    op: scale
    dist: choice
    values: [0.5, 2]
""",
        )
    )
    month = 365.25 / 12
    sample = {"ban": 100 / month, "share": 0.3, "delay": 2.0, "late": 0.5, "el": 2.0}
    scenario = substitute(spec, sample)
    licence = scenario.events[0]
    assert licence.end == licence.start + dt.timedelta(days=100)
    assert licence.approval_share == 0.3
    path = scenario.events[6].path  # seed's capacity path, after china-2025's five events
    # the 2030 point halved, then every date shifted by 2 months (61 days)
    assert path == {dt.date(2026, 5, 1): 450.0, dt.date(2030, 3, 3): 450.0}
    extra = scenario.events[-1]
    assert isinstance(extra, Parameter)
    assert (extra.table, extra.key, extra.column) == (
        "elasticities",
        ["demand", "short", "magnet"],
        "value",
    )
    assert extra.value == pytest.approx(2 * -0.1)
    # the spec's own scenario is not modified (china-2025's spring regime has no end date:
    # the June row, which starts later, takes over)
    assert spec.scenario.events[0].end is None


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        (
            "  - {name: x, path: 'events[9].share', dist: uniform, low: 0, high: 1}\n",
            6,
            "no events[9] in scenario seed",
        ),
        (
            "  - {name: x, path: 'events[0].approval_share', dist: uniform, low: 0.5, high: 1.5}\n",
            6,
            "is a share: values must stay in [0, 1]",
        ),
        (
            "  - {name: x, path: 'events[0].end', dist: uniform, low: 3, high: 5}\n",
            6,
            "got the bare number 3 (no unit)",
        ),
        (
            "  - {name: x, path: 'events[0].delay', dist: normal, low: 1 day, high: 2 days}\n",
            6,
            "unknown dist 'normal'",
        ),
        (
            "  - {name: x, path: 'events[0].approval_share', dist: uniform, low: 0.5}\n",
            6,
            "dist uniform needs high",
        ),
        (
            "  - name: x\n    path: reference.elasticities[demand,short,nothing].value\n"
            "    dist: uniform\n    low: -1\n    high: -0.5\n",
            7,
            "no row demand/short/nothing in table elasticities",
        ),
        (
            "  - {name: x, path: 'events[0].start', dist: uniform, low: 1 day, high: 2 days}\n",
            6,
            "to move a start use op: shift",
        ),
    ],
)
def test_bad_ensemble_files_name_line_and_field(
    tmp_path: Path, body: str, line: int, message: str
) -> None:
    path = write(tmp_path, body)
    with pytest.raises(ScenarioError) as err:
        load_ensemble(path)
    text = str(err.value)
    assert text.startswith(f"{path}:{line}: uncertain[0]")
    assert message in text
    assert "\n" not in text


def test_distributions_match_scipy() -> None:
    u = np.linspace(0.01, 0.99, 25)
    tri = make_distribution("triangular", {"low": 0.0, "mode": 1.0, "high": 4.0})
    assert np.allclose(tri.ppf(u), stats.triang.ppf(u, 0.25, loc=0.0, scale=4.0))
    tn = make_distribution("truncnormal", {"mean": 1.0, "sd": 2.0, "low": 0.0, "high": 3.0})
    values = tn.ppf(u)
    assert values.min() >= 0.0 and values.max() <= 3.0
    assert np.all(np.diff(values) > 0)
    ln = make_distribution("lognormal", {"median": 5.0, "sigma": 0.5})
    assert ln.ppf(np.array([0.5]))[0] == pytest.approx(5.0)
    ch = make_distribution("choice", {"values": [1, 2, 3], "weights": [1, 1, 2]})
    assert list(ch.ppf(np.array([0.1, 0.3, 0.6, 0.99]))) == [1.0, 2.0, 3.0, 3.0]
    with pytest.raises(DistributionError, match="low < high"):
        make_distribution("uniform", {"low": 2.0, "high": 1.0})


def test_groups_move_together_and_designs_are_reproducible(tmp_path: Path) -> None:
    spec = load_ensemble(
        write(
            tmp_path,
            """  - {name: a, path: 'events[0].approval_share', dist: uniform, low: 0.1, high: 0.5,
     group: china}
  - {name: b, path: 'events[0].delay', dist: uniform, low: 10 days, high: 90 days, group: china}
  - {name: c, path: 'events[5].share', dist: uniform, low: 0.5, high: 1}
""",
        )
    )
    assert spec.groups == ["china", "c"]
    for method in ("mc", "lhs", "sobol"):
        one = design(spec, method, 8)
        two = design(spec, method, 8)
        assert one.equals(two)
        assert not one.equals(design(spec, method, 8, seed=8))
        # same quantile for both members of the group
        qa = (one["a"] - 0.1) / 0.4
        qb = (one["b"] - 10 / (365.25 / 12)) / (80 / (365.25 / 12))
        assert np.allclose(qa, qb)
    assert len(design(spec, "sobol", 8)) == 8 * (2 + 2)
    # a Latin hypercube puts exactly one point in each of n strata per dimension
    u = quantiles("lhs", 10, 3, seed=1)
    for j in range(3):
        assert sorted(np.floor(u[:, j] * 10).astype(int)) == list(range(10))
    with pytest.raises(DesignError, match="power of 2"):
        quantiles("sobol", 10, 2, seed=0)


def test_cli_refuses_a_bad_ensemble_file_with_one_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from rareflow.cli.ensemble import ensemble_app

    path = write(
        tmp_path,
        "  - {name: x, path: 'events[0].approval_share', dist: uniform, low: 2, high: 3}\n",
    )
    result = CliRunner().invoke(
        ensemble_app,
        [
            "ensemble",
            str(path),
            "--samples",
            "4",
            "--out",
            str(tmp_path / "o"),
            "--executor",
            "sequential",
        ],
    )
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {path}:6: uncertain[0].dist:")
    assert not (tmp_path / "o").exists()


def test_horizon_override_must_lie_within_the_data(tmp_path: Path) -> None:
    path = tmp_path / "e.yaml"
    path.write_text(
        HEADER.replace("end: 2026-12", "end: 2045-12")
        + "  - {name: x, path: 'events[5].share', dist: uniform, low: 0.5, high: 1}\n"
    )
    with pytest.raises(ScenarioError, match=r"e.yaml:3: horizon: expected months within the data"):
        load_ensemble(path)
