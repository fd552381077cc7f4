"""The findings of the seed brief: the pause, NdFeB coverage, the binding link, price gaps.

See rareflow.brief for what each answers; rareflow.brief.text renders them."""

from __future__ import annotations

import datetime as dt
import fnmatch
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from rareflow.comparison import (
    CompareError,
    mean_price,
    period_mid,
    period_years,
    result_periods,
    use_weights,
    years_of,
)
from rareflow.metrics.elements import MAGNET_ELEMENTS
from rareflow.results import Result

INDIA = "IND"
JAPAN = "JPN"
AGREEMENT = "irel-toyotsu"
BASELINE = "baseline"
PAUSE = "india-pauses-toyotsu"
CHAIN = "india-value-chain-2030"
CHAIN_SLOW = "india-value-chain-2030-slow"
SEED = "seed"
# three negotiated resolutions of the pause, compared with it from when they diverge
RESOLUTIONS: tuple[str, ...] = ("negotiated-quota", "negotiated-swap", "negotiated-redirect")
RESOLVED_FROM = pd.Timestamp("2026-04-01")
SCENARIOS: tuple[str, ...] = (BASELINE, PAUSE, CHAIN, CHAIN_SLOW, SEED, *RESOLUTIONS)
NDFEB = "magnet:NdFeB-*"
COVER_LEVELS: tuple[float, ...] = (0.25, 0.5, 1.0)
# India's chain to NdFeB magnets: stage -> processes (fnmatch patterns)
CHAIN_PROCESSES: dict[str, tuple[str, ...]] = {
    "mining": ("mining:*",),
    "cracking": ("cracking:*",),
    "separation": ("separation:*",),
    "reduction": ("reduction:Nd", "reduction:Pr"),
    "alloying": ("alloying:NdPr*",),
    "magnet": ("magnet:NdFeB-*",),
}
CHAIN_MATERIALS: tuple[str, ...] = (
    "concentrate:monazite",
    "mixed:monazite",
    "oxide:Nd",
    "oxide:Pr",
    "metal:Nd",
    "metal:Pr",
    "alloy:NdPr",
    "magnet:NdFeB-LRE",
    "magnet:NdFeB-HRE",
    "scrap:NdFeB",  # the magnet plants' by-product: its value is part of their margin
)
# a stage counts as fully used at this share of its capacity (solver tolerance)
FULL_USE = 0.99
# a price gap of India against the world smaller than this (%) is not called a gap
GAP_NOTABLE_PCT = 1.0
DAYS_PER_MONTH = 365.25 / 12.0


# ---------------------------------------------------------------------------------------------
# the agreement and its pause


@dataclass(frozen=True)
class AgreementTerms:
    agreement: str
    seller_region: str
    destination: str
    material: str
    volume_min: float  # t/yr
    volume_max: float  # t/yr


def agreement_terms(agreement: str = AGREEMENT, data_dir: Path | None = None) -> AgreementTerms:
    """The contract as the reference data give it (seller region via its facility)."""
    from rareflow.data.loader import load_reference

    ref = load_reference(data_dir)
    rows = ref["agreements"][ref["agreements"]["agreement"] == agreement]
    if rows.empty:
        raise CompareError(f"agreements.csv: no agreement '{agreement}'")
    row = rows.iloc[0]
    fac = ref["facilities"].set_index("facility")
    seller = str(row["seller"])
    region = str(fac.loc[seller, "region"]) if seller in fac.index else seller
    return AgreementTerms(
        agreement=agreement,
        seller_region=region,
        destination=str(row["destination"]),
        material=str(row["material"]),
        volume_min=float(row["volume_min"]),
        volume_max=float(row["volume_max"]),
    )


def suspension_start(path: Path, agreement: str = AGREEMENT) -> tuple[pd.Timestamp, float]:
    """When the first suspension of `agreement` in the scenario takes effect (start + notice)
    and the share it suspends."""
    from rareflow.scenario import load_scenario
    from rareflow.scenario.schema import AgreementSuspend

    scenario = load_scenario(path)
    events = [
        ev
        for ev in scenario.events
        if isinstance(ev, AgreementSuspend) and ev.agreement == agreement
    ]
    if not events:
        raise CompareError(f"{path}: no agreement_suspend event for '{agreement}'")
    first = min(events, key=lambda ev: ev.start)
    start = pd.Timestamp(first.start) + pd.Timedelta(days=float(first.notice) * DAYS_PER_MONTH)
    return start, float(first.share)


