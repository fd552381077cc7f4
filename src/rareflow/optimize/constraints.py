"""One vectorised function per variable / constraint family of the market LP.

Every function takes the linopy model and the `Inputs` of the periods being solved and adds
whole labelled arrays at once; nothing loops over regions, materials or periods. Families
that contribute to the regional material balance return their contribution as an expression
over (node, period), already aligned on the full node index.
"""

from __future__ import annotations

from collections.abc import Callable

import linopy
import numpy as np
import pandas as pd
import xarray as xr

from rareflow.optimize.arrays import data_array, labels, take
from rareflow.optimize.inputs import Inputs

NodeTerm = linopy.LinearExpression


def _node_of(frame: pd.DataFrame, column: str, dim: str) -> xr.DataArray:
    """The node of each item along `dim`, as the grouping array of a groupby."""
    return xr.DataArray(
        frame[column].to_numpy(dtype=object),
        coords={dim: list(frame.index)},
        dims=[dim],
        name="node",
    )


def _to_nodes(expr: linopy.LinearExpression, node_of: xr.DataArray, nodes: pd.Index) -> NodeTerm:
    """Sum an expression by node and align it on the full node index (absent -> 0)."""
    grouped = expr.groupby(node_of).sum()
    return grouped.reindex(node=list(nodes)).fillna(0)


def _nodes_index(inp: Inputs) -> pd.Index:
    return pd.Index(list(inp.nodes.index), name="node", dtype=object)


def add_supply(m: linopy.Model, inp: Inputs) -> NodeTerm | None:
    """supply[step, period] in [0, capacity]: mined or bought material at its step cost."""
    if len(inp.steps) == 0:
        return None
    supply = m.add_variables(lower=0.0, upper=UPPERS["supply"](inp), name="supply")
    return _to_nodes(1 * supply, _node_of(inp.steps, "node", "step"), _nodes_index(inp))


def add_activity(m: linopy.Model, inp: Inputs) -> NodeTerm | None:
    """activity[facility, period] in [0, capacity]; coefficients turn it into node flows.

    A separation facility has one positive coefficient per oxide of its assay, so its outputs
    are produced jointly in fixed proportions.
    """
    if len(inp.facilities) == 0 or len(inp.coefficients) == 0:
        if len(inp.facilities):
            m.add_variables(lower=0.0, upper=UPPERS["activity"](inp), name="activity")
        return None
    activity = m.add_variables(lower=0.0, upper=UPPERS["activity"](inp), name="activity")
    add_shared_capacity(m, inp, activity)
    coef = inp.coefficients
    fm = list(coef.index)
    facility_of = xr.DataArray(
        coef["facility"].to_numpy(dtype=object), coords={"fm": fm}, dims="fm"
    )
    weights = xr.DataArray(coef["coefficient"].to_numpy(dtype=float), coords={"fm": fm}, dims="fm")
    per_pair = activity.sel(facility=facility_of) * weights
    return _to_nodes(per_pair, _node_of(coef, "node", "fm"), _nodes_index(inp))


def add_shared_capacity(m: linopy.Model, inp: Inputs, activity: linopy.Variable) -> None:
    """Facilities of one capacity group (alternative recipes of one plant) share its capacity:
    sum of their activities <= the largest capacity among them."""
    label = _shared_groups(inp)
    if label is None:
        return
    total = activity.sel(facility=list(label.indexes["facility"])).groupby(label).sum()
    m.add_constraints(total <= shared_capacity(inp), name="shared_capacity")


def _shared_groups(inp: Inputs) -> xr.DataArray | None:
    """The capacity group of each facility that shares one (None when none does)."""
    groups = inp.facilities["capacity_group"]
    shared = groups[groups.duplicated(keep=False)]
    if shared.empty:
        return None
    return xr.DataArray(
        shared.to_numpy(dtype=object),
        coords={"facility": list(shared.index)},
        dims="facility",
        name="group",
    )


