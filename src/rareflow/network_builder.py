"""Build the `Network` the optimiser reads from the validated reference tables.

Every number here comes from a reference table; the few modelling conventions the builder adds
(how a country's unnamed mining is represented, choke prices, where arcs exist) are parameters
of `BuildOptions`, documented in docs/model.md and written into `Network.meta`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from rareflow.network import (
    BUFFER_RELEASE_PREMIUM,
    CHINA_RESERVE_FLOOR,
    CONTRACT_PRICE_LAG_MONTHS,
    CONTRACT_SHARE,
    PRECAUTIONARY_STOCK_SHARE,
    WORKING_STOCK_DAYS,
    Network,
)
from rareflow.network_stocks import holding_share, stock_table
from rareflow.network_trade import (
    CLOSED_ROUTES,
    FREIGHT,
    TRADE_MEMORY,
    closed_routes,
    freight_rule,
    relationship_share,
    trade_arcs,
    trade_memory,
)
from rareflow.reference_prices import first_existing, price_or_inf, reference_price

CHINA_RESERVE_TONNES = "china_reserve_tonnes"  # policy_rules.csv: the state reserve's room


@dataclass(frozen=True)
class BuildOptions:
    """Modelling conventions of the builder (see docs/model.md)."""

    edition: str = "MCS2025"  # USGS edition whose mine production sets mining capacity
    base_year: int = 2024
    # Willingness to pay is capped at this multiple of the reference price: above it
    # substitutes (ferrite, SmCo, Dy-free designs, thrifting) take over. A stated assumption,
    # used for sectors without their own multiple in sectors.csv.
    choke_multiple: float = 10.0
    elasticity_horizon: str = "short"  # which demand elasticity the blocks use
    # Capacity of the bulk (Fe, B, Co) markets: not a constraint of this model.
    bulk_capacity: float = 1.0e9
    # Mining cost is capped at this share of the concentrate's reference price (see build).
    mining_cost_cap: float = 0.9
    # Commercial stocks per region and material hold at most this many days of the node's
    # base-year throughput capacity (an assumption: inventories are finite, so a scarcity
    # expected years ahead cannot be stored up without limit). Strategic stockpiles are events.
    stock_days: float = 90.0


def _cost(costs: pd.DataFrame, kind: str, keys: list[str]) -> float:
    rows = costs[costs["kind"] == kind]
    return float(first_existing(rows, [*keys, "default"])["value"])


def _elasticity(
    elasticities: pd.DataFrame, materials: pd.DataFrame, material: str, horizon: str
) -> float:
    """Demand elasticity for a material: by material, form, element group, else 'all'."""
    rows = elasticities[(elasticities["side"] == "demand") & (elasticities["horizon"] == horizon)]
    mat = materials.set_index("material").loc[material]
    keys = [material, f"{mat['form']}"]
    if mat.get("group", ""):
        keys.append(str(mat["group"]))
    keys.append("all")
    return float(first_existing(rows, keys, column="scope")["value"])


def _growth_index(
    growth: pd.DataFrame, demand: pd.DataFrame, base_year: int, last_year: int
) -> pd.DataFrame:
    """Multiplier on base-year demand by year, per demand row (region-specific rows win)."""
    years = pd.DataFrame({"year": np.arange(base_year, last_year + 1)})
    keys = demand[["region", "sector", "material"]].drop_duplicates()
    # annual rates by (region or WORLD, sector, year): a row applies to years in (start, end]
    spans = growth.merge(years, how="cross")
    spans = spans[(spans["year"] > spans["start_year"]) & (spans["year"] <= spans["end_year"])]
    rates = spans.groupby(["region", "sector", "year"], as_index=False).agg(
        growth=("growth", "sum")
    )
    specific = set(zip(growth["region"], growth["sector"], strict=True))
    keys = keys.assign(
        rate_region=[
            r if (r, s) in specific else "WORLD"
            for r, s in zip(keys["region"], keys["sector"], strict=True)
        ]
    )
    grid = keys.merge(years, how="cross").merge(
        rates.rename(columns={"region": "rate_region"}),
        on=["rate_region", "sector", "year"],
        how="left",
    )
    grid["growth"] = grid["growth"].fillna(0.0)
    grid = grid.sort_values(["region", "sector", "material", "year"])
    grid["index"] = (
        (1.0 + grid["growth"]).groupby([grid["region"], grid["sector"], grid["material"]]).cumprod()
    )
    return grid[["region", "sector", "material", "year", "index"]].reset_index(drop=True)


def _add_variants(
    facilities: pd.DataFrame, capacity: pd.DataFrame, processes: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A plant whose process has variants (processes.variant_of) may run each of them instead:
    one row per variant, `facility~variant`, in the plant's capacity group, same capacity."""
    if "variant_of" not in processes:
        return facilities, capacity
    variant_of = processes["variant_of"].fillna("")
    variants = processes.loc[variant_of != "", ["process", "variant_of"]]
    if variants.empty:
        return facilities, capacity
    extra = facilities.merge(
        variants.rename(columns={"process": "variant", "variant_of": "process"}), on="process"
    )
    extra["facility"] = extra["facility"] + "~" + extra["variant"]
    extra["process"] = extra["variant"]
    extra_capacity = capacity.merge(
        extra[["capacity_group", "facility"]].rename(columns={"capacity_group": "plant"}),
        left_on="facility",
        right_on="plant",
        suffixes=("_plant", ""),
    )[["facility", "year", "capacity"]]
    return (
        pd.concat([facilities, extra[facilities.columns]], ignore_index=True),
        pd.concat([capacity, extra_capacity], ignore_index=True),
    )


