"""Combining imported tables with the tables they replace.

`--data DIR` replaces a packaged table by the file of the same name (see rareflow.data.loader),
so an import writes complete tables: the rows it does not cover come from the table it lands on
(the one already in --out, else the packaged one), the rows it covers are replaced:
- trade: imported flows replace every row of the same year and form (metal, oxide, magnet,
  concentrate, ...) as an imported row; other years and forms are kept (merge_trade);
- mine_production, reserves, world_totals: the imported edition replaces the rows of that edition;
- sources: rows with the same source_id are replaced, every other source is kept, so that the
  kept rows still find their sources.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rareflow.data.schema import SPECS_BY_NAME
from rareflow.importers.hs_mapping import form_of

DIFF_COLUMNS = [
    "exporter", "importer", "material", "year", "shipped_t", "imported_t", "difference_t",
    "shipped_basis", "imported_basis",
]  # fmt: skip


def packaged_table(name: str) -> pd.DataFrame | None:
    """The packaged reference table as strings, or None when the package has none."""
    try:
        from rareflow.data.loader import packaged_dir

        path = packaged_dir() / SPECS_BY_NAME[name].filename
    except ImportError:
        path = Path(__file__).resolve().parents[1] / "data" / "reference" / f"{name}.csv"
    return _read(path)


def _read(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def merge_trade(
    reference_trade: pd.DataFrame, imported_trade: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Imported flows replace the reference rows of the years and forms they cover.

    Returns (merged, differences). differences compares, per exporter, importer, form and year,
    the tonnes of the replaced reference rows with the imported tonnes (bases are shown: customs
    tonnes are product weight, shipped estimates may be t REO).
    """
    ref = reference_trade.copy()
    imp = imported_trade.copy()
    ref["quantity"] = pd.to_numeric(ref["quantity"])
    imp["quantity"] = pd.to_numeric(imp["quantity"])
    ref["year"] = pd.to_numeric(ref["year"]).astype(int)
    imp["year"] = pd.to_numeric(imp["year"]).astype(int)
    ref["form"] = ref["material"].astype(str).map(form_of)
    imp["form"] = imp["material"].astype(str).map(form_of)
    covered = set(zip(imp["year"], imp["form"], strict=True))
    replaced = pd.Series(
        [(y, f) in covered for y, f in zip(ref["year"], ref["form"], strict=True)],
        index=ref.index,
        dtype=bool,
    )
    keys = ["exporter", "importer", "form", "year"]
    shipped = _by_pair(ref[replaced], keys, "shipped")
    imported = _by_pair(imp, keys, "imported")
    diff = shipped.merge(imported, on=keys, how="outer")
    for col in ("shipped_t", "imported_t"):
        diff[col] = diff[col].fillna(0.0)
    for col in ("shipped_basis", "imported_basis"):
        diff[col] = diff[col].fillna("")
    diff["difference_t"] = (diff["imported_t"] - diff["shipped_t"]).round(3)
    diff = diff.rename(columns={"form": "material"})
    diff = diff.reindex(diff["difference_t"].abs().sort_values(ascending=False).index)
    merged = pd.concat(
        [ref[~replaced].drop(columns="form"), imp.drop(columns="form")], ignore_index=True
    )
    merged = merged.sort_values(["year", "material", "exporter", "importer"]).reset_index(drop=True)
    return merged, diff[DIFF_COLUMNS].reset_index(drop=True)


def _by_pair(frame: pd.DataFrame, keys: list[str], label: str) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame(columns=[*keys, f"{label}_t", f"{label}_basis"])
    return frame.groupby(keys, as_index=False).agg(
        **{
            f"{label}_t": ("quantity", "sum"),
            f"{label}_basis": ("basis", lambda s: "/".join(sorted(set(map(str, s))))),
        }
    )


def _replace_editions(base: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    editions = set(new["edition"].astype(str))
    kept = base[~base["edition"].astype(str).isin(editions)]
    return pd.concat([kept, new], ignore_index=True)


def combine(
    out_dir: Path, tables: dict[str, pd.DataFrame], use_packaged: bool = True
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame | None]:
    """Complete tables to write into out_dir, and the trade differences (None without trade)."""
    result: dict[str, pd.DataFrame] = {}
    differences = None
    for name, new in tables.items():
        base = _read(out_dir / SPECS_BY_NAME[name].filename)
        if base is None and use_packaged:
            base = packaged_table(name)
        if base is None or base.empty:
            result[name] = new
            if name == "trade":
                differences = merge_trade(new.iloc[0:0], new)[1]
            continue
        if name == "trade":
            result[name], differences = merge_trade(base, new)
        elif name == "sources":
            kept = base[~base["source_id"].isin(new["source_id"].astype(str))]
            result[name] = pd.concat([kept, new.astype(str)], ignore_index=True)
        elif "edition" in new.columns:
            result[name] = _replace_editions(base, new)
        else:
            result[name] = new
    if "sources" in result and use_packaged:
        # Sources cited by packaged tables that the out directory does not hold yet.
        packaged = packaged_table("sources")
        if packaged is not None:
            have = set(result["sources"]["source_id"].astype(str))
            extra = packaged[~packaged["source_id"].isin(have)]
            result["sources"] = pd.concat([result["sources"], extra], ignore_index=True)
    return result, differences
