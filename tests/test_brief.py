"""`rareflow brief seed`: the pieces on hand-built results, then the whole brief on the
shipped scenarios over a short yearly horizon."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from rareflow.brief import (
    AgreementTerms,
    DemandRange,
    demand_coverage,
    india_demand_range,
    ndfeb_coverage,
    pause_findings,
    suspension_start,
)
from rareflow.brief.text import pause_text
from rareflow.cli.compare import brief
from rareflow.results import Result
from rareflow.scenario.shipped import SCENARIOS_DIR

SCENARIOS = SCENARIOS_DIR
YEARS = ["2025", "2026", "2027", "2028"]


def _flows(rows: list[tuple[str, str, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["kind", "region", "material", "period", "value"])


def _result(flows: pd.DataFrame, trade: pd.DataFrame | None = None) -> Result:
    r = Result(flows=flows, summary={"periods": YEARS, "horizon": {"step": "year"}})
    if trade is not None:
        r.trade = trade
    return r


def test_coverage_years_and_never() -> None:
    imports = [("trade_in", "IND", "magnet:NdFeB-LRE", y, 100.0) for y in YEARS]
    base = _result(_flows(imports))
    output = [0.0, 30.0, 60.0, 90.0]  # 30 %, 60 %, 90 % of the baseline imports
    scen = _result(
        _flows(
            [
                ("process_output", "IND", "magnet:NdFeB-LRE", y, v)
                for y, v in zip(YEARS, output, strict=True)
            ]
            + [("process_output", "IND", "magnet:SmCo", y, 500.0) for y in YEARS]
        )
    )
    c = ndfeb_coverage("chain", base, scen)
    assert c.first_year == {0.25: 2026, 0.5: 2027, 1.0: None}
    assert c.table.loc[2027, "ratio"] == pytest.approx(0.6)
    # SmCo magnets are not NdFeB: they do not count
    assert c.table.loc[2025, "output"] == 0.0


def test_output_against_the_demand_range() -> None:
    # 1,000-2,000 t in 2025, doubling in two years: x sqrt(2) a year
    wanted = DemandRange(2025, 1000.0, 2000.0, growth_by=2027, growth=2.0, sources="s")
    assert wanted.at(2027) == pytest.approx((2000.0, 4000.0))
    assert wanted.at(2028) == pytest.approx((2000.0 * 2**0.5, 4000.0 * 2**0.5))
    output = [500.0, 1500.0, 2500.0, 6000.0]
    scen = _result(
        _flows(
            [
                ("process_output", "IND", "magnet:NdFeB-HRE", y, v)
                for y, v in zip(YEARS, output, strict=True)
            ]
        )
    )
    c = demand_coverage("chain", scen, wanted)
    # low end 1,000, 1,414, 2,000, 2,828: reached in 2026; high end 2,000 ... 5,657: in 2028
    assert (c.first_low, c.first_high) == (2026, 2028)
    assert c.table.loc[2027, "share_low"] == pytest.approx(2500.0 / 2000.0)
    never = demand_coverage("base", _result(_flows([])), wanted)
    assert never.first_low is None and never.table["output"].eq(0.0).all()
    # the shipped figures: the value-based NdFeB estimate, the industry's high end, the
    # Cabinet's doubling by 2030
    from rareflow.data.loader import load_reference

    shipped = india_demand_range(load_reference()["reported_figures"])
    assert (shipped.low, shipped.high, shipped.growth_by, shipped.growth) == (
        4067.0,
        7500.0,
        2030,
        2.0,
    )


def _trade(rows: list[tuple[str, str, str, str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["origin", "destination", "material", "period", "value"])
    frame.insert(0, "arc", frame["origin"] + ">" + frame["destination"] + ":" + frame["material"])
    return frame


def test_pause_findings_by_hand() -> None:
    terms = AgreementTerms("deal", "IND", "JPN", "mixed:monazite", 1000.0, 4000.0)
    base = _result(
        _flows([("trade_out", "IND", "mixed:monazite", y, 1000.0) for y in YEARS]),
        _trade([("IND", "JPN", "mixed:monazite", y, 1000.0) for y in YEARS]),
    )
    after = [y for y in YEARS if y >= "2026"]
    scen_trade = [("IND", "JPN", "mixed:monazite", "2025", 1000.0)] + [
        ("AUS", "JPN", "mixed:monazite", y, 700.0) for y in after
    ]
    scen_flows = [("trade_out", "IND", "mixed:monazite", "2025", 1000.0)] + [
        ("process_input", "IND", "mixed:monazite", y, 1000.0) for y in after
    ]
    scen = _result(_flows(scen_flows), _trade(scen_trade))
    f = pause_findings("p", base, scen, pd.Timestamp("2025-09-01"), 1.0, terms)
    assert f.periods == ["2026", "2027", "2028"]
    assert f.loss == pytest.approx(1000.0)
    inflows = f.inflows["change"]
    assert inflows[("AUS", "mixed:monazite")] == pytest.approx(700.0)
    assert inflows[("IND", "mixed:monazite")] == pytest.approx(-1000.0)
    home = f.home.loc["mixed:monazite"]
    assert home["exports"] == pytest.approx(-1000.0)
    assert home["used in processes"] == pytest.approx(1000.0)


def test_the_loss_in_element_content_and_dollars() -> None:
    terms = AgreementTerms("deal", "IND", "JPN", "mixed:monazite", 1000.0, 4000.0)
    base = _result(
        _flows([("stock_release", "JPN", "mixed:monazite", y, 0.0) for y in YEARS]),
        _trade([("IND", "JPN", "mixed:monazite", y, 1000.0) for y in YEARS]),
    )
    base.prices = pd.DataFrame(
        [("JPN", "mixed:monazite", y, 6.0) for y in YEARS],
        columns=["region", "material", "period", "price"],
    )
    scen = _result(
        _flows([("stock_release", "JPN", "mixed:monazite", y, 50.0) for y in YEARS]),
        _trade([("AUS", "JPN", "mixed:monazite", y, 700.0) for y in YEARS]),
    )
    scen.prices = pd.concat(
        [
            base.prices.assign(price=8.0),
            pd.DataFrame(
                [("JPN", "oxide:Nd", y, 60.0) for y in YEARS],
                columns=["region", "material", "period", "price"],
            ),
        ],
        ignore_index=True,
    )
    content = pd.DataFrame(
        [("mixed:monazite", "Nd", 0.15), ("mixed:monazite", "Pr", 0.04), ("oxide:Nd", "Nd", 0.86)],
        columns=["material", "element", "t_per_t"],
    )
    f = pause_findings("p", base, scen, pd.Timestamp("2025-09-01"), 1.0, terms, content)
    # 1,000 t/yr lost: 150 t Nd and 40 t Pr; worth 1,000 t x 6 USD/kg = USD 6 M a year; Japan
    # pays 2 USD/kg more on the 700 t/yr it still buys (USD 1.4 M) and draws 50 t/yr of stock
    assert f.content == pytest.approx({"Nd": 150.0, "Pr": 40.0})
    assert f.value_lost_usd == pytest.approx(6.0e6)
    assert f.extra_cost_usd == pytest.approx(1.4e6)
    assert f.stock_release == pytest.approx(50.0)
    # replaced as separated oxide at Japan's price under the pause: 150 / 0.86 t of Nd oxide
    # at 60 USD/kg (Pr has no oxide price here, so it is left out rather than guessed)
    assert list(f.replacement) == ["oxide:Nd"]
    assert f.replacement["oxide:Nd"] == pytest.approx((150.0 / 0.86, 60.0))
    assert f.replacement_usd == pytest.approx(150.0 / 0.86 * 60.0 * 1000.0)
    text = "\n".join(pause_text(f))
    # the suspension's own share, not an element's content (a loop variable once shadowed it:
    # the shipped pause read "Suspended share 1%", "the contracted 6 t/yr suspended")
    assert f.share == 1.0
    assert "Suspended share 100%" in text and "the contracted 1,000 t/yr suspended" in text
    assert "would cost USD 10.5 M a year" in text
    assert "150 t Nd, 40 t Pr a year" in text
    assert "worth USD 6.0 M a year" in text and "USD +1.4 M a year on the 700 t/yr" in text


def test_suspension_start_of_the_shipped_pause() -> None:
    when, share = suspension_start(SCENARIOS / "india-pauses-toyotsu.yaml")
    assert share == 1.0
    # June 2025 plus 3 months' notice
    assert pd.Timestamp("2025-08-30") <= when <= pd.Timestamp("2025-09-01")


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("brief")(brief)
    app.command("other")(lambda: None)  # a second command keeps `brief` a subcommand
    return app


def test_brief_seed_prints_its_answers(tmp_path: Path) -> None:
    out = tmp_path / "brief"
    args = ["brief", "seed", "--scenarios", str(SCENARIOS), "--out", str(out)]
    res = CliRunner().invoke(_app(), [*args, "--until", "2029-12", "--step", "year"])
    assert res.exit_code == 0, res.output
    text = (out / "brief.md").read_text()
    assert "JPN loses" in text and "Who fills it" in text
    assert "What stays in IND" in text
    for scenario in ("india-value-chain-2030", "india-value-chain-2030-slow"):
        assert f"- {scenario}: a quarter of the imports:" in text
        assert f"- {scenario}: first link to bind:" in text
        assert f"- {scenario}: India's own NdFeB output " in text
    assert "oxide:Tb" in text
    # the three negotiated resolutions side by side: the swap restores the whole volume and
    # returns 480 t/yr of magnets; the quota half of it
    assert "## 6. Three negotiated resolutions of the pause, side by side" in text
    assert "- negotiated-swap: Japan gets 1,000 t/yr of the agreement's material" in text
    assert "(480 from Japan)" in text
    assert "- negotiated-quota: Japan gets 500 t/yr" in text


def test_brief_unknown_topic_exits_2() -> None:
    res = CliRunner().invoke(_app(), ["brief", "moon"])
    assert res.exit_code == 2
    assert "unknown topic 'moon'" in res.output


def test_the_scheme_needs_what_the_recipes_say() -> None:
    from rareflow.brief.scheme import GRADES, scheme_needs
    from rareflow.data.loader import load_reference
    from rareflow.metrics.elements import oxide_needs

    ref = load_reference()
    coef = ref["process_coefficients"].set_index(["process", "material"])["coefficient"]

    def c(process: str, material: str) -> float:
        return -float(coef[(process, material)])

    # a t of heavy-RE-free magnet takes its NdPr alloy, the alloy its Nd and Pr metal, the metal
    # its oxide: the product of the three recipes (no Dy or Tb)
    lre = oxide_needs(ref, GRADES["heavy-RE-free (the scenario's grade)"])
    alloy = c("magnet:NdFeB-LRE", "alloy:NdPr")
    nd = alloy * c("alloying:NdPr", "metal:Nd") * c("reduction:Nd", "oxide:Nd")
    assert lre["oxide:Nd"] == pytest.approx(nd)
    assert lre["oxide:Dy"] == 0.0 and lre["oxide:Tb"] == 0.0
    gbd = oxide_needs(ref, GRADES["Dy-diffused traction grade"])
    dy = c("magnet:NdFeB-HRE-gbd", "metal:Dy") * c("reduction:Dy", "oxide:Dy")
    assert gbd["oxide:Dy"] == pytest.approx(dy) and dy > 0

    # India makes 100 t of magnets in 2026 and 40 t of Nd oxide a year, imports 60 t of
    # Australian Nd oxide in 2026 and ships 20 t of oxide to Japan
    flows = _flows(
        [("process_output", "IND", "magnet:NdFeB-LRE", "2026", 100.0)]
        + [("process_output", "IND", "oxide:Nd", y, 40.0) for y in YEARS]
    )
    trade = _trade(
        [("AUS", "IND", "oxide:Nd", "2026", 60.0), ("IND", "JPN", "oxide:Nd", "2026", 20.0)]
    )
    s = scheme_needs("chain", _result(flows, trade), ref)
    row = s.table.loc[2026]
    need = 100.0 * (lre["oxide:Nd"] + lre["oxide:Pr"])
    assert row["ndpr_oxide_needed_t"] == pytest.approx(need)
    assert row["gap_t"] == pytest.approx(max(need - 40.0, 0.0))
    assert row["ndpr_bearing_imports_t"] == 60.0 and row["ndpr_bearing_exports_t"] == 20.0
    assert s.suppliers.loc[("AUS", "oxide:Nd"), "t_per_yr"] == 60.0  # the one year it runs
    assert s.table.loc[2025, "magnets_t"] == 0.0


def test_no_magnet_capacity_within_a_short_horizon() -> None:
    """`brief seed --until 2026-12` ended in a KeyError ('nan'): India's magnet plants start
    later, and a stage with no capacity in the horizon read its first period as NaN."""
    from rareflow.brief.findings import chain_binding
    from rareflow.brief.text import binding_text

    periods = ["2025Q1", "2025Q2"]
    capacity = pd.DataFrame(
        [
            {
                "plant": "irel-mine",
                "region": "IND",
                "process": "mining:monazite",
                "period": p,
                "activity": 10.0,
                "capacity": 10.0,
                "use": 1.0,
                "rent": 1.0,
            }
            for p in periods
        ]
    )
    result = Result(capacity=capacity, summary={"periods": periods})
    binding = chain_binding("short", result)
    assert binding.stages.loc["magnet", "capacity_from"] is None
    assert binding.first == ["mining"] and binding.first_period == "2025Q1"
    assert "India has no NdFeB capacity within the horizon" in "\n".join(binding_text(binding))
