"""Prices as traded (rareflow.metrics.traded_prices): the volume-weighted price of contracts
indexed to China's price and spot, solved by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from rareflow.metrics.traded_prices import (
    ContractTerms,
    index_price,
    volume_weighted,
    with_volume_weighted,
)
from rareflow.results import Result


def _result(step: str, meta: dict[str, str] | None) -> Result:
    summary: dict[str, object] = {"horizon": {"step": step}}
    if meta is not None:
        summary["meta"] = meta
    return Result(summary=summary)


def test_index_is_chinas_price_of_the_months_before() -> None:
    china = pd.Series([100.0, 100.0, 40.0, 40.0])
    # lag 0: the month's own price; lag 1: last month's; the first month has none before it
    assert index_price(china, 0).tolist() == [100.0, 100.0, 40.0, 40.0]
    assert index_price(china, 1).tolist() == [100.0, 100.0, 100.0, 40.0]
    assert index_price(china, 2).tolist() == [100.0, 100.0, 100.0, 70.0]


def test_volume_weighted_price_follows_the_index_when_spot_jumps() -> None:
    # a restriction in month 3: China's price falls to 40, the spot outside China jumps to 300
    spot = pd.Series([100.0, 100.0, 300.0, 300.0])
    index = index_price(pd.Series([100.0, 100.0, 40.0, 40.0]), 1)
    # 3/4 of the volume at last month's China price, 1/4 at spot
    assert volume_weighted(spot, index, 0.75).tolist() == pytest.approx([100, 100, 150, 105])
    # no contracts: the spot
    assert volume_weighted(spot, index, 0.0).tolist() == spot.tolist()


def test_terms_come_from_the_run_and_its_step() -> None:
    meta = {"contract_share": "0.75", "contract_price_lag_months": "3"}
    assert ContractTerms.of(_result("month", meta)) == ContractTerms(0.75, 3)
    assert ContractTerms.of(_result("quarter", meta)) == ContractTerms(0.75, 1)
    assert ContractTerms.of(_result("year", meta)) == ContractTerms(0.75, 0)
    # a result written before the rules existed: no contracts, so the spot
    assert ContractTerms.of(_result("month", None)) == ContractTerms(0.0, 0)


def test_series_gets_both_volume_weighted_prices_per_material() -> None:
    series = pd.DataFrame(
        {
            "material": ["oxide:Dy"] * 3 + ["oxide:Tb"] * 3,
            "period": ["2025-03", "2025-04", "2025-05"] * 2,
            "china": [200.0, 100.0, 100.0, 1000.0, 1000.0, 1000.0],
            "outside": [200.0, 400.0, 400.0, 1000.0, 1000.0, 2000.0],
        }
    )
    out = with_volume_weighted(series, ContractTerms(0.5, 1)).set_index(["material", "period"])
    # Dy in April: index = March's China price 200; outside 0.5 x 200 + 0.5 x 400
    assert out.loc[("oxide:Dy", "2025-04"), "outside_vw"] == pytest.approx(300.0)
    assert out.loc[("oxide:Dy", "2025-04"), "china_vw"] == pytest.approx(150.0)
    # Tb's index is Tb's own China price, not Dy's
    assert out.loc[("oxide:Tb", "2025-05"), "outside_vw"] == pytest.approx(1500.0)


def test_shipped_network_carries_the_contract_rules() -> None:
    from rareflow.data.loader import load_reference
    from rareflow.network_builder import build_network

    meta = build_network(load_reference(), last_year=2025).meta
    assert float(meta["contract_share"]) == pytest.approx(0.75)
    assert float(meta["contract_price_lag_months"]) == pytest.approx(1.0)
