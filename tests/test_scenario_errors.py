"""The error corpus: every broken scenario exits 2 with one line naming file:line and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from rareflow.cli.scenario import scenario_app
from rareflow.scenario import loader
from rareflow.scenario.vocabulary import contract_vocabulary

BAD = Path(__file__).parent / "data" / "scenarios_bad"

# file -> (file the message names, line, field, fragment of what was expected)
EXPECTED: dict[str, tuple[str, int, str, str]] = {
    "bad-yaml-bracket.yaml": ("bad-yaml-bracket.yaml", 5, "", "invalid YAML: expected ','"),
    "bad-yaml-tab.yaml": ("bad-yaml-tab.yaml", 4, "", "invalid YAML: found character '\\t'"),
    "control-character.yaml": (
        "control-character.yaml",
        1,
        "",
        "invalid YAML: unacceptable character #x0001",
    ),
    "not-a-mapping.yaml": ("not-a-mapping.yaml", 1, "", "expected a mapping of fields"),
    "empty.yaml": ("empty.yaml", 1, "", "the file is empty"),
    "missing-name.yaml": ("missing-name.yaml", 1, "name", "required field is missing"),
    "bad-name.yaml": ("bad-name.yaml", 1, "name", "expected a lowercase id"),
    "unknown-top-field.yaml": (
        "unknown-top-field.yaml",
        2,
        "horizn",
        "unknown field 'horizn'; did you mean 'horizon'? expected",
    ),
    "unknown-event-type.yaml": (
        "unknown-event-type.yaml",
        7,
        "events[1].type",
        "unknown event type 'export_embargo'; expected one of: export_ban",
    ),
    "event-without-type.yaml": (
        "event-without-type.yaml",
        4,
        "events[0]",
        "expected a `type` field",
    ),
    "unknown-region.yaml": (
        "unknown-region.yaml",
        5,
        "events[0].exporter",
        "unknown region 'CHI'",
    ),
    "misspelt-event-key.yaml": (
        "misspelt-event-key.yaml",
        5,
        "events[0].exportr",
        "unknown field 'exportr'; did you mean 'exporter'?",
    ),
    "region-by-name.yaml": (
        "region-by-name.yaml",
        5,
        "events[0].exporter",
        "unknown region 'China' (not in the data contract); did you mean CHN?",
    ),
    "region-lowercase.yaml": (
        "region-lowercase.yaml",
        5,
        "events[0].exporter",
        "unknown region 'chn' (not in the data contract); did you mean CHN?",
    ),
    "unknown-destination.yaml": (
        "unknown-destination.yaml",
        7,
        "events[0].destinations[1]",
        "unknown region 'XXX'",
    ),
    "unknown-material.yaml": (
        "unknown-material.yaml",
        8,
        "events[0].materials[1]",
        "'oxide:Xx' is not a known material",
    ),
    "pattern-matches-nothing.yaml": (
        "pattern-matches-nothing.yaml",
        6,
        "events[0].materials[0]",
        "'powder:*' matches no material",
    ),
    "unknown-element.yaml": (
        "unknown-element.yaml",
        6,
        "events[0].elements[1]",
        "unknown element 'Zz'",
    ),
    "unknown-facility.yaml": (
        "unknown-facility.yaml",
        5,
        "events[0].facility",
        "unknown facility 'irel-oscomm'",
    ),
    "unknown-agreement.yaml": (
        "unknown-agreement.yaml",
        5,
        "events[0].agreement",
        "unknown agreement 'irel-toyota'",
    ),
    "unknown-sector.yaml": (
        "unknown-sector.yaml",
        7,
        "events[0].end_users[0]",
        "unknown sector 'military'",
    ),
    "wrong-unit-mass.yaml": (
        "wrong-unit-mass.yaml",
        6,
        "events[0].path.2026-03",
        "expected a quantity in t/yr (e.g. '450 t/yr'), got '450 t'",
    ),
    "missing-unit.yaml": (
        "missing-unit.yaml",
        7,
        "events[0].quantity",
        "expected a quantity in t/yr (e.g. '450 t/yr'), got the bare number 1000 (no unit)",
    ),
    "unknown-unit.yaml": (
        "unknown-unit.yaml",
        7,
        "events[0].quantity",
        "got unknown unit 'tons/yr'",
    ),
    "wrong-unit-duration.yaml": (
        "wrong-unit-duration.yaml",
        7,
        "events[0].notice",
        "expected a quantity in month (e.g. '3 months'), got '3 t'",
    ),
    "negative-quantity.yaml": (
        "negative-quantity.yaml",
        7,
        "events[0].quantity",
        "expected a non-negative quantity in t/yr, got '-500 t/yr'",
    ),
    "share-above-one.yaml": (
        "share-above-one.yaml",
        10,
        "events[1].approval_share",
        "expected a number between 0 and 1, got 1.4",
    ),
    "share-not-number.yaml": (
        "share-not-number.yaml",
        7,
        "events[0].share",
        "expected a number between 0 and 1, got 'half'",
    ),
    "end-before-start.yaml": (
        "end-before-start.yaml",
        8,
        "events[0].end",
        "expected a date after start 2025-06-01, got 2025-01-01",
    ),
    "horizon-end-before-start.yaml": (
        "horizon-end-before-start.yaml",
        4,
        "horizon.end",
        "expected a month not before start 2026-01, got 2025-12",
    ),
    "horizon-before-data.yaml": (
        "horizon-before-data.yaml",
        3,
        "horizon.start",
        "expected a month within the data, 2024-01 to 2040-12, got 2010-01",
    ),
    "horizon-after-data.yaml": (
        "horizon-after-data.yaml",
        4,
        "horizon.end",
        "expected a month within the data, 2024-01 to 2040-12, got 2045-12",
    ),
    "bad-date.yaml": (
        "bad-date.yaml",
        6,
        "events[0].start",
        "got '2025-13' (no such date)",
    ),
    "bad-date-format.yaml": (
        "bad-date-format.yaml",
        6,
        "events[0].start",
        "expected a month YYYY-MM or a day YYYY-MM-DD, got 'April 2025'",
    ),
    "horizon-day-precision.yaml": (
        "horizon-day-precision.yaml",
        2,
        "horizon.start",
        "expected a month YYYY-MM, got '2025-01-15'",
    ),
    "bad-step.yaml": (
        "bad-step.yaml",
        2,
        "horizon.step",
        "expected 'month', 'quarter' or 'year', got 'week'",
    ),
    "base-missing.yaml": ("base-missing.yaml", 2, "base", "no base scenario 'nowhere'"),
    "loop-a.yaml": ("loop-b.yaml", 2, "base", "loop-a -> loop-b -> loop-a"),
    "loop-b.yaml": ("loop-a.yaml", 2, "base", "loop-b -> loop-a -> loop-b"),
    "self-base.yaml": ("self-base.yaml", 2, "base", "self-base -> self-base"),
    "no-horizon.yaml": ("no-horizon.yaml", 1, "horizon", "required field is missing"),
    "missing-event-field.yaml": (
        "missing-event-field.yaml",
        4,
        "events[0].exporter",
        "required field is missing",
    ),
    "unknown-event-field.yaml": (
        "unknown-event-field.yaml",
        7,
        "events[0].approval_shares",
        "unknown field 'approval_shares'; did you mean 'approval_share'? expected one of: "
        "destinations, exclude, materials",
    ),
    "covers-nothing.yaml": (
        "covers-nothing.yaml",
        4,
        "events[0]",
        "expected `materials` or `elements`",
    ),
    "tax-rate-and-amount.yaml": (
        "tax-rate-and-amount.yaml",
        4,
        "events[0]",
        "expected exactly one of `rate`",
    ),
    "outage-no-target.yaml": (
        "outage-no-target.yaml",
        4,
        "events[0]",
        "expected `facility`, or `region` and `stage`",
    ),
    "unknown-stage.yaml": (
        "unknown-stage.yaml",
        7,
        "events[0].stage",
        "unknown stage 'smelting'",
    ),
    "parameter-unknown-table.yaml": (
        "parameter-unknown-table.yaml",
        5,
        "events[0].table",
        "unknown table 'price'; expected one of: sources",
    ),
    "parameter-unknown-column.yaml": (
        "parameter-unknown-column.yaml",
        7,
        "events[0].column",
        "table prices has no column 'cost'",
    ),
    "duplicate-key.yaml": ("duplicate-key.yaml", 3, "name", "duplicate key 'name'"),
    "bad-foresight.yaml": (
        "bad-foresight.yaml",
        3,
        "foresight",
        "expected perfect, myopic or 'window N', got 'clairvoyant'",
    ),
    "materials-not-list.yaml": (
        "materials-not-list.yaml",
        6,
        "events[0].materials",
        "expected a list such as [a, b], got a mapping",
    ),
    "capacity-empty-path.yaml": (
        "capacity-empty-path.yaml",
        6,
        "events[0].path",
        "expected at least one {date: capacity} point",
    ),
    "new-facility-half.yaml": (
        "new-facility-half.yaml",
        4,
        "events[0]",
        "expected both `region` and `process` for a new facility",
    ),
    "base-broken.yaml": (
        "bases/broken.yaml",
        7,
        "events[0].share",
        "expected a number between 0 and 1, got 2",
    ),
    "suspended-period-reversed.yaml": (
        "suspended-period-reversed.yaml",
        8,
        "events[0].suspended[0].end",
        "expected a date after start 2026-01-01, got 2025-06-01",
    ),
    "new-facility-exists.yaml": (
        "new-facility-exists.yaml",
        6,
        "events[0].region",
        "facility irel-oscom is in the data; `region` and `process` are only for a new facility",
    ),
    "unknown-process.yaml": (
        "unknown-process.yaml",
        7,
        "events[0].process",
        "unknown process 'magnet:NdFeB-XL'",
    ),
    "demand-both.yaml": (
        "demand-both.yaml",
        4,
        "events[0]",
        "expected exactly one of `growth` (annual rate) or `factor`",
    ),
}


@pytest.fixture(autouse=True)
def _contract_names(monkeypatch: pytest.MonkeyPatch) -> None:
    # The corpus is about messages: check names against the data contract's fixed identifiers
    # so that edits of the reference tables cannot change what these files test.
    monkeypatch.setattr(loader, "load_vocabulary", lambda data_dir=None: contract_vocabulary())


def test_corpus_is_complete() -> None:
    files = sorted(p.name for p in BAD.glob("*.yaml"))
    assert len(files) >= 30
    assert files == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_scenario(name: str) -> None:
    file, line, field, fragment = EXPECTED[name]
    result = CliRunner().invoke(scenario_app, ["validate", str(BAD / name)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    message = lines[0]
    where = f"{BAD / file}:{line}: "
    assert message.startswith(where), message
    rest = message[len(where) :]
    if field:
        assert rest.startswith(f"{field}: "), message
    assert fragment in rest, message
    assert result.stdout == ""


def test_validate_reports_every_bad_file_and_passes_good_ones(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("name: good\nhorizon: {start: 2025-01, end: 2025-12}\n")
    args = ["validate", str(good), str(BAD / "empty.yaml"), str(BAD / "bad-step.yaml")]
    result = CliRunner().invoke(scenario_app, args)
    assert result.exit_code == 2
    assert f"{good}: ok (good, 0 events)" in result.stdout
    assert len(result.stderr.strip().splitlines()) == 2


def test_region_names_suggest_their_code(tmp_path: Path) -> None:
    """With the reference data, a region's name (any case) points to its code."""
    from rareflow.scenario.errors import ScenarioError
    from rareflow.scenario.vocabulary import load_vocabulary

    path = tmp_path / "by-name.yaml"
    body = (BAD / "unknown-region.yaml").read_text().replace("exporter: CHI", "exporter: australia")
    path.write_text(body)
    with pytest.raises(ScenarioError, match="did you mean AUS\\?"):
        loader.load_scenario(path, load_vocabulary())
