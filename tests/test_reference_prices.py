"""Reference prices: China's market for China, ex-China elsewhere, world as fallback, the
year nearest the one asked for."""

from __future__ import annotations

import pandas as pd
import pytest

from rareflow.reference_prices import first_existing, price_or_inf, reference_price

PRICES = pd.DataFrame(
    {
        "material": ["oxide:Nd", "oxide:Nd", "oxide:Nd", "oxide:Dy", "oxide:Dy", None],
        "market": ["CHN", "exCHN", "CHN", "world", "CHN", "CHN"],
        "year": [2024, 2024, 2020, 2023, 2019, 2024],
        "price": [60.0, 70.0, 90.0, 250.0, 400.0, 1.0],
    }
)


def test_market_preference_and_nearest_year() -> None:
    assert reference_price(PRICES, "oxide:Nd", "CHN", 2024) == 60_000.0
    assert reference_price(PRICES, "oxide:Nd", "JPN", 2024) == 70_000.0  # ex-China first
    assert reference_price(PRICES, "oxide:Nd", "CHN", 2021) == 90_000.0  # 2020 is nearer
    # only the nearest year's rows count, then the world price before China's
    assert reference_price(PRICES, "oxide:Dy", "JPN", 2024) == 250_000.0
    assert reference_price(PRICES, "oxide:Dy", "CHN", 2019) == 400_000.0


def test_missing_material() -> None:
    with pytest.raises(KeyError, match="no reference price for oxide:Tb"):
        reference_price(PRICES, "oxide:Tb", "CHN", 2024)
    assert price_or_inf(PRICES, "oxide:Tb", 2024) == float("inf")


def test_first_existing_takes_keys_in_order_and_skips_missing_cells() -> None:
    table = pd.DataFrame({"key": [None, "b", "a", "a"], "value": [0, 1, 2, 3]})
    assert first_existing(table, ["z", "a", "b"])["value"] == 2
    with pytest.raises(KeyError, match="none of \\['z'\\] found in column key"):
        first_existing(table, ["z"])