def periods_from(result: Result, when: pd.Timestamp, until: dt.date | None = None) -> list[str]:
    """Periods whose midpoint lies at or after `when` (and before `until`)."""
    out = [p for p in result_periods(result) if period_mid(p) >= when]
    if until is not None:
        out = [p for p in out if period_mid(p) < pd.Timestamp(until)]
    return out


def _rate(frame: pd.DataFrame, periods: list[str], keys: list[str]) -> pd.Series:
    """t/yr over `periods` of `value`, summed by keys."""
    sel = frame[frame["period"].astype(str).isin(periods)]
    return sel.groupby(keys)["value"].sum() / years_of(periods)


def _change(a: pd.Series, b: pd.Series) -> pd.DataFrame:
    out = pd.concat([a.rename("baseline"), b.rename("scenario")], axis=1).fillna(0.0)
    out["change"] = out["scenario"] - out["baseline"]
    return out


@dataclass
class PauseFindings:
    """What the destination loses on the agreement and who fills it; what stays home."""

    scenario: str
    terms: AgreementTerms
    effective: pd.Timestamp
    share: float
    periods: list[str]
    contract_baseline: float  # t/yr seller region -> destination, agreement material
    contract_scenario: float
    from_seller_baseline: float  # t/yr, all materials
    from_seller_scenario: float
    inflows: pd.DataFrame  # origin, material: baseline, scenario, change (t/yr)
    unserved: pd.DataFrame  # destination's unserved by material (t/yr)
    home: pd.DataFrame  # seller region's balance items by material group (t/yr)
    exports: pd.DataFrame  # seller region's exports by destination and material (t/yr)
    # t/yr of each magnet element in what the destination loses (empty without content data)
    content: dict[str, float] = field(default_factory=dict)
    price_baseline: float = float("nan")  # USD/kg of the material at the destination
    price_scenario: float = float("nan")
    bought_scenario: float = 0.0  # t/yr of the material the destination still buys
    stock_release: float = 0.0  # change of the destination's draw on its stock of it, t/yr
    # what buying the lost element content as separated oxides would cost the destination at
    # its prices under the scenario: oxide -> (t/yr of oxide, USD/kg)
    replacement: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def replacement_usd(self) -> float:
        """USD/yr to replace the lost content with separated oxides."""
        return sum(t * price * 1000.0 for t, price in self.replacement.values())

    @property
    def value_lost_usd(self) -> float:
        """The lost volume at the baseline's price at the destination, USD/yr."""
        return self.loss * self.price_baseline * 1000.0

    @property
    def extra_cost_usd(self) -> float:
        """What the destination pays more for what it still buys of the material, USD/yr."""
        return self.bought_scenario * (self.price_scenario - self.price_baseline) * 1000.0

    @property
    def loss(self) -> float:
        return self.contract_baseline - self.contract_scenario


def _group(material: pd.Series, agreement_material: str) -> pd.Series:
    form = material.astype(str).str.split(":", n=1).str[0]
    return pd.Series(
        np.where(material == agreement_material, agreement_material, form + " (all)"),
        index=material.index,
    )


def _home_balance(
    result: Result, region: str, periods: list[str], agreement_material: str
) -> pd.DataFrame:
    """t/yr of the region's production, use, stock change and trade of the agreement material
    and of all oxides."""
    f = result.flows[result.flows["region"] == region]
    f = f[f["material"].eq(agreement_material) | f["material"].str.startswith("oxide:")]
    f = f.assign(group=_group(f["material"], agreement_material), value=f["value"].abs())
    items = {
        "production": ("production", "process_output"),
        "used in processes": ("process_input",),
        "final use": ("consumption",),
        "stock build": ("stock_build",),
        "stock release": ("stock_release",),
        "disposal": ("disposal",),
        "imports": ("trade_in",),
        "exports": ("trade_out",),
    }
    kind_item = {k: item for item, kinds in items.items() for k in kinds}
    f = f[f["kind"].isin(kind_item)].assign(item=lambda x: x["kind"].map(kind_item))
    rate = _rate(f, periods, ["group", "item"])
    return rate.unstack("item").reindex(columns=list(items)).fillna(0.0)


