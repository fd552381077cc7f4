"""Supply concentration: Herfindahl-Hirschman index and top-1 / top-3 shares.

Every function returns both scales of the HHI so nobody has to guess which one a number is on:
`hhi` is the fraction form, sum of squared shares with shares in 0-1 (so 0-1), and
`hhi_points` is the competition-policy form with shares in percent (0-10,000). The EU
criticality method uses the fraction form.

Inputs are tidy frames (one row per supplier and group); helpers build them from the reference
tables (USGS mine production by edition, deposit assays, facility capacities) or from an
engine Result (production by region and period).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from rareflow.metrics.common import (
    PROCESS_STAGE,
    MetricsError,
    has_table,
    material_element,
    material_stage,
    require_columns,
    result_frame,
    table,
)

CONCENTRATION_COLUMNS = (
    "total",
    "n_suppliers",
    "hhi",
    "hhi_points",
    "top1",
    "top1_share",
    "top3_share",
)


def hhi(values: Sequence[float] | pd.Series) -> float:
    """HHI as a fraction (0-1) of the quantities (or shares) given; NaN if they sum to zero."""
    s = pd.Series(values, dtype=float)
    if (s < 0).any():
        raise MetricsError("HHI needs nonnegative quantities")
    total = s.sum()
    if total <= 0:
        return float("nan")
    return float(((s / total) ** 2).sum())


def concentration(
    data: pd.DataFrame,
    group_by: Sequence[str],
    entity: str,
    value: str = "value",
) -> pd.DataFrame:
    """Concentration of `value` across `entity` within every group of `group_by`.

    Returns one row per group with total, n_suppliers (entities with a positive value),
    hhi (0-1), hhi_points (0-10,000), top1 (the largest entity), top1_share and top3_share
    (fractions). Groups whose total is zero are dropped.
    """
    keys = list(group_by)
    require_columns(data, (*keys, entity, value), "concentration input")
    if (data[value] < 0).any():
        raise MetricsError(f"concentration needs nonnegative '{value}'")
    # one row per entity within the group, positive values only
    agg = data.groupby([*keys, entity], dropna=False, as_index=False)[value].sum()
    agg = agg[agg[value] > 0]
    if agg.empty:
        return pd.DataFrame(columns=[*keys, *CONCENTRATION_COLUMNS])
    grouper = agg.groupby(keys, dropna=False) if keys else None
    total = grouper[value].transform("sum") if grouper is not None else agg[value].sum()
    agg = agg.assign(share=agg[value] / total)
    agg = agg.sort_values([*keys, "share"], ascending=[True] * len(keys) + [False])
    agg["rank"] = agg.groupby(keys, dropna=False).cumcount() if keys else range(len(agg))
    agg["share2"] = agg["share"] ** 2
    agg["top3"] = agg["share"].where(agg["rank"] < 3, 0.0)
    if keys:
        out = agg.groupby(keys, dropna=False).agg(
            total=(value, "sum"),
            n_suppliers=(entity, "size"),
            hhi=("share2", "sum"),
            top3_share=("top3", "sum"),
        )
        first = agg[agg["rank"] == 0].set_index(keys)[[entity, "share"]]
        out = out.join(first.rename(columns={entity: "top1", "share": "top1_share"}))
        out = out.reset_index()
    else:
        first_row = agg.iloc[0]
        out = pd.DataFrame(
            {
                "total": [agg[value].sum()],
                "n_suppliers": [len(agg)],
                "hhi": [agg["share2"].sum()],
                "top3_share": [agg["top3"].sum()],
                "top1": [first_row[entity]],
                "top1_share": [first_row["share"]],
            }
        )
    out["hhi_points"] = out["hhi"] * 10_000.0
    return out[[*keys, *CONCENTRATION_COLUMNS]]


# -- inputs from the reference tables ---------------------------------------------------


def latest_edition(reference: Any) -> str:
    editions = sorted(table(reference, "mine_production")["edition"].astype(str).unique())
    if not editions:
        raise MetricsError("mine_production is empty")
    return editions[-1]


def mine_output(reference: Any, edition: str | None = None) -> pd.DataFrame:
    """USGS mine production by region and year of one edition: region, year, value (t REO)."""
    mp = table(reference, "mine_production")
    ed = edition or latest_edition(reference)
    rows = mp[mp["edition"].astype(str) == ed]
    if rows.empty:
        raise MetricsError(f"mine_production has no edition '{ed}'")
    return rows[["region", "year"]].assign(value=rows["quantity"].astype(float))


def element_mine_output(reference: Any, edition: str | None = None) -> pd.DataFrame:
    """Mine output split by element: country output x deposit mix x deposit assay.

    Returns region, year, element, value (t REO). Countries without a `region_deposits` row
    cannot be split and are left out (their tonnage is reported by `unsplit_mine_output`).
    """
    mines = mine_output(reference, edition)
    mix = table(reference, "region_deposits")[["region", "deposit", "share"]]
    assay = table(reference, "deposit_assays")[["deposit", "element", "share"]]
    split = mines.merge(mix, on="region").merge(assay, on="deposit", suffixes=("_dep", "_el"))
    split["value"] = split["value"] * split["share_dep"] * split["share_el"]
    return split.groupby(["region", "year", "element"], as_index=False).agg(value=("value", "sum"))


def unsplit_mine_output(reference: Any, edition: str | None = None) -> pd.DataFrame:
    """Mine output of countries that have no deposit mix (cannot be split by element)."""
    mines = mine_output(reference, edition)
    known = set(table(reference, "region_deposits")["region"])
    return mines.loc[~mines["region"].isin(known)]


def facility_capacity(reference: Any, year: int) -> pd.DataFrame:
    """Facility capacity in `year` with stage, region and owner.

    A facility without a row for `year` keeps its latest earlier capacity. Returns facility,
    process, stage (mining, cracking, separation, metal, magnet, ...), region, owner, value
    (t/yr of the process's reference material).
    """
    fac = table(reference, "facilities")[["facility", "region", "owner", "process"]]
    cap = table(reference, "facility_capacity")[["facility", "year", "capacity"]]
    proc = table(reference, "processes")[["process", "stage"]]
    cap = cap[cap["year"] <= year].sort_values("year").groupby("facility").tail(1)
    out = fac.merge(cap, on="facility").merge(proc, on="process")
    out["stage"] = out["stage"].map(PROCESS_STAGE).fillna(out["stage"])
    out = out.rename(columns={"capacity": "value"})
    return out[["facility", "process", "stage", "region", "owner", "value"]]


# -- inputs from an engine Result -------------------------------------------------------


def result_production(result: Any) -> pd.DataFrame:
    """Output by region, material and period of a Result (mining and process outputs),
    with stage and element columns added."""
    flows = result_frame(result, "flows")
    require_columns(flows, ("kind", "region", "material", "period", "value"), "result flows")
    rows = flows.loc[flows["kind"].isin(["production", "process_output"])]
    out = rows.groupby(["region", "material", "period"], as_index=False).agg(value=("value", "sum"))
    out["stage"] = material_stage(out["material"])
    out["element"] = material_element(out["material"])
    return out


# -- the full report ---------------------------------------------------------------------


def _tag(frame: pd.DataFrame, **columns: Any) -> pd.DataFrame:
    return frame.assign(**columns)


def reference_concentration(
    reference: Any, year: int | None = None, edition: str | None = None
) -> pd.DataFrame:
    """Concentration from the reference data: mining by country (USGS edition, latest year,
    by country) and by element; every facility stage by country and by company (owner).

    Tidy columns: basis, stage, subject, period, by, plus CONCENTRATION_COLUMNS.
    """
    ed = edition or latest_edition(reference)
    mines = mine_output(reference, ed)
    yr = int(year if year is not None else mines["year"].max())
    parts: list[pd.DataFrame] = []
    m = concentration(mines[mines["year"] == yr], [], "region")
    parts.append(_tag(m, basis=f"mine_production {ed}", stage="mining", subject="all REO"))
    el = element_mine_output(reference, ed)
    el = el[el["year"] == yr]
    if not el.empty:
        e = concentration(el, ["element"], "region").rename(columns={"element": "subject"})
        parts.append(_tag(e, basis=f"mine_production {ed} x assays", stage="mining"))
    # facility stages need the facility tables; without them only mining is reported
    caps = facility_capacity(reference, yr) if has_table(reference, "facilities") else None
    for by, entity in (("country", "region"), ("company", "owner")):
        if caps is None:
            break
        c = concentration(caps, ["stage"], entity)
        parts.append(_tag(c, basis="facility capacity", subject="all", by=by))
    out = pd.concat(parts, ignore_index=True)
    out["by"] = out["by"].fillna("country") if "by" in out else "country"
    out["period"] = yr
    cols = ["basis", "stage", "subject", "period", "by", *CONCENTRATION_COLUMNS]
    return out[cols].sort_values(["basis", "stage", "subject", "by"]).reset_index(drop=True)


def result_concentration(result: Any) -> pd.DataFrame:
    """Concentration of a Result's output by country, per period: every stage (all its
    materials together, in t) and every material (so each element's oxide and metal)."""
    prod = result_production(result)
    parts = [
        _tag(concentration(prod, ["stage", "period"], "region"), subject="all"),
        concentration(prod, ["stage", "material", "period"], "region").rename(
            columns={"material": "subject"}
        ),
    ]
    out = pd.concat(parts, ignore_index=True)
    out["basis"] = "result"
    out["by"] = "country"
    cols = ["basis", "stage", "subject", "period", "by", *CONCENTRATION_COLUMNS]
    return out[cols].sort_values(["stage", "subject", "period"]).reset_index(drop=True)
