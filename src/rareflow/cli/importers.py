"""`rareflow data import ...`: the importers as a Typer sub-app (registered by rareflow.cli)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from rareflow.cli.errors import user_errors
from rareflow.importers.baci import ImportResult, import_baci
from rareflow.importers.common import write_tables
from rareflow.importers.comtrade import import_comtrade
from rareflow.importers.merge import combine, merge_trade, packaged_table
from rareflow.importers.usgs import import_usgs

import_app = typer.Typer(
    help="Import USGS, BACI or UN Comtrade files into reference tables usable with --data.",
    no_args_is_help=True,
)

InFile = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="file to import")
]
OutDir = Annotated[
    Path,
    typer.Option("--out", help="directory to write the tables into (usable with --data)"),
]
ImportedOnly = Annotated[
    bool,
    typer.Option(
        "--imported-only",
        help="do not merge with the packaged tables (tables already in --out are still kept)",
    ),
]
Compare = Annotated[
    bool,
    typer.Option(
        "--compare-reference", help="print imported trade against the shipped trade estimates"
    ),
]
Include253090 = Annotated[
    bool,
    typer.Option("--include-253090", help="also import HS 2530.90 (mostly non-rare-earth)"),
]
MemoryLimit = Annotated[str, typer.Option("--memory-limit", help="DuckDB memory limit")]
Progress = Annotated[
    bool | None,
    typer.Option("--progress/--no-progress", help="progress bar (default: on a terminal)"),
]


def _finish(result: ImportResult, out: Path, imported_only: bool, compare: bool) -> None:
    tables, _ = combine(out, result.tables, use_packaged=not imported_only)
    written = write_tables(out, tables)
    for line in result.summary:
        typer.echo(line)
    typer.echo(f"wrote {', '.join(p.name for p in written)} to {out}")
    if compare and "trade" in result.tables:
        shipped = shipped_trade()
        if shipped is None:
            typer.echo("no shipped trade table to compare with")
            return
        _, diff = merge_trade(shipped, result.tables["trade"])
        typer.echo("imported trade against the shipped estimates (t; largest differences first):")
        with pd.option_context("display.width", 160, "display.max_rows", 60):
            typer.echo(diff.to_string(index=False) if len(diff) else "(no rows)")


def shipped_trade() -> pd.DataFrame | None:
    """The packaged trade table, read through the loader's checks when it is available."""
    try:
        from rareflow.data.loader import packaged_dir, read_table
        from rareflow.data.schema import SPECS_BY_NAME

        path = packaged_dir() / "trade.csv"
        if not path.is_file():
            return None
        frame, _ = read_table(SPECS_BY_NAME["trade"], path)
        return frame
    except ImportError:
        return packaged_table("trade")


def _progress(flag: bool | None) -> bool:
    return sys.stderr.isatty() if flag is None else flag


@import_app.command("usgs")
def usgs(file: InFile, out: OutDir, imported_only: ImportedOnly = False) -> None:
    """USGS MCS world data CSV -> mine_production, reserves, world_totals."""
    with user_errors():
        result = import_usgs(file)
        _finish(result, out, imported_only, compare=False)


@import_app.command("baci")
def baci(
    file: InFile,
    countries: Annotated[
        Path,
        typer.Option(
            "--countries",
            exists=True,
            dir_okay=False,
            help="BACI country code table (country_codes_V<release>.csv)",
        ),
    ],
    out: OutDir,
    include_253090: Include253090 = False,
    compare_reference: Compare = False,
    imported_only: ImportedOnly = False,
    memory_limit: MemoryLimit = "1GB",
    progress: Progress = None,
) -> None:
    """CEPII BACI year file (t,i,j,k,v,q) -> trade between rareflow regions."""
    with user_errors():
        result = import_baci(
            file,
            countries,
            include_opt_in=include_253090,
            memory_limit=memory_limit,
            show_progress=_progress(progress),
            scratch=out,
        )
        _finish(result, out, imported_only, compare_reference)


@import_app.command("comtrade")
def comtrade(
    file: InFile,
    out: OutDir,
    include_253090: Include253090 = False,
    compare_reference: Compare = False,
    imported_only: ImportedOnly = False,
    memory_limit: MemoryLimit = "1GB",
    progress: Progress = None,
) -> None:
    """UN Comtrade CSV (bulk or download) -> trade between rareflow regions."""
    with user_errors():
        result = import_comtrade(
            file,
            include_opt_in=include_253090,
            memory_limit=memory_limit,
            show_progress=_progress(progress),
            scratch=out,
        )
        _finish(result, out, imported_only, compare_reference)
