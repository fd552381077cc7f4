"""comparison.timeline.month_by_month on hand-made results: the restricted materials'
exports, arrivals, backlog and stocks, and shortage outside China, A, B and B - A."""

from __future__ import annotations

import pandas as pd
import pytest

from rareflow.comparison.timeline import month_by_month
from rareflow.results import TABLES, Result


def _result(exported: list[float], backlog: list[float], short: list[float]) -> Result:
    periods = ["2025-04", "2025-05"]
    trade = pd.DataFrame(
        [
            {
                "arc": "c-j",
                "origin": "CHN",
                "destination": "JPN",
                "material": "oxide:Dy",
                "period": p,
                "value": v,
            }
            for p, v in zip(periods, exported, strict=True)
        ]
        + [  # not a restricted material: not counted
            {
                "arc": "c-j2",
                "origin": "CHN",
                "destination": "JPN",
                "material": "oxide:La",
                "period": p,
                "value": 100.0,
            }
            for p in periods
        ]
    )
    flows = pd.DataFrame(
        [
            {"kind": "trade_in", "region": "JPN", "material": "oxide:Dy", "period": p, "value": v}
            for p, v in zip(periods, exported, strict=True)
        ]
        + [
            {
                "kind": "stock_level",
                "region": "JPN",
                "material": "oxide:Dy",
                "period": p,
                "value": 10.0 - v,
            }
            for p, v in zip(periods, exported, strict=True)
        ]
    )
    licences = (
        pd.DataFrame(
            [
                {
                    "arc": "c-j",
                    "origin": "CHN",
                    "destination": "JPN",
                    "material": "oxide:Dy",
                    "period": p,
                    "applied": 5.0,
                    "approved": 1.0,
                    "backlog": b,
                    "allowed": 1.0,
                    "departed": v,
                }
                for p, b, v in zip(periods, backlog, exported, strict=True)
            ],
            columns=list(TABLES["licences"].names),
        )
        if any(backlog)
        else pd.DataFrame(columns=list(TABLES["licences"].names))
    )
    shortfalls = pd.DataFrame(
        [
            {
                "region": r,
                "sector": "ev_traction",
                "material": "oxide:Dy",
                "period": p,
                "reference": 10.0,
                "consumed": 10.0 - s,
                "unserved": s,
                "shortage": s,
                "share": s / 10,
            }
            for p, s in zip(periods, short, strict=True)
            for r in ("JPN", "CHN")
        ]
    )
    return Result(
        flows=flows,
        trade=trade,
        shortfalls=shortfalls,
        licences=licences,
        summary={"periods": periods},
    )


def test_month_by_month_lines_up_a_and_b() -> None:
    a = _result([5.0, 5.0], [0.0, 0.0], [0.0, 0.0])
    b = _result([1.0, 1.8], [4.0, 7.2], [2.0, 3.0])
    frame = month_by_month(a, b, ["2025-04", "2025-05"]).set_index(["period", "measure"])
    assert frame.loc[("2025-05", "exports_from_china"), "b"] == pytest.approx(1.8)
    assert frame.loc[("2025-05", "exports_from_china"), "change"] == pytest.approx(-3.2)
    assert frame.loc[("2025-04", "licence_backlog"), "b"] == pytest.approx(4.0)
    assert frame.loc[("2025-04", "stocks_outside_china"), "change"] == pytest.approx(4.0)
    # China's own unserved demand is not "outside China"
    assert frame.loc[("2025-05", "unserved_outside_china"), "b"] == pytest.approx(3.0)
    assert frame.loc[("2025-05", "arrivals_outside_china"), "a"] == pytest.approx(5.0)


def test_compare_prints_prices_month_by_month_for_the_licensed_materials() -> None:
    from io import StringIO

    from rich.console import Console

    from rareflow.cli.compare import _print_monthly_prices

    series = pd.DataFrame(
        {
            "material": ["oxide:Dy"] * 4 + ["oxide:Nd"] * 2,
            "period": ["2025-04", "2025-05"] * 3,
            "china": [200.0, 210.0, 200.0, 205.0, 60.0, 60.0],
            "outside": [220.0, 230.0, 300.0, 330.0, 61.0, 61.0],
            "outside_vw": [215.0, 225.0, 225.0, 236.0, 60.0, 60.0],
            "scenario": ["A", "A", "B", "B", "B", "B"],
        }
    )

    class Cmp(dict):  # type: ignore[type-arg]
        name_a, name_b = "A", "B"

    buffer = StringIO()
    _print_monthly_prices(Console(file=buffer, width=200), Cmp(price_series=series), {"oxide:Dy"})
    text = buffer.getvalue()
    # B's spot price outside China, its change against A, B's volume-weighted price outside
    # China and China's price, each month
    assert "300.0 (+80.0) vw 225.0 / 200.0" in text and "330.0 (+100.0) vw 236.0 / 205.0" in text
    assert "oxide:Nd" not in text  # not under a licence regime
    quiet = StringIO()
    _print_monthly_prices(Console(file=quiet), Cmp(price_series=series), set())
    assert quiet.getvalue() == ""


def test_shortage_by_sector_month_by_month_outside_china() -> None:
    # B leaves JPN's ev_traction 2 then 3 t short (CHN's equal shortage is not "outside");
    # A is short nowhere, so the change is B's shortage
    from rareflow.comparison.timeline import shortage_by_sector

    a = _result([5.0, 5.0], [0.0, 0.0], [0.0, 0.0])
    b = _result([1.0, 1.8], [4.0, 7.2], [2.0, 3.0])
    frame = shortage_by_sector(a, b, ["2025-04", "2025-05"]).set_index(["period", "sector"])
    assert frame.loc[("2025-04", "ev_traction"), "b"] == pytest.approx(2.0)
    assert frame.loc[("2025-05", "ev_traction"), "change"] == pytest.approx(3.0)
    assert frame.loc[("2025-05", "ev_traction"), "a"] == pytest.approx(0.0)
    # a sector short in neither run is left out
    assert shortage_by_sector(a, a, ["2025-04", "2025-05"]).empty


def test_compare_prints_the_monthly_shortage_by_sector() -> None:
    from io import StringIO

    from rich.console import Console

    from rareflow.cli.compare import _print_monthly_shortage
    from rareflow.comparison.timeline import shortage_by_sector

    a = _result([5.0, 5.0], [0.0, 0.0], [0.0, 0.0])
    b = _result([1.0, 1.8], [4.0, 7.2], [2.0, 3.0])

    class Cmp(dict):  # type: ignore[type-arg]
        name_a, name_b = "A", "B"

    frame = shortage_by_sector(a, b, ["2025-04", "2025-05"])
    buffer = StringIO()
    _print_monthly_shortage(Console(file=buffer, width=200), Cmp(shortage_by_sector=frame))
    text = buffer.getvalue()
    assert "ev_traction" in text and "3 (+3)" in text
