"""Strict loading of the reference tables declared in `rareflow.data.schema`.

One general mechanism, driven entirely by the `TableSpec`s, reads every CSV and refuses
anything the spec does not allow. Each refusal is a `ReferenceDataError` whose message is one
line naming the file, the line (header = line 1), the column, the bad value and what was
expected, e.g.::

    regions.csv:7: column 'iso_numeric': 'abc' is not an integer (expected a whole number)

Reading rules (documented here because the CLI and the tests rely on them):
- files are UTF-8 (a byte-order mark is tolerated, since spreadsheets write one), comma
  separated, with a header row naming exactly the spec's columns (any order);
- cells are stripped of surrounding spaces; an empty cell is "missing"; blank lines are skipped;
- types: int = whole number, float = finite decimal number, date = ISO YYYY-MM-DD,
  bool = `true` or `false` (lower case, as the data contract says);
- `source` holds one or more ids of sources.csv separated by ';'.

Override semantics (`--data DIR`): a user directory may hold any subset of the tables; each
file present replaces the packaged table (except sources.csv, whose rows are added to the
packaged sources, a user row winning on the same id), the rest come from the packaged set,
and the merged set passes the same checks (cell checks, keys, references and the table-level
invariants).
The user's files are checked first so that their mistakes are reported before anything else.
A `.csv` file whose name is not a table is refused (most likely a misspelt table name that would
otherwise be silently ignored), unless the packaged directory has a file of that name.

Table-level invariants (`INVARIANTS`, run by `load_reference`): every row sourced; assays and
region deposit mixes sum to 1 within SHARE_TOLERANCE; every deposit has an assay; every producing
region has a deposit mix; every process has coefficient +1/-1 on its reference material; world
totals reconcile with the country rows within one rounding step (see `reconciles` for why).

Provenance rule for estimates: a row citing a source whose tag is D (derived) or A (assumption)
is by definition not a figure published as is, so its `estimate_method` must say how it was
made. The converse is not required: a row citing only P/S/T sources may still be an estimate
(for instance a value read off a chart), and then carries an `estimate_method` voluntarily.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path

import pandas as pd

from rareflow.data.schema import SPECS, SPECS_BY_NAME, Column, TableSpec
from rareflow.errors import UserError

ESTIMATE_TAGS = ("D", "A")  # source tags that make a row an estimate
SHARE_TOLERANCE = 0.005  # shares that must sum to 1 may be off by this much (rounded assays)

_INT_RE = re.compile(r"[+-]?\d+")
_FLOAT_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_OTHER_DELIMITERS = (";", "\t", "|")

_DTYPES = {"str": "str", "int": "Int64", "float": "float64", "date": "datetime64[ns]"}


class ReferenceDataError(UserError, ValueError):
    """A reference table that breaks its spec; the message is one line meant for the user."""


def packaged_dir() -> Path:
    """Directory of the reference CSVs shipped inside the package."""
    return Path(str(resources.files("rareflow.data").joinpath("reference")))


def vintage_dir(base_year: int) -> Path:
    """The shipped data vintage of `base_year`: the tables that differ from today's (what was
    known at the end of that year), read as an override directory over the packaged set."""
    path = Path(str(resources.files("rareflow.data").joinpath("vintages"))) / str(base_year)
    if not path.is_dir():
        raise ReferenceDataError(
            f"no data vintage for base year {base_year} (shipped: {', '.join(shipped_vintages())})"
        )
    return path


def shipped_vintages() -> list[str]:
    """Base years with a shipped data vintage (besides today's reference set)."""
    root = Path(str(resources.files("rareflow.data").joinpath("vintages")))
    return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def base_edition(ref: Mapping[str, pd.DataFrame], base_year: int) -> str:
    """The newest USGS edition of the mine production table with figures for `base_year`."""
    production = ref["mine_production"]
    editions = sorted(set(production.loc[production["year"] == base_year, "edition"].astype(str)))
    if not editions:
        raise ReferenceDataError(
            f"mine_production: no figures for the base year {base_year} (expected rows of a "
            "USGS edition covering it)"
        )
    return editions[-1]


@dataclass
class Reference(Mapping[str, pd.DataFrame]):
    """The validated reference tables: one typed DataFrame per table of `schema.SPECS`.

    Behaves as a read-only mapping table name -> DataFrame (what `build_network` takes).
    `lines[name]` gives the file line number of each row (header = line 1) and `paths[name]`
    the file the table was read from, so that later checks can point at the offending line.
    """

    tables: dict[str, pd.DataFrame]
    lines: dict[str, list[int]] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)
    overridden: frozenset[str] = frozenset()  # tables read from the user's --data directory

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)

    def where(self, table: str) -> str:
        """The file path of `table` as used in error messages."""
        return str(self.paths.get(table, SPECS_BY_NAME[table].filename))

    def line(self, table: str, position: int) -> int:
        """File line of the row at `position` (0-based) of `table`; 0 if unknown."""
        lines = self.lines.get(table)
        return lines[position] if lines is not None and position < len(lines) else 0


