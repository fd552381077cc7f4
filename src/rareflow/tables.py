"""One way to declare a typed table: its columns, each with a type, a default and a unit.

Reference tables (rareflow.data.schema), network components (rareflow.network), levers
(rareflow.optimize.levers) and result tables (rareflow.results) are all declared as `Table`s of
`Column`s, as PyPSA declares its component attributes: a column says its type, whether it must
be given, the default that fills it when it is not, and its unit. Each user reads what it needs
(the reference loader its checks, levers their defaults and parsing, results their units)
from the same declaration.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

ColumnType = Literal["str", "int", "float", "date", "bool"]


@dataclass(frozen=True)
class Column:
    """One column of a table."""

    name: str
    type: ColumnType = "str"
    required: bool = True  # must be present and (in reference tables) non-empty
    default: Any = None  # fills an optional column where it is absent or empty
    unit: str = ""  # of a numeric column: written into Parquet metadata and Excel headers
    nonnegative: bool = False  # a negative number is refused when True
    maximum: float | None = None  # a larger number is refused (1 for a share)
    choices: tuple[str, ...] = ()  # allowed values when non-empty
    references: str = ""  # "table.column" whose values this column must take
    extra_values: tuple[str, ...] = ()  # values accepted besides the referenced ones
    description: str = ""


@dataclass(frozen=True)
class Table:
    """A named table of columns; the first `key` columns identify a row."""

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def defaults(self) -> dict[str, Any]:
        """The optional columns and the value that fills each."""
        return {c.name: c.default for c in self.columns if not c.required}

    @property
    def units_by_column(self) -> dict[str, str]:
        return {c.name: c.unit for c in self.columns if c.unit}

    def of_type(self, *types: ColumnType) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.type in types)

    def empty(self) -> pd.DataFrame:
        """No rows, every column (object dtype: an empty table takes any values appended)."""
        return pd.DataFrame({c: pd.Series(dtype=object) for c in self.names})


def table(
    name: str, *columns: Column | str, key: tuple[str, ...] = (), description: str = ""
) -> Table:
    """A Table from Columns, where a bare name is a required text column."""
    cols = tuple(Column(c) if isinstance(c, str) else c for c in columns)
    return Table(name=name, description=description, columns=cols, key=key)


def frame_hash(frame: pd.DataFrame) -> str:
    """A stable sha256 of a table's columns and values (row order matters)."""
    digest = hashlib.sha256()
    digest.update(",".join(map(str, frame.columns)).encode())
    # pandas' vectorised row hashes (its fixed key: the same on every run and machine); an
    # empty table adds nothing, so its digest is its columns' (most lever tables are empty)
    if len(frame):
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()
