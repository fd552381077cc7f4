"""Replay an episode and score it: the model's series lined up with what was observed, and the
error figures of the model beside those of the naive forecasts.

    episode = load_episode("china-2010")
    result = pipeline.run(episode.scenario)          # the base year's vintage, the policy path
    lined = line_up(episode, result, bases, fx)      # date, series, observed, model, naive ...
    table = error_table(lined)                       # per series and overall, per forecaster

The model is calibrated to the base year only, so its value at the base date is the base
year's: the forecaster's base and the observation's are the same number (the last observed
point at or before the base date, else the vintage's reference price). Scores count only
points after the base date.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from rareflow.backtest.episode import Episode
from rareflow.backtest.scores import no_change, overall, score, trend
from rareflow.comparison.common import period_start, period_years
from rareflow.errors import UserError
from rareflow.results import Result

# what China's customs count against the export quota: separated oxides and compounds, metals
# and alloys (HS 2805, 2846); magnets (HS 8505) were outside the quota
QUOTA_FORMS = ("oxide", "metal", "alloy")
# series that are inputs of the policy path, kept in the episode for reference only
INPUTS = ("export_quota",)
FORECASTERS = ("model", "no_change", "trend")
LINEUP_COLUMNS = (
    "series",
    "indicator",
    "material",
    "where",
    "unit",
    "date",
    "observed",
    "model",
    "no_change",
    "trend",
)


class BacktestError(UserError, ValueError):
    """An episode series the model cannot be lined up with (one line for the user)."""


def series_label(indicator: str, material: str, where: str) -> str:
    return " ".join(part for part in (indicator, material, where) if part)


def _period_index(result: Result) -> pd.DataFrame:
    periods = result.periods
    return pd.DataFrame(
        {
            "period": periods,
            "start": [period_start(p) for p in periods],
            "years": [period_years(p) for p in periods],
        }
    )


def _at_dates(by_period: pd.Series, periods: pd.DataFrame, dates: pd.Index) -> pd.Series:
    """The value of the period that contains each date (NaN outside the horizon)."""
    starts = pd.DatetimeIndex(periods["start"])
    ends = starts + pd.to_timedelta(periods["years"] * 365.25, unit="D")
    out = []
    for date in pd.DatetimeIndex(dates):
        hit = np.flatnonzero((starts <= date) & (date < ends))
        out.append(float(by_period.iloc[hit[0]]) if len(hit) else math.nan)
    return pd.Series(out, index=dates, dtype=float)


def _annual(by_period: pd.Series, periods: pd.DataFrame, dates: pd.Index) -> pd.Series:
    """t per period summed over each date's calendar year, as t/yr; NaN unless the horizon
    covers the whole year."""
    frame = periods.assign(value=by_period.to_numpy(dtype=float))
    frame["year"] = pd.DatetimeIndex(frame["start"]).year
    sums = frame.groupby("year")["value"].sum()
    covered = frame.groupby("year")["years"].sum()
    out = [
        float(sums[d.year]) if d.year in sums.index and covered[d.year] > 0.999 else math.nan
        for d in pd.DatetimeIndex(dates)
    ]
    return pd.Series(out, index=dates, dtype=float)


def china_exports(result: Result, destination: str | None = None) -> pd.Series:
    """China's departures of quota forms to other regions (or to `destination`), t per
    period."""
    t = result.trade
    forms = t["material"].astype(str).str.split(":").str[0]
    t = t[(t["origin"] == "CHN") & (t["destination"] != "CHN") & forms.isin(QUOTA_FORMS)]
    if destination is not None:
        t = t[t["destination"] == destination]
    return t.groupby("period")["value"].sum().reindex(result.periods, fill_value=0.0)


def region_code(where: str) -> str | None:
    """The region code an episode's `where` names: a code or a name of regions.csv (China,
    Japan, USA, ...); None for anything else ("outside China")."""
    table = _region_names()
    return table.get(where) or (where if where in table.values() else None)


@functools.cache
def _region_names() -> dict[str, str]:
    from rareflow.data.loader import packaged_dir, read_table
    from rareflow.data.schema import SPECS_BY_NAME

    regions, _ = read_table(SPECS_BY_NAME["regions"], packaged_dir() / "regions.csv")
    return {str(n): str(c) for n, c in zip(regions["name"], regions["code"], strict=True)}


def _flow(result: Result, kind: str, region: str, prefix: str) -> pd.Series:
    """A region's flows of one kind over the materials starting with `prefix`, t per period."""
    f = result.flows
    f = f[
        (f["kind"] == kind)
        & (f["region"] == region)
        & f["material"].astype(str).str.startswith(prefix)
    ]
    return f.groupby("period")["value"].sum().reindex(result.periods, fill_value=0.0)


