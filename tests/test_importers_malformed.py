"""Malformed import files (ragged rows, binary garbage) are one-line errors, never tracebacks."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from rareflow.cli.importers import import_app
from rareflow.importers.baci import import_baci, read_country_codes
from rareflow.importers.common import ImportDataError
from rareflow.importers.comtrade import import_comtrade
from rareflow.importers.usgs import import_usgs

DATA = Path(__file__).parent / "data" / "importers"
BACI = DATA / "BACI_HS17_Y2022_V202401_sample.csv"
CODES = DATA / "country_codes_V202401.csv"
GARBAGE = bytes(range(256)) * 3 + b"\n\x00\x1b[31m\r\nline\x85two\xe2\x80\xa8three\n"


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(import_app, name="import")
    return app


def test_ragged_country_codes_row(tmp_path: Path) -> None:
    path = tmp_path / "codes.csv"
    path.write_text(
        "country_code,country_name,country_iso2,country_iso3\n1,A,AA,AAA\n2,B,BB,BBB,extra,x\n"
    )
    with pytest.raises(ImportDataError, match=r"codes\.csv, line 3: malformed CSV row") as info:
        read_country_codes(path)
    assert "\n" not in str(info.value)


def test_ragged_country_codes_row_in_the_cli(tmp_path: Path) -> None:
    path = tmp_path / "codes.csv"
    path.write_text(CODES.read_text() + "999,Nowhere,NW,NWH,surplus\n")
    res = CliRunner().invoke(
        _cli(),
        ["import", "baci", str(BACI), "--countries", str(path), "--out", str(tmp_path / "o"),
         "--no-progress"],
    )  # fmt: skip
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and "malformed CSV row" in res.output


@pytest.mark.parametrize("importer", ["baci", "codes", "comtrade", "usgs"])
def test_binary_garbage_is_one_printable_line(tmp_path: Path, importer: str) -> None:
    path = tmp_path / "garbage.csv"
    path.write_bytes(GARBAGE)
    with pytest.raises(ImportDataError) as info:
        if importer == "baci":
            import_baci(path, CODES)
        elif importer == "codes":
            read_country_codes(path)
        elif importer == "comtrade":
            import_comtrade(path)
        else:
            import_usgs(path)
    text = str(info.value)
    assert text.isprintable() and len(text) < 600, text
