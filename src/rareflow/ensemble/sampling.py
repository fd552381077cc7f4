"""Designs of an ensemble: which quantiles, hence which values, each sample gets.

Methods (all reproducible from one seed):
- mc: plain Monte Carlo, numpy's default generator;
- lhs: Latin hypercube (scipy.stats.qmc.LatinHypercube);
- sobol: Saltelli's scheme for Sobol indices (SALib.sample.sobol, scrambled Sobol' sequence):
  N base samples give N x (D + 2) rows, D = number of groups (first and total indices).

Every column of the quantile matrix is one group; each parameter of a group reads its value
from that column through its distribution's inverse CDF.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import qmc

from rareflow.ensemble.spec import EnsembleSpec
from rareflow.errors import UserError

METHODS = ("mc", "lhs", "sobol")


class DesignError(UserError, ValueError):
    """A design that cannot be drawn (bad method or sample count)."""


def salib_problem(groups: list[str]) -> dict[str, Any]:
    """The SALib problem: one factor per group, on quantile space [0, 1]."""
    return {"num_vars": len(groups), "names": list(groups), "bounds": [[0.0, 1.0]] * len(groups)}


def quantiles(method: str, n: int, d: int, seed: int) -> np.ndarray:
    """Matrix [rows, d] of quantiles in [0, 1] (rows = n, or n x (d + 2) for sobol)."""
    if n < 1:
        raise DesignError(f"expected --samples >= 1, got {n}")
    if method == "mc":
        return np.random.default_rng(seed).random((n, d))
    if method == "lhs":
        return np.asarray(qmc.LatinHypercube(d=d, rng=np.random.default_rng(seed)).random(n))
    if method == "sobol":
        if n & (n - 1):
            raise DesignError(
                f"sobol needs --samples a power of 2 (the base sample N; rows = N x (D + 2)), "
                f"got {n}"
            )
        from SALib.sample import sobol as salib_sobol

        problem = salib_problem([f"g{i}" for i in range(d)])
        return np.asarray(
            salib_sobol.sample(problem, n, calc_second_order=False, scramble=True, seed=seed)
        )
    raise DesignError(f"expected --method one of {', '.join(METHODS)}, got '{method}'")


def design(spec: EnsembleSpec, method: str, n: int, seed: int | None = None) -> pd.DataFrame:
    """One row per sample: sample_id, the quantile of every group (u_<group>) and the value
    of every parameter (in its unit, see the Uncertain's `unit`)."""
    groups = spec.groups
    u = quantiles(method, n, len(groups), spec.seed if seed is None else seed)
    frame = pd.DataFrame({"sample_id": np.arange(len(u), dtype=np.int64)})
    for j, g in enumerate(groups):
        frame[f"u_{g}"] = u[:, j]
    for p in spec.parameters:
        frame[p.name] = p.dist.ppf(u[:, groups.index(p.group)])
    return frame
