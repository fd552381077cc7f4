"""Contract settlements (rareflow.metrics.contracts) on hand-made results, and the shipped
contracts table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from rareflow.data.loader import packaged_dir, read_table
from rareflow.data.schema import SPECS_BY_NAME
from rareflow.metrics.contracts import settle
from rareflow.results import Result

PERIODS = ["2025-10", "2025-11"]


def _result(prices: dict[tuple[str, str], list[float]], flows: list[tuple]) -> Result:
    price_rows = [
        {"region": r, "material": m, "period": p, "price": v}
        for (r, m), values in prices.items()
        for p, v in zip(PERIODS, values, strict=True)
    ]
    flow_rows = [
        {"kind": k, "region": r, "material": m, "period": p, "value": v}
        for k, r, m, v in flows
        for p in PERIODS
    ]
    return Result(
        prices=pd.DataFrame(price_rows),
        flows=pd.DataFrame(flow_rows),
        summary={"periods": PERIODS},
    )


def _contract(**terms: object) -> pd.DataFrame:
    row = {
        "contract": "c",
        "kind": "floor",
        "seller_region": "USA",
        "buyer_region": "USA",
        "materials": "oxide:Nd;oxide:Pr",
        "floor": 110.0,
        "volume": None,
        "upside_share": 0.3,
        "upside_above": 110.0,
        "upside_cap": None,
        "start": "2025-10",
        "end": "2035-10",
    }
    return pd.DataFrame([{**row, **terms}])


def test_a_floor_pays_out_when_the_market_falls_below_it() -> None:
    # 9 t Nd and 3 t Pr oxide a month; NdPr at (9 x 80 + 3 x 120) / 12 = 90 USD/kg in
    # October (20 under the floor: 20 x 12 t x 1000 = 240,000 USD), 150 in November (no
    # payment; 30% of 40 USD/kg over the floor handed back: 144,000 USD)
    result = _result(
        {("USA", "oxide:Nd"): [80.0, 150.0], ("USA", "oxide:Pr"): [120.0, 150.0]},
        [("production", "USA", "oxide:Nd", 9.0), ("process_output", "USA", "oxide:Pr", 3.0)],
    )
    s = settle(result, _contract()).set_index("period")
    assert s["spot_usd_per_kg"].tolist() == pytest.approx([90.0, 150.0])
    assert s["floor_payment_usd"].tolist() == pytest.approx([240_000.0, 0.0])
    assert s["upside_usd"].tolist() == pytest.approx([0.0, 144_000.0])
    assert s["contract_usd_per_kg"].tolist() == pytest.approx([110.0, 150.0 - 12.0])


def test_an_offtake_sets_the_buyers_volume_weighted_price_beside_the_spot() -> None:
    # the seller makes 500 t a month; the buyer takes 5,000 t/yr (416.7 t a month) at the
    # spot (100) but not below the floor (110), and buys the rest of its 1,000 t at 105
    result = _result(
        {("MYS", "oxide:Nd"): [100.0, 100.0], ("JPN", "oxide:Nd"): [105.0, 105.0]},
        [("process_output", "MYS", "oxide:Nd", 500.0), ("process_input", "JPN", "oxide:Nd", 1e3)],
    )
    terms = {"kind": "offtake", "seller_region": "MYS", "buyer_region": "JPN"}
    s = settle(result, _contract(materials="oxide:Nd", volume=5000.0, **terms))
    month = 5000.0 * 31 / 365.25  # October's share of a year
    assert s["volume_t"].iloc[0] == pytest.approx(month, rel=1e-3)
    assert s["contract_usd_per_kg"].iloc[0] == pytest.approx(110.0)
    expected = (month * 110.0 + (1000.0 - month) * 105.0) / 1000.0
    assert s["buyer_weighted_usd_per_kg"].iloc[0] == pytest.approx(expected, rel=1e-3)
    assert s["floor_payment_usd"].sum() == 0.0


def test_outside_its_term_a_contract_settles_nothing() -> None:
    result = _result({("USA", "oxide:Nd"): [80.0, 80.0]}, [("production", "USA", "oxide:Nd", 9.0)])
    assert settle(result, _contract(materials="oxide:Nd", start="2026-01")).empty


def test_the_shipped_contracts_are_the_dod_floor_and_the_jare_offtake() -> None:
    frame, _ = read_table(SPECS_BY_NAME["contracts"], packaged_dir() / "contracts.csv")
    rows = frame.set_index("contract")
    assert rows.loc["dod-mp-ndpr-floor", "floor"] == 110.0
    assert rows.loc["lynas-jare-ndpr", "volume"] == 5000.0


def test_run_settles_the_contracts_of_the_runs_own_data(tmp_path: Path) -> None:
    from rareflow.cli.run import contract_lines

    (tmp_path / "contracts.csv").write_text(
        "contract,kind,seller_region,buyer_region,materials,floor,volume,upside_share,"
        "upside_above,upside_cap,start,end,note,source,vintage,estimate_method\n"
        "my-floor,floor,USA,USA,oxide:Nd,110,,,,,2025-10,2035-10,mine,rareflow-assumption,"
        "2025,test\n"
    )
    result = _result({("USA", "oxide:Nd"): [80.0, 80.0]}, [("production", "USA", "oxide:Nd", 9.0)])
    lines = contract_lines(result, str(tmp_path))
    assert len(lines) == 1 and lines[0].startswith("contract my-floor:")
    assert "floor payments USD 0.5 M" in lines[0]  # 30 USD/kg under, 9 t a month, two months


def test_run_prints_what_an_offtake_costs_its_buyer(tmp_path: Path) -> None:
    from rareflow.cli.run import contract_lines

    (tmp_path / "contracts.csv").write_text(
        "contract,kind,seller_region,buyer_region,materials,floor,volume,upside_share,"
        "upside_above,upside_cap,start,end,note,source,vintage,estimate_method\n"
        "my-offtake,offtake,MYS,JPN,oxide:Nd,110,120,,,,2025-10,2035-10,offtake,"
        "rareflow-assumption,2025,test\n"
    )
    # Malaysia makes 9 t a month at 80 USD/kg; Japan uses 12 t at 90: the offtake's 9 t (120
    # t/yr covers more) cost 110, 30 over spot: 2 x 9 t x 30 USD/kg = USD 0.54 M over spot;
    # Japan's volume-weighted price (9 x 110 + 3 x 90) / 12 = 105
    result = _result(
        {("MYS", "oxide:Nd"): [80.0, 80.0], ("JPN", "oxide:Nd"): [90.0, 90.0]},
        [("production", "MYS", "oxide:Nd", 9.0), ("consumption", "JPN", "oxide:Nd", 12.0)],
    )
    lines = contract_lines(result, str(tmp_path))
    assert len(lines) == 1 and lines[0].startswith("contract my-offtake:")
    assert "the buyer pays USD 0.5 M over spot (its volume-weighted price 105.0)" in lines[0]
    assert "floor payments" not in lines[0]
