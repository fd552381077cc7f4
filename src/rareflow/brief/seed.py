"""The seed brief: every scenario solved (or reused from the cache), the findings gathered
and rendered as Markdown."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from rareflow.brief.findings import (
    BASELINE,
    CHAIN,
    CHAIN_PROCESSES,
    CHAIN_SLOW,
    FULL_USE,
    PAUSE,
    RESOLUTION_COLUMNS,
    RESOLUTIONS,
    RESOLVED_FROM,
    SCENARIOS,
    SEED,
    Binding,
    Coverage,
    DemandCoverage,
    PauseFindings,
    agreement_terms,
    chain_binding,
    demand_coverage,
    india_demand_range,
    ndfeb_coverage,
    pause_findings,
    resolution_row,
    suspension_start,
)
from rareflow.brief.scheme import SchemeNeeds, scheme_needs
from rareflow.brief.text import (
    binding_text,
    coverage_text,
    demand_coverage_text,
    demand_range_note,
    md_table,
    pause_text,
    resolution_text,
    scheme_text,
)
from rareflow.comparison import (
    CompareError,
    Loaded,
    Progress,
    price_change,
    result_periods,
    run_cached,
    scenario_horizon,
)
from rareflow.data.loader import load_reference
from rareflow.metrics.elements import content_table
from rareflow.pipeline.options import RunOptions

# ---------------------------------------------------------------------------------------------
# the brief


@dataclass
class SeedBrief:
    periods: dict[str, str]  # scenario -> "start..end step"
    pause: PauseFindings
    coverage: list[Coverage]
    demand: list[DemandCoverage]
    binding: list[Binding]
    seed: PauseFindings
    seed_prices: pd.DataFrame
    scheme: list[SchemeNeeds]
    resolutions: pd.DataFrame  # scenario x RESOLUTION_COLUMNS, from RESOLVED_FROM on

    def markdown(self) -> str:
        return render(self)


def _run_options(
    scenarios_dir: Path, until: str | None, step: str | None, foresight: str | None
) -> dict[str, RunOptions]:
    """Each scenario's run options: --until/--step for all; without --until the baseline
    is extended to the latest end among the scenarios, so that every scenario has its
    baseline over its whole horizon."""
    ends = {
        name: scenario_horizon(scenarios_dir / f"{name}.yaml").to_dict()["end"]
        for name in SCENARIOS
    }
    latest = max(ends.values())
    out = {}
    for name, own_end in ends.items():
        end = until if until is not None else (latest if name == BASELINE else None)
        if until is not None and until > own_end and name != BASELINE:
            end = own_end  # never past the scenario's own horizon
        out[name] = RunOptions(foresight=foresight, until=end, step=step)
    return out


def seed_brief(
    scenarios_dir: Path,
    cache_dir: Path,
    until: str | None = None,
    step: str | None = None,
    progress: Progress | None = None,
    announce: object | None = None,
    foresight: str | None = None,
) -> SeedBrief:
    """Run (or reuse) the five scenarios and answer the seed's questions."""
    missing = [n for n in SCENARIOS if not (scenarios_dir / f"{n}.yaml").is_file()]
    if missing:
        raise CompareError(f"{scenarios_dir}: no scenario file {missing[0]}.yaml")
    options = _run_options(scenarios_dir, until, step, foresight)
    from rareflow.optimize.warm import ModelStore

    runs: dict[str, Loaded] = {}
    models = ModelStore()  # the scenarios share one in-place model where they can
    for name in SCENARIOS:
        if callable(announce):
            announce(name)
        runs[name] = run_cached(
            scenarios_dir / f"{name}.yaml",
            cache_dir,
            options[name],
            progress=progress,
            models=models,
        )
    base = runs[BASELINE].result
    terms = agreement_terms()
    reference = load_reference()
    content = content_table(reference)
    eff, share = suspension_start(scenarios_dir / f"{PAUSE}.yaml")
    pause = pause_findings(PAUSE, base, runs[PAUSE].result, eff, share, terms, content)
    eff_s, share_s = suspension_start(scenarios_dir / f"{SEED}.yaml")
    seed = pause_findings(SEED, base, runs[SEED].result, eff_s, share_s, terms, content)
    coverage = [ndfeb_coverage(n, base, runs[n].result) for n in (CHAIN, CHAIN_SLOW)]
    wanted = india_demand_range(reference["reported_figures"])
    demand = [demand_coverage(n, runs[n].result, wanted) for n in (BASELINE, CHAIN, CHAIN_SLOW)]
    binding = [chain_binding(n, runs[n].result) for n in (CHAIN, CHAIN_SLOW)]
    common = [p for p in result_periods(runs[SEED].result) if p in set(result_periods(base))]
    seed_prices, _ = price_change(
        base, runs[SEED].result, common, ("oxide:Dy", "oxide:Tb"), (BASELINE, SEED)
    )
    spans = {}
    for name, run in runs.items():
        ps = result_periods(run.result)
        step_name = run.result.summary.get("horizon", {}).get("step", "")
        spans[name] = f"{ps[0]}..{ps[-1]} {step_name}".strip()
    scheme = [scheme_needs(n, runs[n].result, reference) for n in (CHAIN, CHAIN_SLOW)]
    rows = {}
    for name in (PAUSE, *RESOLUTIONS):
        found = pause_findings(name, base, runs[name].result, RESOLVED_FROM, 1.0, terms, content)
        rows[name] = resolution_row(found, base, runs[name].result)
    resolutions = pd.DataFrame.from_dict(rows, orient="index", columns=list(RESOLUTION_COLUMNS))
    resolutions.index.name = "scenario"
    return SeedBrief(
        spans, pause, coverage, demand, binding, seed, seed_prices, scheme, resolutions
    )


