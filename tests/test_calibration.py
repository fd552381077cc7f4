"""The 2024 baseline reproduces the base-year targets of issue 3 (docs/calibration.md).

Targets: mine output by country within 5% of USGS MCS2025; China's shares of separation and of
magnet output within 3 points of sourced shares; NdPr oxide price inside and outside China
within 15% of the sourced 2024 prices; no unserved demand in 2024. Only the base year is
calibrated: nothing here is tuned to a historical episode.
"""

from __future__ import annotations

import pandas as pd
import pytest

from rareflow.calibration import base_year_horizon, calibrated_network
from rareflow.data.loader import load_reference
from rareflow.optimize import solve
from rareflow.results import Result

BASE_YEAR = 2024


@pytest.fixture(scope="module")
def reference() -> dict[str, pd.DataFrame]:
    return dict(load_reference())


@pytest.fixture(scope="module")
def base(reference: dict[str, pd.DataFrame]) -> Result:
    return solve(calibrated_network(reference), base_year_horizon(BASE_YEAR))


def _sourced(reference: dict[str, pd.DataFrame], metric: str) -> list[float]:
    rf = reference["reported_figures"]
    rows = rf[(rf["subject"] == "china") & (rf["metric"] == metric)]
    return [float(v) for v in rows["value"]]


def _china_share(result: Result, form: str) -> float:
    out = result.flows[result.flows["kind"] == "process_output"]
    out = out[out["material"].str.startswith(f"{form}:")]
    by_region = out.groupby("region")["value"].sum()
    return float(by_region.get("CHN", 0.0) / by_region.sum())


# USGS's figure for Australia is what China imported of Australian material; Mt Weld feeds Lynas
# in Kalgoorlie and Malaysia, which China's imports do not see (docs/calibration.md)
IMPORT_BASED_FLOORS = ("AUS",)


def test_mine_output_by_country_within_5_percent_of_usgs(
    reference: dict[str, pd.DataFrame], base: Result
) -> None:
    usgs = reference["mine_production"]
    usgs = usgs[(usgs["edition"] == "MCS2025") & (usgs["year"] == BASE_YEAR)]
    usgs = usgs[usgs["quantity"] > 0].set_index("region")["quantity"]
    mined = base.flows[
        (base.flows["kind"] == "production") & base.flows["material"].str.startswith("concentrate:")
    ]
    model = mined.groupby("region")["value"].sum()
    for region, published in usgs.items():
        got = float(model.get(region, 0.0))
        if region in IMPORT_BASED_FLOORS:
            # USGS estimates it from China's imports (MCS2025 note a): a floor, not the output
            assert got >= 0.95 * float(published), f"{region}: {got} vs {published}"
            continue
        assert got == pytest.approx(float(published), rel=0.05), f"{region}: {got} vs {published}"


def test_china_separation_share_within_3_points_of_a_sourced_share(
    reference: dict[str, pd.DataFrame], base: Result
) -> None:
    share = _china_share(base, "oxide")
    sourced = _sourced(reference, "refined_ree_share")
    assert sourced, "no sourced separation share in reported_figures.csv"
    assert min(abs(share - s) for s in sourced) <= 0.03, f"model {share:.3f} vs {sourced}"


def test_china_magnet_share_within_3_points_of_a_sourced_share(
    reference: dict[str, pd.DataFrame], base: Result
) -> None:
    share = _china_share(base, "magnet")
    sourced = _sourced(reference, "sintered_ndfeb_share")
    recent = [s for s in sourced if s >= 0.85]  # the 2010 figure (79%) is another era
    assert min(abs(share - s) for s in recent) <= 0.03, f"model {share:.3f} vs {recent}"


@pytest.mark.parametrize("market", ["CHN", "exCHN"])
def test_ndpr_oxide_price_within_15_percent(
    reference: dict[str, pd.DataFrame], base: Result, market: str
) -> None:
    prices = reference["prices"]
    sourced = prices[
        (prices["material"] == "oxide:Nd") & (prices["market"] == market) & (prices["year"] == 2024)
    ]["price"]
    assert len(sourced) == 1
    p = base.prices
    inside = p["region"] == "CHN"
    rows = p[
        (inside if market == "CHN" else ~inside) & p["material"].isin(["oxide:Nd", "oxide:Pr"])
    ]
    # NdPr oxide: the didymium mix 75:25 of the two oxide prices, averaged over regions
    nd = rows[rows["material"] == "oxide:Nd"]["price"].mean()
    pr = rows[rows["material"] == "oxide:Pr"]["price"].mean()
    ndpr = 0.75 * nd + 0.25 * pr
    assert ndpr == pytest.approx(float(sourced.iloc[0]), rel=0.15)


def test_no_unserved_demand_in_the_base_year(base: Result) -> None:
    sf = base.shortfalls
    assert float(sf["unserved"].sum()) <= 0.005 * float(sf["reference"].sum())
