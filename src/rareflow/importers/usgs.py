"""USGS Mineral Commodity Summaries data release: world production and reserves of rare earths.

Two published layouts are read:
- per-commodity files of MCS2022-MCS2024 (e.g. mcs2024-raree_world.csv): columns Source, Country,
  Type, Prod_t_<year>, Prod_t_est_<year>, Prod_notes, Reserves_t, Reserves_notes (thousand-ton
  files use Prod_kt_ / Reserves_kt; MCS2022 capitalises 'Est');
- the all-commodity file of MCS2025 (MCS2025_World_Data.csv): SOURCE, COMMODITY, COUNTRY, TYPE,
  UNIT_MEAS, PROD_<year>, 'PROD_EST_ <year>' (with USGS's stray space), PROD_NOTES, CAP_...,
  RESERVES_<year>, RESERVE_NOTES; only COMMODITY 'Rare earths' rows are used.
The file is small (a few hundred rows), so it is read with the csv module, not DuckDB.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from rareflow.importers.baci import ImportResult
from rareflow.importers.common import EU_MEMBERS, ImportDataError, SourceInfo, source_id_from

# USGS country names -> rareflow region (names as USGS writes them, lower case).
NAMES: dict[str, str] = {
    "united states": "USA", "australia": "AUS", "brazil": "BRA", "burma": "MMR",
    "myanmar": "MMR", "burma (myanmar)": "MMR", "canada": "CAN", "china": "CHN",
    "greenland": "GRL", "india": "IND", "madagascar": "MDG", "malaysia": "MYS",
    "nigeria": "NGA", "russia": "RUS", "south africa": "ZAF", "tanzania": "TZA",
    "thailand": "THA", "vietnam": "VNM", "laos": "LAO", "japan": "JPN",
    "korea, republic of": "KOR", "south korea": "KOR", "germany": "DEU", "estonia": "EST",
    "france": "FRA", "united kingdom": "GBR", "other countries": "ROW",
}  # fmt: skip
EU_NAMES = (
    "austria", "belgium", "bulgaria", "croatia", "cyprus", "czechia", "czech republic",
    "denmark", "finland", "greece", "hungary", "ireland", "italy", "latvia", "lithuania",
    "luxembourg", "malta", "netherlands", "poland", "portugal", "romania", "slovakia",
    "slovenia", "spain", "sweden",
)  # fmt: skip
assert len(EU_MEMBERS) == 27  # the EU27 group is the members not modelled one by one
MISSING = {"", "na", "w", "xx", "—", "–", "-", "--", "nan"}
DOIS = {
    "MCS2022": "https://doi.org/10.5066/P9KKMCP4",
    "MCS2023": "https://doi.org/10.5066/P9WCYUI6",
    "MCS2024": "https://doi.org/10.5066/P144BA54",
    "MCS2025": "https://doi.org/10.5066/P13XCP3R",
}
_PROD = re.compile(r"^prod(?:_(t|kt))?(_est)?_\s*(\d{4})$", re.IGNORECASE)
_RES = re.compile(r"^reserves(?:_(t|kt))?(?:_(\d{4}))?$", re.IGNORECASE)


@dataclass(frozen=True)
class _Value:
    quantity: float
    qualifier: str


def _region(name: str) -> str | None:
    key = re.sub(r"\d+$", "", re.sub(r"\s+", " ", name.replace("\xa0", " "))).strip()
    key = key.rstrip(".").lower()
    if key.startswith("world total"):
        return None
    if key in NAMES:
        return NAMES[key]
    if key in EU_NAMES:
        return "EU27"
    return "ROW"


def _number(path: Path, line: int, column: str, text: str) -> _Value | None:
    raw = text.replace("\xa0", " ").strip()
    if raw.lower() in MISSING:
        return None
    qualifier = ""
    if raw[:1] in (">", "~"):
        qualifier, raw = raw[0], raw[1:].strip()
    try:
        value = float(raw.replace(",", ""))
    except ValueError:
        raise ImportDataError(
            path, line, column, f"expected a number, NA or W, found {text.strip()!r}"
        ) from None
    if value < 0 or math.isnan(value):
        raise ImportDataError(path, line, column, f"expected a non-negative number, found {text!r}")
    return _Value(value, qualifier)


def _edition(path: Path, rows: list[dict[str, str]], source_col: str | None) -> str:
    if source_col:
        found = {r.get(source_col, "").strip().upper() for r in rows} - {""}
        if len(found) == 1:
            return found.pop()
    match = re.search(r"mcs[_-]?(\d{4})", path.name, flags=re.IGNORECASE)
    if match:
        return f"MCS{match.group(1)}"
    raise ImportDataError(path, 2, source_col, "cannot tell the MCS edition (e.g. MCS2025)")


def _rounding(quantity: float) -> float:
    """Place value of the last non-zero digit of a published rounded total."""
    step = 1.0
    value = round(quantity)
    while value and value % 10 == 0:
        value //= 10
        step *= 10
    return step


@dataclass
class _Layout:
    """The columns of a USGS MCS world data CSV and its rare earth rows (line number, row)."""

    header: list[str]
    lower: dict[str, str]
    country_col: str
    type_col: str
    prod_cols: list[tuple[str, re.Match[str]]]
    res_cols: list[tuple[str, re.Match[str]]]
    rows: list[tuple[int, dict[str, str]]]


def _read_layout(path: Path) -> _Layout:
    """Read the file, check its columns and keep its rare earth rows."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_bytes().decode("cp1252", errors="replace")
    except OSError as exc:
        raise ImportDataError(path, None, None, f"cannot read the file ({exc.strerror})") from exc
    reader = csv.reader(text.splitlines())
    header = [h.strip() for h in next(reader, [])]
    if len(header) <= 1:
        raise ImportDataError(path, 1, None, "not a USGS MCS world data CSV (one column or empty)")
    lower = {h.lower(): h for h in header}
    country_col = lower.get("country")
    type_col = lower.get("type")
    if country_col is None or type_col is None:
        raise ImportDataError(
            path, 1, None, "wrong columns: expected Country and Type (USGS MCS world data CSV)"
        )
    prod_cols = [(h, m) for h in header if (m := _PROD.match(h))]
    res_cols = [(h, m) for h in header if (m := _RES.match(h))]
    if not prod_cols:
        raise ImportDataError(
            path, 1, None, "wrong columns: no production column (Prod_t_<year> or PROD_<year>)"
        )
    rows: list[tuple[int, dict[str, str]]] = []
    for number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            raise ImportDataError(
                path, number, None, f"expected {len(header)} fields, found {len(values)}"
            )
        rows.append((number, dict(zip(header, values, strict=True))))
    commodity_col = lower.get("commodity")
    if commodity_col:
        rows = [
            (n, r)
            for n, r in rows
            if r[commodity_col].strip().lower() in ("rare earths", "rare earth")
        ]
        if not rows:
            raise ImportDataError(path, None, commodity_col, "no 'Rare earths' rows in the file")
    return _Layout(header, lower, country_col, type_col, prod_cols, res_cols, rows)


