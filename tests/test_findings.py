"""Key findings in words, each with its number and unit, from a comparison or one run."""

from __future__ import annotations

import pandas as pd
import pytest

from engine_fixtures import ONE_BLOCK, chain, two_region
from rareflow.comparison import compare_results
from rareflow.comparison.findings import (
    GLOSSARY,
    comparison_findings,
    run_findings,
    shortage_sentence,
)
from rareflow.optimize import Horizon, solve

YEAR = Horizon(start="2025-01", end="2025-12", step="quarter")


def _runs() -> tuple[object, object]:
    base = solve(two_region(supply_cap=100.0), YEAR, options=ONE_BLOCK)
    cut = solve(two_region(supply_cap=30.0), YEAR, options=ONE_BLOCK)
    return base, cut


def test_a_comparison_says_who_runs_short_and_how_prices_move() -> None:
    base, cut = _runs()
    cmp = compare_results(base, cut, ("baseline", "cut"))  # type: ignore[arg-type]
    text = comparison_findings(cmp, cut)  # type: ignore[arg-type]
    # 60 t/yr wanted, 30 t/yr supplied: 30 t short over the year, all in B
    assert text[0].startswith("Unserved demand rises by 30 t over 2025Q1..2025Q4")
    assert "most in B 30 t (0.0% -> 50.0%)" in text[0]
    # one-block demand: the price goes to the willingness to pay, a physical shortage
    assert any("Physical shortage 30 t" in s for s in text)
    # B's only supplier ships 30 t less and nobody else can
    assert "B loses 30 t of oxide:M from A 30 and makes up none of it from elsewhere." in text


def test_no_change_and_no_shortage_are_said_as_such() -> None:
    base, _ = _runs()
    cmp = compare_results(base, base, ("a", "b"))  # type: ignore[arg-type]
    assert comparison_findings(cmp)[0].startswith("Unserved demand barely changes")
    assert shortage_sentence(base).startswith("No physical shortage")  # type: ignore[arg-type]


def test_one_run_alone() -> None:
    _, cut = _runs()
    text = run_findings(cut)  # type: ignore[arg-type]
    assert text[0].startswith("Unserved demand over 2025Q1..2025Q4: 30 t, 50.0%")
    assert {term for term, _ in GLOSSARY} >= {"physical shortage", "announced"}


def test_why_names_the_binding_licence_cap_and_its_shadow_price() -> None:
    from types import SimpleNamespace

    import pandas as pd

    from rareflow.comparison.findings import binding_licences

    arc = "CHN>JPN:oxide:Dy"
    licences = pd.DataFrame(
        {
            "arc": [arc, arc],
            "origin": ["CHN", "CHN"],
            "destination": ["JPN", "JPN"],
            "material": ["oxide:Dy", "oxide:Dy"],
            "period": ["2025-04", "2025-05"],
            "applied": [100.0, 100.0],
            "approved": [25.0, 175.0],
            "backlog": [75.0, 0.0],
            "allowed": [25.0, 175.0],
            "departed": [25.0, 175.0],
        }
    )
    prices = pd.DataFrame(
        {
            "region": ["CHN", "JPN", "CHN", "JPN"],
            "material": ["oxide:Dy"] * 4,
            "period": ["2025-04", "2025-04", "2025-05", "2025-05"],
            "price": [200.0, 260.0, 210.0, 211.0],
        }
    )
    run = SimpleNamespace(licences=licences, prices=prices)
    (text,) = binding_licences(run)  # type: ignore[arg-type]
    # April binds (departures at the approved 25 t, 75 t waiting); May clears the backlog
    assert "bind on oxide:Dy from CHN in 1 period from 2025-04 to 2025-04" in text
    assert "up to 75 t wait in the backlog (most for JPN)" in text
    # the cap's shadow price: Japan's price less China's in the binding period
    assert "worth 60.0 USD/kg" in text
    # nothing waits: the regime holds nothing back, and the finding says so
    clear = SimpleNamespace(licences=licences.iloc[1:], prices=prices)
    (text,) = binding_licences(clear)  # type: ignore[arg-type]
    assert text.startswith("Why: no export licence holds trade back")
    assert binding_licences(SimpleNamespace(licences=licences.iloc[:0], prices=prices)) == []  # type: ignore[arg-type]
    # China's rules reach re-exports: a second exporter's licence on the same material is
    # named beside China's, by the backlog behind it, not folded under the first row's name
    again = licences.iloc[:1].assign(origin="USA", arc="USA>JPN:oxide:Dy", backlog=90.0)
    both = SimpleNamespace(licences=pd.concat([licences, again]), prices=prices)
    (text,) = binding_licences(both)  # type: ignore[arg-type]
    assert "bind on oxide:Dy from USA, CHN in 1 period" in text


def test_the_capacity_table_and_why_a_plant_binds() -> None:
    from rareflow.comparison.findings import binding_plants

    year = Horizon(start="2025-01", end="2025-12", step="year")
    base = solve(chain(), year, options=ONE_BLOCK)
    tight = chain()
    tight.facility_capacity["capacity"] = 300.0
    cut = solve(tight, year, options=ONE_BLOCK)
    row = cut.capacity.set_index("plant").loc["sep-a"]
    # 300 t of separation make 180 t of X, short of the 240 t wanted in B: the plant runs
    # full; a tonne more earns 0.6 t of X at A's price (B's 50,000 less the 1,000 arc) less
    # the concentrate (1,000) and the separation cost (2,000); Y is in surplus at 0
    assert (row["activity"], row["capacity"], row["use"]) == pytest.approx((300.0, 300.0, 1.0))
    assert row["rent"] == pytest.approx((0.6 * 49_000 - 1_000 - 2_000) / 1000)
    assert base.capacity.set_index("plant").loc["sep-a", "use"] < 0.99
    (text,) = binding_plants(base, cut, set(cut.periods))
    assert text.startswith("Why: the capacity of sep-a (A, sep) binds in 1 periods from 2025")
    assert "(baseline: 0)" in text and "26.40 USD/kg" in text
    assert binding_plants(base, base, set(base.periods)) == []


