"""Choosing what of a reference table to show: columns, row conditions, output format.

`rareflow data show` reads these; they are plain functions of a DataFrame so that other readers
(the service, a notebook) pick rows the same way. Conditions are a small fixed grammar, never
evaluated as code: a table's text comes from users' files.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from rareflow.errors import UserError

OutputFormat = Literal["table", "csv", "json"]
FORMATS: tuple[OutputFormat, ...] = ("table", "csv", "json")

# longest operators first so that '>=' is not read as '>' followed by '=...'
_OPERATORS = ("==", "!=", ">=", "<=", "~", "=", ">", "<")
_CONDITION = re.compile(
    r"^\s*(?P<column>[A-Za-z_][A-Za-z0-9_]*)\s*(?P<op>==|!=|>=|<=|~|=|>|<)\s*(?P<value>.*?)\s*$"
)


class TableQueryError(UserError):
    """A --columns / --where / --format the table cannot answer (a user's mistake)."""


@dataclass(frozen=True)
class Condition:
    """`column op value`: = and != compare text, < <= > >= numbers, ~ is 'contains' (any case)."""

    column: str
    op: str
    value: str


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'? " if close else ""


def _check_column(name: str, frame: pd.DataFrame, table: str, option: str) -> None:
    known = [str(c) for c in frame.columns]
    if name not in known:
        raise TableQueryError(
            f"{option}: table '{table}' has no column '{name}'; {_suggest(name, known)}"
            f"expected one of: {', '.join(known)}"
        )


def select_columns(frame: pd.DataFrame, columns: str | None, table: str) -> pd.DataFrame:
    """The named columns (comma-separated, in the order given), or all of them."""
    if columns is None:
        return frame
    names = [c.strip() for c in columns.split(",") if c.strip()]
    if not names:
        raise TableQueryError("--columns: expected column names separated by commas")
    for name in names:
        _check_column(name, frame, table, "--columns")
    return frame[names]


def parse_condition(text: str) -> Condition:
    """`country=AUS`, `capacity_tpa>=1000`, `note~estimate`; quotes around the value are dropped."""
    match = _CONDITION.match(text)
    if match is None:
        raise TableQueryError(
            f"--where '{text}': expected COLUMN OP VALUE with OP one of "
            f"{' '.join(_OPERATORS)} (e.g. 'country=AUS', 'capacity_tpa>=1000')"
        )
    value = match["value"]
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    op = "==" if match["op"] == "=" else match["op"]
    return Condition(match["column"], op, value)


def _mask(frame: pd.DataFrame, cond: Condition, table: str) -> pd.Series:
    _check_column(cond.column, frame, table, "--where")
    column = frame[cond.column]
    if cond.op in (">", ">=", "<", "<="):
        try:
            bound = float(cond.value)
        except ValueError:
            raise TableQueryError(
                f"--where '{cond.column}{cond.op}{cond.value}': expected a number after {cond.op}"
            ) from None
        numbers = pd.to_numeric(column, errors="coerce")
        compare = {">": numbers.gt, ">=": numbers.ge, "<": numbers.lt, "<=": numbers.le}
        return compare[cond.op](bound).fillna(False).astype(bool)
    text = column.map(_as_text)
    if cond.op == "~":
        return text.str.contains(cond.value, case=False, regex=False)
    equal = text == cond.value
    return equal if cond.op == "==" else ~equal


def _as_text(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return str(value)


def filter_rows(frame: pd.DataFrame, conditions: list[str], table: str) -> pd.DataFrame:
    """Rows meeting every condition (conditions are ANDed)."""
    for text in conditions:
        cond = parse_condition(text)
        frame = frame[_mask(frame, cond, table)]
    return frame


def check_format(fmt: str) -> OutputFormat:
    for known in FORMATS:
        if fmt == known:
            return known
    raise TableQueryError(f"--format '{fmt}': expected one of {', '.join(FORMATS)}")


def to_text(frame: pd.DataFrame, fmt: OutputFormat) -> str:
    """CSV (as the reference files write it) or JSON (a list of records) of `frame`."""
    if fmt == "csv":
        return str(frame.to_csv(index=False))
    records = [
        {str(k): _json_value(v) for k, v in row.items()} for row in frame.to_dict(orient="records")
    ]
    return json.dumps(records, indent=1, ensure_ascii=False) + "\n"


def _json_value(value: object) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value