def pause_findings(
    name: str,
    base: Result,
    scen: Result,
    effective: pd.Timestamp,
    share: float,
    terms: AgreementTerms,
    content: pd.DataFrame | None = None,
) -> PauseFindings:
    """The pause's effect once the notice has run, averaged over the periods after it.
    `content` (metrics.elements.content_table) turns the lost tonnes into element tonnes."""
    periods = [p for p in periods_from(scen, effective) if p in set(result_periods(base))]
    if not periods:
        raise CompareError(
            f"{name}: no period after the pause takes effect ({effective:%Y-%m-%d}); "
            "extend the horizon"
        )
    seller, dest, mat = terms.seller_region, terms.destination, terms.material

    def inflow(res: Result) -> pd.Series:
        t = res.trade[res.trade["destination"] == dest]
        return _rate(t, periods, ["origin", "material"])

    into_scen = inflow(scen)
    inflows = _change(inflow(base), into_scen)
    inflows = inflows[inflows["change"].abs() > 1e-6]
    inflows = inflows.reindex(inflows["change"].abs().sort_values(ascending=False).index)

    def contract(res: Result) -> float:
        t = res.trade
        sel = t[(t["origin"] == seller) & (t["destination"] == dest) & (t["material"] == mat)]
        return float(_rate(sel, periods, ["material"]).sum())

    def from_seller(res: Result) -> float:
        t = res.trade
        sel = t[(t["origin"] == seller) & (t["destination"] == dest)]
        return float(_rate(sel, periods, ["material"]).sum())

    def unserved(res: Result) -> pd.Series:
        s = res.shortfalls[res.shortfalls["region"] == dest].rename(columns={"unserved": "value"})
        return _rate(s, periods, ["material"])

    unserved_t = _change(unserved(base), unserved(scen))
    unserved_t = unserved_t[unserved_t["change"].abs() > 1e-6]

    home_a = _home_balance(base, seller, periods, mat)
    home_b = _home_balance(scen, seller, periods, mat)
    home = home_b.sub(home_a, fill_value=0.0).fillna(0.0)

    def exports(res: Result) -> pd.Series:
        t = res.trade[res.trade["origin"] == seller]
        return _rate(t, periods, ["destination", "material"])

    ex = _change(exports(base), exports(scen))
    ex = ex[ex["change"].abs() > 1e-6]
    ex = ex.reindex(ex["change"].abs().sort_values(ascending=False).index)

    def released(res: Result) -> float:
        f = res.flows
        sel = f[(f["kind"] == "stock_release") & (f["region"] == dest) & (f["material"] == mat)]
        return float(_rate(sel, periods, ["material"]).sum())

    loss = contract(base) - contract(scen)
    per_t: dict[str, float] = {}
    replacement: dict[str, tuple[float, float]] = {}
    if content is not None:
        rows = content[(content["material"] == mat) & content["element"].isin(MAGNET_ELEMENTS)]
        per_t = dict(zip(rows["element"], rows["t_per_t"].astype(float), strict=True))
        for element, in_material in per_t.items():
            oxide = f"oxide:{element}"
            metal = content[(content["material"] == oxide) & (content["element"] == element)]
            price = mean_price(scen, dest, oxide, periods)
            if loss > 0 and len(metal) and np.isfinite(price):
                tonnes = loss * in_material / float(metal["t_per_t"].iloc[0])
                replacement[oxide] = (tonnes, price)
    return PauseFindings(
        scenario=name,
        terms=terms,
        effective=effective,
        share=share,
        periods=periods,
        contract_baseline=contract(base),
        contract_scenario=contract(scen),
        from_seller_baseline=from_seller(base),
        from_seller_scenario=from_seller(scen),
        inflows=inflows,
        unserved=unserved_t,
        home=home,
        exports=ex,
        content={e: loss * per_t[e] for e in MAGNET_ELEMENTS if e in per_t},
        price_baseline=mean_price(base, dest, mat, periods),
        price_scenario=mean_price(scen, dest, mat, periods),
        bought_scenario=float(into_scen[into_scen.index.get_level_values("material") == mat].sum()),
        stock_release=released(scen) - released(base),
        replacement=replacement,
    )


# ---------------------------------------------------------------------------------------------
# NdFeB output against imports


