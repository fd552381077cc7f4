"""Read-back as array operations: node flows equal a plain pandas group-by of the solution."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from engine_fixtures import ONE_BLOCK, chain
from rareflow.optimize import Horizon
from rareflow.optimize.balance import node_flows
from rareflow.optimize.inputs import build_inputs
from rareflow.optimize.levers import Levers
from rareflow.optimize.model import solve_model


def _grouped(values: xr.DataArray, node_of: pd.Series, nodes: list[str]) -> np.ndarray:
    frame = values.to_pandas()
    frame = frame if frame.index.name != "period" else frame.T
    summed = frame.groupby(node_of.reindex(frame.index).to_numpy()).sum()
    return summed.reindex(nodes).fillna(0.0).to_numpy()


def test_node_flows_match_groupby() -> None:
    net = chain()
    inp = build_inputs(
        net, Horizon(start="2025-01", end="2025-12", step="quarter"), Levers(), ONE_BLOCK, None
    )
    sol = solve_model(inp)
    flows = node_flows(inp, sol)
    nodes = list(inp.nodes.index)
    expected = {
        "production": _grouped(sol.supply, inp.steps["node"], nodes),
        "trade_out": _grouped(sol.trade, inp.arcs["onode"], nodes),
        "trade_in": _grouped(sol.arrivals, inp.arcs["dnode"], nodes),
        "consumption": _grouped(sol.consumption, inp.demand["node"], nodes),
    }
    assert any(np.abs(v).sum() > 0 for v in expected.values())
    for kind, want in expected.items():
        np.testing.assert_allclose(flows[kind].to_numpy(), want, atol=1e-9, err_msg=kind)
    sources = sum(flows[k].to_numpy() for k in ("production", "process_output", "trade_in"))
    assert float(np.abs(sources).sum()) > 0
