"""`rareflow brief seed`: the seed article's questions answered with numbers from the model.

Runs baseline, india-pauses-toyotsu, india-value-chain-2030, its slow variant and seed (cached,
see `rareflow.comparison.run_cached`) and states:

1. what Japan loses from the pause of the IREL-Toyotsu agreement (t/yr of inflow from India
   once the notice has run) and who fills it (change of Japan's inflows by origin);
2. what stays in India and where it goes (India's production, use, stocks and exports of the
   agreement's material and of separated oxides);
3. in which year India's own NdFeB output covers a quarter, a half and all of its NdFeB
   imports (the imports of the baseline in the same year), under india-value-chain-2030 and
   its slow variant; and in which year it reaches the low and the high end of India's NdFeB
   demand as its sources put it (4,067-7,500 t in FY25, doubling by 2030: reported_figures.csv),
   under the baseline and both chain scenarios;
4. which link of India's chain binds first: the stage (mining, cracking, separation, reduction,
   alloying, magnet) whose capacity is fully used first, and the chain material whose Indian
   price stands furthest above the world's;
5. the seed scenario (every event together) against the baseline: Japan and India again, and
   the Dy/Tb prices inside and outside China.

All flows are t/yr averaged over the periods named; prices USD/kg.
"""

from rareflow.brief.findings import (
    AGREEMENT,
    BASELINE,
    CHAIN,
    CHAIN_SLOW,
    DAYS_PER_MONTH,
    FULL_USE,
    GAP_NOTABLE_PCT,
    INDIA,
    JAPAN,
    NDFEB,
    PAUSE,
    SCENARIOS,
    SEED,
    AgreementTerms,
    Binding,
    Coverage,
    DemandCoverage,
    DemandRange,
    PauseFindings,
    agreement_terms,
    chain_binding,
    demand_coverage,
    full_years,
    india_demand_range,
    ndfeb_coverage,
    pause_findings,
    periods_from,
    price_gaps,
    suspension_start,
)
from rareflow.brief.seed import SeedBrief, render, seed_brief
from rareflow.comparison import CHINA

__all__ = [
    "AGREEMENT",
    "BASELINE",
    "CHAIN",
    "CHAIN_SLOW",
    "CHINA",
    "DAYS_PER_MONTH",
    "FULL_USE",
    "GAP_NOTABLE_PCT",
    "INDIA",
    "JAPAN",
    "NDFEB",
    "PAUSE",
    "SCENARIOS",
    "SEED",
    "AgreementTerms",
    "Binding",
    "Coverage",
    "DemandCoverage",
    "DemandRange",
    "PauseFindings",
    "SeedBrief",
    "agreement_terms",
    "chain_binding",
    "demand_coverage",
    "full_years",
    "india_demand_range",
    "ndfeb_coverage",
    "pause_findings",
    "periods_from",
    "price_gaps",
    "render",
    "seed_brief",
    "suspension_start",
]
