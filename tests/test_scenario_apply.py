"""From scenario to engine inputs: lever rows, network edits, and solves on small networks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine_fixtures import ONE_BLOCK, network
from rareflow.network import Network
from rareflow.optimize import solve
from rareflow.scenario import ScenarioError, apply, load_scenario, prepare
from rareflow.scenario.apply import SWITCHABLE, in_force
from rareflow.scenario.schema import Scenario, ScenarioFile
from rareflow.scenario.shipped import SCENARIOS_DIR
from rareflow.scenario.vocabulary import contract_vocabulary

ROOT = Path(__file__).resolve().parents[1]
ISSUE_FILE = SCENARIOS_DIR / "india-pauses-toyotsu.yaml"
VOCAB = contract_vocabulary()
CONTRACT = 120.0  # t/yr of Nd oxide IND -> JPN in the small network


def scenario(events: list[dict[str, object]], **horizon: str) -> Scenario:
    parsed = ScenarioFile.model_validate(
        {
            "name": "t",
            "horizon": {"start": "2025-01", "end": "2025-12", **horizon},
            "events": events,
        }
    )
    assert parsed.horizon is not None
    return Scenario(name="t", horizon=parsed.horizon, events=parsed.events)


def india_japan() -> Network:
    """CHN mines Nd and Dy oxide cheaply; IND mines Nd oxide dearly and sells JPN a contracted
    120 t/yr; JPN buys Nd and Dy; IREL's OSCOM plant cracks monazite (separated downstream)."""
    net = network(
        regions=["CHN", "IND", "JPN"],
        materials=["oxide:Nd", "oxide:Dy", "concentrate:monazite", "mixed:monazite"],
        supply=[
            {
                "step": "chn-nd",
                "region": "CHN",
                "material": "oxide:Nd",
                "cost": 20_000.0,
                "capacity": 10_000.0,
            },
            {
                "step": "chn-dy",
                "region": "CHN",
                "material": "oxide:Dy",
                "cost": 200_000.0,
                "capacity": 1_000.0,
            },
            {
                "step": "ind-nd",
                "region": "IND",
                "material": "oxide:Nd",
                "cost": 60_000.0,
                "capacity": 500.0,
            },
        ],
        processes=[
            {"process": "cracking:monazite", "stage": "cracking", "cost": 1_500.0},
            {"process": "separation:monazite", "stage": "separation", "cost": 10_000.0},
        ],
        coefficients=[
            {"process": "cracking:monazite", "material": "mixed:monazite", "coefficient": 1.0},
            {
                "process": "cracking:monazite",
                "material": "concentrate:monazite",
                "coefficient": -1.1,
            },
            {"process": "separation:monazite", "material": "mixed:monazite", "coefficient": -1.0},
            {"process": "separation:monazite", "material": "oxide:Nd", "coefficient": 0.2},
        ],
        facilities=[
            {
                "facility": "irel-oscom",
                "region": "IND",
                "process": "cracking:monazite",
                "capacity": 100.0,
            },
        ],
        arcs=[
            {
                "arc": "CHN>JPN:oxide:Nd",
                "origin": "CHN",
                "destination": "JPN",
                "material": "oxide:Nd",
                "cost": 2_000.0,
            },
            {
                "arc": "IND>JPN:oxide:Nd",
                "origin": "IND",
                "destination": "JPN",
                "material": "oxide:Nd",
                "cost": 2_000.0,
            },
            {
                "arc": "CHN>JPN:oxide:Dy",
                "origin": "CHN",
                "destination": "JPN",
                "material": "oxide:Dy",
                "cost": 2_000.0,
            },
        ],
        demand=[
            {
                "region": "JPN",
                "sector": "ev_traction",
                "material": "oxide:Nd",
                "quantity": 600.0,
                "ref_price": 80_000.0,
            },
            {
                "region": "IND",
                "sector": "ev_traction",
                "material": "oxide:Nd",
                "quantity": 50.0,
                "ref_price": 80_000.0,
            },
            {
                "region": "JPN",
                "sector": "ev_traction",
                "material": "oxide:Dy",
                "quantity": 80.0,
                "ref_price": 400_000.0,
            },
            {
                "region": "JPN",
                "sector": "defence",
                "material": "oxide:Dy",
                "quantity": 20.0,
                "ref_price": 400_000.0,
            },
        ],
        years=tuple(range(2025, 2031)),
    )
    net.agreements = pd.DataFrame(
        [
            {
                "agreement": "irel-toyotsu",
                "seller_region": "IND",
                "buyer_region": "JPN",
                "material": "oxide:Nd",
                "start": "2012-11-16",
                "end": None,
                "volume_min": CONTRACT,
                "volume_max": CONTRACT,
            }
        ]
    )
    return net


