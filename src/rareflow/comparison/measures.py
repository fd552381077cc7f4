"""The measures of a comparison of B against A: shortfall, prices inside and outside China,
trade re-routing, self-sufficiency. Pure functions of two Results (they never solve)."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from rareflow.comparison.common import (
    CHINA,
    KEY_MATERIALS,
    TRADE_TOLERANCE_T,
    _in,
    common_periods,
    years_of,
)
from rareflow.comparison.timeline import month_by_month, shortage_by_sector
from rareflow.metrics.common import NON_RE_STAGES
from rareflow.metrics.reliance import reliance
from rareflow.metrics.traded_prices import ContractTerms, with_volume_weighted
from rareflow.results import Result

# ---------------------------------------------------------------------------------------------
# tables


def _outer(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """A and B side by side on their index, columns suffixed _a and _b."""
    return a.merge(b, how="outer", left_index=True, right_index=True, suffixes=("_a", "_b"))


def shortfall_change(
    a: pd.DataFrame, b: pd.DataFrame, keys: list[str], periods: list[str]
) -> pd.DataFrame:
    """Unserved demand (t over the periods) of A and B by `keys`, and B minus A."""
    cols = ["reference", "unserved"]
    ga = _in(a, periods).groupby(keys)[cols].sum()
    gb = _in(b, periods).groupby(keys)[cols].sum()
    out = _outer(ga, gb).fillna(0.0)
    out["change_t"] = out["unserved_b"] - out["unserved_a"]
    out["share_a"] = out["unserved_a"] / out["reference_a"].where(out["reference_a"] > 0)
    out["share_b"] = out["unserved_b"] / out["reference_b"].where(out["reference_b"] > 0)
    out = out.reset_index()
    order = out["change_t"].abs().sort_values(ascending=False, kind="stable").index
    return out.loc[order].reset_index(drop=True)


def expand_materials(patterns: Iterable[str], available: Iterable[str]) -> list[str]:
    """Materials matching ids or fnmatch patterns ('magnet:*'), in the order given."""
    avail = sorted(set(available))
    out: list[str] = []
    for pattern in patterns:
        for m in [pattern] if pattern in avail else fnmatch.filter(avail, pattern):
            if m not in out:
                out.append(m)
    return out


def use_weights(result: Result, periods: list[str]) -> pd.Series:
    """Demand of each (region, material) over the periods, t: reference final demand plus use
    as a process input. The weights of the 'outside China' prices."""
    sf = _in(result.shortfalls, periods)
    final = sf.groupby(["region", "material"])["reference"].sum()
    fl = _in(result.flows, periods)
    fl = fl[fl["kind"] == "process_input"]
    inter = fl.assign(value=fl["value"].astype(float).abs()).groupby(["region", "material"])
    total = final.add(inter["value"].sum(), fill_value=0.0)
    return total.astype(float)


def _price_series(
    result: Result, materials: list[str], periods: list[str], weights: pd.Series
) -> pd.DataFrame:
    """China's price and the demand-weighted price of the other regions, by material and
    period (USD/kg), with the volume-weighted prices buyers pay on contracts and spot beside
    them (china_vw, outside_vw; rareflow.metrics.traded_prices). Where the other regions have
    no demand at all, their plain mean."""
    p = _in(result.prices, periods)
    p = p[p["material"].isin(materials)].dropna(subset=["price"])
    china = p[p["region"] == CHINA].groupby(["material", "period"])["price"].mean()
    rest = p[p["region"] != CHINA].copy()
    w = weights.rename("w").reset_index()
    rest = rest.merge(w, on=["region", "material"], how="left")
    rest["w"] = rest["w"].fillna(0.0)
    has_weight = rest.groupby("material")["w"].transform("sum") > 0
    rest["w"] = rest["w"].where(has_weight, 1.0)
    rest["pw"] = rest["price"] * rest["w"]
    g = rest.groupby(["material", "period"])[["pw", "w"]].sum()
    outside = (g["pw"] / g["w"].where(g["w"] > 0)).rename("outside")
    out = pd.concat([china.rename("china"), outside], axis=1).reset_index()
    return with_volume_weighted(out, ContractTerms.of(result))


def price_change(
    a: Result,
    b: Result,
    periods: list[str],
    materials: Iterable[str] = KEY_MATERIALS,
    names: tuple[str, str] = ("A", "B"),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(summary, series): mean prices inside China and outside it in A and B (USD/kg), their
    changes and the gap outside minus inside; the series by period for the charts."""
    available = set(a.prices["material"].astype(str)) | set(b.prices["material"].astype(str))
    mats = expand_materials(materials, available)
    weights = use_weights(a, periods)
    sa = _price_series(a, mats, periods, weights).assign(scenario=names[0])
    sb = _price_series(b, mats, periods, weights).assign(scenario=names[1])
    series = pd.concat([sa, sb], ignore_index=True)
    ma = sa.groupby("material")[["china", "outside", "outside_vw"]].mean()
    mb = sb.groupby("material")[["china", "outside", "outside_vw"]].mean()
    out = _outer(ma, mb).reindex(mats)
    out["change_china"] = out["china_b"] - out["china_a"]
    out["change_outside"] = out["outside_b"] - out["outside_a"]
    out["change_china_pct"] = 100 * out["change_china"] / out["china_a"].where(out["china_a"] > 0)
    out["change_outside_pct"] = (
        100 * out["change_outside"] / out["outside_a"].where(out["outside_a"] > 0)
    )
    out["gap_a"] = out["outside_a"] - out["china_a"]
    out["gap_b"] = out["outside_b"] - out["china_b"]
    out.index.name = "material"
    return out.reset_index(), series


