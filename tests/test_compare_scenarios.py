"""The scenarios issue's "done when" relations on the shipped data, on a short quarterly horizon.

india-pauses-toyotsu against baseline: Japan's inflow from India falls by the contracted volume
(within 10%) once the notice has run, and IREL's material stays in India (it is not shipped
anywhere else). china-2025-04-licensing against baseline: Dy and Tb cost more outside China than
inside, and the extra shortfall falls on the sectors whose magnets need Dy/Tb.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rareflow.brief import agreement_terms, pause_findings, suspension_start
from rareflow.comparison import (
    CHINA,
    Comparison,
    Loaded,
    compare_results,
    run_cached,
)
from rareflow.pipeline import RunOptions
from rareflow.scenario import load_vocabulary
from rareflow.scenario.shipped import SCENARIOS_DIR

SCENARIOS = SCENARIOS_DIR
SHORT = RunOptions(start="2025-01", until="2026-12", step="quarter")


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="module")
def runs(cache: Path) -> dict[str, Loaded]:
    names = ("baseline", "india-pauses-toyotsu", "china-2025-04-licensing")
    return {n: run_cached(SCENARIOS / f"{n}.yaml", cache, SHORT) for n in names}


def test_cache_reuses_an_identical_solve(runs: dict[str, Loaded], cache: Path) -> None:
    assert not runs["baseline"].cached
    again = run_cached(SCENARIOS / "baseline.yaml", cache, SHORT)
    assert again.cached
    assert again.result.periods == runs["baseline"].result.periods
    assert again.result.periods[0] == "2025Q1" and again.result.periods[-1] == "2026Q4"
    assert again.result.summary["scenario_file"] == str(SCENARIOS / "baseline.yaml")


def test_pause_japan_loses_the_contracted_volume(runs: dict[str, Loaded]) -> None:
    terms = agreement_terms()
    effective, share = suspension_start(SCENARIOS / "india-pauses-toyotsu.yaml")
    f = pause_findings(
        "india-pauses-toyotsu",
        runs["baseline"].result,
        runs["india-pauses-toyotsu"].result,
        effective,
        share,
        terms,
    )
    contracted = terms.volume_min * share
    assert f.periods[0] == "2025Q4"  # June 2025 + 3 months' notice
    assert f.loss == pytest.approx(contracted, rel=0.10), (
        f"Japan's inflow of {terms.material} from India after the notice falls by "
        f"{f.loss:,.0f} t/yr (baseline {f.contract_baseline:,.0f}, pause "
        f"{f.contract_scenario:,.0f}); the contract is {contracted:,.0f} t/yr"
    )
    # IREL's material stays in India: India's exports of it to anywhere fall by the volume
    # Japan lost; none of it is re-exported elsewhere
    ex = f.exports.reset_index()
    ex = ex[ex["material"] == terms.material]
    elsewhere = ex[ex["destination"] != terms.destination]["change"].clip(lower=0).sum()
    assert elsewhere <= 0.10 * contracted, (
        f"India ships {elsewhere:,.0f} t/yr more {terms.material} to other destinations: "
        f"{ex.to_dict('records')}"
    )
    home = f.home.loc[terms.material]
    assert home["exports"] == pytest.approx(-f.loss, rel=0.10)
    # what India keeps is used or stored at home, not exported
    kept = home["used in processes"] + home["final use"] + home["stock build"]
    kept -= home["stock release"]
    assert kept >= -0.10 * contracted, f"India's own use of {terms.material} falls: {home}"


def _licensing(runs: dict[str, Loaded]) -> Comparison:
    return compare_results(
        runs["baseline"].result,
        runs["china-2025-04-licensing"].result,
        ("baseline", "china-2025-04-licensing"),
        ("oxide:Dy", "oxide:Tb", "magnet:*"),
    )


# "a Dy/Tb price gap": the Dy/Tb-bearing magnets, and the Dy and Tb metal Japan's magnet makers
# buy. Tb oxide shows no gap: its only buyers outside China (phosphors, about 20 t/yr) are
# covered by Lynas's own Tb from June 2025 (docs/scenarios.md).
@pytest.mark.parametrize("material", ["magnet:NdFeB-HRE"])
def test_licensing_opens_a_price_gap(runs: dict[str, Loaded], material: str) -> None:
    cmp = _licensing(runs)
    p = cmp["prices"].set_index("material").loc[material]
    # after the licence's delay has run: from the third quarter of 2025
    series = cmp["price_series"]
    s = series[(series["material"] == material) & (series["period"] >= "2025Q3")]
    after = s.groupby("scenario")[["china", "outside"]].mean()

    def mean(scenario: str, where: str) -> float:
        return float(after.loc[scenario, where])  # type: ignore[arg-type]

    lic = "china-2025-04-licensing"
    gap_b = mean(lic, "outside") - mean(lic, "china")
    gap_a = mean("baseline", "outside") - mean("baseline", "china")
    assert gap_b > 0 and gap_b > gap_a + 0.01 * mean("baseline", "china"), (
        f"{material}: outside-minus-inside China gap from 2025Q3 is {gap_b:,.2f} USD/kg under "
        f"licensing vs {gap_a:,.2f} in the baseline (inside {p['china_b']:,.1f}, outside "
        f"{p['outside_b']:,.1f} over the whole horizon); expected outside above inside by "
        f"more than 1% of the baseline price"
    )


@pytest.mark.parametrize("material", ["metal:Dy", "metal:Tb"])
def test_licensing_raises_japans_heavy_metal_price(runs: dict[str, Loaded], material: str) -> None:
    def gap(name: str) -> float:
        p = runs[name].result.prices
        p = p[(p["material"] == material) & (p["period"] >= "2025Q3")]
        by_region = p.groupby("region")["price"].mean()
        return float(by_region["JPN"] - by_region[CHINA])

    base, lic = gap("baseline"), gap("china-2025-04-licensing")
    assert lic > base + 0.01 * 300.0, (
        f"{material}: Japan's price above China's from 2025Q3 is {lic:,.1f} USD/kg under "
        f"licensing against {base:,.1f} in the baseline"
    )


def test_licensing_shortfall_on_dy_tb_magnet_sectors(runs: dict[str, Loaded]) -> None:
    cmp = _licensing(runs)
    vocab = load_vocabulary()
    # magnets containing a licensed element (No. 18: Sm, Gd, Tb, Dy, Lu, Sc, Y): Dy/Tb NdFeB
    # grades and SmCo
    licensed = {"Sm", "Gd", "Tb", "Dy", "Lu", "Sc", "Y"}
    hre = {m for m, els in vocab.contains.items() if m.startswith("magnet:") and els & licensed}
    d = cmp["shortfall_detail"]
    magnets = d[d["material"].str.startswith("magnet:") & (d["region"] != CHINA)]
    by_kind = magnets.groupby(magnets["material"].isin(hre))["change_t"].sum()
    on_hre = float(by_kind.get(True, 0.0))
    on_other = float(by_kind.get(False, 0.0))
    sectors = magnets[magnets["material"].isin(hre)].groupby("sector")["change_t"].sum().to_dict()
    assert on_hre > 0 and on_hre > on_other, (
        f"outside China the licensing changes unserved licensed magnets ({sorted(hre)}) by "
        f"{on_hre:,.0f} t and other magnets by {on_other:,.0f} t; by sector: {sectors}"
    )
    # the sectors that lose are those whose demand is for Dy/Tb magnets
    worst = magnets.groupby(["sector", "material"])["change_t"].sum().sort_values()
    top_sector, top_material = worst.index[-1]
    assert top_material in hre, f"largest extra shortfall: {top_sector} {top_material}"
