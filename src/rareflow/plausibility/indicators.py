"""Pure functions: a Result and the reference tables -> indicator values beside their ranges.

Flows and trade in a Result are tonnes per period; every indicator sums them to calendar years,
so the check does not depend on the time step. "base" indicators read the base-year result
when one is given (the network solved over 2024, the year it is calibrated to), else the first
simulated year.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

import pandas as pd

from rareflow.horizon import STEP_MONTHS
from rareflow.metrics.elements import NDPR_BEARING, NDPR_OXIDES
from rareflow.results import Result

NDFEB = ("magnet:NdFeB-HRE", "magnet:NdFeB-LRE")
FEED_PREFIXES = ("concentrate:", "mixed:")
MARKET_FLOWS = ("consumption", "process_input", "process_output", "trade_in", "trade_out")
SHORTAGE_EPS_T = 1e-3  # tonnes: below this a shortage is solver noise
COLUMNS = ("indicator", "scope", "year", "value", "low", "high", "unit", "status", "source")

Measure = Callable[[Result, str, pd.DataFrame], pd.Series]  # -> value per year


def _year(frame: pd.DataFrame) -> pd.Series:
    return frame["period"].astype(str).str[:4].astype(int)


def _flows(result: Result, kind: str) -> pd.DataFrame:
    f = result.flows
    f = f[f["kind"] == kind]
    return f.assign(year=_year(f))


def _years(result: Result) -> list[int]:
    return sorted({int(str(p)[:4]) for p in result.periods})


def _annualise(result: Result) -> pd.Series:
    """Per year, 12 / months simulated, so a horizon ending mid-year reads as t/yr."""
    step = str((result.summary.get("horizon") or {}).get("step", "month"))
    months = STEP_MONTHS.get(step, 1)
    counts = pd.Series([int(str(p)[:4]) for p in result.periods]).value_counts()
    return (12.0 / (counts * months)).clip(lower=1.0)


def _yearly(frame: pd.DataFrame, years: list[int], result: Result) -> pd.Series:
    total = frame.groupby("year")["value"].sum() if len(frame) else pd.Series(dtype=float)
    scale = _annualise(result).reindex(years, fill_value=1.0)
    return (total.reindex(years, fill_value=0.0).astype(float) * scale).astype(float)


def _regions(scope: str) -> list[str]:
    return scope.split("+")


def mine_output(result: Result, scope: str, prices: pd.DataFrame) -> pd.Series:
    f = _flows(result, "production")
    f = f[f["material"].str.startswith("concentrate:") & f["region"].isin(_regions(scope))]
    return _yearly(f, _years(result), result)


def _output(result: Result, materials: tuple[str, ...] | str) -> pd.DataFrame:
    f = _flows(result, "process_output")
    if isinstance(materials, str):
        return f[f["material"].str.startswith(materials)]
    return f[f["material"].isin(materials)]


def _china_share(frame: pd.DataFrame, years: list[int], result: Result) -> pd.Series:
    world = _yearly(frame, years, result)
    china = _yearly(frame[frame["region"] == "CHN"], years, result)
    return (china / world.where(world > 0)).fillna(0.0)


def china_share_separation(result: Result, scope: str, prices: pd.DataFrame) -> pd.Series:
    return _china_share(_output(result, "oxide:"), _years(result), result)


def china_share_magnet(result: Result, scope: str, prices: pd.DataFrame) -> pd.Series:
    return _china_share(_output(result, NDFEB), _years(result), result)


# t of sintered blank per t of finished magnet: the recipe's input per t of magnet
# (process_coefficients.csv: yield 0.78, 0.282 t of scrap), all of the loss taken as machined
# off the blank; China's magnet statistics count blanks (adamas-2020-02-china-ndfeb-2019)
BLANK_PER_MAGNET = 1.282


def china_ndfeb_blanks(result: Result, scope: str, prices: pd.DataFrame) -> pd.Series:
    f = _output(result, NDFEB)
    return _yearly(f[f["region"] == "CHN"], _years(result), result) * BLANK_PER_MAGNET


def dy_oxide_output(result: Result, scope: str, prices: pd.DataFrame) -> pd.Series:
    return _yearly(_output(result, ("oxide:Dy",)), _years(result), result)


def tb_oxide_output(result: Result, scope: str, prices: pd.DataFrame) -> pd.Series:
    return _yearly(_output(result, ("oxide:Tb",)), _years(result), result)


def china_oxide_output(result: Result, scope: str, prices: pd.DataFrame) -> pd.Series:
    """China's output of the oxide `scope` (a material, e.g. oxide:Gd), primary and recycled."""
    f = _output(result, (scope,))
    return _yearly(f[f["region"] == "CHN"], _years(result), result)


