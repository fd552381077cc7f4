"""Policy levers that scenario events pull, as small tables of general mechanisms.

Selectors (origin, destination, material, facility, region, stage, agreement) accept '*' for
"any", a list separated by ';' or ',' ("oxide:Dy;oxide:Tb") and wildcards ("magnet:*").
Dates (start, end) are ISO dates; an empty start means "from the beginning", an empty end
"for ever". A lever applies to a period when the period's midpoint lies in [start, end).
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rareflow.errors import UserError

# name -> (required columns, optional columns with their default)
# Every table's optional `announced` is the date the row became known (its event's announcement
# date; empty: known from the start). Rolling solves see a row only from then (Levers.known_before).
LEVER_COLUMNS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    # cap on selected arcs: max_flow t/yr, or max_share of the normal (reference) flow; 0 = ban
    "arc_bounds": (
        ("origin", "destination", "material"),
        {"announced": None, "start": None, "end": None, "max_flow": np.nan, "max_share": np.nan},
    ),
    # total t over a group of arcs over a period range
    "quotas": (
        ("origin", "destination", "material", "total"),
        {"announced": None, "quota": None, "start": None, "end": None},
    ),
    # export tax / import tariff added to arc cost: USD/t plus ad valorem share of ref_price USD/t
    # (ref_price empty: the median reference demand price of the arc's material)
    "taxes": (
        ("origin", "destination", "material"),
        {
            "announced": None,
            "start": None,
            "end": None,
            "usd_per_t": 0.0,
            "ad_valorem": 0.0,
            "ref_price": np.nan,
        },
    ),
    # licence regime: approval_share of normal flow approved, arriving delay_days later;
    # normal_flow t/yr (empty: taken from a reference solve without licences)
    "licences": (
        ("origin", "destination", "material", "approval_share"),
        {"announced": None, "start": None, "end": None, "delay_days": 0.0, "normal_flow": np.nan},
    ),
    # suspension of Network.agreements: from start + notice_days the contracted min and max
    # shrink by `share` (1 = fully suspended)
    "agreement_suspensions": (
        ("agreement", "start"),
        {"announced": None, "notice_days": 0.0, "share": 1.0},
    ),
    # capacity path override t/yr for facilities (or supply steps) matching `facility`
    "capacity": (
        ("facility", "capacity"),
        {"announced": None, "start": None, "end": None},
    ),
    # outage: capacity x factor for facilities / supply steps matching all of facility, region,
    # stage (supply steps count as stage 'mining' when they produce concentrate, else 'supply')
    "outages": (
        ("factor",),
        {
            "announced": None,
            "facility": "*",
            "region": "*",
            "stage": "*",
            "start": None,
            "end": None,
        },
    ),
}

DATE_COLUMNS = ("start", "end", "announced")
NUMBER_COLUMNS = (
    "max_flow",
    "max_share",
    "total",
    "usd_per_t",
    "ad_valorem",
    "ref_price",
    "approval_share",
    "delay_days",
    "normal_flow",
    "notice_days",
    "share",
    "capacity",
    "factor",
)


class LeverError(UserError, ValueError):
    """A lever table with a missing column or a bad value."""


def _empty(name: str) -> pd.DataFrame:
    required, optional = LEVER_COLUMNS[name]
    return pd.DataFrame({c: pd.Series(dtype=object) for c in (*required, *optional)})


def _normalise(name: str, table: pd.DataFrame) -> pd.DataFrame:
    """Check columns and values; fill optional columns; parse dates and numbers."""
    required, optional = LEVER_COLUMNS[name]
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise LeverError(f"lever table '{name}' lacks required columns {missing}")
    out = table.copy().reset_index(drop=True)
    for col, default in optional.items():
        if col not in out.columns:
            out[col] = default
        elif default is not None:
            out[col] = out[col].where(out[col].notna(), default)
    for col in out.columns:
        if col in DATE_COLUMNS:
            try:
                out[col] = pd.to_datetime(out[col])
            except (ValueError, TypeError) as err:
                raise LeverError(
                    f"lever table '{name}', column '{col}': expected ISO dates ({err})"
                ) from err
        elif col in NUMBER_COLUMNS:
            values = pd.to_numeric(out[col], errors="coerce")
            bad = values.isna() & out[col].notna()
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise LeverError(
                    f"lever table '{name}', row {row}, column '{col}': expected a number, "
                    f"got {out[col].iloc[row]!r}"
                )
            out[col] = values.astype(float)
            negative = out[col] < 0
            if negative.any():
                row = int(np.flatnonzero(negative.to_numpy())[0])
                raise LeverError(
                    f"lever table '{name}', row {row}, column '{col}': expected a value >= 0, "
                    f"got {out[col].iloc[row]}"
                )
    # ad valorem rates may exceed 1 (a 145% tariff); these are shares of something
    for col in ("max_share", "approval_share", "share"):
        if col in out.columns and (out[col] > 1).any():
            row = int(np.flatnonzero((out[col] > 1).to_numpy())[0])
            raise LeverError(
                f"lever table '{name}', row {row}, column '{col}': expected a share in [0, 1], "
                f"got {out[col].iloc[row]}"
            )
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
    """All levers of a solve; each table may be empty (see LEVER_COLUMNS for the columns)."""

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
        for name in LEVER_COLUMNS:
            setattr(self, name, _normalise(name, getattr(self, name)))

    def table(self, name: str) -> pd.DataFrame:
        return getattr(self, name)

    def without(self, *names: str) -> Levers:
        """A copy with the named tables emptied."""
        kwargs = {n: (_empty(n) if n in names else self.table(n).copy()) for n in LEVER_COLUMNS}
        return Levers(**kwargs)

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
        for name in LEVER_COLUMNS:
            dates |= set(self.table(name)["announced"].dropna())
        return sorted(dates)

    def known_before(self, end: pd.Timestamp) -> Levers:
        """The levers known to a decision maker in a period ending (exclusive) at `end`: rows
        announced before then (or with no date). A quota not yet announced stays as a row
        with no limit, so the quota dimension (and what earlier periods used of it) is the
        same in every information state."""
        kwargs = {}
        for name in LEVER_COLUMNS:
            table = self.table(name)
            known = table["announced"].isna() | (table["announced"] < end)
            if name == "quotas":
                table = table.copy()
                table.loc[~known, "total"] = np.inf
                kwargs[name] = table
            else:
                kwargs[name] = table[known].reset_index(drop=True)
        return Levers(**kwargs)

    def hashes(self) -> dict[str, str]:
        return {name: frame_hash(self.table(name)) for name in LEVER_COLUMNS}


def frame_hash(frame: pd.DataFrame) -> str:
    """A stable sha256 of a table's columns and values (row order matters)."""
    digest = hashlib.sha256()
    digest.update(",".join(map(str, frame.columns)).encode())
    digest.update(frame.to_csv(index=False, date_format="%Y-%m-%d").encode())
    return digest.hexdigest()


def _pattern_regex(pattern: object) -> re.Pattern[str]:
    text = (
        "*"
        if pattern is None or (isinstance(pattern, float) and np.isnan(pattern))
        else str(pattern)
    )
    return _compiled(text)


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
    distinct = [str(u) for u in uniques]
    rows = []
    for p in patterns:
        rx = _pattern_regex(p)
        rows.append(np.fromiter((rx.match(u) is not None for u in distinct), bool, len(distinct)))
    return np.vstack(rows)[:, codes]
