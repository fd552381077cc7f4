"""Key findings in words: a few sentences, each with its number and unit, read from a
comparison of two runs (B against A) or from one run alone.

Who runs short of what and from when, how far prices move inside and outside China, who
fills the gap, and how much of what is missing is a physical shortage (wanted at the choke
price, not supplied) rather than demand given up because of price. The glossary defines the
words the sentences use; the report prints both, `rareflow compare` the findings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rareflow.comparison.common import mean_price, period_years, prices_at
from rareflow.comparison.measures import Comparison, price_gaps
from rareflow.results import Result

# below this share of the reference demand a change in unserved demand is not a finding
NOTICEABLE = 0.001
# how many regions, materials or re-routings a sentence names at most
NAMED = 3
FEEDS = ("concentrate:", "mixed:")

GLOSSARY: tuple[tuple[str, str], ...] = (
    (
        "unserved demand",
        "reference demand (what buyers would take at the 2024 price, grown to the period) minus "
        "what they consumed; the sum of the next two",
    ),
    (
        "demand given up because of price",
        "buyers who, at the going price, chose a substitute or did without: the market works",
    ),
    (
        "physical shortage",
        "demand whose willingness to pay is the sector's choke price (no substitute below it) "
        "and that was not supplied: the market fails to clear",
    ),
    (
        "choke price",
        "the price at which a sector's buyers turn to substitutes: a multiple of the 2024 "
        "price per sector (sectors.csv), defence highest, La/Ce uses lowest",
    ),
    (
        "inside / outside China",
        "China's price; and the mean price of the other regions weighted by their demand and "
        "their plants' use of the material",
    ),
    (
        "spot price",
        "the market-clearing price of a region and material in a period (the LP's balance "
        "dual): the headline price, what the marginal tonne fetches",
    ),
    (
        "volume-weighted price",
        "what buyers pay on average: a share of their volume (policy_rules.csv contract_share, "
        "0.75) on term contracts priced at China's price of the months before "
        "(contract_price_lag_months, 1) and the rest at spot; under a restriction the spot "
        "outside China jumps while the volume-weighted price follows China's index",
    ),
    (
        "backlog",
        "licence applications waiting at a period's end: demand for a controlled route that "
        "was applied for and not yet approved; it clears when approvals rise",
    ),
    (
        "normal flow",
        "the trade a licence's approval share refers to: the flow of the same scenario solved "
        "without licences",
    ),
    (
        "announced",
        "the date from which an event is known: rolling (myopic, window) solves see nothing "
        "before it; perfect foresight sees everything from the start",
    ),
    (
        "planned capacity",
        "plants and mines the annual planning stage built at their capital cost after their "
        "lead time, on the base year's outlook (investments.parquet)",
    ),
)


def _t(value: float) -> str:
    return f"{value:,.0f} t"


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def comparison_findings(
    cmp: Comparison, b: Result | None = None, a: Result | None = None
) -> list[str]:
    """Sentences on B against A over their common periods (`b`, when given, adds B's
    physical shortage and the licences that bind; with `a` too, the plants whose capacity
    binds more often than in A)."""
    span = f"{cmp.periods[0]}..{cmp.periods[-1]}"
    out = [_unserved_change(cmp, span)]
    out.extend(_price_moves(cmp))
    out.extend(_gap_fillers(cmp, a, b))
    if b is not None:
        out.append(shortage_sentence(b, set(cmp.periods)))
        out.extend(binding_licences(b, set(cmp.periods)))
        if a is not None:
            out.extend(binding_plants(a, b, set(cmp.periods)))
            out.extend(binding_agreements(a, b, set(cmp.periods)))
    out.append(_stock_draw(cmp))
    return [s for s in out if s]


def _unserved_change(cmp: Comparison, span: str) -> str:
    table = cmp["shortfall_by_region"]
    reference = float(table["reference_a"].sum())
    change = float(table["change_t"].sum())
    if reference <= 0 or abs(change) < NOTICEABLE * reference:
        return (
            f"Unserved demand barely changes over {span}: {_t(change)} "
            f"({_pct(change / reference if reference else 0.0)} of reference demand)."
        )
    worst = table.sort_values("change_t", ascending=change < 0).head(NAMED)
    named = ", ".join(
        f"{r['region']} {_t(float(r['change_t']))} "
        f"({_pct(float(r['share_a']))} -> {_pct(float(r['share_b']))})"
        for r in worst.to_dict("records")
    )
    direction = "rises" if change > 0 else "falls"
    return (
        f"Unserved demand {direction} by {_t(abs(change))} over {span} "
        f"({_pct(abs(change) / reference)} of reference demand); most in {named}."
    )


def _price_moves(cmp: Comparison) -> list[str]:
    prices = cmp["prices"].dropna(subset=["change_outside_pct"])
    if prices.empty:
        return []
    prices = prices.assign(size=prices["change_outside_pct"].abs())
    moved = prices[prices["size"] >= 5.0].sort_values("size", ascending=False).head(NAMED)
    if moved.empty:
        return ["Prices move less than 5% inside and outside China on average."]
    return [
        f"{r['material']} averages {float(r['outside_b']):,.1f} USD/kg outside China at spot "
        f"({float(r['change_outside_pct']):+.0f}% on {float(r['outside_a']):,.1f}; "
        f"{float(r['outside_vw_b']):,.1f} volume-weighted) and "
        f"{float(r['china_b']):,.1f} USD/kg inside ({float(r['change_china_pct']):+.0f}%)."
        for r in moved.to_dict("records")
    ]


# a re-routing counts as a swap between suppliers, not news, when what arrives is within this
# share of what was lost and the destination's price moves less than this share
SWAP_NET = 0.05
SWAP_PRICE = 0.01


def _price_change(a: Result, b: Result, region: str, material: str) -> float:
    """Relative change of the mean price of `material` in `region`, B against A, over the
    periods both share (NaN where there is no price)."""
    common = set(map(str, a.periods)) & set(map(str, b.periods))
    before, after = mean_price(a, region, material, common), mean_price(b, region, material, common)
    return (after - before) / before if before else float("nan")


def _gap_fillers(cmp: Comparison, a: Result | None = None, b: Result | None = None) -> list[str]:
    """Who loses which product and who fills the gap. With both runs, a swap between
    suppliers at an unchanged price (the LP moving between routes of near-equal cost) is
    summed into one sentence instead of standing as a finding of its own."""
    table = cmp["replacements"]
    if table.empty:
        return []
    # the gaps buyers of products feel (feed reshuffles between mines and plants aside),
    # largest loss first
    products = table[~table["material"].astype(str).str.startswith(FEEDS)]
    products = products.sort_values("lost_t", ascending=False)
    out: list[str] = []
    swaps: list[str] = []
    swapped = 0.0
    for r in products.to_dict("records"):
        lost, gained = float(r["lost_t"]), float(r["gained_t"])
        if lost <= 0:
            continue
        if a is not None and b is not None and abs(gained - lost) <= SWAP_NET * lost:
            move = _price_change(a, b, str(r["destination"]), str(r["material"]))
            if np.isfinite(move) and abs(move) <= SWAP_PRICE:
                swaps.append(f"{r['destination']} {r['material']}")
                swapped += lost
                continue
        if len(out) >= NAMED:
            continue
        made_up = (
            f"makes up {_t(gained)} from {r['replaced_by']}"
            if gained > 0
            else ("makes up none of it from elsewhere")
        )
        out.append(
            f"{r['destination']} loses {_t(lost)} of {r['material']} from {r['losers']} and "
            f"{made_up}."
        )
    if swaps:
        named = ", ".join(swaps[:NAMED]) + (
            f" and {len(swaps) - NAMED} more" if len(swaps) > NAMED else ""
        )
        out.append(
            f"Supplier swaps at unchanged prices ({named}; {_t(swapped)} in all): routes of "
            "near-equal cost trading places in the LP, not a change a buyer feels."
        )
    return out


def shortage_sentence(result: Result, periods: set[str] | None = None) -> str:
    """How much of `result`'s unserved demand is a physical shortage, where, from when."""
    sf = result.shortfalls
    if periods is not None:
        sf = sf[sf["period"].astype(str).isin(periods)]
    unserved = float(sf["unserved"].sum())
    short = float(sf["shortage"].sum()) if "shortage" in sf else 0.0
    if short < 1.0:
        return (
            f"No physical shortage: all {_t(unserved)} of unserved demand is demand given up "
            "because of price."
        )
    short_rows = sf[sf["shortage"] > 0]
    by = short_rows.groupby(["region", "material"]).agg(
        shortage=("shortage", "sum"), first=("period", "min")
    )
    top = by.sort_values("shortage", ascending=False).head(NAMED).reset_index()
    named = ", ".join(
        f"{r['region']} {r['material']} {_t(float(r['shortage']))} from {r['first']}"
        for r in top.to_dict("records")
    )
    return (
        f"Physical shortage {_t(short)} of the {_t(unserved)} unserved (the rest is demand "
        f"given up because of price); largest: {named}."
    )


