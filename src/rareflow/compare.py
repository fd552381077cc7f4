"""Compare two solved scenarios side by side: B minus A.

`rareflow compare A B` takes scenario files (solved with `rareflow.pipeline.run`, the
results cached by a hash of everything they depend on) or result directories (`Result.to_dir`)
and reports, over the periods both cover:

- shortfall (unserved demand, t) by region, by sector, by material and in detail;
- prices (USD/kg) of key materials inside China and outside it, the outside price being the
  demand-weighted mean of the other regions (weights: A's reference final demand plus A's use
  as a process input, over the periods compared, so A and B are weighted alike);
- trade re-routing: for each importer and material, the change of inflow by origin (t), and
  who replaces whom;
- self-sufficiency (domestic output / domestic use, `rareflow.metrics.reliance`) by region and
  stage of the value chain.

`Comparison.write(out)` writes every table as CSV and Parquet and the charts as one HTML file
with plotly.js embedded (works offline).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from rareflow.errors import UserError
from rareflow.metrics.common import NON_RE_STAGES
from rareflow.metrics.reliance import reliance
from rareflow.pipeline.options import HorizonOverride as _HorizonOverride
from rareflow.results import Result

KEY_MATERIALS: tuple[str, ...] = ("oxide:Nd", "oxide:Pr", "oxide:Dy", "oxide:Tb", "magnet:*")
CHINA = "CHN"
# changes smaller than this (t) are rounding noise of the solver, not re-routing
TRADE_TOLERANCE_T = 1e-6
# months per period of each horizon step, and the step a period label shows

Progress = Callable[[int, int, str], None]
# the code a solve depends on (part of the cache key); the rest (metrics, web, ...) is not
SOLVE_MODULES = ("network.py", "network_builder.py", "calibration.py", "results.py")
SOLVE_PACKAGES = ("optimize", "scenario", "data", "pipeline")


class CompareError(UserError, ValueError):
    """Inputs that cannot be compared (a missing file, no common periods); one line."""


# ---------------------------------------------------------------------------------------------
# loading and running


class HorizonOverride(_HorizonOverride):
    """A horizon override whose bad values raise CompareError (see the pipeline's)."""

    error: ClassVar[type[Exception]] = CompareError


@dataclass
class Loaded:
    """A solved scenario to compare: its name, result and where it came from."""

    name: str
    result: Result
    source: Path
    cached: bool = False


def default_cache_dir() -> Path:
    """Where solved scenarios are kept between runs when no --out is given."""
    return Path(os.environ.get("TMPDIR", "/tmp")) / "rareflow-runs"


def _hash_files(digest: Any, files: Iterable[Path]) -> None:
    for path in sorted(files):
        digest.update(str(path.name).encode())
        digest.update(path.read_bytes())


def _inputs_hash(scenario: Any, horizon: dict[str, str] | None, foresight: str | None) -> str:
    """Hash of everything a solve depends on: the resolved scenario, the reference data (the
    packaged set and the scenario's data directory), the model's code and the overrides."""
    from rareflow.data.loader import packaged_dir

    digest = hashlib.sha256()
    digest.update(scenario.model_dump_json(exclude={"files"}).encode())
    digest.update(json.dumps({"horizon": horizon, "foresight": foresight}).encode())
    _hash_files(digest, packaged_dir().glob("*.csv"))
    if scenario.data:
        data = Path(scenario.data)
        if data.is_dir():
            _hash_files(digest, data.glob("*.csv"))
    package = Path(__file__).parent
    code = [package / f for f in SOLVE_MODULES if (package / f).exists()]
    for sub in SOLVE_PACKAGES:
        code += list((package / sub).rglob("*.py"))
    _hash_files(digest, code)
    return digest.hexdigest()


def scenario_horizon(path: Path) -> dict[str, str]:
    """The horizon a scenario file resolves to (start, end as YYYY-MM; step)."""
    from rareflow.scenario import load_scenario

    h = load_scenario(path).horizon
    return {"start": h.start.strftime("%Y-%m"), "end": h.end.strftime("%Y-%m"), "step": h.step}


def run_cached(
    path: Path,
    cache_dir: Path,
    override: HorizonOverride | None = None,
    foresight: str | None = None,
    progress: Progress | None = None,
) -> Loaded:
    """Solve the scenario file `path` (horizon optionally overridden), or reuse the cached
    result of an identical solve in `cache_dir`.

    The run goes through the pipeline exactly as `rareflow run` does.
    """
    from rareflow import pipeline

    scenario = pipeline.load(path)
    horizon = None
    if override is not None and not override.empty:
        h = scenario.horizon
        horizon = override.horizon(h.start.strftime("%Y-%m"), h.end.strftime("%Y-%m"), h.step)
    key = _inputs_hash(scenario, horizon, foresight)[:16]
    target = cache_dir / f"{scenario.name}-{key}"
    if (target / "summary.json").exists():
        return Loaded(scenario.name, Result.from_dir(target), path, cached=True)
    cache_dir.mkdir(parents=True, exist_ok=True)
    options = pipeline.RunOptions(
        foresight=foresight,
        until=horizon["end"] if horizon else None,
        start=horizon["start"] if horizon else None,
        step=horizon["step"] if horizon else None,
        summary={"scenario_file": str(path)},
    )
    # solve into a scratch directory and move it in place: a killed run leaves no half cache
    scratch = cache_dir / f".{scenario.name}-{key}-{os.getpid()}"
    try:
        result = pipeline.run(scenario, options, progress=progress)
        result.to_dir(scratch)
        if target.exists():
            shutil.rmtree(target)
        scratch.rename(target)
    finally:
        if scratch.exists():
            shutil.rmtree(scratch)
    return Loaded(scenario.name, result, path, cached=False)


def load_input(
    path: Path,
    cache_dir: Path,
    override: HorizonOverride | None = None,
    foresight: str | None = None,
    progress: Progress | None = None,
) -> Loaded:
    """A result directory as it is, or a scenario file solved (cached)."""
    if path.is_dir():
        try:
            result = Result.from_dir(path)
        except FileNotFoundError as exc:
            raise CompareError(str(exc)) from exc
        name = str(result.summary.get("scenario") or path.name)
        return Loaded(name, result, path, cached=True)
    if not path.exists():
        raise CompareError(f"{path}: no such scenario file or result directory")
    if path.suffix not in (".yaml", ".yml"):
        raise CompareError(
            f"{path}: expected a scenario file (.yaml) or a result directory (with summary.json)"
        )
    return run_cached(path, cache_dir, override, foresight, progress)


# ---------------------------------------------------------------------------------------------
# periods


def period_years(label: str) -> float:
    """Length in years of a period label: 2025 (year), 2025Q1 (quarter), 2025-01 (month)."""
    text = str(label)
    if "Q" in text.upper():
        return 0.25
    if len(text) == 4 and text.isdigit():
        return 1.0
    return 1.0 / 12.0


def period_start(label: str) -> pd.Timestamp:
    text = str(label).upper()
    if "Q" in text:
        return pd.Period(text, freq="Q").start_time
    if len(text) == 4:
        return pd.Timestamp(f"{text}-01-01")
    return pd.Period(text, freq="M").start_time


def period_mid(label: str) -> pd.Timestamp:
    start = period_start(label)
    return start + pd.Timedelta(days=365.25 * period_years(label) / 2.0)


def result_periods(result: Result) -> list[str]:
    """Periods of a result: from its summary, else from its tables."""
    if result.periods:
        return [str(p) for p in result.periods]
    seen: set[str] = set()
    for name in ("flows", "prices", "shortfalls", "trade"):
        seen |= {str(p) for p in result.table(name)["period"].dropna().unique()}
    return sorted(seen, key=period_start)


def common_periods(a: Result, b: Result) -> list[str]:
    pa, pb = result_periods(a), result_periods(b)
    common = [p for p in pa if p in set(pb)]
    if not common:
        span = lambda ps: f"{ps[0]}..{ps[-1]}" if ps else "none"  # noqa: E731
        raise CompareError(
            f"A and B have no period in common (A: {span(pa)}, B: {span(pb)}); run both with "
            "the same horizon step"
        )
    return common


def years_of(periods: Iterable[str]) -> float:
    return float(sum(period_years(p) for p in periods))


def _in(frame: pd.DataFrame, periods: list[str]) -> pd.DataFrame:
    return frame[frame["period"].astype(str).isin(periods)]


# ---------------------------------------------------------------------------------------------
# tables


def _outer(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """A and B side by side on their index, columns suffixed _a and _b."""
    return a.merge(b, how="outer", left_index=True, right_index=True, suffixes=("_a", "_b"))


def shortfall_change(
    a: pd.DataFrame, b: pd.DataFrame, keys: list[str], periods: list[str]
) -> pd.DataFrame:
    """Unserved demand (t over the periods) of A and B by `keys`, and B minus A."""
    cols = ["reference", "unserved"]
    ga = _in(a, periods).groupby(keys)[cols].sum()
    gb = _in(b, periods).groupby(keys)[cols].sum()
    out = _outer(ga, gb).fillna(0.0)
    out["change_t"] = out["unserved_b"] - out["unserved_a"]
    out["share_a"] = out["unserved_a"] / out["reference_a"].where(out["reference_a"] > 0)
    out["share_b"] = out["unserved_b"] / out["reference_b"].where(out["reference_b"] > 0)
    out = out.reset_index()
    order = out["change_t"].abs().sort_values(ascending=False, kind="stable").index
    return out.loc[order].reset_index(drop=True)


def expand_materials(patterns: Iterable[str], available: Iterable[str]) -> list[str]:
    """Materials matching ids or fnmatch patterns ('magnet:*'), in the order given."""
    avail = sorted(set(available))
    out: list[str] = []
    for pattern in patterns:
        for m in [pattern] if pattern in avail else fnmatch.filter(avail, pattern):
            if m not in out:
                out.append(m)
    return out


def use_weights(result: Result, periods: list[str]) -> pd.Series:
    """Demand of each (region, material) over the periods, t: reference final demand plus use
    as a process input. The weights of the 'outside China' prices."""
    sf = _in(result.shortfalls, periods)
    final = sf.groupby(["region", "material"])["reference"].sum()
    fl = _in(result.flows, periods)
    fl = fl[fl["kind"] == "process_input"]
    inter = fl.assign(value=fl["value"].astype(float).abs()).groupby(["region", "material"])
    total = final.add(inter["value"].sum(), fill_value=0.0)
    return total.astype(float)


def _price_series(
    result: Result, materials: list[str], periods: list[str], weights: pd.Series
) -> pd.DataFrame:
    """China's price and the demand-weighted price of the other regions, by material and
    period (USD/kg). Where the other regions have no demand at all, their plain mean."""
    p = _in(result.prices, periods)
    p = p[p["material"].isin(materials)].dropna(subset=["price"])
    china = p[p["region"] == CHINA].groupby(["material", "period"])["price"].mean()
    rest = p[p["region"] != CHINA].copy()
    w = weights.rename("w").reset_index()
    rest = rest.merge(w, on=["region", "material"], how="left")
    rest["w"] = rest["w"].fillna(0.0)
    has_weight = rest.groupby("material")["w"].transform("sum") > 0
    rest["w"] = rest["w"].where(has_weight, 1.0)
    rest["pw"] = rest["price"] * rest["w"]
    g = rest.groupby(["material", "period"])[["pw", "w"]].sum()
    outside = (g["pw"] / g["w"].where(g["w"] > 0)).rename("outside")
    out = pd.concat([china.rename("china"), outside], axis=1).reset_index()
    return out


def price_change(
    a: Result,
    b: Result,
    periods: list[str],
    materials: Iterable[str] = KEY_MATERIALS,
    names: tuple[str, str] = ("A", "B"),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(summary, series): mean prices inside China and outside it in A and B (USD/kg), their
    changes and the gap outside minus inside; the series by period for the charts."""
    available = set(a.prices["material"].astype(str)) | set(b.prices["material"].astype(str))
    mats = expand_materials(materials, available)
    weights = use_weights(a, periods)
    sa = _price_series(a, mats, periods, weights).assign(scenario=names[0])
    sb = _price_series(b, mats, periods, weights).assign(scenario=names[1])
    series = pd.concat([sa, sb], ignore_index=True)
    ma = sa.groupby("material")[["china", "outside"]].mean()
    mb = sb.groupby("material")[["china", "outside"]].mean()
    out = _outer(ma, mb).reindex(mats)
    out["change_china"] = out["china_b"] - out["china_a"]
    out["change_outside"] = out["outside_b"] - out["outside_a"]
    out["change_china_pct"] = 100 * out["change_china"] / out["china_a"].where(out["china_a"] > 0)
    out["change_outside_pct"] = (
        100 * out["change_outside"] / out["outside_a"].where(out["outside_a"] > 0)
    )
    out["gap_a"] = out["outside_a"] - out["china_a"]
    out["gap_b"] = out["outside_b"] - out["china_b"]
    out.index.name = "material"
    return out.reset_index(), series


def trade_change(a: Result, b: Result, periods: list[str]) -> pd.DataFrame:
    """Inflow of each importer and material by origin (t over the periods) in A and B."""
    keys = ["destination", "material", "origin"]
    ta = _in(a.trade, periods).groupby(keys)["value"].sum()
    tb = _in(b.trade, periods).groupby(keys)["value"].sum()
    out = pd.concat([ta.rename("a_t"), tb.rename("b_t")], axis=1).fillna(0.0)
    out["change_t"] = out["b_t"] - out["a_t"]
    out["change_t_per_yr"] = out["change_t"] / years_of(periods)
    out = out[out["change_t"].abs() > TRADE_TOLERANCE_T].reset_index()
    order = out["change_t"].abs().sort_values(ascending=False, kind="stable").index
    return out.loc[order].reset_index(drop=True)


def _listing(rows: pd.DataFrame) -> str:
    pairs = zip(rows["origin"], rows["change_t"].astype(float), strict=True)
    parts = [f"{origin} {abs(change):,.0f}" for origin, change in pairs if change]
    return "; ".join(parts)


def replacements(trade: pd.DataFrame) -> pd.DataFrame:
    """Who replaces whom: per importer and material, the origins that lose (t) and gain."""
    rows = []
    for (dest, mat), g in trade.groupby(["destination", "material"], sort=False):
        lost = g[g["change_t"] < 0].sort_values("change_t")
        gained = g[g["change_t"] > 0].sort_values("change_t", ascending=False)
        rows.append(
            {
                "destination": dest,
                "material": mat,
                # + 0.0 turns a -0.0 into 0.0
                "lost_t": float(-lost["change_t"].sum()) + 0.0,
                "gained_t": float(gained["change_t"].sum()) + 0.0,
                "net_t": float(g["change_t"].sum()) + 0.0,
                "losers": _listing(lost),
                "replaced_by": _listing(gained),
            }
        )
    cols = ["destination", "material", "lost_t", "gained_t", "net_t", "losers", "replaced_by"]
    out = pd.DataFrame(rows, columns=cols)
    if out.empty:
        return out
    size = out[["lost_t", "gained_t"]].max(axis=1)
    return out.loc[size.sort_values(ascending=False, kind="stable").index].reset_index(drop=True)


def self_sufficiency_change(a: Result, b: Result, periods: list[str]) -> pd.DataFrame:
    """Domestic output / domestic use by region and stage over the periods, A and B."""
    parts = []
    for res in (a, b):
        flows = _in(res.flows, periods)
        if flows.empty:
            parts.append(pd.DataFrame(columns=["production", "domestic_use"]))
            continue
        rel = reliance(flows, by="stage")
        parts.append(rel.groupby(["region", "stage"])[["production", "domestic_use"]].sum())
    out = _outer(parts[0], parts[1]).fillna(0.0)
    out = out.reset_index()
    out = out[~out["stage"].isin([*NON_RE_STAGES, "other"])]
    for s in ("a", "b"):
        use = out[f"domestic_use_{s}"]
        out[f"self_sufficiency_{s}"] = out[f"production_{s}"] / use.where(use > 1e-9)
    out["change_pp"] = 100 * (out["self_sufficiency_b"] - out["self_sufficiency_a"])
    order = out["change_pp"].abs().fillna(-1).sort_values(ascending=False, kind="stable").index
    return out.loc[order].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# the comparison


@dataclass
class Comparison:
    """Every table of a comparison of B against A over their common periods."""

    name_a: str
    name_b: str
    periods: list[str]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def years(self) -> float:
        return years_of(self.periods)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def write(self, out: Path) -> list[Path]:
        """CSV and Parquet of every table, comparison.json and charts.html in `out`."""
        out.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        for name, frame in self.tables.items():
            for suffix in ("csv", "parquet"):
                path = out / f"{name}.{suffix}"
                if suffix == "csv":
                    frame.to_csv(path, index=False)
                else:
                    frame.to_parquet(path, index=False)
                written.append(path)
        meta = {
            "a": self.name_a,
            "b": self.name_b,
            "periods": [self.periods[0], self.periods[-1]],
            "n_periods": len(self.periods),
            "years": self.years,
            "tables": sorted(self.tables),
        }
        (out / "comparison.json").write_text(json.dumps(meta, indent=2))
        written.append(out / "comparison.json")
        written.append(write_charts(self, out / "charts.html"))
        return written


def compare_results(
    a: Result,
    b: Result,
    names: tuple[str, str] = ("A", "B"),
    materials: Iterable[str] = KEY_MATERIALS,
) -> Comparison:
    """Compare B against A over the periods both cover."""
    periods = common_periods(a, b)
    tables: dict[str, pd.DataFrame] = {}
    for name, keys in (
        ("shortfall_by_region", ["region"]),
        ("shortfall_by_sector", ["sector"]),
        ("shortfall_by_material", ["material"]),
        ("shortfall_detail", ["region", "sector", "material"]),
    ):
        tables[name] = shortfall_change(a.shortfalls, b.shortfalls, keys, periods)
    tables["prices"], tables["price_series"] = price_change(a, b, periods, materials, names)
    tables["trade_rerouting"] = trade_change(a, b, periods)
    tables["replacements"] = replacements(tables["trade_rerouting"])
    tables["self_sufficiency"] = self_sufficiency_change(a, b, periods)
    return Comparison(names[0], names[1], periods, tables)


# ---------------------------------------------------------------------------------------------
# charts


def _figures(cmp: Comparison, top: int = 15) -> list[Any]:
    import plotly.express as px

    title = f"{cmp.name_b} minus {cmp.name_a}, {cmp.periods[0]} to {cmp.periods[-1]}"
    figs = []
    detail = cmp["shortfall_detail"]
    if not detail.empty:
        by = detail.groupby(["region", "material"], as_index=False)["change_t"].sum()
        figs.append(
            px.bar(
                by,
                x="region",
                y="change_t",
                color="material",
                title=f"Change of unserved demand by region and material (t): {title}",
                labels={"change_t": "t"},
            )
        )
        by = detail.groupby(["sector", "material"], as_index=False)["change_t"].sum()
        figs.append(
            px.bar(
                by,
                x="sector",
                y="change_t",
                color="material",
                title=f"Change of unserved demand by sector and material (t): {title}",
                labels={"change_t": "t"},
            )
        )
    series = cmp["price_series"]
    if not series.empty:
        long = series.melt(
            id_vars=["material", "period", "scenario"],
            value_vars=["china", "outside"],
            var_name="where",
            value_name="price",
        )
        long["line"] = long["scenario"] + " " + long["where"]
        figs.append(
            px.line(
                long,
                x="period",
                y="price",
                color="line",
                facet_col="material",
                facet_col_wrap=3,
                title="Prices inside China and outside it (demand-weighted), USD/kg",
                labels={"price": "USD/kg"},
            ).update_yaxes(matches=None)
        )
    trade = cmp["trade_rerouting"]
    if not trade.empty:
        pairs = cmp["replacements"].head(top)
        keep = trade.merge(pairs[["destination", "material"]], on=["destination", "material"])
        keep = keep.assign(flow=keep["destination"] + " " + keep["material"])
        figs.append(
            px.bar(
                keep,
                y="flow",
                x="change_t",
                color="origin",
                orientation="h",
                title=f"Trade re-routing: change of inflow by origin (t): {title}",
                labels={"change_t": "t", "flow": "importer, material"},
            )
        )
    ss = cmp["self_sufficiency"].dropna(subset=["change_pp"])
    if not ss.empty:
        grid = ss.pivot_table(index="region", columns="stage", values="change_pp")
        figs.append(
            px.imshow(
                grid,
                color_continuous_scale="RdBu",
                color_continuous_midpoint=0.0,
                aspect="auto",
                title=f"Change of self-sufficiency (percentage points): {title}",
                labels={"color": "pp"},
            )
        )
    return figs


def write_charts(cmp: Comparison, path: Path) -> Path:
    """All charts in one HTML page; plotly.js is embedded once, so the file works offline."""
    figs = _figures(cmp)
    parts = [
        fig.to_html(full_html=False, include_plotlyjs=(i == 0), default_height="520px")
        for i, fig in enumerate(figs)
    ]
    head = f"<h1>{cmp.name_b} against {cmp.name_a}</h1>"
    if not parts:
        parts = ["<p>Nothing differs between the two results.</p>"]
    body = "\n".join([head, *parts])
    path.write_text(
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f"<title>{cmp.name_b} vs {cmp.name_a}</title></head>\n<body>\n{body}\n</body></html>\n"
    )
    return path


def finite(value: Any) -> bool:
    """True for a real number that is not NaN or infinite."""
    try:
        return bool(np.isfinite(float(value)))
    except (TypeError, ValueError):
        return False