def complete_network(net: Network, base_year: int, stock_days: float = 90.0) -> Network:
    """After facilities or supply were added (a scenario's new plant): give new plants their
    recipe variants, and add the trade arcs and stocks the new makers and users need, at the
    network's existing freight and holding terms. Existing rows are kept as they are."""
    out = net.copy()
    if "capacity_group" not in out.facilities:
        out.facilities["capacity_group"] = out.facilities["facility"]
    out.facilities["capacity_group"] = out.facilities["capacity_group"].fillna(
        out.facilities["facility"]
    )
    plain = out.facilities[~out.facilities["facility"].str.contains("~", regex=False)]
    has_variants = set(
        out.facilities.loc[out.facilities["facility"].str.contains("~"), "capacity_group"]
    )
    new = plain[~plain["facility"].isin(has_variants)]
    if len(new):
        extra, extra_cap = _add_variants(
            new,
            out.facility_capacity[out.facility_capacity["facility"].isin(new["facility"])],
            out.processes,
        )
        added = extra[~extra["facility"].isin(out.facilities["facility"])]
        out.facilities = pd.concat([out.facilities, added], ignore_index=True)
        added_cap = extra_cap[extra_cap["facility"].isin(added["facility"])]
        out.facility_capacity = pd.concat([out.facility_capacity, added_cap], ignore_index=True)
    arcs = trade_arcs(out)
    out.arcs = pd.concat(
        [out.arcs, arcs[~arcs["arc"].isin(set(out.arcs["arc"]))]], ignore_index=True
    )
    known = set(zip(out.stocks["region"], out.stocks["material"], strict=True))
    holding = holding_share(out)
    working = float(out.meta.get(WORKING_STOCK_DAYS, 0.0))
    stocks = stock_table(out, holding, stock_days, base_year, working)
    stocks["reserve"] = 0.0  # the reserve's room was split when the network was built
    fresh = [(r, m) not in known for r, m in zip(stocks["region"], stocks["material"], strict=True)]
    out.stocks = pd.concat([out.stocks, stocks[fresh]], ignore_index=True)
    return out


def _hash_tables(tables: Mapping[str, pd.DataFrame]) -> str:
    digest = hashlib.sha256()
    for name in sorted(tables):
        digest.update(name.encode())
        hashed = pd.util.hash_pandas_object(tables[name], index=False)
        digest.update(hashed.to_numpy().tobytes())
    return digest.hexdigest()[:16]


