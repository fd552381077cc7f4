"""Scenario files: schema, units, dates, bases, replay, coverage, JSON Schema and `show`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from rareflow.cli.scenario import scenario_app
from rareflow.scenario import ScenarioError, load_scenario
from rareflow.scenario.schema import EVENT_MODELS, Capacity, json_schema
from rareflow.scenario.shipped import SCENARIOS_DIR
from rareflow.scenario.units import DURATION, MASS, MASS_RATE, PRICE, parse_quantity
from rareflow.scenario.vocabulary import contained_elements, contract_vocabulary

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = SCENARIOS_DIR
ISSUE_FILE = SHIPPED / "india-pauses-toyotsu.yaml"


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


# --- units ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("450 t/yr", MASS_RATE, 450.0),
        ("1.2 kt/yr", MASS_RATE, 1200.0),
        ("30,258 t/yr", MASS_RATE, 30258.0),
        ("100 t/month", MASS_RATE, 1200.0),
        ("1000 t", MASS, 1000.0),
        ("3 months", DURATION, 3.0),
        ("45 days", DURATION, 45 / (365.25 / 12)),
        ("9 weeks", DURATION, 63 / (365.25 / 12)),
        ("25 USD/kg", PRICE, 25_000.0),
    ],
)
def test_quantities_convert_to_the_field_unit(text: str, kind: object, value: float) -> None:
    assert parse_quantity(text, kind) == pytest.approx(value)  # type: ignore[arg-type]


def test_a_mass_where_a_rate_is_needed_says_which_unit_was_expected() -> None:
    with pytest.raises(ValueError, match=r"expected a quantity in t/yr .* got '1000 t'"):
        parse_quantity("1000 t", MASS_RATE)


# --- the issue's file -------------------------------------------------------------------------


def test_the_issue_file_loads_as_written() -> None:
    scenario = load_scenario(ISSUE_FILE)
    assert scenario.name == "india-pauses-toyotsu"
    assert scenario.horizon.start == dt.date(2025, 1, 1)
    assert scenario.horizon.end == dt.date(2030, 12, 1)
    assert scenario.horizon.step == "month"
    suspend, licence, capacity = scenario.events
    assert suspend.type == "agreement_suspend"
    assert suspend.start == dt.date(2025, 6, 1)
    assert suspend.notice == pytest.approx(3.0)
    assert suspend.share == 1.0
    assert licence.type == "export_licence"
    assert licence.start == dt.date(2025, 4, 4)  # day precision kept
    assert licence.delay == pytest.approx(45 / (365.25 / 12))
    assert licence.approval_share == 0.4
    assert capacity.type == "capacity"
    assert capacity.path == {dt.date(2026, 3, 1): 450.0, dt.date(2030, 1, 1): 900.0}
    assert scenario.files == [str(SHIPPED / "baseline.yaml"), str(ISSUE_FILE)]


@pytest.mark.parametrize("path", sorted(SHIPPED.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_scenario_validates(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.name == path.stem
    assert scenario.description.strip()


# --- bases, replay ----------------------------------------------------------------------------


def test_base_events_come_first_and_the_horizon_is_overridden(tmp_path: Path) -> None:
    write(
        tmp_path,
        "parent.yaml",
        "name: parent\nforesight: myopic\nhorizon: {start: 2025-01, end: 2030-12}\n"
        "events:\n  - {type: export_ban, exporter: CHN, materials: [oxide:Dy]}\n",
    )
    child = write(
        tmp_path,
        "child.yaml",
        "name: child\nbase: parent\nhorizon: {start: 2026-01, end: 2027-12, step: quarter}\n"
        "events:\n  - {type: export_ban, exporter: CHN, materials: [oxide:Tb]}\n",
    )
    scenario = load_scenario(child)
    assert [getattr(e, "materials", None) for e in scenario.events] == [["oxide:Dy"], ["oxide:Tb"]]
    assert scenario.horizon.start == dt.date(2026, 1, 1)
    assert scenario.horizon.step == "quarter"
    assert scenario.foresight == "myopic"  # inherited


def test_a_child_without_horizon_takes_its_base_horizon(tmp_path: Path) -> None:
    write(tmp_path, "parent.yaml", "name: parent\nhorizon: {start: 2025-01, end: 2026-12}\n")
    child = write(tmp_path, "child.yaml", "name: child\nbase: parent.yaml\n")
    assert load_scenario(child).horizon.end == dt.date(2026, 12, 1)


def test_replay_moves_every_date_and_is_checked_against_the_data(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "replay.yaml",
        "name: replay\nreplay: {year: 2009, model_year: 2024}\n"
        "horizon: {start: 2009-01, end: 2014-06}\n"
        "events:\n"
        "  - type: export_ban\n    exporter: CHN\n    destinations: [JPN]\n"
        "    materials: ['oxide:*']\n    start: 2010-09-21\n    end: 2010-11-20\n"
        "  - type: capacity\n    facility: irel-oscom\n    path: {2010-03: 10 t/yr}\n",
    )
    scenario = load_scenario(path, contract_vocabulary())
    assert scenario.horizon.start == dt.date(2024, 1, 1)
    assert scenario.horizon.end == dt.date(2029, 6, 1)
    ban, capacity = scenario.events
    assert (ban.start, ban.end) == (dt.date(2025, 9, 21), dt.date(2025, 11, 20))
    assert isinstance(capacity, Capacity)
    assert list(capacity.path) == [dt.date(2025, 3, 1)]


def test_an_error_in_a_base_names_the_base_file(tmp_path: Path) -> None:
    write(tmp_path, "parent.yaml", "name: parent\nhorizon: {start: 2025-01, end: 2030-13}\n")
    child = write(tmp_path, "child.yaml", "name: child\nbase: parent\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(child, contract_vocabulary())
    assert str(err.value).startswith(f"{tmp_path / 'parent.yaml'}:2: horizon.end: ")


# --- coverage by element ----------------------------------------------------------------------


def test_element_coverage_reaches_the_magnets_and_alloys_containing_it() -> None:
    vocab = contract_vocabulary()
    dy = vocab.covered([], ["Dy"], None)
    assert {"oxide:Dy", "metal:Dy", "magnet:NdFeB-HRE"} <= set(dy)
    assert "magnet:NdFeB-LRE" not in dy
    assert "magnet:SmCo" in vocab.covered([], ["Sm"], None)
    assert "alloy:NdPr" in vocab.covered([], ["Nd"], ["alloy"])
    assert vocab.covered(["magnet:*"], [], None) == [
        "magnet:NdFeB-HRE",
        "magnet:NdFeB-LRE",
        "magnet:SmCo",
    ]


def test_containment_follows_the_recipes_of_the_reference_tables() -> None:
    materials = pd.DataFrame(
        {
            "material": ["oxide:Dy", "metal:Dy", "metal:Nd", "alloy:NdPr", "magnet:X", "bulk:Fe"],
            "element": ["Dy", "Dy", "Nd", "", "", ""],
        }
    )
    processes = pd.DataFrame(
        {
            "process": ["reduction:Dy", "alloying:NdPr", "magnet:X"],
            "stage": ["reduction", "alloying", "magnet"],
            "reference_material": ["metal:Dy", "alloy:NdPr", "magnet:X"],
        }
    )
    coefficients = pd.DataFrame(
        {
            "process": ["reduction:Dy", "alloying:NdPr", "magnet:X", "magnet:X", "magnet:X"],
            "material": ["oxide:Dy", "metal:Nd", "alloy:NdPr", "metal:Dy", "bulk:Fe"],
            "coefficient": [-1.2, -1.0, -0.3, -0.05, -0.9],
        }
    )
    contains = contained_elements(materials, processes, coefficients)
    assert contains["magnet:X"] == frozenset({"Nd", "Dy"})
    assert contains["alloy:NdPr"] == frozenset({"Nd"})
    assert contains["bulk:Fe"] == frozenset()


# --- CLI --------------------------------------------------------------------------------------


def test_schema_command_prints_the_json_schema() -> None:
    result = CliRunner().invoke(scenario_app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema == json.loads(json.dumps(json_schema()))
    events = schema["properties"]["events"]["items"]
    assert set(events["discriminator"]["mapping"]) == set(EVENT_MODELS)
    licence = schema["$defs"]["ExportLicence"]["properties"]
    assert licence["approval_share"]["maximum"] == 1
    assert licence["delay"]["type"] == "string"


def test_show_prints_events_in_plain_words() -> None:
    result = CliRunner().invoke(scenario_app, ["show", str(ISSUE_FILE)])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "horizon 2025-01 to 2030-12 by month" in text
    assert "Agreement irel-toyotsu: 100% of the contracted volume suspended from 2025-06-01" in text
    assert "after 3 months' notice" in text
    assert "40% of normal flow approved, arriving 45 days later" in text
    assert "450 t/yr from 2026-03-01, 900 t/yr from 2030-01-01" in text


def test_validate_accepts_the_shipped_scenarios() -> None:
    files = [str(p) for p in sorted(SHIPPED.glob("*.yaml"))]
    result = CliRunner().invoke(scenario_app, ["validate", *files])
    assert result.exit_code == 0, result.output
    assert result.stdout.count(": ok (") == len(files)


def test_names_are_checked_against_the_reference_data(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "names.yaml",
        "name: names\nhorizon: {start: 2025-01, end: 2025-12}\nevents:\n"
        "  - {type: capacity, facility: irel-oscom, material: oxide:Nd, path: {2026-03: 1 t/yr}}\n"
        "  - {type: export_ban, exporter: CHI, materials: [oxide:Dy]}\n",
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert str(err.value) == (
        f"{path}:5: events[1].exporter: unknown region 'CHI' (not in the reference data); "
        "did you mean CHN?"
    )


def test_schema_explain_lists_every_event_and_the_outage_share() -> None:
    from rareflow.scenario.schema import EVENT_MODELS

    result = CliRunner().invoke(scenario_app, ["schema", "--explain"])
    assert result.exit_code == 0, result.output
    for name in EVENT_MODELS:
        assert f"type: {name}:" in result.output
    outage = result.output.split("type: outage:")[1].split("type: ")[0]
    assert "Share of capacity LOST" in outage
    assert "separation" in outage and "magnet" in outage  # the stage names
    assert "1.45 is 145%" in result.output