def full_years(result: Result) -> list[int]:
    """Calendar years the result covers completely."""
    periods = result_periods(result)
    length: dict[int, float] = {}
    for p in periods:
        year = int(str(p)[:4])
        length[year] = length.get(year, 0.0) + period_years(p)
    return sorted(y for y, total in length.items() if abs(total - 1.0) < 1e-6)


def flows_by_year(flows: pd.DataFrame, kind: str, region: str, pattern: str) -> pd.Series:
    f = flows[(flows["kind"] == kind) & (flows["region"] == region)]
    keep = [fnmatch.fnmatchcase(str(m), pattern) for m in f["material"]]
    f = f[np.asarray(keep, dtype=bool)]
    return (
        f.assign(value=f["value"].abs())
        .groupby(f["period"].astype(str).str[:4].astype(int))["value"]
        .sum()
    )


@dataclass
class Coverage:
    """India's own NdFeB output against its baseline NdFeB imports, by calendar year."""

    scenario: str
    table: pd.DataFrame  # year: output, imports_baseline, imports_scenario, ratio
    first_year: dict[float, int | None] = field(default_factory=dict)


def ndfeb_coverage(
    name: str, base: Result, scen: Result, region: str = INDIA, pattern: str = NDFEB
) -> Coverage:
    years = [y for y in full_years(scen) if y in set(full_years(base))]
    if not years:
        raise CompareError(f"{name}: no full calendar year shared with the baseline")
    out = pd.DataFrame(index=pd.Index(years, name="year"))
    out["output"] = flows_by_year(scen.flows, "process_output", region, pattern).reindex(years)
    out["imports_baseline"] = flows_by_year(base.flows, "trade_in", region, pattern).reindex(years)
    out["imports_scenario"] = flows_by_year(scen.flows, "trade_in", region, pattern).reindex(years)
    out = out.fillna(0.0)
    out["ratio"] = out["output"] / out["imports_baseline"].where(out["imports_baseline"] > 0)
    first: dict[float, int | None] = {}
    for level in COVER_LEVELS:
        hit = out.index[out["ratio"] >= level - 1e-9]
        first[level] = int(hit[0]) if len(hit) else None
    return Coverage(name, out, first)


@dataclass(frozen=True)
class DemandRange:
    """India's NdFeB demand as its sources put it: a range in a base year, growing."""

    year: int  # the base year of the range (FY2025 read as calendar 2025)
    low: float  # t of magnet a year
    high: float
    growth_by: int  # the year by which demand has grown by `growth` times
    growth: float
    sources: str  # the source ids, for the brief to cite

    def at(self, year: int) -> tuple[float, float]:
        """(low, high) t/yr in `year`, grown at the rate that reaches `growth` by
        `growth_by`, and at the same rate after it (an assumption the brief states)."""
        rate = self.growth ** (1.0 / (self.growth_by - self.year))
        k = rate ** (year - self.year)
        return self.low * k, self.high * k


def india_demand_range(figures: pd.DataFrame) -> DemandRange:
    """From reported_figures.csv: the low end is the NdFeB estimate from the value of India's
    FY25 magnet imports (4,067 t), the high end the industry's 7,500 t; growth: the Cabinet's
    'expected to double by 2030 from 2025'."""

    def row(subject: str, metric: str) -> pd.Series:
        hit = figures[(figures["subject"] == subject) & (figures["metric"] == metric)]
        if hit.empty:
            raise CompareError(f"reported_figures.csv: no row {subject}/{metric}")
        return hit.iloc[0]

    low, high = row("india", "ndfeb_imports_estimate"), row("india", "magnet_demand_high")
    growth = row("india", "repm_consumption_growth")
    ids = ";".join(dict.fromkeys(f"{low['source']};{high['source']};{growth['source']}".split(";")))
    return DemandRange(
        year=2025,
        low=float(low["value"]),
        high=float(high["value"]),
        growth_by=int(str(growth["period"])[-4:]),
        growth=float(growth["value"]),
        sources=ids,
    )


@dataclass
class DemandCoverage:
    """India's own NdFeB output against its demand range, by calendar year."""

    scenario: str
    demand: DemandRange
    table: pd.DataFrame  # year: output, demand_low, demand_high, share_low, share_high
    first_low: int | None  # first year output covers the low end of demand
    first_high: int | None


