"""Stocks of the network: commercial stocks per node sized by base-year throughput, the
buyers' working stocks and China's state reserve room (docs/model.md, "Stocks")."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rareflow.network import Network
from rareflow.network_trade import makers_and_users


def at_year(table: pd.DataFrame, key: str, base_year: int) -> pd.DataFrame:
    """Each key's row of a yearly capacity table in force in the base year (its first row
    where the key starts later)."""
    rows = table[table["year"] <= base_year].sort_values("year")
    first = table.sort_values("year").groupby(key).head(1)
    latest = rows.groupby(key).tail(1)
    return pd.concat([latest, first[~first[key].isin(latest[key])]])


def _throughput(net: Network, base_year: int) -> pd.Series:
    """Base-year capacity of every flow through a (region, material) node, t/yr."""
    supply_cap = at_year(net.supply_capacity, "step", base_year).merge(net.supply, on="step")
    plant_cap = at_year(net.facility_capacity, "facility", base_year).merge(
        net.facilities, on="facility"
    )
    plant_flow = plant_cap.merge(net.process_coefficients, on="process")
    plant_flow["flow"] = plant_flow["capacity"].astype(float) * plant_flow["coefficient"].abs()
    flows = pd.concat(
        [
            supply_cap[["region", "material", "capacity"]].rename(columns={"capacity": "flow"}),
            plant_flow[["region", "material", "flow"]],
            net.demand[["region", "material", "quantity"]].rename(columns={"quantity": "flow"}),
        ]
    )
    return flows.groupby(["region", "material"])["flow"].sum()


def _use(net: Network, base_year: int) -> pd.Series:
    """Base-year use of every (region, material) node, t/yr: final demand plus what plants
    take in at capacity (the recipes of one plant share its capacity: the largest counts)."""
    cap = at_year(net.facility_capacity, "facility", base_year)
    cap = cap[cap["year"] <= base_year]  # a plant that starts later uses nothing in it
    plants = cap.merge(net.facilities, on="facility").merge(net.process_coefficients, on="process")
    plants = plants[plants["coefficient"].astype(float) < 0]
    plants["flow"] = plants["capacity"].astype(float) * -plants["coefficient"].astype(float)
    group = plants["capacity_group"] if "capacity_group" in plants else plants["facility"]
    plants["group"] = group.fillna(plants["facility"])
    taken = plants.groupby(["group", "region", "material"])["flow"].max().reset_index()
    final = net.demand[["region", "material", "quantity"]].rename(columns={"quantity": "flow"})
    both = pd.concat([taken[["region", "material", "flow"]], final])
    return both.groupby(["region", "material"])["flow"].sum()


def stock_table(
    net: Network,
    holding_share: float,
    days: float,
    base_year: int,
    working_days: float = 0.0,
    reserve_tonnes: float = 0.0,
) -> pd.DataFrame:
    """Stocks for every node of a tradable material: capacity `days` of the node's base-year
    throughput, a working stock of `working_days` of its base-year use (what buyers and
    plants hold of their inputs; the planning stage fills it and values it, see
    planning.with_expected_prices; empty until then), holding cost a share of the material's
    median reference price. China's state reserve has room for `reserve_tonnes` of oxides,
    split by China's base-year use of each."""
    made_by, used_by = makers_and_users(net)
    tradable = set(net.materials.loc[net.materials["tradable"].astype(bool), "material"])
    keys = pd.concat([made_by, used_by]).drop_duplicates()
    keys = keys[keys["material"].isin(tradable)].reset_index(drop=True)
    through = _throughput(net, base_year)
    index = pd.MultiIndex.from_frame(keys[["region", "material"]])
    per_day = through.reindex(index).fillna(0.0).to_numpy() / 365.25
    use_per_day = _use(net, base_year).reindex(index).fillna(0.0).to_numpy() / 365.25
    price = net.demand.groupby("material")["ref_price"].median()
    region, material = keys["region"].to_numpy(), keys["material"].to_numpy()
    # no split of the reserve's purchases is published: by China's use of each oxide
    china = (region == "CHN") & keys["material"].str.startswith("oxide:").to_numpy()
    used = np.where(china, use_per_day, 0.0)
    reserve = reserve_tonnes * used / used.sum() if used.sum() > 0 else 0.0 * used
    target = np.minimum(use_per_day * working_days, per_day * days)
    return pd.DataFrame(
        {
            "region": keys["region"].to_numpy(),
            "material": keys["material"].to_numpy(),
            "initial": 0.0,
            # the reserve's room comes on top of commercial stocks
            "capacity": per_day * days + reserve,
            "holding_cost": [holding_share * float(price.get(m, 10_000.0)) for m in material],
            "target": target,
            "reserve": reserve,
        }
    )


def holding_share(net: Network) -> float:
    """The holding cost share the network's stocks were built with (cost / price)."""
    price = net.demand.groupby("material")["ref_price"].median()
    ratio = net.stocks["holding_cost"] / net.stocks["material"].map(price)
    ratio = ratio.replace([np.inf, -np.inf], np.nan).dropna()
    return float(ratio.median()) if len(ratio) else 0.0
