"""`rareflow data ...` commands, and the invariants of the shipped reference data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rareflow.cli import app
from rareflow.data.loader import (
    Reference,
    check_every_row_sourced,
    load_reference,
)
from rareflow.data.schema import SPECS, TABLE_NAMES
from rareflow.data.summaries import reserve_rank, world_reconciliation

Setter = Callable[[Path, int, str, str], None]
runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    # a user error is a clean exit, never an escaped exception
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def assert_user_error(stdout: str, stderr: str, *fragments: str) -> None:
    assert "Traceback" not in stdout + stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    for fragment in fragments:
        assert fragment in lines[0]


# --- refusals through the CLI (the tiny set replaces every packaged table) ----------------------

CLI_CASES = [
    # (table, line, column, bad value, expected fragment): one per kind of refusal
    ("regions", 3, "name", "", "is empty (expected a value"),
    ("regions", 2, "iso_numeric", "abc", "'abc' is not an integer (expected a whole number)"),
    ("reserves", 2, "quantity", "44 Mt", "'44 Mt' is not a number (expected a decimal"),
    ("agreements", 2, "start", "Nov 2012", "(expected an ISO date YYYY-MM-DD)"),
    ("mine_production", 2, "usgs_estimate", "e", "'e' is not a boolean (expected true or false)"),
    ("reserves", 3, "quantity", "-1", "'-1' is negative (expected a number >= 0)"),
    ("facilities", 2, "status", "running", "'running' is not allowed (expected one of 'operating'"),
    (
        "demand",
        2,
        "sector",
        "ev",
        "'ev' is unknown (expected a value of sectors.csv column 'sector'",
    ),
    ("prices", 2, "source", "argus", "'argus' is unknown (expected a value of sources.csv"),
    ("prices", 2, "unit", "USD/t", "'USD/t' is not an allowed unit (expected one of 'USD/kg')"),
    ("deposit_assays", 2, "estimate_method", "", "source test-derived is tagged D"),
]


@pytest.mark.parametrize(("table", "line", "column", "value", "expected"), CLI_CASES)
def test_validate_refuses_broken_cell(
    tiny_dir: Path,
    cell_setter: Setter,
    table: str,
    line: int,
    column: str,
    value: str,
    expected: str,
) -> None:
    cell_setter(tiny_dir / f"{table}.csv", line, column, value)
    code, out, err = run("data", "validate", "--data", str(tiny_dir))
    assert code == 2
    assert_user_error(out, err, f"{table}.csv:{line}: column '{column}'", expected)


def test_validate_refuses_duplicate_key(tiny_dir: Path) -> None:
    path = tiny_dir / "regions.csv"
    path.write_text(path.read_text() + "IND,India again,country,356,false,iso-3166,2024,\n")
    code, out, err = run("data", "validate", "--data", str(tiny_dir))
    assert code == 2
    assert_user_error(out, err, "regions.csv:7: column 'code': duplicate key (code='IND')")


def test_validate_refuses_wrong_delimiter(tiny_dir: Path) -> None:
    path = tiny_dir / "sectors.csv"
    path.write_text(path.read_text().replace(",", "\t"))
    code, out, err = run("data", "validate", "--data", str(tiny_dir))
    assert code == 2
    assert_user_error(out, err, "sectors.csv:1: header is separated by '\\t'", "comma-separated")


def test_validate_refuses_missing_column(tiny_dir: Path) -> None:
    path = tiny_dir / "sectors.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(line.split(",", 1)[1] for line in lines) + "\n")
    code, out, err = run("data", "validate", "--data", str(tiny_dir))
    assert code == 2
    assert_user_error(out, err, "sectors.csv:1: missing column 'sector'", "expected columns")


def test_validate_refuses_non_utf8(tiny_dir: Path) -> None:
    path = tiny_dir / "sectors.csv"
    path.write_bytes(path.read_text().encode("utf-16"))
    code, out, err = run("data", "validate", "--data", str(tiny_dir))
    assert code == 2
    assert_user_error(out, err, "sectors.csv:1:", "expected a UTF-8 text file")


def test_validate_refuses_unreconciled_world_total(tiny_dir: Path, cell_setter: Setter) -> None:
    cell_setter(tiny_dir / "mine_production.csv", 2, "quantity", "290000")
    code, out, err = run("data", "validate", "--data", str(tiny_dir))
    assert code == 2
    assert_user_error(out, err, "world_totals.csv:2: column 'quantity'", "within one rounding step")


def test_partial_override_error_names_user_file(tmp_path: Path, tiny_dir: Path) -> None:
    # only one file: the rest would come from the packaged set, but the user's file is checked
    # first, so its mistake is what the user sees
    user = tmp_path / "user"
    user.mkdir()
    text = (
        (tiny_dir / "regions.csv")
        .read_text()
        .replace("IND,India,country,356", "IND,India,country,x")
    )
    (user / "regions.csv").write_text(text)
    code, out, err = run("data", "validate", "--data", str(user))
    assert code == 2
    assert_user_error(out, err, f"{user / 'regions.csv'}:3: column 'iso_numeric': 'x'")


def test_missing_data_dir(tmp_path: Path) -> None:
    code, out, err = run("data", "validate", "--data", str(tmp_path / "nope"))
    assert code == 2
    assert "Traceback" not in out + err


# --- validate / show / sources on the tiny set --------------------------------------------------


def test_validate_tiny(tiny_dir: Path) -> None:
    code, out, _ = run("data", "validate", "--data", str(tiny_dir))
    assert code == 0
    assert "mine_production" in out
    assert "393,200" in out  # world reconciliation: country sum of MCS2025 2024
    assert "India" in out
    assert f"OK: {len(TABLE_NAMES)} tables" in out


def test_show_filters_vintage_and_region(tiny_dir: Path) -> None:
    code, out, _ = run(
        "data",
        "show",
        "mine_production",
        "--vintage",
        "MCS2025",
        "--region",
        "IND",
        "--data",
        str(tiny_dir),
    )
    assert code == 0
    assert "mine_production (1 rows)" in out
    assert "2,900" in out
    assert "MCS2024" not in out


def test_show_regions_table(tiny_dir: Path) -> None:
    code, out, _ = run("data", "show", "regions", "--region", "IND", "--data", str(tiny_dir))
    assert code == 0
    assert "regions (1 rows)" in out
    row = next(line for line in out.splitlines() if "India" in line)
    assert "│ false " in row  # booleans print as the files write them


def test_show_region_matches_exporter_or_importer(tiny_dir: Path) -> None:
    code, out, _ = run("data", "show", "trade", "--region", "JPN", "--data", str(tiny_dir))
    assert code == 0
    assert "trade (1 rows)" in out
    assert "oxide:Nd" in out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["data", "show", "nosuch"], "unknown table 'nosuch' (expected one of: sources, regions"),
        (["data", "show", "reserves", "--vintage", "MCS1999"], "unknown vintage 'MCS1999'"),
        (["data", "show", "reserves", "--region", "ATL"], "unknown region 'ATL'"),
        (["data", "show", "sectors", "--region", "IND"], "table 'sectors' has no region column"),
        (["data", "sources", "--id", "nosuch"], "unknown source 'nosuch'"),
    ],
)
def test_show_and_sources_user_errors(tiny_dir: Path, args: list[str], fragment: str) -> None:
    code, out, err = run(*args, "--data", str(tiny_dir))
    assert code == 2
    assert_user_error(out, err, fragment)


def test_sources_counts_rows_and_tables(tiny_dir: Path) -> None:
    code, out, _ = run("data", "sources", "--data", str(tiny_dir))
    assert code == 0
    # iso-3166 is cited by the 5 rows of regions.csv only
    line = next(line for line in out.splitlines() if "iso-3166" in line)
    assert "│    5 │ regions" in line


def test_sources_id_lists_rows(tiny_dir: Path) -> None:
    code, out, _ = run("data", "sources", "--id", "usgs-mcs2024", "--data", str(tiny_dir))
    assert code == 0
    assert "Rows citing usgs-mcs2024 (8)" in out  # 3 production, 3 reserves, 2 world totals
    assert "reserves" in out


def test_cli_help_lists_data_group() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "data" in result.stdout


# --- the shipped data ---------------------------------------------------------------------------
# These fail until the reference CSVs are complete; they are what "done" means for the data.


@pytest.fixture(scope="module")
def shipped() -> Reference:
    return load_reference()


def test_validate_shipped_data() -> None:
    code, out, err = run("data", "validate")
    assert code == 0, err
    assert "OK:" in out


def test_every_shipped_row_sourced(shipped: Reference) -> None:
    check_every_row_sourced(shipped)
    known = set(shipped["sources"]["source_id"])
    for spec in SPECS:
        if spec.provenance:
            for cell in shipped[spec.name]["source"]:
                assert cell and set(cell.split(";")) <= known, (spec.name, cell)


def test_shipped_world_totals_reconcile(shipped: Reference) -> None:
    table = world_reconciliation(shipped)
    assert table["reconciles"].all(), table
    for edition in ("MCS2024", "MCS2025"):
        for measure in ("production", "reserves"):
            assert ((table["edition"] == edition) & (table["measure"] == measure)).any()


def test_india_mine_production_2024(shipped: Reference) -> None:
    prod = shipped["mine_production"]
    row = prod[(prod["edition"] == "MCS2025") & (prod["region"] == "IND") & (prod["year"] == 2024)]
    assert len(row) == 1
    assert row["quantity"].iloc[0] == 2900.0
    assert row["unit"].iloc[0] == "t REO"


@pytest.mark.parametrize("edition", ["MCS2024", "MCS2025"])
def test_india_reserves(shipped: Reference, edition: str) -> None:
    res = shipped["reserves"]
    row = res[(res["edition"] == edition) & (res["region"] == "IND")]
    assert row["quantity"].tolist() == [6_900_000.0]


@pytest.mark.parametrize(("edition", "rank"), [("MCS2024", 5), ("MCS2025", 3)])
def test_india_reserve_rank(shipped: Reference, edition: str, rank: int) -> None:
    assert reserve_rank(shipped, "IND", edition) == rank


# --- show: columns, conditions, formats; sources: URLs -------------------------------------------


def test_show_columns_where_and_csv(tiny_dir: Path) -> None:
    code, out, _ = run(
        "data",
        "show",
        "mine_production",
        "--where",
        "edition=MCS2025",
        "--where",
        "quantity>=10000",
        "--columns",
        "region,quantity",
        "--format",
        "csv",
        "--data",
        str(tiny_dir),
    )
    assert code == 0, out
    lines = out.strip().splitlines()
    assert lines[0] == "region,quantity"
    assert len(lines) >= 2
    assert all(float(line.split(",")[1]) >= 10000 for line in lines[1:])
    assert not any(line.startswith("IND,") for line in lines[1:])  # India mined 2,900 t


def test_show_json_and_contains(tiny_dir: Path) -> None:
    import json

    code, out, _ = run(
        "data", "show", "regions", "--where", "name~indi", "--format", "json", "--data",
        str(tiny_dir),
    )  # fmt: skip
    assert code == 0, out
    records = json.loads(out)
    assert [r["code"] for r in records] == ["IND"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--columns", "regoin"], "no column 'regoin'; did you mean 'region'?"),
        (["--where", "regoin=AUS"], "--where: table 'mine_production' has no column 'regoin'"),
        (["--where", "quantity>lots"], "expected a number after >"),
        (["--where", "just text"], "expected COLUMN OP VALUE"),
        (["--format", "xml"], "--format 'xml': expected one of table, csv, json"),
    ],
)
def test_show_query_user_errors(tiny_dir: Path, args: list[str], fragment: str) -> None:
    code, out, err = run("data", "show", "mine_production", *args, "--data", str(tiny_dir))
    assert code == 2
    assert_user_error(out, err, fragment)


def test_sources_print_urls(tiny_dir: Path) -> None:
    code, out, _ = run("data", "sources", "--data", str(tiny_dir))
    assert code == 0
    assert "https://" in out


def test_terminal_shows_the_columns_that_fit() -> None:
    import pandas as pd

    from rareflow.cli.data import fit_columns

    frame = pd.DataFrame({"code": ["IND"], "note": ["x" * 200], "vintage": ["2024"]})
    # code needs 4+3, note is cut to 32+3, vintage 7+3: 80 columns hold all three, 40 only two
    assert fit_columns(frame, 80) == ["code", "note", "vintage"]
    assert fit_columns(frame, 40) == ["code"]
    assert fit_columns(frame, 5) == ["code"]  # always at least one column
