"""`rareflow compare A B` and `rareflow brief seed`: printed tables, files in --out.

Registered in `rareflow.cli` as `app.command("compare")(compare)` and
`app.command("brief")(brief)`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from rareflow.brief import seed_brief
from rareflow.cli.errors import fail
from rareflow.cli.options import ForesightOption, StepOption, UntilOption
from rareflow.comparison import (
    Comparison,
    Loaded,
    compare_results,
    default_cache_dir,
    finite,
    load_input,
)
from rareflow.comparison.findings import comparison_findings
from rareflow.comparison.timeline import restricted_materials
from rareflow.errors import RareflowError, one_line
from rareflow.pipeline.options import RunOptions
from rareflow.scenario.shipped import SCENARIOS_DIR as _SHIPPED_SCENARIOS

SCENARIOS_DIR = _SHIPPED_SCENARIOS


def _cell(value: Any, fmt: str) -> str:
    if isinstance(value, float):
        return fmt.format(value) if finite(value) else ""
    return "" if value is None else str(value)


def print_table(
    console: Console,
    frame: pd.DataFrame,
    title: str,
    columns: dict[str, str],
    top: int | None = None,
) -> None:
    """Print `columns` (name -> format for numbers) of the first `top` rows of `frame`."""
    table = Table(title=title)
    for col in columns:
        numeric = pd.api.types.is_numeric_dtype(frame[col]) if col in frame else False
        table.add_column(col, justify="right" if numeric else "left")
    shown = frame if top is None else frame.head(top)
    for values in shown.to_dict("records"):
        table.add_row(*[_cell(values.get(c), fmt) for c, fmt in columns.items()])
    console.print(table)
    if top is not None and len(frame) > top:
        console.print(f"  ({len(frame) - top} more rows in the files written with --out)")


def _progress(console: Console) -> Callable[[int, int, str], None] | None:
    if not sys.stdout.isatty():
        return None

    def show(done: int, total: int, label: str) -> None:
        console.print(f"  {label} {done}/{total}", highlight=False)

    return show


T = "{:,.0f}"
P = "{:.1%}"
U = "{:,.1f}"


def _load_both(
    console: Console,
    paths: tuple[Path, Path],
    cache: Path,
    options: RunOptions,
) -> tuple[Loaded, Loaded]:
    """A and B, each a result directory read or a scenario file solved (or its cached
    result); B's solve refreshes A's in-place model where only bounds and costs differ."""
    from rareflow.optimize.warm import ModelStore

    models = ModelStore()
    loaded = []
    for path in paths:
        if path.is_file():
            console.print(f"solving {path} (or reusing a cached result) ...")
        progress = _progress(console)
        loaded.append(load_input(path, cache, options, progress, models))
    return loaded[0], loaded[1]


def compare(
    a: Annotated[Path, typer.Argument(help="scenario YAML file or result directory (A)")],
    b: Annotated[Path, typer.Argument(help="scenario YAML file or result directory (B)")],
    out: Annotated[
        Path | None, typer.Option("--out", help="directory for tables (CSV, Parquet) and charts")
    ] = None,
    until: UntilOption = None,
    step: StepOption = None,
    foresight: ForesightOption = None,
    top: Annotated[int, typer.Option("--top", help="rows printed per table")] = 12,
) -> None:
    """Compare B against A: shortfalls, prices inside and outside China, trade re-routing and
    self-sufficiency. Scenario files are solved (results cached in --out/runs or a temporary
    directory); result directories are read as they are."""
    # piped output gets wide tables rather than rich's 80 columns, which cut material names
    console = Console(width=None if sys.stdout.isatty() else 150)
    cache = (out / "runs") if out is not None else default_cache_dir()
    try:
        la, lb = _load_both(
            console, (a, b), cache, RunOptions(foresight=foresight, until=until, step=step)
        )
        names = (la.name, lb.name) if la.name != lb.name else (f"A:{la.name}", f"B:{lb.name}")
        cmp = compare_results(la.result, lb.result, names)
    except RareflowError as exc:
        fail(one_line(exc))
    console.print(
        f"[bold]{cmp.name_b}[/bold] minus [bold]{cmp.name_a}[/bold], "
        f"{cmp.periods[0]}..{cmp.periods[-1]} ({len(cmp.periods)} periods, "
        f"{cmp.years:.2f} years); tonnes over these periods unless marked t/yr"
    )
    console.print("[bold]Key findings[/bold]")
    for sentence in comparison_findings(cmp, lb.result, la.result):
        console.print(f"  - {sentence}", highlight=False)
    short = {"reference_a": T, "unserved_a": T, "unserved_b": T, "change_t": T, "share_a": P}
    short["share_b"] = P
    for key, label in (("region", "region"), ("sector", "sector"), ("material", "material")):
        print_table(
            console,
            cmp[f"shortfall_by_{key}"],
            f"Unserved demand by {label} (t)",
            {key: "", **short},
            top,
        )
    print_table(
        console,
        cmp["prices"],
        "Prices inside China and outside it (demand-weighted mean, USD/kg)",
        {
            "material": "",
            "china_a": U,
            "outside_a": U,
            "china_b": U,
            "outside_b": U,
            "change_china_pct": "{:+.1f}%",
            "change_outside_pct": "{:+.1f}%",
            "gap_b": U,
        },
    )
    print_table(
        console,
        cmp["replacements"],
        "Trade re-routing: who replaces whom (t)",
        {
            "destination": "",
            "material": "",
            "lost_t": T,
            "gained_t": T,
            "losers": "",
            "replaced_by": "",
        },
        top,
    )
    print_table(
        console,
        cmp["self_sufficiency"],
        "Self-sufficiency by region and stage (domestic output / domestic use)",
        {
            "region": "",
            "stage": "",
            "self_sufficiency_a": P,
            "self_sufficiency_b": P,
            "change_pp": "{:+.1f}",
        },
        top,
    )
    _print_month_by_month(console, cmp)
    _print_monthly_shortage(console, cmp)
    _print_monthly_prices(console, cmp, set(restricted_materials(la.result, lb.result)))
    if out is not None:
        written = cmp.write(out)
        console.print(f"wrote {len(written)} files to {out} (charts: {out / 'charts.html'})")


def _print_b_and_change(
    console: Console, frame: pd.DataFrame, by: str, title: str, columns: list[tuple[str, str]]
) -> None:
    """A table of B per period with B - A beside it (t), one column per (`by` value, label)."""
    if frame.empty:
        return
    wide = frame.pivot(index="period", columns=by, values="b").astype(float)
    change = frame.pivot(index="period", columns=by, values="change").astype(float)
    table = Table(title=title)
    table.add_column("period")
    for _, label in columns:
        table.add_column(label, justify="right")
    for period in wide.index:
        cells = [
            f"{wide.loc[period, key]:,.0f} ({change.loc[period, key]:+,.0f})" for key, _ in columns
        ]
        table.add_row(str(period), *cells)
    console.print(table)


def _print_month_by_month(console: Console, cmp: Comparison) -> None:
    """The restricted materials' exports, arrivals, backlog and stocks, and shortage outside
    China, period by period (B, with B - A beside it)."""
    columns = [
        ("exports_from_china", "exports CHN"),
        ("arrivals_outside_china", "arrivals outside"),
        ("licence_backlog", "backlog"),
        ("stocks_outside_china", "stocks outside"),
        ("stocks_in_china", "stocks CHN"),
        ("shortage_outside_china", "shortage outside"),
    ]
    title = (
        f"Month by month, {cmp.name_b} (change against {cmp.name_a}); t per period, "
        "restricted materials"
    )
    _print_b_and_change(console, cmp["month_by_month"], "measure", title, columns)


def _print_monthly_shortage(console: Console, cmp: Comparison) -> None:
    """Physical shortage outside China by sector, period by period (B with B - A beside it),
    for the sectors short in either run; nothing when none is."""
    frame = cmp["shortage_by_sector"]
    sectors = sorted(str(s) for s in frame["sector"].unique()) if len(frame) else []
    title = (
        f"Physical shortage outside China by sector, month by month, {cmp.name_b} "
        f"(change against {cmp.name_a}); t per period, every material"
    )
    _print_b_and_change(console, frame, "sector", title, [(s, s) for s in sectors])


def _print_monthly_prices(console: Console, cmp: Comparison, restricted: set[str]) -> None:
    """Prices outside China (use-weighted spot, and the volume-weighted price of contracts and
    spot, rareflow.metrics.traded_prices) and in China, period by period, of the key
    materials the month-by-month table counts (`restricted`, timeline.restricted_materials;
    USD/kg, B with B - A beside it)."""
    series = cmp["price_series"]
    mats = [m for m in dict.fromkeys(series["material"]) if m in restricted]
    if not mats:
        return
    wide = series.pivot_table(
        index="period",
        columns=["material", "scenario"],
        values=["outside", "outside_vw", "china"],
    )
    table = Table(
        title=f"Prices month by month, {cmp.name_b} (change against {cmp.name_a}); USD/kg, "
        "outside China: spot (use-weighted), then volume-weighted (contracts + spot) / in China"
    )
    table.add_column("period")
    for material in mats:
        table.add_column(material, justify="right")
    for period in wide.index:
        row = wide.loc[period]
        cells = []
        for material in mats:
            out_b, out_a, vw_b, chn_b = (
                float(row.get((where, material, name), np.nan))
                for where, name in (
                    ("outside", cmp.name_b),
                    ("outside", cmp.name_a),
                    ("outside_vw", cmp.name_b),
                    ("china", cmp.name_b),
                )
            )
            cells.append(f"{out_b:,.1f} ({out_b - out_a:+,.1f}) vw {vw_b:,.1f} / {chn_b:,.1f}")
        table.add_row(str(period), *cells)
    console.print(table)


def brief(
    topic: Annotated[str, typer.Argument(help="what to brief on: seed")],
    out: Annotated[
        Path | None, typer.Option("--out", help="directory for brief.md (and cached runs)")
    ] = None,
    scenarios: Annotated[
        Path, typer.Option("--scenarios", help="directory of the scenario files")
    ] = SCENARIOS_DIR,
    until: UntilOption = None,
    step: StepOption = None,
    foresight: ForesightOption = None,
) -> None:
    """Answer the seed article's questions with numbers: what Japan loses from the IREL pause
    and who fills it, what stays in India, when India's NdFeB output covers its imports, and
    which link of India's chain binds first."""
    if topic != "seed":
        fail(f"brief: unknown topic '{topic}' (expected: seed)")
    console = Console(stderr=True)
    cache = (out / "runs") if out is not None else default_cache_dir()

    def announce(name: object) -> None:
        console.print(f"solving {name} (or reusing a cached result) ...", highlight=False)

    try:
        RunOptions(foresight=foresight, until=until, step=step)  # checked before any solve
        result = seed_brief(scenarios, cache, until, step, announce=announce, foresight=foresight)
    except RareflowError as exc:
        fail(one_line(exc))
    text = result.markdown()
    typer.echo(text)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "brief.md").write_text(text)
        console.print(f"wrote {out / 'brief.md'}")
