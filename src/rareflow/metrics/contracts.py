"""Contracts settled on a run's results (reference table contracts.csv): what a price floor
pays, what a ceiling saves the buyer, what an offtake costs its buyer (take-or-pay included),
and the buyer's volume-weighted price beside the spot.

A pure function of a Result and the contracts table; the market solve does not see the
contracts (a floor that keeps a seller producing below cost is not in the LP: a price of
max(spot, floor) is not linear in the solve's dual), so these are settlements of the run's
prices and volumes, not their cause.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rareflow.results import Result

COLUMNS = (
    "contract",
    "kind",
    "period",
    "volume_t",
    "spot_usd_per_kg",
    "contract_usd_per_kg",
    "floor_payment_usd",
    "ceiling_saving_usd",
    "upside_usd",
    "taken_t",
    "take_or_pay_usd",
    "buyer_weighted_usd_per_kg",
)
MADE = ("production", "process_output")
USED = ("consumption", "process_input")


def _period(label: str) -> pd.Period:
    text = str(label).upper()
    freq = "Q" if "Q" in text else "Y" if len(text) == 4 else "M"
    return pd.Period(text, freq=freq)


def _by_period(
    result: Result, kinds: tuple[str, ...], region: str, materials: list[str]
) -> pd.DataFrame:
    f = result.flows
    f = f[f["kind"].isin(kinds) & (f["region"] == region) & f["material"].isin(materials)]
    return f.pivot_table(index="period", columns="material", values="value", aggfunc="sum")


def _spot(result: Result, region: str, materials: list[str], weights: pd.DataFrame) -> pd.Series:
    """USD/kg of the materials at `region`, weighted by `weights` (t by period x material),
    the plain mean where nothing was made."""
    prices = pd.DataFrame({m: result.price(region, m) for m in materials})
    w = weights.reindex(index=prices.index, columns=materials).fillna(0.0)
    total = w.sum(axis=1)
    weighted = (prices * w).sum(axis=1) / total.where(total > 0)
    return weighted.fillna(prices.mean(axis=1))


def _number(row: pd.Series, column: str) -> float | None:
    try:
        value = float(str(row.get(column)))
    except ValueError:
        return None
    return None if np.isnan(value) else value


def settle(result: Result, contracts: pd.DataFrame) -> pd.DataFrame:
    """One row per contract and period it is in force (COLUMNS): the volume it covers (a
    floor: the seller's output of the materials, up to `volume`; an offtake: `volume`, up to
    the seller's output), the spot price at the seller, the contract price (spot, not below
    the floor nor above the ceiling, less the upside handed back), in USD the floor's payment,
    what the ceiling saved the buyer against spot and the upside; for an offtake what its
    buyer took (up to its use of the materials), what it paid for contracted volume it did
    not take (take-or-pay) and its volume-weighted price over its use."""
    periods = result.periods
    spans = [_period(p) for p in periods]
    starts = pd.Series([s.start_time for s in spans], index=periods)
    years = pd.Series(
        [((s + 1).start_time - s.start_time).days / 365.25 for s in spans], index=periods
    )
    rows = [_settle_one(result, row, starts, years) for _, row in contracts.iterrows()]
    found = [r for r in rows if not r.empty]
    if not found:
        return pd.DataFrame(columns=list(COLUMNS))
    return pd.concat(found, ignore_index=True)[list(COLUMNS)]


def _settle_one(
    result: Result, row: pd.Series, starts: pd.Series, years: pd.Series
) -> pd.DataFrame:
    periods = list(starts.index)
    materials = str(row["materials"]).split(";")
    seller, buyer, kind = str(row["seller_region"]), str(row["buyer_region"]), str(row["kind"])
    live = (starts >= pd.Timestamp(f"{row['start']}-01")) & (
        starts < pd.Timestamp(f"{row['end']}-01")
    )
    made = _by_period(result, MADE, seller, materials)
    output = made.sum(axis=1).reindex(periods, fill_value=0.0)
    limit = _number(row, "volume")
    volume = output.clip(upper=limit * years) if limit is not None else output
    spot = _spot(result, seller, materials, made).reindex(periods)
    floor = _number(row, "floor") or 0.0
    ceiling = _number(row, "ceiling")
    share = _number(row, "upside_share") or 0.0
    above = _number(row, "upside_above")
    excess = (spot - above).clip(lower=0.0) if above is not None else 0.0 * spot
    upside = share * excess * volume * 1000.0
    cap = _number(row, "upside_cap")
    if cap is not None:
        upside = upside.clip(upper=cap * years)
    payment = (floor - spot).clip(lower=0.0) * volume * 1000.0
    saving = (spot - ceiling if ceiling is not None else 0.0 * spot).clip(lower=0.0)
    saving = saving * volume * 1000.0
    tonnes_kg = (volume * 1000.0).where(volume > 0)
    price = spot.clip(lower=floor, upper=ceiling) - (upside / tonnes_kg).fillna(0.0)
    weighted = pd.Series(np.nan, index=periods)
    taken = pd.Series(np.nan, index=periods)
    unpaid = 0.0 * spot
    if kind == "offtake":
        use = _by_period(result, USED, buyer, materials)
        used = use.sum(axis=1).reindex(periods, fill_value=0.0)
        buyer_spot = _spot(result, buyer, materials, use).reindex(periods)
        taken = volume.clip(upper=used)
        # take-or-pay: the buyer pays for its share of what the seller offered (the contract
        # volume, up to the seller's output) even where it took less
        due = (_number(row, "take_or_pay") or 0.0) * volume
        unpaid = (due - taken).clip(lower=0.0) * price * 1000.0
        # what it paid per kg it used, the take-or-pay for volume it did not take included
        paid = taken * price + (used - taken) * buyer_spot + unpaid / 1000.0
        weighted = paid / used.where(used > 0)
    frame = pd.DataFrame(
        {
            "contract": str(row["contract"]),
            "kind": kind,
            "period": periods,
            "volume_t": volume.to_numpy(),
            "spot_usd_per_kg": spot.to_numpy(),
            "contract_usd_per_kg": price.to_numpy(),
            "floor_payment_usd": (payment if kind == "floor" else 0.0 * payment).to_numpy(),
            "ceiling_saving_usd": saving.to_numpy(),
            "upside_usd": upside.to_numpy(),
            "taken_t": taken.to_numpy(),
            "take_or_pay_usd": unpaid.to_numpy(),
            "buyer_weighted_usd_per_kg": weighted.to_numpy(),
        }
    )
    return frame[live.to_numpy()]