# --- time -------------------------------------------------------------------------------------


def test_suspensions_cut_the_time_an_event_is_in_force() -> None:
    sc = scenario(
        [
            {
                "type": "export_ban",
                "exporter": "CHN",
                "materials": ["oxide:Dy"],
                "start": "2025-11-08",
                "suspended": [{"start": "2025-11-07", "end": "2026-11-10"}],
            },
            {
                "type": "export_ban",
                "exporter": "CHN",
                "materials": ["oxide:Dy"],
                "start": "2025-01",
                "end": "2026-01",
                "suspended": [{"start": "2025-04", "end": "2025-06"}],
            },
        ]
    )
    assert in_force(sc.events[0]) == [(dt.date(2026, 11, 10), None)]
    assert in_force(sc.events[1]) == [
        (dt.date(2025, 1, 1), dt.date(2025, 4, 1)),
        (dt.date(2025, 6, 1), dt.date(2026, 1, 1)),
    ]


# --- lever rows -------------------------------------------------------------------------------


def test_quota_becomes_one_total_per_calendar_year() -> None:
    sc = scenario(
        [
            {
                "type": "export_quota",
                "exporter": "CHN",
                "materials": ["oxide:Nd", "oxide:Dy"],
                "exclude": ["JPN"],
                "quantity": "1200 t/yr",
                "start": "2025-07",
                "end": "2027-01",
            }
        ]
    )
    quotas = apply(sc, india_japan(), VOCAB).levers.quotas
    assert list(quotas["start"].dt.year) == [2025, 2026]
    assert quotas["total"].to_numpy() == pytest.approx([1200 * 184 / 365.25, 1200 * 365 / 365.25])
    assert set(quotas["destination"].iloc[0].split(";")) == set(VOCAB.regions) - {"CHN", "JPN"}
    assert quotas["material"].iloc[0] == "oxide:Dy;oxide:Nd"


def test_licence_with_end_user_exclusion_cuts_the_approved_share() -> None:
    sc = scenario(
        [
            {
                "type": "export_licence",
                "exporter": "CHN",
                "elements": ["Dy"],
                "destinations": ["JPN", "IND"],
                "approval_share": 0.5,
                "delay": "30 days",
                "end_users": ["defence"],
                "start": "2025-04-04",
            }
        ]
    )
    lic = apply(sc, india_japan(), VOCAB).levers.licences
    dy_jpn = lic[(lic["material"] == "oxide:Dy") & (lic["destination"] == "JPN")]
    # defence is 20 of JPN's 100 t of Dy oxide demand: 0.5 x (1 - 0.2)
    assert dy_jpn["approval_share"].iloc[0] == pytest.approx(0.4)
    other = lic[lic["material"] == "magnet:NdFeB-HRE"]
    assert set(other["destination"].iloc[0].split(";")) == {"IND", "JPN"}
    assert other["approval_share"].iloc[0] == pytest.approx(0.5)
    assert lic["delay_days"].iloc[0] == pytest.approx(30.0)


