"""What a report shows, as plain tables: gathered once, then drawn as HTML (plotly) or PDF (SVG).

Everything comes from the result directory (and the baseline's with `against`), the scenario
file named in its summary.json, and the reference tables (for the sources of every input).
Tonnages are t per period summed over the periods shown; prices are USD/kg.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rareflow.comparison import compare_results
from rareflow.comparison.common import CompareError, common_periods, result_periods
from rareflow.comparison.findings import comparison_findings, glossary_frame, run_findings
from rareflow.data.loader import load_reference
from rareflow.errors import UserError
from rareflow.metrics.common import NON_RE_STAGES
from rareflow.metrics.elements import content_table, element_shortfalls
from rareflow.metrics.report import concentration_summary, cover_summary, reliance_summary
from rareflow.metrics.traded_prices import VOLUME_WEIGHTED, ContractTerms, with_volume_weighted
from rareflow.report.differences import price_changes, shortfall_changes
from rareflow.report.inputs import input_sources, scenario_events
from rareflow.report.world_map import trade_map_flows
from rareflow.results import Result


class ReportError(UserError, ValueError):
    """A report that cannot be made from what the user gave (missing directory, bad region)."""


# Value-chain stages in the order a Sankey draws them (recycling feeds separation's products).
STAGES: tuple[str, ...] = (
    "mining",
    "cracking",
    "separation",
    "reduction",
    "alloying",
    "magnet",
    "consumption",
)

# The stage that makes each form, and the stage that uses it as an input. Metals other than
# Nd and Pr go straight into magnets (Dy, Tb in NdFeB; Sm in SmCo), as the recipes say.
PRODUCER: dict[str, str] = {
    "concentrate": "mining",
    "mixed": "cracking",
    "oxide": "separation",
    "metal": "reduction",
    "alloy": "alloying",
    "magnet": "magnet",
    "scrap": "magnet",
}
CONSUMER: dict[str, str] = {
    "concentrate": "cracking",
    "mixed": "separation",
    "oxide": "reduction",
    "metal": "magnet",
    "alloy": "magnet",
    "scrap": "recycling",
}
ALLOYED_METALS = ("metal:Nd", "metal:Pr")

FORM_LABEL: dict[str, str] = {
    "concentrate": "concentrate",
    "mixed": "mixed chemicals",
    "oxide": "oxides",
    "metal": "metals",
    "alloy": "NdPr alloy",
    "magnet": "magnets",
    "scrap": "magnet scrap",
}

PRICE_MATERIALS: tuple[str, ...] = (
    "oxide:Nd",
    "oxide:Pr",
    "oxide:Dy",
    "oxide:Tb",
    "magnet:NdFeB-HRE",
    "magnet:NdFeB-LRE",
)

# Regions whose import reliance is always shown when the result has them.
MAIN_REGIONS: tuple[str, ...] = ("IND", "JPN", "USA", "KOR", "DEU", "EU27")

DEFAULT_REGION = "IND"


@dataclass
class ReportContent:
    """The tables and texts of one report."""

    title: str
    scenario: str
    base_scenario: str | None
    region: str
    period_label: str
    facts: list[tuple[str, str]]
    findings: list[str]  # key findings in words, each with its number and unit
    glossary: pd.DataFrame  # term, meaning
    sankey: pd.DataFrame  # source, target, value, form
    prices: pd.DataFrame  # material, period, run (scenario|baseline), where, price
    shortfalls: pd.DataFrame  # sector, period, unserved (all regions)
    region_shortfalls: pd.DataFrame  # sector, reference, consumed, unserved, share
    # region, element, consumed, unserved [, change]: t of Nd, Pr, Dy, Tb (metrics.elements)
    element_shortfalls: pd.DataFrame
    # scenario minus baseline (empty without one): material, period, where, change (USD/kg);
    # sector, period, change (t per period)
    price_changes: pd.DataFrame
    shortfall_changes: pd.DataFrame
    headline: pd.DataFrame  # region, unserved [, unserved_base, change]
    rerouting: pd.DataFrame  # importer, origin, form, baseline, scenario, change
    importers: list[str]
    # origin, destination, form, tonnes: the largest flows between placed regions (world_map)
    trade_map: pd.DataFrame
    trade_map_unplaced: float  # t to or from regions without a place on the map (ROW)
    concentration: pd.DataFrame
    reliance: pd.DataFrame
    cover: pd.DataFrame
    scenario_lines: list[str]
    events: list[str]
    notes: list[str]
    sources: dict[str, pd.DataFrame]
    data_origin: str
    warnings: list[str] = field(default_factory=list)
    periods: list[str] = field(default_factory=list)


# -- loading ---------------------------------------------------------------------------------


def load_result(directory: Path, what: str = "result") -> Result:
    """A Result from a directory, or a one-line ReportError naming it."""
    if not directory.is_dir():
        raise ReportError(f"{directory}: no such {what} directory")
    try:
        return Result.from_dir(directory)
    except FileNotFoundError as exc:
        raise ReportError(str(exc)) from None
    except (OSError, ValueError) as exc:
        raise ReportError(f"{directory}: cannot read the {what} files ({exc})") from None


def _abs_flows(result: Result) -> pd.DataFrame:
    flows = result.flows
    return flows.assign(value=flows["value"].astype(float).abs())


def default_region(result: Result, base: Result | None = None) -> str:
    """The region the scenario touches most: against a baseline, the one whose unserved
    demand rises most; alone, the one with the most unserved demand; IND when none."""
    sf = result.shortfalls
    if sf.empty:
        return DEFAULT_REGION
    by_region = sf.groupby("region")["unserved"].sum()
    if base is not None and not base.shortfalls.empty:
        before = base.shortfalls.groupby("region")["unserved"].sum()
        by_region = by_region.sub(before, fill_value=0.0)
    if by_region.max() <= 0:
        return DEFAULT_REGION
    return str(by_region.idxmax())


def select_periods(result: Result, period: str | None) -> tuple[list[str], str]:
    """Periods a Sankey sums over and their label.

    None: every period of the last calendar year of the horizon; 'all': the whole horizon;
    YYYY: that year's periods; otherwise one period label of the result.
    """
    periods = result.periods or sorted(result.flows["period"].astype(str).unique())
    if not periods:
        raise ReportError("the result has no periods")
    if period is None:
        year = periods[-1][:4]
        chosen = [p for p in periods if p[:4] == year]
        return chosen, year if len(chosen) > 1 else chosen[0]
    if period == "all":
        return periods, f"{periods[0]} to {periods[-1]}"
    if period in periods:
        return [period], period
    chosen = [p for p in periods if len(period) == 4 and p[:4] == period]
    if chosen:
        return chosen, period
    raise ReportError(
        f"--period {period}: not a period of the result (expected one of {periods[0]} .. "
        f"{periods[-1]}, a year YYYY, or 'all')"
    )


# -- value chain -----------------------------------------------------------------------------


def _form(material: str) -> str:
    return material.split(":", 1)[0]


def _consumer(material: str) -> str:
    form = _form(material)
    if form == "metal" and material in ALLOYED_METALS:
        return "alloying"
    return CONSUMER.get(form, "consumption")


def sankey_links(result: Result, region: str, periods: list[str]) -> pd.DataFrame:
    """Links of the region's value chain over `periods` (t): source, target, value, form.

    Each form (concentrate, mixed, oxides, ...) is a pool fed by domestic output, imports and
    stock releases and drained by processing, exports, final consumption, stock builds and
    disposal. The flows do not say which tonne went where, so each source is split over the
    uses in proportion (the pool is taken as well mixed). Non-rare-earth inputs (bulk:) are
    left out.
    """
    f = _abs_flows(result)
    f = f[(f["region"] == region) & f["period"].isin(periods)]
    f = f[~f["material"].str.startswith("bulk:")]
    rows: list[dict[str, Any]] = []
    if f.empty:
        return pd.DataFrame(columns=["source", "target", "value", "form"])
    f = f.assign(form=f["material"].map(_form))
    for form, part in f.groupby("form"):
        form = str(form)
        label = FORM_LABEL.get(form, form)
        kinds = part.groupby("kind")["value"].sum()
        sources: dict[str, float] = {
            PRODUCER.get(form, form): float(kinds.get("production", 0.0))
            + float(kinds.get("process_output", 0.0)),
            f"imports: {label}": float(kinds.get("trade_in", 0.0)),
            "stock release": float(kinds.get("stock_release", 0.0)),
        }
        uses: dict[str, float] = {
            f"exports: {label}": float(kinds.get("trade_out", 0.0)),
            "consumption": float(kinds.get("consumption", 0.0)),
            "stock build": float(kinds.get("stock_build", 0.0)),
            "disposal": float(kinds.get("disposal", 0.0)),
        }
        inputs = part[part["kind"] == "process_input"]
        for material, value in inputs.groupby("material")["value"].sum().items():
            stage = _consumer(str(material))
            uses[stage] = uses.get(stage, 0.0) + float(value)
        total_use = sum(uses.values())
        if total_use <= 0:
            continue
        for src, s_value in sources.items():
            for dst, u_value in uses.items():
                value = s_value * u_value / total_use
                if value > 1e-9 and src != dst:
                    rows.append({"source": src, "target": dst, "value": value, "form": label})
    return pd.DataFrame(rows, columns=["source", "target", "value", "form"])


# -- prices ----------------------------------------------------------------------------------


# the report's names of China's price, the use-weighted mean outside China and what buyers
# outside China pay on average (rareflow.metrics.traded_prices)
WHERE = {"china": "China", "outside": "outside China", "outside_vw": VOLUME_WEIGHTED}


def price_series(result: Result, run: str) -> pd.DataFrame:
    """China's price and the mean price outside China of the key oxides and magnets.

    Outside China is weighted by each region's use of the material in the period (final
    consumption plus process input); a simple mean where no region outside China uses it.
    Beside it, what buyers outside China pay on average with most of their volume on
    contracts indexed to China's price (`where` = VOLUME_WEIGHTED).
    Columns: material, period, run, where, price (USD/kg).
    """
    prices = result.prices
    prices = prices[prices["material"].isin(PRICE_MATERIALS)]
    if prices.empty:
        return pd.DataFrame(columns=["material", "period", "run", "where", "price"])
    f = _abs_flows(result)
    use = (
        f[f["kind"].isin(["consumption", "process_input"]) & f["material"].isin(PRICE_MATERIALS)]
        .groupby(["region", "material", "period"])["value"]
        .sum()
        .rename("weight")
        .reset_index()
    )
    merged = prices.merge(use, on=["region", "material", "period"], how="left")
    merged["weight"] = merged["weight"].fillna(0.0)
    keys = ["material", "period"]
    china = merged[merged["region"] == "CHN"].groupby(keys)["price"].first().rename("china")
    rest = merged[merged["region"] != "CHN"]
    rest = rest.assign(weighted=rest["price"].astype(float) * rest["weight"])
    sums = rest.groupby(keys)[["weighted", "weight"]].sum()
    plain = rest.groupby(keys)["price"].mean()
    outside = (sums["weighted"] / sums["weight"]).where(sums["weight"] > 0, plain)
    wide = pd.concat([china, outside.rename("outside")], axis=1).reset_index()
    wide = with_volume_weighted(wide, ContractTerms.of(result))
    long = wide.melt(
        id_vars=keys, value_vars=list(WHERE), var_name="where", value_name="price"
    ).dropna(subset=["price"])
    long["where"] = long["where"].map(WHERE)
    long["run"] = run
    return long[["material", "period", "run", "where", "price"]].reset_index(drop=True)


# -- shortfalls ------------------------------------------------------------------------------


def shortfalls_by_sector(result: Result) -> pd.DataFrame:
    """Unserved demand of every region by sector and period (t)."""
    sf = result.shortfalls
    out = sf.groupby(["sector", "period"])["unserved"].sum().reset_index()
    return out.sort_values(["period", "sector"]).reset_index(drop=True)


def region_shortfalls(result: Result, region: str) -> pd.DataFrame:
    """A region's demand, consumption and unserved demand by sector over the horizon (t)."""
    sf = result.shortfalls
    sf = sf[sf["region"] == region]
    g = sf.groupby("sector")[["reference", "consumed", "unserved"]].sum()
    g["share"] = g["unserved"] / g["reference"].where(g["reference"] > 0)
    return g.sort_values("unserved", ascending=False).reset_index()


