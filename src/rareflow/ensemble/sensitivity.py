"""What an ensemble says: P5/P50/P95 bands over time, and Sobol indices (SALib).

Bands are across samples, per period: the unserved share of reference demand by region and
sector (and by region over all sectors, sector 'all'), and prices by region and material.
Sobol indices need a `--method sobol` ensemble: first-order S1 (the share of the outcome's
variance due to a parameter group alone) and total ST (alone and with others), with
bootstrap 95% confidence half-widths. Charts are standalone plotly HTML (the library is
embedded, no network needed to view them).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from rareflow.ensemble.sampling import salib_problem
from rareflow.ensemble.store import EnsembleStore, StoreError
from rareflow.errors import UserError

QUANTILES = {"p5": 0.05, "p50": 0.5, "p95": 0.95}


class SensitivityError(UserError, ValueError):
    """Indices asked of an ensemble that cannot give them."""


def _bands(frame: pd.DataFrame, keys: list[str], value: str) -> pd.DataFrame:
    grouped = frame.groupby(keys)[value]
    out = pd.concat({k: grouped.quantile(q) for k, q in QUANTILES.items()}, axis=1)
    out["samples"] = grouped.size()
    return out.reset_index()


def shortfall_bands(store: EnsembleStore) -> pd.DataFrame:
    """region, sector (or 'all'), period, p5, p50, p95 of the unserved share, samples."""
    sf = store.read("shortfalls")
    by_sector = sf.assign(share=sf["unserved"] / sf["reference"])
    total = sf.groupby(["sample_id", "region", "period"], as_index=False)[
        ["reference", "unserved"]
    ].sum()
    total = total.assign(sector="all", share=total["unserved"] / total["reference"])
    both = pd.concat([by_sector, total], ignore_index=True)
    return _bands(both, ["region", "sector", "period"], "share")


def price_bands(store: EnsembleStore) -> pd.DataFrame:
    """region, material, period, p5, p50, p95 of the price (USD/kg), samples."""
    return _bands(store.read("prices"), ["region", "material", "period"], "price")


def _band_chart(bands: pd.DataFrame, keys: list[str], title: str, ytitle: str, path: Path) -> None:
    """One trace group per key combination; a dropdown shows one at a time."""
    import plotly.graph_objects as go

    fig = go.Figure()
    combos = list(bands.groupby(keys, sort=True).groups)
    buttons = []
    for i, combo in enumerate(combos):
        combo_t = combo if isinstance(combo, tuple) else (combo,)
        part = bands
        for k, v in zip(keys, combo_t, strict=True):
            part = part[part[k] == v]
        part = part.sort_values("period")
        label = " / ".join(str(v) for v in combo_t)
        visible = i == 0
        x = part["period"].astype(str)
        fig.add_trace(
            go.Scatter(
                x=x, y=part["p95"], line={"width": 0}, showlegend=False, visible=visible, name="P95"
            )
        )
        fig.add_trace(
            go.Scatter(
                x=x, y=part["p5"], fill="tonexty", line={"width": 0}, name="P5-P95", visible=visible
            )
        )
        fig.add_trace(go.Scatter(x=x, y=part["p50"], name="P50", visible=visible))
        mask = [False] * (3 * len(combos))
        mask[3 * i : 3 * i + 3] = [True, True, True]
        buttons.append({"label": label, "method": "update", "args": [{"visible": mask}]})
    fig.update_layout(
        title=title,
        yaxis_title=ytitle,
        updatemenus=[{"buttons": buttons, "x": 1.0, "y": 1.15, "xanchor": "right"}],
    )
    fig.write_html(path, include_plotlyjs=True, full_html=True)


def write_bands(directory: str | Path) -> list[Path]:
    """bands_shortfall.csv/html and bands_price.csv/html in the ensemble directory."""
    store = EnsembleStore(directory)
    out = Path(directory)
    short = shortfall_bands(store)
    price = price_bands(store)
    short.to_csv(out / "bands_shortfall.csv", index=False)
    price.to_csv(out / "bands_price.csv", index=False)
    # the chart shows region totals and each sector of the regions with any shortfall
    hit = short.groupby("region")["p95"].transform("max") > 0
    shown = short[hit | (short["sector"] == "all")]
    _band_chart(
        shown,
        ["region", "sector"],
        "Unserved share of demand, P5-P95 across samples",
        "unserved share",
        out / "bands_shortfall.html",
    )
    moved = price.groupby(["region", "material"])["p95"].transform("max") > 0
    _band_chart(
        price[moved],
        ["region", "material"],
        "Price, P5-P95 across samples",
        "USD/kg",
        out / "bands_price.html",
    )
    return [
        out / n
        for n in (
            "bands_shortfall.csv",
            "bands_shortfall.html",
            "bands_price.csv",
            "bands_price.html",
        )
    ]


# ---------------------------------------------------------------------------------------------
# Sobol


def default_outcomes(outcomes: pd.DataFrame) -> list[str]:
    regional = [c for c in outcomes.columns if c.startswith("shortfall_") and c.count("_") == 1]
    return ["welfare", "unserved_t", *regional]


# An index is read as a number only when its 95% interval is narrow enough to tell it apart
# from its neighbours: a half-width above this (on the 0..1 scale of the indices) and above the
# index itself means the sample is too small for that index (SALib's bootstrap intervals;
# Saltelli et al. 2010, "Variance based sensitivity analysis of model output", sec. 4).
CONF_WIDTH_LIMIT = 0.1


def reliability(table: pd.DataFrame) -> pd.DataFrame:
    """`table` with `reliable` (bool) and `warning` (text, '' when reliable) per row.

    Unreliable: an index below zero by more than its half-width (a sampling artefact: variance
    shares cannot be negative), or a half-width over CONF_WIDTH_LIMIT and wider than the index.
    """
    warnings: list[str] = []
    for row in table.itertuples(index=False):
        problems = []
        for name in ("S1", "ST"):
            value = float(getattr(row, name))
            conf = float(getattr(row, f"{name}_conf"))
            if value < -conf:
                problems.append(f"{name}={value:.2f} is negative beyond its interval ±{conf:.2f}")
            elif conf > CONF_WIDTH_LIMIT and conf > abs(value):
                problems.append(f"{name}={value:.2f} has an interval ±{conf:.2f} wider than itself")
        warnings.append("; ".join(problems))
    return table.assign(reliable=[w == "" for w in warnings], warning=warnings)


def sobol_from_samples(groups: list[str], y: np.ndarray, seed: int = 0) -> pd.DataFrame:
    """S1, S1_conf, ST, ST_conf per group from outputs in Saltelli order (SALib)."""
    from SALib.analyze import sobol as salib_sobol

    problem = salib_problem(groups)
    res = salib_sobol.analyze(
        problem, np.asarray(y, dtype=float), calc_second_order=False, seed=seed
    )
    return pd.DataFrame(
        {
            "parameter": groups,
            "S1": res["S1"],
            "S1_conf": res["S1_conf"],
            "ST": res["ST"],
            "ST_conf": res["ST_conf"],
        }
    )


def sobol_indices(directory: str | Path, outcomes: list[str] | None = None) -> pd.DataFrame:
    """outcome, parameter (group), S1, S1_conf, ST, ST_conf, reliable, warning per outcome."""
    store = EnsembleStore(directory)
    meta = store.meta()
    if meta.get("method") != "sobol":
        raise SensitivityError(
            f"{directory}: Sobol indices need an ensemble run with --method sobol "
            f"(this one used {meta.get('method')})"
        )
    table = store.read("outcomes")
    if len(table) != int(meta["rows"]):
        raise SensitivityError(
            f"{directory}: {len(table)} of {meta['rows']} samples finished; run "
            "`rareflow ensemble ... --resume` to complete it first"
        )
    names = outcomes or default_outcomes(table)
    unknown = [n for n in names if n not in table.columns]
    if unknown:
        raise SensitivityError(
            f"unknown outcome {', '.join(unknown)}; expected columns of outcomes such as "
            + ", ".join(default_outcomes(table)[:6])
        )
    table = table.sort_values("sample_id")
    parts = []
    for name in names:
        y = table[name].to_numpy(dtype=float)
        if not np.isfinite(y).all():
            raise SensitivityError(f"outcome {name} has missing values in some samples")
        if np.ptp(y) == 0:
            frame = pd.DataFrame(
                {"parameter": meta["groups"], "S1": 0.0, "S1_conf": 0.0, "ST": 0.0, "ST_conf": 0.0}
            )
        else:
            frame = sobol_from_samples(list(meta["groups"]), y, seed=int(meta.get("seed", 0)))
        parts.append(frame.assign(outcome=name))
    out = pd.concat(parts, ignore_index=True)
    return reliability(out[["outcome", "parameter", "S1", "S1_conf", "ST", "ST_conf"]])


def write_sobol(directory: str | Path, table: pd.DataFrame) -> list[Path]:
    """sobol.csv and sobol.html (grouped bars of S1 and ST with confidence intervals)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    out = Path(directory)
    table.to_csv(out / "sobol.csv", index=False)
    names = list(dict.fromkeys(table["outcome"]))
    fig = make_subplots(rows=len(names), cols=1, subplot_titles=names)
    for i, name in enumerate(names, start=1):
        part = table[table["outcome"] == name]
        for col, colour in (("S1", "#1f77b4"), ("ST", "#ff7f0e")):
            fig.add_trace(
                go.Bar(
                    x=part["parameter"],
                    y=part[col],
                    name=col,
                    marker_color=colour,
                    # faded bars: the sample is too small to read that index (see reliability)
                    marker_opacity=[1.0 if ok else 0.35 for ok in part["reliable"]],
                    hovertext=part["warning"].where(part["warning"] != "", "reliable"),
                    error_y={"type": "data", "array": part[f"{col}_conf"]},
                    showlegend=i == 1,
                ),
                row=i,
                col=1,
            )
    fig.update_layout(
        title="Sobol indices (first order S1, total ST; faded: interval too wide to read)",
        barmode="group",
        height=max(300, 260 * len(names)),
    )
    fig.write_html(out / "sobol.html", include_plotlyjs=True, full_html=True)
    return [out / "sobol.csv", out / "sobol.html"]


__all__ = [
    "SensitivityError",
    "StoreError",
    "price_bands",
    "reliability",
    "shortfall_bands",
    "sobol_from_samples",
    "sobol_indices",
    "write_bands",
    "write_sobol",
]
