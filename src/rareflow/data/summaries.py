"""Summaries of a loaded reference set: what `rareflow data validate` and `data sources` print,
and what the reports cite."""

from __future__ import annotations

import pandas as pd

from rareflow.data.loader import (
    Reference,
    ReferenceDataError,
    country_sum,
    format_cell,
    reconciles,
)
from rareflow.data.schema import SPECS


def _vintages(frame: pd.DataFrame) -> list[str]:
    values: set[str] = set()
    for column in ("edition", "vintage"):
        if column in frame.columns:
            values |= {str(v) for v in frame[column] if v}
    return sorted(values)


def reference_summary(ref: Reference) -> pd.DataFrame:
    """One row per table: rows, vintages present, and the file it was read from."""
    return pd.DataFrame(
        {
            "table": list(ref),
            "rows": [len(ref[name]) for name in ref],
            "vintages": [", ".join(_vintages(ref[name])) for name in ref],
            "origin": ["user" if name in ref.overridden else "packaged" for name in ref],
            "file": [ref.where(name) for name in ref],
        }
    )


def world_reconciliation(ref: Reference) -> pd.DataFrame:
    """Each world total next to the sum of its country rows."""
    rows = []
    for row in ref["world_totals"].to_dict("records"):
        sum_, count = country_sum(ref, row["edition"], row["measure"], int(row["year"]))
        qualifier = row["qualifier"] or ""
        rows.append(
            {
                "edition": row["edition"],
                "measure": row["measure"],
                "year": int(row["year"]),
                "world": f"{qualifier}{row['quantity']:,.0f}",
                "country_rows": count,
                "country_sum": sum_,
                "rounding": float(row["rounding"]),
                "reconciles": reconciles(
                    float(row["quantity"]), qualifier, float(row["rounding"]), sum_
                ),
            }
        )
    return pd.DataFrame(rows)


def reserve_rank(ref: Reference, region: str, edition: str) -> int:
    """Rank (1 = largest) of `region`'s reserves among countries in one edition.

    Groups (ROW, EU27) are not countries and are left out; ties share the better rank.
    """
    reserves = ref["reserves"]
    countries = set(ref["regions"].loc[ref["regions"]["kind"] == "country", "code"])
    rows = reserves[(reserves["edition"] == edition) & reserves["region"].isin(countries)]
    mine = rows.loc[rows["region"] == region, "quantity"]
    if mine.empty:
        raise ReferenceDataError(
            f"{ref.where('reserves')}: no reserves row for {region} in {edition} "
            "(expected a row to rank)"
        )
    return 1 + int((rows["quantity"] > float(mine.iloc[0])).sum())


def region_figures(ref: Reference, region: str) -> pd.DataFrame:
    """Mine production and reserves (with rank) of one region in every edition."""
    rows: list[dict[str, object]] = []
    production = ref["mine_production"]
    for row in production[production["region"] == region].to_dict("records"):
        rows.append(
            {
                "edition": row["edition"],
                "measure": "production",
                "year": int(row["year"]),
                "quantity": float(row["quantity"]),
                "unit": row["unit"],
                "rank": "",
            }
        )
    reserves = ref["reserves"]
    for row in reserves[reserves["region"] == region].to_dict("records"):
        rows.append(
            {
                "edition": row["edition"],
                "measure": "reserves",
                "year": "",
                "quantity": float(row["quantity"]),
                "unit": row["unit"],
                "rank": str(reserve_rank(ref, region, str(row["edition"]))),
            }
        )
    return pd.DataFrame(rows, columns=["edition", "measure", "year", "quantity", "unit", "rank"])


def source_usage(ref: Reference) -> pd.DataFrame:
    """Every (table, line, source id) citation in the provenance tables."""
    rows = []
    for spec in SPECS:
        if not spec.provenance:
            continue
        frame = ref[spec.name]
        key_cols = list(spec.key)
        for pos, row in enumerate(frame[[*key_cols, "source"]].itertuples(index=False)):
            key = ", ".join(
                format_cell(spec.column(k), v) for k, v in zip(key_cols, row, strict=False)
            )
            for source in str(row[-1]).split(";"):
                rows.append(
                    {
                        "source_id": source.strip(),
                        "table": spec.name,
                        "line": ref.line(spec.name, pos),
                        "key": key,
                    }
                )
    return pd.DataFrame(rows, columns=["source_id", "table", "line", "key"])