def _unit_factor(path: Path, number: int, unit_col: str | None, row: dict[str, str]) -> float:
    """1 for metric tons, 1000 for thousand metric tons; anything else is refused."""
    if not unit_col:
        return 1.0
    unit = row[unit_col].strip().lower()
    if unit.startswith("thousand"):
        return 1000.0
    if unit and unit != "metric tons":
        raise ImportDataError(
            path, number, unit_col, f"expected 'metric tons', found {row[unit_col]!r}"
        )
    return 1.0


def _collect(
    path: Path, layout: _Layout, edition: str
) -> tuple[list[dict[str, object]], list[dict[str, object]], list[dict[str, object]]]:
    """Production, reserves and world-total rows of the file."""
    lower = layout.lower
    unit_col = lower.get("unit_meas")
    prod_notes = lower.get("prod_notes")
    res_notes = lower.get("reserves_notes") or lower.get("reserve_notes")
    est_years = [int(m.group(3)) for _, m in layout.prod_cols if m.group(2)]
    res_year = max(est_years) if est_years else max(int(m.group(3)) for _, m in layout.prod_cols)
    production: list[dict[str, object]] = []
    reserves: list[dict[str, object]] = []
    totals: list[dict[str, object]] = []
    for number, row in layout.rows:
        kind = row[layout.type_col].strip().lower()
        if kind and "production" not in kind:
            continue  # e.g. capacity rows: not mine production
        factor = _unit_factor(path, number, unit_col, row)
        name = row[layout.country_col].strip()
        region = _region(name)
        for col, m in layout.prod_cols:
            value = _number(path, number, col, row[col])
            if value is None:
                continue
            qty = value.quantity * factor * (1000.0 if (m.group(1) or "").lower() == "kt" else 1)
            if region is None:
                totals.append(_total(edition, "production", int(m.group(3)), qty, value.qualifier))
                continue
            production.append(
                {
                    "edition": edition,
                    "region": region,
                    "year": int(m.group(3)),
                    "quantity": qty,
                    "unit": "t REO",
                    "usgs_estimate": bool(m.group(2)),
                    "note": _note(name, region, row.get(prod_notes or "", "")),
                }
            )
        for col, m in layout.res_cols:
            value = _number(path, number, col, row[col])
            if value is None:
                continue
            qty = value.quantity * factor * (1000.0 if (m.group(1) or "").lower() == "kt" else 1)
            note = row.get(res_notes or "", "").strip()
            qualifier = value.qualifier or (">" if "greater than" in note.lower() else "")
            if region is None:
                year = int(m.group(2)) if m.group(2) else res_year
                totals.append(_total(edition, "reserves", year, qty, qualifier))
                continue
            reserves.append(
                {
                    "edition": edition,
                    "region": region,
                    "quantity": qty,
                    "unit": "t REO",
                    "note": _note(name, region, note),
                }
            )
    return production, reserves, totals


