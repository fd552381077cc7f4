"""China's quota history: loaded through the strict loader and consistent with USGS."""

from __future__ import annotations

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
