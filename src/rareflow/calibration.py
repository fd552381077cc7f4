"""Calibration of the base year: demand levels that clear at the reference prices.

The demand table is an estimate (sector totals x regional shares, see demand.csv), while mining
is anchored to USGS. The base year is calibrated so that, with base-year capacities, every
material's market clears at its reference price with no unserved demand: each material's
reference quantity (all regions and sectors alike, so regional and sector shares are kept) is
scaled by consumed / reference of a base-year solve, repeated until the ratios are within
`tolerance`. Only the base year is used; no historical episode is tuned to.
The factors are kept in `Network.meta` and reported in docs/calibration.md.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rareflow.cache import (
    CalibratedValues,
    CalibrationStore,
    calibration_key,
    default_store,
)
from rareflow.network import Network
from rareflow.network_builder import BuildOptions, build_network
from rareflow.optimize import Horizon, SolveOptions, solve
from rareflow.reference_prices import KG_PER_T, reference_price

# Stages whose reference price is a unit value of finished goods (China's magnet export unit
# value), so their conversion cost is calibrated as the margin over inputs at reference prices.
MARGIN_STAGES = ("magnet",)


@dataclass(frozen=True)
class Calibration:
    """What the base-year calibration set, and how close it came."""

    demand_factors: pd.Series  # material -> factor applied to the reference quantity
    margins: pd.Series  # process -> calibrated processing cost, USD/kg of activity
    iterations: int


def base_year_horizon(year: int) -> Horizon:
    return Horizon(start=dt.date(year, 1, 1), end=dt.date(year, 12, 1), step="year")


def _material_values(network: Network, prices: pd.DataFrame, year: int) -> dict[str, float]:
    """Reference value USD/t of every material with a price; scrap valued by what it yields."""
    values: dict[str, float] = {}
    for material in network.materials["material"]:
        try:
            values[material] = reference_price(prices, material, "CHN", year)
        except KeyError:
            continue
    coef = network.process_coefficients
    cost = network.processes.set_index("process")["cost"]
    for material in network.materials["material"]:
        if material in values:
            continue
        # a material with no price (scrap) is worth what processing it yields, net of cost
        users = coef[(coef["material"] == material) & (coef["coefficient"] < 0)]["process"]
        for process in users:
            rows = coef[coef["process"] == process]
            outputs = rows[rows["coefficient"] > 0]
            if not outputs["material"].isin(list(values)).all():
                continue
            worth = float((outputs["coefficient"] * outputs["material"].map(values)).sum())
            per_t = float(-rows.loc[rows["material"] == material, "coefficient"].iloc[0])
            values[material] = max(0.0, (worth - float(cost[process])) / per_t)
            break
    return values


def calibrate_margins(
    network: Network, prices: pd.DataFrame, base_year: int
) -> tuple[Network, pd.Series]:
    """Make the processing costs consistent with the base year's reference prices.

    margin = value of outputs - value of inputs, all at base-year reference prices. A process
    of MARGIN_STAGES gets its margin as cost (the reference price of a magnet is a unit value
    that includes the maker's value added). Any other process whose tabled cost exceeds its
    margin gets the margin: it operated in the base year, so it covered its costs at those
    prices. Returns the new network and the costs that changed, USD/kg of activity.
    """
    net = network.copy()
    values = _material_values(net, prices, base_year)
    coef = net.process_coefficients
    costs = net.processes.set_index("process")["cost"].astype(float)
    changed: dict[str, float] = {}
    for process, stage in zip(net.processes["process"], net.processes["stage"], strict=True):
        rows = coef[coef["process"] == process]
        inputs = rows[rows["coefficient"] < 0]
        if rows.empty or not inputs["material"].isin(list(values)).all():
            continue
        # an output with no reference price (a minor oxide) is valued at nothing
        worth = rows["material"].map(values).fillna(0.0)
        margin = max(0.0, float((rows["coefficient"] * worth).sum()))
        if stage in MARGIN_STAGES or costs[process] > margin:
            costs[process] = margin
            changed[process] = margin / KG_PER_T
    net.processes["cost"] = net.processes["process"].map(costs)
    net.meta["margin_calibration_usd_per_kg"] = json.dumps(
        {p: round(m, 3) for p, m in changed.items()}
    )
    return net, pd.Series(changed, dtype=float)


def calibrate_demand(
    network: Network,
    base_year: int,
    tolerance: float = 0.005,
    max_iterations: int = 12,
    options: SolveOptions | None = None,
    residual: np.ndarray | None = None,
) -> tuple[Network, Calibration]:
    """Scale demand per material until the base year clears without unserved demand.

    `residual` marks the demand rows whose region total closes a world estimate (the world
    less the other regions' totals, which rest on customs data: demand.csv
    `closes_world_total`). Where a material has such rows, the whole correction goes to them
    and the anchored rows keep their measured level; elsewhere every row of the material is
    scaled alike. The factor reported is that of the rows scaled."""
    net = network.copy()
    materials = sorted(set(net.demand["material"]))
    material = net.demand["material"].astype(str).to_numpy()
    closes = (
        np.zeros(len(net.demand), dtype=bool) if residual is None else np.asarray(residual, bool)
    )
    start = net.demand["quantity"].to_numpy(dtype=float).copy()
    iterations = 0
    while iterations < max_iterations:
        iterations += 1
        result = solve(net, base_year_horizon(base_year), options=options)
        sums = result.shortfalls.groupby("material")[["reference", "consumed"]].sum()
        ratio = (sums["consumed"] / sums["reference"]).reindex(materials).fillna(1.0)
        if ((ratio - 1.0).abs() <= tolerance).all():
            break
        quantity = net.demand["quantity"].to_numpy(dtype=float).copy()
        for m in materials:
            rows = material == m
            own = rows & closes
            # the tonnes to take off (or add), put on the residual rows where there are any
            gap = (1.0 - float(ratio[m])) * quantity[rows].sum()
            if own.any() and quantity[own].sum() - gap > 0:
                quantity[own] *= (quantity[own].sum() - gap) / quantity[own].sum()
            else:
                quantity[rows] *= float(ratio[m])
        net.demand["quantity"] = quantity
    factors = pd.Series(1.0, index=materials)
    scaled = net.demand["quantity"].to_numpy(dtype=float)
    for m in materials:
        rows = material == m
        own = rows & closes if (rows & closes).any() else rows
        factors[m] = scaled[own].sum() / start[own].sum() if start[own].sum() > 0 else 1.0
    net.meta["demand_calibration"] = json.dumps({m: round(float(f), 4) for m, f in factors.items()})
    net.meta["demand_calibration_residual"] = json.dumps(sorted(set(material[closes])))
    return net, Calibration(
        demand_factors=factors,
        margins=pd.Series(dtype=float),
        iterations=iterations,
    )


def residual_rows(network: Network, demand: pd.DataFrame) -> np.ndarray:
    """Which of `network.demand`'s rows close a world total (demand.csv `closes_world_total`
    in the base year), matched by region, sector and material."""
    if "closes_world_total" not in demand:
        return np.zeros(len(network.demand), dtype=bool)
    flag = demand["closes_world_total"].astype("boolean").fillna(False).astype(bool)
    marked = demand[flag.to_numpy()]
    keys = set(zip(marked["region"], marked["sector"], marked["material"], strict=True))
    rows = network.demand[["region", "sector", "material"]].itertuples(index=False, name=None)
    return np.array([tuple(r) in keys for r in rows], dtype=bool)


def calibrate(
    network: Network,
    prices: pd.DataFrame,
    base_year: int,
    options: SolveOptions | None = None,
    residual: np.ndarray | None = None,
) -> tuple[Network, Calibration]:
    """Calibrate the base year: processing costs consistent with the reference prices
    (`calibrate_margins`), then demand levels that clear there (`calibrate_demand`)."""
    net, margins = calibrate_margins(network, prices, base_year)
    net, demand = calibrate_demand(net, base_year, options=options, residual=residual)
    return net, Calibration(
        demand_factors=demand.demand_factors,
        margins=margins,
        iterations=demand.iterations,
    )


def calibrated_network(
    tables: Mapping[str, pd.DataFrame],
    options: BuildOptions | None = None,
    last_year: int = 2040,
    store: CalibrationStore | None = None,
) -> Network:
    """The network of `build_network`, calibrated to its base year.

    The calibration is looked up in `store` (default: the on-disk cache, see
    rareflow.cache) and computed only when absent; `meta["calibration_s"]` says how long
    this call spent calibrating (0 when cached).
    """
    opt = options or BuildOptions()
    store = store if store is not None else default_store()
    net = build_network(tables, opt, last_year=last_year)
    key = calibration_key(net.meta["reference_hash"], net.meta["options"], last_year)
    values = store.get(key)
    spent = 0.0
    if values is None or not _fits(values, net):
        start = time.perf_counter()
        base = tables["demand"][tables["demand"]["year"] == opt.base_year]
        cal_net, _ = calibrate(
            net, tables["prices"], opt.base_year, residual=residual_rows(net, base)
        )
        spent = time.perf_counter() - start
        values = CalibratedValues(
            demand_quantity=cal_net.demand["quantity"].to_numpy(dtype=float),
            process_cost=cal_net.processes["cost"].to_numpy(dtype=float),
            meta={k: v for k, v in cal_net.meta.items() if k not in net.meta},
        )
        store.put(key, values)
    net.demand["quantity"] = values.demand_quantity.copy()
    net.processes["cost"] = values.process_cost.copy()
    net.meta.update(values.meta)
    net.meta["calibration_s"] = f"{spent:.3f}"
    return net


def _fits(values: CalibratedValues, net: Network) -> bool:
    return len(values.demand_quantity) == len(net.demand) and len(values.process_cost) == len(
        net.processes
    )
