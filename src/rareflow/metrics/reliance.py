"""Import reliance and self-sufficiency per region, material (or stage) and period.

Definitions (USGS net import reliance, as in the Mineral Commodity Summaries):
- apparent consumption = production + imports - exports - stock change
  (stock change = closing stock - opening stock: a stock build is not consumption);
- net imports = imports - exports;
- import reliance = net imports / apparent consumption (negative for a net exporter);
- domestic use = final consumption + use as input by domestic processes;
- self-sufficiency = domestic output / domestic use.

`production` counts both mining output and process output of the material in the region.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from rareflow.metrics.common import (
    material_stage,
    require_columns,
    result_frame,
    sort_periods,
)

FLOW_COLUMNS = ("kind", "region", "material", "period", "value")

# flows kinds summed into each balance item
_ITEMS: dict[str, tuple[str, ...]] = {
    "production": ("production", "process_output"),
    "imports": ("trade_in",),
    "exports": ("trade_out",),
    "consumption": ("consumption",),
    "process_input": ("process_input",),
    "disposal": ("disposal",),
    "unserved": ("unserved",),
}


def _flows(source: Any) -> pd.DataFrame:
    flows = source if isinstance(source, pd.DataFrame) else result_frame(source, "flows")
    require_columns(flows, FLOW_COLUMNS, "flows")
    return flows


def balance(
    source: Any, initial_stock: Mapping[tuple[str, str], float] | None = None
) -> pd.DataFrame:
    """Material balance by region, material and period from a Result (or its flows frame).

    Columns: region, material, period, production, imports, exports, consumption,
    process_input, disposal, unserved, stock (closing level), stock_change. Values are taken
    as positive tonnages whatever sign convention the engine uses for inputs. The stock change
    is stock_build - stock_release when the flows report them (the engine does); otherwise it
    is the change of the closing level, with the opening stock of the first period
    `initial_stock[(region, material)]`, 0 if not given.
    """
    flows = _flows(source)
    keys = ["region", "material", "period"]
    flows = flows.assign(value=flows["value"].astype(float).abs())
    wide = flows.pivot_table(index=keys, columns="kind", values="value", aggfunc="sum")
    wide = wide.fillna(0.0)
    out = pd.DataFrame(index=wide.index)
    for item, kinds in _ITEMS.items():
        present = [k for k in kinds if k in wide.columns]
        out[item] = wide[present].sum(axis=1) if present else 0.0
    out["stock"] = wide["stock_level"] if "stock_level" in wide.columns else 0.0
    flow_kinds = set(flows["kind"])
    if flow_kinds & {"stock_build", "stock_release"}:
        # the engine reports builds and releases: exact, whatever the opening stock
        build = wide["stock_build"] if "stock_build" in wide.columns else 0.0
        release = wide["stock_release"] if "stock_release" in wide.columns else 0.0
        out["stock_change"] = build - release
        return out.fillna(0.0).reset_index()
    out = out.fillna(0.0).reset_index()
    # otherwise from the closing levels in period order (a missing row is a zero stock)
    order = {p: i for i, p in enumerate(sort_periods(out["period"]))}
    out = out.assign(_order=out["period"].map(order)).sort_values(["region", "material", "_order"])
    opening = out.groupby(["region", "material"])["stock"].shift(1)
    if initial_stock:
        pairs = zip(out["region"], out["material"], strict=True)
        first = pd.Series([initial_stock.get(pair, 0.0) for pair in pairs], index=out.index)
    else:
        first = pd.Series(0.0, index=out.index)
    out["stock_change"] = out["stock"] - opening.fillna(first)
    return out.drop(columns="_order").reset_index(drop=True)


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    with np.errstate(divide="ignore", invalid="ignore"):
        r = num / den
    return r.where(den.abs() > 1e-9)


def reliance(
    source: Any,
    by: str = "material",
    initial_stock: Mapping[tuple[str, str], float] | None = None,
) -> pd.DataFrame:
    """Import reliance and self-sufficiency per region, material (or stage) and period.

    `by="stage"` sums the materials of each stage first (t of all of its materials).
    Columns: region, material|stage, period, production, imports, exports, stock_change,
    apparent_consumption, net_imports, import_reliance, domestic_use, self_sufficiency,
    net_exporter. Ratios are fractions; NaN where the denominator is zero.
    """
    bal = balance(source, initial_stock)
    if by == "stage":
        bal = bal.assign(stage=material_stage(bal["material"]))
        numeric = [c for c in bal.columns if c not in ("region", "material", "period", "stage")]
        bal = bal.groupby(["region", "stage", "period"], as_index=False)[numeric].sum()
        key = "stage"
    elif by == "material":
        key = "material"
    else:
        raise ValueError(f"by must be 'material' or 'stage', not {by!r}")
    out = bal[["region", key, "period", "production", "imports", "exports", "stock_change"]]
    out = out.copy()
    out["apparent_consumption"] = (
        bal["production"] + bal["imports"] - bal["exports"] - bal["stock_change"]
    )
    out["net_imports"] = bal["imports"] - bal["exports"]
    out["import_reliance"] = _ratio(out["net_imports"], out["apparent_consumption"])
    out["domestic_use"] = bal["consumption"] + bal["process_input"]
    out["self_sufficiency"] = _ratio(bal["production"], out["domestic_use"])
    out["net_exporter"] = out["net_imports"] < 0
    return out.reset_index(drop=True)


def group_reliance(
    source: Any,
    regions: tuple[str, ...],
    by: str = "material",
    name: str = "group",
) -> pd.DataFrame:
    """Reliance of a group of regions taken as one (trade inside the group cancels out).

    Needs the Result's trade table for the intra-group flows; `source` must be a Result.
    """
    flows = _flows(source)
    trade = result_frame(source, "trade")
    require_columns(trade, ("origin", "destination", "material", "period", "value"), "trade")
    inside = trade[trade["origin"].isin(regions) & trade["destination"].isin(regions)]
    intra = inside.groupby(["material", "period"], as_index=False)["value"].sum()
    members = flows[flows["region"].isin(regions)].assign(region=name)
    # intra-group shipments are both an export and an import of the group: remove both
    cancel = pd.concat(
        [
            intra.assign(kind="trade_in", region=name, value=-intra["value"]),
            intra.assign(kind="trade_out", region=name, value=-intra["value"]),
        ]
    )
    members = members.assign(value=members["value"].astype(float).abs())
    merged = pd.concat([members, cancel[list(FLOW_COLUMNS)]], ignore_index=True)
    merged = merged.groupby(list(FLOW_COLUMNS[:-1]), as_index=False)["value"].sum()
    # `balance` takes absolute values; cancelled sums are already nonnegative up to rounding
    merged["value"] = merged["value"].clip(lower=0.0)
    return reliance(merged, by=by)
