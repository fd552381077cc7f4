"""Shared pieces of the importers: errors, region mapping, DuckDB setup, atomic output."""

from __future__ import annotations

import contextlib
import csv
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from rareflow.data.schema import SPECS_BY_NAME
from rareflow.errors import UserError

# The 23 countries rareflow models one by one (the brief's fixed list), by ISO 3166 alpha-3.
MODEL_COUNTRIES: tuple[str, ...] = (
    "CHN", "IND", "JPN", "USA", "AUS", "MYS", "MMR", "VNM", "BRA", "RUS", "KOR", "THA",
    "NGA", "MDG", "LAO", "DEU", "EST", "FRA", "GBR", "CAN", "GRL", "ZAF", "TZA",
)  # fmt: skip
# EU member states (27 since 2020); those not modelled one by one form the group EU27.
EU_MEMBERS: tuple[str, ...] = (
    "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC",
    "HUN", "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK",
    "SVN", "ESP", "SWE",
)  # fmt: skip
GROUPS: tuple[str, ...] = ("EU27", "ROW")


def region_of(iso3: str) -> str:
    """rareflow region of an ISO alpha-3 code: a modelled country, EU27, or ROW."""
    code = iso3.strip().upper()
    if code in MODEL_COUNTRIES:
        return code
    if code in EU_MEMBERS:
        return "EU27"
    return "ROW"


def region_case_sql(column: str) -> str:
    """SQL CASE expression mapping an upper-case ISO3 column to a rareflow region."""
    countries = ", ".join(f"'{c}'" for c in MODEL_COUNTRIES)
    eu = ", ".join(f"'{c}'" for c in EU_MEMBERS)
    return (
        f"CASE WHEN {column} IN ({countries}) THEN {column} "
        f"WHEN {column} IN ({eu}) THEN 'EU27' ELSE 'ROW' END"
    )