def binding_licences(result: Result, periods: set[str] | None = None) -> list[str]:
    """Why exports fall short: the licence caps that bind, by material, with their shadow
    price. A cap binds where departures are at the approved volume while applications wait
    in the backlog; by complementary slackness its dual is then what one more approved tonne
    is worth, the destination's price less the origin's (both duals of the market's balance
    rows; freight, about 0.1 USD/kg, and transit time aside)."""
    lic = result.licences
    if periods is not None:
        lic = lic[lic["period"].astype(str).isin(periods)]
    if lic.empty:
        return []
    tol = 1e-3 * max(1.0, float(lic["allowed"].replace(float("inf"), 0.0).max()))
    binding = lic[(lic["backlog"] > tol) & (lic["departed"] >= lic["allowed"] - tol)]
    if binding.empty:
        return [
            "Why: no export licence holds trade back; every application leaves as soon as it "
            "is approved and none waits in a backlog at a period's end."
        ]

    def at(regions: pd.Series) -> np.ndarray:
        return prices_at(result, regions, binding["material"], binding["period"])

    binding = binding.assign(gap=at(binding["destination"]) - at(binding["origin"]))
    out = []
    # the backlog of all destinations in a period, at its largest over the periods
    peaks = binding.groupby(["material", "period"])["backlog"].sum().groupby(level=0).max()
    for material in peaks.sort_values(ascending=False).index[:NAMED]:
        part = binding[binding["material"] == material]
        when = sorted(set(part["period"].astype(str)))
        held = part.groupby("destination")["backlog"].sum().sort_values(ascending=False)
        # several exporters may hold licences on one material (China's rules reach
        # re-exports): name them by the backlog behind them, not the first row's
        by_origin = part.groupby("origin")["backlog"].sum().sort_values(ascending=False)
        origins = ", ".join(map(str, by_origin.index[:NAMED]))
        more = len(by_origin) - NAMED
        origins += f" and {more} more" if more > 0 else ""
        weights = part["backlog"].where(part["gap"].notna(), 0.0)
        gap = (
            float((part["gap"].fillna(0.0) * weights).sum() / weights.sum())
            if weights.sum()
            else 0.0
        )
        out.append(
            f"Why: export licences bind on {material} from {origins} in "
            f"{len(when)} period{'s' if len(when) > 1 else ''} from {when[0]} to {when[-1]}: "
            "exports leave at the approved "
            f"volume while up to {_t(float(peaks[material]))} wait in the backlog (most for "
            f"{', '.join(map(str, held.index[:NAMED]))}); one more tonne approved is worth "
            f"{gap:,.1f} USD/kg there on average (the destination's price less the exporter's: "
            "the cap's shadow price, read from the market's duals)."
        )
    return out