def demand_coverage(
    name: str, scen: Result, demand: DemandRange, region: str = INDIA
) -> DemandCoverage:
    years = full_years(scen)
    if not years:
        raise CompareError(f"{name}: no full calendar year in the run")
    out = pd.DataFrame(index=pd.Index(years, name="year"))
    out["output"] = flows_by_year(scen.flows, "process_output", region, NDFEB).reindex(years)
    out = out.fillna(0.0)
    ranges = [demand.at(y) for y in years]
    out["demand_low"] = [r[0] for r in ranges]
    out["demand_high"] = [r[1] for r in ranges]
    out["share_low"] = out["output"] / out["demand_low"]
    out["share_high"] = out["output"] / out["demand_high"]

    def first(column: str) -> int | None:
        hit = out.index[out[column] >= 1.0 - 1e-9]
        return int(hit[0]) if len(hit) else None

    return DemandCoverage(name, demand, out, first("share_low"), first("share_high"))


# ---------------------------------------------------------------------------------------------
# negotiated resolutions, side by side


RESOLUTION_COLUMNS: tuple[str, ...] = (
    "JPN gets from IND t/yr",
    "JPN loses Nd+Pr t/yr",
    "JPN loses USD M/yr",
    "IND NdFeB output t/yr",
    "IND NdFeB imports t/yr",
    "of which from JPN t/yr",
    "JPN unserved change t/yr",
    "IND unserved change t/yr",
)


def resolution_row(pause: PauseFindings, base: Result, scen: Result) -> dict[str, float]:
    """One row of the side-by-side table: what Japan gets and loses of the agreement, and
    India's magnet supply, t/yr over the pause findings' periods, against the baseline."""
    periods = pause.periods
    nd_pr = sum(pause.content.get(e, 0.0) for e in ("Nd", "Pr"))  # t/yr in the lost volume

    def rate(res: Result, kind: str, region: str) -> float:
        f = res.flows[res.flows["period"].astype(str).isin(periods)]
        return float(flows_by_year(f, kind, region, NDFEB).sum()) / _years_in(periods)

    def from_japan(res: Result) -> float:
        t = res.trade[
            (res.trade["origin"] == JAPAN)
            & (res.trade["destination"] == INDIA)
            & res.trade["period"].astype(str).isin(periods)
        ]
        keep = [fnmatch.fnmatchcase(str(m), NDFEB) for m in t["material"]]
        return float(t.loc[np.asarray(keep, dtype=bool), "value"].sum()) / _years_in(periods)

    def unserved_change(region: str) -> float:
        def total(res: Result) -> float:
            s = res.shortfalls
            s = s[(s["region"] == region) & s["period"].astype(str).isin(periods)]
            return float(s["unserved"].sum()) / _years_in(periods)

        return total(scen) - total(base)

    return {
        "JPN gets from IND t/yr": pause.contract_scenario,
        "JPN loses Nd+Pr t/yr": nd_pr,
        "JPN loses USD M/yr": pause.value_lost_usd / 1e6,
        "IND NdFeB output t/yr": rate(scen, "process_output", INDIA),
        "IND NdFeB imports t/yr": rate(scen, "trade_in", INDIA),
        "of which from JPN t/yr": from_japan(scen),
        "JPN unserved change t/yr": unserved_change(JAPAN),
        "IND unserved change t/yr": unserved_change(INDIA),
    }


def _years_in(periods: list[str]) -> float:
    return float(sum(period_years(p) for p in periods)) or 1.0


# ---------------------------------------------------------------------------------------------
# which link binds first


@dataclass
class Binding:
    scenario: str
    stages: pd.DataFrame  # stage: capacity_from, first_full, periods_full, mean_use, max_use
    gaps: pd.DataFrame  # material: india, world, gap_pct
    first: list[str]  # stages fully used first (ties together)
    first_period: str | None
    widest_gap: str | None
    # the same once the magnet stage has capacity (the whole chain exists)
    first_with_magnets: list[str] = field(default_factory=list)
    first_with_magnets_period: str | None = None


def _matches(name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(name, x) for x in patterns)