def test_why_an_agreement_holds_a_route_against_the_market() -> None:
    from engine_fixtures import two_way
    from rareflow.comparison.findings import binding_agreements

    # B imports 60 t/yr from A at 15 USD/kg (A's 10 plus the 5 arc); an agreement on the
    # route, suspended to nothing, holds it at 0 while B pays more than A
    year = Horizon(start="2025-01", end="2025-12", step="year")
    base = solve(two_way(), year, options=ONE_BLOCK)
    held = two_way()
    held.agreements = pd.DataFrame(
        [
            {
                "agreement": "deal",
                "seller_region": "A",
                "buyer_region": "B",
                "material": "oxide:M",
                "start": "2020-01-01",
                "end": None,
                "volume_min": 0.0,
                "volume_max": 0.0,
            }
        ]
    )
    cut = solve(held, year, options=ONE_BLOCK)
    row = cut.agreements.iloc[0]
    assert (row["flow"], row["volume_max"]) == pytest.approx((0.0, 0.0))
    # with nothing from A, B's own supply at 40 USD/kg sets its price: the gap is 30 USD/kg
    assert row["gap"] == pytest.approx(40.0 - 10.0)
    (text,) = binding_agreements(base, cut, set(cut.periods))
    assert "holds A -> B oxide:M at its maximum of 0 t/yr while B pays 30.0 USD/kg more" in text
    assert "(baseline: 0)" in text
    assert binding_agreements(cut, cut, set(cut.periods)) == []


def test_supplier_swaps_at_unchanged_prices_are_one_sentence() -> None:
    from types import SimpleNamespace

    from rareflow.comparison.findings import _gap_fillers

    replacements = pd.DataFrame(
        {
            "destination": ["ROW", "DEU"],
            "material": ["oxide:La", "magnet:NdFeB-HRE"],
            "lost_t": [1700.0, 1300.0],
            "gained_t": [1700.0, 900.0],
            "net_t": [0.0, -400.0],
            "losers": ["CHN 1,700", "CHN 1,300"],
            "replaced_by": ["MYS 1,700", "JPN 900"],
        }
    )

    def run(la: float, magnet: float) -> SimpleNamespace:
        prices = pd.DataFrame(
            {
                "region": ["ROW", "DEU"],
                "material": ["oxide:La", "magnet:NdFeB-HRE"],
                "period": ["2025", "2025"],
                "price": [la, magnet],
            }
        )
        return SimpleNamespace(prices=prices, periods=["2025"])

    cmp = {"replacements": replacements}
    # La changes supplier at the same price: a swap; the magnets are a real loss
    text = _gap_fillers(cmp, run(2.0, 60.0), run(2.0, 66.0))  # type: ignore[arg-type]
    assert text[0] == (
        "DEU loses 1,300 t of magnet:NdFeB-HRE from CHN 1,300 and makes up 900 t from JPN 900."
    )
    assert text[1].startswith("Supplier swaps at unchanged prices (ROW oxide:La; 1,700 t in all)")
    # without the runs every re-routing stands on its own
    assert len(_gap_fillers(cmp)) == 2  # type: ignore[arg-type]


def test_one_run_says_how_far_prices_outside_china_stand_apart() -> None:
    from types import SimpleNamespace

    import pandas as pd

    from rareflow.comparison.findings import _price_gaps

    prices = pd.DataFrame(
        {
            "region": ["CHN", "JPN", "CHN", "JPN"],
            "material": ["oxide:Dy"] * 4,
            "period": ["2025-04", "2025-04", "2025-05", "2025-05"],
            "price": [200.0, 300.0, 210.0, 220.0],
        }
    )
    shortfalls = pd.DataFrame(
        {"region": ["JPN"], "material": ["oxide:Dy"], "period": ["2025-04"], "reference": [10.0]}
    )
    flows = pd.DataFrame(columns=["kind", "region", "material", "period", "value"])
    terms = {"meta": {"contract_share": "0.75", "contract_price_lag_months": "1"}}
    run = SimpleNamespace(prices=prices, shortfalls=shortfalls, flows=flows, summary=terms)
    run.periods = ["2025-04", "2025-05"]
    (text,) = _price_gaps(run)  # type: ignore[arg-type]
    # outside China (Japan alone) 260 on average against China's 205: +27%; volume-weighted,
    # 3/4 at China's price of the month before (April has none before it: its own, 200):
    # April 0.75 x 200 + 0.25 x 300 = 225, May 0.75 x 200 + 0.25 x 220 = 205, mean 215
    assert text == (
        "oxide:Dy averages 260.0 USD/kg outside China at spot (215.0 volume-weighted, "
        "contracts and spot) and 205.0 inside (+27%); the gap is widest in 2025-04 (300.0 "
        "against 200.0)."
    )
    # within 5% of China's price: nothing to say
    level = SimpleNamespace(
        prices=prices.assign(price=200.0), shortfalls=shortfalls, flows=flows, summary={}
    )
    level.periods = run.periods
    assert _price_gaps(level) == []  # type: ignore[arg-type]