# --- reading one file -------------------------------------------------------------------------


def _fail(
    path: Path | str, line: int, column: str, value: str, problem: str, expected: str
) -> None:
    raise ReferenceDataError(
        f"{path}:{line}: column '{column}': '{value}' {problem} (expected {expected})"
    )


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ReferenceDataError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ReferenceDataError(
            f"{path}:{line}: byte 0x{raw[exc.start]:02x} is not UTF-8 (expected a UTF-8 text file)"
        ) from None


def _records(path: Path, text: str) -> Iterator[tuple[int, list[str]]]:
    """(first line number, cells) of each non-blank CSV record."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    try:
        for cells in reader:
            if cells and any(c.strip() for c in cells):
                yield start, [c.strip() for c in cells]
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ReferenceDataError(
            f"{path}:{reader.line_num}: malformed CSV ({exc}) (expected comma-separated cells, "
            'quoted with " where they contain commas)'
        ) from None


def _parse_header(path: Path, spec: TableSpec, header: list[str]) -> None:
    expected = [c.name for c in spec.all_columns()]
    listing = ", ".join(expected)
    if len(header) == 1 and len(expected) > 1:
        for delim in _OTHER_DELIMITERS:
            if delim in header[0]:
                raise ReferenceDataError(
                    f"{path}:1: header is separated by {delim!r} "
                    f"(expected comma-separated columns: {listing})"
                )
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise ReferenceDataError(
                f"{path}:1: column '{name}' appears twice (expected each of: {listing})"
            )
        seen.add(name)
        if name not in expected:
            raise ReferenceDataError(
                f"{path}:1: unexpected column '{name}' (expected columns: {listing})"
            )
    # an optional column may be left out (a file written before it existed); a misspelt one
    # is refused above as unexpected
    for col in spec.all_columns():
        if col.required and col.name not in seen:
            raise ReferenceDataError(
                f"{path}:1: missing column '{col.name}' (expected columns: {listing})"
            )


def _convert(path: Path, line: int, col: Column, text: str, spec: TableSpec) -> object:
    """Typed value of one non-empty cell, or a refusal."""
    value: object = text
    if col.type == "int":
        if not _INT_RE.fullmatch(text):
            _fail(path, line, col.name, text, "is not an integer", "a whole number")
        value = int(text)
    elif col.type == "float":
        number = float(text) if _FLOAT_RE.fullmatch(text) else math.nan
        if not math.isfinite(number):
            _fail(path, line, col.name, text, "is not a number", "a decimal number such as 2900.5")
        value = number
    elif col.type == "date":
        try:
            if not _DATE_RE.fullmatch(text):
                raise ValueError(text)
            value = date.fromisoformat(text)
        except ValueError:
            _fail(path, line, col.name, text, "is not a date", "an ISO date YYYY-MM-DD")
    elif col.type == "bool":
        if text not in ("true", "false"):
            _fail(path, line, col.name, text, "is not a boolean", "true or false")
        value = text == "true"
    if col.nonnegative and isinstance(value, int | float) and value < 0:
        _fail(path, line, col.name, text, "is negative", "a number >= 0")
    if col.maximum is not None and isinstance(value, int | float) and value > col.maximum:
        _fail(path, line, col.name, text, "is too large", f"a number <= {col.maximum:g}")
    if col.choices and text not in col.choices:
        allowed = ", ".join(repr(c) for c in col.choices if c) or "''"
        _fail(path, line, col.name, text, "is not allowed", f"one of {allowed}")
    if col.name == "unit" and spec.units and text not in spec.units:
        allowed = ", ".join(repr(u) for u in spec.units)
        _fail(path, line, col.name, text, "is not an allowed unit", f"one of {allowed}")
    if col.name == "source":
        ids = text.split(";")
        if any(not i.strip() for i in ids):
            _fail(path, line, col.name, text, "has an empty source id", "ids separated by ';'")
    return value


def read_table(spec: TableSpec, path: Path) -> tuple[pd.DataFrame, list[int]]:
    """Read one CSV strictly against `spec`; return the typed frame and each row's line."""
    if not path.is_file():
        raise ReferenceDataError(f"{path}: file is missing (expected table '{spec.name}')")
    records = _records(path, _read_text(path))
    first = next(records, None)
    if first is None:
        listing = ", ".join(c.name for c in spec.all_columns())
        raise ReferenceDataError(f"{path}:1: file is empty (expected a header: {listing})")
    header = first[1]
    _parse_header(path, spec, header)
    columns = [spec.column(name) for name in header]
    values: dict[str, list[object]] = {c.name: [] for c in spec.all_columns()}
    lines: list[int] = []
    keys: dict[tuple[object, ...], int] = {}
    key_pos = [header.index(k) for k in spec.key]
    for line, cells in records:
        if len(cells) != len(header):
            raise ReferenceDataError(
                f"{path}:{line}: row has {len(cells)} cells (expected {len(header)}, one per "
                "column; quote cells that contain commas)"
            )
        for col, text in zip(columns, cells, strict=True):
            if not text:
                if col.required:
                    _fail(path, line, col.name, text, "is empty", "a value (column is required)")
                values[col.name].append(None)
            else:
                values[col.name].append(_convert(path, line, col, text, spec))
        key = tuple(cells[i] for i in key_pos)
        if key in keys:
            shown = ", ".join(f"{k}={v!r}" for k, v in zip(spec.key, key, strict=True))
            label = "', '".join(spec.key)
            raise ReferenceDataError(
                f"{path}:{line}: column '{label}': duplicate key ({shown}) "
                f"(expected each key once; first seen on line {keys[key]})"
            )
        keys[key] = line
        lines.append(line)
    for name in values:
        if name not in header:  # an optional column left out: empty in every row
            values[name] = [None] * len(lines)
    return _frame(spec, values), lines