# a plant runs full at this share of its capacity (solver tolerance); a rent below this
# (USD/kg) is a tie, not a shadow price worth naming
FULL = 0.99
RENT_NOTABLE = 0.01


def _binding_periods(result: Result, periods: set[str]) -> pd.DataFrame:
    """Per plant: the periods it runs full with a rent, the first of them, the mean rent."""
    cap = result.capacity
    cap = cap[cap["period"].astype(str).isin(periods)]
    full = cap[(cap["use"] >= FULL) & (cap["rent"] > RENT_NOTABLE)]
    return full.groupby(["plant", "region", "process"]).agg(
        n=("period", "size"), first=("period", "min"), rent=("rent", "mean")
    )


def binding_plants(a: Result, b: Result, periods: set[str]) -> list[str]:
    """Why supply falls short or shifts: the plants that run full, with a rent, in more
    periods under B than under A. The rent of a full plant's capacity is its shadow price:
    its output's value less its inputs and operating cost at the market's prices."""
    in_b, in_a = _binding_periods(b, periods), _binding_periods(a, periods)
    if in_b.empty:
        return []
    more = in_b["n"] - in_a["n"].reindex(in_b.index, fill_value=0)
    table = in_b.assign(more=more, n_a=in_a["n"].reindex(in_b.index, fill_value=0))
    table = table[table["more"] > 0].sort_values(["more", "rent"], ascending=False)
    out = []
    for r in table.head(NAMED).reset_index().to_dict("records"):
        out.append(
            f"Why: the capacity of {r['plant']} ({r['region']}, {r['process']}) binds in "
            f"{int(r['n'])} periods from {r['first']} (baseline: {int(r['n_a'])}); one more "
            f"tonne of it would earn {float(r['rent']):,.2f} USD/kg on average (its output's "
            "value less its inputs and operating cost at the market's prices: the capacity's "
            "shadow price)."
        )
    return out


