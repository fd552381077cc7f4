"""Concentration measures checked by hand on small cases."""

from __future__ import annotations

import pandas as pd
import pytest

from rareflow.metrics.common import MetricsError
from rareflow.metrics.concentration import (
    concentration,
    element_mine_output,
    facility_capacity,
    hhi,
    reference_concentration,
    result_concentration,
)


def test_hhi_by_hand() -> None:
    # shares 50/30/10/10 %: 0.25 + 0.09 + 0.01 + 0.01
    assert hhi([50, 30, 10, 10]) == pytest.approx(0.36)
    assert hhi([7.0]) == pytest.approx(1.0)
    with pytest.raises(MetricsError):
        hhi([1.0, -1.0])


def test_concentration_groups_scales_and_top_shares() -> None:
    data = pd.DataFrame(
        {
            "stage": ["mining"] * 5 + ["magnet"] * 2 + ["metal"],
            "region": ["A", "B", "C", "D", "A", "X", "Y", "Z"],
            # A appears twice in mining: 40 + 10 = 50
            "value": [40.0, 30.0, 10.0, 10.0, 10.0, 1.0, 3.0, 0.0],
        }
    )
    out = concentration(data, ["stage"], "region").set_index("stage")
    mining = out.loc["mining"]
    assert mining["total"] == pytest.approx(100.0)
    assert mining["n_suppliers"] == 4
    assert mining["hhi"] == pytest.approx(0.36)
    assert mining["hhi_points"] == pytest.approx(3600.0)
    assert mining["top1"] == "A"
    assert mining["top1_share"] == pytest.approx(0.5)
    assert mining["top3_share"] == pytest.approx(0.9)
    magnet = out.loc["magnet"]
    assert magnet["hhi"] == pytest.approx(0.25**2 + 0.75**2)
    assert magnet["top1"] == "Y"
    assert magnet["top3_share"] == pytest.approx(1.0)
    # a stage with zero output has no concentration
    assert "metal" not in out.index


def _reference() -> dict[str, pd.DataFrame]:
    return {
        "mine_production": pd.DataFrame(
            {
                "edition": ["E1", "E1", "E1", "E0"],
                "region": ["A", "B", "A", "A"],
                "year": [2024, 2024, 2023, 2024],
                "quantity": [100.0, 100.0, 70.0, 999.0],
            }
        ),
        "region_deposits": pd.DataFrame(
            {"region": ["A", "A", "B"], "deposit": ["d1", "d2", "d1"], "share": [0.6, 0.4, 1.0]}
        ),
        "deposit_assays": pd.DataFrame(
            {
                "deposit": ["d1", "d1", "d2"],
                "element": ["La", "Nd", "Dy"],
                "share": [0.5, 0.5, 1.0],
            }
        ),
        "facilities": pd.DataFrame(
            {
                "facility": ["f1", "f2", "f3", "f4"],
                "region": ["A", "B", "B", "A"],
                "owner": ["Co1", "Co1", "Co2", "Co3"],
                "process": ["separation:d1", "separation:d1", "reduction:Nd", "reduction:Nd"],
            }
        ),
        "facility_capacity": pd.DataFrame(
            {
                "facility": ["f1", "f1", "f2", "f3", "f4"],
                "year": [2020, 2030, 2024, 2024, 2026],
                "capacity": [10.0, 99.0, 30.0, 5.0, 50.0],
            }
        ),
        "processes": pd.DataFrame(
            {"process": ["separation:d1", "reduction:Nd"], "stage": ["separation", "reduction"]}
        ),
    }


def test_element_split_by_deposit_mix_and_assay() -> None:
    el = element_mine_output(_reference(), "E1")
    el = el[el["year"] == 2024].set_index(["region", "element"])["value"]
    # A: 100 t, 60 % d1 (La/Nd half each), 40 % d2 (all Dy); B: 100 t of d1
    assert el[("A", "La")] == pytest.approx(30.0)
    assert el[("A", "Nd")] == pytest.approx(30.0)
    assert el[("A", "Dy")] == pytest.approx(40.0)
    assert el[("B", "Nd")] == pytest.approx(50.0)


def test_facility_capacity_uses_latest_earlier_year_and_folds_stages() -> None:
    caps = facility_capacity(_reference(), 2024).set_index("facility")
    assert caps.loc["f1", "value"] == pytest.approx(10.0)  # 2020 row, not the 2030 one
    assert "f4" not in caps.index  # no capacity until 2026
    assert caps.loc["f3", "stage"] == "metal"


def test_reference_concentration_by_country_element_and_company() -> None:
    out = reference_concentration(_reference(), edition="E1")
    mining = out[(out["stage"] == "mining") & (out["subject"] == "all REO")].iloc[0]
    assert mining["hhi"] == pytest.approx(0.5)  # A 100, B 100 in 2024
    nd = out[out["subject"] == "Nd"].iloc[0]
    # Nd: A 30, B 50
    assert nd["hhi"] == pytest.approx((30 / 80) ** 2 + (50 / 80) ** 2)
    assert nd["top1"] == "B"
    sep = out[(out["stage"] == "separation") & (out["by"] == "company")].iloc[0]
    assert sep["top1"] == "Co1" and sep["hhi"] == pytest.approx(1.0)
    sep_c = out[(out["stage"] == "separation") & (out["by"] == "country")].iloc[0]
    assert sep_c["hhi"] == pytest.approx(0.25**2 + 0.75**2)


class _Result:
    def __init__(self, flows: pd.DataFrame) -> None:
        self.flows = flows


def test_result_concentration_per_stage_and_period() -> None:
    flows = pd.DataFrame(
        {
            "kind": ["production", "production", "process_output", "process_input", "production"],
            "region": ["CHN", "USA", "CHN", "CHN", "CHN"],
            "material": [
                "concentrate:bastnaesite",
                "concentrate:bastnaesite",
                "oxide:Nd",
                "mixed:bastnaesite",
                "concentrate:bastnaesite",
            ],
            "period": ["2025-01", "2025-01", "2025-01", "2025-01", "2025-02"],
            "value": [80.0, 20.0, 5.0, 10.0, 50.0],
        }
    )
    out = result_concentration(_Result(flows))
    row = out[(out["stage"] == "mining") & (out["subject"] == "all") & (out["period"] == "2025-01")]
    assert row["hhi"].iloc[0] == pytest.approx(0.68)
    feb = out[(out["stage"] == "mining") & (out["subject"] == "all") & (out["period"] == "2025-02")]
    assert feb["hhi"].iloc[0] == pytest.approx(1.0)
    sep = out[(out["stage"] == "separation") & (out["subject"] == "oxide:Nd")]
    assert sep["top1"].iloc[0] == "CHN"