def test_licence_caution_queues_the_uncovered_grades_of_the_covered_forms() -> None:
    event = {
        "type": "export_licence",
        "exporter": "CHN",
        "elements": ["Dy"],
        "forms": ["magnet"],
        "approval_share": 0.5,
        "delay": "30 days",
        "start": "2025-04-04",
    }
    plain = apply(scenario([event]), india_japan(), VOCAB).levers.licences
    assert set(plain["material"]) == {"magnet:NdFeB-HRE"}
    lic = apply(scenario([{**event, "caution": 0.2}]), india_japan(), VOCAB).levers.licences
    # the Dy-free magnets queue too: 20% of what is pending held back a month, no processing
    held = lic[lic["material"] != "magnet:NdFeB-HRE"]
    assert set(";".join(held["material"]).split(";")) == {
        m for m, form in VOCAB.materials.items() if form == "magnet" and m != "magnet:NdFeB-HRE"
    }
    assert held["approval_share"].iloc[0] == pytest.approx(0.8)
    assert held["delay_days"].iloc[0] == pytest.approx(0.0)


def test_capacity_in_a_downstream_material_ramps_linearly() -> None:
    sc = scenario(
        [
            {
                "type": "capacity",
                "facility": "irel-oscom",
                "material": "oxide:Nd",
                "path": {"2025-03": "450 t/yr", "2025-09": "900 t/yr"},
            }
        ]
    )
    cap = apply(sc, india_japan(), VOCAB).levers.capacity
    # OSCOM's activity makes 0.2 t Nd oxide downstream per t; each month takes the path's
    # value at its midpoint (16 March 12:00 is 15.5 of the 184 days from March to September)
    assert cap["capacity"].iloc[0] == pytest.approx((450 + 450 * 15.5 / 184) / 0.2)
    assert cap["start"].iloc[0] == pd.Timestamp("2025-03-01")
    assert cap["capacity"].iloc[-1] == pytest.approx(900 / 0.2)
    assert pd.isna(cap["end"].iloc[-1])
    assert np.all(np.diff(cap["capacity"].to_numpy()) >= 0)


def test_capacity_of_a_material_the_facility_cannot_make_is_refused() -> None:
    sc = scenario(
        [
            {
                "type": "capacity",
                "facility": "irel-oscom",
                "material": "oxide:Dy",
                "path": {"2025-03": "10 t/yr"},
            }
        ]
    )
    with pytest.raises(ScenarioError, match="does not make oxide:Dy"):
        apply(sc, india_japan(), VOCAB)


def test_a_new_facility_is_added_to_the_network() -> None:
    sc = scenario(
        [
            {
                "type": "capacity",
                "facility": "india-new-separation",
                "region": "IND",
                "process": "separation:monazite",
                "path": {"2025-06": "100 t/yr"},
                "ramp": "step",
            }
        ]
    )
    out = apply(sc, india_japan(), VOCAB)
    assert "india-new-separation" in set(out.network.facilities["facility"])
    assert out.levers.capacity["capacity"].tolist() == [100.0]


def test_suspension_with_an_end_splits_the_agreement() -> None:
    sc = scenario(
        [
            {
                "type": "agreement_suspend",
                "agreement": "irel-toyotsu",
                "start": "2025-03",
                "end": "2025-07",
                "notice": "1 month",
            },
            {
                "type": "agreement_change",
                "agreement": "irel-toyotsu",
                "start": "2025-10",
                "volume_max": "60 t/yr",
                "volume_min": "60 t/yr",
            },
        ]
    )
    out = apply(sc, india_japan(), VOCAB)
    parts = out.network.agreements.set_index("agreement")
    assert list(parts.index) == [
        "irel-toyotsu",
        "irel-toyotsu@2025-07-01",
        "irel-toyotsu@2025-10-01",
    ]
    assert parts.loc["irel-toyotsu@2025-10-01", "volume_max"] == 60.0
    assert parts.loc["irel-toyotsu@2025-07-01", "volume_max"] == CONTRACT
    sus = out.levers.agreement_suspensions
    assert sus["agreement"].tolist() == ["irel-toyotsu"]
    assert sus["notice_days"].iloc[0] == pytest.approx(365.25 / 12)


# --- network edits ----------------------------------------------------------------------------