def _chain_use(result: Result, region: str = INDIA) -> pd.DataFrame:
    """Capacity and activity (t of each process's reference material per period) of the
    region's chain by stage, from the result's capacity table (its plants and mines): the
    engine's own capacities, after capacity events and outages."""
    cap = result.capacity[result.capacity["region"] == region]
    frames = []
    for stage, patterns in CHAIN_PROCESSES.items():
        hit = cap[cap["process"].map(lambda p, pats=patterns: _matches(str(p), pats))]
        sums = hit.groupby("period")[["capacity", "activity"]].sum()
        sums = sums.reindex(result_periods(result), fill_value=0.0)
        frames.append(sums.rename_axis("period").reset_index().assign(stage=stage))
    return pd.concat(frames, ignore_index=True)[["stage", "period", "capacity", "activity"]]


def chain_binding(name: str, result: Result) -> Binding:
    """Which link of India's chain binds first, from the result alone."""
    both = _chain_use(result)
    both["use"] = both["activity"] / both["capacity"].where(both["capacity"] > 1e-9)
    order = {p: i for i, p in enumerate(result_periods(result))}
    both = both[both["period"].isin(order)].assign(_o=lambda x: x["period"].map(order))
    both = both.sort_values(["stage", "_o"])
    rows = []
    for stage in CHAIN_PROCESSES:
        g = both[both["stage"] == stage]
        has = g[g["capacity"] > 1e-9]
        full = has[has["use"] >= FULL_USE]
        rows.append(
            {
                "stage": stage,
                "capacity_from": has["period"].iloc[0] if len(has) else None,
                "first_full": full["period"].iloc[0] if len(full) else None,
                "periods_full": len(full),
                "periods_with_capacity": len(has),
                "mean_use": float(has["use"].mean()) if len(has) else float("nan"),
                "max_use": float(has["use"].max()) if len(has) else float("nan"),
                "capacity_t_per_yr_last": float(
                    g["capacity"].iloc[-1] / period_years(str(g["period"].iloc[-1]))
                )
                if len(g)
                else float("nan"),
            }
        )
    stages = pd.DataFrame(rows).set_index("stage")
    # a stage without capacity (or never full) in the horizon has no period: None, not the
    # NaN a text column turns it into (a magnet stage beyond a short --until was read 'nan')
    for col in ("capacity_from", "first_full"):
        stages[col] = stages[col].astype(object).where(stages[col].notna(), None)
    first, first_period = _earliest(both, order, None)
    chain_from = stages.loc["magnet", "capacity_from"]
    later, later_period = (
        _earliest(both, order, order[str(chain_from)]) if chain_from is not None else ([], None)
    )
    gaps = price_gaps(result)
    widest = None
    if gaps["gap_pct"].notna().any():
        widest = str(gaps["gap_pct"].idxmax())
    return Binding(name, stages, gaps, first, first_period, widest, later, later_period)


def _earliest(
    use: pd.DataFrame, order: dict[str, int], since: int | None
) -> tuple[list[str], str | None]:
    """Stages at full use in the earliest period (from period number `since`)."""
    full = use[(use["capacity"] > 1e-9) & (use["use"] >= FULL_USE)]
    if since is not None:
        full = full[full["_o"] >= since]
    if full.empty:
        return [], None
    first = full["_o"].min()
    stages = [s for s in CHAIN_PROCESSES if s in set(full[full["_o"] == first]["stage"])]
    return stages, str(full[full["_o"] == first]["period"].iloc[0])


def price_gaps(result: Result, region: str = INDIA) -> pd.DataFrame:
    """Mean price in `region` against the use-weighted mean of the other regions (USD/kg)."""
    periods = result_periods(result)
    weights = use_weights(result, periods)
    p = result.prices[result.prices["material"].isin(CHAIN_MATERIALS)].dropna(subset=["price"])
    mean = p.groupby(["material", "region"])["price"].mean()
    rows = []
    for mat in CHAIN_MATERIALS:
        if mat not in mean.index.get_level_values(0):
            continue
        m = mean.loc[mat]
        if region not in m.index:
            continue
        others = m.drop(region)
        w = weights.reindex([(r, mat) for r in others.index]).fillna(0.0).to_numpy()
        if w.sum() <= 0:
            w = np.ones(len(others))
        world = float(np.dot(others.to_numpy(), w) / w.sum()) if len(others) else float("nan")
        india = float(m.loc[region])
        gap = 100 * (india / world - 1) if world > 0 else float("nan")
        rows.append({"material": mat, "india": india, "world": world, "gap_pct": gap})
    return pd.DataFrame(rows, columns=["material", "india", "world", "gap_pct"]).set_index(
        "material"
    )
