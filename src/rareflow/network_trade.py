"""Trade arcs of the network: which regions can ship what to whom, at what freight, and the
memory of established suppliers (a switching premium on new routes) and closed routes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from rareflow.network import Network
from rareflow.reference_prices import price_or_inf


def makers_and_users(net: Network) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(region, material) pairs that can make a material, and pairs that can use it."""
    coef = net.process_coefficients
    plants = net.facilities[["region", "process"]]
    made_by = pd.concat(
        [
            net.supply[["region", "material"]],
            coef[coef["coefficient"] > 0].merge(plants, on="process")[["region", "material"]],
        ]
    ).drop_duplicates()
    used_by = pd.concat(
        [
            net.demand[["region", "material"]],
            coef[coef["coefficient"] < 0].merge(plants, on="process")[["region", "material"]],
        ]
    ).drop_duplicates()
    return made_by, used_by


CLOSED_ROUTES = "closed_routes"  # Network.meta key: JSON list of the trade_limits rows


TRADE_MEMORY = "trade_memory"  # Network.meta key: established suppliers and switching premiums

FREIGHT = "freight"  # Network.meta key: JSON {"sea": USD/t of a mean haul, "handling": USD/t}

EARTH_RADIUS_KM = 6371.0


def freight_rule(sea: float, handling: float) -> str:
    """The Network.meta entry of the freight rule (see `route_freight`)."""
    return json.dumps({"sea": float(sea), "handling": float(handling)})


