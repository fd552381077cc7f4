"""China's quota history: loaded through the strict loader and consistent with USGS."""

from __future__ import annotations

import pytest

from rareflow.data.loader import load_reference


def test_quotas_are_consistent_with_usgs_and_each_other() -> None:
    ref = load_reference()
    q = ref["china_quotas"].pivot(index="year", columns="quota", values="value")
    assert list(q.index) == sorted(q.index) and q.index.min() <= 2019 and q.index.max() >= 2024
    both = q.dropna()
    # separation quotas have always been set a little below the mining quota
    assert (both["separation"] <= both["mining"]).all()
    # USGS reports China's mine production as the mining quota
    mp = ref["mine_production"]
    usgs = mp[(mp["edition"] == "MCS2025") & (mp["region"] == "CHN") & (mp["year"] == 2024)]
    assert float(usgs["quantity"].iloc[0]) == float(q.loc[2024, "mining"])


def test_quota_rule_grows_chinas_mines_and_separation_after_the_last_published_quota() -> None:
    from rareflow.network_builder import QUOTA_STAGES, build_network, china_quota_index

    ref = load_reference()
    rule = float(ref["policy_rules"].set_index("rule").loc["china_quota_growth", "value"])
    # the stated rule is the 2014 -> 2024 compound growth of the published mining quota
    q = ref["china_quotas"].query("quota == 'mining'").set_index("year")["value"]
    assert rule == pytest.approx((q[2024] / q[2014]) ** (1 / 10) - 1, abs=5e-4)
    index = china_quota_index(ref, 2024, 2030)
    assert index[2024] == 1.0
    assert index[2027] == pytest.approx((1 + rule) ** 3)
    net = build_network(ref, last_year=2030)

    def china_mining(year: int) -> float:
        cap = net.supply_capacity.merge(net.supply, on="step")
        rows = cap[(cap["region"] == "CHN") & cap["material"].str.startswith("concentrate:")]
        return float(rows.loc[rows["year"] == year, "capacity"].sum())

    assert china_mining(2024) == pytest.approx(270_000.0)
    assert china_mining(2030) == pytest.approx(270_000.0 * (1 + rule) ** 6, rel=1e-6)
    plants = net.facility_capacity.merge(net.facilities, on="facility").merge(
        net.processes[["process", "stage"]], on="process"
    )
    sep = plants[(plants["region"] == "CHN") & plants["stage"].isin(QUOTA_STAGES)]
    by_year = sep.groupby("year")["capacity"].sum()
    assert by_year[2026] / by_year[2024] == pytest.approx((1 + rule) ** 2)
    # plants outside the quota (magnets, outside China) are not touched
    magnets = plants[(plants["region"] == "CHN") & (plants["stage"] == "magnet")]
    assert magnets.groupby("year")["capacity"].sum().nunique() == 1


def test_a_scenario_overrides_the_quota_rule_with_a_parameter_event() -> None:
    from rareflow.network_builder import china_quota_index
    from rareflow.scenario.apply import apply_parameters
    from rareflow.scenario.schema import Scenario

    ref = load_reference()
    frozen = Scenario.model_validate(
        {
            "name": "frozen-quota",
            "horizon": {"start": "2025-01", "end": "2026-12", "step": "year"},
            "events": [
                {
                    "type": "parameter",
                    "table": "policy_rules",
                    "key": "china_quota_growth",
                    "column": "value",
                    "value": 0.0,
                }
            ],
        }
    )
    index = china_quota_index(apply_parameters(frozen, ref), 2024, 2030)
    assert (index == 1.0).all()