def headline(result: Result, base: Result | None) -> pd.DataFrame:
    """Unserved demand by region over the horizon (t), with the baseline's and the change."""
    scen = result.shortfalls.groupby("region")["unserved"].sum().rename("unserved")
    demand = result.shortfalls.groupby("region")["reference"].sum().rename("demand")
    out = pd.concat([demand, scen], axis=1)
    if base is not None:
        out["unserved_base"] = base.shortfalls.groupby("region")["unserved"].sum()
        out["unserved_base"] = out["unserved_base"].fillna(0.0)
        out["change"] = out["unserved"] - out["unserved_base"]
        out = out.sort_values("change", ascending=False)
    else:
        out = out.sort_values("unserved", ascending=False)
    return out.fillna(0.0).rename_axis("region").reset_index()


# -- trade re-routing ------------------------------------------------------------------------


def worst_importers(result: Result, base: Result | None, n: int = 3) -> list[str]:
    """The importing regions hit hardest: largest rise in unserved demand against the baseline
    (largest unserved demand without one). An importer is a region with any imports."""
    importers = set(result.trade["destination"].astype(str))
    if base is not None:
        importers |= set(base.trade["destination"].astype(str))
    table = headline(result, base)
    key = "change" if base is not None else "unserved"
    table = table[table["region"].isin(importers) & (table[key] > 0)]
    return [str(r) for r in table.sort_values(key, ascending=False)["region"].head(n)]


