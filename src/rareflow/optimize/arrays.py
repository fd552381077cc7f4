"""Small helpers the LP's input arrays are built with: labelled indexes and arrays, and the
numeric columns of the network's tables (one line naming table, row and column when a value
is not a number)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from rareflow.network import NetworkError


def labels(values: Any, name: str) -> pd.Index:
    return pd.Index(list(values), name=name, dtype=object)


def data_array(values: np.ndarray, *indexes: pd.Index) -> xr.DataArray:
    return xr.DataArray(
        np.asarray(values, dtype=float),
        coords={ix.name: ix for ix in indexes},
        dims=[ix.name for ix in indexes],
    )


def numeric_columns(table: pd.DataFrame, name: str, columns: list[str]) -> pd.DataFrame:
    out = table.copy()
    for col in columns:
        values = pd.to_numeric(out[col], errors="coerce")
        bad = values.isna() & out[col].notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise NetworkError(
                f"{name}, row {row}, column '{col}': expected a number, got {out[col].iloc[row]!r}"
            )
        out[col] = values.astype(float)
    return out


def unique_key(table: pd.DataFrame, name: str, key: str) -> None:
    dup = table[key].duplicated()
    if dup.any():
        raise NetworkError(f"{name}: duplicate {key} '{table[key][dup].iloc[0]}'")
