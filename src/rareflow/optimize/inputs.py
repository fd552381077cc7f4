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
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from rareflow.network import Network, NetworkError
from rareflow.optimize.buffers import TRANCHES, valued_stocks, with_precaution
from rareflow.optimize.horizon import Horizon, in_range
from rareflow.optimize.levers import LeverError, Levers, select_matrix
from rareflow.optimize.licences import LicenceQueue, licence_queue

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


def _index(values: Any, name: str) -> pd.Index:
    return pd.Index(list(values), name=name, dtype=object)


def _da(values: np.ndarray, *indexes: pd.Index) -> xr.DataArray:
    return xr.DataArray(
        np.asarray(values, dtype=float),
        coords={ix.name: ix for ix in indexes},
        dims=[ix.name for ix in indexes],
    )


def expand_years(
    table: pd.DataFrame,
    key: str,
    value: str,
    ids: pd.Index,
    years: np.ndarray,
    before_first: str,
    default: float,
    table_name: str,
) -> np.ndarray:
    """Matrix [ids, periods] of a calendar-year table (see the module docstring for rules)."""
    out = np.full((len(ids), len(years)), default, dtype=float)
    rows = table[table[key].isin(ids)]
    if rows.empty:
        return out
    dup = rows.duplicated([key, "year"])
    if dup.any():
        first = rows[dup].iloc[0]
        raise NetworkError(
            f"{table_name}: duplicate row for {key}={first[key]} year={first['year']}"
        )
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
        return _index(self.periods.index, "period")


def build_inputs(
    network: Network,
    horizon: Horizon,
    levers: Levers,
    options: SolveOptions,
    normal_flow: xr.DataArray | None = None,
) -> Inputs:
    """All arrays of the LP over the whole horizon.

    `normal_flow` [arc, period] in t/yr is the reference flow that share-of-normal bounds and
    licences refer to; it is required when `levers.needs_normal_flow()`.
    """
    periods = horizon.periods.set_index("period")
    pidx = _index(periods.index, "period")
    years = periods["year"].to_numpy()
    length = _da(periods["length"].to_numpy(), pidx)
    t_years = (periods["start"] - periods["start"].iloc[0]).dt.days.to_numpy() / 365.25
    discount = _da((1.0 + options.discount_rate) ** (-t_years), pidx)

    materials = network.materials.set_index("material")
    steps = _supply(network, materials)
    facilities, coefficients = _facilities(network)
    arcs = _arcs(network)
    demand = _demand(network)
    stocks = _stocks(network)
    nodes = _nodes(steps, coefficients, arcs, demand, stocks)

    sidx = _index(steps.index, "step")
    supply_cap = expand_years(
        network.supply_capacity, "step", "capacity", sidx, years, "zero", 0.0, "supply_capacity"
    )
    fidx = _index(facilities.index, "facility")
    facility_cap = expand_years(
        network.facility_capacity,
        "facility",
        "capacity",
        fidx,
        years,
        "zero",
        0.0,
        "facility_capacity",
    )
    supply_cap, facility_cap = _apply_capacity_levers(
        levers, periods, steps, facilities, supply_cap, facility_cap
    )

    aidx = _index(arcs.index, "arc")
    normal = _normal_flow(levers, periods, arcs, normal_flow)
    arc_tax = _taxes(levers, periods, arcs, demand)
    arc_upper, queue = _arc_upper(levers, periods, arcs, normal, horizon.months_per_period)
    kernel = _kernel(periods, arcs, horizon.months_per_period)

    didx = _index(demand.index, "dem")
    growth = network.demand_growth.assign(
        dem=lambda g: (
            g["region"].astype(str)
            + NODE_SEP
            + g["sector"].astype(str)
            + NODE_SEP
            + g["material"].astype(str)
        )
    )
    index = expand_years(growth, "dem", "index", didx, years, "first", 1.0, "demand_growth")
    ref = demand["quantity"].to_numpy()[:, None] * index * periods["length"].to_numpy()[None, :]
    bps = np.asarray(options.demand_breakpoints, dtype=float)
    if bps.size == 0 or np.any(np.diff(bps) <= 0) or bps[0] <= 0:
        raise ValueError("demand_breakpoints must be positive and strictly increasing")
    widths = np.diff(np.concatenate([[0.0], bps]))
    bidx = pd.Index(range(len(bps)), name="block")
    # WTP of a block at its upper breakpoint: the step curve lies on or below the
    # constant-elasticity curve, and at a breakpoint x the price is exactly p0 * x^(1/e)
    p0 = demand["ref_price"].to_numpy()[:, None]
    e = demand["elasticity"].to_numpy()[:, None]
    choke = demand["choke_price"].fillna(np.inf).to_numpy()[:, None]
    wtp = np.minimum(choke, p0 * bps[None, :] ** (1.0 / e))

    stock_nodes = _index(stocks.index, "node")
    buffer_size, buffer_value = valued_stocks(network, stocks, periods)
    buffer_target = with_precaution(
        network, buffer_size, _announced_ahead(levers, arcs, periods), arcs, stock_nodes
    )
    tranches = pd.Index(list(TRANCHES), name="tranche")
    agreements, agree_min, agree_max = _agreements(network, levers, periods, arcs)
    upper = _da(arc_upper, aidx, pidx)
    if agree_min.sizes.get("arc", 0):
        # a ban, cap or licence on the contracted arc overrides the contract (force majeure):
        # the minimum shrinks to what may legally flow instead of being paid as a breach
        allowed = upper.sel(arc=list(agree_min.indexes["arc"]))
        agree_min = agree_min.where(agree_min <= allowed, allowed)
    quota_coef, quota_total = _quotas(levers, periods, arcs)

    return Inputs(
        periods=periods,
        length=length,
        discount=discount,
        nodes=nodes,
        steps=steps,
        supply_cap=_da(supply_cap * periods["length"].to_numpy()[None, :], sidx, pidx),
        facilities=facilities,
        facility_cap=_da(facility_cap * periods["length"].to_numpy()[None, :], fidx, pidx),
        coefficients=coefficients,
        arcs=arcs,
        arc_cost=_da(arcs["cost"].to_numpy()[:, None] + arc_tax, aidx, pidx),
        arc_tax=_da(arc_tax, aidx, pidx),
        arc_upper=upper,
        kernel={k: _da(w, aidx, pidx) for k, w in kernel.items()},
        demand=demand,
        demand_ref=_da(ref, didx, pidx),
        block_upper=_da(widths[None, :, None] * ref[:, None, :], didx, bidx, pidx),
        wtp=_da(wtp, didx, bidx),
        stocks=stocks,
        stock_initial=_da(stocks["initial"].to_numpy(), stock_nodes),
        buffer_target=_da(buffer_target, stock_nodes, tranches, pidx),
        buffer_value=_da(buffer_value, stock_nodes, tranches, pidx),
        agreements=agreements,
        agree_min=agree_min,
        agree_max=agree_max,
        quota_coef=quota_coef,
        quota_total=quota_total,
        options=options,
        licence_queue=queue,
    )


