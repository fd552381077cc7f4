"""The levers as arrays of the LP: capacity overrides and outages, bounds, licences, taxes,
agreements and quotas over the horizon's periods and the network's arcs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from rareflow.horizon import in_range
from rareflow.network import Network
from rareflow.optimize.arrays import data_array, labels, numeric_columns
from rareflow.optimize.levers import LeverError, Levers, select_matrix
from rareflow.optimize.licences import LicenceQueue, licence_queue


def announced_ahead(levers: Levers, arcs: pd.DataFrame, periods: pd.DataFrame) -> np.ndarray:
    """[row, arc, period] of bans and licences: announced and not yet in force."""
    rows = [t for t in (levers.arc_bounds, levers.licences) if len(t)]
    if not rows:
        return np.zeros((0, len(arcs), len(periods)), dtype=bool)
    table = pd.concat(
        [r[["origin", "destination", "material", "announced", "start"]] for r in rows]
    )
    when = in_range(periods["mid"], table["announced"], table["start"])
    when &= table["announced"].notna().to_numpy()[:, None]
    return arc_mask(table, arcs)[:, :, None] & when[:, None, :]


def period_mask(table: pd.DataFrame, periods: pd.DataFrame) -> np.ndarray:
    return in_range(periods["mid"], table["start"], table["end"])


def arc_mask(table: pd.DataFrame, arcs: pd.DataFrame) -> np.ndarray:
    """[lever rows, arcs]: the row's origin, destination and material selectors all match."""
    m = select_matrix(arcs["origin"], table["origin"])
    m &= select_matrix(arcs["destination"], table["destination"])
    m &= select_matrix(arcs["material"], table["material"])
    return m


def apply_capacity_levers(
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
            when = period_mask(over, periods)
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
            when = period_mask(outs, periods)
            mask = hit[:, :, None] & when[:, None, :]
            factors = np.where(mask, outs["factor"].to_numpy()[:, None, None], 1.0)
            cap = cap * factors.prod(axis=0)
        out.append(cap)
    return out[0], out[1]


def normal_flows(
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


def arc_taxes(
    levers: Levers, periods: pd.DataFrame, arcs: pd.DataFrame, demand: pd.DataFrame
) -> np.ndarray:
    taxes = levers.taxes
    if len(taxes) == 0:
        return np.zeros((len(arcs), len(periods)))
    arc_m = arc_mask(taxes, arcs)
    when = period_mask(taxes, periods)
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


def arc_upper_bounds(
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
        mask = arc_mask(bounds, arcs)[:, :, None] & period_mask(bounds, periods)[:, None, :]
        rate = bound_rates(bounds, normal)  # [row, arc, period] t/yr
        upper = np.where(mask, rate, np.inf).min(axis=0) * length[None, :]
    lic = levers.licences
    if len(lic) == 0:
        return upper, None
    in_force = arc_mask(lic, arcs)[:, :, None] & period_mask(lic, periods)[:, None, :]
    queue = licence_queue(lic, in_force, normal, length, months_per_period)
    return np.minimum(upper, queue.cap), queue


def bound_rates(table: pd.DataFrame, normal: np.ndarray) -> np.ndarray:
    flow = table["max_flow"].to_numpy()[:, None, None]
    share = table["max_share"].to_numpy()[:, None, None] * normal[None, :, :]
    return np.fmin(np.where(np.isnan(flow), np.inf, flow), np.where(np.isnan(share), np.inf, share))


def delivery_kernel(
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


def contracted_arcs(network: Network, arcs: pd.DataFrame) -> pd.DataFrame:
    """The network's agreements, each with its contracted arc (the cheapest arc seller ->
    buyer for the material) and its start and end as dates: what agreement_bounds needs of
    the network, the same for every information state and sample (NetworkArrays keeps it)."""
    ag = numeric_columns(network.agreements, ["volume_min", "volume_max"]).copy()
    # an empty table reads its key columns as floats: make them text so merges line up
    for col in ("agreement", "seller_region", "buyer_region", "material"):
        ag[col] = ag[col].astype(object) if len(ag) else ag[col].astype(str)
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
    for col in ("start", "end"):
        ag[col] = pd.to_datetime(ag[col])
    return ag.set_index(labels(ag["agreement"], "agreement"))


def agreement_bounds(
    agreements: pd.DataFrame, levers: Levers, periods: pd.DataFrame
) -> tuple[xr.DataArray, xr.DataArray]:
    """Contracted min / max flow per agreement arc and period (t per period) of the
    agreements with their arcs (contracted_arcs), after the levers' suspensions."""
    ag = agreements
    sus = levers.agreement_suspensions
    unknown = ~sus["agreement"].isin(ag["agreement"])
    if unknown.any():
        raise LeverError(
            f"lever table 'agreement_suspensions': unknown agreement "
            f"'{sus['agreement'][unknown].iloc[0]}'"
        )
    pidx = labels(periods.index, "period")
    aidx = labels(sorted(set(ag["arc"])), "arc")
    if len(ag) == 0:
        empty = data_array(np.zeros((0, len(periods))), aidx, pidx)
        return empty, empty
    length = periods["length"].to_numpy()[None, :]
    in_force = in_range(periods["mid"], ag["start"], ag["end"])
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
    # several agreements on one arc add up
    arc_of = aidx.get_indexer(pd.Index(ag["arc"]))
    agree_min = np.zeros((len(aidx), len(periods)))
    agree_max = np.zeros((len(aidx), len(periods)))
    np.add.at(agree_min, arc_of, np.where(in_force, vmin, 0.0))
    np.add.at(agree_max, arc_of, np.where(in_force, vmax, np.inf))
    return data_array(agree_min, aidx, pidx), data_array(agree_max, aidx, pidx)


def quota_arrays(
    levers: Levers, periods: pd.DataFrame, arcs: pd.DataFrame
) -> tuple[xr.DataArray, xr.DataArray]:
    q = levers.quotas
    names = [str(n) if isinstance(n, str) and n else f"quota{i}" for i, n in enumerate(q["quota"])]
    qidx = labels(names, "quota")
    if len(set(names)) != len(names):
        raise LeverError("lever table 'quotas': quota names must be unique")
    coef = arc_mask(q, arcs)[:, :, None] & period_mask(q, periods)[:, None, :]
    return (
        data_array(
            coef.astype(float), qidx, labels(arcs.index, "arc"), labels(periods.index, "period")
        ),
        data_array(q["total"].to_numpy(), qidx),
    )