def _frame(spec: TableSpec, values: Mapping[str, list[object]]) -> pd.DataFrame:
    data: dict[str, pd.Series] = {}
    for col in spec.all_columns():
        raw = values[col.name]
        if col.type == "str":
            data[col.name] = pd.Series(["" if v is None else v for v in raw], dtype="str")
        elif col.type == "bool":
            data[col.name] = pd.Series(raw, dtype="boolean")
        elif col.type == "date":
            data[col.name] = pd.Series(
                pd.to_datetime(pd.Series(raw, dtype=object)), dtype=_DTYPES["date"]
            )
        else:
            data[col.name] = pd.Series(raw, dtype=_DTYPES[col.type])
    return pd.DataFrame(data)


# --- the whole set ----------------------------------------------------------------------------


def _table_files(data_dir: Path, base: Path) -> dict[str, Path]:
    """Table files present in a user's override directory.

    A CSV named like no table is refused (most likely a misspelt table name), unless the base
    set holds a file of that name: a copy of the packaged directory must pass as an override.
    """
    if not data_dir.is_dir():
        raise ReferenceDataError(f"{data_dir}: not a directory (expected a directory of CSVs)")
    found: dict[str, Path] = {}
    for path in sorted(data_dir.iterdir()):
        if path.suffix.lower() != ".csv":
            continue
        if path.stem not in SPECS_BY_NAME:
            if (base / path.name).is_file():
                continue
            listing = ", ".join(SPECS_BY_NAME)
            raise ReferenceDataError(
                f"{path}: '{path.name}' is not a reference table (expected one of: {listing})"
            )
        found[path.stem] = path
    return found


