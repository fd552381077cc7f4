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
        "contract,kind,seller_region,buyer_region,materials,floor,ceiling,volume,take_or_pay,upside_share,"
        "upside_above,upside_cap,start,end,note,source,vintage,estimate_method\n"
        "my-floor,floor,USA,USA,oxide:Nd,110,,,,,,,2025-10,2035-10,mine,rareflow-assumption,"
        "2025,test\n"
    )
    result = _result({("USA", "oxide:Nd"): [80.0, 80.0]}, [("production", "USA", "oxide:Nd", 9.0)])
    lines = contract_lines(result, str(tmp_path))
    assert len(lines) == 1 and lines[0].startswith("contract my-floor:")
    assert "floor payments USD 0.5 M" in lines[0]  # 30 USD/kg under, 9 t a month, two months


def test_run_prints_what_an_offtake_costs_its_buyer(tmp_path: Path) -> None:
    from rareflow.cli.run import contract_lines

    (tmp_path / "contracts.csv").write_text(
        "contract,kind,seller_region,buyer_region,materials,floor,ceiling,volume,take_or_pay,upside_share,"
        "upside_above,upside_cap,start,end,note,source,vintage,estimate_method\n"
        "my-offtake,offtake,MYS,JPN,oxide:Nd,110,,120,,,,,2025-10,2035-10,offtake,"
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


def test_a_ceiling_caps_the_contract_price_and_says_what_it_saved() -> None:
    # NdPr at 90 then 150 USD/kg (as above), a floor of 80 and a ceiling of 130, no upside:
    # October at the spot (90), November at the ceiling, 20 under the spot on 12 t: USD 240,000
    result = _result(
        {("USA", "oxide:Nd"): [80.0, 150.0], ("USA", "oxide:Pr"): [120.0, 150.0]},
        [("production", "USA", "oxide:Nd", 9.0), ("process_output", "USA", "oxide:Pr", 3.0)],
    )
    terms = {"floor": 80.0, "ceiling": 130.0, "upside_share": None, "upside_above": None}
    s = settle(result, _contract(**terms)).set_index("period")
    assert s["contract_usd_per_kg"].tolist() == pytest.approx([90.0, 130.0])
    assert s["ceiling_saving_usd"].tolist() == pytest.approx([0.0, 240_000.0])
    assert s["floor_payment_usd"].tolist() == pytest.approx([0.0, 0.0])


def test_take_or_pay_charges_the_offered_volume_the_buyer_did_not_take() -> None:
    # the seller makes 500 t a month and offers 5,000 t/yr (424.4 t in October); the buyer,
    # bound to pay for 80% of it (339.5 t), uses only 100 t at 110 (the floor over a spot of
    # 100): it pays for 239.5 t it did not take, and its price per kg used rises accordingly
    result = _result(
        {("MYS", "oxide:Nd"): [100.0, 100.0], ("JPN", "oxide:Nd"): [105.0, 105.0]},
        [("process_output", "MYS", "oxide:Nd", 500.0), ("process_input", "JPN", "oxide:Nd", 100.0)],
    )
    terms = {"kind": "offtake", "seller_region": "MYS", "buyer_region": "JPN"}
    s = settle(result, _contract(materials="oxide:Nd", volume=5000.0, take_or_pay=0.8, **terms))
    offered = 5000.0 * 31 / 365.25
    unpaid = (0.8 * offered - 100.0) * 110.0 * 1000.0
    assert s["taken_t"].iloc[0] == pytest.approx(100.0)
    assert s["take_or_pay_usd"].iloc[0] == pytest.approx(unpaid, rel=1e-3)
    weighted = (100.0 * 110.0 + unpaid / 1000.0) / 100.0
    assert s["buyer_weighted_usd_per_kg"].iloc[0] == pytest.approx(weighted, rel=1e-3)
    # without take-or-pay the same buyer pays only for what it took
    plain = settle(result, _contract(materials="oxide:Nd", volume=5000.0, **terms))
    assert plain["take_or_pay_usd"].sum() == 0.0
    assert plain["buyer_weighted_usd_per_kg"].iloc[0] == pytest.approx(110.0)


HEADER = (
    "contract,kind,seller_region,buyer_region,materials,floor,ceiling,volume,take_or_pay,"
    "upside_share,upside_above,upside_cap,start,end,note,source,vintage,estimate_method\n"
)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            "c,offtake,MYS,JPN,oxide:Nd,110,100,120,,,,,2025-10,2035-10,x,src,2025,t\n",
            "contracts.csv:2: column 'ceiling': '100' is below the floor (expected >= 110)",
        ),
        (
            "c,floor,USA,USA,oxide:Nd,110,,,0.5,,,,2025-10,2035-10,x,src,2025,t\n",
            "contracts.csv:2: column 'take_or_pay': '0.5' needs an offtake with a volume",
        ),
        (
            "c,offtake,MYS,JPN,oxide:Nd,110,,120,1.5,,,,2025-10,2035-10,x,src,2025,t\n",
            "contracts.csv:2: column 'take_or_pay': '1.5' is too large (expected a number <= 1)",
        ),
    ],
)
def test_bad_contract_terms_are_refused_with_file_and_line(
    tmp_path: Path, row: str, message: str
) -> None:
    from rareflow.cli.run import contract_lines
    from rareflow.data.loader import ReferenceDataError

    (tmp_path / "contracts.csv").write_text(HEADER + row)
    result = _result({("USA", "oxide:Nd"): [80.0, 80.0]}, [("production", "USA", "oxide:Nd", 9.0)])
    with pytest.raises(ReferenceDataError) as err:
        contract_lines(result, str(tmp_path))
    assert message in str(err.value)


def test_run_prints_a_ceilings_saving_and_a_take_or_pay(tmp_path: Path) -> None:
    from rareflow.cli.run import contract_lines

    (tmp_path / "contracts.csv").write_text(
        HEADER + "capped,offtake,MYS,JPN,oxide:Nd,0,70,120,1,,,,2025-10,2035-10,x,src,2025,t\n"
    )
    # Malaysia makes 9 t a month at 80 USD/kg, offered in full (120 t/yr covers more), the
    # price capped at 70: 2 x 9 t x 10 USD/kg saved; Japan uses 6 t, so it pays for 3 t a
    # month it did not take at 70: 2 x 3 t x 70 USD/kg = USD 0.42 M
    result = _result(
        {("MYS", "oxide:Nd"): [80.0, 80.0], ("JPN", "oxide:Nd"): [90.0, 90.0]},
        [("production", "MYS", "oxide:Nd", 9.0), ("consumption", "JPN", "oxide:Nd", 6.0)],
    )
    (line,) = contract_lines(result, str(tmp_path))
    assert "the ceiling saved USD 0.2 M" in line
    assert "take-or-pay on volume offered and not taken USD 0.4 M" in line