# a gap smaller than this share of the destination's price is freight or a tie, not an
# agreement holding the market back
GAP_NOTABLE = 0.02


def _agreement_binds(result: Result, periods: set[str]) -> pd.DataFrame:
    """Per contracted route and side: periods the flow sits at a bound against the market (at
    its maximum while the destination pays more; at its minimum while it pays less), the
    first, the mean bound (t per period) and the mean gap (USD/kg)."""
    ag = result.agreements
    ag = ag[ag["period"].astype(str).isin(periods)]
    if ag.empty:
        return pd.DataFrame()
    tol = 1e-6 * max(1.0, float(ag["flow"].abs().max()))
    price = prices_at(result, ag["destination"], ag["material"], ag["period"])
    notable = GAP_NOTABLE * pd.Series(np.abs(price), index=ag.index)
    at_max = ag["volume_max"].notna() & (ag["flow"] >= ag["volume_max"] - tol)
    at_max &= ag["gap"] > notable
    at_min = (ag["volume_min"] > tol) & (ag["flow"] <= ag["volume_min"] + tol)
    at_min &= ag["gap"] < -notable
    both = pd.concat(
        [
            ag[at_max].assign(side="maximum", bound=ag["volume_max"]),
            ag[at_min].assign(side="minimum", bound=ag["volume_min"]),
        ]
    )
    if both.empty:
        return pd.DataFrame()
    return both.groupby(["origin", "destination", "material", "side"]).agg(
        n=("period", "size"), first=("period", "min"), bound=("bound", "mean"), gap=("gap", "mean")
    )


