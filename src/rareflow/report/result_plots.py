"""Plotly figures of one Result, for notebooks: `result.plot.prices()`, `.shortfalls()`,
`.sankey(year=...)`. The same charts as the report's (rareflow.report.charts)."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from rareflow.errors import UserError
from rareflow.report.charts import price_figure, sankey_figure, shortfall_figure
from rareflow.report.content import (
    PRICE_MATERIALS,
    price_series,
    sankey_links,
    shortfalls_by_sector,
)
from rareflow.results import Result, attach_view


class PlotError(UserError, ValueError):
    """A figure asked of a result that cannot draw it (an unknown region or year)."""


class ResultPlots:
    """The figures of `result` (reached as `result.plot`)."""

    def __init__(self, result: Result) -> None:
        self._result = result

    def prices(self, materials: Sequence[str] = PRICE_MATERIALS) -> go.Figure:
        """Prices (USD/kg) inside China and the use-weighted mean outside it, by period."""
        series = price_series(self._result, str(self._result.summary.get("scenario", "run")))
        return price_figure(series, materials)

    def shortfalls(self) -> go.Figure:
        """Unserved demand (t per period) by sector, stacked."""
        return shortfall_figure(shortfalls_by_sector(self._result))

    def sankey(self, year: int | None = None, region: str = "IND") -> go.Figure:
        """The value chain of `region` over one year's periods (default: the first year)."""
        periods = [str(p) for p in self._result.periods] or sorted(
            {str(p) for p in self._result.flows["period"]}
        )
        years = sorted({p[:4] for p in periods})
        if not years:
            raise PlotError("the result has no periods to draw")
        chosen = str(year) if year is not None else years[0]
        if chosen not in years:
            raise PlotError(
                f"year {chosen}: not in the result (expected one of {', '.join(years)})"
            )
        known = set(self._result.flows["region"])
        if region not in known:
            raise PlotError(
                f"unknown region '{region}' (expected one of {', '.join(sorted(known))})"
            )
        links = sankey_links(self._result, region, [p for p in periods if p.startswith(chosen)])
        return sankey_figure(links, f"Value chain of {region}, {chosen} (t)")


attach_view("plot", ResultPlots)