def one_line(text: str, limit: int = 300) -> str:
    """`text` as one printable line: control characters and binary garbage escaped, cut short."""
    printable = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    flat = " ".join(printable.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


class ImportDataError(UserError):
    """A user file that cannot be imported; the message names file, line and column."""

    def __init__(self, file: Path | str, line: int | None, column: str | None, message: str):
        self.file = str(file)
        self.line = line
        self.column = column
        self.detail = message = one_line(message)
        where = self.file
        if line is not None:
            where += f", line {line}"
        if column is not None:
            # a header cell is the user's text: escaped like the message
            where += f", column {one_line(column, 60)}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class SourceInfo:
    """The sources.csv row describing an imported file."""

    source_id: str
    title: str
    publisher: str
    year: int
    url: str
    note: str
    tag: str = "P"

    def row(self) -> dict[str, object]:
        return {
            "source_id": self.source_id,
            "title": self.title,
            "publisher": self.publisher,
            "year": self.year,
            "url": self.url,
            "tag": self.tag,
            "note": self.note,
        }


def source_id_from(path: Path) -> str:
    """A stable source id from a file name: lower case, runs of other characters as '-'."""
    slug = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")
    return slug or "imported-file"


def check_header(path: Path, expected: tuple[str, ...], exact: bool = True) -> list[str]:
    """Read line 1 and check the delimiter and column names; return the header's columns.

    With exact=False the expected columns must all be present (others are allowed).
    """
    try:
        with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as fh:
            first = fh.readline()
    except OSError as exc:
        raise ImportDataError(path, None, None, f"cannot read the file ({exc.strerror})") from exc
    if not first.strip():
        raise ImportDataError(path, 1, None, "the file is empty; expected a header line")
    header = next(csv.reader([first.rstrip("\r\n")]))
    names = [h.strip() for h in header]
    if len(names) == 1 and len(expected) > 1:
        for delim, label in ((";", "';'"), ("\t", "tab"), ("|", "'|'")):
            if delim in first:
                raise ImportDataError(
                    path, 1, None, f"wrong delimiter: found {label}, expected ','"
                )
    missing = [c for c in expected if c not in names]
    if exact and names != list(expected):
        extra = [c for c in names if c not in expected]
        col = (missing or extra or [names[0]])[0]
        raise ImportDataError(
            path,
            1,
            col,
            f"wrong columns: expected {','.join(expected)}, found {','.join(names)}",
        )
    if missing:
        raise ImportDataError(
            path, 1, missing[0], f"missing column {missing[0]!r}; found {','.join(names)}"
        )
    return names


def check_not_truncated(path: Path) -> None:
    """A file whose last line has no newline was cut (a complete CSV ends with one)."""
    size = path.stat().st_size
    if size == 0:
        raise ImportDataError(path, 1, None, "the file is empty; expected a header line")
    with path.open("rb") as fh:
        fh.seek(size - 1)
        last = fh.read(1)
    if last != b"\n":
        raise ImportDataError(
            path,
            _count_lines(path),
            None,
            "the last line has no end-of-line: the file looks truncated (cut mid-line)",
        )


def _count_lines(path: Path) -> int:
    count = 0
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            count += block.count(b"\n")
    return count + 1


_LINE = re.compile(r"CSV Error on Line: (\d+)")
_COLUMN = re.compile(
    r'converting column "([^"]+)"\. Could not convert string "([^"]*)" to \'(\w+)\''
)
_NCOLS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


def duckdb_error(path: Path, exc: duckdb.Error) -> ImportDataError:
    """Turn DuckDB's CSV error (several lines) into one ImportDataError line."""
    text = str(exc)
    line_match = _LINE.search(text)
    line = int(line_match.group(1)) if line_match else None
    col_match = _COLUMN.search(text)
    if col_match:
        column, value, typ = col_match.groups()
        kind = "a number" if typ in {"DOUBLE", "INTEGER", "BIGINT"} else typ.lower()
        return ImportDataError(path, line, column, f"expected {kind}, found {value.strip()!r}")
    ncols = _NCOLS.search(text)
    if ncols:
        want, found = ncols.groups()
        return ImportDataError(
            path,
            line,
            None,
            f"expected {want} fields, found {found} (truncated line or wrong delimiter?)",
        )
    first = text.splitlines()[0] if text else type(exc).__name__
    return ImportDataError(path, line, None, first)


_PANDAS_LINE = re.compile(r"line (\d+)")


def parser_error(path: Path, exc: Exception) -> ImportDataError:
    """pandas' CSV parser error (e.g. 'Expected 4 fields in line 3, saw 5') as one line."""
    text = str(exc)
    match = _PANDAS_LINE.search(text)
    line = int(match.group(1)) if match else None
    reason = text.split(". ", 1)[-1] if text.startswith("Error tokenizing data") else text
    return ImportDataError(path, line, None, f"malformed CSV row: {reason}")


def locate(
    path: Path, columns: list[str], predicate: Callable[[dict[str, str]], str | None]
) -> tuple[int, str] | None:
    """First data line where predicate returns a column name (error path only: a slow scan)."""
    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        for number, row in enumerate(reader, start=2):
            column = predicate(dict(zip(columns, row, strict=False)))
            if column is not None:
                return number, column
    return None


def connect(temp_dir: Path, memory_limit: str = "1GB") -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with bounded memory that spills to temp_dir."""
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"SET memory_limit = '{memory_limit}'").fetchall()
    except duckdb.Error:
        con.close()
        raise ImportDataError(
            "--memory-limit", None, None, f"expected a size such as 1GB, found {memory_limit!r}"
        ) from None
    for setting in (
        f"SET temp_directory = '{temp_dir.as_posix()}'",
        # Insertion order is irrelevant to aggregates and keeping it costs memory on big scans.
        "SET preserve_insertion_order = false",
        "SET enable_progress_bar = false",
    ):
        con.execute(setting).fetchall()
    return con


@contextlib.contextmanager
def progress(con: duckdb.DuckDBPyConnection, label: str, enabled: bool) -> Iterator[None]:
    """A tqdm bar fed by DuckDB's query_progress() while the block's query runs."""
    if not enabled:
        yield
        return
    from tqdm import tqdm

    stop = threading.Event()
    bar = tqdm(total=100, desc=label, unit="%", leave=False)

    def poll() -> None:
        while not stop.wait(0.25):
            with contextlib.suppress(duckdb.Error, RuntimeError):
                done = con.query_progress()
                if done >= 0:
                    bar.n = min(100.0, round(done, 1))
                    bar.refresh()

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        bar.close()


def sql_str(path: Path) -> str:
    """A path as a SQL string literal."""
    return "'" + str(path).replace("'", "''") + "'"


def _format(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == bool or out[col].dtype == object:
            # The data contract writes booleans as true/false.
            out[col] = out[col].map(_cell)
    return out


def _cell(value: object) -> object:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def write_tables(out_dir: Path, tables: dict[str, pd.DataFrame]) -> list[Path]:
    """Write tables as <name>.csv in the reference column order, atomically.

    Files go to a temporary directory next to out_dir, which replaces out_dir only once every
    file is written: a failed import leaves what was imported before untouched.
    """
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        if out_dir.is_dir():
            # Keep what earlier imports wrote there (e.g. USGS tables next to BACI trade).
            for item in out_dir.iterdir():
                if item.is_dir():
                    shutil.copytree(item, tmp / item.name)
                else:
                    shutil.copy2(item, tmp / item.name)
        written = []
        for name, frame in tables.items():
            spec = SPECS_BY_NAME[name]
            order = [c.name for c in spec.all_columns()]
            missing = [c for c in order if c not in frame.columns]
            if missing:
                raise ValueError(f"table {name} lacks columns {missing}")
            target = tmp / spec.filename
            _format(frame[order]).to_csv(target, index=False, lineterminator="\n")
            written.append(out_dir / spec.filename)
        old = None
        if out_dir.exists():
            old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
            out_dir.rename(old)
        try:
            tmp.rename(out_dir)
        except OSError:
            if old is not None:
                old.rename(out_dir)  # put the previous import back
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return written
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextlib.contextmanager
def work_dir(out_dir: Path) -> Iterator[Path]:
    """A scratch directory next to out_dir for DuckDB spill files, removed afterwards."""
    parent = out_dir.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.duckdb-", dir=parent))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