def _great_circle_km(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Great-circle distance in km between (lat, lon) rows of `a` and `b` (degrees)."""
    lat1, lon1, lat2, lon2 = (np.radians(x) for x in (a[:, 0], a[:, 1], b[:, 0], b[:, 1]))
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def route_freight(
    regions: pd.DataFrame, origin: pd.Series, destination: pd.Series, rule: str
) -> np.ndarray:
    """USD/t from each origin to its destination: handling plus the sea rate's remainder
    scaled by the route's great-circle distance over the mean distance between the regions'
    places, so the mean haul costs the sea rate (costs.csv) and a nearer supplier is cheaper
    than a farther one (ties between equal routes would otherwise flip flows between
    suppliers from one period to the next). A region without a place (ROW) ships at the sea
    rate."""
    terms = json.loads(rule)
    sea, handling = float(terms["sea"]), float(terms["handling"])
    if not {"lat", "lon"} <= set(regions.columns):
        return np.full(len(origin), sea)
    places = regions.set_index("region")[["lat", "lon"]].astype(float).dropna()
    points = places.to_numpy()
    if len(points) < 2:
        return np.full(len(origin), sea)
    i, j = np.triu_indices(len(points), k=1)
    mean_km = float(_great_circle_km(points[i], points[j]).mean())
    a = places.reindex(origin.to_numpy()).to_numpy()
    b = places.reindex(destination.to_numpy()).to_numpy()
    km = _great_circle_km(a, b)
    km = np.where(np.isnan(km), mean_km, km)
    return handling + (sea - handling) * km / mean_km


# a trade.csv form stands for these material forms (customs "compounds and metals")
FORM_FAMILY = {"oxide": ("oxide", "metal", "alloy"), "magnet": ("magnet",)}


def trade_memory(
    trade: pd.DataFrame, prices: pd.DataFrame, materials: pd.DataFrame, share: float, year: int
) -> dict[str, object]:
    """Who supplied whom with what in the base year (trade.csv), and the premium USD/t a buyer
    pays per tonne from a supplier it did not use: `share` x the material's reference price."""
    forms = materials.set_index("material")["form"].astype(str)
    rows = trade[trade["year"] == year]
    established: dict[str, list[str]] = {}
    for material in forms.index:
        keys = {material, *(f for f, family in FORM_FAMILY.items() if forms[material] in family)}
        hit = rows[rows["material"].isin(keys)]
        for importer, group in hit.groupby("importer"):
            established[f"{importer}|{material}"] = sorted(set(group["exporter"].astype(str)))
    premium = {}
    for material in forms.index:
        price = price_or_inf(prices, str(material), year)
        if np.isfinite(price):
            premium[str(material)] = share * price
    return {"established": established, "premium": premium}


def relationship_share(costs: pd.DataFrame) -> float:
    """The switching premium as a share of the reference price; 0 when the data set has none."""
    rows = costs[costs["kind"] == "relationship"]
    return float(rows["value"].iloc[0]) if len(rows) else 0.0


def _switching_premium(pairs: pd.DataFrame, memory: dict[str, object]) -> np.ndarray:
    """USD/t on each (region_o, region_d, material) pair: the premium where the buyer has
    established suppliers of the material and this origin is not one of them, else 0."""
    established = memory.get("established", {})
    premium = memory.get("premium", {})
    assert isinstance(established, dict) and isinstance(premium, dict)
    out = np.zeros(len(pairs))
    for i, (o, d, m) in enumerate(
        zip(pairs["region_o"], pairs["region_d"], pairs["material"], strict=True)
    ):
        suppliers = established.get(f"{d}|{m}")
        if suppliers and o not in suppliers:
            out[i] = float(premium.get(m, 0.0))
    return out


def closed_routes(limits: pd.DataFrame) -> list[dict[str, str]]:
    """The rows of `trade_limits` as selector dicts (origin, destination, material,
    except_destination, start, end; "" where empty). Undated ones are closed throughout."""
    keys = ("origin", "destination", "material", "except_destination", "start", "end")
    return [
        {k: "" if _blank(row.get(k)) else str(row[k]) for k in keys}
        for row in limits.to_dict("records")
    ]


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or str(value) == ""


def _closed(pairs: pd.DataFrame, routes: list[dict[str, str]]) -> np.ndarray:
    """Mask of the (region_o, region_d, material) pairs that a closed route covers."""
    from rareflow.optimize.levers import select

    shut = np.zeros(len(pairs), dtype=bool)
    for r in routes:
        hit = (
            select(pairs["region_o"], r["origin"])
            & select(pairs["region_d"], r["destination"])
            & select(pairs["material"], r["material"])
        )
        if r.get("except_destination"):
            hit &= ~select(pairs["region_d"], r["except_destination"])
        shut |= hit
    return shut


def trade_arcs(net: Network) -> pd.DataFrame:
    """An arc for a tradable material from every region that can make it to every other
    region that can use it, at the freight of its route (`route_freight`, the rule in
    `Network.meta["freight"]`), except on the routes closed by law or by an integrated chain
    (`Network.meta["closed_routes"]`, from trade_limits).
    A buyer's arc from a supplier it did not use in the base year also carries the switching
    premium (`Network.meta["trade_memory"]`), so flows keep to established relationships
    unless prices move enough to pay for leaving them."""
    made_by, used_by = makers_and_users(net)
    tradable = set(net.materials.loc[net.materials["tradable"].astype(bool), "material"])
    pairs = made_by.merge(used_by, on="material", suffixes=("_o", "_d"))
    pairs = pairs[(pairs["region_o"] != pairs["region_d"]) & pairs["material"].isin(tradable)]
    routes = json.loads(net.meta.get(CLOSED_ROUTES, "[]"))
    always = [r for r in routes if not r.get("start") and not r.get("end")]
    pairs = pairs[~_closed(pairs, always)]
    premium = _switching_premium(pairs, json.loads(net.meta.get(TRADE_MEMORY, "{}")))
    rule = net.meta.get(FREIGHT, "")
    if rule:
        freight = route_freight(net.regions, pairs["region_o"], pairs["region_d"], rule)
    else:  # a network built by hand: the freight of the arcs it has
        freight = np.full(len(pairs), float(net.arcs["cost"].median()) if len(net.arcs) else 0.0)
    return pd.DataFrame(
        {
            "arc": pairs["region_o"] + ">" + pairs["region_d"] + ":" + pairs["material"],
            "origin": pairs["region_o"],
            "destination": pairs["region_d"],
            "material": pairs["material"],
            "cost": freight + premium,
            "lead_time_months": 0.0,
        }
    ).reset_index(drop=True)