def test_demand_shock_substitution_and_stockpile_edit_the_network() -> None:
    sc = scenario(
        [
            {
                "type": "demand",
                "region": "JPN",
                "sector": "ev_traction",
                "material": "oxide:Nd",
                "factor": 0.5,
                "start": "2026-01",
                "end": "2027-01",
            },
            {
                "type": "substitution",
                "sector": "ev_traction",
                "region": "JPN",
                "material": "oxide:Dy",
                "share": 0.3,
                "price_above": "600 USD/kg",
                "start": "2025-01",
                "ramp": "24 months",
            },
            {
                "type": "stockpile",
                "region": "JPN",
                "material": "oxide:Dy",
                "release": "12 t/yr",
                "price_above": "700 USD/kg",
                "start": "2026-01",
            },
        ],
        end="2028-12",
    )
    out = apply(sc, india_japan(), VOCAB)
    growth = out.network.demand_growth.set_index(["region", "sector", "material", "year"])["index"]
    assert growth[("JPN", "ev_traction", "oxide:Nd", 2026)] == pytest.approx(0.5)
    assert growth[("JPN", "ev_traction", "oxide:Nd", 2027)] == pytest.approx(1.0)
    switch = ("JPN", "ev_traction" + SWITCHABLE, "oxide:Dy")
    # half way through a 24-month ramp in mid-2026, three quarters in mid-2027
    assert growth[(*switch, 2026)] == pytest.approx(0.3 * (546 / 730.5), rel=1e-3)
    assert growth[(*switch, 2028)] == pytest.approx(0.3)
    assert growth[("JPN", "ev_traction", "oxide:Dy", 2028)] == pytest.approx(0.7)
    dem = out.network.demand.set_index(["region", "sector", "material"])
    assert dem.loc[switch, "choke_price"] == pytest.approx(600_000.0)
    step = out.network.supply[out.network.supply["step"].str.startswith("stockpile:")]
    assert step["cost"].tolist() == [700_000.0]
    caps = out.network.supply_capacity.set_index(["step", "year"])["capacity"]
    assert caps[(step["step"].iloc[0], 2025)] == 0.0
    assert caps[(step["step"].iloc[0], 2026)] == pytest.approx(12.0)


def test_prepare_applies_parameter_overrides_to_the_reference(tiny_dir: Path) -> None:
    # prepare calibrates the base year with a solve: the tiny set's agreement has no arc
    # (nobody in JPN uses mixed:monazite), so drop it to keep the network solvable
    agreements = tiny_dir / "agreements.csv"
    agreements.write_text(agreements.read_text(encoding="utf-8").splitlines()[0] + "\n")
    path = tiny_dir.parent / "param.yaml"
    path.write_text(
        f"name: param\ndata: {tiny_dir.name}\nhorizon: {{start: 2025-01, end: 2025-12}}\n"
        "events:\n  - {type: parameter, table: prices, key: [oxide:Nd, world, '2024'],\n"
        "     column: price, value: 80}\n",
        encoding="utf-8",
    )
    sc = load_scenario(path)
    out = prepare(sc)
    demand = out.network.demand
    assert demand["ref_price"].iloc[0] == pytest.approx(80_000.0)


# --- solves -----------------------------------------------------------------------------------


def test_the_issue_file_runs_and_japan_loses_the_contracted_volume() -> None:
    sc = load_scenario(ISSUE_FILE, VOCAB)
    base = solve(
        india_japan(),
        apply(sc.model_copy(update={"events": []}), india_japan(), VOCAB).horizon,
        options=ONE_BLOCK,
    )
    out = apply(sc, india_japan(), VOCAB)
    assert out.horizon.to_dict() == {"start": "2025-01", "end": "2030-12", "step": "month"}
    run = solve(out.network, out.horizon, out.levers, options=ONE_BLOCK)
    before = base.arc_flow("IND>JPN:oxide:Nd").to_numpy()
    after = run.arc_flow("IND>JPN:oxide:Nd").to_numpy()
    assert np.allclose(before, CONTRACT / 12)
    # decided in June with 3 months' notice: trade stops from September 2025
    assert np.allclose(after[:8], CONTRACT / 12)
    assert np.allclose(after[8:], 0.0)
    # the licence on Dy oxide (from April 2025, 45 days of processing, then 40% of what is
    # pending approved) opens a price gap between China and Japan in its first months
    gap = (run.price("JPN", "oxide:Dy") - run.price("CHN", "oxide:Dy")).to_numpy()
    base_gap = (base.price("JPN", "oxide:Dy") - base.price("CHN", "oxide:Dy")).to_numpy()
    assert gap[3:6].max() > base_gap[3:6].max() + 1.0


