"""The engine's small array helpers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from rareflow.optimize.arrays import take


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