def load_reference(
    data_dir: Path | None = None,
    *,
    base_dir: Path | None = None,
    invariants: bool = True,
) -> Reference:
    """Load and check every reference table.

    `data_dir` is the user's override directory (any subset of the tables). `base_dir` is the
    complete set the overrides apply to: the packaged data unless given (tests use a small
    complete set). With `invariants`, the table-level checks of `INVARIANTS` run as well.
    """
    base = Path(base_dir) if base_dir is not None else packaged_dir()
    overrides = _table_files(Path(data_dir), base) if data_dir is not None else {}
    paths = {spec.name: overrides.get(spec.name, base / spec.filename) for spec in SPECS}
    # The user's own files first: their mistakes are the likely ones.
    order = sorted(SPECS, key=lambda s: s.name not in overrides)
    tables: dict[str, pd.DataFrame] = {}
    lines: dict[str, list[int]] = {}
    for spec in order:
        tables[spec.name], lines[spec.name] = read_table(spec, paths[spec.name])
    if "sources" in overrides and (base / "sources.csv").is_file():
        # sources are a registry, not data: a user's sources.csv adds to the base set (its rows
        # win on the same id), so an imported directory keeps working when the shipped
        # sources grow
        mine = tables["sources"]
        shipped, shipped_lines = read_table(SPECS_BY_NAME["sources"], base / "sources.csv")
        keep = ~shipped["source_id"].isin(set(mine["source_id"]))
        tables["sources"] = pd.concat([mine, shipped[keep]], ignore_index=True)
        kept = [n for n, k in zip(shipped_lines, keep, strict=True) if k]
        lines["sources"] = lines["sources"] + kept
    ref = Reference(
        tables={spec.name: tables[spec.name] for spec in SPECS},
        lines=lines,
        paths=paths,
        overridden=frozenset(overrides),
    )
    check_references(ref, order=[s.name for s in order])
    check_estimate_methods(ref)
    if invariants:
        check_invariants(ref)
    return ref


def check_references(ref: Reference, order: list[str] | None = None) -> None:
    """Every `references` column takes values of the referenced table (or its extra_values)."""
    for name in order or list(ref):
        spec = SPECS_BY_NAME[name]
        frame = ref[name]
        for col in spec.all_columns():
            if not col.references:
                continue
            target_table, target_col = col.references.split(".")
            known = set(ref[target_table][target_col].astype(str)) | set(col.extra_values)
            for pos, cell in enumerate(frame[col.name]):
                if not cell:
                    continue
                ids = [i.strip() for i in str(cell).split(";")] if col.name == "source" else [cell]
                for value in ids:
                    if value not in known:
                        _fail(
                            ref.where(name),
                            ref.line(name, pos),
                            col.name,
                            str(value),
                            "is unknown",
                            f"a value of {target_table}.csv column '{target_col}'"
                            + (
                                f" or one of {', '.join(col.extra_values)}"
                                if col.extra_values
                                else ""
                            ),
                        )


def _source_tags(ref: Reference) -> dict[str, str]:
    sources = ref["sources"]
    return dict(zip(sources["source_id"], sources["tag"], strict=True))


def check_estimate_methods(ref: Reference) -> None:
    """A row citing a derived (D) or assumed (A) source must say how it was estimated."""
    tags = _source_tags(ref)
    for spec in SPECS:
        if not spec.provenance:
            continue
        frame = ref[spec.name]
        for pos, (source, method) in enumerate(
            zip(frame["source"], frame["estimate_method"], strict=True)
        ):
            estimated = [
                i.strip() for i in source.split(";") if tags.get(i.strip()) in ESTIMATE_TAGS
            ]
            if estimated and not method:
                _fail(
                    ref.where(spec.name),
                    ref.line(spec.name, pos),
                    "estimate_method",
                    method,
                    f"is empty although source {estimated[0]} is tagged "
                    f"{tags[estimated[0]]} (derived/assumption)",
                    "a short description of how the value was estimated",
                )


# --- table-level invariants -------------------------------------------------------------------


def _share_sums(ref: Reference, table: str, group: str) -> None:
    frame = ref[table]
    for value, rows in frame.groupby(group, sort=False):
        total = float(rows["share"].sum())
        if abs(total - 1.0) > SHARE_TOLERANCE:
            first = int(rows.index[0])
            raise ReferenceDataError(
                f"{ref.where(table)}:{ref.line(table, first)}: column 'share': shares of "
                f"{group} '{value}' sum to {total:.4f} (expected 1 ± {SHARE_TOLERANCE})"
            )


def check_assay_sums(ref: Reference) -> None:
    """Each deposit's element assay sums to 1 within SHARE_TOLERANCE."""
    _share_sums(ref, "deposit_assays", "deposit")


