"""Policy levers that scenario events pull, as small tables of general mechanisms.

Selectors (origin, destination, material, facility, region, stage, agreement) accept '*' for
"any", a list separated by ';' or ',' ("oxide:Dy;oxide:Tb") and wildcards ("magnet:*").
Dates (start, end) are ISO dates; an empty start means "from the beginning", an empty end
"for ever". A lever applies to a period when the period's midpoint lies in [start, end).
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rareflow.errors import UserError
from rareflow.tables import Column, Table, frame_hash, table

NAN = float("nan")
ROUTE = ("origin", "destination", "material")


def _date(name: str, required: bool = False) -> Column:
    return Column(name, "date", required=required)


def _number(
    name: str, default: float | None = None, unit: str = "", maximum: float | None = None
) -> Column:
    """A number >= 0 (and <= `maximum`): required without a default, else optional and
    filled by it."""
    required = default is None
    return Column(
        name,
        "float",
        required=required,
        default=default,
        unit=unit,
        nonnegative=True,
        maximum=maximum,
    )


def _share(name: str, default: float | None = None, unit: str = "fraction") -> Column:
    """A share in [0, 1] (an ad valorem rate is not one: a 145% tariff exists)."""
    return _number(name, default, unit, maximum=1.0)


WHEN = (_date("announced"), _date("start"), _date("end"))

# Every lever table: required columns first, then the optional ones with their default. Every
# table's optional `announced` is the date the row became known (its event's announcement
# date; empty: known from the start). Rolling solves see a row only from then
# (Levers.known_before). Numbers are >= 0; shares (max_share, approval_share, share) <= 1.
LEVER_TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        # cap on selected arcs: max_flow t/yr, or max_share of the normal (reference) flow;
        # 0 = ban
        table(
            "arc_bounds",
            *ROUTE,
            *WHEN,
            _number("max_flow", NAN, "t/yr"),
            _share("max_share", NAN, "fraction of normal flow"),
        ),
        # total t over a group of arcs over a period range
        table(
            "quotas",
            *ROUTE,
            _number("total", unit="t"),
            _date("announced"),
            Column("quota", required=False),
            _date("start"),
            _date("end"),
        ),
        # export tax / import tariff added to arc cost: USD/t plus ad valorem share of ref_price
        # USD/t (ref_price empty: the median reference demand price of the arc's material)
        table(
            "taxes",
            *ROUTE,
            *WHEN,
            _number("usd_per_t", 0.0, "USD/t"),
            _number("ad_valorem", 0.0, "fraction of ref_price"),
            _number("ref_price", NAN, "USD/t"),
        ),
        # licence regime: approval_share of normal flow approved, arriving delay_days later;
        # normal_flow t/yr (empty: taken from a reference solve without licences)
        table(
            "licences",
            *ROUTE,
            _share("approval_share"),
            *WHEN,
            _number("delay_days", 0.0, "days"),
            _number("normal_flow", NAN, "t/yr"),
        ),
        # suspension of Network.agreements: from start + notice_days the contracted min and
        # max shrink by `share` (1 = fully suspended)
        table(
            "agreement_suspensions",
            "agreement",
            _date("start", required=True),
            _date("announced"),
            _number("notice_days", 0.0, "days"),
            _share("share", 1.0),
        ),
        # capacity path override t/yr for facilities (or supply steps) matching `facility`
        table("capacity", "facility", _number("capacity", unit="t/yr"), *WHEN),
        # outage: capacity x factor for facilities / supply steps matching all of facility,
        # region, stage (supply steps count as stage 'mining' when they produce concentrate,
        # else 'supply')
        table(
            "outages",
            _number("factor", unit="fraction of capacity"),
            _date("announced"),
            Column("facility", required=False, default="*"),
            Column("region", required=False, default="*"),
            Column("stage", required=False, default="*"),
            _date("start"),
            _date("end"),
        ),
    )
}


class LeverError(UserError, ValueError):
    """A lever table with a missing column or a bad value."""


def _empty(name: str) -> pd.DataFrame:
    return LEVER_TABLES[name].empty()


@functools.cache
def _checked_empty_kept(name: str) -> pd.DataFrame:
    return _parse(name, _empty(name))


def _checked_empty(name: str) -> pd.DataFrame:
    """An empty lever table as checking makes it (its columns parsed to their types); made
    once, handed out as a copy."""
    return _checked_empty_kept(name).copy()


def _numbers(name: str, values: pd.Series, col: Column) -> pd.Series:
    """`values` as floats within what `col` declares; else one LeverError naming the table,
    row and column."""
    numbers = pd.to_numeric(values, errors="coerce")
    problems: list[tuple[pd.Series, Callable[[int], str]]] = [
        (numbers.isna() & values.notna(), lambda r: f"expected a number, got {values.iloc[r]!r}")
    ]
    if col.nonnegative:
        problems.append((numbers < 0, lambda r: f"expected a value >= 0, got {numbers.iloc[r]}"))
    if (top := col.maximum) is not None:
        problems.append(
            (numbers > top, lambda r: f"expected a share in [0, {top:g}], got {numbers.iloc[r]}")
        )
    for bad, expected in problems:
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise LeverError(
                f"lever table '{name}', row {row}, column '{col.name}': {expected(row)}"
            )
    return numbers.astype(float)


def _normalise(name: str, table: pd.DataFrame) -> pd.DataFrame:
    """Check columns and values; fill optional columns; parse dates and numbers."""
    spec = LEVER_TABLES[name]
    missing = [c for c in spec.required if c not in table.columns]
    if missing:
        raise LeverError(f"lever table '{name}' lacks required columns {missing}")
    if table.empty and list(table.columns) == list(spec.names):
        return _checked_empty(name)  # what _parse makes of it, made once
    return _parse(name, table)


def _parse(name: str, table: pd.DataFrame) -> pd.DataFrame:
    """`table` (with the required columns) with its optional columns filled and its dates and
    numbers parsed; one LeverError naming the row and column of a bad value."""
    spec = LEVER_TABLES[name]
    out = table.copy().reset_index(drop=True)
    for col, default in spec.defaults.items():
        if col not in out.columns:
            out[col] = default
        elif default is not None:
            out[col] = out[col].where(out[col].notna(), default)
    for col in (c for c in spec.of_type("date") if c in out.columns):
        try:
            out[col] = pd.to_datetime(out[col])
        except (ValueError, TypeError) as err:
            raise LeverError(
                f"lever table '{name}', column '{col}': expected ISO dates ({err})"
            ) from err
    for col in (c for c in spec.of_type("float") if c in out.columns):
        out[col] = _numbers(name, out[col], spec.column(col))
    if name == "arc_bounds":
        neither = out["max_flow"].isna() & out["max_share"].isna()
        if neither.any():
            row = int(np.flatnonzero(neither.to_numpy())[0])
            raise LeverError(
                f"lever table 'arc_bounds', row {row}: give max_flow (t/yr) or max_share"
            )
    return out


@dataclass
class Levers:
    """All levers of a solve; each table may be empty (see LEVER_TABLES for the columns)."""

    arc_bounds: pd.DataFrame = field(default_factory=lambda: _empty("arc_bounds"))
    quotas: pd.DataFrame = field(default_factory=lambda: _empty("quotas"))
    taxes: pd.DataFrame = field(default_factory=lambda: _empty("taxes"))
    licences: pd.DataFrame = field(default_factory=lambda: _empty("licences"))
    agreement_suspensions: pd.DataFrame = field(
        default_factory=lambda: _empty("agreement_suspensions")
    )
    capacity: pd.DataFrame = field(default_factory=lambda: _empty("capacity"))
    outages: pd.DataFrame = field(default_factory=lambda: _empty("outages"))

    def __post_init__(self) -> None:
        for name in LEVER_TABLES:
            setattr(self, name, _normalise(name, getattr(self, name)))

    @classmethod
    def _of_checked(cls, tables: dict[str, pd.DataFrame]) -> Levers:
        """Levers of tables taken from checked levers (their rows, or a value made
        unlimited): nothing to check or parse again (a rolling solve makes one per
        information state)."""
        levers = cls.__new__(cls)
        for name in LEVER_TABLES:
            setattr(levers, name, tables[name])
        return levers

    def table(self, name: str) -> pd.DataFrame:
        return getattr(self, name)

    def without(self, *names: str) -> Levers:
        """A copy with the named tables emptied (the others are checked already)."""
        return Levers._of_checked(
            {n: (_checked_empty(n) if n in names else self.table(n).copy()) for n in LEVER_TABLES}
        )

    def needs_normal_flow(self) -> bool:
        """True when some lever refers to a normal flow it does not give explicitly."""
        share_bounds = self.arc_bounds["max_share"].notna().any()
        implicit_licence = self.licences["normal_flow"].isna().any()
        return bool(share_bounds or implicit_licence)

    def reference(self) -> Levers:
        """The levers of the reference solve that defines 'normal flow'.

        Licences and share-of-normal bounds are dropped (they are defined by that solve).
        """
        bounds = self.arc_bounds[self.arc_bounds["max_share"].isna()].copy()
        ref = self.without("licences")
        ref.arc_bounds = bounds.reset_index(drop=True)
        return ref

    def announcements(self) -> list[pd.Timestamp]:
        """The distinct announcement dates of the rows, in order."""
        dates: set[pd.Timestamp] = set()
        for name in LEVER_TABLES:
            dates |= set(self.table(name)["announced"].dropna())
        return sorted(dates)

    def known_before(self, end: pd.Timestamp) -> Levers:
        """The levers known to a decision maker in a period ending (exclusive) at `end`: rows
        announced before then (or with no date). A quota not yet announced stays as a row
        with no limit, so the quota dimension (and what earlier periods used of it) is the
        same in every information state."""
        kwargs = {}
        for name in LEVER_TABLES:
            table = self.table(name)
            known = table["announced"].isna() | (table["announced"] < end)
            if name == "quotas":
                table = table.copy()
                table.loc[~known, "total"] = np.inf
                kwargs[name] = table
            else:
                kwargs[name] = table[known].reset_index(drop=True)
        return Levers._of_checked(kwargs)

    def hashes(self) -> dict[str, str]:
        return {name: frame_hash(self.table(name)) for name in LEVER_TABLES}


def _selector_text(pattern: object) -> str:
    """A selector cell as text ('*' for a missing one)."""
    if pattern is None or (isinstance(pattern, float) and np.isnan(pattern)):
        return "*"
    return str(pattern)


@functools.lru_cache(maxsize=4096)
def _compiled(text: str) -> re.Pattern[str]:
    """A selector's regular expression, compiled once per process."""
    parts = [p.strip() for p in re.split(r"[;,]", text) if p.strip()]
    if not parts:
        parts = ["*"]
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in parts))


def select(values: pd.Series, pattern: object) -> np.ndarray:
    """Boolean mask of `values` matched by a selector ('*', lists with ';', wildcards)."""
    return select_matrix(values, pd.Series([pattern], dtype=object))[0]


def select_matrix(values: pd.Series, patterns: pd.Series) -> np.ndarray:
    """Boolean matrix [patterns, values]: each lever row's selector matched against the
    distinct values only (a few regions or materials behind hundreds of arcs), then spread."""
    if len(patterns) == 0:
        return np.zeros((0, len(values)), dtype=bool)
    codes, uniques = pd.factorize(values.astype(str).to_numpy(), use_na_sentinel=False)
    distinct = tuple(str(u) for u in uniques)
    return np.vstack([_matched(_selector_text(p), distinct) for p in patterns])[:, codes]


@functools.lru_cache(maxsize=4096)
def _matched(pattern: str, distinct: tuple[str, ...]) -> np.ndarray:
    """Which of `distinct` the selector `pattern` matches: the same few regions and
    materials are matched by the same selectors in every information state and sample."""
    rx = _compiled(pattern)
    found = np.fromiter((rx.match(u) is not None for u in distinct), bool, len(distinct))
    found.flags.writeable = False  # kept: shared by every caller
    return found
