"""Result files: parquet + summary.json round trip, Excel export, mass balance errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import xarray as xr
from openpyxl import load_workbook

from engine_fixtures import ONE_BLOCK, chain
from rareflow.optimize import Horizon, MassBalanceError, solve
from rareflow.optimize.balance import check_mass_balance
from rareflow.results import TABLES, Result

QUARTERS = Horizon(start="2025-01", end="2025-12", step="quarter")


def test_to_dir_from_dir_round_trip(tmp_path: Path) -> None:
    r = solve(chain(), QUARTERS, options=ONE_BLOCK)
    out = r.to_dir(tmp_path / "run")
    for name in ("flows", "trade", "prices", "shortfalls"):
        assert (out / f"{name}.parquet").exists()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "optimal"
    assert summary["foresight"] == "perfect"
    assert summary["horizon"] == {"start": "2025-01", "end": "2025-12", "step": "quarter"}
    assert set(summary["versions"]) >= {"rareflow", "linopy", "highspy", "pandas"}
    assert set(summary["hashes"]["network"]) >= {"supply", "arcs", "demand"}
    assert summary["meta"] == {"built_by": "tests/engine_fixtures.py"}
    back = Result.from_dir(out)
    for name in TABLES:
        pd.testing.assert_frame_equal(back.table(name), r.table(name), check_dtype=False)
    assert back.summary == json.loads(json.dumps(r.summary, default=str))
    assert back.price("B", "oxide:X").iloc[0] == pytest.approx(6.0)


def test_changed_input_changes_its_hash() -> None:
    a = solve(chain(), QUARTERS, options=ONE_BLOCK)
    net = chain()
    net.arcs["cost"] = 1_500.0
    b = solve(net, QUARTERS, options=ONE_BLOCK)
    ha, hb = a.summary["hashes"]["network"], b.summary["hashes"]["network"]
    assert ha["arcs"] != hb["arcs"]
    assert ha["supply"] == hb["supply"]


def test_excel_export_has_one_sheet_per_table(tmp_path: Path) -> None:
    r = solve(chain(), QUARTERS, options=ONE_BLOCK)
    path = r.to_excel(tmp_path / "run.xlsx")
    book = load_workbook(path, read_only=True)
    assert set(book.sheetnames) == {"summary", *TABLES}
    flows = pd.read_excel(path, sheet_name="flows")
    # every numeric column's header carries its unit
    assert list(flows.columns) == ["kind", "region", "material", "period", "value [t per period]"]
    assert len(flows) == len(r.flows)
    prices = pd.read_excel(path, sheet_name="prices")
    assert "price [USD/kg]" in prices.columns


def test_parquet_columns_carry_their_units(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    r = solve(chain(), QUARTERS, options=ONE_BLOCK)
    out = r.to_dir(tmp_path / "run")
    schema = pq.read_schema(out / "prices.parquet")
    assert schema.field("price").metadata == {b"unit": b"USD/kg"}
    short = pq.read_schema(out / "shortfalls.parquet")
    assert short.field("shortage").metadata == {b"unit": b"t per period"}
    # and the tables read back as they were
    back = Result.from_dir(out)
    assert back.prices.equals(r.prices.reset_index(drop=True))


def test_from_dir_without_summary_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"summary\.json"):
        Result.from_dir(tmp_path)


def test_mass_balance_violation_names_the_worst_node() -> None:
    coords = {"node": ["A|m", "B|m"], "period": ["2025"]}
    zero = xr.DataArray([[0.0], [0.0]], coords=coords, dims=["node", "period"])
    flows = {
        k: zero.copy()
        for k in (
            "production",
            "process_output",
            "trade_in",
            "stock_release",
            "consumption",
            "process_input",
            "trade_out",
            "stock_build",
            "disposal",
        )
    }
    flows["production"] = xr.DataArray([[100.0], [0.0]], coords=coords, dims=["node", "period"])
    flows["consumption"] = xr.DataArray([[99.0], [0.0]], coords=coords, dims=["node", "period"])
    with pytest.raises(MassBalanceError, match=r"A\|m 2025: \+1 t"):
        check_mass_balance(flows)
    flows["consumption"] = xr.DataArray(
        [[100.0 - 1e-5], [0.0]], coords=coords, dims=["node", "period"]
    )
    worst, tol = check_mass_balance(flows)  # within 1e-6 x 100
    assert worst <= tol


def test_summary_carries_timings() -> None:
    r = solve(chain(), QUARTERS, foresight="myopic", options=ONE_BLOCK)
    t = r.summary["timings"]
    assert set(t) == {"total_s", "solver_s", "build_s", "update_s", "readback_s", "calibration_s"}
    assert all(v >= 0.0 for v in t.values())
    # four myopic solves ran HiGHS and read their solutions back
    assert r.summary["solves"] == 4
    assert t["solver_s"] > 0.0 and t["build_s"] > 0.0 and t["readback_s"] > 0.0
    parts = t["solver_s"] + t["build_s"] + t["update_s"] + t["readback_s"]
    assert parts <= t["total_s"] + 1e-3


def test_highs_banner_stays_out_of_stdout() -> None:
    """HiGHS prints a banner on a process's first solver object; importing the engine makes
    that object quietly, so commands' tables and JSON on stdout are theirs alone."""
    import subprocess
    import sys

    code = "import rareflow.optimize, highspy; highspy.Highs(); print('done')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "done\n"