def shared_capacity(inp: Inputs) -> xr.DataArray:
    """[group, period] right-hand side of `shared_capacity`: the largest member's capacity."""
    label = _shared_groups(inp)
    assert label is not None  # only asked for where groups share
    cap = take(
        inp.facility_cap.transpose("facility", "period"), "facility", label.indexes["facility"]
    )
    # numpy on plain arrays, groups in sorted order (what xarray's groupby gives, several
    # times slower: a refresh asks for it in every information state)
    codes, groups = pd.factorize(label.to_numpy(), sort=True)
    largest = np.full((len(groups), cap.shape[1]), -np.inf)
    np.maximum.at(largest, codes, cap)
    return data_array(largest, labels(groups, "group"), inp.facility_cap.indexes["period"])


def add_trade(
    m: linopy.Model, inp: Inputs, fixed_arrivals: xr.DataArray | None
) -> tuple[NodeTerm | None, NodeTerm | None, xr.DataArray | None]:
    """trade[arc, period] >= 0 (upper bound from levers); departures and delayed arrivals.

    Returns (departures by origin node, arrivals by destination node, constant arrivals by
    node from shipments that left before these periods).
    """
    nodes = _nodes_index(inp)
    fixed = None
    if fixed_arrivals is not None and len(inp.arcs):
        dnode = _node_of(inp.arcs, "dnode", "arc")
        fixed = fixed_arrivals.groupby(dnode).sum().reindex(node=list(nodes)).fillna(0.0)
    if len(inp.arcs) == 0:
        return None, None, fixed
    trade = m.add_variables(lower=0.0, upper=UPPERS["trade"](inp), name="trade")
    departures = _to_nodes(1 * trade, _node_of(inp.arcs, "onode", "arc"), nodes)
    # arrivals at t: shipments that left at t - lag, weighted by the delivery kernel; the loop
    # runs over the few distinct lags, each term covering every arc and period at once
    arriving = [(trade * w).shift(period=lag).fillna(0) for lag, w in inp.kernel.items()]
    arrivals_arc = linopy.merge(arriving, cls=linopy.LinearExpression) if arriving else None
    arrivals = (
        _to_nodes(arrivals_arc, _node_of(inp.arcs, "dnode", "arc"), nodes)
        if arrivals_arc is not None
        else None
    )
    return departures, arrivals, fixed


def add_consumption(m: linopy.Model, inp: Inputs) -> NodeTerm | None:
    """consumption[dem, block, period] in [0, block width]: served willingness to pay."""
    if len(inp.demand) == 0:
        return None
    cons = m.add_variables(lower=0.0, upper=UPPERS["consumption"](inp), name="consumption")
    return _to_nodes(cons.sum("block"), _node_of(inp.demand, "node", "dem"), _nodes_index(inp))


def add_stocks(m: linopy.Model, inp: Inputs) -> NodeTerm | None:
    """stock_level[node, period] in [0, capacity]; returns the release (level drop) by node."""
    if len(inp.stocks) == 0:
        return None
    level = m.add_variables(lower=0.0, upper=UPPERS["stock_level"](inp), name="stock_level")
    release = level.shift(period=1).fillna(0) - level + initial_release(inp)
    return release.reindex(node=list(_nodes_index(inp))).fillna(0)


def stock_upper(inp: Inputs) -> xr.DataArray:
    """[node, period] upper bound of `stock_level`: each stock node's capacity."""
    pidx = inp.period_index
    return data_array(
        np.repeat(inp.stocks["capacity"].to_numpy(dtype=float)[:, None], len(pidx), axis=1),
        labels(inp.stocks.index, "node"),
        pidx,
    )


def initial_release(inp: Inputs) -> xr.DataArray:
    """[node, period] t: the initial stock level, released into the balance of the first
    period (a constant of the balance rows)."""
    pidx = inp.period_index
    first = data_array(np.eye(1, len(pidx), 0)[0], pidx)
    return inp.stock_initial * first


def buffer_worth(inp: Inputs) -> xr.DataArray:
    """[node, tranche, period] USD/t (undiscounted) a tonne of valued stock earns in each
    period of a solve: its value (optimize.buffers) in the last period; in the earlier periods
    of a myopic run's window (Inputs.stocks_held) a restocking yield of twice its holding cost,
    so that a holder restocks as soon as material is there rather than at the window's end
    (which every later window would put off again); else nothing. warm.WarmModel moves the
    last period with the window."""
    last = data_array(
        np.arange(len(inp.period_index)) == len(inp.period_index) - 1, inp.period_index
    )
    worth = inp.buffer_value * last
    if inp.stocks_held:
        worth = worth + (1.0 - last) * restocking_yield(inp) * (inp.buffer_target > 0)
    return worth