# -- components -------------------------------------------------------------------------------


def _numbers(table: pd.DataFrame, name: str, columns: list[str]) -> pd.DataFrame:
    out = table.copy()
    for col in columns:
        values = pd.to_numeric(out[col], errors="coerce")
        bad = values.isna() & out[col].notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise NetworkError(
                f"{name}, row {row}, column '{col}': expected a number, got {out[col].iloc[row]!r}"
            )
        out[col] = values.astype(float)
    return out


def _unique_key(table: pd.DataFrame, name: str, key: str) -> None:
    dup = table[key].duplicated()
    if dup.any():
        raise NetworkError(f"{name}: duplicate {key} '{table[key][dup].iloc[0]}'")


def _supply(network: Network, materials: pd.DataFrame) -> pd.DataFrame:
    steps = _numbers(network.supply, "supply", ["cost"]).copy()
    _unique_key(steps, "supply", "step")
    steps["cost"] = steps["cost"].fillna(0.0)
    steps["node"] = node_ids(steps["region"], steps["material"])
    form = steps["material"].map(materials["form"]) if len(materials) else steps["material"]
    steps["stage"] = np.where(form.astype(str) == "concentrate", "mining", "supply")
    steps["facility"] = steps["facility"].fillna("").astype(str)
    return steps.set_index(_index(steps["step"], "step"))


