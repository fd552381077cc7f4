"""Backtests: the error table's arithmetic on a hand-made case, the 2009 data vintage through
the loader's checks, a short replay of the 2010 episode, and the command."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from rareflow.backtest.episode import Episode
from rareflow.backtest.replay import BacktestError, error_table, line_up
from rareflow.results import Result


def _episode(rows: list[tuple[str, str, str, str, str, float]]) -> Episode:
    observed = pd.DataFrame(
        [
            {
                "indicator": i,
                "material": m,
                "where": w,
                "unit": u,
                "date": pd.Timestamp(f"{d}-01"),
                "value": v,
                "source": "s",
                "note": "",
            }
            for i, m, w, u, d, v in rows
        ]
    )
    return Episode(
        name="hand",
        description="",
        base_date=pd.Timestamp("2009-12-01"),
        base_year=2009,
        scenario="x",
        observed=observed,
        path=Path("hand.yaml"),
        fx={2011: 6.5},
    )


def _result() -> Result:
    """Two annual periods: China exports 100 t of oxide in 2010 and 50 t of metal in 2011
    (magnets are not counted against the quota); Dy oxide 100 then 300 USD/kg in Japan and
    Korea (median 100, 300), 80 then 200 in China."""
    trade = pd.DataFrame(
        [
            ("a1", "CHN", "JPN", "oxide:Dy", "2010", 100.0),
            ("a2", "CHN", "JPN", "metal:Nd", "2011", 50.0),
            ("a3", "CHN", "JPN", "magnet:NdFeB-HRE", "2011", 999.0),
            ("a4", "JPN", "CHN", "oxide:Dy", "2011", 7.0),
        ],
        columns=["arc", "origin", "destination", "material", "period", "value"],
    )
    prices = pd.DataFrame(
        [
            ("JPN", "oxide:Dy", "2010", 100.0),
            ("KOR", "oxide:Dy", "2010", 100.0),
            ("JPN", "oxide:Dy", "2011", 300.0),
            ("KOR", "oxide:Dy", "2011", 300.0),
            ("CHN", "oxide:Dy", "2010", 80.0),
            ("CHN", "oxide:Dy", "2011", 200.0),
        ],
        columns=["region", "material", "period", "price"],
    )
    return Result(trade=trade, prices=prices, summary={"periods": ["2010", "2011"]})


def test_error_table_arithmetic_by_hand() -> None:
    ep = _episode(
        [
            ("exports", "all rare earths", "China", "t/yr", "2009-07", 100.0),
            ("exports", "all rare earths", "China", "t/yr", "2010-07", 80.0),
            ("exports", "all rare earths", "China", "t/yr", "2011-07", 40.0),
            ("export_quota", "all rare earths", "China", "t/yr", "2010-07", 30.0),
            ("price", "oxide:Dy", "outside China", "USD/kg", "2009-01", 50.0),
            ("price", "oxide:Dy", "outside China", "USD/kg", "2011-05", 400.0),
            ("price", "oxide:Dy", "outside China", "USD/kg", "2011-08", 100.0),
            ("price", "oxide:Dy", "China", "CNY/kg", "2011-09", 1300.0),
            ("price", "oxide:Dy", "outside China", "USD/kg", "2015-01", 90.0),  # not replayed
        ]
    )
    lined = line_up(ep, _result(), {("oxide:Dy", "China"): 75.0}, ep.fx)
    exports = lined[lined["series"] == "exports all rare earths China"]
    # model: quota forms only (oxide, metal), departures from China: 100 t, then 50 t
    assert exports["model"].tolist() == [100.0, 50.0]
    assert exports["no_change"].tolist() == [100.0, 100.0]  # the base: 2009's 100 t
    assert exports["trend"].isna().all()  # nothing observed a year before the base
    china = lined[lined["series"] == "price oxide:Dy China"]
    assert china["observed"].tolist() == [pytest.approx(200.0)]  # 1,300 CNY/kg at 6.5
    assert china["no_change"].tolist() == [75.0]  # nothing observed: the vintage's price
    table = error_table(lined).set_index(["series", "forecaster"])
    ex = table.loc[("exports all rare earths China", "model")]
    # 2010: model 100 = base (moves < 5%) while the observation fell: wrong; 2011: both fall
    assert ex["direction"] == 0.5
    assert ex["within_2x"] == 1.0  # 100/80 and 50/40
    assert ex["mdale"] == pytest.approx(math.log(1.25))
    naive = table.loc[("exports all rare earths China", "no_change")]
    assert naive["direction"] == 0.0  # no change is wrong wherever the observation moved
    assert naive["within_2x"] == 0.5  # 100/80 yes, 100/40 no
    assert naive["mdale"] == pytest.approx((math.log(1.25) + math.log(2.5)) / 2)
    dy = table.loc[("price oxide:Dy outside China", "model")]
    assert dy["points"] == 2  # the 2015 point lies beyond the replay: scored for no one
    assert table.loc[("price oxide:Dy outside China", "no_change"), "points"] == 2
    # model 300 vs 400 and 300 vs 100: within 2x once; the model's 300 holds through 2011,
    # so it has no peak to time
    assert dy["within_2x"] == 0.5 and math.isnan(dy["peak_lag_months"])
    assert dy["direction"] == 1.0  # both up from the base 50
    trend = table.loc[("price oxide:Dy outside China", "trend")]
    # the base (Jan 2009, 50) is the only point before the base date: no year-before value
    assert trend["points"] == 0
    overall = table.loc[("overall", "model")]
    assert overall["points"] == 2 + 2 + 1
    assert "export_quota" not in set(lined["indicator"])  # an input, not scored


def test_a_series_the_model_has_not_is_refused_in_one_line() -> None:
    ep = _episode(
        [
            ("price", "oxide:Dy", "Mars", "USD/kg", "2011-05", 400.0),
        ]
    )
    with pytest.raises(BacktestError, match="expected 'China' or 'outside China'"):
        line_up(ep, _result(), {}, {})


def test_the_2009_vintage_passes_the_loaders_checks() -> None:
    from rareflow.data.loader import base_edition, load_reference, vintage_dir

    ref = load_reference(vintage_dir(2009))
    assert base_edition(ref, 2009) == "MCS2011"
    cap = ref["facility_capacity"]
    # nothing known only from later: Lynas's Malaysian plant first appears in 2011 (its
    # announced start), no 2024 capacity leaks into the 2009 network
    assert cap[cap["facility"] == "lynas-malaysia"]["year"].min() >= 2011
    assert cap["year"].max() <= 2014
    assert set(ref["demand"]["year"]) == {2009}
    assert set(ref["prices"]["year"]) == {2009}
    assert ref["agreements"].empty
    # every row sourced (the loader's own check), and derived rows say how
    derived = ref["demand"][ref["demand"]["source"].str.contains("rareflow-derived")]
    assert (derived["estimate_method"] != "").all()


def test_a_vintage_and_a_data_directory_are_refused_together(tmp_path: Path) -> None:
    from rareflow.scenario import load_scenario
    from rareflow.scenario.errors import ScenarioError

    path = tmp_path / "s.yaml"
    path.write_text(
        "name: s\nvintage: 2009\ndata: .\nhorizon: {start: 2010-01, end: 2010-12, step: year}\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match="either `data` or `vintage`"):
        load_scenario(path)
    path.write_text(
        "name: s\nvintage: 1999\nhorizon: {start: 2010-01, end: 2010-12, step: year}\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match="no data vintage for base year 1999"):
        load_scenario(path)


def test_a_short_replay_of_the_2010_episode(tmp_path: Path) -> None:
    from rareflow.backtest.replay import china_exports
    from rareflow.backtest.runner import run_backtest

    bt = run_backtest("china-2010", until="2011-12", step="year")
    assert bt.result.periods == ["2010", "2011"]
    exports = bt.lined[bt.lined["indicator"] == "exports"].set_index("date")["model"]
    # the line-up reads the model's own trade table: China's quota forms, per year; the
    # observed years after 2011 lie beyond this short replay
    by_year = china_exports(bt.result)
    assert exports.dropna().tolist() == pytest.approx(by_year.tolist())
    assert exports.isna().sum() == 2
    # China's mine output: the model's concentrate production, per year; the crackdown of
    # May 2011 holds the mines to the quota, so 2011's output is below 2010's
    from rareflow.backtest.replay import mine_output

    mined = bt.lined[bt.lined["series"] == "production all rare earths China"]["model"]
    assert mined.tolist() == pytest.approx(mine_output(bt.result, "CHN").tolist())
    assert mined.iloc[1] < mined.iloc[0]
    # the quota (30,258 t in 2010, 30,184 t in 2011) holds in the replay
    assert (by_year <= 30_258 + 1e-3).all()
    table = bt.errors
    assert set(table["forecaster"]) == {"model", "no_change", "trend"}
    model = table[(table["forecaster"] == "model") & (table["series"] != "overall")]
    scored = model[model["points"] > 0]
    assert len(scored) >= 4 and scored["mdale"].notna().all()
    assert ((scored["within_2x"] >= 0) & (scored["within_2x"] <= 1)).all()


def test_the_backtest_command(tmp_path: Path) -> None:
    from rareflow.cli import app

    runner = CliRunner()
    listed = runner.invoke(app, ["backtest", "--list"])
    assert listed.exit_code == 0 and "china-2010" in listed.output
    missing = runner.invoke(app, ["backtest", "no-such-episode"])
    assert missing.exit_code == 2
    assert "no such episode file" in missing.output and "Traceback" not in missing.output
    out = tmp_path / "bt"
    done = runner.invoke(
        app, ["backtest", "china-2010", "--until", "2011-12", "--step", "year", "--out", str(out)]
    )
    assert done.exit_code == 0, done.output
    assert "overall" in done.output and "no change" in done.output
    for name in ("errors.csv", "lineup.csv", "errors.md", "backtest.html"):
        assert (out / name).is_file()
    assert (out / "run" / "prices.parquet").is_file()
    html = (out / "backtest.html").read_text(encoding="utf-8")
    assert "plotly" in html and "exports all rare earths China" in html


def test_the_elasticity_range_moves_only_demand_elasticities() -> None:
    from rareflow.backtest.runner import _with_elasticities
    from rareflow.data.loader import load_reference, vintage_dir

    ref = load_reference(vintage_dir(2009))
    low = _with_elasticities(ref, "low")["elasticities"]
    high = _with_elasticities(ref, "high")["elasticities"]
    demand = low["side"] == "demand"
    assert (low.loc[demand, "value"] == low.loc[demand, "low"]).all()
    assert (high.loc[demand, "value"] == high.loc[demand, "high"]).all()
    # supply elasticities and the loaded tables themselves are untouched
    assert (low.loc[~demand, "value"] == ref["elasticities"].loc[~demand, "value"]).all()
    assert (ref["elasticities"]["value"] != ref["elasticities"]["low"]).any()


def test_a_bound_that_is_no_bound_is_refused_in_one_line() -> None:
    from rareflow.cli import app

    result = CliRunner().invoke(app, ["backtest", "china-2010", "--elasticities", "lowest"])
    assert result.exit_code == 2
    assert "expected one of value, low, high" in result.output
    assert "Traceback" not in result.output


def test_magnet_utilisation_is_output_over_capacity_by_year() -> None:
    flows = pd.DataFrame(
        [
            ("process_output", "CHN", "magnet:NdFeB-HRE", "2010", 50.0),
            ("process_output", "CHN", "magnet:NdFeB-LRE", "2011", 20.0),
            ("process_output", "CHN", "magnet:NdFeB-HRE", "2011", 10.0),
            ("process_output", "CHN", "alloy:NdPr", "2011", 99.0),  # not a magnet
        ],
        columns=["kind", "region", "material", "period", "value"],
    )
    result = Result(flows=flows, summary={"periods": ["2010", "2011"]})
    ep = _episode([("utilisation", "magnets", "China", "share", "2011-07", 0.4)])
    capacities = {"CHN": pd.Series({2010: 100.0, 2011: 100.0})}
    lined = line_up(ep, result, {}, {}, capacities)
    assert lined["model"].tolist() == [pytest.approx(0.3)]
    table = error_table(lined).set_index(["series", "forecaster"])
    model = table.loc[("utilisation magnets China", "model")]
    # no base value: no change to get right, so no direction; the level is still scored
    assert math.isnan(model["direction"]) and model["mdale"] == pytest.approx(math.log(4 / 3))
    with pytest.raises(BacktestError, match="no magnet capacity of China"):
        line_up(ep, result, {}, {})


def test_a_vintage_run_keeps_its_vintage_in_the_results_copy(tmp_path: Path) -> None:
    from rareflow import pipeline
    from rareflow.scenario import load_scenario

    options = pipeline.RunOptions(until="2010-12", step="year")
    result = pipeline.run("china-2010-backtest", options)
    out = pipeline.write_outputs(result, tmp_path / "out", "china-2010-backtest", options)
    copy = load_scenario(out / "scenario.yaml")
    assert copy.vintage == 2009  # read back on the 2009 data, not today's
    assert copy.horizon.start.strftime("%Y-%m") == "2010-01"
