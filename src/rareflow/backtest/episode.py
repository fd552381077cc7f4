"""Episode files: a past episode's base date, policy path and observed series, with sources.

    episode = load_episode("china-2010")      # a shipped name or a path
    episode.observed                          # indicator, material, where, unit, date, value,
                                              # source, note: one row per observed point

Read with the scenario reader (line numbers in every message); every point's source must be an
id of sources.csv; values must be positive numbers; dates YYYY-MM.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from rareflow.scenario.errors import ScenarioError

EPISODE_DIR = Path(__file__).resolve().parent / "episodes"
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_TOP = ("name", "description", "base_date", "base_year", "scenario", "fx_cny_per_usd", "observed")
_SERIES = ("indicator", "material", "where", "unit", "note", "points")
COLUMNS = ("indicator", "material", "where", "unit", "date", "value", "source", "note")


class EpisodeError(ScenarioError):
    """An episode file that cannot be used as written (one line: file:line: field: ...)."""


@dataclass(frozen=True)
class Episode:
    name: str
    description: str
    base_date: pd.Timestamp
    base_year: int
    scenario: str
    observed: pd.DataFrame  # COLUMNS
    path: Path
    # yearly average CNY per USD, to compare prices observed in yuan (year -> rate)
    fx: dict[int, float] = field(default_factory=dict)


def shipped_episodes() -> dict[str, Path]:
    return {p.stem: p for p in sorted(EPISODE_DIR.glob("*.yaml"))}


def _source_ids() -> set[str]:
    """Ids of the shipped sources.csv, read through the strict loader (one table only)."""
    from rareflow.data.loader import packaged_dir, read_table
    from rareflow.data.schema import SPECS_BY_NAME

    frame, _ = read_table(SPECS_BY_NAME["sources"], packaged_dir() / "sources.csv")
    return set(frame["source_id"].astype(str))


def _month(doc: Any, loc: tuple[Any, ...], value: Any) -> pd.Timestamp:
    text = value.strftime("%Y-%m") if hasattr(value, "strftime") else str(value)
    if not _MONTH.match(text):
        raise doc.error(loc, f"expected a month YYYY-MM, got {value!r}")
    return pd.Timestamp(f"{text}-01")


def _sourced_value(doc: Any, where: tuple[Any, ...], point: Any, known: set[str]) -> float:
    """A point's positive value, checked with its source id (one line naming the field)."""
    if not isinstance(point, dict) or "value" not in point or "source" not in point:
        raise doc.error(where, "expected {value: number, source: id of sources.csv}")
    value = point["value"]
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise doc.error((*where, "value"), f"expected a positive number, got {value!r}")
    if point["source"] not in known:
        raise doc.error((*where, "source"), f"'{point['source']}' is not an id of sources.csv")
    return float(value)


def _points(
    doc: Any, loc: tuple[Any, ...], series: dict[str, Any], known: set[str]
) -> list[dict[str, Any]]:
    points = series.get("points")
    if not isinstance(points, dict) or not points:
        raise doc.error((*loc, "points"), "expected a mapping of YYYY-MM: {value, source}")
    rows = []
    for key, point in points.items():
        where = (*loc, "points", key)
        date = _month(doc, where, key)
        value = _sourced_value(doc, where, point, known)
        rows.append(
            {
                "indicator": str(series["indicator"]),
                "material": str(series.get("material", "")),
                "where": str(series.get("where", "")),
                "unit": str(series["unit"]),
                "date": date,
                "value": value,
                "source": str(point["source"]),
                "note": str(point.get("note", "")),
            }
        )
    return rows


def _fx(doc: Any, data: dict[str, Any], known: set[str]) -> dict[int, float]:
    """`fx_cny_per_usd: {YEAR: {value, source}}`: yearly average exchange rates, sourced."""
    table = data.get("fx_cny_per_usd") or {}
    if not isinstance(table, dict):
        raise doc.error(("fx_cny_per_usd",), "expected a mapping of YEAR: {value, source}")
    out: dict[int, float] = {}
    for year, point in table.items():
        where = ("fx_cny_per_usd", year)
        if isinstance(year, bool) or not re.fullmatch(r"\d{4}", str(year)):
            raise doc.error(where, f"expected a year such as 2011, got {year!r}")
        out[int(str(year))] = _sourced_value(doc, where, point, known)
    return out


def load_episode(ref: str | Path) -> Episode:
    """An episode file, or a shipped episode by name; EpisodeError (one line) when wrong."""
    from rareflow.scenario.loader import read_document

    shipped = shipped_episodes()
    path = Path(ref)
    if not path.is_file():
        if str(ref) not in shipped:
            raise EpisodeError(
                f"{ref}: no such episode file, nor a shipped episode (shipped: "
                f"{', '.join(shipped)})"
            )
        path = shipped[str(ref)]
    doc = read_document(path)
    data = doc.data
    if not isinstance(data, dict):
        raise doc.error((), "expected a mapping with name, base_date, scenario and observed")
    for key in data:
        if key not in _TOP:
            raise doc.error((key,), f"unknown field; expected one of: {', '.join(_TOP)}")
    for key in ("name", "base_date", "base_year", "scenario", "observed"):
        if key not in data:
            raise doc.error((key,), "required field is missing")
    if not isinstance(data["observed"], list) or not data["observed"]:
        raise doc.error(("observed",), "expected a list of observed series")
    known = _source_ids()
    rows: list[dict[str, Any]] = []
    for i, series in enumerate(data["observed"]):
        loc = ("observed", i)
        if not isinstance(series, dict):
            raise doc.error(loc, "expected a mapping (indicator, unit, points, ...)")
        for key in series:
            if key not in _SERIES:
                raise doc.error(
                    (*loc, key), f"unknown field; expected one of: {', '.join(_SERIES)}"
                )
        for key in ("indicator", "unit"):
            if key not in series:
                raise doc.error((*loc, key), "required field is missing")
        rows += _points(doc, loc, series, known)
    base_year = data["base_year"]
    if isinstance(base_year, bool) or not isinstance(base_year, int):
        raise doc.error(("base_year",), f"expected a year such as 2009, got {base_year!r}")
    return Episode(
        name=str(data["name"]),
        description=" ".join(str(data.get("description", "")).split()),
        base_date=_month(doc, ("base_date",), data["base_date"]),
        base_year=base_year,
        scenario=str(data["scenario"]),
        observed=pd.DataFrame(rows, columns=list(COLUMNS)),
        path=path,
        fx=_fx(doc, data, known),
    )
