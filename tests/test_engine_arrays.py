"""The engine's small array helpers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from rareflow.optimize.arrays import data_array, labels, take


def test_take_is_sel_without_the_labelled_array() -> None:
    a = xr.DataArray(
        np.arange(6.0).reshape(3, 2),
        coords={"node": ["a", "b", "c"], "period": ["p1", "p2"]},
        dims=["node", "period"],
    )
    keys = pd.Series(["c", "a", "c"])  # a label may repeat, in any order
    np.testing.assert_array_equal(take(a, "node", keys), a.sel(node=keys.to_numpy()).to_numpy())
    np.testing.assert_array_equal(take(a, "period", ["p2"]), a.sel(period=["p2"]).to_numpy())
    with pytest.raises(KeyError, match="node \\['z'\\] not in the array"):
        take(a, "node", ["a", "z"])


def test_data_array_is_what_the_public_constructor_makes() -> None:
    """data_array takes xarray's fast path (no deep copy of the coordinates): the same array,
    coordinates, indexes and dtypes as the public constructor, and an operation on it leaves
    the shared label index as it was."""
    arcs = labels(["a-b", "b-c", "c-a"], "arc")
    periods = labels(["2025-01", "2025-02"], "period")
    values = np.arange(6).reshape(3, 2)
    made = data_array(values, arcs, periods)
    public = xr.DataArray(
        values.astype(float),
        coords={"arc": arcs, "period": periods},
        dims=["arc", "period"],
    )
    xr.testing.assert_identical(made, public)
    assert made.indexes["arc"].equals(public.indexes["arc"]) and made.dtype == np.float64
    shifted = (made * 2).assign_coords(arc=["x", "y", "z"])
    assert list(arcs) == ["a-b", "b-c", "c-a"] and list(made.indexes["arc"]) == list(arcs)
    assert float(shifted.sel(arc="y", period="2025-02")) == 6.0
    one = data_array(np.array([1.0, 2.0]), periods)
    assert one.dims == ("period",) and float(one.sum()) == 3.0
