"""Key findings in words, each with its number and unit, from a comparison or one run."""

from __future__ import annotations

from engine_fixtures import ONE_BLOCK, two_region
from rareflow.comparison import compare_results
from rareflow.comparison.findings import (
    GLOSSARY,
    comparison_findings,
    run_findings,
    shortage_sentence,
)
from rareflow.optimize import Horizon, solve

YEAR = Horizon("2025-01", "2025-12", "quarter")


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
