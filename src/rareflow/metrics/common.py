"""Shared helpers of the risk metrics: material naming, table access, period lengths.

Materials follow the fixed identifiers of the reference data (`oxide:Nd`, `concentrate:monazite`,
`magnet:NdFeB-HRE`, ...): the part before ':' is the form, from which the stage follows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from rareflow.errors import UserError

# what a single-point-of-failure ranking can take out (metrics.spof; the CLI's --kinds)
SPOF_KINDS = ("facility", "country_stage", "route")

# Stage of the value chain a material belongs to (the stage that makes it). Metals and the
# NdPr alloy are reported together as the "metal" stage, as the concentration measures ask.
FORM_STAGE: dict[str, str] = {
    "concentrate": "mining",
    "mixed": "cracking",
    "oxide": "separation",
    "metal": "metal",
    "alloy": "metal",
    "magnet": "magnet",
    "scrap": "recycling",
    "bulk": "bulk",
}

# Stages of non-rare-earth inputs, left out of the summaries (kept in the full tables).
NON_RE_STAGES: tuple[str, ...] = ("bulk",)

# Process stages of schema.STAGES folded onto the same four-plus stages.
PROCESS_STAGE: dict[str, str] = {
    "mining": "mining",
    "cracking": "cracking",
    "separation": "separation",
    "reduction": "metal",
    "alloying": "metal",
    "magnet": "magnet",
    "recycling": "recycling",
    "bulk": "bulk",
}

# The EU's 2023 grouping of rare earths (Study on the Critical Raw Materials for the EU 2023):
# light = Ce La Nd Pr Sm; heavy = Dy Er Eu Gd Ho Lu Tb Tm Yb Y.
EU_GROUPS: dict[str, tuple[str, ...]] = {
    "LREE": ("Ce", "La", "Nd", "Pr", "Sm"),
    "HREE": ("Dy", "Er", "Eu", "Gd", "Ho", "Lu", "Tb", "Tm", "Yb", "Y"),
}

# EU members among rareflow's regions: DEU, EST, FRA and the rest-of-EU group.
EU_REGIONS: tuple[str, ...] = ("DEU", "EST", "FRA", "EU27")


class MetricsError(UserError, ValueError):
    """Inputs a metric cannot work with (missing column, unknown region, ...)."""


def material_form(material: pd.Series) -> pd.Series:
    return material.astype(str).str.split(":", n=1).str[0]


def material_stage(material: pd.Series) -> pd.Series:
    """Stage of each material, from its form; unknown forms give 'other'."""
    return material_form(material).map(FORM_STAGE).fillna("other")


def material_element(material: pd.Series) -> pd.Series:
    """Element symbol of oxide:/metal: materials, '' for the rest."""
    parts = material.astype(str).str.split(":", n=1)
    form = parts.str[0]
    rest = parts.str[1].fillna("")
    return rest.where(form.isin(["oxide", "metal"]), "")


def table(reference: Any, name: str) -> pd.DataFrame:
    """A reference table from a mapping of tables or an object holding them as attributes."""
    if isinstance(reference, Mapping):
        if name not in reference:
            raise MetricsError(f"reference data has no table '{name}'")
        return reference[name]
    for holder in (reference, getattr(reference, "tables", None)):
        if holder is None:
            continue
        if isinstance(holder, Mapping) and name in holder:
            return holder[name]
        value = getattr(holder, name, None)
        if isinstance(value, pd.DataFrame):
            return value
    raise MetricsError(f"reference data has no table '{name}'")


def has_table(reference: Any, name: str) -> bool:
    try:
        table(reference, name)
    except MetricsError:
        return False
    return True


def result_frame(result: Any, name: str) -> pd.DataFrame:
    """One tidy frame (flows, trade, prices, shortfalls) of an engine Result."""
    value = getattr(result, name, None)
    if callable(value):
        value = value()
    if not isinstance(value, pd.DataFrame):
        raise MetricsError(f"result has no '{name}' table")
    return value


def require_columns(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MetricsError(f"{what} lacks columns {missing}")


def days_in_period(period: Any) -> float:
    """Length in days of a period label: a pandas Period, an ISO month/quarter/year string,
    a calendar year as int, or a Timestamp-like (taken as a month)."""
    if isinstance(period, pd.Period):
        return float((period.end_time - period.start_time).days + 1)
    if isinstance(period, int | float) and not isinstance(period, bool):
        return _year_days(period)
    text = str(period)
    try:
        if "Q" in text.upper():
            p = pd.Period(text.upper(), freq="Q")
        elif len(text) == 4 and text.isdigit():
            return _year_days(int(text))
        elif len(text) == 7:
            p = pd.Period(text, freq="M")
        else:
            p = pd.Period(pd.Timestamp(text), freq="M")
    except (ValueError, TypeError) as exc:
        raise MetricsError(f"period '{period}' is not a month, quarter or year") from exc
    return float((p.end_time - p.start_time).days + 1)


def _year_days(year: float) -> float:
    y = int(year)
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    return 366.0 if leap else 365.0


def sort_periods(periods: pd.Series) -> list[Any]:
    """Distinct periods in time order (Periods, ints and ISO strings all sort naturally)."""
    return sorted(pd.unique(periods).tolist())
