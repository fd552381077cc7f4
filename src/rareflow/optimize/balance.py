"""Node flows of a solution and the mass balance check run after every solve."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from rareflow.errors import SolveFailure
from rareflow.optimize.arrays import data_array, labels
from rareflow.optimize.inputs import Inputs
from rareflow.optimize.model import Solution

# kinds that bring material to a node in a period, and kinds that take it away
SOURCES = ("production", "process_output", "trade_in", "stock_release")
SINKS = ("consumption", "process_input", "trade_out", "stock_build", "disposal")
# reported but not part of the balance
OTHER = ("stock_level", "unserved")
KINDS = SOURCES + SINKS + OTHER

RELATIVE_TOLERANCE = 1e-6


class MassBalanceError(SolveFailure, RuntimeError):
    """Material appeared or vanished at some node and period beyond the tolerance."""


def _positions(node_of: pd.Series | np.ndarray, nodes: pd.Index) -> np.ndarray:
    """Row of each item's node in `nodes` (every item's node must be one of them)."""
    pos = nodes.get_indexer(pd.Index(np.asarray(node_of, dtype=object)))
    if (pos < 0).any():
        raise KeyError("an item refers to a node that is not in the node table")
    return pos


def _sum_by(values: np.ndarray, pos: np.ndarray, n_nodes: int) -> np.ndarray:
    """[item, period] -> [node, period]: one scatter-add over the whole window."""
    out = np.zeros((n_nodes, values.shape[1]))
    if values.size:
        np.add.at(out, pos, values)
    return out


def _items(values: xr.DataArray, dim: str) -> np.ndarray:
    return np.nan_to_num(values.transpose(dim, "period").to_numpy().astype(float))


def node_flows(inp: Inputs, sol: Solution) -> dict[str, xr.DataArray]:
    """Every flow kind as [node, period] in t per period.

    Array operations over the whole window (index arrays and scatter-adds), no xarray groupby:
    this runs after every solve, so it must cost little next to the solver.
    """
    nodes = pd.Index(list(inp.nodes.index), dtype=object)
    n = len(nodes)
    periods = inp.period_index
    coef = inp.coefficients
    act = _items(sol.activity, "facility")
    fac = sol.activity.indexes["facility"].get_indexer(pd.Index(coef["facility"], dtype=object))
    weights = coef["coefficient"].to_numpy(dtype=float)[:, None]
    per_pair = act[fac] * weights if len(coef) else np.zeros((0, len(periods)))
    coef_pos = _positions(coef["node"], nodes)
    dem_pos = _positions(inp.demand["node"], nodes)
    out = {
        "production": _sum_by(_items(sol.supply, "step"), _positions(inp.steps["node"], nodes), n),
        "process_output": _sum_by(np.clip(per_pair, 0.0, None), coef_pos, n),
        "process_input": _sum_by(np.clip(-per_pair, 0.0, None), coef_pos, n),
        "trade_in": _sum_by(_items(sol.arrivals, "arc"), _positions(inp.arcs["dnode"], nodes), n),
        "trade_out": _sum_by(_items(sol.trade, "arc"), _positions(inp.arcs["onode"], nodes), n),
        "consumption": _sum_by(_items(sol.consumption, "dem"), dem_pos, n),
        "disposal": _sum_by(
            _items(sol.disposal, "node"), _positions(sol.disposal.indexes["node"], nodes), n
        ),
    }
    level = _items(sol.stock_level, "node")
    stock_pos = _positions(sol.stock_level.indexes["node"], nodes)
    previous = np.empty_like(level)
    if level.shape[1]:
        start = sol.stock_start.reindex(node=sol.stock_level.indexes["node"]).to_numpy()
        previous[:, 0] = np.nan_to_num(start)
        previous[:, 1:] = level[:, :-1]
    draw = previous - level
    out["stock_release"] = _sum_by(np.clip(draw, 0.0, None), stock_pos, n)
    out["stock_build"] = _sum_by(np.clip(-draw, 0.0, None), stock_pos, n)
    out["stock_level"] = _sum_by(level, stock_pos, n)
    unserved = np.clip(_items(inp.demand_ref, "dem") - _items(sol.consumption, "dem"), 0.0, None)
    out["unserved"] = _sum_by(unserved, dem_pos, n)
    node_index = labels(nodes, "node")
    return {k: data_array(v, node_index, periods) for k, v in out.items()}


def residuals(flows: dict[str, xr.DataArray]) -> xr.DataArray:
    """Sources minus sinks at every node and period (t)."""
    # plain arrays: every kind is [node, period] on the same coordinates (node_flows)
    like = flows["disposal"]
    net = np.zeros(like.shape)
    for kind in SOURCES:
        net += flows[kind].to_numpy()
    for kind in SINKS:
        net -= flows[kind].to_numpy()
    return like.copy(data=net)


def check_mass_balance(
    flows: dict[str, xr.DataArray], rel_tol: float = RELATIVE_TOLERANCE
) -> tuple[float, float]:
    """Raise MassBalanceError when any node and period is out of balance.

    The tolerance is rel_tol x max(1, largest absolute flow). Returns (largest residual,
    tolerance).
    """
    res = residuals(flows)
    scale = max([1.0] + [float(np.abs(f.to_numpy()).max()) for f in flows.values() if f.size])
    tol = rel_tol * scale
    worst = float(np.abs(res.to_numpy()).max()) if res.size else 0.0
    if worst > tol:
        table = res.to_series().rename("residual").reset_index()
        table = table.reindex(table["residual"].abs().sort_values(ascending=False).index)
        lines = "; ".join(
            f"{r.node} {r.period}: {r.residual:+.6g} t" for r in table.head(5).itertuples()
        )
        raise MassBalanceError(
            f"mass balance violated (tolerance {tol:.3g} t); worst nodes: {lines}"
        )
    return worst, tol


def check_rows(
    residual: np.ndarray, scale: float, periods: pd.Index, rel_tol: float = RELATIVE_TOLERANCE
) -> tuple[float, float]:
    """The mass balance of one solve read on its LP: `residual` is each balance row's
    activity less its right-hand side (t), `scale` the largest value of the solve. Raise
    MassBalanceError beyond rel_tol x max(1, scale); else (largest residual, tolerance).

    A cheap check after every window of a rolling solve; the Result assembled from the kept
    periods is checked node by node (check_mass_balance), which also catches a balance row
    that misses a flow."""
    tol = rel_tol * max(1.0, scale)
    worst = float(np.abs(residual).max()) if residual.size else 0.0
    if worst > tol:
        raise MassBalanceError(
            f"mass balance violated in the solve of periods {periods[0]}..{periods[-1]}: a "
            f"balance row is off by {worst:.3g} t (tolerance {tol:.3g} t)"
        )
    return worst, tol


def tidy_flows(flows: dict[str, xr.DataArray], inp: Inputs) -> pd.DataFrame:
    """Long table kind, region, material, period, value (t); zero rows dropped."""
    kinds, nodes, periods, values = [], [], [], []
    for kind in KINDS:
        # the nonzero cells by numpy, in the array's order, gathered into one frame (a frame
        # per kind, concatenated and mapped to regions, cost twice as much)
        da = flows[kind].transpose("node", "period")
        data = da.to_numpy()
        node_at, period_at = np.nonzero(np.abs(data) > 1e-9)
        kinds.append(np.full(len(node_at), kind, dtype=object))
        nodes.append(da.indexes["node"].to_numpy()[node_at])
        periods.append(da.indexes["period"].to_numpy()[period_at])
        values.append(data[node_at, period_at])
    node = pd.Index(np.concatenate(nodes), dtype=object)
    where = inp.nodes.index.get_indexer(node)
    # text columns as pandas infers them from the labels (its string dtype), as before
    return pd.DataFrame(
        {
            "kind": np.concatenate(kinds),
            "region": inp.nodes["region"].to_numpy(dtype=object)[where],
            "material": inp.nodes["material"].to_numpy(dtype=object)[where],
            "period": np.concatenate(periods),
            "value": np.concatenate(values).astype(float),
        }
    )
