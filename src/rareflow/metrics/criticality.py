"""Criticality scores: the EU method (supply risk, economic importance) and a USGS-style
supply risk after Nassar et al. (2020). Formulas and sources are in docs/criticality.md.

EU supply risk (2017 methodology, used for the 2023 list):

    SR = [HHI_WGI,t(GS) x IR/2 + HHI_WGI,t(EU sourcing) x (1 - IR/2)] x (1 - EoL-RIR) x SI_SR
    HHI_WGI,t = sum_c S_c^2 x WGI_c x t_c

with S_c supply shares as fractions, WGI_c the governance score scaled 0-10 (10 = worst),
t_c the trade parameter (1 by default, 0.8 for partners with an EU trade agreement, above 1
for suppliers with export restrictions), IR the EU import reliance (0-1) and EoL-RIR the
end-of-life recycling input rate (0-1). With no EU sourcing data the EU itself uses global
supply only ("GS only"): both terms then use the global HHI.

EU economic importance: EI = sum_s (A_s x Q_s) x SI_EI, A_s the end-use share of NACE
2-digit sector s and Q_s its value added, scaled 0-10 by the value added of the largest
sector (`reference_value_added`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from rareflow.metrics.common import (
    EU_GROUPS,
    EU_REGIONS,
    MetricsError,
    has_table,
    material_element,
    material_form,
    require_columns,
    result_frame,
    table,
)
from rareflow.metrics.concentration import element_mine_output, facility_capacity
from rareflow.metrics.reliance import group_reliance

Shares = Mapping[str, float] | pd.Series


def _as_series(values: Shares, what: str) -> pd.Series:
    s = pd.Series(values, dtype=float)
    if (s < 0).any():
        raise MetricsError(f"{what}: negative supply")
    s = s[s > 0]
    if s.empty:
        raise MetricsError(f"{what}: no supply")
    return s / s.sum()


def hhi_wgi_t(
    supply: Shares,
    governance: Shares,
    trade: Mapping[str, float] | None = None,
) -> float:
    """sum_c S_c^2 x WGI_c x t_c, with S_c the supply shares (normalised here), WGI_c on the
    0-10 scale and t_c 1 unless `trade` gives it."""
    shares = _as_series(supply, "HHI_WGI,t")
    gov = pd.Series(governance, dtype=float)
    missing = sorted(set(shares.index) - set(gov.dropna().index))
    if missing:
        raise MetricsError(f"no governance score for {missing}")
    t = pd.Series({c: (trade or {}).get(c, 1.0) for c in shares.index}, dtype=float)
    return float((shares**2 * gov.reindex(shares.index) * t).sum())


@dataclass(frozen=True)
class SupplyRisk:
    """The parts and the result of one EU supply-risk computation."""

    hhi_wgi_t_global: float
    hhi_wgi_t_eu: float
    import_reliance: float
    eol_rir: float
    si_sr: float
    supply_risk: float
    eu_sourcing: str  # "GS+EU" or "GS only"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def eu_supply_risk(
    global_supply: Shares,
    eu_sourcing: Shares | None,
    import_reliance: float,
    eol_rir: float,
    si_sr: float,
    governance: Shares,
    trade_global: Mapping[str, float] | None = None,
    trade_eu: Mapping[str, float] | None = None,
) -> SupplyRisk:
    """EU supply risk. `import_reliance` and `eol_rir` are fractions; a net exporter's
    negative reliance counts as 0 and reliance above 1 as 1, as the EU bounds IR to 0-100%."""
    for name, v in (("eol_rir", eol_rir), ("si_sr", si_sr)):
        if not 0.0 <= v <= 1.0:
            raise MetricsError(f"{name} must be within 0-1, got {v}")
    ir = float(np.clip(import_reliance, 0.0, 1.0))
    gs = hhi_wgi_t(global_supply, governance, trade_global)
    if eu_sourcing is None or pd.Series(eu_sourcing, dtype=float).sum() <= 0:
        eu, basis = gs, "GS only"
    else:
        eu, basis = hhi_wgi_t(eu_sourcing, governance, trade_eu), "GS+EU"
    sr = (gs * ir / 2 + eu * (1 - ir / 2)) * (1 - eol_rir) * si_sr
    return SupplyRisk(gs, eu, ir, eol_rir, si_sr, sr, basis)


def eu_economic_importance(
    end_use_shares: Mapping[str, float],
    value_added: Mapping[str, float],
    si_ei: float,
    reference_value_added: float | None = None,
) -> float:
    """EI = sum_s A_s x Q_s / Q_ref x 10 x SI_EI.

    `end_use_shares` A_s (fractions, by sector), `value_added` Q_s (any currency unit, same
    for all sectors and Q_ref), Q_ref the value added of the largest 2-digit manufacturing
    sector (defaults to the largest Q_s given)."""
    a = pd.Series(end_use_shares, dtype=float)
    q = pd.Series(value_added, dtype=float)
    missing = sorted(set(a.index) - set(q.index))
    if missing:
        raise MetricsError(f"no value added for sectors {missing}")
    if (a < 0).any() or a.sum() > 1.0 + 1e-9:
        raise MetricsError("end-use shares must be nonnegative and sum to at most 1")
    q_ref = float(reference_value_added if reference_value_added is not None else q.max())
    if q_ref <= 0:
        raise MetricsError("reference value added must be positive")
    return float((a * q.reindex(a.index)).sum() / q_ref * 10.0 * si_ei)


# -- USGS-style supply risk (after Nassar et al. 2020) ---------------------------------


@dataclass(frozen=True)
class UsgsStyleRisk:
    """Disruption potential, trade exposure and economic vulnerability, each 0-1, and their
    geometric mean over the components that could be computed."""

    disruption_potential: float
    trade_exposure: float
    economic_vulnerability: float  # NaN when no cost and margin data are given
    composite: float
    components: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def usgs_style_supply_risk(
    production: Shares,
    governance: Shares,
    net_import_reliance: float,
    economic_vulnerability: float | None = None,
) -> UsgsStyleRisk:
    """Disruption potential = sum_c S_c^2 x WGI_c/10 (governance-weighted production HHI,
    0-1); trade exposure = net import reliance bounded to 0-1; economic vulnerability as
    given (0-1; the paper builds it from the commodity's cost relative to the using
    industries' margins, data rareflow does not hold)."""
    dp = hhi_wgi_t(production, pd.Series(governance, dtype=float) / 10.0)
    te = float(np.clip(net_import_reliance, 0.0, 1.0))
    parts = [dp, te]
    ev = float("nan")
    if economic_vulnerability is not None:
        ev = float(np.clip(economic_vulnerability, 0.0, 1.0))
        parts.append(ev)
    composite = float(np.prod(parts) ** (1.0 / len(parts)))
    return UsgsStyleRisk(dp, te, ev, composite, len(parts))


# -- reference inputs --------------------------------------------------------------------


def governance_scores(reference: Any) -> pd.Series:
    """Scaled governance (0-10, 10 = worst) by region code, from governance.csv."""
    gov = table(reference, "governance")
    require_columns(gov, ("region", "wgi_scaled"), "governance table")
    return gov.set_index("region")["wgi_scaled"].astype(float)


def criticality_inputs(reference: Any) -> pd.DataFrame:
    ci = table(reference, "criticality_inputs")
    require_columns(ci, ("material", "stage", "parameter", "value"), "criticality_inputs table")
    return ci


def _input(
    ci: pd.DataFrame, material: str, stage: str, parameter: str, fallback: bool = True
) -> float:
    """A published parameter for a stage; with `fallback`, the assessment-level value when
    the stage has none (EoL-RIR and SI are published once per material)."""
    rows = ci[(ci["material"] == material) & (ci["parameter"] == parameter)]
    exact = rows[rows["stage"] == stage]
    rows = exact if not exact.empty or not fallback else rows[rows["stage"] == "assessment"]
    if rows.empty:
        return float("nan")
    return float(rows["value"].iloc[0])


# -- rareflow's own LREE / HREE values ---------------------------------------------------


def _period_year(periods: pd.Series) -> pd.Series:
    return periods.map(lambda p: int(str(p)[:4]))


def _separation_capacity_by_element(reference: Any, year: int) -> pd.DataFrame:
    """Separation capacity split by element with the assay of the deposit it treats."""
    caps = facility_capacity(reference, year)
    sep = caps[caps["stage"] == "separation"].copy()
    sep["deposit"] = sep["process"].str.split(":", n=1).str[1]
    assay = table(reference, "deposit_assays")[["deposit", "element", "share"]]
    sep = sep.merge(assay, on="deposit")
    sep["value"] = sep["value"] * sep["share"]
    return sep[["region", "element", "value"]]


def _supply_by_region(frame: pd.DataFrame, elements: tuple[str, ...]) -> pd.Series:
    rows = frame[frame["element"].isin(elements)]
    return rows.groupby("region")["value"].sum()


def _eu_sourcing_from_result(
    result: Any, materials: list[str], year: int, eu: tuple[str, ...]
) -> pd.Series:
    """EU sourcing by supplying country: EU members' own output plus imports from outside."""
    flows = result_frame(result, "flows")
    trade = result_frame(result, "trade")
    f = flows[
        flows["kind"].isin(["production", "process_output"])
        & flows["region"].isin(eu)
        & flows["material"].isin(materials)
        & (_period_year(flows["period"]) == year)
    ]
    own = f.groupby("region")["value"].sum().abs()
    t = trade[
        trade["destination"].isin(eu)
        & ~trade["origin"].isin(eu)
        & trade["material"].isin(materials)
        & (_period_year(trade["period"]) == year)
    ]
    imports = t.groupby("origin")["value"].sum()
    return own.add(imports, fill_value=0.0)


def _weighted_si(ci: pd.DataFrame, supply_by_element: pd.Series, stage: str) -> float:
    """Group SI_SR as the supply-weighted mean of the elements' published SI_SR (the EU
    does not publish a group value)."""
    si = pd.Series(
        {el: _input(ci, el, stage, "si_sr") for el in supply_by_element.index}, dtype=float
    ).dropna()
    w = supply_by_element.reindex(si.index).fillna(0.0)
    if si.empty or w.sum() <= 0:
        return float("nan")
    return float((si * w).sum() / w.sum())


def eu_comparison(
    reference: Any,
    result: Any | None = None,
    year: int | None = None,
    edition: str | None = None,
    result_year: int | None = None,
) -> pd.DataFrame:
    """rareflow's EU supply risk for LREE and HREE at extraction and processing beside the
    EU's published 2023 values.

    Global supply: mining by country split by element (extraction) and, with a Result, the
    oxide output by country (processing; without a Result, separation capacity x assay).
    EU sourcing and import reliance come from the Result when given; otherwise EU sourcing
    is left out ("GS only") and IR is the EU's published value. EoL-RIR and SI_SR are the
    EU's. `year` is the USGS year (latest of the edition by default), `result_year` the
    Result's year used at processing (its first by default). Columns: group, stage, year,
    supply_risk, eu_supply_risk (stage), eu_supply_risk_total,
    gap (fraction of the EU value), and the inputs used.
    """
    ci = criticality_inputs(reference)
    gov = governance_scores(reference)
    mines = element_mine_output(reference, edition)
    yr = int(year if year is not None else mines["year"].max())
    mines = mines[mines["year"] == yr]
    ryr = yr
    if result is not None:
        flows = result_frame(result, "flows")
        ryr = int(result_year if result_year is not None else _period_year(flows["period"]).min())
        out = flows[
            flows["kind"].isin(["production", "process_output"])
            & (material_form(flows["material"]) == "oxide")
            & (_period_year(flows["period"]) == ryr)
        ]
        processing = out.assign(element=material_element(out["material"]), value=out["value"].abs())
        processing_basis = "result oxide output"
    elif has_table(reference, "facilities"):
        processing = _separation_capacity_by_element(reference, yr)
        processing_basis = "separation capacity x assay"
    else:
        processing = pd.DataFrame(columns=["region", "element", "value"])
        processing_basis = "no data"
    rows: list[dict[str, Any]] = []
    for group, elements in EU_GROUPS.items():
        for stage, frame, basis in (
            ("extraction", mines, "mine production x assay"),
            ("processing", processing, processing_basis),
        ):
            supply = _supply_by_region(frame, elements)
            if supply.sum() <= 0:
                continue
            by_element = frame[frame["element"].isin(elements)].groupby("element")["value"].sum()
            si = _weighted_si(ci, by_element, stage)
            eol = _input(ci, group, stage, "eol_rir")
            eu_sourcing: pd.Series | None = None
            ir = _input(ci, group, stage, "import_reliance")
            ir_basis = "EU 2023 published"
            if result is not None and stage == "processing":
                materials = [f"oxide:{el}" for el in elements]
                eu_sourcing = _eu_sourcing_from_result(result, materials, ryr, EU_REGIONS)
                rel = group_reliance(result, EU_REGIONS, name="EU")
                rel = rel[rel["material"].isin(materials) & (_period_year(rel["period"]) == ryr)]
                if rel["apparent_consumption"].sum() > 0:
                    ir = float(rel["net_imports"].sum() / rel["apparent_consumption"].sum())
                    ir_basis = "result"
            sr = eu_supply_risk(supply, eu_sourcing, ir, eol, si, gov)
            published = _input(ci, group, stage, "supply_risk", fallback=False)
            total = _input(ci, group, "assessment", "supply_risk")
            rows.append(
                {
                    "group": group,
                    "stage": stage,
                    "year": ryr if stage == "processing" else yr,
                    "supply_risk": sr.supply_risk,
                    "eu_supply_risk": published,
                    "eu_supply_risk_total": total,
                    "gap": (sr.supply_risk - published) / published
                    if published == published and published
                    else float("nan"),
                    "hhi_wgi_t_global": sr.hhi_wgi_t_global,
                    "hhi_wgi_t_eu": sr.hhi_wgi_t_eu,
                    "eu_sourcing": sr.eu_sourcing,
                    "import_reliance": sr.import_reliance,
                    "import_reliance_basis": ir_basis,
                    "eol_rir": eol,
                    "si_sr": si,
                    "top_supplier": supply.idxmax(),
                    "top_share": float(supply.max() / supply.sum()),
                    "supply_basis": basis,
                    "eu_economic_importance": _input(
                        ci, group, "assessment", "economic_importance"
                    ),
                }
            )
    return pd.DataFrame(rows)


def _region_sourcing(result: Any, materials: list[str], region: str) -> pd.Series:
    """A region's sourcing by supplying country: its own output plus imports by origin."""
    flows = result_frame(result, "flows")
    trade = result_frame(result, "trade")
    own = (
        flows[
            flows["kind"].isin(["production", "process_output"])
            & (flows["region"] == region)
            & flows["material"].isin(materials)
        ]["value"]
        .abs()
        .sum()
    )
    t = trade[
        (trade["destination"] == region)
        & (trade["origin"] != region)
        & trade["material"].isin(materials)
    ]
    out = t.groupby("origin")["value"].sum()
    if own > 0:
        out = out.add(pd.Series({region: float(own)}), fill_value=0.0)
    return out[out > 0]


def region_criticality(reference: Any, result: Any, region: str) -> pd.DataFrame:
    """Supply risk of LREE and HREE oxides for one region over a Result's horizon.

    The EU formula with the region in the EU's place: global supply = oxide output by
    country; sourcing = the region's own oxide output plus its imports by origin; IR = the
    region's import reliance for those oxides; EoL-RIR and SI_SR are the EU's published values
    (no region-specific ones exist). Beside it the USGS-style disruption potential and trade
    exposure. Rows: group; columns: supply_risk, hhi_wgi_t_global, hhi_wgi_t_region,
    import_reliance, disruption_potential, trade_exposure, usgs_composite, top_supplier,
    top_share. A region that uses none of a group's oxides gets NaN.
    """
    from rareflow.metrics.reliance import reliance  # local: reliance imports nothing from here

    ci = criticality_inputs(reference)
    gov = governance_scores(reference)
    flows = result_frame(result, "flows")
    out = flows[
        flows["kind"].isin(["production", "process_output"])
        & (material_form(flows["material"]) == "oxide")
    ]
    out = out.assign(element=material_element(out["material"]), value=out["value"].abs())
    rel = reliance(result)
    rows: list[dict[str, Any]] = []
    for group, elements in EU_GROUPS.items():
        materials = [f"oxide:{el}" for el in elements]
        supply = _supply_by_region(out, elements)
        r = rel[(rel["region"] == region) & rel["material"].isin(materials)]
        consumption = float(r["apparent_consumption"].sum())
        row: dict[str, Any] = {"region": region, "group": group}
        if supply.sum() <= 0 or consumption <= 0:
            rows.append(row | {"supply_risk": float("nan")})
            continue
        ir = float(r["net_imports"].sum()) / consumption
        by_element = out[out["element"].isin(elements)].groupby("element")["value"].sum()
        si = _weighted_si(ci, by_element, "processing")
        eol = _input(ci, group, "processing", "eol_rir")
        sourcing = _region_sourcing(result, materials, region)
        sr = eu_supply_risk(supply, sourcing if len(sourcing) else None, ir, eol, si, gov)
        usgs = usgs_style_supply_risk(supply, gov, ir)
        rows.append(
            row
            | {
                "supply_risk": sr.supply_risk,
                "hhi_wgi_t_global": sr.hhi_wgi_t_global,
                "hhi_wgi_t_region": sr.hhi_wgi_t_eu,
                "import_reliance": ir,
                "disruption_potential": usgs.disruption_potential,
                "trade_exposure": usgs.trade_exposure,
                "usgs_composite": usgs.composite,
                "top_supplier": supply.idxmax(),
                "top_share": float(supply.max() / supply.sum()),
            }
        )
    return pd.DataFrame(rows)