def mine_output(result: Result, region: str = "CHN") -> pd.Series:
    """A region's mine production (concentrates, t REO) per period."""
    return _flow(result, "production", region, "concentrate:")


def region_price(result: Result, material: str, where: str) -> pd.Series:
    """USD/kg by period: China's price, or outside China the median over the other regions
    that price the material (the regions' prices differ by transport and duties)."""
    p = result.prices[result.prices["material"] == material]
    if where == "China":
        p = p[p["region"] == "CHN"]
    elif where == "outside China":
        p = p[p["region"] != "CHN"]
    else:
        raise BacktestError(f"price series where '{where}': expected 'China' or 'outside China'")
    if p.empty:
        raise BacktestError(f"the model has no price of {material} {where}")
    return p.groupby("period")["price"].median().reindex(result.periods)


def magnet_output(result: Result, region: str) -> pd.Series:
    """A region's magnets made (process output of magnet:*, t) per period."""
    return _flow(result, "process_output", region, "magnet:")


def utilisation(result: Result, region: str, capacity: pd.Series) -> pd.Series:
    """Magnets made / the magnet plants' capacity (`capacity`: t/yr by calendar year), per
    period (NaN where there is no capacity)."""
    periods = _period_index(result)
    years = pd.DatetimeIndex(periods["start"]).year
    cap = capacity.reindex(years).to_numpy(dtype=float) * periods["years"].to_numpy()
    made = magnet_output(result, region).to_numpy(dtype=float)
    share = np.divide(made, cap, out=np.full(len(made), math.nan), where=cap > 0)
    return pd.Series(share, index=result.periods, dtype=float)


def _model_series(
    result: Result,
    indicator: str,
    material: str,
    where: str,
    unit: str,
    dates: pd.Index,
    capacities: Mapping[str, pd.Series] | None = None,
) -> pd.Series:
    periods = _period_index(result)
    code = region_code(where)
    if indicator == "utilisation" and material == "magnets" and code is not None:
        capacity = (capacities or {}).get(code)
        if capacity is None:
            raise BacktestError(f"no magnet capacity of {where} to measure utilisation against")
        # a year's output (t/yr, whole years only) over that year's capacity
        made = _annual(magnet_output(result, code).astype(float), periods, dates)
        cap = capacity.reindex(pd.DatetimeIndex(dates).year).to_numpy(dtype=float)
        return made / np.where(cap > 0, cap, np.nan)
    if indicator == "exports" and where == "China":
        return _annual(china_exports(result).astype(float), periods, dates)
    if indicator == "imports_from_china" and code not in (None, "CHN"):
        return _annual(china_exports(result, code).astype(float), periods, dates)
    if indicator == "production" and code is not None:
        return _annual(mine_output(result, code).astype(float), periods, dates)
    if indicator == "price":
        if unit not in ("USD/kg", "CNY/kg"):
            raise BacktestError(
                f"price series {material} {where}: unit {unit} not USD/kg or CNY/kg"
            )
        return _at_dates(region_price(result, material, where).astype(float), periods, dates)
    raise BacktestError(
        f"observed series '{indicator} {material} {where}': the model has no such series "
        "(expected exports of China, or imports from China, production or magnet "
        "utilisation of a region of regions.csv, or a price in or outside China)"
    )


def model_path(
    result: Result,
    indicator: str,
    material: str,
    where: str,
    capacities: Mapping[str, pd.Series] | None = None,
) -> pd.Series:
    """The model's whole series of one indicator, by period start: export rates in t/yr,
    prices in USD/kg (what the charts draw between the observed points)."""
    periods = _period_index(result)
    starts = pd.DatetimeIndex(periods["start"])
    code = region_code(where) or ""
    if indicator in ("exports", "production", "imports_from_china"):
        flow = {
            "exports": lambda: china_exports(result),
            "production": lambda: mine_output(result, code),
            "imports_from_china": lambda: china_exports(result, code),
        }[indicator]()
        per_year = flow.to_numpy(dtype=float) / periods["years"].to_numpy()
        return pd.Series(per_year, index=starts, dtype=float)
    if indicator == "price":
        values = region_price(result, material, where).to_numpy(dtype=float)
        return pd.Series(values, index=starts, dtype=float)
    capacity = (capacities or {}).get(code)
    if indicator == "utilisation" and capacity is not None:
        share = utilisation(result, code, capacity).to_numpy(dtype=float)
        return pd.Series(share, index=starts, dtype=float)
    raise BacktestError(f"no model series for '{indicator} {material} {where}'")


def _to_usd(values: pd.Series, unit: str, fx: Mapping[int, float]) -> pd.Series:
    """CNY/kg observations in USD/kg at the year's average exchange rate."""
    if unit != "CNY/kg":
        return values
    rates = [fx.get(pd.Timestamp(d).year, math.nan) for d in values.index]
    return values / np.asarray(rates, dtype=float)