def price_gaps(
    result: Result, periods: list[str], materials: Iterable[str] = KEY_MATERIALS
) -> pd.DataFrame:
    """One run's prices inside China and outside it (use-weighted spot, and the
    volume-weighted price of contracts and spot outside), by material: the means over the
    periods (USD/kg), the spot gap outside minus inside in % of China's mean, and the period
    where the gap is widest with both prices then."""
    mats = expand_materials(materials, set(result.prices["material"].astype(str)))
    series = _price_series(result, mats, periods, use_weights(result, periods)).dropna()
    if series.empty:
        return pd.DataFrame(
            columns=[
                "material",
                "china",
                "outside",
                "outside_vw",
                "gap_pct",
                "widest",
                "china_then",
                "outside_then",
            ]
        )
    series = series.assign(gap=series["outside"] - series["china"])
    means = series.groupby("material")[["china", "outside", "outside_vw"]].mean()
    widest = series.loc[series.groupby("material")["gap"].idxmax()].set_index("material")
    out = means.assign(
        gap_pct=100
        * (means["outside"] - means["china"])
        / means["china"].where(means["china"] > 0),
        widest=widest["period"],
        china_then=widest["china"],
        outside_then=widest["outside"],
    )
    return out.reindex([m for m in mats if m in out.index]).reset_index()


def trade_change(a: Result, b: Result, periods: list[str]) -> pd.DataFrame:
    """Inflow of each importer and material by origin (t over the periods) in A and B."""
    keys = ["destination", "material", "origin"]
    ta = _in(a.trade, periods).groupby(keys)["value"].sum()
    tb = _in(b.trade, periods).groupby(keys)["value"].sum()
    out = pd.concat([ta.rename("a_t"), tb.rename("b_t")], axis=1).fillna(0.0)
    out["change_t"] = out["b_t"] - out["a_t"]
    out["change_t_per_yr"] = out["change_t"] / years_of(periods)
    out = out[out["change_t"].abs() > TRADE_TOLERANCE_T].reset_index()
    order = out["change_t"].abs().sort_values(ascending=False, kind="stable").index
    return out.loc[order].reset_index(drop=True)


def _listing(rows: pd.DataFrame) -> str:
    pairs = zip(rows["origin"], rows["change_t"].astype(float), strict=True)
    parts = [f"{origin} {abs(change):,.0f}" for origin, change in pairs if change]
    return "; ".join(parts)