def test_foresight_of_the_scenario_or_the_caller() -> None:
    sc = scenario([]).model_copy(update={"foresight": "window 6"})
    out = apply(sc, india_japan(), VOCAB)
    assert out.solve_kwargs() == {"foresight": "window", "window": 6}
    assert out.solve_kwargs("myopic") == {"foresight": "myopic", "window": None}
    with pytest.raises(ScenarioError, match="expected perfect, myopic or 'window N'"):
        out.solve_kwargs("hindsight")


# --- import measures: bans by the importer, tariffs above 100% --------------------------------


def test_import_ban_closes_the_importer_to_its_origins() -> None:
    sc = scenario(
        [
            {
                "type": "import_ban",
                "importer": "JPN",
                "origins": ["CHN"],
                "elements": ["Nd"],
                "forms": ["oxide"],
                "start": "2025-01",
            }
        ],
        step="year",
    )
    out = apply(sc, india_japan(), VOCAB)
    bounds = out.levers.arc_bounds
    assert list(bounds[["origin", "destination", "material"]].iloc[0]) == [
        "CHN",
        "JPN",
        "oxide:Nd",
    ]
    assert bounds["max_flow"].iloc[0] == 0.0
    base = solve(out.network, out.horizon, options=ONE_BLOCK)
    run = solve(out.network, out.horizon, out.levers, options=ONE_BLOCK)
    assert base.arc_flow("CHN>JPN:oxide:Nd").iloc[0] > 0
    assert run.arc_flow("CHN>JPN:oxide:Nd").iloc[0] == pytest.approx(0.0, abs=1e-6)
    # Japan's Dy oxide from China is not covered
    assert run.arc_flow("CHN>JPN:oxide:Dy").iloc[0] == pytest.approx(
        base.arc_flow("CHN>JPN:oxide:Dy").iloc[0]
    )


@pytest.mark.parametrize("rate", [0.45, 1.45])
def test_tariff_rates_above_100_percent(rate: float) -> None:
    """Nd oxide: China 20 USD/kg, freight 2, Japan's reference price 80. A 45% tariff (36/kg)
    keeps trade and opens a wedge of freight + tariff; 145% (116/kg) prices China out."""
    sc = scenario(
        [
            {
                "type": "import_tariff",
                "importer": "JPN",
                "origins": ["CHN"],
                "materials": ["oxide:Nd"],
                "rate": rate,
                "start": "2025-01",
            }
        ],
        step="year",
    )
    out = apply(sc, india_japan(), VOCAB)
    assert out.levers.taxes["ad_valorem"].iloc[0] == pytest.approx(rate)
    run = solve(out.network, out.horizon, out.levers, options=ONE_BLOCK)
    flow = run.arc_flow("CHN>JPN:oxide:Nd").iloc[0]
    gap = run.price("JPN", "oxide:Nd").iloc[0] - run.price("CHN", "oxide:Nd").iloc[0]
    wedge = 2.0 + rate * 80.0  # USD/kg
    if rate < 1:
        assert flow > 0
        assert gap == pytest.approx(wedge)
    else:
        assert flow == pytest.approx(0.0, abs=1e-6)
        assert gap < wedge


def test_negative_tariff_is_refused() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="expected a non-negative number"):
        scenario(
            [
                {
                    "type": "import_tariff",
                    "importer": "JPN",
                    "materials": ["oxide:Dy"],
                    "rate": -0.1,
                }
            ]
        )