def _base(
    observed: pd.Series, base_date: pd.Timestamp, fallback: float
) -> tuple[float, float | None]:
    """The base value (last point at or before the base date, else `fallback`) and the value
    a year before it implied by the last earlier point at least 6 months older (its change
    put at a yearly rate, for the trend forecast; None when nothing older was observed)."""
    known = observed[observed.index <= base_date].sort_index()
    if known.empty:
        return fallback, None
    base = float(known.iloc[-1])
    last = known.index[-1]
    before = known[known.index <= last - pd.DateOffset(months=6)]
    if before.empty:
        return base, None
    gap = (last.year - before.index[-1].year) * 12 + (last.month - before.index[-1].month)
    return base, base * (float(before.iloc[-1]) / base) ** (12.0 / gap)


def line_up(
    episode: Episode,
    result: Result,
    bases: Mapping[tuple[str, str], float],
    fx: Mapping[int, float],
    capacities: Mapping[str, pd.Series] | None = None,
) -> pd.DataFrame:
    """Every observed point after the base date beside the model's value and the naive
    forecasts' (LINEUP_COLUMNS; prices in USD/kg). `bases` maps (material, where) to the
    vintage's base-year value, the base where nothing was observed before the base date;
    `capacities` the magnet plants' t/yr by region code and year (for utilisation)."""
    rows = []
    obs = episode.observed[~episode.observed["indicator"].isin(INPUTS)]
    for (indicator, material, where, unit), group in obs.groupby(
        ["indicator", "material", "where", "unit"], sort=False
    ):
        values = pd.Series(
            group["value"].to_numpy(dtype=float), index=pd.DatetimeIndex(group["date"])
        ).sort_index()
        values = _to_usd(values, str(unit), fx)
        fallback = bases.get((str(material), str(where)), math.nan)
        base, year_before = _base(values, episode.base_date, fallback)
        after = values[values.index > episode.base_date]
        if after.empty:
            continue
        model = _model_series(
            result, str(indicator), str(material), str(where), str(unit), after.index, capacities
        )
        naive_trend = (
            trend(after, base, episode.base_date, year_before)
            if year_before is not None
            else pd.Series(math.nan, index=after.index)
        )
        frame = pd.DataFrame(
            {
                "series": series_label(str(indicator), str(material), str(where)),
                "indicator": indicator,
                "material": material,
                "where": where,
                "unit": "USD/kg" if unit == "CNY/kg" else unit,
                "date": after.index,
                "observed": after.to_numpy(),
                "model": model.to_numpy(),
                "no_change": no_change(after, base).to_numpy(),
                "trend": naive_trend.to_numpy(),
                "base": base,
            }
        )
        rows.append(frame)
    if not rows:
        raise BacktestError(f"episode {episode.name}: no observed point after the base date")
    return pd.concat(rows, ignore_index=True)


def _pooled_log_error(lined: pd.DataFrame, forecaster: str) -> float:
    """Median |ln(forecast / observed)| over every point both are positive at."""
    f = lined[forecaster].to_numpy(dtype=float)
    o = lined["observed"].to_numpy(dtype=float)
    ok = (f > 0) & (o > 0)
    return float(np.median(np.abs(np.log(f[ok] / o[ok])))) if ok.any() else math.nan


def error_table(lined: pd.DataFrame) -> pd.DataFrame:
    """Scores per series and forecaster, then the pooled 'overall' row of each forecaster
    (shares weighted by points, the median of the series' median log errors, and in
    `mdale_points` the median over every point).

    Every forecaster is scored on the same points: those the model's replay reaches (a
    point after the horizon's end, or beyond `--until`, counts for none)."""
    lined = lined[lined["model"].notna()]
    rows: list[dict[str, object]] = []
    for forecaster in FORECASTERS:
        per_series: list[dict[str, object]] = []
        for series, group in lined.groupby("series", sort=False):
            observed = pd.Series(
                group["observed"].to_numpy(), index=pd.DatetimeIndex(group["date"])
            )
            forecast = pd.Series(group[forecaster].to_numpy(), index=observed.index)
            base = float(group["base"].iloc[0])
            s = score(forecast, observed, base, base).as_dict()
            per_series.append({"series": series, "forecaster": forecaster, **s})
        rows += per_series
        pooled = overall(pd.DataFrame(per_series))
        rows.append(
            {
                "series": "overall",
                "forecaster": forecaster,
                "points": float(sum(float(str(r["points"])) for r in per_series)),
                "direction": pooled["direction"],
                "within_2x": pooled["within_2x"],
                "mdale": pooled["mdale"],
                "peak_lag_months": pooled["abs_peak_lag_months"],
                "trough_lag_months": math.nan,
                # the median over every point, not over the series' medians
                "mdale_points": _pooled_log_error(lined, forecaster),
            }
        )
    return pd.DataFrame(rows)