def binding_agreements(a: Result, b: Result, periods: set[str]) -> list[str]:
    """Why a trade flow does not follow the market: the agreements that hold a route at a
    bound against the price gap in more periods under B than under A (a suspension holds
    it at a maximum of 0 while the destination would pay more)."""
    in_b, in_a = _agreement_binds(b, periods), _agreement_binds(a, periods)
    if in_b.empty:
        return []
    n_a = in_a["n"].reindex(in_b.index, fill_value=0) if len(in_a) else 0
    table = in_b.assign(n_a=n_a, more=in_b["n"] - n_a)
    table = table[table["more"] > 0].sort_values(["more", "gap"], ascending=False)
    out = []
    for r in table.head(NAMED).reset_index().to_dict("records"):
        per_year = float(r["bound"]) / period_years(str(r["first"]))
        gap = abs(float(r["gap"]))
        if r["side"] == "maximum":
            what = (
                f"holds {r['origin']} -> {r['destination']} {r['material']} at its maximum of "
                f"{_t(per_year)}/yr while {r['destination']} pays {gap:,.1f} USD/kg more"
            )
        else:
            what = (
                f"forces at least {_t(per_year)}/yr of {r['material']} from {r['origin']} to "
                f"{r['destination']} while {r['destination']} pays {gap:,.1f} USD/kg less"
            )
        out.append(
            f"Why: an agreement {what}, in {int(r['n'])} periods from {r['first']} (baseline: "
            f"{int(r['n_a'])}); that gap is what a tonne more (or less) under it would be worth."
        )
    return out


def _stock_draw(cmp: Comparison) -> str:
    """Why prices outside China stay down: working stocks drawn instead of bought."""
    table = cmp["month_by_month"]
    stocks = table[table["measure"] == "stocks_outside_china"].set_index("period")
    if stocks.empty:
        return ""
    start, low = float(stocks["a"].iloc[0]), float(stocks["b"].min())
    drawn = float((stocks["a"] - stocks["b"]).max())
    if start <= 0 or drawn < 0.1 * start:
        return ""
    when = str(stocks["b"].idxmin())
    return (
        "Why prices outside China rise little while stock lasts: buyers there draw the working "
        f"stocks of the restricted materials from {_t(start)} to {_t(low)} (lowest in {when}), "
        f"at most {_t(drawn)} below the baseline's; a holder releases stock once the price is "
        "above what it expected by the release premium (policy_rules.csv), so while stock "
        "lasts it holds the price outside China near that level."
    )


def run_findings(result: Result) -> list[str]:
    """Sentences on one run alone: unserved demand, physical shortage, where it falls, how
    far prices outside China stand from China's, and the export licences that bind."""
    sf = result.shortfalls
    reference = float(sf["reference"].sum())
    unserved = float(sf["unserved"].sum())
    share = unserved / reference if reference else 0.0
    by_region = sf.groupby("region")[["reference", "unserved"]].sum()
    by_region["share"] = by_region["unserved"] / by_region["reference"].where(
        by_region["reference"] > 0
    )
    worst = by_region.sort_values("share", ascending=False).head(NAMED)
    named = ", ".join(f"{region} {_pct(float(share))}" for region, share in worst["share"].items())
    periods = result.periods
    span = f"{periods[0]}..{periods[-1]}" if periods else "the horizon"
    out = [
        f"Unserved demand over {span}: {_t(unserved)}, {_pct(share)} of reference demand; "
        f"highest shares: {named}.",
        shortage_sentence(result),
        *_price_gaps(result),
        *binding_licences(result),
    ]
    return [s for s in out if s]


def _price_gaps(result: Result) -> list[str]:
    """The key materials whose price outside China stands apart from China's (>= 5% on
    average over the run), largest first."""
    gaps = price_gaps(result, list(result.periods))
    gaps = gaps[gaps["gap_pct"].abs() >= 5.0]
    gaps = gaps.reindex(gaps["gap_pct"].abs().sort_values(ascending=False).index).head(NAMED)
    return [
        f"{r['material']} averages {float(r['outside']):,.1f} USD/kg outside China at spot "
        f"({float(r['outside_vw']):,.1f} volume-weighted, contracts and spot) and "
        f"{float(r['china']):,.1f} inside ({float(r['gap_pct']):+.0f}%); the gap is widest in "
        f"{r['widest']} ({float(r['outside_then']):,.1f} against {float(r['china_then']):,.1f})."
        for r in gaps.to_dict("records")
    ]


def glossary_frame() -> pd.DataFrame:
    return pd.DataFrame(list(GLOSSARY), columns=["term", "meaning"])