def import_usgs(path: Path) -> ImportResult:
    """Read a USGS MCS world data CSV and return mine_production, reserves, world_totals."""
    path = Path(path)
    layout = _read_layout(path)
    edition = _edition(path, [r for _, r in layout.rows], layout.lower.get("source"))
    production, reserves, totals = _collect(path, layout, edition)
    if not production:
        raise ImportDataError(path, None, None, "no mine production rows for rare earths")
    source = SourceInfo(
        source_id=source_id_from(path),
        title=(
            f"USGS Mineral Commodity Summaries {edition[3:]} data release: rare earths world "
            f"mine production and reserves (file {path.name})"
        ),
        publisher="U.S. Geological Survey",
        year=int(edition[3:]),
        url=DOIS.get(edition, "https://www.usgs.gov/centers/national-minerals-information-center"),
        note="imported by rareflow data import usgs; t REO (rare-earth-oxide equivalent)",
    )
    tables = {
        "mine_production": _finish(
            pd.DataFrame(production), ["edition", "region", "year"], source, edition
        ),
        "reserves": _finish(pd.DataFrame(reserves), ["edition", "region"], source, edition),
        "world_totals": _finish_totals(pd.DataFrame(totals), source, edition),
        "sources": pd.DataFrame([source.row()]),
    }
    summary = [
        f"{path.name}: edition {edition}; {len(tables['mine_production'])} production rows, "
        f"{len(tables['reserves'])} reserves rows, {len(tables['world_totals'])} world totals"
    ]
    summary.extend(_reconcile(tables))
    return ImportResult(tables=tables, summary=summary)


def _reconcile(tables: dict[str, pd.DataFrame]) -> list[str]:
    """Warnings for world totals the country rows do not add up to (the loader refuses them)."""
    warnings = []
    prod, res = tables["mine_production"], tables["reserves"]
    for rec in tables["world_totals"].to_dict("records"):
        if rec["measure"] == "production":
            total = float(prod.loc[prod["year"] == rec["year"], "quantity"].sum())
        else:
            total = float(res["quantity"].sum())
        published, step = float(rec["quantity"]), float(rec["rounding"])
        low_ok = total >= published - step / 2
        ok = low_ok if rec["qualifier"] == ">" else low_ok and total <= published + step / 2
        if not ok:
            warnings.append(
                f"warning: world {rec['measure']} {rec['year']} is {rec['qualifier']}"
                f"{published:,.0f} t but the country rows sum to {total:,.0f} t, outside the "
                f"rounding {step:,.0f} t read off the total"
            )
    return warnings


def _note(name: str, region: str, note: str) -> str:
    parts = [note.strip()] if note.strip() else []
    if region in ("ROW", "EU27") and name.strip().lower() != "other countries":
        parts.append(f"USGS row '{name.strip()}' counted in {region}")
    elif region == "ROW":
        parts.append("USGS 'Other countries'")
    return "; ".join(parts)


def _total(edition: str, measure: str, year: int, qty: float, qualifier: str) -> dict[str, object]:
    return {
        "edition": edition,
        "measure": measure,
        "year": year,
        "quantity": qty,
        "unit": "t REO",
        "qualifier": qualifier,
        "rounding": _rounding(qty),
    }


def _finish(frame: pd.DataFrame, key: list[str], source: SourceInfo, edition: str) -> pd.DataFrame:
    """Sum rows that fall in one region (ROW, EU27) and add provenance."""
    if frame.empty:
        return pd.DataFrame(columns=[*key, "quantity", "unit", "note", "source", "vintage"])
    agg: dict[str, tuple[str, object]] = {
        "quantity": ("quantity", "sum"),
        "unit": ("unit", "first"),
        "note": ("note", lambda s: "; ".join(x for x in s if x)),
    }
    if "usgs_estimate" in frame.columns:
        agg["usgs_estimate"] = ("usgs_estimate", "max")
    out = frame.groupby(key, as_index=False, sort=False).agg(**agg)
    out["source"] = source.source_id
    out["vintage"] = edition
    out["estimate_method"] = ""
    return out


def _finish_totals(frame: pd.DataFrame, source: SourceInfo, edition: str) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame(
            columns=[
                "edition", "measure", "year", "quantity", "unit", "qualifier", "rounding",
                "source", "vintage", "estimate_method",
            ]
        )  # fmt: skip
    out = frame.drop_duplicates(["edition", "measure", "year"], keep="first").copy()
    out["source"] = source.source_id
    out["vintage"] = edition
    # USGS states that totals are rounded, not to what step: the step is read off the zeros.
    out["estimate_method"] = "rounding step inferred from the trailing zeros of the published total"
    return out
