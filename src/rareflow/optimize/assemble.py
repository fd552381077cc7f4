"""A rolling run turned into a Result: the long tables (flows, trade, prices, shortfalls,
welfare, in transit, licences, capacity, agreements, investments) and the summary."""

from __future__ import annotations

import functools
import json
from importlib import metadata
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from rareflow.horizon import Horizon
from rareflow.network import Network
from rareflow.optimize.arrays import take
from rareflow.optimize.balance import tidy_flows
from rareflow.optimize.inputs import Inputs, SolveOptions, node_ids
from rareflow.optimize.levers import Levers
from rareflow.optimize.model import Solution
from rareflow.optimize.rolling import RollingRun
from rareflow.results import TABLES, Result


@functools.cache  # reading the installed packages' metadata costs ms; it does not change
def _installed() -> tuple[tuple[str, str], ...]:
    out = {}
    for pkg in ("rareflow", "linopy", "highspy", "pandas", "xarray", "numpy"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return tuple(out.items())


def versions() -> dict[str, str]:
    return dict(_installed())


def _per_period(
    values: xr.DataArray, dim: str, weight: pd.Series | xr.DataArray | None = None
) -> pd.Series:
    """Sum over `dim` of `values` (x `weight`: a Series by `dim`'s labels, or an array over
    `dim` and the period) per period, with numpy; the weight is aligned to `values`' labels."""
    data = values.transpose(dim, "period").to_numpy()
    keys = values.indexes[dim]
    if isinstance(weight, pd.Series):
        data = data * weight.reindex(keys).to_numpy(dtype=float)[:, None]
    elif isinstance(weight, xr.DataArray):
        data = data * take(weight.transpose(dim, "period"), dim, keys)
    return pd.Series(data.sum(axis=0), index=values.indexes["period"])


def _welfare(inp: Inputs, sol: Solution) -> pd.DataFrame:
    """Per period (undiscounted USD): consumer value and every cost, plus welfare."""
    hold = inp.stocks["holding_cost"].astype(float)
    tax = inp.arc_tax.sel(period=sol.trade.indexes["period"])
    base = inp.arc_cost.sel(period=sol.trade.indexes["period"]) - tax
    length = inp.length.sel(period=sol.stock_level.indexes["period"]).to_numpy()
    parts = {
        "consumer_value": _per_period(sol.consumer_value, "dem"),
        "supply_cost": _per_period(sol.supply, "step", inp.steps["cost"].astype(float)),
        "process_cost": _per_period(sol.activity, "facility", inp.facilities["cost"].astype(float)),
        "transport_cost": _per_period(sol.trade, "arc", base),
        "taxes": _per_period(sol.trade, "arc", tax),
        "holding_cost": _per_period(sol.stock_level, "node", hold) * length,
        "disposal_cost": _per_period(sol.disposal, "node") * inp.options.disposal_cost,
        "agreement_penalty": _per_period(sol.shortfall, "arc") * inp.options.agreement_penalty,
    }
    frame = pd.DataFrame(parts)
    frame = frame.reindex(list(inp.periods.index)).fillna(0.0)
    frame["welfare"] = frame["consumer_value"] - frame.drop(columns="consumer_value").sum(axis=1)
    frame.index.name = "period"
    return frame.reset_index().melt(id_vars="period", var_name="component", value_name="value")


def _join_arcs(frame: pd.DataFrame, arcs: pd.DataFrame) -> pd.DataFrame:
    """`frame` with each row's arc's origin, destination and material (object columns): a
    positional lookup, as a join on the arc would give it."""
    frame = frame.astype({"arc": object})
    where = arcs.index.get_indexer(pd.Index(frame["arc"], dtype=object))
    if (where < 0).any():
        raise KeyError(f"arc {frame['arc'][where < 0].iloc[0]!r} not in the network's arcs")
    for col in ("origin", "destination", "material"):
        values = arcs[col].to_numpy(dtype=object)[where]
        frame[col] = pd.Series(values, index=frame.index, dtype=object)
    return frame


def at_choke_width(inp: Inputs) -> xr.DataArray:
    """[dem, period] t of demand whose willingness to pay is the choke price: buyers with no
    substitute at any lower price. What of it is not served is a physical shortage (wanted at
    the going price, not supplied); the rest of `unserved` is demand given up because of price.
    Blocks are served from the highest willingness to pay down, so this is the top of the
    curve."""
    top = inp.wtp.max("block")
    at_choke = inp.wtp >= top * (1.0 - 1e-9)
    return inp.block_upper.where(at_choke, 0.0).sum("block")


def _information(foresight: str, window: int | None, size: int, periods: int) -> str:
    """What the model knew, in words (a run's summary and its report's header)."""
    if foresight == "perfect":
        return "perfect foresight: every event is known from the start of the horizon"
    mode = f"window {window}" if foresight == "window" else foresight
    if size >= periods:
        return (
            f"{mode}, with one window over the whole horizon ({periods} period"
            f"{'s' if periods != 1 else ''}): it knows the events announced before the "
            "horizon's end"
        )
    return f"rolling ({mode}): each period knows only the events announced before its end"


def _licence_table(inp: Inputs, sol: Solution) -> pd.DataFrame:
    """The licence queues of routes under a regime, long (results.TABLES["licences"])."""
    queue = inp.licence_queue
    if queue is None or not queue.regime.any():
        return pd.DataFrame(columns=list(TABLES["licences"].names))
    arcs = list(inp.arcs.index)
    periods = list(inp.periods.index)
    index = pd.MultiIndex.from_product([arcs, periods], names=["arc", "period"])
    allowed = np.where(np.isfinite(queue.cap), queue.cap, np.nan)
    frame = pd.DataFrame(
        {
            "applied": queue.applied.ravel(),
            "approved": queue.approved.ravel(),
            "backlog": queue.backlog.ravel(),
            "allowed": allowed.ravel(),
            "departed": sol.trade.transpose("arc", "period").to_numpy().ravel(),
            "regime": queue.regime.ravel(),
        },
        index=index,
    ).reset_index()
    frame = _join_arcs(frame[frame["regime"]].drop(columns="regime"), inp.arcs)
    return frame[list(TABLES["licences"].names)].reset_index(drop=True)


def assemble(
    network: Network,
    hashes: dict[str, str],
    horizon: Horizon,
    levers: Levers,
    options: SolveOptions,
    foresight: str,
    window: int | None,
    size: int,
    run: RollingRun,
) -> Result:
    inp, sol = run.inputs, run.solution
    flows = tidy_flows(run.flows, inp)

    trade = sol.trade.to_series().rename("value").reset_index()
    trade = trade[trade["value"].abs() > 1e-9]
    trade = _join_arcs(trade, inp.arcs)
    trade = trade[["arc", "origin", "destination", "material", "period", "value"]]

    prices = (sol.price / 1000.0 + 0.0).to_series().rename("price").reset_index()
    prices = prices.join(inp.nodes, on="node")[["region", "material", "period", "price"]]

    ref = inp.demand_ref.to_series().rename("reference")
    consumed = sol.consumption.to_series().rename("consumed")
    short = pd.concat([ref, consumed], axis=1).reset_index()
    short["unserved"] = (short["reference"] - short["consumed"]).clip(lower=0.0)
    choke = at_choke_width(inp).to_series().rename("choke")
    wanted = pd.concat([ref, choke], axis=1)["choke"].to_numpy()
    short["shortage"] = np.clip(wanted - short["consumed"].to_numpy(), 0.0, None)
    share = short["unserved"] / short["reference"].where(short["reference"] > 0)
    short["share"] = share.fillna(0.0)
    short = short.join(inp.demand[["region", "sector", "material"]], on="dem")
    short = short[list(TABLES["shortfalls"].names)]

    transit = run.in_transit.to_series().rename("value").reset_index()
    transit = transit[transit["value"].abs() > 1e-9]
    transit = _join_arcs(transit, inp.arcs)
    transit = transit[["arc", "origin", "destination", "material", "value"]]

    licences = _licence_table(inp, sol)
    welfare = _welfare(inp, sol)
    per_period = welfare[welfare["component"] == "welfare"].set_index("period")["value"]
    discounted = float((per_period * inp.discount.to_series()).sum())
    summary: dict[str, Any] = {
        "status": "optimal",
        "solver": "highs",
        "foresight": foresight,
        "information": _information(foresight, window, size, len(horizon)),
        "window": window,
        "window_periods": size,
        "horizon": horizon.to_dict(),
        "periods": list(inp.periods.index),
        "objective": -discounted,
        "welfare": discounted,
        "welfare_undiscounted": float(per_period.sum()),
        "solver_objectives": run.solver_objectives,
        "solves": run.solves,
        "windows_repeated": run.repeated,
        "mass_balance": {"max_residual_t": run.max_residual, "tolerance_t": run.tolerance},
        "in_transit_t": float(run.in_transit.sum()),
        "unserved_t": float(short["unserved"].sum()),
        "agreement_shortfall_t": float(sol.shortfall.sum()),
        "options": options.to_dict(),
        "hashes": {"network": hashes, "levers": levers.hashes()},
        "meta": {
            k: v
            for k, v in network.meta.items()
            if k not in ("calibration_s", "planning_s", "investment_plan")
        },
        "versions": versions(),
    }
    return Result(
        flows=flows,
        trade=trade.reset_index(drop=True),
        prices=prices.reset_index(drop=True),
        shortfalls=short.reset_index(drop=True),
        welfare=welfare,
        in_transit=transit.reset_index(drop=True),
        licences=licences,
        capacity=_capacity_table(inp, sol),
        agreements=_agreement_table(inp, sol),
        investments=_investments(network),
        summary=summary,
    )


def _capacity_table(inp: Inputs, sol: Solution) -> pd.DataFrame:
    """Each plant's and mine's activity, capacity, use and rent per period
    (results.TABLES["capacity"]). A plant is a capacity group (recipe variants of one plant
    share its capacity). The rent of a recipe is what one unit of its activity earns at the
    period's prices, the balance duals: sum of coefficient x price over its materials less
    its operating cost; a plant's rent is its busiest recipe's, which, where the plant runs
    full, is the dual of its capacity (every active recipe of a full plant earns the same).
    A mine (a supply step) earns its material's price less its cost; its process is
    `mining:<deposit>` for concentrates, `supply:<material>` for other supply."""
    periods = list(inp.periods.index)
    table = pd.concat(
        [_plant_rows(inp, sol, periods), _mine_rows(inp, sol, periods)], ignore_index=True
    )
    table = table[table["capacity"] > 1e-9].copy()
    table["use"] = (table["activity"] / table["capacity"]).clip(upper=1.0)
    return table[list(TABLES["capacity"].names)].reset_index(drop=True)


def _agreement_table(inp: Inputs, sol: Solution) -> pd.DataFrame:
    """Each contracted route per period (results.TABLES["agreements"]): flow, the bounds the
    agreements on it set after suspensions, the unmet minimum, and the price gap."""
    if inp.agree_min.sizes.get("arc", 0) == 0:
        return pd.DataFrame(columns=list(TABLES["agreements"].names))
    arcs = list(inp.agree_min.indexes["arc"])
    periods = list(inp.periods.index)
    route = inp.arcs.loc[arcs]
    origin = node_ids(route["origin"], route["material"]).to_numpy()
    dest = node_ids(route["destination"], route["material"]).to_numpy()
    price = sol.price / 1000.0
    gap = take(price, "node", dest) - take(price, "node", origin)
    vmax = take(inp.agree_max, "arc", arcs)
    n = len(periods)
    return pd.DataFrame(
        {
            "arc": np.repeat(arcs, n),
            "origin": np.repeat(route["origin"].to_numpy(), n),
            "destination": np.repeat(route["destination"].to_numpy(), n),
            "material": np.repeat(route["material"].to_numpy(), n),
            "period": np.tile(periods, len(arcs)),
            "flow": take(sol.trade, "arc", arcs).ravel(),
            "volume_min": take(inp.agree_min, "arc", arcs).ravel(),
            "volume_max": np.where(np.isfinite(vmax), vmax, np.nan).ravel(),
            "unmet": take(sol.shortfall, "arc", arcs).ravel(),
            "gap": gap.ravel(),
        }
    )


def _plant_rows(inp: Inputs, sol: Solution, periods: list[str]) -> pd.DataFrame:
    fac = inp.facilities
    if len(fac) == 0:
        return pd.DataFrame(columns=list(TABLES["capacity"].names))
    coef = inp.coefficients
    price = take(sol.price, "node", coef["node"])  # [fm, period] USD/t
    by_recipe = (
        pd.DataFrame(price * coef["coefficient"].to_numpy()[:, None])
        .groupby(coef["facility"].to_numpy())
        .sum()
    )
    facilities = list(fac.index)
    earned = by_recipe.reindex(facilities, fill_value=0.0).to_numpy()
    rent = (earned - fac["cost"].to_numpy(dtype=float)[:, None]) / 1000.0  # USD/kg
    activity = take(sol.activity, "facility", facilities)
    capacity = take(inp.facility_cap, "facility", facilities)
    # plants in order of first appearance; a plant's first recipe names its region and process
    codes, plants = pd.factorize(fac["capacity_group"].astype(str).to_numpy())
    main = np.unique(codes, return_index=True)[1]
    n = len(periods)
    total = np.zeros((len(plants), n))
    np.add.at(total, codes, activity)
    biggest = np.full((len(plants), n), -np.inf)
    np.maximum.at(biggest, codes, capacity)
    # the recipe that runs most per period (the first of equals, as np.argmax takes it)
    busiest = pd.DataFrame(activity).groupby(codes).idxmax().to_numpy()
    return pd.DataFrame(
        {
            "plant": np.repeat(np.asarray(plants, dtype=object), n),
            "region": np.repeat(fac["region"].to_numpy()[main], n),
            "process": np.repeat(
                [str(p).split("~")[0] for p in fac["process"].to_numpy()[main]], n
            ),
            "period": np.tile(periods, len(plants)),
            "activity": total.ravel(),
            "capacity": biggest.ravel(),
            "rent": rent[busiest, np.arange(n)[None, :]].ravel(),
        }
    )


def _mine_rows(inp: Inputs, sol: Solution, periods: list[str]) -> pd.DataFrame:
    steps = inp.steps
    if len(steps) == 0:
        return pd.DataFrame(columns=list(TABLES["capacity"].names))
    ids = list(steps.index)
    price = take(sol.price, "node", steps["node"])  # [step, period] USD/t
    rent = (price - steps["cost"].to_numpy(dtype=float)[:, None]) / 1000.0
    kind = np.where(steps["stage"].to_numpy() == "mining", "mining", "supply")
    material = steps["material"].astype(str)
    process = np.where(
        kind == "mining", "mining:" + material.str.split(":").str[-1], "supply:" + material
    )
    n = len(periods)
    return pd.DataFrame(
        {
            "plant": np.repeat(ids, n),
            "region": np.repeat(steps["region"].to_numpy(), n),
            "process": np.repeat(process, n),
            "period": np.tile(periods, len(ids)),
            "activity": take(sol.supply, "step", ids).ravel(),
            "capacity": take(inp.supply_cap, "step", ids).ravel(),
            "rent": rent.ravel(),
        }
    )


def _investments(network: Network) -> pd.DataFrame:
    """What the planning stage built into this network (rareflow.planning), as a table."""
    text = network.meta.get("investment_plan")
    rows = json.loads(text) if text else []
    return pd.DataFrame(rows, columns=list(TABLES["investments"].names))
