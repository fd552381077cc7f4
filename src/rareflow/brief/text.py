"""The seed brief as Markdown: tables and sentences from the findings."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rareflow.brief.findings import (
    GAP_NOTABLE_PCT,
    Binding,
    Coverage,
    DemandCoverage,
    DemandRange,
    PauseFindings,
)
from rareflow.brief.scheme import SCHEME_CAPACITY_T, SchemeNeeds


def _t(x: float) -> str:
    return f"{x:,.0f}"


def md_table(frame: pd.DataFrame, fmt: str = "{:,.0f}") -> list[str]:
    """A markdown table of a small frame (index included)."""
    if frame.empty:
        return ["(none)"]
    index_names = [str(n) if n is not None else "" for n in frame.index.names]
    cols = [*index_names, *[str(c) for c in frame.columns]]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for idx, row in frame.iterrows():
        keys = list(idx) if isinstance(idx, tuple) else [idx]
        cells = [str(k) for k in keys]
        for v in row:
            if isinstance(v, float | np.floating):
                cells.append(fmt.format(v) if np.isfinite(v) else "")
            else:
                cells.append("" if v is None else str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def pause_text(f: PauseFindings, top: int = 8) -> list[str]:
    t = f.terms
    lines = [
        f"Contract: {t.agreement}, {t.material} from {t.seller_region} to {t.destination}, "
        f"{_t(t.volume_min)} t/yr minimum (about the 2024 shipments), {_t(t.volume_max)} t/yr "
        f"maximum. Suspended share {f.share:.0%} from {f.effective:%Y-%m-%d} (start + notice); "
        f"averages below are t/yr over {f.periods[0]}..{f.periods[-1]}.",
        "",
        f"- {t.destination} loses {_t(f.loss)} t/yr of {t.material} from {t.seller_region} "
        f"({_t(f.contract_baseline)} -> {_t(f.contract_scenario)} t/yr; the contracted "
        f"{_t(t.volume_min * f.share)} t/yr suspended). All materials from "
        f"{t.seller_region}: {_t(f.from_seller_baseline)} -> {_t(f.from_seller_scenario)} t/yr "
        f"({f.from_seller_scenario - f.from_seller_baseline:+,.0f}).",
    ]
    if f.content:
        parts = ", ".join(
            f"{v:,.1f} t {e}" if v < 10 else f"{_t(v)} t {e}" for e, v in f.content.items()
        )
        lines.append(
            f"- In element content that is {parts} a year (the {t.material} assay of "
            "deposit_assays.csv)."
        )
    if not np.isnan(f.price_baseline):
        change = f.price_scenario - f.price_baseline
        lines.append(
            f"- At the baseline's price of {t.material} in {t.destination} "
            f"({f.price_baseline:,.1f} USD/kg) the lost volume is worth USD "
            f"{f.value_lost_usd / 1e6:,.1f} M a year; under the pause {t.destination} pays "
            f"{f.price_scenario:,.1f} USD/kg ({change:+,.1f}), USD "
            f"{f.extra_cost_usd / 1e6:+,.1f} M a year on the {_t(f.bought_scenario)} t/yr it "
            f"still buys; its draw on its own stock of it changes by {f.stock_release:+,.0f} "
            "t/yr."
        )
    if f.replacement:
        parts = ", ".join(
            f"{tonnes:,.1f} t {oxide} at {price:,.1f} USD/kg"
            for oxide, (tonnes, price) in f.replacement.items()
        )
        lines.append(
            f"- Replacing that content with separated oxides at {t.destination}'s prices under "
            f"the pause ({parts}) would cost USD {f.replacement_usd / 1e6:,.1f} M a year: the "
            "upper bound of what the loss is worth, since the mixed compound still has to be "
            "separated."
        )
    flows = f.inflows.reset_index()
    same = flows[(flows["material"] == t.material) & (flows["origin"] != t.seller_region)]
    gained = same[same["change"] > 0].sort_values("change", ascending=False)
    if len(gained):
        who = ", ".join(
            f"{o} +{_t(c)}" for o, c in zip(gained["origin"], gained["change"], strict=True)
        )
        lines.append(
            f"- Who fills it ({t.material} into {t.destination}): {who} t/yr "
            f"(together {_t(gained['change'].sum())} of the {_t(f.loss)} t/yr lost)."
        )
    else:
        lines.append(f"- Nobody replaces the lost {t.material} into {t.destination}.")
    uns = f.unserved["change"].sum() if len(f.unserved) else 0.0
    lines.append(
        f"- {t.destination}'s unserved demand changes by {uns:+,.0f} t/yr (all materials)."
    )
    lines += ["", f"Largest changes of {t.destination}'s inflows by origin (t/yr):", ""]
    lines += md_table(f.inflows.head(top))
    home = f.home
    if t.material in home.index:
        h = home.loc[t.material]
        lines += [
            "",
            f"What stays in {t.seller_region} ({t.material}, change t/yr): production "
            f"{h['production']:+,.0f}, used in {t.seller_region}'s own processes "
            f"{h['used in processes']:+,.0f}, stock build {h['stock build']:+,.0f}, stock "
            f"release {h['stock release']:+,.0f}, disposal {h['disposal']:+,.0f}, exports "
            f"{h['exports']:+,.0f}, imports {h['imports']:+,.0f}.",
            f"  {t.seller_region} no longer ships {-h['exports']:,.0f} t/yr abroad; it "
            f"{'imports' if h['imports'] >= 0 else 'imports less by'} "
            f"{abs(h['imports']):,.0f} t/yr and its own production changes by "
            f"{h['production']:+,.0f} t/yr: its net exports change by "
            f"{h['exports'] - h['imports']:+,.0f} t/yr.",
        ]
    lines += ["", f"{t.seller_region}'s balance, change against the baseline (t/yr):", ""]
    lines += md_table(home)
    lines += ["", f"{t.seller_region}'s exports by destination, largest changes (t/yr):", ""]
    lines += md_table(f.exports.head(top))
    return lines


def coverage_text(c: Coverage) -> list[str]:
    def when(level: float) -> str:
        year = c.first_year.get(level)
        return str(year) if year is not None else "never within the horizon"

    tab = c.table
    years = f"{tab.index[0]}-{tab.index[-1]}"
    lines = [
        f"- {c.scenario}: a quarter of the imports: {when(0.25)}; a half: {when(0.5)}; "
        f"all: {when(1.0)} (full years {years}).",
        "",
    ]
    lines += md_table(tab.rename(columns={"output": "India NdFeB output t"}), "{:,.2f}")
    return lines


def demand_coverage_text(c: DemandCoverage) -> list[str]:
    last_year = int(c.table.index[-1])
    last = c.table.iloc[-1]

    def reach(year: int | None, end: str) -> str:
        if year is None:
            return f"does not reach the {end} of its demand by {last_year}"
        return f"reaches the {end} of its demand in {year}"

    lines = [
        f"- {c.scenario}: India's own NdFeB output {reach(c.first_low, 'low end')} and "
        f"{reach(c.first_high, 'high end')}. In {last_year} it makes {_t(last['output'])} t "
        f"against a demand of {_t(last['demand_low'])}-{_t(last['demand_high'])} t "
        f"({last['share_low']:.0%} of the low end, {last['share_high']:.0%} of the high end).",
        "",
    ]
    lines += md_table(
        c.table.rename(
            columns={
                "output": "India NdFeB output t",
                "demand_low": "demand low t",
                "demand_high": "demand high t",
                "share_low": "share of low",
                "share_high": "share of high",
            }
        ),
        "{:,.2f}",
    )
    return lines


def demand_range_note(d: DemandRange) -> str:
    return (
        f"India's NdFeB demand: {_t(d.low)}-{_t(d.high)} t in FY{d.year} (the low end from the "
        f"value of its rare earth magnet imports at China's export unit value, the high end an "
        f"industry estimate), growing {d.growth:g}x by {d.growth_by} as the Cabinet expects, "
        f"and at the same rate after it (an assumption); sources: {d.sources}."
    )


def resolution_text(table: pd.DataFrame, since: pd.Timestamp) -> list[str]:
    """The side-by-side table with a sentence per variant."""
    lines = [
        f"Each against the baseline, t/yr averaged from {since:%Y-%m} to the end of the run "
        "(when the variants part ways): india-pauses-toyotsu, the pause that stands; "
        "negotiated-quota, half the contracted volume resumes; negotiated-swap, the full "
        "volume resumes and Japan returns heavy-RE-free magnets made from its Nd and Pr "
        "(480 t/yr); negotiated-redirect, the pause stands and India's magnet scheme uses the "
        "material. The terms of the three are assumptions (their scenario files say which).",
        "",
    ]
    for name, row in table.iterrows():
        lines.append(
            f"- {name}: Japan gets {_t(row['JPN gets from IND t/yr'])} t/yr of the agreement's "
            f"material and loses {_t(row['JPN loses Nd+Pr t/yr'])} t/yr of Nd and Pr in it "
            f"(USD {row['JPN loses USD M/yr']:,.1f} M/yr at the baseline's price); India makes "
            f"{_t(row['IND NdFeB output t/yr'])} t/yr of NdFeB and imports "
            f"{_t(row['IND NdFeB imports t/yr'])} t/yr ({_t(row['of which from JPN t/yr'])} "
            "from Japan)."
        )
    lines.append("")
    lines += md_table(table, "{:,.1f}")
    return lines


def binding_text(b: Binding) -> list[str]:
    if b.first:
        stage = ", ".join(b.first)
        head = f"{stage} (fully used from {b.first_period})"
    else:
        head = "no stage reaches full use within the horizon"
    gap = ""
    if b.widest_gap is not None:
        g = b.gaps.loc[b.widest_gap]
        if g["gap_pct"] >= GAP_NOTABLE_PCT:
            gap = (
                f"; widest price gap vs the world: {b.widest_gap}, {g['india']:,.1f} USD/kg "
                f"in India vs {g['world']:,.1f} ({g['gap_pct']:+.1f}%)"
            )
        else:
            gap = (
                "; no chain material costs notably more in India than in the world "
                f"(largest gap {b.widest_gap} {g['gap_pct']:+.1f}%)"
            )
    lines = [f"- {b.scenario}: first link to bind: {head}{gap}."]
    if b.gaps["gap_pct"].notna().any():
        low = str(b.gaps["gap_pct"].idxmin())
        g = b.gaps.loc[low]
        if g["gap_pct"] <= -GAP_NOTABLE_PCT:
            lines.append(
                f"- {b.scenario}: cheapest in India against the world: {low}, "
                f"{g['india']:,.1f} USD/kg vs {g['world']:,.1f} ({g['gap_pct']:+.1f}%): India "
                "has more of it than it can use or ship at the world's price."
            )
    idle = b.stages[(b.stages["periods_with_capacity"] > 0) & (b.stages["max_use"] <= 1e-6)]
    if len(idle):
        lines.append(
            f"- {b.scenario}: stages with capacity that are never used: "
            f"{', '.join(idle.index)} (capacity from {', '.join(map(str, idle['capacity_from']))}"
            "): the chain stops before them, so what limits India's NdFeB output is not their "
            "capacity."
        )
    magnet_from = b.stages.loc["magnet", "capacity_from"]
    if magnet_from is not None:
        later = (
            f"{', '.join(b.first_with_magnets)} (from {b.first_with_magnets_period})"
            if b.first_with_magnets
            else "no stage reaches full use"
        )
        lines.append(
            f"- {b.scenario}: once India's NdFeB plants have capacity ({magnet_from!s}), the "
            f"first stage at full use: {later}."
        )
    else:
        lines.append(f"- {b.scenario}: India has no NdFeB capacity within the horizon.")
    lines.append("")
    st = b.stages.copy()
    for col in ("mean_use", "max_use"):
        st[col] = 100 * st[col]
    lines += md_table(
        st.rename(columns={"mean_use": "mean_use_%", "max_use": "max_use_%"}), "{:,.1f}"
    )
    lines += ["", "Prices in India against the world (USD/kg):", ""]
    lines += md_table(b.gaps, "{:,.1f}")
    return lines


def scheme_text(s: SchemeNeeds, top: int = 6) -> list[str]:
    """What the scheme needs, what India makes, who supplies the rest."""
    lines = []
    for grade in s.per_t:
        full = s.at_capacity(grade)
        lines.append(
            f"- {grade}: {s.ndpr_per_t(grade):.3f} t NdPr oxide per t of magnet; at "
            f"{_t(SCHEME_CAPACITY_T)} t/yr {_t(SCHEME_CAPACITY_T * s.ndpr_per_t(grade))} t/yr of "
            "NdPr oxide, "
            f"{_t(full['oxide:Dy'])} t/yr of Dy oxide and {_t(full['oxide:Tb'])} t/yr of Tb oxide."
        )
    tab = s.table
    made = tab["ndpr_oxide_made_in_india_t"]
    last = int(tab.index[-1])
    full_ndpr = SCHEME_CAPACITY_T * s.ndpr_per_t()
    lines.append(
        f"- {s.scenario}: India makes {_t(made.loc[last])} t of NdPr oxide in {last}, "
        f"{made.loc[last] / full_ndpr:.0%} of what the scheme needs at full capacity (recipes "
        "of process_coefficients.csv, yield losses included, returned scrap not credited)."
    )
    # what leaves beyond India's own output, up to what came in: imports passed through
    beyond = (tab["ndpr_bearing_exports_t"] - tab["ndpr_oxide_made_in_india_t"]).clip(lower=0.0)
    through = pd.concat([tab["ndpr_bearing_imports_t"], beyond], axis=1).min(axis=1)
    if through.max() > 0:
        lines.append(
            f"- Caution: India exports more Nd/Pr-bearing material than it makes in "
            f"{', '.join(str(y) for y in through[through > 0].index)} (up to "
            f"{_t(through.max())} t/yr passes through India): the model lets a region that makes "
            "and uses a material re-sell imports to its own established buyers without their "
            "switching premium. Read those imports as transit, not as supply for the scheme."
        )
    lines += ["", f"{s.scenario}, by year (t):", ""]
    lines += md_table(tab)
    if len(s.suppliers):
        lines += [
            "",
            "Who supplies India's Nd/Pr-bearing imports while its magnet plants run (t/yr of "
            "product):",
            "",
        ]
        lines += md_table(s.suppliers.head(top))
    return lines