def render(brief: SeedBrief) -> str:
    lines = ["# The seed's questions, answered by rareflow", ""]
    lines.append("Runs: " + "; ".join(f"{n} {s}" for n, s in brief.periods.items()) + ".")
    lines.append(
        "Flows are t/yr averaged over the periods named; prices USD/kg. Every figure comes from "
        "the model's solve over its reference data: it moves when the data move."
    )
    lines += [
        "",
        "## 1-2. The pause of the IREL-Toyotsu agreement (india-pauses-toyotsu vs baseline)",
        "",
    ]
    lines += pause_text(brief.pause)
    lines += ["", "## 3. India's own NdFeB output against its NdFeB imports", ""]
    lines.append(
        "Reference: India's NdFeB imports (HRE and LRE) in the baseline, the same calendar year; "
        "ratio = India's NdFeB output under the scenario / that reference."
    )
    lines.append("")
    for c in brief.coverage:
        lines += coverage_text(c)
        lines.append("")
    lines += ["## 3a. India's own NdFeB output against its demand", ""]
    if brief.demand:
        lines.append(demand_range_note(brief.demand[0].demand))
        lines.append("")
    for d in brief.demand:
        lines += demand_coverage_text(d)
        lines.append("")
    lines += ["## 3b. What the 6,000 t/yr magnet scheme needs, and who supplies it", ""]
    for s in brief.scheme:
        lines += scheme_text(s)
        lines.append("")
    lines += ["## 4. Which link of India's chain binds first", ""]
    lines.append(
        f"Use of capacity of India's facilities by stage (NdFeB chain: {', '.join(CHAIN_PROCESSES)}"
        f"); fully used = at least {FULL_USE:.0%} of capacity."
    )
    lines.append("")
    for b in brief.binding:
        lines += binding_text(b)
        lines.append("")
    lines += ["## 5. seed (every event together) vs baseline", ""]
    lines += pause_text(brief.seed)
    sp = brief.seed_prices.set_index("material")
    lines += [
        "",
        "Dy and Tb oxide prices inside China and outside it (demand-weighted), USD/kg:",
        "",
    ]
    lines += md_table(sp[["china_a", "outside_a", "china_b", "outside_b", "gap_b"]], "{:,.1f}")
    lines += ["", "## 6. Three negotiated resolutions of the pause, side by side", ""]
    lines += resolution_text(brief.resolutions, RESOLVED_FROM)
    return "\n".join(lines) + "\n"
