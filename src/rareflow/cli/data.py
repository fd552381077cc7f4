"""`rareflow data ...`: validate, show and cite the reference tables.

The commands live in their own Typer app (`data_app`) so that `rareflow.cli` only registers
them; other command groups (run, scenario, ...) are added there without touching this module.
User errors print one line to stderr and exit with status 2 (`rareflow.errors.UserError`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from rareflow.cli import lazy_group
from rareflow.cli.errors import user_errors
from rareflow.data.display import (
    FORMATS,
    check_format,
    filter_rows,
    select_columns,
    to_text,
)
from rareflow.data.loader import Reference, load_reference
from rareflow.data.schema import SPECS_BY_NAME, TABLE_NAMES
from rareflow.data.summaries import (
    reference_summary,
    region_figures,
    source_usage,
    world_reconciliation,
)
from rareflow.errors import UserError

data_app = typer.Typer(
    cls=lazy_group(
        {
            "import": (
                "rareflow.cli.importers",
                "import_app",
                "Import USGS, BACI or UN Comtrade files.",
            )
        }
    ),
    name="data",
    help="Validate, show and cite the reference data.",
    no_args_is_help=True,
    add_completion=False,
)

DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data",
        help="Directory of CSVs overriding any subset of the packaged reference tables.",
        file_okay=False,
    ),
]


class DataUsageError(UserError):
    """A bad option value of a `rareflow data` command: one line, exit status 2."""


def _console() -> Console:
    # A terminal's own width; when piped (files, tests) wide enough for tables of many columns.
    return Console(width=None if sys.stdout.isatty() else 160, soft_wrap=False)


def _cell(value: object) -> str:
    if value is None or value is pd.NA or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[call-overload]
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.6g}"
    return str(value)


# On a terminal, long text (titles, notes, methods) is cut to this width so that a row stays one
# line; piped output and --format csv/json keep every character.
TERMINAL_TEXT_WIDTH = 32


def render(
    frame: pd.DataFrame,
    title: str,
    numeric: Callable[[str], bool] | None = None,
    compact: bool = False,
) -> Table:
    """A rich table of `frame`, numbers right-aligned; `compact` cuts long text to one line."""
    table = Table(title=title, show_lines=False)
    for column in frame.columns:
        is_number = pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_bool_dtype(
            frame[column]
        )
        right = is_number or (numeric is not None and numeric(str(column)))
        justify: Literal["left", "right"] = "right" if right else "left"
        if compact and not right:
            table.add_column(
                str(column),
                justify=justify,
                overflow="ellipsis",
                no_wrap=True,
                max_width=TERMINAL_TEXT_WIDTH,
            )
        elif compact:
            table.add_column(str(column), justify=justify, no_wrap=True)
        else:
            table.add_column(str(column), justify=justify, overflow="fold")
    for row in frame.itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    return table


def fit_columns(frame: pd.DataFrame, width: int) -> list[str]:
    """The leading columns whose one-line widths fit a terminal of `width` characters."""
    shown: list[str] = []
    used = 1  # the table's left border
    for column in frame.columns:
        cells = [len(_cell(v)) for v in frame[column]]
        need = min(max([len(str(column)), *cells]), TERMINAL_TEXT_WIDTH) + 3  # padding, border
        if shown and used + need > width:
            break
        shown.append(str(column))
        used += need
    return shown


@data_app.command("validate")
def validate(data: DataOption = None) -> None:
    """Check every reference table (and --data overrides); print a summary."""
    with user_errors():
        ref = load_reference(data)
    console = _console()
    console.print(render(reference_summary(ref), "Reference tables"))
    console.print(render(world_reconciliation(ref), "World totals vs. country rows"))
    india = region_figures(ref, "IND")
    if not india.empty:
        console.print(render(india, "India (IND): USGS mine production and reserves"))
    rows = sum(len(frame) for frame in ref.values())
    console.print(f"OK: {len(ref)} tables, {rows} rows valid.")


def _region_columns(table: str) -> list[str]:
    spec = SPECS_BY_NAME[table]
    columns = [c.name for c in spec.all_columns() if c.references == "regions.code"]
    return ["code", *columns] if table == "regions" else columns


def filter_table(
    ref: Reference, table: str, vintage: str | None = None, region: str | None = None
) -> pd.DataFrame:
    """Rows of `table` of one vintage (edition or vintage column) and/or one region."""
    if table not in TABLE_NAMES:
        raise DataUsageError(f"unknown table '{table}' (expected one of: {', '.join(TABLE_NAMES)})")
    frame = ref[table]
    if vintage is not None:
        columns = [c for c in ("edition", "vintage") if c in frame.columns]
        known = sorted({str(v) for c in columns for v in frame[c] if v})
        if vintage not in known:
            raise DataUsageError(
                f"unknown vintage '{vintage}' for table '{table}' "
                f"(expected one of: {', '.join(known) or 'none'})"
            )
        mask = pd.Series(False, index=frame.index)
        for column in columns:
            mask |= frame[column] == vintage
        frame = frame[mask]
    if region is not None:
        codes = set(ref["regions"]["code"])
        if region not in codes:
            raise DataUsageError(
                f"unknown region '{region}' (expected a code of regions.csv: "
                f"{', '.join(sorted(codes))})"
            )
        columns = _region_columns(table)
        if not columns:
            raise DataUsageError(
                f"table '{table}' has no region column (expected a table with one)"
            )
        mask = pd.Series(False, index=frame.index)
        for column in columns:
            mask |= frame[column] == region
        frame = frame[mask]
    return frame


@data_app.command("show")
def show(
    table: Annotated[str, typer.Argument(help=f"One of: {', '.join(TABLE_NAMES)}")],
    vintage: Annotated[
        str | None, typer.Option("--vintage", help="Keep rows of this edition/vintage.")
    ] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="Keep rows involving this region code.")
    ] = None,
    columns: Annotated[
        str | None,
        typer.Option("--columns", help="Comma-separated columns to show, in that order."),
    ] = None,
    where: Annotated[
        list[str] | None,
        typer.Option(
            "--where",
            help="Keep rows where COLUMN OP VALUE holds (OP: = != > >= < <=, ~ contains); "
            "repeat to combine, e.g. --where country=AUS --where 'capacity_tpa>=1000'.",
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help=f"Output: {', '.join(FORMATS)}.")] = "table",
    data: DataOption = None,
) -> None:
    """Print one reference table (or chosen columns and rows) as a table, CSV or JSON."""
    with user_errors():
        if table not in TABLE_NAMES:
            raise DataUsageError(
                f"unknown table '{table}' (expected one of: {', '.join(TABLE_NAMES)})"
            )
        output = check_format(fmt)
        ref = load_reference(data)
        frame = filter_table(ref, table, vintage, region)
        # rows first, so that a condition may use a column that is not shown
        frame = select_columns(filter_rows(frame, where or [], table), columns, table)
    if output != "table":
        sys.stdout.write(to_text(frame, output))
        return
    title = f"{table} ({len(frame)} rows) — {ref.where(table)}"
    console = _console()
    if not sys.stdout.isatty():
        console.print(render(frame, title))
        return
    shown = fit_columns(frame, console.width)
    console.print(render(frame[shown], title, compact=True))
    hidden = [str(c) for c in frame.columns if c not in shown]
    if hidden:
        console.print(
            f"{len(hidden)} more columns not shown ({', '.join(hidden)}): "
            "choose with --columns, or --format csv for everything"
        )


@data_app.command("sources")
def sources(
    source_id: Annotated[
        str | None, typer.Option("--id", help="List the rows citing this source.")
    ] = None,
    data: DataOption = None,
) -> None:
    """List every cited source, its URL, and the number of rows and tables that use it."""
    with user_errors():
        ref = load_reference(data)
        usage = source_usage(ref)
        known = list(ref["sources"]["source_id"])
        if source_id is not None and source_id not in known:
            raise DataUsageError(
                f"unknown source '{source_id}' (expected an id of sources.csv, "
                "see `rareflow data sources`)"
            )
    console = _console()
    if source_id is not None:
        rows = usage[usage["source_id"] == source_id][["table", "line", "key"]]
        console.print(render(rows, f"Rows citing {source_id} ({len(rows)})"))
        return
    counts = usage.groupby("source_id").agg(
        rows=("line", "size"), tables=("table", lambda t: ", ".join(sorted(set(t))))
    )
    listing = ref["sources"][["source_id", "tag", "publisher", "year", "title"]].copy()
    listing["rows"] = listing["source_id"].map(counts["rows"]).fillna(0).astype(int)
    listing["tables"] = listing["source_id"].map(counts["tables"]).fillna("")
    # where to read it: a reader checks a figure at its source
    listing["url"] = ref["sources"]["url"].fillna("")
    console.print(render(listing, f"Sources ({len(listing)})"))
    unused = listing[listing["rows"] == 0]
    if not unused.empty:
        console.print(f"Not cited by any row: {', '.join(unused['source_id'])}")
