"""Small helpers the LP's input arrays are built with: labelled indexes and arrays, and the
numeric columns of the network's tables as floats."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr


def labels(values: Any, name: str) -> pd.Index:
    return pd.Index(list(values), name=name, dtype=object)


def data_array(values: np.ndarray, *indexes: pd.Index) -> xr.DataArray:
    # coordinates made as xr.Coordinates: the same array, about ten times faster to make
    # than from a dict (xarray then infers and checks each coordinate again)
    return xr.DataArray(
        np.asarray(values, dtype=float),
        coords=xr.Coordinates({ix.name: ix for ix in indexes}),
        dims=[ix.name for ix in indexes],
    )


def numeric_columns(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """`table` with `columns` as floats. The network's named checks (`Network.consistency`)
    have refused any value that is not a number before a solve builds its arrays."""
    out = table.copy()
    for col in columns:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    return out
