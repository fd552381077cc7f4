"""Sobol indices against the Ishigami function's analytical values, and PRIM on a known box."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from rareflow.ensemble.discovery import DiscoveryError, prim
from rareflow.ensemble.distributions import make_distribution
from rareflow.ensemble.sampling import quantiles
from rareflow.ensemble.sensitivity import reliability, sobol_from_samples


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> tuple[list[float], list[float]]:
    """Analytical first-order and total indices (Ishigami and Homma 1990)."""
    pi = math.pi
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi**8 * (1 / 18 - 1 / 50)
    var = v1 + v2 + v13
    return [v1 / var, v2 / var, 0.0], [(v1 + v13) / var, v2 / var, v13 / var]


def test_sobol_indices_of_ishigami() -> None:
    u = quantiles("sobol", 2048, 3, seed=3)
    dist = make_distribution("uniform", {"low": -math.pi, "high": math.pi})
    x = dist.ppf(u)
    table = sobol_from_samples(["x1", "x2", "x3"], ishigami(x), seed=3)
    first, total = ishigami_indices()
    assert first == pytest.approx([0.3139, 0.4424, 0.0], abs=1e-3)
    assert table["S1"].to_numpy() == pytest.approx(first, abs=0.05)
    assert table["ST"].to_numpy() == pytest.approx(total, abs=0.05)


def test_prim_finds_a_planted_box() -> None:
    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.random((2000, 3)), columns=["a", "b", "c"])
    y = ((x["a"] > 0.6) & (x["b"] < 0.3)).to_numpy()
    box, trajectory = prim(x, y, alpha=0.05, min_coverage=0.8)
    assert box.coverage >= 0.8
    assert box.density >= 0.8
    assert set(box.limits) <= {"a", "b"}
    assert box.limits["a"][0] == pytest.approx(0.6, abs=0.06)
    assert box.limits["b"][1] == pytest.approx(0.3, abs=0.06)
    # peeling trades coverage for density
    assert trajectory["coverage"].iloc[0] == 1.0
    assert trajectory["density"].iloc[-1] > trajectory["density"].iloc[0]
    with pytest.raises(DiscoveryError, match="alpha"):
        prim(x, y, alpha=0.7)


def test_unreliable_sobol_indices_are_flagged() -> None:
    table = pd.DataFrame(
        {
            "parameter": ["wide", "negative", "sharp", "small"],
            "S1": [0.2, -0.5, 0.5, 0.01],
            "S1_conf": [7.7, 0.1, 0.05, 0.02],
            "ST": [0.3, 0.1, 0.6, 0.02],
            "ST_conf": [0.05, 0.05, 0.05, 0.03],
        }
    )
    flagged = reliability(table).set_index("parameter")
    assert list(flagged["reliable"]) == [False, False, True, True]
    assert "wider than itself" in flagged.loc["wide", "warning"]
    assert "negative" in flagged.loc["negative", "warning"]
    assert flagged.loc["sharp", "warning"] == ""


def test_small_sobol_sample_flags_its_indices() -> None:
    # 16 base samples of Ishigami: too few for narrow intervals on every index
    u = quantiles("sobol", 16, 3, seed=3)
    x = -np.pi + 2 * np.pi * u
    table = reliability(sobol_from_samples(["x1", "x2", "x3"], ishigami(x), seed=3))
    assert not table["reliable"].all()