def _facilities(network: Network) -> tuple[pd.DataFrame, pd.DataFrame]:
    fac = network.facilities.copy()
    _unique_key(fac, "facilities", "facility")
    procs = _numbers(network.processes, "processes", ["cost"]).set_index("process")
    unknown = ~fac["process"].isin(procs.index)
    if unknown.any():
        row = fac[unknown].iloc[0]
        raise NetworkError(f"facility {row['facility']} runs unknown process {row['process']}")
    fac["stage"] = fac["process"].map(procs["stage"]).astype(str)
    fac["cost"] = fac["process"].map(procs["cost"]).fillna(0.0).astype(float)
    # facilities in one capacity group (a plant that can run alternative recipes) share the
    # capacity of the group; a facility with no group is a group of its own
    group = fac["capacity_group"] if "capacity_group" in fac else pd.Series("", index=fac.index)
    group = group.fillna("").astype(str)
    fac["capacity_group"] = group.where(group != "", fac["facility"])
    fac = fac.set_index(_index(fac["facility"], "facility"))
    coef = _numbers(network.process_coefficients, "process_coefficients", ["coefficient"])
    pairs = fac[["facility", "region", "process"]].merge(coef, on="process", how="inner")
    pairs = pairs[pairs["coefficient"] != 0].reset_index(drop=True)
    pairs["node"] = node_ids(pairs["region"], pairs["material"])
    pairs.index = pd.Index(range(len(pairs)), name="fm")
    return fac, pairs[["facility", "material", "node", "coefficient"]]


def _arcs(network: Network) -> pd.DataFrame:
    arcs = _numbers(network.arcs, "arcs", ["cost", "lead_time_months"]).copy()
    _unique_key(arcs, "arcs", "arc")
    loops = arcs["origin"] == arcs["destination"]
    if loops.any():
        raise NetworkError(f"arcs: arc '{arcs['arc'][loops].iloc[0]}' has origin == destination")
    arcs["cost"] = arcs["cost"].fillna(0.0)
    arcs["lead_time_months"] = arcs["lead_time_months"].fillna(0.0)
    if (arcs["lead_time_months"] < 0).any():
        raise NetworkError("arcs: lead_time_months must be >= 0")
    arcs["onode"] = node_ids(arcs["origin"], arcs["material"])
    arcs["dnode"] = node_ids(arcs["destination"], arcs["material"])
    return arcs.set_index(_index(arcs["arc"], "arc"))


def _demand(network: Network) -> pd.DataFrame:
    cols = ["quantity", "ref_price", "elasticity", "choke_price", "base_year"]
    dem = _numbers(network.demand, "demand", cols).reset_index(drop=True)
    checks = [
        ("quantity", dem["quantity"] >= 0, "a quantity >= 0 t/yr"),
        ("ref_price", dem["ref_price"] > 0, "a reference price > 0 USD/t"),
        ("elasticity", dem["elasticity"] < 0, "an elasticity < 0"),
        ("choke_price", dem["choke_price"].isna() | (dem["choke_price"] > 0), "a price > 0"),
    ]
    for col, ok, expected in checks:
        if not ok.all():
            row = int(np.flatnonzero(~ok.to_numpy())[0])
            raise NetworkError(
                f"demand, row {row}, column '{col}': expected {expected}, got {dem[col].iloc[row]}"
            )
    dem["node"] = node_ids(dem["region"], dem["material"])
    dem["dem"] = dem["region"].astype(str) + NODE_SEP + dem["sector"].astype(str) + NODE_SEP
    dem["dem"] = dem["dem"] + dem["material"].astype(str)
    _unique_key(dem, "demand", "dem")
    return dem.set_index(_index(dem["dem"], "dem"))


def _stocks(network: Network) -> pd.DataFrame:
    numeric = ["initial", "capacity", "holding_cost"]
    numeric += [c for c in ("target", "reserve") if c in network.stocks]
    st = _numbers(network.stocks, "stocks", numeric).copy()
    st["initial"] = st["initial"].fillna(0.0)
    st["capacity"] = st["capacity"].fillna(np.inf)
    # a working stock and a reserve's room cannot be larger than the stock can hold
    st["target"] = np.minimum(st["target"].fillna(0.0), st["capacity"]) if "target" in st else 0.0
    room = st["capacity"] - st["target"]
    st["reserve"] = np.minimum(st["reserve"].fillna(0.0), room) if "reserve" in st else 0.0
    st["holding_cost"] = st["holding_cost"].fillna(0.0)
    st["node"] = node_ids(st["region"], st["material"])
    _unique_key(st, "stocks", "node")
    over = st["initial"] > st["capacity"]
    if over.any():
        raise NetworkError(f"stocks: initial level above capacity at {st['node'][over].iloc[0]}")
    return st.set_index(_index(st["node"], "node"))


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
    frame.index = _index(ids, "node")
    return frame