def test_us_import_ban_and_145_percent_tariff_validate_on_the_shipped_data(
    tmp_path: Path,
) -> None:
    from rareflow.scenario.vocabulary import load_vocabulary

    path = tmp_path / "us.yaml"
    path.write_text(
        "name: us\n"
        "horizon: {start: 2025-01, end: 2025-12, step: quarter}\n"
        "events:\n"
        "  - {type: import_ban, importer: USA, origins: [CHN], materials: ['magnet:NdFeB-*'],\n"
        "     start: 2025-04}\n"
        "  - {type: import_tariff, importer: USA, origins: [CHN], elements: [Nd, Pr],\n"
        "     forms: [oxide], rate: 1.45, start: 2025-04}\n"
    )
    vocab = load_vocabulary()
    sc = load_scenario(path, vocab)
    from rareflow.scenario.describe import describe_scenario

    words = " ".join(describe_scenario(sc, vocab))
    assert "USA bans imports of magnet:NdFeB-*" in words
    assert "145% ad valorem tariff" in words


def test_a_new_agreement_holds_its_volume_and_can_be_suspended_later() -> None:
    # China sells Japan 30 t/yr of Nd oxide under a new deal from April, suspended in October
    sc = scenario(
        [
            {
                "type": "agreement_new",
                "agreement": "chn-jpn-deal",
                "seller": "CHN",
                "buyer": "JPN",
                "material": "oxide:Nd",
                "start": "2025-04",
                "volume_min": "30 t/yr",
                "volume_max": "30 t/yr",
            },
            {
                "type": "agreement_suspend",
                "agreement": "chn-jpn-deal",
                "start": "2025-10",
            },
        ]
    )
    out = apply(sc, india_japan(), VOCAB)
    deal = out.network.agreements.set_index("agreement").loc["chn-jpn-deal"]
    assert (deal["seller_region"], deal["buyer_region"], deal["volume_min"]) == ("CHN", "JPN", 30.0)
    assert out.levers.agreement_suspensions["agreement"].tolist() == ["chn-jpn-deal"]
    run = solve(out.network, out.horizon, out.levers, options=ONE_BLOCK)
    flow = run.arc_flow("CHN>JPN:oxide:Nd").to_numpy()
    # from April to September at least the contracted 2.5 t a month (more if the market wants)
    assert (flow[3:9] >= 30.0 / 12 - 1e-6).all()


def test_a_new_agreement_without_a_trade_route_is_refused() -> None:
    sc = scenario(
        [
            {
                "type": "agreement_new",
                "agreement": "jpn-chn-dy",
                "seller": "JPN",
                "buyer": "CHN",
                "material": "concentrate:monazite",
                "start": "2025-04",
                "volume_min": "5 t/yr",
            }
        ]
    )
    with pytest.raises(ScenarioError, match="no trade route from JPN to CHN for concentrate"):
        apply(sc, india_japan(), VOCAB)


def test_a_new_agreement_id_must_be_new_and_its_regions_known(tmp_path: Path) -> None:
    head = "name: t\nbase: baseline\nevents:\n"
    deal = (
        "  - {type: agreement_new, agreement: %s, seller: %s, buyer: IND,"
        " material: magnet:NdFeB-LRE, start: 2026-04, volume_min: 480 t/yr}\n"
    )
    taken = tmp_path / "taken.yaml"
    taken.write_text(head + deal % ("irel-toyotsu", "JPN"))
    with pytest.raises(ScenarioError, match="agreement irel-toyotsu already exists"):
        load_scenario(taken)
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text(head + deal % ("jpn-ind", "JAPAN"))
    with pytest.raises(ScenarioError, match="unknown region 'JAPAN'"):
        load_scenario(unknown)
    # the shipped swap: a new agreement, described in words
    swap = load_scenario(SCENARIOS_DIR / "negotiated-swap.yaml")
    assert any(getattr(e, "agreement", "") == "jpn-ind-magnet-swap" for e in swap.events)