def restocking_yield(inp: Inputs) -> xr.DataArray:
    """[node, period] USD/t: twice the holding cost of the period."""
    hold = data_array(inp.stocks["holding_cost"].to_numpy(), labels(inp.stocks.index, "node"))
    return 2.0 * hold * inp.length


def buffer_upper(inp: Inputs) -> xr.DataArray:
    """[node, tranche, period] upper bound of `buffer`: each tranche's size where it is worth
    something (buffer_worth), else 0."""
    return inp.buffer_target * (buffer_worth(inp) > 0)


def add_buffers(m: linopy.Model, inp: Inputs) -> None:
    """sum over tranches of buffer[node, tranche, period] <= stock_level: the parts of the
    closing stock valued at `buffer_value` (optimize.buffers: working stock, state reserve),
    each up to its size."""
    if len(inp.stocks) == 0 or not bool((inp.buffer_target > 0).any()):
        return
    buffer = m.add_variables(lower=0.0, upper=UPPERS["buffer"](inp), name="buffer")
    m.add_constraints(buffer.sum("tranche") - m.variables["stock_level"] <= 0.0, name="buffer_held")


def add_held_stocks(m: linopy.Model, inp: Inputs) -> None:
    """stock_level[node, t] >= stock_level[node, t - 1] for the later periods of a myopic
    run's window (Inputs.stocks_held; warm.WarmModel moves which rows hold): what a window
    ships may restock a holder on arrival, but a stock is not sold against the window's
    later prices."""
    if not inp.stocks_held or len(inp.stocks) == 0 or len(inp.period_index) < 2:
        return
    level = m.variables["stock_level"]
    later = xr.DataArray(
        np.arange(len(inp.period_index)) > 0, coords={"period": inp.period_index}, dims="period"
    )
    held = level - level.shift(period=1).fillna(0)
    m.add_constraints(held >= 0.0, name="stock_held", mask=later)


def add_disposal(m: linopy.Model, inp: Inputs) -> NodeTerm:
    """disposal[node, period] >= 0: unwanted co-products (La, Ce surplus) leave the market."""
    nodes = _nodes_index(inp)
    disposal = m.add_variables(lower=0.0, coords=[nodes, inp.period_index], name="disposal")
    return 1 * disposal


def add_balance(
    m: linopy.Model,
    sources: list[NodeTerm | None],
    sinks: list[NodeTerm | None],
    constant: xr.DataArray | None,
) -> linopy.Constraint:
    """Regional material balance: sources - sinks (+ arrivals fixed earlier) = 0.

    Its dual is the value of one more tonne at the node in the period: the price (USD/t).
    """
    terms = [t for t in sources if t is not None] + [-t for t in sinks if t is not None]
    lhs = linopy.merge(terms, cls=linopy.LinearExpression)
    if constant is not None:
        lhs = lhs + constant
    return m.add_constraints(lhs == 0.0, name="balance")


def add_agreements(m: linopy.Model, inp: Inputs) -> None:
    """Contracted flows: trade on the agreement arc within [min - shortfall, max] while in force.

    The shortfall variable carries a large penalty so that a seller who cannot deliver makes
    the contract fail visibly instead of making the problem infeasible.
    """
    if inp.agree_min.sizes.get("arc", 0) == 0:
        return
    trade = m.variables["trade"]
    arcs = list(inp.agree_min.indexes["arc"])
    flow = trade.sel(arc=arcs)
    need = inp.agree_min > 0
    if bool(need.any()):
        shortfall = m.add_variables(
            lower=0.0,
            coords=[inp.agree_min.indexes["arc"], inp.period_index],
            name="agreement_shortfall",
        )
        m.add_constraints(flow + shortfall >= inp.agree_min, name="agreement_min", mask=need)
    capped = np.isfinite(inp.agree_max)
    if bool(capped.any()):
        m.add_constraints(flow <= agreement_cap(inp), name="agreement_max", mask=capped)