def rerouting(result: Result, base: Result | None, importers: list[str]) -> pd.DataFrame:
    """Inflows of each importer by origin and form over the horizon (t), scenario and baseline.

    Columns: importer, origin, form, scenario, baseline, change (baseline and change are NaN
    without a baseline).
    """
    cols = ["importer", "origin", "form", "scenario", "baseline", "change"]

    def inflows(res: Result) -> pd.Series:
        t = res.trade[res.trade["destination"].isin(importers)]
        t = t.assign(form=t["material"].astype(str).map(lambda m: FORM_LABEL.get(_form(m), m)))
        g = t.groupby(["destination", "origin", "form"])["value"].sum()
        return g.rename_axis(["importer", "origin", "form"])

    scen = inflows(result).rename("scenario")
    if base is None:
        out = scen.to_frame()
        out["baseline"] = np.nan
        out["change"] = np.nan
    else:
        out = pd.concat([scen, inflows(base).rename("baseline")], axis=1).fillna(0.0)
        out["change"] = out["scenario"] - out["baseline"]
    if out.empty:
        return pd.DataFrame(columns=cols)
    out = out.reset_index()
    order = {r: i for i, r in enumerate(importers)}
    key = "change" if base is not None else "scenario"
    out = out.assign(_o=out["importer"].map(order), _k=-out[key].abs())
    out = out.sort_values(by=["_o", "_k"]).drop(columns=["_o", "_k"])
    return out[cols].reset_index(drop=True)


