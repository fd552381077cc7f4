"""Strict loading: one test per kind of refusal, the invariants, and round trips."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from rareflow.data.loader import (
    INVARIANTS,
    Reference,
    ReferenceDataError,
    check_every_row_sourced,
    load_reference,
    packaged_dir,
    reconciles,
    write_reference,
)
from rareflow.data.schema import SPECS, TABLE_NAMES

Setter = Callable[[Path, int, str, str], None]


def refusal(data_dir: Path) -> str:
    with pytest.raises(ReferenceDataError) as info:
        load_reference(data_dir)
    message = str(info.value)
    assert "\n" not in message  # one line
    return message


def test_tiny_set_is_valid(tiny_dir: Path) -> None:
    ref = load_reference(tiny_dir)
    assert set(ref) == set(TABLE_NAMES)
    assert ref.overridden == frozenset(TABLE_NAMES)
    regions = ref["regions"]
    assert str(regions["iso_numeric"].dtype) == "Int64"
    assert pd.isna(regions.loc[regions["code"] == "ROW", "iso_numeric"].iloc[0])
    assert str(regions["eu_member"].dtype) == "boolean"
    assert ref["agreements"]["start"].iloc[0] == pd.Timestamp("2012-11-01")
    assert pd.isna(ref["agreements"]["end"].iloc[0])
    assert ref["mine_production"]["quantity"].dtype == "float64"
    # header is line 1, so the third data row sits on line 4
    assert ref.line("regions", 2) == 4


# --- (a) the file itself ------------------------------------------------------------------------


def test_missing_file_in_complete_set(tiny_dir: Path) -> None:
    (tiny_dir / "regions.csv").unlink()
    with pytest.raises(ReferenceDataError, match=r"regions\.csv: file is missing"):
        load_reference(base_dir=tiny_dir)


def test_not_utf8(tiny_dir: Path) -> None:
    path = tiny_dir / "regions.csv"
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b"India", b"Ind\xefa")  # latin-1 i-diaeresis, not UTF-8
    path.write_bytes(b"\n".join(lines))
    message = refusal(tiny_dir)
    assert "regions.csv:3:" in message
    assert "expected a UTF-8 text file" in message


def test_wrong_delimiter(tiny_dir: Path) -> None:
    path = tiny_dir / "regions.csv"
    path.write_text(path.read_text().replace(",", ";"))
    message = refusal(tiny_dir)
    assert "regions.csv:1:" in message
    assert "separated by ';'" in message
    assert "expected comma-separated columns" in message


def test_missing_column(tiny_dir: Path) -> None:
    path = tiny_dir / "regions.csv"
    rows = [
        line.rsplit(",", 4)[0] + "," + ",".join(line.rsplit(",", 4)[2:])
        for line in path.read_text().splitlines()
    ]
    path.write_text("\n".join(rows) + "\n")  # drops eu_member
    message = refusal(tiny_dir)
    assert "regions.csv:1: missing column 'eu_member'" in message
    assert "expected columns:" in message


def test_an_optional_column_left_out_reads_as_empty(tiny_dir: Path) -> None:
    # the fixture's regions.csv predates the lat/lon columns (optional): it loads, with
    # them empty; a required column left out is refused (test_missing_column)
    ref = load_reference(tiny_dir)
    regions = ref["regions"]
    assert {"lat", "lon"} <= set(regions.columns)
    assert regions["lat"].isna().all() and len(regions) == 5


def test_unexpected_column(tiny_dir: Path) -> None:
    path = tiny_dir / "regions.csv"
    rows = path.read_text().splitlines()
    rows = [rows[0] + ",colour"] + [r + ",red" for r in rows[1:]]
    path.write_text("\n".join(rows) + "\n")
    message = refusal(tiny_dir)
    assert "regions.csv:1: unexpected column 'colour'" in message


def test_wrong_number_of_cells(tiny_dir: Path) -> None:
    path = tiny_dir / "regions.csv"
    rows = path.read_text().splitlines()
    rows[3] = rows[3] + ",extra"
    path.write_text("\n".join(rows) + "\n")
    message = refusal(tiny_dir)
    assert "regions.csv:4: row has 9 cells (expected 8" in message


def test_unknown_table_file_in_override(tiny_dir: Path) -> None:
    (tiny_dir / "region.csv").write_text("code\n")
    message = refusal(tiny_dir)
    assert "region.csv" in message
    assert "is not a reference table" in message


def test_extra_file_known_to_the_base_set_is_ignored(tiny_dir: Path, tmp_path: Path) -> None:
    (tiny_dir / "notes.csv").write_text("anything\n")
    user = tmp_path / "user"
    user.mkdir()
    (user / "notes.csv").write_text("anything\n")
    ref = load_reference(user, base_dir=tiny_dir)
    assert ref.overridden == frozenset()


# --- (b)-(i) cells ------------------------------------------------------------------------------

CELL_CASES = [
    # (table, line, column, bad value, expected fragment)
    ("regions", 3, "name", "", "'' is empty (expected a value (column is required))"),
    ("regions", 2, "iso_numeric", "abc", "'abc' is not an integer (expected a whole number)"),
    ("mine_production", 3, "quantity", "2,900", "'2,900' is not a number (expected a decimal"),
    ("mine_production", 3, "quantity", "nan", "'nan' is not a number"),
    ("agreements", 2, "start", "01/11/2012", "is not a date (expected an ISO date YYYY-MM-DD)"),
    ("agreements", 2, "start", "2012-13-01", "is not a date (expected an ISO date YYYY-MM-DD)"),
    ("regions", 2, "eu_member", "yes", "'yes' is not a boolean (expected true or false)"),
    ("mine_production", 4, "quantity", "-300", "'-300' is negative (expected a number >= 0)"),
    (
        "regions",
        5,
        "kind",
        "nation",
        "'nation' is not allowed (expected one of 'country', 'group')",
    ),
    ("facilities", 2, "region", "XXX", "'XXX' is unknown (expected a value of regions.csv column"),
    (
        "trade",
        2,
        "material",
        "oxide:Xx",
        "'oxide:Xx' is unknown (expected a value of materials.csv",
    ),
    ("regions", 3, "source", "iso-3166;nope", "'nope' is unknown (expected a value of sources.csv"),
    ("regions", 3, "source", "iso-3166;", "has an empty source id (expected ids separated by ';')"),
    ("mine_production", 2, "unit", "kt", "'kt' is not an allowed unit (expected one of 't REO')"),
    ("elements", 2, "estimate_method", "", "is tagged D (derived/assumption)"),
    ("sectors", 2, "estimate_method", "", "is tagged A (derived/assumption)"),
]


@pytest.mark.parametrize(("table", "line", "column", "value", "expected"), CELL_CASES)
def test_cell_refusals(
    tiny_dir: Path,
    cell_setter: Setter,
    table: str,
    line: int,
    column: str,
    value: str,
    expected: str,
) -> None:
    cell_setter(tiny_dir / f"{table}.csv", line, column, value)
    message = refusal(tiny_dir)
    assert f"{table}.csv:{line}: column '{column}'" in message
    assert expected in message


def test_extra_values_are_accepted(tiny_dir: Path) -> None:
    # demand_growth region WORLD and trade material 'magnet' (a form) are declared extra values
    ref = load_reference(tiny_dir)
    assert "WORLD" in set(ref["demand_growth"]["region"])
    assert "magnet" in set(ref["trade"]["material"])


def test_estimate_method_not_required_for_published_rows(
    tiny_dir: Path, cell_setter: Setter
) -> None:
    cell_setter(tiny_dir / "regions.csv", 2, "estimate_method", "rounded from the source")
    load_reference(tiny_dir)


def test_duplicate_key(tiny_dir: Path) -> None:
    path = tiny_dir / "reserves.csv"
    rows = path.read_text().splitlines()
    rows.append(rows[3].replace("6900000", "7000000"))
    path.write_text("\n".join(rows) + "\n")
    message = refusal(tiny_dir)
    assert f"reserves.csv:{len(rows)}: column 'edition', 'region': duplicate key" in message
    assert "region='IND'" in message
    assert "first seen on line 4" in message


# --- table-level invariants ---------------------------------------------------------------------


def test_assay_sum_tolerance(tiny_dir: Path, cell_setter: Setter) -> None:
    cell_setter(tiny_dir / "deposit_assays.csv", 2, "share", "0.204")  # sum 1.004: within
    load_reference(tiny_dir)
    cell_setter(tiny_dir / "deposit_assays.csv", 2, "share", "0.21")  # sum 1.01: outside
    message = refusal(tiny_dir)
    assert "deposit_assays.csv:2: column 'share'" in message
    assert "deposit 'monazite' sum to 1.0100 (expected 1 ± 0.005)" in message


def test_region_deposit_shares_must_sum_to_one(tiny_dir: Path, cell_setter: Setter) -> None:
    cell_setter(tiny_dir / "region_deposits.csv", 3, "share", "0.9")
    message = refusal(tiny_dir)
    assert "region_deposits.csv:3: column 'share': shares of region 'IND' sum to 0.9000" in message


def test_world_total_must_reconcile(tiny_dir: Path, cell_setter: Setter) -> None:
    cell_setter(tiny_dir / "world_totals.csv", 2, "quantity", "380000")
    message = refusal(tiny_dir)
    assert "world_totals.csv:2: column 'quantity'" in message
    assert "country rows sum to 393,200" in message


def test_world_total_needs_country_rows(tiny_dir: Path, cell_setter: Setter) -> None:
    cell_setter(tiny_dir / "world_totals.csv", 2, "year", "2019")
    message = refusal(tiny_dir)
    assert "world_totals.csv:2:" in message
    assert "has no country rows" in message


@pytest.mark.parametrize(
    ("total", "qualifier", "rounding", "sum_", "ok"),
    [
        (390_000, "", 10_000, 393_950, True),  # MCS2025 2024
        (390_000, "", 10_000, 400_000, True),  # exactly one step: accepted
        (390_000, "", 10_000, 400_001, False),
        (376_000, "", 1_000, 376_090, True),  # MCS2025 2023
        (376_000, "~", 1_000, 378_000, False),
        (110_000_000, "", 10_000_000, 115_414_500, True),  # MCS2024 reserves as USGS lists them
        (90_000_000, ">", 10_000_000, 90_884_500, True),  # MCS2025 reserves '>90 Mt'
        (90_000_000, ">", 10_000_000, 84_000_000, False),  # below the floor by > half a step
        (90_000_000, ">", 10_000_000, 100_000_001, False),
    ],
)
def test_reconciliation_rule(
    total: float, qualifier: str, rounding: float, sum_: float, ok: bool
) -> None:
    assert reconciles(total, qualifier, rounding, sum_) is ok


def test_producer_without_deposit_mix(tiny_dir: Path) -> None:
    path = tiny_dir / "region_deposits.csv"
    path.write_text("".join(line for line in path.open() if not line.startswith("ROW,")))
    message = refusal(tiny_dir)
    assert (
        "mine_production.csv:5: column 'region': 'ROW' produces but has no deposit mix" in message
    )


def test_deposit_without_assay(tiny_dir: Path) -> None:
    path = tiny_dir / "deposits.csv"
    path.write_text(path.read_text() + "xenotime,Xenotime,Phosphate,usgs-mcs2025,MCS2025,\n")
    message = refusal(tiny_dir)
    assert "deposits.csv:3: column 'deposit': 'xenotime' has no assay" in message


def test_process_reference_coefficient(tiny_dir: Path, cell_setter: Setter) -> None:
    cell_setter(tiny_dir / "process_coefficients.csv", 2, "coefficient", "0.5")
    message = refusal(tiny_dir)
    assert "processes.csv:2: column 'reference_material'" in message
    assert "has coefficient 0.5" in message


def test_every_row_sourced_on_frames(tiny_dir: Path) -> None:
    ref = load_reference(tiny_dir)
    check_every_row_sourced(ref)
    broken = Reference(
        tables={**ref.tables, "demand": ref["demand"].assign(source="")},
        lines=ref.lines,
        paths=ref.paths,
    )
    with pytest.raises(ReferenceDataError, match=r"demand\.csv:2: column 'source'"):
        check_every_row_sourced(broken)
    unvintaged = Reference(
        tables={**ref.tables, "prices": ref["prices"].assign(vintage="")}, lines=ref.lines
    )
    with pytest.raises(ReferenceDataError, match=r"prices\.csv:2: column 'vintage'"):
        check_every_row_sourced(unvintaged)


def test_invariants_are_named() -> None:
    assert {"every_row_sourced", "assay_sums", "region_deposit_shares", "world_totals"} <= set(
        INVARIANTS
    )


# --- overrides ----------------------------------------------------------------------------------


def test_override_replaces_only_given_tables(tiny_dir: Path, tmp_path: Path) -> None:
    user = tmp_path / "user"
    user.mkdir()
    text = (tiny_dir / "prices.csv").read_text().replace(",56,", ",60,")
    (user / "prices.csv").write_text(text)
    ref = load_reference(user, base_dir=tiny_dir)
    assert ref.overridden == frozenset({"prices"})
    assert ref["prices"]["price"].iloc[0] == 60.0
    assert ref.paths["prices"] == user / "prices.csv"
    assert ref.paths["regions"] == tiny_dir / "regions.csv"


def test_override_passes_same_checks(tiny_dir: Path, tmp_path: Path) -> None:
    # the override is fine in itself but refers to a region the base set does not have
    user = tmp_path / "user"
    user.mkdir()
    text = (tiny_dir / "facilities.csv").read_text().replace("IREL OSCOM,IND", "IREL OSCOM,LKA")
    (user / "facilities.csv").write_text(text)
    with pytest.raises(ReferenceDataError) as info:
        load_reference(user, base_dir=tiny_dir)
    assert f"{user / 'facilities.csv'}:2: column 'region': 'LKA' is unknown" in str(info.value)


def test_override_dir_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ReferenceDataError, match="not a directory"):
        load_reference(tmp_path / "nope")


# --- round trips --------------------------------------------------------------------------------


def assert_same(a: Reference, b: Reference) -> None:
    assert list(a) == list(b)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True, obj=name)


def test_round_trip_tiny(tiny_dir: Path, tmp_path: Path, cell_setter: Setter) -> None:
    # a note with a comma and a quote must survive the trip
    cell_setter(tiny_dir / "mine_production.csv", 2, "note", 'quota, "documented" only')
    first = load_reference(tiny_dir)
    write_reference(first, tmp_path / "out")
    second = load_reference(tmp_path / "out")
    assert_same(first, second)
    assert second["mine_production"]["note"].iloc[0] == 'quota, "documented" only'


def test_round_trip_shipped(tmp_path: Path) -> None:
    first = load_reference()
    write_reference(first, tmp_path / "out")
    second = load_reference(tmp_path / "out")
    assert_same(first, second)


def test_packaged_dir_holds_every_table() -> None:
    missing = [s.filename for s in SPECS if not (packaged_dir() / s.filename).is_file()]
    assert missing == []