def ndpr_output(result: Result, scope: str, prices: pd.DataFrame) -> pd.Series:
    f = _output(result, NDPR_OXIDES)
    return _yearly(f[f["region"].isin(_regions(scope))], _years(result), result)


def _trade(result: Result) -> pd.DataFrame:
    t = result.trade
    return t.assign(year=_year(t))


def china_ndfeb_exports(result: Result, scope: str, prices: pd.DataFrame) -> pd.Series:
    t = _trade(result)
    t = t[(t["origin"] == "CHN") & (t["destination"] != "CHN") & t["material"].isin(NDFEB)]
    return _yearly(t, _years(result), result)


def _import_share(result: Result, importer: str, materials: tuple[str, ...]) -> pd.Series:
    t = _trade(result)
    t = t[
        (t["destination"] == importer) & (t["origin"] != importer) & t["material"].isin(materials)
    ]
    years = _years(result)
    total = _yearly(t, years, result)
    china = _yearly(t[t["origin"] == "CHN"], years, result)
    return (china / total.where(total > 0)).fillna(0.0)


def japan_china_share_ndpr(result: Result, scope: str, prices: pd.DataFrame) -> pd.Series:
    return _import_share(result, scope, NDPR_BEARING)


def japan_china_share_magnet(result: Result, scope: str, prices: pd.DataFrame) -> pd.Series:
    return _import_share(result, scope, NDFEB)


def india_ndpr_exports_to_china(result: Result, scope: str, prices: pd.DataFrame) -> pd.Series:
    t = _trade(result)
    t = t[(t["origin"] == scope) & (t["destination"] == "CHN") & t["material"].isin(NDPR_OXIDES)]
    return _yearly(t, _years(result), result)


def india_feed_imports(result: Result, scope: str, prices: pd.DataFrame) -> pd.Series:
    t = _trade(result)
    feed = t["material"].str.startswith(FEED_PREFIXES)
    t = t[(t["destination"] == scope) & (t["origin"] != scope) & feed]
    return _yearly(t, _years(result), result)


def shortage_share(result: Result, scope: str, prices: pd.DataFrame) -> pd.Series:
    """Worst region/material share of reference demand physically short (wanted at the going
    price, not supplied: the `shortage` column), per year. Demand given up because of price is
    not a shortage."""
    s = result.shortfalls.assign(year=_year(result.shortfalls))
    g = s.groupby(["year", "region", "material"])[["reference", "shortage"]].sum()
    share = (g["shortage"] / g["reference"].where(g["reference"] > 0)).fillna(0.0)
    worst = share.groupby(level="year").max() if len(share) else pd.Series(dtype=float)
    return worst.reindex(_years(result), fill_value=0.0).astype(float)


def choke_price_reached(result: Result, scope: str, prices: pd.DataFrame) -> pd.Series:
    """Region x material pairs whose price reached a choke price in the year. A price at a
    sector's choke price leaves part of the demand that would pay it unserved (`shortage` > 0);
    below it that demand is served in full, so a shortage marks the choke price (a price exactly
    at the choke price with that demand just served is not counted)."""
    s = result.shortfalls
    s = s[s["shortage"] > SHORTAGE_EPS_T]
    pairs = s.assign(year=_year(s))[["year", "region", "material"]].drop_duplicates()
    count = pairs.groupby("year").size() if len(pairs) else pd.Series(dtype=float)
    return count.reindex(_years(result), fill_value=0).astype(float)


def demand_scaling(result: Result, scope: str, prices: pd.DataFrame) -> pd.Series:
    """The largest |factor - 1| by which the base-year calibration moved a material's demand
    (the factors the network keeps in its meta, `demand_calibration`), every year alike."""
    meta = result.summary.get("meta") or {}
    text = meta.get("demand_calibration") if isinstance(meta, dict) else None
    if not text:
        return pd.Series(float("nan"), index=_years(result))
    factors = pd.Series(json.loads(str(text)), dtype=float)
    worst = float((factors - 1.0).abs().max()) if len(factors) else 0.0
    return pd.Series(worst, index=_years(result))


def base_price(prices: pd.DataFrame, material: str, market: str) -> float | None:
    """2024 price of `material` in `market`, falling back to the world price."""
    rows = prices[(prices["material"] == material) & (prices["year"] == 2024)]
    for wanted in (market, "world"):
        hit = rows[rows["market"] == wanted]
        if len(hit):
            return float(hit["price"].iloc[0])
    return None


