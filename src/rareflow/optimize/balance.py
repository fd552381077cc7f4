"""Node flows of a solution and the mass balance check run after every solve."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from rareflow.errors import SolveFailure
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


def _by_node(values: xr.DataArray, node_of: pd.Series, dim: str, nodes: list[str]) -> xr.DataArray:
    """Sum `values` over `dim` by the node of each item; every node present (0 if none)."""
    periods = values.indexes["period"]
    if values.sizes.get(dim, 0) == 0:
        return xr.DataArray(
            np.zeros((len(nodes), len(periods))),
            coords={"node": nodes, "period": periods},
            dims=["node", "period"],
        )
    group = xr.DataArray(
        node_of.to_numpy(dtype=object), coords={dim: values.indexes[dim]}, dims=[dim], name="node"
    )
    summed = values.groupby(group).sum()
    return summed.reindex(node=nodes).fillna(0.0).transpose("node", "period")


def node_flows(inp: Inputs, sol: Solution) -> dict[str, xr.DataArray]:
    """Every flow kind as [node, period] in t per period."""
    nodes = list(inp.nodes.index)
    coef = inp.coefficients
    per_pair = sol.activity.sel(
        facility=xr.DataArray(coef["facility"].to_numpy(dtype=object), dims="fm")
    ).assign_coords(fm=list(coef.index))
    weights = xr.DataArray(
        coef["coefficient"].to_numpy(dtype=float), coords={"fm": list(coef.index)}, dims="fm"
    )
    level = sol.stock_level
    previous = level.shift(period=1)
    if level.sizes.get("period", 0):
        previous[dict(period=0)] = sol.stock_start.reindex(node=level.indexes["node"]).to_numpy()
    draw = previous - level
    flows = {
        "production": _by_node(sol.supply, inp.steps["node"], "step", nodes),
        "process_output": _by_node(per_pair * weights.clip(min=0), coef["node"], "fm", nodes),
        "process_input": _by_node(per_pair * (-weights).clip(min=0), coef["node"], "fm", nodes),
        "trade_in": _by_node(sol.arrivals, inp.arcs["dnode"], "arc", nodes),
        "trade_out": _by_node(sol.trade, inp.arcs["onode"], "arc", nodes),
        "consumption": _by_node(sol.consumption, inp.demand["node"], "dem", nodes),
        "disposal": sol.disposal.reindex(node=nodes).fillna(0.0).transpose("node", "period"),
    }
    flows["stock_release"] = _stock(draw.clip(min=0), nodes)
    flows["stock_build"] = _stock((-draw).clip(min=0), nodes)
    flows["stock_level"] = _stock(level, nodes)
    unserved = (inp.demand_ref - sol.consumption).clip(min=0)
    flows["unserved"] = _by_node(unserved, inp.demand["node"], "dem", nodes)
    return flows


def _stock(values: xr.DataArray, nodes: list[str]) -> xr.DataArray:
    return values.reindex(node=nodes).fillna(0.0).transpose("node", "period")


def residuals(flows: dict[str, xr.DataArray]) -> xr.DataArray:
    """Sources minus sinks at every node and period (t)."""
    sources = sum((flows[k] for k in SOURCES), xr.zeros_like(flows["disposal"]))
    sinks = sum((flows[k] for k in SINKS), xr.zeros_like(flows["disposal"]))
    return sources - sinks


def check_mass_balance(
    flows: dict[str, xr.DataArray], rel_tol: float = RELATIVE_TOLERANCE
) -> tuple[float, float]:
    """Raise MassBalanceError when any node and period is out of balance.

    The tolerance is rel_tol x max(1, largest absolute flow). Returns (largest residual,
    tolerance).
    """
    res = residuals(flows)
    scale = max([1.0] + [float(np.abs(f).max()) for f in flows.values() if f.size])
    tol = rel_tol * scale
    worst = float(np.abs(res).max()) if res.size else 0.0
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


def tidy_flows(flows: dict[str, xr.DataArray], inp: Inputs) -> pd.DataFrame:
    """Long table kind, region, material, period, value (t); zero rows dropped."""
    frames = []
    for kind in KINDS:
        s = flows[kind].to_series()
        s = s[np.abs(s) > 1e-9]
        frame = s.rename("value").reset_index()
        frame.insert(0, "kind", kind)
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    out["region"] = out["node"].map(inp.nodes["region"])
    out["material"] = out["node"].map(inp.nodes["material"])
    return out[["kind", "region", "material", "period", "value"]]