# -- risk measures ---------------------------------------------------------------------------


def concentration_table(result: Result, base: Result | None) -> pd.DataFrame:
    """World output concentration by stage over the horizon (HHI 0-1, top-1, top-3 shares)."""
    scen = concentration_summary(result)
    if base is None:
        return scen.reset_index(drop=True)
    b = concentration_summary(base)[["stage", "hhi", "top1", "top3_share"]]
    out = scen.merge(b, on="stage", how="left", suffixes=("", "_base"))
    out["hhi_change"] = out["hhi"] - out["hhi_base"]
    return out.reset_index(drop=True)


def reliance_table(result: Result, regions: list[str]) -> pd.DataFrame:
    """Import reliance (net imports / apparent consumption) by stage over the horizon: one row
    per region, one column per stage (fractions; negative for a net exporter)."""
    rows = []
    for region in regions:
        rel = reliance_summary(result, region)
        for row in rel.itertuples(index=False):
            rows.append({"region": region, "stage": row.stage, "value": row.import_reliance})
    if not rows:
        return pd.DataFrame(columns=["region"])
    frame = pd.DataFrame(rows)
    order = ("mining", "cracking", "separation", "metal", "magnet", "recycling")
    stages = [s for s in order if s in set(frame["stage"])]
    stages += sorted(set(frame["stage"]) - set(stages) - set(NON_RE_STAGES))
    wide = frame.pivot_table(index="region", columns="stage", values="value", aggfunc="first")
    wide = wide.reindex(index=regions, columns=stages)
    return wide.rename_axis(columns=None).reset_index()


