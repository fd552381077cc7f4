"""The Result of a solve: tidy tables of flows, trade, prices, shortfalls and welfare.

Units: flows and trade in tonnes per period, prices in USD/kg, welfare in USD.
`to_dir` writes parquet files and a summary.json (input hashes, versions, solver status);
`from_dir` reads them back; `to_excel` writes one sheet per table.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from rareflow.tables import Column, Table, table

if TYPE_CHECKING:
    import xarray as xr

T_PER_PERIOD = "t per period"


def _num(name: str, unit: str) -> Column:
    return Column(name, "float", unit=unit)


def _tonnes(*names: str) -> tuple[Column, ...]:
    return tuple(_num(n, T_PER_PERIOD) for n in names)


# Every result table, long ("tidy"), with the unit of each numeric column (written into
# Parquet field metadata "unit" and Excel headers "price [USD/kg]"); quantities of a period
# are tonnes in that period
TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        table("flows", "kind", "region", "material", "period", _num("value", T_PER_PERIOD)),
        table(
            "trade",
            "arc",
            "origin",
            "destination",
            "material",
            "period",
            _num("value", "t per period (departures)"),
        ),
        table("prices", "region", "material", "period", _num("price", "USD/kg")),
        table(
            "shortfalls",
            "region",
            "sector",
            "material",
            "period",
            *_tonnes("reference", "consumed", "unserved", "shortage"),
            _num("share", "fraction of reference"),
        ),
        table("welfare", "period", "component", _num("value", "USD per period")),
        table(
            "in_transit",
            "arc",
            "origin",
            "destination",
            "material",
            _num("value", "t (at the horizon's end)"),
        ),
        # licence queues (optimize.licences) on routes under a regime: applied for, approved,
        # waiting at the period's end, allowed to leave (approvals after processing), departed
        table(
            "licences",
            "arc",
            "origin",
            "destination",
            "material",
            "period",
            *_tonnes("applied", "approved", "backlog", "allowed", "departed"),
        ),
        # each plant (a capacity group: the alternative recipes of one plant share its
        # capacity) per period: activity and capacity in t of its process's reference material,
        # the share used, and the rent of its capacity, USD/kg: the value of its outputs less
        # its inputs (balance duals) and its operating cost, per unit of activity of its
        # busiest recipe; the shadow price of its capacity where the plant runs full
        table(
            "capacity",
            "plant",
            "region",
            "process",
            "period",
            *_tonnes("activity", "capacity"),
            _num("use", "fraction of capacity"),
            _num("rent", "USD/kg of activity"),
        ),
        # each trade route an agreement binds, per period: the flow, the contracted minimum
        # and maximum after suspensions (t per period; no maximum: NaN), the minimum left
        # unmet, and the destination's price less the origin's (USD/kg): where the flow sits at
        # a bound, what the agreement holds against the market
        table(
            "agreements",
            "arc",
            "origin",
            "destination",
            "material",
            "period",
            *_tonnes("flow", "volume_min", "volume_max", "unmet"),
            _num("gap", "USD/kg"),
        ),
        # capacity the annual planning stage built (rareflow.planning): t/yr standing in
        # `year`, `added` that year, capex USD per t/yr, annuity USD per t/yr per year, and the
        # price of the output that year in the plan (USD/kg), the incentive that paid for it
        table(
            "investments",
            "candidate",
            "region",
            "stage",
            "process",
            "material",
            Column("year", "int"),
            _num("capacity", "t/yr"),
            _num("added", "t/yr"),
            _num("capex", "USD per t/yr"),
            _num("annuity", "USD per t/yr per year"),
            _num("incentive_price", "USD/kg"),
        ),
    )
}

EXCEL_MAX_ROWS = 1_048_575

# Views of a Result that packages above it attach (the report attaches `plot`, see
# attach_view): the Result itself needs neither plotly nor those packages.
_VIEWS: dict[str, Callable[[Result], Any]] = {}


def attach_view(name: str, factory: Callable[[Result], Any]) -> None:
    """Make `factory(result)` what `result.<name>` returns (only `plot` is read)."""
    _VIEWS[name] = factory


def _empty(name: str) -> pd.DataFrame:
    return TABLES[name].empty()


@dataclass
class Result:
    """What a solve found; every table is long ("tidy") with the columns of TABLES."""

    flows: pd.DataFrame = field(default_factory=lambda: _empty("flows"))
    trade: pd.DataFrame = field(default_factory=lambda: _empty("trade"))
    prices: pd.DataFrame = field(default_factory=lambda: _empty("prices"))
    shortfalls: pd.DataFrame = field(default_factory=lambda: _empty("shortfalls"))
    welfare: pd.DataFrame = field(default_factory=lambda: _empty("welfare"))
    in_transit: pd.DataFrame = field(default_factory=lambda: _empty("in_transit"))
    licences: pd.DataFrame = field(default_factory=lambda: _empty("licences"))
    capacity: pd.DataFrame = field(default_factory=lambda: _empty("capacity"))
    agreements: pd.DataFrame = field(default_factory=lambda: _empty("agreements"))
    investments: pd.DataFrame = field(default_factory=lambda: _empty("investments"))
    summary: dict[str, Any] = field(default_factory=dict)

    # -- quick access -------------------------------------------------------------------

    @property
    def status(self) -> str:
        return str(self.summary.get("status", ""))

    @property
    def objective(self) -> float:
        """Cost minus willingness to pay served over the horizon (USD, discounted)."""
        return float(self.summary.get("objective", float("nan")))

    @property
    def total_welfare(self) -> float:
        """Welfare over the horizon (USD, discounted): -objective."""
        return float(self.summary.get("welfare", float("nan")))

    @property
    def periods(self) -> list[str]:
        return list(self.summary.get("periods", []))

    def flow(self, kind: str, region: str | None = None, material: str | None = None) -> pd.Series:
        """Flow of one kind by period (t), summed over what is not selected; 0 where absent."""
        f = self.flows[self.flows["kind"] == kind]
        if region is not None:
            f = f[f["region"] == region]
        if material is not None:
            f = f[f["material"] == material]
        by_period = f.groupby("period")["value"].sum()
        return by_period.reindex(self.periods, fill_value=0.0).astype(float)

    def price(self, region: str, material: str) -> pd.Series:
        """Price by period (USD/kg)."""
        p = self.prices[(self.prices["region"] == region) & (self.prices["material"] == material)]
        return p.set_index("period")["price"].reindex(self.periods).astype(float)

    def arc_flow(self, arc: str) -> pd.Series:
        """Departures on one arc by period (t); 0 where absent."""
        t = self.trade[self.trade["arc"] == arc]
        return t.groupby("period")["value"].sum().reindex(self.periods, fill_value=0.0)

    def unserved(self, region: str | None = None, material: str | None = None) -> float:
        """Total unserved demand (t) over the horizon."""
        s = self.shortfalls
        if region is not None:
            s = s[s["region"] == region]
        if material is not None:
            s = s[s["material"] == material]
        return float(s["unserved"].sum())

    # -- views --------------------------------------------------------------------------

    @property
    def plot(self) -> Any:
        """Plotly figures: `.prices()`, `.shortfalls()`, `.sankey(year=..., region=...)`
        (rareflow.report.result_plots.ResultPlots)."""
        if not _VIEWS.get("plot"):
            raise AttributeError(
                "Result.plot comes with the report package: import rareflow.report "
                "(rareflow.run and the other functions of `import rareflow` do)"
            )
        return _VIEWS["plot"](self)

    def to_xarray(self) -> xr.Dataset:
        """The tables as one xarray Dataset: price (region, material, period), flow (kind,
        region, material, period), trade (origin, destination, material, period; summed over
        the arcs of a pair), reference/consumed/unserved (region, sector, material, period).
        Missing combinations are NaN."""
        import xarray as xr

        def cube(frame: pd.DataFrame, dims: list[str], column: str) -> xr.DataArray:
            summed = frame.groupby(dims, sort=True)[column].sum(min_count=1)
            return xr.DataArray.from_series(summed.astype(float))

        sf_dims = ["region", "sector", "material", "period"]
        data = {
            "price": cube(self.prices, ["region", "material", "period"], "price"),
            "flow": cube(self.flows, ["kind", "region", "material", "period"], "value"),
            "trade": cube(self.trade, ["origin", "destination", "material", "period"], "value"),
            **{c: cube(self.shortfalls, sf_dims, c) for c in ("reference", "consumed", "unserved")},
        }
        units = {"price": "USD/kg", "flow": "t", "trade": "t"}
        ds = xr.Dataset(data)
        for name in ds.data_vars:
            ds[name].attrs["units"] = units.get(str(name), "t")
        ds.attrs.update({k: str(v) for k, v in self.summary.items() if not isinstance(v, list)})
        return ds

    # -- files --------------------------------------------------------------------------

    def to_dir(self, directory: str | Path) -> Path:
        """Write every table of TABLES as .parquet and summary.json."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        for name in TABLES:
            _write_parquet(self.table(name), out / f"{name}.parquet", TABLES[name].units_by_column)
        (out / "summary.json").write_text(json.dumps(self.summary, indent=2, default=str))
        return out

    @classmethod
    def from_dir(cls, directory: str | Path) -> Result:
        src = Path(directory)
        summary_path = src / "summary.json"
        if not summary_path.exists():
            raise FileNotFoundError(f"{summary_path}: no summary.json (not a result directory)")
        tables = {}
        for name in TABLES:
            path = src / f"{name}.parquet"
            tables[name] = pd.read_parquet(path) if path.exists() else _empty(name)
        return cls(**tables, summary=json.loads(summary_path.read_text()))

    def to_excel(self, path: str | Path) -> Path:
        """One sheet per table plus a summary sheet (openpyxl)."""
        target = Path(path)
        too_big = [n for n in TABLES if len(self.table(n)) > EXCEL_MAX_ROWS]
        if too_big:
            raise ValueError(
                f"{target}: tables {too_big} exceed Excel's {EXCEL_MAX_ROWS} rows; "
                "use to_dir (parquet) instead"
            )
        flat = pd.json_normalize(self.summary, sep=".").T.reset_index()
        flat.columns = pd.Index(["key", "value"])
        flat["value"] = flat["value"].map(
            lambda v: json.dumps(v, default=str) if isinstance(v, list | dict) else v
        )
        with pd.ExcelWriter(target, engine="openpyxl") as writer:
            flat.to_excel(writer, sheet_name="summary", index=False)
            for name in TABLES:
                units = TABLES[name].units_by_column
                frame = self.table(name)
                frame.rename(
                    columns={c: f"{c} [{units[c]}]" for c in frame if c in units}
                ).to_excel(writer, sheet_name=name, index=False)
        return target

    def table(self, name: str) -> pd.DataFrame:
        if name not in TABLES:
            raise KeyError(f"unknown result table '{name}' (one of {', '.join(TABLES)})")
        return getattr(self, name)


def _write_parquet(frame: pd.DataFrame, path: Path, units: dict[str, str]) -> None:
    """`frame` as Parquet with each numeric column's unit in its field metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    fields = [
        f.with_metadata({"unit": units[f.name]}) if f.name in units else f for f in table.schema
    ]
    pq.write_table(table.cast(pa.schema(fields, metadata=table.schema.metadata)), path)
