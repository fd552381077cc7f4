"""A backtest from an episode to its error table: the episode's policy path run through the
pipeline on the base year's data vintage, lined up with the observations and scored."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from rareflow.backtest.episode import Episode, load_episode
from rareflow.backtest.replay import BacktestError, error_table, line_up, region_code
from rareflow.network import Network
from rareflow.results import Result

Progress = Callable[[int, int, str], None]
FIGURES = ("points", "direction", "within_2x", "mdale", "peak_lag_months")


@dataclass
class Backtest:
    episode: Episode
    result: Result
    lined: pd.DataFrame  # replay.LINEUP_COLUMNS
    errors: pd.DataFrame  # per series and forecaster, with the overall rows
    capacities: dict[str, pd.Series]  # magnet plants' t/yr by region and year


def _vintage_bases(
    episode: Episode, ref: Mapping[str, pd.DataFrame]
) -> dict[tuple[str, str], float]:
    """The vintage's base-year value of each observed series it holds: prices in USD/kg
    (China's market for 'China', the ex-China market elsewhere) and a country's mine output
    (t REO); the base where nothing was observed before the base date."""
    from rareflow.data.loader import base_edition
    from rareflow.reference_prices import KG_PER_T, reference_price

    out: dict[tuple[str, str], float] = {}
    obs = episode.observed
    for indicator, material, where in (
        obs[["indicator", "material", "where"]].drop_duplicates().itertuples(index=False)
    ):
        key = (str(material), str(where))
        if indicator == "price":
            region = "CHN" if where == "China" else "JPN"
            try:
                out[key] = (
                    reference_price(ref["prices"], str(material), region, episode.base_year)
                    / KG_PER_T
                )
            except KeyError:
                out[key] = math.nan
        elif indicator == "production" and region_code(str(where)) is not None:
            # USGS's country figure; a country it lists no output for mined nothing
            mines = ref["mine_production"]
            rows = mines[
                (mines["edition"] == base_edition(ref, episode.base_year))
                & (mines["year"] == episode.base_year)
                & (mines["region"] == region_code(str(where)))
            ]
            out[key] = float(rows["quantity"].sum())
    return out


# the sourced range of the demand elasticities (elasticities.csv columns): an uncertain
# behaviour parameter is shown across its range, never fitted to the episode
ELASTICITY_BOUNDS = ("value", "low", "high")


def _with_elasticities(reference: Mapping[str, pd.DataFrame], bound: str) -> dict[str, Any]:
    """The reference tables with every demand elasticity at its `bound` (low: the most
    elastic end of its sourced range, high: the least elastic)."""
    tables = dict(reference)
    e = tables["elasticities"].copy()
    demand = e["side"] == "demand"
    e.loc[demand, "value"] = e.loc[demand, bound]
    tables["elasticities"] = e
    return tables


def magnet_capacity(network: Network, years: range) -> dict[str, pd.Series]:
    """t/yr of the magnet plants standing in each of `years`, by region (recipe variants of a
    plant share its capacity and are not counted twice)."""
    stage = network.processes.set_index("process")["stage"]
    plants = network.facilities[
        network.facilities["process"].map(stage).eq("magnet")
        & ~network.facilities["facility"].astype(str).str.contains("~", regex=False)
    ]
    cap = network.facility_capacity.merge(plants[["facility", "region"]], on="facility")
    out: dict[str, pd.Series] = {}
    for region, rows in cap.groupby("region"):
        total = []
        for year in years:
            standing = rows[rows["year"] <= year].sort_values("year").groupby("facility").tail(1)
            total.append(float(standing["capacity"].sum()))
        out[str(region)] = pd.Series(total, index=list(years), dtype=float)
    return out


def run_backtest(
    episode: str | Path | Episode,
    *,
    until: str | None = None,
    step: str | None = None,
    foresight: str | None = None,
    elasticities: str = "value",
    progress: Progress | None = None,
) -> Backtest:
    """Replay `episode` (a shipped name, a file or an Episode) and score it; `until` and
    `step` cut or coarsen the replay (the scores then count the points it reaches);
    `elasticities` 'low' or 'high' puts every demand elasticity at that end of its range."""
    from rareflow import pipeline
    from rareflow.data.loader import load_reference, vintage_dir

    if elasticities not in ELASTICITY_BOUNDS:
        raise BacktestError(
            f"elasticities '{elasticities}': expected one of {', '.join(ELASTICITY_BOUNDS)}"
        )
    ep = episode if isinstance(episode, Episode) else load_episode(episode)
    options = pipeline.RunOptions(until=until, step=step, foresight=foresight)
    scenario = pipeline.load(ep.scenario, options)
    if scenario.vintage != ep.base_year:
        raise BacktestError(
            f"episode {ep.name}: its scenario {scenario.name} runs on vintage "
            f"{scenario.vintage}, expected the episode's base year {ep.base_year}"
        )
    vintage = load_reference(vintage_dir(ep.base_year))  # read once: the run and its bases
    applied = pipeline.prepare(scenario, _with_elasticities(vintage, elasticities))
    result = pipeline.solve_applied(applied, options.foresight, progress)
    result.summary["scenario"] = scenario.name
    result.summary["elasticities"] = elasticities
    years = range(applied.horizon.periods["year"].min(), applied.horizon.periods["year"].max() + 1)
    capacities = magnet_capacity(applied.network, years)
    lined = line_up(ep, result, _vintage_bases(ep, vintage), ep.fx, capacities)
    return Backtest(ep, result, lined, error_table(lined), capacities)


def markdown_table(errors: pd.DataFrame) -> str:
    """The error table as Markdown: a row per series, the three forecasters side by side."""
    head = (
        "| series | points | direction (model / no change / trend) | within 2x | "
        "median abs log error | peak lag, months |\n|---|---:|---|---|---|---|\n"
    )

    def fmt(value: float, digits: int = 2) -> str:
        return "-" if math.isnan(value) else f"{value:.{digits}f}"

    lines = []
    for series, group in errors.groupby("series", sort=False):
        # forecaster -> figure -> value (NaN where a figure is undefined)
        by: dict[str, dict[str, float]] = {
            str(row["forecaster"]): {k: float(row[k]) for k in FIGURES}
            for row in group.to_dict("records")
        }
        order = ("model", "no_change", "trend")
        cells = [
            " / ".join(fmt(by[f][col]) for f in order)
            for col in ("direction", "within_2x", "mdale")
        ]
        lag = " / ".join(fmt(by[f]["peak_lag_months"], 0) for f in order)
        points = int(by["model"]["points"])
        lines.append(f"| {series} | {points} | {' | '.join(cells)} | {lag} |")
    return head + "\n".join(lines) + "\n"