def _regions_materials(
    tables: Mapping[str, pd.DataFrame],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The regions and materials components, and the materials table with element groups."""
    regions_t = tables["regions"]
    materials_t = tables["materials"].merge(
        tables["elements"][["symbol", "group"]].rename(columns={"symbol": "element"}),
        on="element",
        how="left",
    )
    materials_t["group"] = materials_t["group"].fillna("")
    regions = pd.DataFrame(
        {
            "region": regions_t["code"],
            "name": regions_t["name"],
            "kind": regions_t["kind"],
            "lat": regions_t["lat"].astype(float),
            "lon": regions_t["lon"].astype(float),
        }
    )
    materials = pd.DataFrame(
        {
            "material": materials_t["material"],
            "form": materials_t["form"],
            "element": materials_t["element"].fillna(""),
            "tradable": materials_t["form"] != "bulk",
        }
    )
    return regions, materials, materials_t


def _active_facilities(tables: Mapping[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Facilities that are not closed with their stage: (mines, plants)."""
    processes_t = tables["processes"]
    facilities_t = tables["facilities"]
    stage_of = processes_t.set_index("process")["stage"]
    facilities_t = facilities_t.assign(stage=facilities_t["process"].map(stage_of))
    active = facilities_t["status"] != "closed"
    mines = facilities_t[(facilities_t["stage"] == "mining") & active]
    plants = facilities_t[(facilities_t["stage"] != "mining") & active]
    return mines, plants


def _mine_steps(
    tables: Mapping[str, pd.DataFrame], mines: pd.DataFrame
) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """Supply steps of the named mines and their capacity by year."""
    costs = tables["costs"]
    capacity_t = tables["facility_capacity"]
    ref_material = tables["processes"].set_index("process")["reference_material"]
    deposit_of = tables["materials"].set_index("material")["deposit"]
    mine_rows = []
    for mine in mines.to_dict("records"):
        material = str(ref_material[mine["process"]])
        deposit = str(deposit_of.get(material, ""))
        cost = _cost(costs, "mining", [mine["facility"], mine["region"], deposit])
        mine_rows.append(
            {
                "step": f"mine:{mine['facility']}",
                "region": mine["region"],
                "material": material,
                "cost": cost,
                "facility": mine["facility"],
            }
        )
    mine_capacity = capacity_t[capacity_t["facility"].isin(mines["facility"])].rename(
        columns={"facility": "step"}
    )[["step", "year", "capacity"]]
    mine_capacity["step"] = "mine:" + mine_capacity["step"]
    return mine_rows, mine_capacity


def _residual_steps(
    tables: Mapping[str, pd.DataFrame], opt: BuildOptions, mines: pd.DataFrame
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each country's unnamed remainder of USGS production, split over its deposits."""
    costs = tables["costs"]
    capacity_t = tables["facility_capacity"]
    production = tables["mine_production"]
    production = production[
        (production["edition"] == opt.edition) & (production["year"] == opt.base_year)
    ]
    named_base = (
        capacity_t[
            capacity_t["facility"].isin(mines["facility"]) & (capacity_t["year"] == opt.base_year)
        ]
        .merge(mines[["facility", "region"]], on="facility")
        .groupby("region")["capacity"]
        .sum()
    )
    shares = tables["region_deposits"]
    residual_rows = []
    residual_capacity = []
    for row in production.to_dict("records"):
        region = str(row["region"])
        remainder = float(row["quantity"]) - float(named_base.get(region, 0.0))
        if remainder <= 0:
            continue
        for dep in shares[shares["region"] == region].to_dict("records"):
            step = f"country:{region}:{dep['deposit']}"
            residual_rows.append(
                {
                    "step": step,
                    "region": region,
                    "material": f"concentrate:{dep['deposit']}",
                    "cost": _cost(costs, "mining", [region, str(dep["deposit"])]),
                    "facility": "",
                }
            )
            residual_capacity.append(
                {
                    "step": step,
                    "year": opt.base_year,
                    "capacity": remainder * float(dep["share"]),
                }
            )
    return residual_rows, residual_capacity


def _bulk_steps(
    tables: Mapping[str, pd.DataFrame],
    opt: BuildOptions,
    regions: pd.DataFrame,
    materials: pd.DataFrame,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Bulk (non-rare-earth) inputs: available in every region at their cost."""
    costs = tables["costs"]
    bulk_rows = []
    bulk_capacity = []
    bulk_materials = materials.loc[materials["form"] == "bulk", "material"]
    for region in regions["region"]:
        for material in bulk_materials:
            step = f"bulk:{region}:{material}"
            bulk_rows.append(
                {
                    "step": step,
                    "region": region,
                    "material": material,
                    "cost": _cost(costs, "bulk", [material]),
                    "facility": "",
                }
            )
            bulk_capacity.append(
                {"step": step, "year": opt.base_year, "capacity": opt.bulk_capacity}
            )
    return bulk_rows, bulk_capacity


def _supply(
    tables: Mapping[str, pd.DataFrame],
    opt: BuildOptions,
    regions: pd.DataFrame,
    materials: pd.DataFrame,
    mines: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Supply steps (named mines, country remainders, bulk inputs) and their capacity."""
    mine_rows, mine_capacity = _mine_steps(tables, mines)
    residual_rows, residual_capacity = _residual_steps(tables, opt, mines)
    bulk_rows, bulk_capacity = _bulk_steps(tables, opt, regions, materials)
    supply = pd.DataFrame(mine_rows + residual_rows + bulk_rows)
    # a mine that produced in the base year covered its cash cost at base-year prices: a
    # tabled cost above `mining_cost_cap` x its concentrate's reference price is lowered to it
    prices_t = tables["prices"]
    is_mine = supply["material"].str.startswith("concentrate:")
    cap = supply.loc[is_mine, "material"].map(
        lambda m: opt.mining_cost_cap * price_or_inf(prices_t, str(m), opt.base_year)
    )
    supply.loc[is_mine, "cost"] = np.minimum(supply.loc[is_mine, "cost"].astype(float), cap)
    supply_capacity = pd.concat(
        [mine_capacity, pd.DataFrame(residual_capacity), pd.DataFrame(bulk_capacity)],
        ignore_index=True,
    )
    return supply, supply_capacity


# Stages under China's total-volume control: mining, and smelting/separation (cracking is its
# first step). From August 2025 the quota also covers imported feed (facts 1.5).
QUOTA_STAGES = ("cracking", "separation")


def china_quota_index(
    tables: Mapping[str, pd.DataFrame], base_year: int, last_year: int
) -> pd.Series:
    """China's mining quota by year relative to the base year's: published quotas where
    there are, after the last one growth at the `china_quota_growth` policy rule."""
    quotas = tables["china_quotas"]
    mining = quotas[quotas["quota"] == "mining"].set_index("year")["value"].astype(float)
    rules = tables["policy_rules"].set_index("rule")["value"]
    growth = float(rules["china_quota_growth"])
    last = int(mining.index.max())
    years = range(base_year, last_year + 1)
    level = {
        y: float(mining[y])
        if y in mining.index
        else float(mining[last]) * (1 + growth) ** (y - last)
        for y in years
        if y in mining.index or y > last
    }
    base = level.get(base_year)
    if base is None:
        raise KeyError(f"china_quotas: no mining quota for the base year {base_year}")
    return pd.Series({y: level[y] / base for y in years if y in level}, name="index")


def _grow_with_quota(
    capacity: pd.DataFrame, key: str, keys: set[str], index: pd.Series, base_year: int
) -> pd.DataFrame:
    """Capacity rows of `keys` after the base year scaled by the quota index: each year's
    capacity (the latest row at or before it) x index[year]."""
    if not keys or index.empty:
        return capacity
    own = capacity[capacity[key].isin(keys)]
    rest = capacity[~capacity[key].isin(keys)]
    rows = []
    for item, group in own.groupby(key):
        by_year = group.set_index("year")["capacity"].astype(float).sort_index()
        for year in index.index:
            earlier = by_year[by_year.index <= year]
            if earlier.empty:
                continue
            factor = float(index[year]) if year > base_year else 1.0
            rows.append(
                {key: item, "year": int(year), "capacity": float(earlier.iloc[-1]) * factor}
            )
        first = int(index.index.min())
        rows.extend(
            {key: item, "year": int(str(y)), "capacity": float(c)}
            for y, c in zip(by_year.index.astype(int), by_year.to_numpy(), strict=True)
            if int(y) < first
        )
    return pd.concat(
        [rest, pd.DataFrame(rows, columns=[key, "year", "capacity"])], ignore_index=True
    )


def _processing(
    tables: Mapping[str, pd.DataFrame], plants: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Processes, their coefficients, facilities (mines are supply steps) and capacities."""
    processes_t = tables["processes"]
    capacity_t = tables["facility_capacity"]
    processes = pd.DataFrame(
        {
            "process": processes_t["process"],
            "stage": processes_t["stage"],
            "cost": processes_t["cost"].astype(float),
            "variant_of": processes_t.get("variant_of", pd.Series("", index=processes_t.index))
            .fillna("")
            .astype(str),
        }
    )
    coefficients = tables["process_coefficients"][["process", "material", "coefficient"]].copy()
    facilities = pd.DataFrame(
        {
            "facility": plants["facility"],
            "region": plants["region"],
            "process": plants["process"],
            "owner": plants["owner"],
            "capacity_group": plants["facility"],
        }
    )
    facility_capacity = capacity_t[capacity_t["facility"].isin(plants["facility"])][
        ["facility", "year", "capacity"]
    ].copy()
    facilities, facility_capacity = _add_variants(facilities, facility_capacity, processes_t)
    return processes, coefficients, facilities, facility_capacity


def _demand(
    tables: Mapping[str, pd.DataFrame],
    opt: BuildOptions,
    materials_t: pd.DataFrame,
    last_year: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Base-year demand with reference prices, elasticities and choke prices; growth index."""
    prices_t = tables["prices"]
    demand_t = tables["demand"]
    demand_t = demand_t[demand_t["year"] == opt.base_year]
    elasticities_t = tables["elasticities"]
    sectors = tables["sectors"]
    multiple = (
        pd.to_numeric(sectors.set_index("sector")["choke_multiple"], errors="coerce")
        if "choke_multiple" in sectors
        else pd.Series(dtype=float)
    )
    # a material's price depends only on whether the region is China's market, its
    # elasticity only on the material: each looked up once, not once per demand row
    prices: dict[tuple[str, bool], float] = {}
    elasticity: dict[str, float] = {}
    demand_rows = []
    for row in demand_t.to_dict("records"):
        material = str(row["material"])
        market = (material, str(row["region"]) == "CHN")
        if market not in prices:
            prices[market] = reference_price(prices_t, material, str(row["region"]), opt.base_year)
        if material not in elasticity:
            elasticity[material] = _elasticity(
                elasticities_t, materials_t, material, opt.elasticity_horizon
            )
        price = prices[market]
        demand_rows.append(
            {
                "region": row["region"],
                "sector": row["sector"],
                "material": material,
                "base_year": opt.base_year,
                "quantity": float(row["quantity"]),
                "ref_price": price,
                "elasticity": elasticity[material],
                "choke_price": price * _choke_multiple(multiple, str(row["sector"]), opt),
            }
        )
    demand = pd.DataFrame(demand_rows)
    demand_growth = _growth_index(tables["demand_growth"], demand, opt.base_year, last_year)
    return demand, demand_growth


def _choke_multiple(multiple: pd.Series, sector: str, opt: BuildOptions) -> float:
    """The sector's choke multiple (sectors.csv), else the builder's default."""
    value = multiple.get(sector)
    return float(value) if value is not None and pd.notna(value) else opt.choke_multiple


def _agreement_table(tables: Mapping[str, pd.DataFrame], regions: pd.DataFrame) -> pd.DataFrame:
    """Agreements with parties mapped to regions; delivered to the destination region."""
    facilities_t = tables["facilities"]
    region_of = dict(zip(facilities_t["facility"], facilities_t["region"], strict=True))
    region_codes = set(regions["region"])
    agreements_t = tables["agreements"]
    return pd.DataFrame(
        {
            "agreement": agreements_t["agreement"],
            "seller_region": [
                s if s in region_codes else region_of.get(s, s) for s in agreements_t["seller"]
            ],
            "buyer_region": agreements_t["destination"],
            "material": agreements_t["material"],
            "start": pd.to_datetime(agreements_t["start"]),
            "end": pd.to_datetime(agreements_t["end"]),
            "volume_min": agreements_t["volume_min"].astype(float),
            "volume_max": agreements_t["volume_max"].astype(float),
        }
    )


def build_network(
    tables: Mapping[str, pd.DataFrame],
    options: BuildOptions | None = None,
    last_year: int = 2040,
) -> Network:
    """Assemble the Network for `options.edition` and `options.base_year` from reference tables,
    one component at a time."""
    opt = options or BuildOptions()
    regions, materials, materials_t = _regions_materials(tables)
    mines, plants = _active_facilities(tables)
    supply, supply_capacity = _supply(tables, opt, regions, materials, mines)
    processes, coefficients, facilities, facility_capacity = _processing(tables, plants)
    demand, demand_growth = _demand(tables, opt, materials_t, last_year)
    # China's mines and separation plants follow its quota (published, then the stated rule)
    quota = china_quota_index(tables, opt.base_year, last_year)
    china_steps = set(
        supply.loc[
            (supply["region"] == "CHN") & supply["material"].str.startswith("concentrate:"), "step"
        ]
    )
    supply_capacity = _grow_with_quota(supply_capacity, "step", china_steps, quota, opt.base_year)
    stage_of = processes.set_index("process")["stage"]
    china_plants = set(
        facilities.loc[
            (facilities["region"] == "CHN")
            & facilities["process"].map(stage_of).isin(QUOTA_STAGES),
            "facility",
        ]
    )
    facility_capacity = _grow_with_quota(
        facility_capacity, "facility", china_plants, quota, opt.base_year
    )

    # trade arcs and stocks follow from who makes and who uses what
    costs = tables["costs"]
    sea = _cost(costs, "transport", ["sea"])
    # handling: what any route costs, however short (the intra-region rate; without one,
    # every route costs the sea rate)
    handling = costs[(costs["kind"] == "transport") & (costs["key"] == "intra_region")]
    freight = freight_rule(sea, float(handling["value"].iloc[0]) if len(handling) else sea)
    holding_cost_share = _cost(costs, "holding", ["default"])
    closed = json.dumps(closed_routes(tables["trade_limits"]))
    memory = json.dumps(
        trade_memory(
            tables["trade"],
            tables["prices"],
            materials,
            relationship_share(costs),
            opt.base_year,
        )
    )
    partial = Network(
        meta={CLOSED_ROUTES: closed, TRADE_MEMORY: memory, FREIGHT: freight},
        regions=regions,
        materials=materials,
        supply=supply,
        supply_capacity=supply_capacity,
        processes=processes,
        process_coefficients=coefficients,
        facilities=facilities,
        facility_capacity=facility_capacity,
        demand=demand,
    )
    arcs = trade_arcs(partial)
    rules = tables["policy_rules"].set_index("rule")["value"].astype(float)
    working = float(rules.get(WORKING_STOCK_DAYS, 0.0))
    reserve = float(rules.get(CHINA_RESERVE_TONNES, 0.0))
    stocks = stock_table(
        partial, holding_cost_share, opt.stock_days, opt.base_year, working, reserve
    )

    meta = {
        "edition": opt.edition,
        "base_year": str(opt.base_year),
        "reference_hash": _hash_tables(tables),
        "options": str(asdict(opt)),
        CLOSED_ROUTES: closed,
        TRADE_MEMORY: memory,
        FREIGHT: freight,
        WORKING_STOCK_DAYS: str(working),
        BUFFER_RELEASE_PREMIUM: str(float(rules.get(BUFFER_RELEASE_PREMIUM, 0.0))),
        CHINA_RESERVE_FLOOR: str(float(rules.get(CHINA_RESERVE_FLOOR, 0.0))),
        PRECAUTIONARY_STOCK_SHARE: str(float(rules.get(PRECAUTIONARY_STOCK_SHARE, 0.0))),
        CONTRACT_SHARE: str(float(rules.get(CONTRACT_SHARE, 0.0))),
        CONTRACT_PRICE_LAG_MONTHS: str(float(rules.get(CONTRACT_PRICE_LAG_MONTHS, 0.0))),
    }
    return Network(
        regions=regions,
        materials=materials,
        supply=supply,
        supply_capacity=supply_capacity,
        processes=processes,
        process_coefficients=coefficients,
        facilities=facilities,
        facility_capacity=facility_capacity,
        arcs=arcs,
        demand=demand,
        demand_growth=demand_growth,
        stocks=stocks,
        agreements=_agreement_table(tables, regions),
        meta=meta,
    )
