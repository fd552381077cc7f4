"""Distributions of uncertain parameters, as maps from a quantile u in (0, 1) to a value.

Every sampler draws quantiles (uniform on the unit cube) and the distributions turn them into
values with their inverse CDF (`ppf`). Grouped parameters share one quantile column, so they
move together: all at their 10th percentile, or all at their 90th.

Values with units ('30 days', '450 t/yr') are converted to the unit of the field they replace
(durations in months, mass rates in t/yr, ...) before any sampling.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from rareflow.errors import UserError

DIST_NAMES = ("uniform", "triangular", "truncnormal", "lognormal", "choice")


class DistributionError(UserError, ValueError):
    """A distribution whose parameters make no sense (low > high, sd <= 0, ...)."""


@dataclass(frozen=True)
class Distribution:
    """One distribution with its parameters in the target field's unit."""

    kind: str
    low: float = math.nan
    high: float = math.nan
    mode: float = math.nan
    mean: float = math.nan
    sd: float = math.nan
    median: float = math.nan
    sigma: float = math.nan
    values: tuple[float, ...] = ()
    weights: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        k = self.kind
        if k not in DIST_NAMES:
            raise DistributionError(f"unknown dist '{k}'; expected one of {', '.join(DIST_NAMES)}")
        if k in ("uniform", "triangular") and not self.low < self.high:
            raise DistributionError(
                f"expected low < high, got low {self.low:g}, high {self.high:g}"
            )
        if k == "triangular" and not self.low <= self.mode <= self.high:
            raise DistributionError(
                f"expected low <= mode <= high, got {self.low:g}, {self.mode:g}, {self.high:g}"
            )
        if k == "truncnormal":
            if not self.sd > 0:
                raise DistributionError(f"expected sd > 0, got {self.sd:g}")
            if not self.low < self.high:
                raise DistributionError(
                    f"expected low < high, got low {self.low:g}, high {self.high:g}"
                )
        if k == "lognormal" and not (self.median > 0 and self.sigma > 0):
            raise DistributionError(
                f"expected median > 0 and sigma > 0, got {self.median:g}, {self.sigma:g}"
            )
        if k == "choice":
            if not self.values:
                raise DistributionError("expected a non-empty list of `values`")
            if self.weights and (len(self.weights) != len(self.values) or min(self.weights) < 0):
                raise DistributionError("expected one non-negative weight per value")
            if self.weights and sum(self.weights) <= 0:
                raise DistributionError("expected weights with a positive sum")

    @property
    def support(self) -> tuple[float, float]:
        """(smallest, largest) value the distribution can take (inf when unbounded)."""
        if self.kind in ("uniform", "triangular", "truncnormal"):
            return self.low, self.high
        if self.kind == "lognormal":
            return 0.0, math.inf
        return min(self.values), max(self.values)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Values at quantiles `u` (an array in [0, 1])."""
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        k = self.kind
        if k == "uniform":
            return self.low + u * (self.high - self.low)
        if k == "triangular":
            c = (self.mode - self.low) / (self.high - self.low)
            return np.asarray(
                stats.triang.ppf(u, c, loc=self.low, scale=self.high - self.low), dtype=float
            )
        if k == "truncnormal":
            a = (self.low - self.mean) / self.sd
            b = (self.high - self.mean) / self.sd
            out = stats.truncnorm.ppf(u, a, b, loc=self.mean, scale=self.sd)
            return np.clip(np.asarray(out, dtype=float), self.low, self.high)
        if k == "lognormal":
            # u = 0 or 1 would be 0 or inf: keep inside the open interval
            inner = np.clip(u, 1e-12, 1.0 - 1e-12)
            return np.asarray(stats.lognorm.ppf(inner, self.sigma, scale=self.median), dtype=float)
        # choice: the value whose cumulative weight first reaches u
        weights = np.asarray(self.weights or [1.0] * len(self.values), dtype=float)
        cum = np.cumsum(weights / weights.sum())
        idx = np.minimum(np.searchsorted(cum, u, side="right"), len(self.values) - 1)
        return np.asarray(self.values, dtype=float)[idx]


def make_distribution(kind: str, params: dict[str, float | Sequence[float]]) -> Distribution:
    """A Distribution from already-converted numbers; DistributionError names what is wrong."""
    allowed = {
        "uniform": {"low", "high"},
        "triangular": {"low", "mode", "high"},
        "truncnormal": {"mean", "sd", "low", "high"},
        "lognormal": {"median", "sigma"},
        "choice": {"values", "weights"},
    }
    if kind not in allowed:
        raise DistributionError(f"unknown dist '{kind}'; expected one of {', '.join(DIST_NAMES)}")
    required = allowed[kind] - ({"weights"} if kind == "choice" else set())
    missing = sorted(required - set(params))
    if missing:
        raise DistributionError(f"dist {kind} needs {', '.join(missing)}")
    extra = sorted(set(params) - allowed[kind])
    if extra:
        raise DistributionError(
            f"dist {kind} takes {', '.join(sorted(allowed[kind]))}; got also {', '.join(extra)}"
        )
    fields: dict[str, object] = {}
    for name, value in params.items():
        if name in ("values", "weights"):
            if not isinstance(value, Sequence) or isinstance(value, str):
                raise DistributionError(f"expected `{name}` to be a list of numbers")
            fields[name] = tuple(float(v) for v in value)
        else:
            fields[name] = float(value)  # type: ignore[arg-type]
    return Distribution(kind=kind, **fields)  # type: ignore[arg-type]