def check_region_deposit_shares(ref: Reference) -> None:
    """Each region's deposit shares of its mine output sum to 1 within SHARE_TOLERANCE."""
    _share_sums(ref, "region_deposits", "region")


def check_deposits_have_assays(ref: Reference) -> None:
    """Every deposit type has an assay (separation needs it)."""
    assayed = set(ref["deposit_assays"]["deposit"])
    for pos, deposit in enumerate(ref["deposits"]["deposit"]):
        if deposit not in assayed:
            _fail(
                ref.where("deposits"),
                ref.line("deposits", pos),
                "deposit",
                deposit,
                "has no assay",
                "rows for it in deposit_assays.csv",
            )


def check_producers_have_deposits(ref: Reference) -> None:
    """Every region with positive mine production says which deposits it mines.

    Without region_deposits rows its production could not be turned into concentrate.
    """
    known = set(ref["region_deposits"]["region"])
    production = ref["mine_production"]
    for pos, row in enumerate(production.to_dict("records")):
        if row["quantity"] > 0 and row["region"] not in known:
            _fail(
                ref.where("mine_production"),
                ref.line("mine_production", pos),
                "region",
                str(row["region"]),
                "produces but has no deposit mix",
                "rows for it in region_deposits.csv",
            )


def check_process_reference_coefficients(ref: Reference) -> None:
    """Each process has a coefficient of +1 or -1 on its reference material.

    Activity is measured in t of the reference material, so that coefficient fixes the scale.
    """
    coef = ref["process_coefficients"]
    lookup = {
        (p, m): c
        for p, m, c in coef[["process", "material", "coefficient"]].itertuples(index=False)
    }
    for pos, row in enumerate(ref["processes"].itertuples(index=False)):
        value = lookup.get((row.process, row.reference_material))
        if value is None or abs(abs(value) - 1.0) > 1e-9:
            shown = "no row" if value is None else f"{value:g}"
            _fail(
                ref.where("processes"),
                ref.line("processes", pos),
                "reference_material",
                str(row.reference_material),
                f"has coefficient {shown} in process_coefficients.csv",
                "a row with coefficient +1 or -1",
            )


def country_sum(ref: Reference, edition: str, measure: str, year: int) -> tuple[float, int]:
    """Sum and count of the country rows behind one world total.

    Production rows are matched on edition and year; reserves have no year (one per edition).
    Every row counts, groups such as ROW ("Other countries") included, as USGS adds them in.
    """
    if measure == "production":
        table = ref["mine_production"]
        rows = table[(table["edition"] == edition) & (table["year"] == year)]
    else:
        table = ref["reserves"]
        rows = table[table["edition"] == edition]
    return float(rows["quantity"].sum()), len(rows)


def reconciles(total: float, qualifier: str, rounding: float, sum_: float) -> bool:
    """Whether a sum of country rows is consistent with a rounded world total.

    Rule: the country sum lies within one rounding step of the total, |sum - total| <= rounding;
    with qualifier '>' (USGS: "more than") the sum must moreover not fall below the total by
    more than half a step. '~' is read as plain rounding.

    Why one step and not half: USGS rounds the world total from its own country data, which
    includes withheld and NA figures and is not always updated with the revised country rows.
    Its published tables therefore do not always round exactly: MCS 2024 lists reserves whose
    country rows add up to 115.4 Mt next to a world total of 110 Mt rounded to 10 Mt. Half a
    step would refuse USGS's own table; one step still catches a missing or mistyped major
    producer. A tiny relative slack absorbs floating point error.
    """
    slack = 1e-9 * max(abs(total), 1.0)
    if qualifier == ">" and sum_ < total - rounding / 2 - slack:
        return False
    return abs(sum_ - total) <= rounding + slack


def check_world_totals(ref: Reference) -> None:
    """World totals reconcile with the country rows within the rounding USGS states."""
    world = ref["world_totals"]
    for pos, row in enumerate(world.to_dict("records")):
        sum_, count = country_sum(ref, row["edition"], row["measure"], int(row["year"]))
        where = f"{ref.where('world_totals')}:{ref.line('world_totals', pos)}"
        what = f"world {row['measure']} {row['edition']} {row['year']}"
        if count == 0:
            raise ReferenceDataError(
                f"{where}: column 'quantity': {what} has no country rows "
                "(expected rows with this edition in the country table)"
            )
        qualifier = row["qualifier"] or ""
        if not reconciles(float(row["quantity"]), qualifier, float(row["rounding"]), sum_):
            raise ReferenceDataError(
                f"{where}: column 'quantity': {what} is {qualifier}{row['quantity']:,.0f} "
                f"but the {count} country rows sum to {sum_:,.0f} (expected the sum within one "
                f"rounding step of {row['rounding']:,.0f} of the total)"
            )


