"""Turn a Network, a Horizon and Levers into the labelled arrays of one LP.

Everything here is in tonnes per period (capacities and demand are t/yr in the Network and
are multiplied by the period length), USD per tonne, and indexed by pandas indexes named after
the LP dimensions: step, facility, fm (facility-material coefficient), arc, dem (demand row),
block, node (region|material) and period.

Calendar-year tables are expanded onto periods by the calendar year of the period:
- a year without a row carries the latest earlier year;
- capacities (supply_capacity, facility_capacity) are 0 before their first row: a mine or plant
  with no row yet is "not built yet", so an existing one needs a row for its first modelled year;
- demand_growth before its first row uses the first row, and a demand without growth rows
  keeps index 1.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from rareflow.cache import Kept
from rareflow.horizon import Horizon
from rareflow.network import Network
from rareflow.optimize.arrays import data_array, labels, numeric_columns
from rareflow.optimize.buffers import TRANCHES, valued_stocks, with_precaution
from rareflow.optimize.lever_arrays import (
    agreement_bounds,
    announced_ahead,
    apply_capacity_levers,
    arc_taxes,
    arc_upper_bounds,
    contracted_arcs,
    delivery_kernel,
    normal_flows,
    quota_arrays,
)
from rareflow.optimize.levers import Levers
from rareflow.optimize.licences import LicenceQueue

NODE_SEP = "|"

# demand block upper breakpoints as fractions of the reference quantity: dense near q0 so the
# price responds smoothly to moderate cuts, coarse far from it
DEFAULT_BREAKPOINTS: tuple[float, ...] = (
    0.1,
    0.2,
    0.3,
    0.4,
    0.5,
    0.6,
    0.7,
    0.8,
    0.9,
    0.95,
    0.98,
    0.99,
    1.0,
    1.01,
    1.02,
    1.05,
    1.1,
    1.25,
    1.5,
)


@dataclass(frozen=True)
class SolveOptions:
    """Numerical choices of a solve that are not part of the network or the levers."""

    # USD/t to dispose of an unwanted co-product (0: free disposal keeps every price >= 0)
    disposal_cost: float = 0.0
    # yearly discount rate applied to costs and values (0: off)
    discount_rate: float = 0.0
    # upper breakpoints of the willingness-to-pay blocks, fractions of the reference quantity
    demand_breakpoints: tuple[float, ...] = DEFAULT_BREAKPOINTS
    # USD/t paid for each tonne of a contracted minimum that is not delivered; large enough to
    # make minimums binding in practice while keeping every problem feasible
    agreement_penalty: float = 1e7
    # extra HiGHS options (name -> value)
    solver_options: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def node_ids(region: pd.Series, material: pd.Series) -> pd.Series:
    return region.astype(str) + NODE_SEP + material.astype(str)


def expand_years(
    table: pd.DataFrame,
    key: str,
    value: str,
    ids: pd.Index,
    years: np.ndarray,
    before_first: str,
    default: float,
) -> np.ndarray:
    """Matrix [ids, periods] of a calendar-year table (see the module docstring for rules)."""
    out = np.full((len(ids), len(years)), default, dtype=float)
    rows = table[table[key].isin(ids)]
    if rows.empty:
        return out
    wide = rows.pivot(index=key, columns="year", values=value).astype(float)
    wide.columns = wide.columns.astype(int)
    all_years = sorted(set(wide.columns) | {int(y) for y in years})
    wide = wide.reindex(columns=all_years).ffill(axis=1)
    wide = wide.bfill(axis=1) if before_first == "first" else wide.fillna(0.0)
    picked = wide.reindex(index=ids)[list(years)].to_numpy()
    return np.where(np.isnan(picked), default, picked)


@dataclass
class Inputs:
    """Arrays of one LP over a set of periods (the whole horizon or a rolling window)."""

    periods: pd.DataFrame  # index period: start, end, mid, year, length
    length: xr.DataArray  # [period] years
    discount: xr.DataArray  # [period] discount factor
    nodes: pd.DataFrame  # index node: region, material
    steps: pd.DataFrame  # index step: region, material, node, cost, facility, stage
    supply_cap: xr.DataArray  # [step, period] t
    facilities: pd.DataFrame  # index facility: region, process, stage, cost
    facility_cap: xr.DataArray  # [facility, period] t of activity
    coefficients: pd.DataFrame  # index fm: facility, material, node, coefficient
    arcs: pd.DataFrame  # index arc: origin, destination, material, onode, dnode, cost
    arc_cost: xr.DataArray  # [arc, period] USD/t incl. taxes
    arc_tax: xr.DataArray  # [arc, period] USD/t of taxes and tariffs
    arc_upper: xr.DataArray  # [arc, period] t (inf: none)
    kernel: dict[int, xr.DataArray]  # lag in periods -> [arc, period of departure] share
    demand: pd.DataFrame  # index dem: region, sector, material, node
    demand_ref: xr.DataArray  # [dem, period] reference quantity t
    block_upper: xr.DataArray  # [dem, block, period] t
    wtp: xr.DataArray  # [dem, block] USD/t
    stocks: pd.DataFrame  # index node (stock nodes): initial, capacity, holding_cost
    stock_initial: xr.DataArray  # [node] t at the start of the first period
    buffer_target: xr.DataArray  # [node, tranche, period] t of stock valued (optimize.buffers)
    buffer_value: xr.DataArray  # [node, tranche, period] USD/t of it (optimize.buffers)
    agreements: pd.DataFrame  # index agreement: arc, seller_region, buyer_region, material
    agree_min: xr.DataArray  # [arc, period] t (NaN: no constraint), agreement arcs only
    agree_max: xr.DataArray  # [arc, period] t (NaN / inf: no cap)
    quota_coef: xr.DataArray  # [quota, arc, period] 1 where the quota counts the flow
    quota_total: xr.DataArray  # [quota] t still available
    options: SolveOptions
    # digest of the tables' STRUCTURE_COLUMNS (NetworkArrays.structure_digest): the tables
    # come from the network and are never replaced in an Inputs
    tables_digest: bytes
    # a myopic run's window (stretched by a lead time or a licence delay) holds its stocks at
    # the first period's level: stocks are decided on today's market, not traded against the
    # window's later prices (constraints.add_held_stocks)
    stocks_held: bool = False
    # the licence queues behind arc_upper, over the whole horizon (for the result's table)
    licence_queue: LicenceQueue | None = None

    def window(self, start: int, stop: int) -> Inputs:
        """The same inputs restricted to periods [start, stop)."""
        sl = slice(start, stop)
        changes: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, xr.DataArray) and "period" in value.dims:
                changes[f.name] = value.isel(period=sl)
        changes["kernel"] = {k: w.isel(period=sl) for k, w in self.kernel.items()}
        changes["periods"] = self.periods.iloc[sl]
        return dataclasses.replace(self, **changes)

    @property
    def period_index(self) -> pd.Index:
        return labels(self.periods.index, "period")


# the columns of each table that shape the LP's matrix (the others reach the LP only through
# bounds, costs and right-hand sides, which WarmModel.refresh recomputes)
STRUCTURE_COLUMNS: dict[str, list[str]] = {
    "nodes": [],
    "steps": ["node"],
    "facilities": ["capacity_group"],
    "coefficients": ["facility", "node", "coefficient"],
    "arcs": ["onode", "dnode"],
    "demand": ["node"],
    "stocks": [],
}


@dataclass(frozen=True)
class NetworkArrays:
    """What `build_inputs` takes from the network and horizon alone (no lever touches it):
    computed once per solve and shared by the inputs of every information state."""

    periods: pd.DataFrame
    length: xr.DataArray
    discount: xr.DataArray
    steps: pd.DataFrame
    facilities: pd.DataFrame
    coefficients: pd.DataFrame
    arcs: pd.DataFrame
    demand: pd.DataFrame
    stocks: pd.DataFrame
    nodes: pd.DataFrame
    agreements: pd.DataFrame  # with their contracted arcs (lever_arrays.contracted_arcs)
    supply_cap: np.ndarray  # [step, period] t/yr before the levers
    facility_cap: np.ndarray  # [facility, period] t/yr before the levers
    kernel: dict[int, np.ndarray]
    reference: np.ndarray  # [dem, period] t
    widths: np.ndarray
    wtp: np.ndarray
    buffer_size: np.ndarray
    buffer_value: np.ndarray

    @functools.cached_property
    def structure_digest(self) -> bytes:
        """A digest of the items of each table and the columns that place them in the LP's
        matrix (STRUCTURE_COLUMNS): hashed once, not once per information state."""
        digest = hashlib.sha256()
        for name, columns in STRUCTURE_COLUMNS.items():
            table = getattr(self, name)[columns]
            digest.update(name.encode() + repr(list(table.columns)).encode())
            digest.update(pd.util.hash_pandas_object(table, index=True).to_numpy().tobytes())
        return digest.digest()

    @classmethod
    def of(
        cls,
        network: Network,
        horizon: Horizon,
        options: SolveOptions,
        hashes: dict[str, str] | None = None,
    ) -> NetworkArrays:
        """The arrays of `network` over `horizon`; the last few are kept, by a hash of the
        network's tables (`hashes`: network.hashes(), when the caller has them) and meta,
        the horizon and the options (an ensemble's samples and a comparison's scenarios
        solve networks that often differ only in levers)."""
        tables = hashes if hashes is not None else network.hashes()
        key = _arrays_key(tables, network.meta, horizon, options)
        return _ARRAYS.get(key, lambda: cls._make(network, horizon, options))

    @classmethod
    def _make(cls, network: Network, horizon: Horizon, options: SolveOptions) -> NetworkArrays:
        periods = horizon.periods.set_index("period")
        pidx = labels(periods.index, "period")
        t_years = (periods["start"] - periods["start"].iloc[0]).dt.days.to_numpy() / 365.25
        materials = network.materials.set_index("material")
        steps = _supply(network, materials)
        facilities, coefficients = _facilities(network)
        arcs = _arcs(network)
        demand = _demand(network)
        stocks = _stocks(network)
        supply_cap, facility_cap = _capacities(network, periods, steps, facilities)
        widths, wtp = _demand_blocks(demand, options)
        buffer_size, buffer_value = valued_stocks(network, stocks, periods)
        return cls(
            periods=periods,
            length=data_array(periods["length"].to_numpy(), pidx),
            discount=data_array((1.0 + options.discount_rate) ** (-t_years), pidx),
            steps=steps,
            facilities=facilities,
            coefficients=coefficients,
            arcs=arcs,
            demand=demand,
            stocks=stocks,
            nodes=_nodes(steps, coefficients, arcs, demand, stocks),
            agreements=contracted_arcs(network, arcs),
            supply_cap=supply_cap,
            facility_cap=facility_cap,
            kernel=delivery_kernel(periods, arcs, horizon.months_per_period),
            reference=_demand_reference(network, demand, periods, labels(demand.index, "dem")),
            widths=widths,
            wtp=wtp,
            buffer_size=buffer_size,
            buffer_value=buffer_value,
        )


_ARRAYS: Kept[str, NetworkArrays] = Kept(4)


def _arrays_key(
    tables: dict[str, str], meta: dict[str, str], horizon: Horizon, options: SolveOptions
) -> str:
    """A digest of everything NetworkArrays.of reads: the network's tables (their hashes) and
    meta, the horizon and the options."""
    settings = {
        "tables": tables,
        "meta": meta,
        "horizon": horizon.to_dict(),
        "options": options.to_dict(),
    }
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()


def build_inputs(
    network: Network,
    horizon: Horizon,
    levers: Levers,
    options: SolveOptions,
    normal_flow: xr.DataArray | None = None,
    base: NetworkArrays | None = None,
) -> Inputs:
    """All arrays of the LP over the whole horizon.

    `normal_flow` [arc, period] in t/yr is the reference flow that share-of-normal bounds and
    licences refer to; it is required when `levers.needs_normal_flow()`. `base` is
    NetworkArrays.of(network, horizon, options) when the caller already has it (the inputs
    of several information states share it).
    """
    b = base if base is not None else NetworkArrays.of(network, horizon, options)
    periods, steps, facilities, arcs, demand = b.periods, b.steps, b.facilities, b.arcs, b.demand
    pidx = labels(periods.index, "period")
    sidx = labels(steps.index, "step")
    fidx = labels(facilities.index, "facility")
    supply_cap, facility_cap = apply_capacity_levers(
        levers, periods, steps, facilities, b.supply_cap.copy(), b.facility_cap.copy()
    )

    aidx = labels(arcs.index, "arc")
    normal = normal_flows(levers, periods, arcs, normal_flow)
    arc_tax = arc_taxes(levers, periods, arcs, demand)
    upper_t, queue = arc_upper_bounds(levers, periods, arcs, normal, horizon.months_per_period)

    didx = labels(demand.index, "dem")
    bidx = pd.Index(range(len(b.widths)), name="block")
    stock_nodes = labels(b.stocks.index, "node")
    buffer_target = with_precaution(
        network, b.buffer_size, announced_ahead(levers, arcs, periods), arcs, stock_nodes
    )
    tranches = pd.Index(list(TRANCHES), name="tranche")
    agree_min, agree_max = agreement_bounds(b.agreements, levers, periods)
    upper = data_array(upper_t, aidx, pidx)
    if agree_min.sizes.get("arc", 0):
        # a ban, cap or licence on the contracted arc overrides the contract (force majeure):
        # the minimum shrinks to what may legally flow instead of being paid as a breach
        allowed = upper.sel(arc=list(agree_min.indexes["arc"]))
        agree_min = agree_min.where(agree_min <= allowed, allowed)
    quota_coef, quota_total = quota_arrays(levers, periods, arcs)
    ref = b.reference
    length = periods["length"].to_numpy()[None, :]

    return Inputs(
        periods=periods,
        length=b.length,
        discount=b.discount,
        nodes=b.nodes,
        steps=steps,
        supply_cap=data_array(supply_cap * length, sidx, pidx),
        facilities=facilities,
        facility_cap=data_array(facility_cap * length, fidx, pidx),
        coefficients=b.coefficients,
        arcs=arcs,
        arc_cost=data_array(arcs["cost"].to_numpy()[:, None] + arc_tax, aidx, pidx),
        arc_tax=data_array(arc_tax, aidx, pidx),
        arc_upper=upper,
        kernel={k: data_array(w, aidx, pidx) for k, w in b.kernel.items()},
        demand=demand,
        demand_ref=data_array(ref, didx, pidx),
        block_upper=data_array(b.widths[None, :, None] * ref[:, None, :], didx, bidx, pidx),
        wtp=data_array(b.wtp, didx, bidx),
        stocks=b.stocks,
        stock_initial=data_array(b.stocks["initial"].to_numpy(), stock_nodes),
        buffer_target=data_array(buffer_target, stock_nodes, tranches, pidx),
        buffer_value=data_array(b.buffer_value, stock_nodes, tranches, pidx),
        agreements=b.agreements,
        agree_min=agree_min,
        agree_max=agree_max,
        quota_coef=quota_coef,
        quota_total=quota_total,
        options=options,
        licence_queue=queue,
        tables_digest=b.structure_digest,
    )


def _capacities(
    network: Network,
    periods: pd.DataFrame,
    steps: pd.DataFrame,
    facilities: pd.DataFrame,
) -> tuple[np.ndarray, np.ndarray]:
    """[step, period] and [facility, period] capacity in t/yr: the yearly paths (the levers'
    overrides and outages are applied by build_inputs)."""
    years = periods["year"].to_numpy()
    supply_cap = expand_years(
        network.supply_capacity,
        "step",
        "capacity",
        labels(steps.index, "step"),
        years,
        "zero",
        0.0,
    )
    facility_cap = expand_years(
        network.facility_capacity,
        "facility",
        "capacity",
        labels(facilities.index, "facility"),
        years,
        "zero",
        0.0,
    )
    return supply_cap, facility_cap


def _demand_reference(
    network: Network, demand: pd.DataFrame, periods: pd.DataFrame, didx: pd.Index
) -> np.ndarray:
    """[demand row, period] reference quantity in t per period: base-year quantity x the
    growth index of the period's year x the period's length."""
    growth = network.demand_growth.assign(
        dem=lambda g: (
            g["region"].astype(str)
            + NODE_SEP
            + g["sector"].astype(str)
            + NODE_SEP
            + g["material"].astype(str)
        )
    )
    years = periods["year"].to_numpy()
    index = expand_years(growth, "dem", "index", didx, years, "first", 1.0)
    return np.asarray(
        demand["quantity"].to_numpy()[:, None] * index * periods["length"].to_numpy()[None, :],
        dtype=float,
    )


def _demand_blocks(demand: pd.DataFrame, options: SolveOptions) -> tuple[np.ndarray, np.ndarray]:
    """Block widths (shares of the reference quantity) and each row's willingness to pay per
    block, USD/t."""
    bps = np.asarray(options.demand_breakpoints, dtype=float)
    if bps.size == 0 or np.any(np.diff(bps) <= 0) or bps[0] <= 0:
        raise ValueError("demand_breakpoints must be positive and strictly increasing")
    widths = np.diff(np.concatenate([[0.0], bps]))
    # WTP of a block at its upper breakpoint: the step curve lies on or below the
    # constant-elasticity curve, and at a breakpoint x the price is exactly p0 * x^(1/e)
    p0 = demand["ref_price"].to_numpy()[:, None]
    e = demand["elasticity"].to_numpy()[:, None]
    choke = demand["choke_price"].fillna(np.inf).to_numpy()[:, None]
    return widths, np.minimum(choke, p0 * bps[None, :] ** (1.0 / e))


# -- components -------------------------------------------------------------------------------


def _supply(network: Network, materials: pd.DataFrame) -> pd.DataFrame:
    steps = numeric_columns(network.supply, ["cost"]).copy()
    steps["cost"] = steps["cost"].fillna(0.0)
    steps["node"] = node_ids(steps["region"], steps["material"])
    form = steps["material"].map(materials["form"]) if len(materials) else steps["material"]
    steps["stage"] = np.where(form.astype(str) == "concentrate", "mining", "supply")
    steps["facility"] = steps["facility"].fillna("").astype(str)
    return steps.set_index(labels(steps["step"], "step"))


def _facilities(network: Network) -> tuple[pd.DataFrame, pd.DataFrame]:
    fac = network.facilities.copy()
    procs = numeric_columns(network.processes, ["cost"]).set_index("process")
    fac["stage"] = fac["process"].map(procs["stage"]).astype(str)
    fac["cost"] = fac["process"].map(procs["cost"]).fillna(0.0).astype(float)
    # facilities in one capacity group (a plant that can run alternative recipes) share the
    # capacity of the group; a facility with no group is a group of its own
    group = fac["capacity_group"] if "capacity_group" in fac else pd.Series("", index=fac.index)
    group = group.fillna("").astype(str)
    fac["capacity_group"] = group.where(group != "", fac["facility"])
    fac = fac.set_index(labels(fac["facility"], "facility"))
    coef = numeric_columns(network.process_coefficients, ["coefficient"])
    pairs = fac[["facility", "region", "process"]].merge(coef, on="process", how="inner")
    pairs = pairs[pairs["coefficient"] != 0].reset_index(drop=True)
    pairs["node"] = node_ids(pairs["region"], pairs["material"])
    pairs.index = pd.Index(range(len(pairs)), name="fm")
    return fac, pairs[["facility", "material", "node", "coefficient"]]


def _arcs(network: Network) -> pd.DataFrame:
    arcs = numeric_columns(network.arcs, ["cost", "lead_time_months"]).copy()
    arcs["cost"] = arcs["cost"].fillna(0.0)
    arcs["lead_time_months"] = arcs["lead_time_months"].fillna(0.0)
    arcs["onode"] = node_ids(arcs["origin"], arcs["material"])
    arcs["dnode"] = node_ids(arcs["destination"], arcs["material"])
    return arcs.set_index(labels(arcs["arc"], "arc"))


def _demand(network: Network) -> pd.DataFrame:
    cols = ["quantity", "ref_price", "elasticity", "choke_price", "base_year"]
    dem = numeric_columns(network.demand, cols).reset_index(drop=True)
    dem["node"] = node_ids(dem["region"], dem["material"])
    dem["dem"] = dem["region"].astype(str) + NODE_SEP + dem["sector"].astype(str) + NODE_SEP
    dem["dem"] = dem["dem"] + dem["material"].astype(str)
    return dem.set_index(labels(dem["dem"], "dem"))


def _stocks(network: Network) -> pd.DataFrame:
    numeric = ["initial", "capacity", "holding_cost"]
    numeric += [c for c in ("target", "reserve") if c in network.stocks]
    st = numeric_columns(network.stocks, numeric).copy()
    st["initial"] = st["initial"].fillna(0.0)
    st["capacity"] = st["capacity"].fillna(np.inf)
    # a working stock and a reserve's room cannot be larger than the stock can hold
    st["target"] = np.minimum(st["target"].fillna(0.0), st["capacity"]) if "target" in st else 0.0
    room = st["capacity"] - st["target"]
    st["reserve"] = np.minimum(st["reserve"].fillna(0.0), room) if "reserve" in st else 0.0
    st["holding_cost"] = st["holding_cost"].fillna(0.0)
    st["node"] = node_ids(st["region"], st["material"])
    return st.set_index(labels(st["node"], "node"))


def _nodes(
    steps: pd.DataFrame,
    coefficients: pd.DataFrame,
    arcs: pd.DataFrame,
    demand: pd.DataFrame,
    stocks: pd.DataFrame,
) -> pd.DataFrame:
    """Every (region, material) where something happens: the rows of the material balance."""
    parts = [
        steps["node"],
        coefficients["node"],
        arcs["onode"],
        arcs["dnode"],
        demand["node"],
        pd.Series(stocks.index, dtype=object),
    ]
    ids = sorted(set(pd.concat(parts, ignore_index=True).astype(str)))
    split = pd.Series(ids, dtype=object).str.split(NODE_SEP, n=1, expand=True)
    frame = pd.DataFrame({"region": list(split[0]), "material": list(split[1])})
    frame.index = labels(ids, "node")
    return frame