# -- all together ----------------------------------------------------------------------------


def _fmt_t(value: float) -> str:
    return f"{value:,.0f} t"


def _facts(summary: dict[str, Any], base_summary: dict[str, Any] | None) -> list[tuple[str, str]]:
    horizon = summary.get("horizon", {})
    meta = summary.get("meta", {})
    when = f"{horizon.get('start', '?')} to {horizon.get('end', '?')} by {horizon.get('step', '?')}"
    solver = (
        f"{summary.get('status', '?')} ({summary.get('solver', '?')}, "
        f"foresight {summary.get('foresight', '?')})"
    )
    data = (
        f"USGS edition {meta.get('edition', '?')}, base year {meta.get('base_year', '?')}, "
        f"tables hash {meta.get('reference_hash', '?')}"
    )
    facts = [
        ("scenario", str(summary.get("scenario", "?"))),
        ("horizon", when),
        ("solver status", solver),
        ("what the model knew", str(summary.get("information", "?"))),
        ("unserved demand, horizon", _fmt_t(float(summary.get("unserved_t", float("nan"))))),
        ("data", data),
        ("rareflow", str(summary.get("versions", {}).get("rareflow", "?"))),
    ]
    if base_summary is not None:
        facts.insert(1, ("compared with", str(base_summary.get("scenario", "?"))))
        facts.append(
            ("baseline unserved demand", _fmt_t(float(base_summary.get("unserved_t", np.nan))))
        )
    return facts


def findings(result: Result, base: Result | None, name: str, base_name: str | None) -> list[str]:
    """The report's key findings: against the baseline when there is one, else of the run."""
    if base is None:
        return run_findings(result)
    cmp = compare_results(base, result, (base_name or "baseline", name))
    return comparison_findings(cmp, result, base)


def plan_summary(investments: pd.DataFrame, top: int = 5) -> str:
    """What the planning stage built, in words: the largest capacities standing in the plan's
    last year, by process and region, with their first year and the output's price then."""
    if investments.empty:
        return "nothing (existing and announced capacity sufficed, or nothing paid for itself)"
    last = investments.sort_values("year").groupby("candidate").tail(1)
    first = investments.groupby("candidate")["year"].min()
    span = f"{int(investments['year'].min())}-{int(investments['year'].max())}"
    parts = []
    ranked = last.sort_values("capacity", ascending=False).to_dict("records")
    for row in ranked[:top]:
        process = str(row["process"]).removeprefix("mine:")
        parts.append(
            f"{process} in {row['region']} {float(row['capacity']):,.0f} t/yr by {row['year']} "
            f"(from {first[row['candidate']]}, at {float(row['incentive_price']):,.1f} USD/kg)"
        )
    more = len(ranked) - top
    tail = f"; {more} more in investments.parquet" if more > 0 else ""
    return f"plan {span}: " + "; ".join(parts) + tail


def _span(periods: list[str]) -> str:
    return f"{periods[0]}..{periods[-1]}" if periods else "none"


def restrict(result: Result, periods: list[str]) -> Result:
    """The result over `periods` only (every table, the period list and the unserved total)."""
    keep = set(periods)
    tables = {
        name: frame[frame["period"].astype(str).isin(keep)].reset_index(drop=True)
        for name, frame in (
            ("flows", result.flows),
            ("trade", result.trade),
            ("prices", result.prices),
            ("shortfalls", result.shortfalls),
            ("welfare", result.welfare),
        )
    }
    summary = dict(result.summary)
    summary["periods"] = [p for p in result.periods if p in keep]
    summary["unserved_t"] = float(tables["shortfalls"]["unserved"].sum())
    return Result(
        **tables, in_transit=result.in_transit, investments=result.investments, summary=summary
    )