def _mean_prices(result: Result, material: str) -> pd.DataFrame:
    p = result.prices
    p = p[p["material"] == material]
    return p.assign(year=_year(p)).groupby(["year", "region"])["price"].mean().reset_index()


def oxide_price_ratio_chn(result: Result, scope: str, prices: pd.DataFrame) -> pd.Series:
    ref = base_price(prices, scope, "CHN")
    p = _mean_prices(result, scope)
    china: pd.Series = p[p["region"] == "CHN"].set_index("year")["price"]
    return (china / ref if ref else china * float("nan")).reindex(_years(result))


def _traded(result: Result, material: str) -> pd.DataFrame:
    """(year, region) pairs where `material` changed hands: made, used, consumed or traded.
    A node nothing passes through has a shadow price but no market price."""
    f = result.flows
    f = f[(f["material"] == material) & (f["value"].abs() > 1e-6) & f["kind"].isin(MARKET_FLOWS)]
    return f.assign(year=_year(f))[["year", "region"]].drop_duplicates()


def oxide_price_ratio_exchn(result: Result, scope: str, prices: pd.DataFrame) -> pd.Series:
    """The ratio furthest from 1 among regions outside China where the oxide is made, used or
    traded that year (worst case per year)."""
    ref = base_price(prices, scope, "exCHN")
    p = _mean_prices(result, scope)
    p = p[p["region"] != "CHN"].merge(_traded(result, scope), on=["year", "region"])
    if not ref or p.empty:
        return pd.Series(float("nan"), index=_years(result))
    ratio = p.assign(r=p["price"] / ref, d=(p["price"] / ref - 1.0).abs())
    worst = ratio.loc[ratio.groupby("year")["d"].idxmax()].set_index("year")["r"]
    return worst.reindex(_years(result))


MEASURES: Mapping[str, Measure] = {
    "mine_output": mine_output,
    "china_share_separation": china_share_separation,
    "china_share_magnet": china_share_magnet,
    "china_ndfeb_blanks": china_ndfeb_blanks,
    "china_ndfeb_exports": china_ndfeb_exports,
    "dy_oxide_output": dy_oxide_output,
    "tb_oxide_output": tb_oxide_output,
    "china_oxide_output": china_oxide_output,
    "demand_scaling": demand_scaling,
    "choke_price_reached": choke_price_reached,
    "lynas_ndpr": ndpr_output,
    "aus_mys_ndpr": ndpr_output,
    "china_ndpr_oxide_output": ndpr_output,
    "japan_china_share_ndpr": japan_china_share_ndpr,
    "japan_china_share_magnet": japan_china_share_magnet,
    "shortage_share": shortage_share,
    "oxide_price_ratio_chn": oxide_price_ratio_chn,
    "oxide_price_ratio_exchn": oxide_price_ratio_exchn,
    "india_ndpr_exports_to_china": india_ndpr_exports_to_china,
    "india_feed_imports": india_feed_imports,
}


def _status(value: float, low: float, high: float) -> str:
    if pd.isna(value):
        return "n/a"
    # a small absolute slack so that solver noise on a zero bound is not a fail
    slack = 1e-6 * max(1.0, abs(value))
    ok = (pd.isna(low) or value >= low - slack) and (pd.isna(high) or value <= high + slack)
    return "pass" if ok else "FAIL"


def _num(cell: object) -> float:
    return float("nan") if cell is None else float(str(cell))


def evaluate(
    result: Result, ranges: pd.DataFrame, prices: pd.DataFrame, base: Result | None = None
) -> pd.DataFrame:
    """One row per range and year checked: the measured value, the range and pass/FAIL/n/a.
    "base" ranges read `base` (the base-year solve) when given, else `result`'s first year."""
    rows: list[dict[str, object]] = []
    for r in ranges.itertuples(index=False):
        read = base if (r.horizon == "base" and base is not None) else result
        series = MEASURES[str(r.indicator)](read, str(r.scope), prices)
        if r.horizon == "base":
            series = series.iloc[:1]
        for year, raw in zip(series.index.tolist(), series.tolist(), strict=True):
            value = float(raw)
            rows.append(
                {
                    "indicator": r.indicator,
                    "scope": r.scope,
                    "year": int(year),
                    "value": value,
                    "low": r.low,
                    "high": r.high,
                    "unit": r.unit,
                    "status": _status(value, _num(r.low), _num(r.high)),
                    "source": r.source,
                }
            )
    return pd.DataFrame(rows, columns=list(COLUMNS))
