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
    """`values` labelled by `indexes` (one per dimension, each named), as floats.

    Made on xarray's fast path from ready coordinates: the public constructor deep-copies
    every coordinate (the network's label indexes) into each new array, which made building
    an information state's inputs cost more than its arrays. The indexes are shared, never
    changed in place; tests/test_engine_arrays.py checks the result is what the public constructor
    makes."""
    coords = xr.Coordinates({ix.name: ix for ix in indexes})
    return xr.DataArray(
        xr.Variable([ix.name for ix in indexes], np.asarray(values, dtype=float)),
        coords=dict(coords.variables),
        indexes=dict(coords.xindexes),
        fastpath=True,
    )


def numeric_columns(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """`table` with `columns` as floats. The network's named checks (`Network.consistency`)
    have refused any value that is not a number before a solve builds its arrays."""
    out = table.copy()
    for col in columns:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    return out


def take(array: xr.DataArray, dim: str, keys: Any) -> np.ndarray:
    """`array`'s values at the labels `keys` of `dim` (a label may repeat), as numpy with the
    dimensions in `array`'s order: what `array.sel({dim: keys}).to_numpy()` gives, without
    xarray building a labelled array that is read once (it cost more than the table it fed)."""
    where = array.indexes[dim].get_indexer(np.asarray(keys, dtype=object))
    if (where < 0).any():
        missing = np.asarray(keys, dtype=object)[where < 0][:3]
        raise KeyError(f"{dim} {list(missing)} not in the array")
    return np.take(array.to_numpy(), where, axis=array.dims.index(dim))