def align(result: Result, base: Result) -> tuple[Result, Result, str | None]:
    """Scenario and baseline over the periods both cover, and a sentence saying so when their
    horizons differ; ReportError when they share no period (nothing can be compared)."""
    mine, theirs = result_periods(result), result_periods(base)
    try:
        common = common_periods(result, base)
    except CompareError:
        raise ReportError(
            f"--against: the runs share no period (scenario {_span(mine)}, baseline "
            f"{_span(theirs)}); run both with the same horizon step over overlapping dates"
        ) from None
    if common == mine and common == theirs:
        return result, base, None
    note = (
        f"Compared over the {len(common)} periods both runs cover ({_span(common)}): the "
        f"scenario runs {_span(mine)}, the baseline {_span(theirs)}. Every figure in this report, "
        "totals included, is over those common periods."
    )
    return restrict(result, common), restrict(base, common), note


def gather(
    result_dir: Path,
    against: Path | None = None,
    region: str | None = None,
    period: str | None = None,
) -> ReportContent:
    """Everything a report shows, from a result directory (and a baseline's)."""
    result = load_result(result_dir)
    base = load_result(against, "baseline result") if against is not None else None
    warnings: list[str] = []
    if base is not None:
        result, base, note = align(result, base)
        if note:
            warnings.append(note)
    regions = sorted(set(result.flows["region"].astype(str)) | set(result.shortfalls["region"]))
    chosen = region or default_region(result, base)
    if chosen not in regions:
        raise ReportError(
            f"--region {chosen}: not a region of the result (expected one of {', '.join(regions)})"
        )
    periods, period_label = select_periods(result, period)
    header, events, scenario, warning = scenario_events(result_dir, result.summary)
    if warning:
        warnings.append(warning)
    sources, origin, warning = input_sources(scenario)
    if warning:
        warnings.append(warning)
    prices = price_series(result, "scenario")
    if base is not None:
        prices = pd.concat([prices, price_series(base, "baseline")], ignore_index=True)
    importers = worst_importers(result, base)
    map_flows, unplaced = trade_map_flows(result.trade, periods)
    main = [chosen, *importers, *MAIN_REGIONS]
    shown = [r for r in dict.fromkeys(main) if r in regions]
    name = str(result.summary.get("scenario", result_dir.name))
    base_name = str(base.summary.get("scenario", against)) if base is not None else None
    title = f"rareflow report: {name}" + (f" against {base_name}" if base_name else "")
    return ReportContent(
        title=title,
        scenario=name,
        base_scenario=base_name,
        region=chosen,
        period_label=period_label,
        findings=findings(result, base, name, base_name),
        glossary=glossary_frame(),
        facts=[
            *_facts(result.summary, base.summary if base is not None else None),
            ("capacity built by the plan", plan_summary(result.investments)),
        ],
        sankey=sankey_links(result, chosen, periods),
        prices=prices,
        shortfalls=shortfalls_by_sector(result),
        region_shortfalls=region_shortfalls(result, chosen),
        element_shortfalls=element_shortfalls(
            result.shortfalls,
            content_table(load_reference()),
            base.shortfalls if base is not None else None,
        ),
        price_changes=price_changes(prices),
        shortfall_changes=(
            shortfall_changes(shortfalls_by_sector(result), shortfalls_by_sector(base))
            if base is not None
            else pd.DataFrame(columns=["sector", "period", "change"])
        ),
        headline=headline(result, base),
        rerouting=rerouting(result, base, importers),
        importers=importers,
        trade_map=map_flows,
        trade_map_unplaced=unplaced,
        concentration=concentration_table(result, base),
        reliance=reliance_table(result, shown),
        cover=cover_summary(result, chosen),
        scenario_lines=header,
        events=events,
        notes=[str(n) for n in result.summary.get("notes", [])],
        sources=sources,
        data_origin=origin,
        warnings=warnings,
        periods=result.periods,
    )