def replacements(trade: pd.DataFrame) -> pd.DataFrame:
    """Who replaces whom: per importer and material, the origins that lose (t) and gain."""
    rows = []
    for (dest, mat), g in trade.groupby(["destination", "material"], sort=False):
        lost = g[g["change_t"] < 0].sort_values("change_t")
        gained = g[g["change_t"] > 0].sort_values("change_t", ascending=False)
        rows.append(
            {
                "destination": dest,
                "material": mat,
                # + 0.0 turns a -0.0 into 0.0
                "lost_t": float(-lost["change_t"].sum()) + 0.0,
                "gained_t": float(gained["change_t"].sum()) + 0.0,
                "net_t": float(g["change_t"].sum()) + 0.0,
                "losers": _listing(lost),
                "replaced_by": _listing(gained),
            }
        )
    cols = ["destination", "material", "lost_t", "gained_t", "net_t", "losers", "replaced_by"]
    out = pd.DataFrame(rows, columns=cols)
    if out.empty:
        return out
    size = out[["lost_t", "gained_t"]].max(axis=1)
    return out.loc[size.sort_values(ascending=False, kind="stable").index].reset_index(drop=True)


def self_sufficiency_change(a: Result, b: Result, periods: list[str]) -> pd.DataFrame:
    """Domestic output / domestic use by region and stage over the periods, A and B."""
    parts = []
    for res in (a, b):
        flows = _in(res.flows, periods)
        if flows.empty:
            parts.append(pd.DataFrame(columns=["production", "domestic_use"]))
            continue
        rel = reliance(flows, by="stage")
        parts.append(rel.groupby(["region", "stage"])[["production", "domestic_use"]].sum())
    out = _outer(parts[0], parts[1]).fillna(0.0)
    out = out.reset_index()
    out = out[~out["stage"].isin([*NON_RE_STAGES, "other"])]
    for s in ("a", "b"):
        use = out[f"domestic_use_{s}"]
        out[f"self_sufficiency_{s}"] = out[f"production_{s}"] / use.where(use > 1e-9)
    out["change_pp"] = 100 * (out["self_sufficiency_b"] - out["self_sufficiency_a"])
    order = out["change_pp"].abs().fillna(-1).sort_values(ascending=False, kind="stable").index
    return out.loc[order].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# the comparison


@dataclass
class Comparison:
    """Every table of a comparison of B against A over their common periods."""

    name_a: str
    name_b: str
    periods: list[str]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def years(self) -> float:
        return years_of(self.periods)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def write(self, out: Path) -> list[Path]:
        """CSV and Parquet of every table, comparison.json and charts.html in `out`."""
        out.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        for name, frame in self.tables.items():
            for suffix in ("csv", "parquet"):
                path = out / f"{name}.{suffix}"
                if suffix == "csv":
                    frame.to_csv(path, index=False)
                else:
                    frame.to_parquet(path, index=False)
                written.append(path)
        meta = {
            "a": self.name_a,
            "b": self.name_b,
            "periods": [self.periods[0], self.periods[-1]],
            "n_periods": len(self.periods),
            "years": self.years,
            "tables": sorted(self.tables),
        }
        (out / "comparison.json").write_text(json.dumps(meta, indent=2))
        written.append(out / "comparison.json")
        # the charts are the report's; imported here so the measures need no plotly
        from rareflow.report.compare_charts import write_charts

        written.append(write_charts(self, out / "charts.html"))
        return written


def compare_results(
    a: Result,
    b: Result,
    names: tuple[str, str] = ("A", "B"),
    materials: Iterable[str] = KEY_MATERIALS,
) -> Comparison:
    """Compare B against A over the periods both cover."""
    periods = common_periods(a, b)
    tables: dict[str, pd.DataFrame] = {}
    for name, keys in (
        ("shortfall_by_region", ["region"]),
        ("shortfall_by_sector", ["sector"]),
        ("shortfall_by_material", ["material"]),
        ("shortfall_detail", ["region", "sector", "material"]),
    ):
        tables[name] = shortfall_change(a.shortfalls, b.shortfalls, keys, periods)
    tables["prices"], tables["price_series"] = price_change(a, b, periods, materials, names)
    tables["trade_rerouting"] = trade_change(a, b, periods)
    tables["replacements"] = replacements(tables["trade_rerouting"])
    tables["self_sufficiency"] = self_sufficiency_change(a, b, periods)
    tables["month_by_month"] = month_by_month(a, b, periods)
    tables["shortage_by_sector"] = shortage_by_sector(a, b, periods)
    return Comparison(names[0], names[1], periods, tables)