def agreement_cap(inp: Inputs) -> xr.DataArray:
    """[arc, period] right-hand side of `agreement_max` (0 where uncapped: masked there)."""
    return inp.agree_max.where(np.isfinite(inp.agree_max), 0.0)


def add_quotas(m: linopy.Model, inp: Inputs) -> None:
    """Total trade over a group of arcs and periods <= the quota still available."""
    if inp.quota_total.sizes.get("quota", 0) == 0:
        return
    active = inp.quota_coef.sum(["arc", "period"]) > 0
    if not bool(active.any()):
        return
    trade = m.variables["trade"]
    total = (trade * inp.quota_coef).sum(["arc", "period"])
    m.add_constraints(total <= quota_left(inp), name="quota", mask=active)


def quota_left(inp: Inputs) -> xr.DataArray:
    """[quota] right-hand side of `quota`: what is still available, never below 0."""
    return inp.quota_total.clip(min=0.0)


def set_objective(m: linopy.Model, inp: Inputs) -> None:
    """Minimise cost minus willingness to pay served (= maximise welfare), discounted."""
    v = m.variables
    terms = [
        (v[name] * coefficient).sum()
        for name, coefficient in objective_coefficients(inp).items()
        if name in v
    ]
    m.add_objective(linopy.merge(terms, cls=linopy.LinearExpression))


def objective_coefficients(inp: Inputs) -> dict[str, xr.DataArray]:
    """The discounted objective coefficient (USD/t) of every variable that has one."""
    df = inp.discount
    opts = inp.options

    def per(frame: pd.DataFrame, column: str, dim: str) -> xr.DataArray:
        return data_array(frame[column].to_numpy(dtype=float), labels(frame.index, dim))

    out = {
        "supply": per(inp.steps, "cost", "step") * df,
        "activity": per(inp.facilities, "cost", "facility") * df,
        "trade": inp.arc_cost * df,
        "consumption": -inp.wtp * df,
        "stock_level": per(inp.stocks, "holding_cost", "node") * inp.length * df,
        "buffer": -buffer_worth(inp) * df,
    }
    if opts.disposal_cost:
        out["disposal"] = opts.disposal_cost * df
    out["agreement_shortfall"] = opts.agreement_penalty * df
    return out


# the upper bound of every variable whose bound is data (the others have none; every lower
# bound is 0): the build and the in-place refresh both read it here
UPPERS: dict[str, Callable[[Inputs], xr.DataArray]] = {
    "supply": lambda inp: inp.supply_cap,
    "activity": lambda inp: inp.facility_cap,
    "trade": lambda inp: inp.arc_upper,
    "consumption": lambda inp: inp.block_upper,
    "stock_level": stock_upper,
    "buffer": buffer_upper,
}


def variable_uppers(inp: Inputs) -> dict[str, xr.DataArray]:
    """Every variable's upper bound of `inp` (UPPERS)."""
    return {name: upper(inp) for name, upper in UPPERS.items()}


def right_hand_sides(inp: Inputs, names: set[str]) -> dict[str, xr.DataArray]:
    """The right-hand side of every constraint in `names` whose right-hand side is data
    (the others are 0). The balance's is minus its constant: the initial stock released in
    the first period (arrivals fixed earlier are a rolling solve's, not a built model's). An
    agreement row its model has but these inputs do not need (a suspended agreement) is
    free: -inf for a minimum, +inf for a cap."""
    out: dict[str, xr.DataArray] = {}
    if "balance" in names:
        release = initial_release(inp).reindex(node=list(_nodes_index(inp))).fillna(0.0)
        out["balance"] = -release
    if "shared_capacity" in names:
        out["shared_capacity"] = shared_capacity(inp)
    if "agreement_min" in names:
        out["agreement_min"] = inp.agree_min.where(inp.agree_min > 0, -np.inf)
    if "agreement_max" in names:
        out["agreement_max"] = inp.agree_max.where(np.isfinite(inp.agree_max), np.inf)
    if "quota" in names:
        out["quota"] = quota_left(inp)
    return out
