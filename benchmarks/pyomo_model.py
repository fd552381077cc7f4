"""The rareflow market LP written in Pyomo, from the same `Inputs` as the linopy engine.

Used by `bench_engine.py` to compare build (and solve) time with an element-by-element
modelling layer. It mirrors `rareflow.optimize.constraints` family by family: the same
variables with the same bounds, the same shared-capacity, balance, agreement and quota rows
and the same objective, so the two LPs have the same optimum. It is written the way a Pyomo
model usually is: index sets, bound and constraint rules called once per index, and per-node
lists of contributing items prepared beforehand so that each balance row is built directly.
Fixed arrivals from earlier rolling windows are not modelled: the benchmark solves the whole
horizon at once (perfect foresight), where there are none.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from typing import Any

import numpy as np
import pyomo.environ as pyo

from rareflow.optimize.inputs import Inputs


def _matrix(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=float)


def _bound(value: float) -> float | None:
    """Pyomo's 'no bound' is None, linopy's is inf."""
    return None if math.isinf(value) else float(value)


def build_pyomo(inp: Inputs) -> pyo.ConcreteModel:
    """The LP of `inp` (whole horizon, no fixed arrivals) as a Pyomo ConcreteModel."""
    m = pyo.ConcreteModel(name="rareflow")
    n_per = len(inp.periods)
    steps = list(inp.steps.index)
    facs = list(inp.facilities.index)
    arcs = list(inp.arcs.index)
    dems = list(inp.demand.index)
    blocks = list(range(inp.wtp.sizes["block"]))
    nodes = list(inp.nodes.index)
    snodes = list(inp.stocks.index)

    m.P = pyo.RangeSet(0, n_per - 1)
    m.S = pyo.Set(initialize=steps, ordered=True)
    m.F = pyo.Set(initialize=facs, ordered=True)
    m.A = pyo.Set(initialize=arcs, ordered=True)
    m.D = pyo.Set(initialize=dems, ordered=True)
    m.B = pyo.Set(initialize=blocks, ordered=True)
    m.N = pyo.Set(initialize=nodes, ordered=True)
    m.SN = pyo.Set(initialize=snodes, ordered=True)

    # bounds, as position lookups into the prepared arrays
    s_pos = {s: i for i, s in enumerate(steps)}
    f_pos = {f: i for i, f in enumerate(facs)}
    a_pos = {a: i for i, a in enumerate(arcs)}
    d_pos = {d: i for i, d in enumerate(dems)}
    sn_pos = {n: i for i, n in enumerate(snodes)}
    supply_cap = _matrix(inp.supply_cap.transpose("step", "period"))
    fac_cap = _matrix(inp.facility_cap.transpose("facility", "period"))
    arc_upper = _matrix(inp.arc_upper.transpose("arc", "period"))
    block_upper = _matrix(inp.block_upper.transpose("dem", "block", "period"))
    stock_cap = inp.stocks["capacity"].to_numpy(dtype=float)

    m.supply = pyo.Var(m.S, m.P, bounds=lambda _m, s, p: (0.0, float(supply_cap[s_pos[s], p])))
    m.activity = pyo.Var(m.F, m.P, bounds=lambda _m, f, p: (0.0, float(fac_cap[f_pos[f], p])))
    m.trade = pyo.Var(m.A, m.P, bounds=lambda _m, a, p: (0.0, _bound(arc_upper[a_pos[a], p])))
    m.consumption = pyo.Var(
        m.D, m.B, m.P, bounds=lambda _m, d, b, p: (0.0, float(block_upper[d_pos[d], b, p]))
    )
    m.stock_level = pyo.Var(m.SN, m.P, bounds=lambda _m, n, p: (0.0, _bound(stock_cap[sn_pos[n]])))
    m.disposal = pyo.Var(m.N, m.P, bounds=(0.0, None))

    _shared_capacity(m, inp, fac_cap, f_pos)
    _balance(m, inp)
    _agreements(m, inp)
    _quotas(m, inp)
    _objective(m, inp)
    return m


def _shared_capacity(
    m: pyo.ConcreteModel, inp: Inputs, fac_cap: np.ndarray, f_pos: dict[str, int]
) -> None:
    groups = inp.facilities["capacity_group"]
    shared = groups[groups.duplicated(keep=False)]
    if shared.empty:
        return
    members: dict[str, list[str]] = defaultdict(list)
    for fac, group in shared.items():
        members[str(group)].append(str(fac))
    m.G = pyo.Set(initialize=sorted(members), ordered=True)

    def rule(_m: pyo.ConcreteModel, g: str, p: int) -> Any:
        cap = max(float(fac_cap[f_pos[f], p]) for f in members[g])
        return pyo.quicksum(_m.activity[f, p] for f in members[g]) <= cap

    m.shared_capacity = pyo.Constraint(m.G, m.P, rule=rule)


def _balance(m: pyo.ConcreteModel, inp: Inputs) -> None:
    """supply + process outputs - inputs + arrivals + stock release - departures - consumption
    - disposal = 0 at every node and period (the rows whose duals are the prices)."""
    steps_at: dict[str, list[str]] = defaultdict(list)
    for step, node in zip(inp.steps.index, inp.steps["node"], strict=True):
        steps_at[str(node)].append(str(step))
    coef_at: dict[str, list[tuple[str, float]]] = defaultdict(list)
    coef = inp.coefficients
    for fac, node, value in zip(coef["facility"], coef["node"], coef["coefficient"], strict=True):
        coef_at[str(node)].append((str(fac), float(value)))
    arcs_out: dict[str, list[str]] = defaultdict(list)
    arcs_in: dict[str, list[tuple[str, int]]] = defaultdict(list)
    arcs = inp.arcs
    for i, (arc, onode, dnode) in enumerate(
        zip(arcs.index, arcs["onode"], arcs["dnode"], strict=True)
    ):
        arcs_out[str(onode)].append(str(arc))
        arcs_in[str(dnode)].append((str(arc), i))
    dem_at: dict[str, list[str]] = defaultdict(list)
    for dem, node in zip(inp.demand.index, inp.demand["node"], strict=True):
        dem_at[str(node)].append(str(dem))
    kernel = {lag: _matrix(w.transpose("arc", "period")) for lag, w in inp.kernel.items()}
    initial = {str(n): float(v) for n, v in inp.stock_initial.to_series().items()}
    stock_nodes = set(inp.stocks.index)
    blocks = list(m.B)

    def rule(_m: pyo.ConcreteModel, n: str, p: int) -> Any:
        terms: list[Any] = [_m.supply[s, p] for s in steps_at[n]]
        terms += [c * _m.activity[f, p] for f, c in coef_at[n]]
        for lag, w in kernel.items():
            q = p - lag
            if q >= 0:
                terms += [w[i, q] * _m.trade[a, q] for a, i in arcs_in[n] if w[i, q] != 0.0]
        terms += [-_m.trade[a, p] for a in arcs_out[n]]
        terms += [-_m.consumption[d, b, p] for d in dem_at[n] for b in blocks]
        terms.append(-_m.disposal[n, p])
        rhs = 0.0
        if n in stock_nodes:
            terms.append(-_m.stock_level[n, p])
            if p > 0:
                terms.append(_m.stock_level[n, p - 1])
            else:
                rhs = -initial[n]
        return pyo.quicksum(terms) == rhs

    m.balance = pyo.Constraint(m.N, m.P, rule=rule)


def _agreements(m: pyo.ConcreteModel, inp: Inputs) -> None:
    if inp.agree_min.sizes.get("arc", 0) == 0:
        return
    ag_arcs = [str(a) for a in inp.agree_min.indexes["arc"]]
    vmin = _matrix(inp.agree_min.transpose("arc", "period"))
    vmax = _matrix(inp.agree_max.transpose("arc", "period"))
    m.AG = pyo.Set(initialize=ag_arcs, ordered=True)
    pos = {a: i for i, a in enumerate(ag_arcs)}
    if (vmin > 0).any():
        m.agreement_shortfall = pyo.Var(m.AG, m.P, bounds=(0.0, None))

        def min_rule(_m: pyo.ConcreteModel, a: str, p: int) -> Any:
            need = vmin[pos[a], p]
            if not need > 0:
                return pyo.Constraint.Skip
            return _m.trade[a, p] + _m.agreement_shortfall[a, p] >= float(need)

        m.agreement_min = pyo.Constraint(m.AG, m.P, rule=min_rule)

    def max_rule(_m: pyo.ConcreteModel, a: str, p: int) -> Any:
        cap = vmax[pos[a], p]
        if not np.isfinite(cap):
            return pyo.Constraint.Skip
        return _m.trade[a, p] <= float(cap)

    m.agreement_max = pyo.Constraint(m.AG, m.P, rule=max_rule)


def _quotas(m: pyo.ConcreteModel, inp: Inputs) -> None:
    if inp.quota_total.sizes.get("quota", 0) == 0:
        return
    coef = _matrix(inp.quota_coef.transpose("quota", "arc", "period"))
    total = np.clip(_matrix(inp.quota_total), 0.0, None)
    arcs = list(inp.arcs.index)
    names = [str(q) for q in inp.quota_total.indexes["quota"]]
    m.Q = pyo.Set(initialize=names, ordered=True)

    def rule(_m: pyo.ConcreteModel, q: str) -> Any:
        k = names.index(q)
        hits = np.argwhere(coef[k] != 0.0)
        if len(hits) == 0:
            return pyo.Constraint.Skip
        return pyo.quicksum(coef[k, i, p] * _m.trade[arcs[i], int(p)] for i, p in hits) <= total[k]

    m.quota = pyo.Constraint(m.Q, rule=rule)


def _objective(m: pyo.ConcreteModel, inp: Inputs) -> None:
    """Minimise discounted cost minus willingness to pay served, as in set_objective."""
    df = _matrix(inp.discount)
    length = _matrix(inp.length)
    step_cost = inp.steps["cost"].to_numpy(dtype=float)
    fac_cost = inp.facilities["cost"].to_numpy(dtype=float)
    arc_cost = _matrix(inp.arc_cost.transpose("arc", "period"))
    wtp = _matrix(inp.wtp.transpose("dem", "block"))
    hold = inp.stocks["holding_cost"].to_numpy(dtype=float)
    opts = inp.options
    periods = range(len(df))
    terms: list[Any] = []
    terms += [
        step_cost[i] * df[p] * m.supply[s, p]
        for i, s in enumerate(m.S)
        for p in periods
        if step_cost[i] != 0.0
    ]
    terms += [
        fac_cost[i] * df[p] * m.activity[f, p]
        for i, f in enumerate(m.F)
        for p in periods
        if fac_cost[i] != 0.0
    ]
    terms += [
        arc_cost[i, p] * df[p] * m.trade[a, p]
        for i, a in enumerate(m.A)
        for p in periods
        if arc_cost[i, p] != 0.0
    ]
    terms += [
        -wtp[i, b] * df[p] * m.consumption[d, b, p]
        for i, d in enumerate(m.D)
        for b in m.B
        for p in periods
    ]
    terms += [
        hold[i] * length[p] * df[p] * m.stock_level[n, p]
        for i, n in enumerate(m.SN)
        for p in periods
        if hold[i] != 0.0
    ]
    if opts.disposal_cost:
        terms += [opts.disposal_cost * df[p] * m.disposal[n, p] for n in m.N for p in periods]
    if hasattr(m, "agreement_shortfall"):
        terms += [
            opts.agreement_penalty * df[p] * m.agreement_shortfall[a, p]
            for a in m.AG
            for p in periods
        ]
    m.obj = pyo.Objective(expr=pyo.quicksum(terms), sense=pyo.minimize)


def solve_pyomo(m: pyo.ConcreteModel) -> tuple[float, float, int, str]:
    """Solve with Pyomo's APPSI HiGHS interface (highspy in process).

    Returns (objective, seconds HiGHS itself reports for its run, simplex iterations,
    termination condition).
    """
    from pyomo.contrib.appsi.solvers import Highs

    opt = Highs()
    opt.config.stream_solver = False
    start = time.perf_counter()
    res = opt.solve(m)
    elapsed = time.perf_counter() - start
    # APPSI keeps the highspy object; its clock is the solver's own run time
    solver = getattr(opt, "_solver_model", None)
    run = float(solver.getRunTime()) if solver is not None else elapsed
    iterations = int(solver.getInfo().simplex_iteration_count) if solver is not None else -1
    return float(res.best_feasible_objective), run, iterations, str(res.termination_condition)
