"""`rareflow compare` on small hand-built results: every table checked by hand."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from rareflow.cli.compare import compare
from rareflow.comparison import (
    CompareError,
    compare_results,
    load_input,
)
from rareflow.errors import UserError
from rareflow.pipeline import RunOptions
from rareflow.results import Result

PERIODS = ["2025", "2026"]


def _result(trade_cn: float, trade_au: float, unserved_jp: float, price_jp: float) -> Result:
    """Two years; JPN imports oxide:Nd from CHN and AUS; IND makes and uses oxide:Nd."""
    trade = pd.DataFrame(
        [("CHN>JPN:oxide:Nd", "CHN", "JPN", "oxide:Nd", p, trade_cn / 2) for p in PERIODS]
        + [("AUS>JPN:oxide:Nd", "AUS", "JPN", "oxide:Nd", p, trade_au / 2) for p in PERIODS],
        columns=["arc", "origin", "destination", "material", "period", "value"],
    )
    flows = pd.DataFrame(
        [("process_output", "IND", "oxide:Nd", p, 5.0) for p in PERIODS]
        + [("consumption", "IND", "oxide:Nd", p, 10.0) for p in PERIODS]
        + [("trade_in", "IND", "oxide:Nd", p, 5.0) for p in PERIODS],
        columns=["kind", "region", "material", "period", "value"],
    )
    prices = pd.DataFrame(
        [("CHN", "oxide:Dy", p, 100.0) for p in PERIODS]
        + [("JPN", "oxide:Dy", p, price_jp) for p in PERIODS]
        + [("USA", "oxide:Dy", p, 200.0) for p in PERIODS],
        columns=["region", "material", "period", "price"],
    )
    shortfalls = pd.DataFrame(
        [
            ("JPN", "wind", "oxide:Dy", p, 30.0, 30.0 - unserved_jp / 2, unserved_jp / 2, 0.0)
            for p in PERIODS
        ]
        + [("USA", "wind", "oxide:Dy", p, 10.0, 10.0, 0.0, 0.0) for p in PERIODS],
        columns=[
            "region",
            "sector",
            "material",
            "period",
            "reference",
            "consumed",
            "unserved",
            "share",
        ],
    )
    summary = {"periods": PERIODS, "horizon": {"step": "year"}, "scenario": "hand"}
    return Result(flows=flows, trade=trade, prices=prices, shortfalls=shortfalls, summary=summary)


@pytest.fixture
def pair() -> tuple[Result, Result]:
    a = _result(trade_cn=10.0, trade_au=0.0, unserved_jp=0.0, price_jp=100.0)
    b = _result(trade_cn=4.0, trade_au=6.0, unserved_jp=8.0, price_jp=300.0)
    return a, b


def test_shortfall_tables(pair: tuple[Result, Result]) -> None:
    cmp = compare_results(*pair, names=("a", "b"))
    region = cmp["shortfall_by_region"].set_index("region")
    assert region.loc["JPN", "unserved_a"] == 0.0
    assert region.loc["JPN", "unserved_b"] == pytest.approx(8.0)
    assert region.loc["JPN", "change_t"] == pytest.approx(8.0)
    assert region.loc["JPN", "share_b"] == pytest.approx(8.0 / 60.0)
    assert region.loc["USA", "change_t"] == 0.0
    # sorted by the size of the change
    assert list(cmp["shortfall_by_region"]["region"]) == ["JPN", "USA"]
    assert cmp["shortfall_by_sector"].set_index("sector").loc["wind", "change_t"] == 8.0


def test_prices_inside_and_outside_china(pair: tuple[Result, Result]) -> None:
    cmp = compare_results(*pair, materials=["oxide:*"])
    p = cmp["prices"].set_index("material").loc["oxide:Dy"]
    # outside China weighted by reference demand: JPN 60 t, USA 20 t
    assert p["china_a"] == 100.0
    assert p["outside_a"] == pytest.approx((60 * 100 + 20 * 200) / 80)
    assert p["outside_b"] == pytest.approx((60 * 300 + 20 * 200) / 80)
    assert p["gap_b"] == pytest.approx(p["outside_b"] - 100.0)
    assert p["change_china"] == 0.0
    # a material nobody prices is left out, not invented
    assert "oxide:Nd" not in cmp["prices"]["material"].tolist()


def test_trade_rerouting_who_replaces_whom(pair: tuple[Result, Result]) -> None:
    cmp = compare_results(*pair)
    t = cmp["trade_rerouting"].set_index(["destination", "material", "origin"])
    assert t.loc[("JPN", "oxide:Nd", "CHN"), "change_t"] == pytest.approx(-6.0)
    assert t.loc[("JPN", "oxide:Nd", "AUS"), "change_t"] == pytest.approx(6.0)
    assert t.loc[("JPN", "oxide:Nd", "AUS"), "change_t_per_yr"] == pytest.approx(3.0)
    r = cmp["replacements"].iloc[0]
    assert (r["destination"], r["material"]) == ("JPN", "oxide:Nd")
    assert r["lost_t"] == pytest.approx(6.0)
    assert r["gained_t"] == pytest.approx(6.0)
    assert r["losers"] == "CHN 6"
    assert r["replaced_by"] == "AUS 6"


def test_self_sufficiency(pair: tuple[Result, Result]) -> None:
    cmp = compare_results(*pair)
    ss = cmp["self_sufficiency"].set_index(["region", "stage"])
    assert ss.loc[("IND", "separation"), "self_sufficiency_a"] == pytest.approx(0.5)
    assert ss.loc[("IND", "separation"), "change_pp"] == pytest.approx(0.0)


def test_write_tables_and_charts(pair: tuple[Result, Result], tmp_path: Path) -> None:
    cmp = compare_results(*pair)
    written = cmp.write(tmp_path)
    names = {p.name for p in written}
    for table in ("shortfall_by_region", "prices", "trade_rerouting", "self_sufficiency"):
        assert f"{table}.csv" in names and f"{table}.parquet" in names
    back = pd.read_parquet(tmp_path / "replacements.parquet")
    assert back.loc[0, "replaced_by"] == "AUS 6"
    html = (tmp_path / "charts.html").read_text()
    assert "plotly" in html and "Trade re-routing" in html


def test_no_common_periods(pair: tuple[Result, Result]) -> None:
    a, b = pair
    b.summary["periods"] = ["2027"]
    with pytest.raises(CompareError, match="no period in common"):
        compare_results(a, b)


def test_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(CompareError, match="no such scenario file, result directory or shipped"):
        load_input(tmp_path / "nothing.yaml", tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(CompareError, match="not a result directory"):
        load_input(tmp_path / "empty", tmp_path)
    with pytest.raises(UserError, match="--until: expected a month YYYY-MM"):
        RunOptions(until="2026-13")
    with pytest.raises(UserError, match="--step"):
        RunOptions(step="week")


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("compare")(compare)
    app.command("other")(lambda: None)  # a second command keeps `compare` a subcommand
    return app


def test_cli_on_result_dirs(pair: tuple[Result, Result], tmp_path: Path) -> None:
    a, b = pair
    a.to_dir(tmp_path / "a")
    b.to_dir(tmp_path / "b")
    out = tmp_path / "cmp"
    res = CliRunner().invoke(
        _app(), ["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert "Trade re-routing" in res.output and "AUS 6" in res.output
    assert (out / "charts.html").exists() and (out / "prices.csv").exists()


def test_cli_user_error_exits_2(tmp_path: Path) -> None:
    res = CliRunner().invoke(_app(), ["compare", str(tmp_path / "x"), str(tmp_path / "y")])
    assert res.exit_code == 2
    assert "no such scenario file, result directory or shipped scenario" in res.output
    assert "Traceback" not in res.output


def test_a_bare_name_is_the_shipped_scenario(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # as `rareflow run baseline` takes it: the name finds the packaged file, which is solved
    import rareflow.comparison.runs as runs
    from rareflow.scenario.shipped import SCENARIOS_DIR

    solved: list[Path] = []
    monkeypatch.setattr(runs, "run_cached", lambda path, *args, **kw: solved.append(path))
    load_input(Path("baseline"), tmp_path)
    assert solved == [SCENARIOS_DIR / "baseline.yaml"]
