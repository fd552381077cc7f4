"""The one typed-table declaration (rareflow.tables) and what its users read from it."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from rareflow.network import COMPONENTS
from rareflow.optimize.levers import LEVER_TABLES, LeverError, Levers
from rareflow.results import TABLES
from rareflow.tables import Column, table


def test_table_reads_required_defaults_units_and_types() -> None:
    t = table(
        "t",
        "region",
        Column("when", "date", required=False),
        Column("value", "float", required=False, default=0.0, unit="t/yr"),
        key=("region",),
    )
    assert t.names == ("region", "when", "value")
    assert t.required == ("region",)
    assert t.defaults == {"when": None, "value": 0.0}
    assert t.units_by_column == {"value": "t/yr"}
    assert t.of_type("date") == ("when",)
    assert t.column("value").unit == "t/yr"
    with pytest.raises(KeyError):
        t.column("nope")
    empty = t.empty()
    assert list(empty.columns) == ["region", "when", "value"] and empty.empty


def test_levers_fill_declared_defaults_and_parse_declared_types() -> None:
    taxes = pd.DataFrame(
        [{"origin": "CHN", "destination": "*", "material": "oxide:Dy", "start": "2025-04"}]
    )
    lev = Levers(taxes=taxes)
    row = lev.taxes.iloc[0]
    spec = LEVER_TABLES["taxes"]
    assert set(lev.taxes.columns) == set(spec.names)
    assert row["usd_per_t"] == 0.0 and row["ad_valorem"] == 0.0 and math.isnan(row["ref_price"])
    assert row["start"] == pd.Timestamp("2025-04-01")
    # a number column declared nonnegative refuses a negative value, naming row and column
    with pytest.raises(LeverError, match="row 0, column 'usd_per_t'"):
        Levers(taxes=taxes.assign(usd_per_t=-1.0))
    # a share is declared with maximum 1; an ad valorem rate is not a share (145% tariffs)
    assert Levers(taxes=taxes.assign(ad_valorem=1.45)).taxes["ad_valorem"].iloc[0] == 1.45
    licences = taxes[["origin", "destination", "material"]].assign(approval_share=1.2)
    with pytest.raises(LeverError, match=r"column 'approval_share': expected a share in \[0, 1\]"):
        Levers(licences=licences)
    with pytest.raises(LeverError, match="column 'approval_share': expected a number, got 'x'"):
        Levers(licences=licences.assign(approval_share="x"))


def test_result_units_and_component_keys_come_from_the_declarations() -> None:
    assert TABLES["prices"].units_by_column == {"price": "USD/kg"}
    assert TABLES["shortfalls"].column("share").unit == "fraction of reference"
    assert COMPONENTS["demand"].key == ("region", "sector", "material")
    assert COMPONENTS["arcs"].column("cost").unit == "USD/t"
