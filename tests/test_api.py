"""The Python API: rareflow.run / compare / load_scenario, Result accessors, xarray, plots."""

from __future__ import annotations

from pathlib import Path

import pytest

import rareflow as rf
from rareflow.results import TABLES


@pytest.fixture(scope="module")
def short() -> rf.Result:
    return rf.run("baseline", until="2025-06", step="quarter")


def test_run_by_name_gives_the_parquet_long_format(short: rf.Result, tmp_path: Path) -> None:
    for name in ("prices", "flows", "trade", "shortfalls"):
        frame = getattr(short, name)
        assert tuple(frame.columns) == TABLES[name].names
        assert len(frame) > 0
    assert sorted(set(short.prices["period"])) == ["2025Q1", "2025Q2"]
    # the same tables as the files `rareflow run` writes
    short.to_dir(tmp_path)
    back = rf.Result.from_dir(tmp_path)
    assert back.prices.equals(short.prices)


def test_to_xarray_holds_the_same_numbers(short: rf.Result) -> None:
    ds = short.to_xarray()
    assert set(ds.data_vars) >= {"price", "flow", "trade", "unserved", "reference"}
    assert float(ds["unserved"].sum()) == pytest.approx(float(short.shortfalls["unserved"].sum()))
    row = short.prices.iloc[0]
    value = ds["price"].sel(region=row["region"], material=row["material"], period=row["period"])
    assert float(value) == pytest.approx(float(row["price"]))
    assert ds["price"].attrs["units"] == "USD/kg"


def test_plots_are_plotly_figures(short: rf.Result) -> None:
    prices = short.plot.prices()
    assert any("China" in str(trace.name) for trace in prices.data)
    assert len(short.plot.shortfalls().data) > 0
    sankey = short.plot.sankey(2025, region="IND")
    assert sankey.data[0].type == "sankey" and len(sankey.data[0].link.value) > 0
    with pytest.raises(rf.UserError, match="year 2031"):
        short.plot.sankey(2031)


def test_compare_takes_results_and_names(short: rf.Result) -> None:
    cmp = rf.compare(short, "seed", until="2025-06", step="quarter")
    assert cmp.periods == ["2025Q1", "2025Q2"]
    assert cmp.name_a == "baseline" and cmp.name_b == "seed"
    assert "region" in cmp["shortfall_by_region"].columns


def test_load_scenario_and_user_mistakes() -> None:
    seed = rf.load_scenario("seed")
    assert seed.name == "seed" and seed.events
    with pytest.raises(rf.UserError, match="no such scenario file or shipped scenario"):
        rf.load_scenario("no-such-thing")
    with pytest.raises(rf.UserError, match="--until: expected a month YYYY-MM"):
        rf.run("seed", until="2025-13")
    with pytest.raises(rf.UserError, match="foresight"):
        rf.run("seed", foresight="sometimes")