def check_every_row_sourced(ref: Reference) -> None:
    """Every row of every provenance table has a vintage and known source ids."""
    known = set(ref["sources"]["source_id"])
    for spec in SPECS:
        if not spec.provenance:
            continue
        frame = ref[spec.name]
        for pos, (source, vintage) in enumerate(
            zip(frame["source"], frame["vintage"], strict=True)
        ):
            ids = [i.strip() for i in str(source).split(";")]
            bad = [i for i in ids if i not in known]
            if not source or bad:
                _fail(
                    ref.where(spec.name),
                    ref.line(spec.name, pos),
                    "source",
                    str(source),
                    "is not a list of known sources",
                    "ids of sources.csv separated by ';'",
                )
            if not vintage:
                _fail(
                    ref.where(spec.name),
                    ref.line(spec.name, pos),
                    "vintage",
                    "",
                    "is empty",
                    "the edition or year of the source",
                )


def check_contracts(frame: pd.DataFrame, where: str, lines: list[int]) -> None:
    """A contract's ceiling is not below its floor, and only an offtake with a volume has a
    take-or-pay share (a floor covers whatever the seller sells). `lines`: each row's file
    line (read_table)."""
    for pos, row in enumerate(frame.to_dict("records")):
        line = lines[pos] if pos < len(lines) else 0
        ceiling, floor = row.get("ceiling"), row.get("floor")
        if ceiling is not None and not pd.isna(ceiling) and ceiling < floor:
            _fail(where, line, "ceiling", f"{ceiling:g}", "is below the floor", f">= {floor:g}")
        top = row.get("take_or_pay")
        if top is None or pd.isna(top):
            continue
        volume = row.get("volume")
        if row["kind"] != "offtake" or volume is None or pd.isna(volume):
            _fail(
                where,
                line,
                "take_or_pay",
                f"{top:g}",
                "needs an offtake with a volume",
                "kind offtake and a volume in t/yr, or an empty take_or_pay",
            )


def check_contract_terms(ref: Reference) -> None:
    check_contracts(ref["contracts"], ref.where("contracts"), ref.lines.get("contracts", []))


INVARIANTS: dict[str, Callable[[Reference], None]] = {
    "every_row_sourced": check_every_row_sourced,
    "assay_sums": check_assay_sums,
    "region_deposit_shares": check_region_deposit_shares,
    "deposits_have_assays": check_deposits_have_assays,
    "producers_have_deposits": check_producers_have_deposits,
    "process_reference_coefficients": check_process_reference_coefficients,
    "world_totals": check_world_totals,
    "contract_terms": check_contract_terms,
}


def check_invariants(ref: Reference) -> None:
    """Run every table-level invariant; the first failure raises ReferenceDataError."""
    for check in INVARIANTS.values():
        check(ref)


# --- writing and summaries --------------------------------------------------------------------


def format_cell(col: Column, value: object) -> str:
    if value is None or value is pd.NA or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[call-overload]
        return ""
    if col.type == "bool":
        return "true" if value else "false"
    if col.type == "date":
        return pd.Timestamp(value).date().isoformat()  # type: ignore[arg-type]
    if col.type == "float":
        number = float(value)  # type: ignore[arg-type]
        return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)
    return str(value)


def write_table(spec: TableSpec, frame: pd.DataFrame, path: Path) -> None:
    """Write one table in the format `read_table` accepts."""
    columns = spec.all_columns()
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([c.name for c in columns])
        for row in frame[[c.name for c in columns]].itertuples(index=False):
            writer.writerow([format_cell(c, v) for c, v in zip(columns, row, strict=True)])


def write_reference(ref: Mapping[str, pd.DataFrame], directory: Path) -> None:
    """Write every table of `ref` into `directory` (created if needed)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, frame in ref.items():
        write_table(SPECS_BY_NAME[name], frame, directory / SPECS_BY_NAME[name].filename)