# -- levers -------------------------------------------------------------------------------


def _announced_ahead(levers: Levers, arcs: pd.DataFrame, periods: pd.DataFrame) -> np.ndarray:
    """[row, arc, period] of bans and licences: announced and not yet in force."""
    rows = [t for t in (levers.arc_bounds, levers.licences) if len(t)]
    if not rows:
        return np.zeros((0, len(arcs), len(periods)), dtype=bool)
    table = pd.concat(
        [r[["origin", "destination", "material", "announced", "start"]] for r in rows]
    )
    when = in_range(periods["mid"], table["announced"], table["start"])
    when &= table["announced"].notna().to_numpy()[:, None]
    return _arc_mask(table, arcs)[:, :, None] & when[:, None, :]


def _period_mask(table: pd.DataFrame, periods: pd.DataFrame) -> np.ndarray:
    return in_range(periods["mid"], table["start"], table["end"])


def _arc_mask(table: pd.DataFrame, arcs: pd.DataFrame) -> np.ndarray:
    """[lever rows, arcs]: the row's origin, destination and material selectors all match."""
    m = select_matrix(arcs["origin"], table["origin"])
    m &= select_matrix(arcs["destination"], table["destination"])
    m &= select_matrix(arcs["material"], table["material"])
    return m


def _apply_capacity_levers(
    levers: Levers,
    periods: pd.DataFrame,
    steps: pd.DataFrame,
    facilities: pd.DataFrame,
    supply_cap: np.ndarray,
    facility_cap: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Capacity overrides (last row wins) then outage factors (multiplied), t/yr."""
    out = []
    for cap, ids, fac_col, region, stage in (
        (supply_cap, steps.index, steps["facility"], steps["region"], steps["stage"]),
        (
            facility_cap,
            facilities.index,
            facilities["facility"],
            facilities["region"],
            facilities["stage"],
        ),
    ):
        cap = cap.copy()
        ids_s = pd.Series(list(ids), dtype=object)
        over = levers.capacity
        if len(over):
            hit = select_matrix(ids_s, over["facility"]) | select_matrix(
                fac_col.reset_index(drop=True), over["facility"]
            )
            when = _period_mask(over, periods)
            mask = hit[:, :, None] & when[:, None, :]  # [row, item, period]
            values = np.where(mask, over["capacity"].to_numpy()[:, None, None], np.nan)
            # the last matching row wins: forward-fill along the row axis and take the last
            flat = pd.DataFrame(values.reshape(len(over), -1)).ffill().iloc[-1].to_numpy()
            last = np.asarray(flat, dtype=float).reshape(cap.shape)
            cap = np.asarray(np.where(np.isnan(last), cap, last), dtype=float)
        outs = levers.outages
        if len(outs):
            hit = (
                (
                    select_matrix(ids_s, outs["facility"])
                    | select_matrix(fac_col.reset_index(drop=True), outs["facility"])
                )
                & select_matrix(region.reset_index(drop=True), outs["region"])
                & select_matrix(stage.reset_index(drop=True), outs["stage"])
            )
            when = _period_mask(outs, periods)
            mask = hit[:, :, None] & when[:, None, :]
            factors = np.where(mask, outs["factor"].to_numpy()[:, None, None], 1.0)
            cap = cap * factors.prod(axis=0)
        out.append(cap)
    return out[0], out[1]


def _normal_flow(
    levers: Levers,
    periods: pd.DataFrame,
    arcs: pd.DataFrame,
    normal_flow: xr.DataArray | None,
) -> np.ndarray:
    """[arc, period] reference flow in t/yr (NaN where no lever needs it)."""
    shape = (len(arcs), len(periods))
    if normal_flow is None:
        if levers.needs_normal_flow():
            raise LeverError("a share-of-normal bound or licence needs a normal flow")
        return np.full(shape, np.nan)
    aligned = normal_flow.reindex(arc=list(arcs.index), period=list(periods.index))
    return np.asarray(aligned.fillna(0.0).transpose("arc", "period").to_numpy(), dtype=float)


def _taxes(
    levers: Levers, periods: pd.DataFrame, arcs: pd.DataFrame, demand: pd.DataFrame
) -> np.ndarray:
    taxes = levers.taxes
    if len(taxes) == 0:
        return np.zeros((len(arcs), len(periods)))
    arc_m = _arc_mask(taxes, arcs)
    when = _period_mask(taxes, periods)
    # ad valorem base: the lever's ref_price, else the median reference price of the material
    median = demand.groupby("material")["ref_price"].median()
    base = np.where(
        np.isnan(taxes["ref_price"].to_numpy())[:, None],
        arcs["material"].map(median).astype(float).to_numpy()[None, :],
        taxes["ref_price"].to_numpy()[:, None],
    )  # [row, arc]
    ad_val = taxes["ad_valorem"].to_numpy()[:, None]
    missing = (ad_val > 0) & np.isnan(base) & arc_m
    if missing.any():
        row, arc = np.argwhere(missing)[0]
        raise LeverError(
            f"lever table 'taxes', row {row}: ad valorem tax on arc {arcs.index[arc]} needs "
            "ref_price (no demand reference price for its material)"
        )
    per_t = taxes["usd_per_t"].to_numpy()[:, None] + ad_val * np.nan_to_num(base)
    tax = (arc_m * per_t)[:, :, None] * when[:, None, :]
    return np.asarray(tax.sum(axis=0), dtype=float)


def _arc_upper(
    levers: Levers,
    periods: pd.DataFrame,
    arcs: pd.DataFrame,
    normal: np.ndarray,
    months_per_period: int,
) -> tuple[np.ndarray, LicenceQueue | None]:
    """[arc, period] upper bound on trade in t per period (the tightest lever wins): bounds,
    and what a licence regime's queue has approved (optimize.licences, also returned)."""
    length = periods["length"].to_numpy()
    upper = np.full((len(arcs), len(periods)), np.inf)
    bounds = levers.arc_bounds
    if len(bounds):
        mask = _arc_mask(bounds, arcs)[:, :, None] & _period_mask(bounds, periods)[:, None, :]
        rate = _bound_rates(bounds, normal)  # [row, arc, period] t/yr
        upper = np.where(mask, rate, np.inf).min(axis=0) * length[None, :]
    lic = levers.licences
    if len(lic) == 0:
        return upper, None
    in_force = _arc_mask(lic, arcs)[:, :, None] & _period_mask(lic, periods)[:, None, :]
    queue = licence_queue(lic, in_force, normal, length, months_per_period)
    return np.minimum(upper, queue.cap), queue


def _bound_rates(table: pd.DataFrame, normal: np.ndarray) -> np.ndarray:
    flow = table["max_flow"].to_numpy()[:, None, None]
    share = table["max_share"].to_numpy()[:, None, None] * normal[None, :, :]
    return np.fmin(np.where(np.isnan(flow), np.inf, flow), np.where(np.isnan(share), np.inf, share))


def _kernel(
    periods: pd.DataFrame, arcs: pd.DataFrame, months_per_period: int
) -> dict[int, np.ndarray]:
    """Delivery kernel: lag in periods -> share of a departure arriving after that lag.

    A lead time of d periods (fractional) arrives floor(d) periods later with share
    1 - frac(d) and ceil(d) periods later with share frac(d). (A licence's processing time
    comes before departure: optimize.licences.)
    """
    months = np.repeat(arcs["lead_time_months"].to_numpy()[:, None], len(periods), axis=1)
    d = months / months_per_period
    # guard against 2.9999999 from day conversions
    d = np.where(np.isclose(d, np.round(d), atol=1e-9), np.round(d), d)
    lo = np.floor(d).astype(int)
    frac = d - lo
    kernel: dict[int, np.ndarray] = {}
    for lag in sorted(set(np.unique(lo)) | set(np.unique(lo[frac > 0] + 1))):
        w = np.where(lo == lag, 1.0 - frac, 0.0) + np.where(lo + 1 == lag, frac, 0.0)
        if np.any(w > 0):
            kernel[int(lag)] = w
    return kernel


def _agreements(
    network: Network, levers: Levers, periods: pd.DataFrame, arcs: pd.DataFrame
) -> tuple[pd.DataFrame, xr.DataArray, xr.DataArray]:
    """Contracted min / max flow per agreement arc and period (t per period)."""
    ag = _numbers(network.agreements, "agreements", ["volume_min", "volume_max"]).copy()
    # an empty table reads its key columns as floats: make them text so merges line up
    for col in ("agreement", "seller_region", "buyer_region", "material"):
        ag[col] = ag[col].astype(object) if len(ag) else ag[col].astype(str)
    _unique_key(ag, "agreements", "agreement")
    same = ag["seller_region"] == ag["buyer_region"]
    if same.any():
        raise NetworkError(
            f"agreement {ag['agreement'][same].iloc[0]}: seller_region equals buyer_region; "
            "an agreement is a flow between two regions"
        )
    sus = levers.agreement_suspensions
    unknown = ~sus["agreement"].isin(ag["agreement"])
    if unknown.any():
        raise LeverError(
            f"lever table 'agreement_suspensions': unknown agreement "
            f"'{sus['agreement'][unknown].iloc[0]}'"
        )
    # the contracted arc: the cheapest arc seller -> buyer for the material
    cheapest = (
        arcs.reset_index(drop=True)
        .sort_values(["cost", "arc"])
        .drop_duplicates(["origin", "destination", "material"])
    )
    ag = ag.merge(
        cheapest[["arc", "origin", "destination", "material"]],
        left_on=["seller_region", "buyer_region", "material"],
        right_on=["origin", "destination", "material"],
        how="left",
    )
    if ag["arc"].isna().any():
        row = ag[ag["arc"].isna()].iloc[0]
        raise NetworkError(
            f"agreement {row['agreement']}: no arc {row['seller_region']} -> "
            f"{row['buyer_region']} for {row['material']}"
        )
    ag = ag.set_index(_index(ag["agreement"], "agreement"))
    pidx = _index(periods.index, "period")
    aidx = _index(sorted(set(ag["arc"])), "arc")
    if len(ag) == 0:
        empty = _da(np.zeros((0, len(periods))), aidx, pidx)
        return ag, empty, empty
    length = periods["length"].to_numpy()[None, :]
    in_force = in_range(periods["mid"], pd.to_datetime(ag["start"]), pd.to_datetime(ag["end"]))
    # remaining share after suspensions: 1 - share from start + notice (several multiply)
    remain = np.ones((len(ag), len(periods)))
    if len(sus):
        effective = sus["start"] + pd.to_timedelta(sus["notice_days"], unit="D")
        when = in_range(periods["mid"], effective, pd.Series(pd.NaT, index=sus.index))
        hit = select_matrix(pd.Series(list(ag.index), dtype=object), sus["agreement"])
        factor = np.where(
            hit[:, :, None] & when[:, None, :], 1.0 - sus["share"].to_numpy()[:, None, None], 1.0
        )
        remain = factor.prod(axis=0)
    vmin = ag["volume_min"].fillna(0.0).to_numpy()[:, None] * length * remain
    vmax = ag["volume_max"].fillna(np.inf).to_numpy()[:, None] * length * remain
    vmin = np.where(in_force, vmin, 0.0)
    vmax = np.where(in_force, vmax, np.inf)
    frame_min = pd.DataFrame(vmin, columns=list(periods.index)).groupby(ag["arc"].to_numpy()).sum()
    frame_max = pd.DataFrame(vmax, columns=list(periods.index)).groupby(ag["arc"].to_numpy()).sum()
    agree_min = _da(frame_min.reindex(list(aidx)).to_numpy(), aidx, pidx)
    agree_max = _da(frame_max.reindex(list(aidx)).to_numpy(), aidx, pidx)
    return ag, agree_min, agree_max


def _quotas(
    levers: Levers, periods: pd.DataFrame, arcs: pd.DataFrame
) -> tuple[xr.DataArray, xr.DataArray]:
    q = levers.quotas
    names = [str(n) if isinstance(n, str) and n else f"quota{i}" for i, n in enumerate(q["quota"])]
    qidx = _index(names, "quota")
    if len(set(names)) != len(names):
        raise LeverError("lever table 'quotas': quota names must be unique")
    coef = _arc_mask(q, arcs)[:, :, None] & _period_mask(q, periods)[:, None, :]
    return (
        _da(coef.astype(float), qidx, _index(arcs.index, "arc"), _index(periods.index, "period")),
        _da(q["total"].to_numpy(), qidx),
    )
