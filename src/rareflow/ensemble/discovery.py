"""Scenario discovery with PRIM (Friedman and Fisher 1999), written out here: the
ema_workbench implementation would bring scikit-learn, statsmodels, seaborn and more.

Given the samples' parameter values X and a yes/no outcome y ("Indian magnet shortfall above
20%"), PRIM looks for a box (an interval per parameter) that holds many of the cases
(coverage = cases in the box / all cases) and few others (density = cases in the box /
samples in the box).

Peeling: from the box holding everything, repeatedly cut off the `alpha` share of the box's
samples at the low or the high end of one parameter, choosing the cut that leaves the highest
density, until the box holds fewer than `min_mass` of all samples. Every step is one box of the
peeling trajectory (coverage falls, density rises).
Pasting: the chosen box is then widened again, one edge at a time, by the next `alpha` share
of samples outside it along that parameter, as long as that raises density.
The box reported is the densest box of the trajectory whose coverage is at least
`min_coverage`; parameters whose interval still spans all their values are not restricting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from rareflow.ensemble.store import EnsembleStore
from rareflow.errors import UserError


class DiscoveryError(UserError, ValueError):
    """A discovery request that cannot be answered (bad expression, no cases, ...)."""


@dataclass
class Box:
    lower: np.ndarray
    upper: np.ndarray
    coverage: float
    density: float
    mass: float  # share of all samples inside the box
    names: list[str] = field(default_factory=list)
    full_lower: np.ndarray = field(default_factory=lambda: np.zeros(0))
    full_upper: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def limits(self) -> dict[str, tuple[float, float]]:
        """Only the parameters the box restricts: name -> (low, high)."""
        out = {}
        for j, name in enumerate(self.names):
            if self.lower[j] > self.full_lower[j] or self.upper[j] < self.full_upper[j]:
                out[name] = (float(self.lower[j]), float(self.upper[j]))
        return out


def _inside(x: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    return np.asarray(np.all((x >= lower) & (x <= upper), axis=1))


def _stats(
    x: np.ndarray, y: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> tuple[float, float, float]:
    inside = _inside(x, lower, upper)
    n_in = int(inside.sum())
    cases = float(y.sum())
    hit = float(y[inside].sum())
    coverage = hit / cases if cases else 0.0
    density = hit / n_in if n_in else 0.0
    return coverage, density, n_in / len(y)


def _peel_once(
    x: np.ndarray, y: np.ndarray, lower: np.ndarray, upper: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray] | None:
    """The best single peel of the current box, or None when no peel removes anything."""
    inside = _inside(x, lower, upper)
    xs, ys = x[inside], y[inside]
    best: tuple[float, float, np.ndarray, np.ndarray] | None = None
    for j in range(x.shape[1]):
        col = xs[:, j]
        for side in ("low", "high"):
            if side == "low":
                cut = np.quantile(col, alpha, method="higher")
                keep = col >= cut if cut > col.min() else col > col.min()
            else:
                cut = np.quantile(col, 1 - alpha, method="lower")
                keep = col <= cut if cut < col.max() else col < col.max()
            if keep.all() or not keep.any():
                continue
            density = float(ys[keep].mean())
            mass = float(keep.sum())
            # ties in density: keep the larger box
            if best is None or (density, mass) > (best[0], best[1]):
                new_lo, new_hi = lower.copy(), upper.copy()
                if side == "low":
                    new_lo[j] = col[keep].min()
                else:
                    new_hi[j] = col[keep].max()
                best = (density, mass, new_lo, new_hi)
    return None if best is None else (best[2], best[3])


def _paste(
    x: np.ndarray, y: np.ndarray, lower: np.ndarray, upper: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """Widen edges while density rises (see the module docstring)."""
    n = len(y)
    while True:
        _, density, _ = _stats(x, y, lower, upper)
        best: tuple[float, np.ndarray, np.ndarray] | None = None
        inside = _inside(x, lower, upper)
        step = max(1, int(np.ceil(alpha * inside.sum())))
        for j in range(x.shape[1]):
            others = np.ones(n, dtype=bool)
            for k in range(x.shape[1]):
                if k != j:
                    others &= (x[:, k] >= lower[k]) & (x[:, k] <= upper[k])
            for side in ("low", "high"):
                if side == "low":
                    out = np.sort(x[others & (x[:, j] < lower[j]), j])[::-1]
                else:
                    out = np.sort(x[others & (x[:, j] > upper[j]), j])
                if not len(out):
                    continue
                edge = out[min(step, len(out)) - 1]
                lo, hi = lower.copy(), upper.copy()
                if side == "low":
                    lo[j] = edge
                else:
                    hi[j] = edge
                _, d, _ = _stats(x, y, lo, hi)
                if d > density and (best is None or d > best[0]):
                    best = (d, lo, hi)
        if best is None:
            return lower, upper
        lower, upper = best[1], best[2]


def prim(
    x: pd.DataFrame,
    y: np.ndarray,
    alpha: float = 0.05,
    min_mass: float = 0.05,
    min_coverage: float = 0.5,
) -> tuple[Box, pd.DataFrame]:
    """The chosen (pasted) box and the peeling trajectory (coverage, density, mass, limits)."""
    if not 0 < alpha < 0.5:
        raise DiscoveryError(f"expected 0 < alpha < 0.5, got {alpha}")
    values = x.to_numpy(dtype=float)
    yy = np.asarray(y, dtype=float)
    full_lo, full_hi = values.min(axis=0), values.max(axis=0)
    lower, upper = full_lo.copy(), full_hi.copy()
    steps: list[dict[str, float]] = []
    boxes: list[tuple[np.ndarray, np.ndarray]] = []
    while True:
        cov, den, mass = _stats(values, yy, lower, upper)
        boxes.append((lower.copy(), upper.copy()))
        steps.append(
            {
                "step": len(steps),
                "coverage": cov,
                "density": den,
                "mass": mass,
                **{f"{n}_low": lower[j] for j, n in enumerate(x.columns)},
                **{f"{n}_high": upper[j] for j, n in enumerate(x.columns)},
            }
        )
        if mass <= min_mass:
            break
        nxt = _peel_once(values, yy, lower, upper, alpha)
        if nxt is None:
            break
        if _stats(values, yy, *nxt)[2] < min_mass:
            break
        lower, upper = nxt
    trajectory = pd.DataFrame(steps)
    ok = trajectory[trajectory["coverage"] >= min_coverage]
    pick = (
        int(ok.sort_values(["density", "step"], ascending=[False, True]).iloc[0]["step"])
        if not ok.empty
        else 0
    )
    lo, hi = _paste(values, yy, *boxes[pick], alpha)
    cov, den, mass = _stats(values, yy, lo, hi)
    box = Box(lo, hi, cov, den, mass, list(x.columns), full_lo, full_hi)
    return box, trajectory


@dataclass
class Discovery:
    box: Box
    trajectory: pd.DataFrame
    cases: int
    samples: int
    paths: list[Path]
    units: dict[str, str]  # parameter -> unit of its sampled values ('' for plain numbers)


def discover_dir(
    directory: str | Path, expression: str, min_coverage: float = 0.5, alpha: float = 0.05
) -> Discovery:
    """PRIM on an ensemble directory: `expression` is evaluated on each sample's outcomes
    and parameters (pandas eval, e.g. 'shortfall_IND_magnet > 0.2'); writes prim_*.csv and
    prim.html next to the samples."""
    store = EnsembleStore(directory)
    meta = store.meta()
    table = store.samples()
    params = [p["name"] for p in meta["parameters"]]
    units = {p["name"]: str(p.get("unit") or "") for p in meta["parameters"]}
    try:
        flag = table.eval(expression)
    except Exception as exc:  # pandas raises many kinds on a bad expression
        outcomes = [c for c in table.columns if c.startswith("shortfall_")][:5]
        raise DiscoveryError(
            f"--outcome '{expression}': {exc}; expected a condition on columns such as "
            f"{', '.join(['welfare', 'unserved_t', *outcomes])}"
        ) from None
    if not isinstance(flag, pd.Series) or flag.dtype != bool:
        raise DiscoveryError(
            f"--outcome '{expression}': expected a yes/no condition, e.g. "
            "'shortfall_IND_magnet > 0.2'"
        )
    cases = int(flag.sum())
    if cases == 0 or cases == len(flag):
        which = "no sample" if cases == 0 else "every sample"
        raise DiscoveryError(f"--outcome '{expression}' holds for {which}; nothing to tell apart")
    box, trajectory = prim(table[params], flag.to_numpy(), alpha=alpha, min_coverage=min_coverage)
    out = Path(directory)
    trajectory.to_csv(out / "prim_trajectory.csv", index=False)
    limits = pd.DataFrame(
        [
            {
                "parameter": n,
                "unit": units.get(n, ""),
                "low": box.lower[j],
                "high": box.upper[j],
                "restricted": n in box.limits,
                "min": box.full_lower[j],
                "max": box.full_upper[j],
            }
            for j, n in enumerate(box.names)
        ]
    )
    limits.attrs["expression"] = expression
    limits.to_csv(out / "prim_box.csv", index=False)
    _chart(trajectory, box, limits, expression, out / "prim.html")
    return Discovery(
        box,
        trajectory,
        cases,
        len(flag),
        [out / "prim_box.csv", out / "prim_trajectory.csv", out / "prim.html"],
        units,
    )


def _chart(
    trajectory: pd.DataFrame, box: Box, limits: pd.DataFrame, expression: str, path: Path
) -> None:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, subplot_titles=("Peeling trajectory", "Chosen box"))
    fig.add_trace(
        go.Scatter(
            x=trajectory["coverage"],
            y=trajectory["density"],
            mode="lines+markers",
            name="trajectory",
            text=[f"step {s}" for s in trajectory["step"]],
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=[box.coverage],
            y=[box.density],
            mode="markers",
            marker={"size": 14, "symbol": "star"},
            name="chosen (pasted)",
        ),
        row=1,
        col=1,
    )
    span = (limits["max"] - limits["min"]).replace(0, 1.0)
    fig.add_trace(
        go.Bar(
            y=limits["parameter"],
            x=(limits["high"] - limits["low"]) / span,
            base=(limits["low"] - limits["min"]) / span,
            orientation="h",
            name="box (share of range)",
            text=[
                f"{lo:.3g} .. {hi:.3g} {unit}".rstrip()
                for lo, hi, unit in zip(limits["low"], limits["high"], limits["unit"], strict=True)
            ],
        ),
        row=1,
        col=2,
    )
    fig.update_xaxes(title_text="coverage", row=1, col=1)
    fig.update_yaxes(title_text="density", row=1, col=1)
    fig.update_xaxes(title_text="position in the sampled range", range=[0, 1], row=1, col=2)
    fig.update_layout(title=f"PRIM: {expression}")
    fig.write_html(path, include_plotlyjs=True, full_html=True)
