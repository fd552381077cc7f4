"""EU criticality and USGS-style supply risk on cases computed by hand from the formulas."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from rareflow.metrics.common import MetricsError
from rareflow.metrics.criticality import (
    eu_comparison,
    eu_economic_importance,
    eu_supply_risk,
    hhi_wgi_t,
    region_criticality,
    usgs_style_supply_risk,
)

GOV = {"CHN": 6.0, "USA": 3.0, "EST": 2.0, "AUS": 2.0}
REFERENCE_DIR = Path(__file__).resolve().parents[1] / "src" / "rareflow" / "data" / "reference"


def test_hhi_wgi_t_by_hand() -> None:
    # 0.9^2 x 6 + 0.1^2 x 3 = 4.86 + 0.03
    assert hhi_wgi_t({"CHN": 90, "USA": 10}, GOV) == pytest.approx(4.89)
    # EU partner weighted by t = 0.8: 0.25 x 6 + 0.25 x 2 x 0.8
    assert hhi_wgi_t({"CHN": 50, "EST": 50}, GOV, {"EST": 0.8}) == pytest.approx(1.9)
    with pytest.raises(MetricsError, match="MMR"):
        hhi_wgi_t({"MMR": 1.0}, GOV)


def test_eu_supply_risk_by_hand() -> None:
    sr = eu_supply_risk(
        global_supply={"CHN": 90, "USA": 10},
        eu_sourcing={"CHN": 50, "EST": 50},
        import_reliance=0.5,
        eol_rir=0.1,
        si_sr=0.9,
        governance=GOV,
        trade_eu={"EST": 0.8},
    )
    # [4.89 x 0.25 + 1.9 x 0.75] x 0.9 x 0.9
    assert sr.supply_risk == pytest.approx(2.144475)
    assert sr.eu_sourcing == "GS+EU"
    gs_only = eu_supply_risk({"CHN": 90, "USA": 10}, None, 0.5, 0.1, 0.9, GOV)
    assert gs_only.supply_risk == pytest.approx(4.89 * 0.81)
    assert gs_only.eu_sourcing == "GS only"
    # a net exporter's negative reliance counts as zero
    exporter = eu_supply_risk({"CHN": 90, "USA": 10}, {"EST": 1}, -3.0, 0.0, 1.0, GOV)
    assert exporter.import_reliance == 0.0
    assert exporter.supply_risk == pytest.approx(2.0)
    with pytest.raises(MetricsError):
        eu_supply_risk({"CHN": 1}, None, 0.5, 1.5, 1.0, GOV)


def test_eu_economic_importance_by_hand() -> None:
    ei = eu_economic_importance(
        end_use_shares={"C29": 0.6, "C27": 0.4},
        value_added={"C29": 200.0, "C27": 100.0, "C28": 250.0},
        si_ei=0.95,
    )
    # (0.6 x 200 + 0.4 x 100) / 250 x 10 x 0.95
    assert ei == pytest.approx(6.08)
    with pytest.raises(MetricsError):
        eu_economic_importance({"C99": 1.0}, {"C29": 1.0}, 1.0)


def test_usgs_style_by_hand() -> None:
    r = usgs_style_supply_risk({"CHN": 70, "AUS": 30}, GOV, net_import_reliance=0.5)
    # 0.49 x 0.6 + 0.09 x 0.2
    assert r.disruption_potential == pytest.approx(0.312)
    assert r.trade_exposure == pytest.approx(0.5)
    assert r.components == 2
    assert r.composite == pytest.approx((0.312 * 0.5) ** 0.5)
    full = usgs_style_supply_risk({"CHN": 70, "AUS": 30}, GOV, 1.4, economic_vulnerability=0.8)
    assert full.trade_exposure == 1.0
    assert full.composite == pytest.approx((0.312 * 1.0 * 0.8) ** (1 / 3))


def _reference() -> dict[str, pd.DataFrame]:
    ci = pd.DataFrame(
        [
            ("LREE", "extraction", "import_reliance", 0.8),
            ("LREE", "extraction", "supply_risk", 4.0),
            ("LREE", "assessment", "supply_risk", 3.7),
            ("LREE", "assessment", "eol_rir", 0.01),
            ("La", "assessment", "si_sr", 0.97),
            ("HREE", "extraction", "import_reliance", 1.0),
            ("HREE", "assessment", "eol_rir", 0.01),
            ("Dy", "assessment", "si_sr", 0.99),
        ],
        columns=["material", "stage", "parameter", "value"],
    )
    return {
        "mine_production": pd.DataFrame(
            {
                "edition": ["E"] * 2,
                "region": ["CHN", "AUS"],
                "year": [2024] * 2,
                "quantity": [80.0, 20.0],
            }
        ),
        "region_deposits": pd.DataFrame(
            {"region": ["CHN", "AUS"], "deposit": ["d", "d"], "share": [1.0, 1.0]}
        ),
        "deposit_assays": pd.DataFrame(
            {"deposit": ["d", "d"], "element": ["La", "Dy"], "share": [0.5, 0.5]}
        ),
        "governance": pd.DataFrame({"region": list(GOV), "wgi_scaled": list(GOV.values())}),
        "criticality_inputs": ci,
    }


def test_eu_comparison_extraction_by_hand() -> None:
    out = eu_comparison(_reference()).set_index(["group", "stage"])
    lree = out.loc[("LREE", "extraction")]
    # global shares 0.8 / 0.2, GS only: (0.64 x 6 + 0.04 x 2) x (1 - 0.01) x 0.97
    expected = (0.64 * 6 + 0.04 * 2) * 0.99 * 0.97
    assert lree["supply_risk"] == pytest.approx(expected)
    assert lree["eu_supply_risk"] == pytest.approx(4.0)
    assert lree["gap"] == pytest.approx(expected / 4.0 - 1)
    assert lree["top_supplier"] == "CHN"
    hree = out.loc[("HREE", "extraction")]
    assert hree["supply_risk"] == pytest.approx((0.64 * 6 + 0.04 * 2) * 0.99 * 0.99)
    # no published stage value for HREE extraction here, and none is invented
    assert pd.isna(hree["eu_supply_risk"])


def test_shipped_governance_and_criticality_tables_are_consistent() -> None:
    gov = pd.read_csv(REFERENCE_DIR / "governance.csv")
    assert (gov["wgi_scaled"] - 2 * (2.5 - gov["wgi_mean"])).abs().max() < 0.002
    assert gov["wgi_scaled"].between(0, 10).all()
    assert {"CHN", "IND", "JPN", "EU27", "ROW"} <= set(gov["region"])
    ci = pd.read_csv(REFERENCE_DIR / "criticality_inputs.csv")
    scores = ci[ci["parameter"].isin(["supply_risk", "economic_importance"])]
    assert scores["value"].between(0, 10).all()
    fractions = ci[ci["unit"] == "fraction"]
    assert fractions["value"].between(0, 1).all()


class _Result:
    """Dy oxide in January 2024: China 80 t, Malaysia 10 t, Estonia 10 t; France imports
    10 t from China; Estonia uses its own."""

    def __init__(self) -> None:
        rows = [
            ("process_output", "CHN", "oxide:Dy", 80.0),
            ("process_output", "MYS", "oxide:Dy", 10.0),
            ("process_output", "EST", "oxide:Dy", 10.0),
            ("trade_out", "CHN", "oxide:Dy", 10.0),
            ("trade_in", "FRA", "oxide:Dy", 10.0),
            ("consumption", "FRA", "oxide:Dy", 10.0),
            ("consumption", "EST", "oxide:Dy", 10.0),
            ("consumption", "CHN", "oxide:Dy", 70.0),
            ("consumption", "MYS", "oxide:Dy", 10.0),
        ]
        self.flows = pd.DataFrame(
            [(k, r, m, "2024-01", v) for k, r, m, v in rows],
            columns=["kind", "region", "material", "period", "value"],
        )
        self.trade = pd.DataFrame(
            {
                "origin": ["CHN"],
                "destination": ["FRA"],
                "material": ["oxide:Dy"],
                "period": ["2024-01"],
                "value": [10.0],
            }
        )


GOV_EU = {**GOV, "MYS": 4.0, "FRA": 2.0}


def test_eu_comparison_processing_from_a_result_by_hand() -> None:
    ref = _reference()
    ref["governance"] = pd.DataFrame({"region": list(GOV_EU), "wgi_scaled": list(GOV_EU.values())})
    out = eu_comparison(ref, _Result()).set_index(["group", "stage"])
    hree = out.loc[("HREE", "processing")]
    # global: CHN 0.8, MYS 0.1, EST 0.1 -> 0.64 x 6 + 0.01 x 4 + 0.01 x 2 = 3.90
    assert hree["hhi_wgi_t_global"] == pytest.approx(3.90)
    # EU sourcing: Estonia's own 10 t and 10 t from China -> 0.25 x 2 + 0.25 x 6 = 2.0
    assert hree["hhi_wgi_t_eu"] == pytest.approx(2.0)
    # EU (DEU EST FRA EU27 as one): 10 t imported of 20 t used
    assert hree["import_reliance"] == pytest.approx(0.5)
    assert hree["import_reliance_basis"] == "result"
    assert hree["supply_risk"] == pytest.approx((3.9 * 0.25 + 2.0 * 0.75) * 0.99 * 0.99)
    # no light rare earth oxide in the result: no processing row for LREE
    assert ("LREE", "processing") not in out.index


def test_region_criticality_puts_the_region_in_the_eus_place() -> None:
    ref = _reference()
    ref["governance"] = pd.DataFrame({"region": list(GOV_EU), "wgi_scaled": list(GOV_EU.values())})
    fra = region_criticality(ref, _Result(), "FRA").set_index("group")
    # France: all of its Dy oxide from China, fully import reliant
    assert fra.loc["HREE", "import_reliance"] == pytest.approx(1.0)
    assert fra.loc["HREE", "supply_risk"] == pytest.approx((3.9 * 0.5 + 6.0 * 0.5) * 0.99 * 0.99)
    assert fra.loc["HREE", "trade_exposure"] == pytest.approx(1.0)
    assert pd.isna(fra.loc["LREE", "supply_risk"])
    est = region_criticality(ref, _Result(), "EST").set_index("group")
    assert est.loc["HREE", "supply_risk"] == pytest.approx(2.0 * 0.99 * 0.99)
