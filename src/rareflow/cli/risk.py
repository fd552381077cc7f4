"""`rareflow risk ...`: risk measures of a region for the baseline and a scenario, and the
single-points-of-failure ranking.

    rareflow risk --region IND [--scenario FILE] [--chart matrix.svg]
    rareflow risk spof --region JPN [--top N] [--scenario FILE]

User errors (unknown region, bad scenario file, bad data) print one line and exit with 2.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console

from rareflow.cli.data import render
from rareflow.cli.errors import user_errors
from rareflow.cli.options import ForesightOption, StepOption, UntilOption
from rareflow.errors import UserError
from rareflow.metrics.common import EU_GROUPS, SPOF_KINDS

METRIC_TABLES = ("governance", "criticality_inputs")

risk_app = typer.Typer(
    name="risk",
    help="Concentration, reliance, cover, criticality and single points of failure.",
    add_completion=False,
)

RegionOption = Annotated[str | None, typer.Option("--region", help="Region code, e.g. IND.")]
ScenarioOption = Annotated[
    str | None,
    typer.Option("--scenario", help="Scenario (shipped name or file) compared with the baseline."),
]
BaselineOption = Annotated[
    str,
    typer.Option("--baseline", help="Baseline scenario (shipped name or file)."),
]


class RiskUsageError(UserError):
    """A bad option of a `rareflow risk` command: one line, exit status 2."""


def _console() -> Console:
    return Console(width=160, soft_wrap=False)


def _reference(data: str | None) -> dict[str, pd.DataFrame]:
    """The reference tables; the two tables of the metrics are read from the packaged CSVs
    when the loaded set does not hold them (until the schema declares them)."""
    from rareflow.data.loader import load_reference, packaged_dir

    ref = dict(load_reference(Path(data) if data else None))
    for name in METRIC_TABLES:
        if name not in ref:
            ref[name] = pd.read_csv(packaged_dir() / f"{name}.csv")
    return ref


# a ranking solves one variant per candidate: two years by quarter tell the order at a fraction
# of the cost of the scenario's own horizon (--until/--step change it)
SPOF_UNTIL = "2026-12"
SPOF_STEP = "quarter"


def _options(foresight: str | None, until: str | None, step: str | None) -> Any:
    """The run options, checked before anything is read or solved."""
    from rareflow import pipeline

    return pipeline.RunOptions(foresight=foresight, until=until, step=step)


def _spof_options(ref: str, options: Any) -> Any:
    """The ranking's horizon: what the user asked, else the scenario's cut at SPOF_UNTIL and
    coarsened to SPOF_STEP where it is monthly."""
    from dataclasses import replace

    from rareflow import pipeline

    h = pipeline.load(ref).horizon
    until = options.until or min(h.end.strftime("%Y-%m"), SPOF_UNTIL)
    step = options.step or (SPOF_STEP if h.step == "month" else h.step)
    return replace(options, until=until, step=step)


def _prepare(ref: str, options: Any = None) -> Any:
    from rareflow import pipeline

    return pipeline.prepare(pipeline.load(ref, options))


def _solve(applied: Any, options: Any = None) -> Any:
    from rareflow import pipeline

    return pipeline.solve_applied(applied, options.foresight if options is not None else None)


def _label(ref: str) -> str:
    """A scenario's label in file names and titles: the file's stem or the shipped name."""
    return Path(ref).stem


def _ranking_progress(console: Console) -> Callable[[int, int], None]:
    """Solves done and the time left, estimated from the pace so far: rewritten in place on a
    terminal, a line per tenth of the solves when the output is a file or a pipe."""
    start = time.perf_counter()
    tty = sys.stdout.isatty()

    def show(done: int, total: int) -> None:
        left = (time.perf_counter() - start) / done * (total - done) if done else 0.0
        text = f"  solved {done}/{total}, about {left / 60:.0f} min {left % 60:02.0f} s left"
        if tty:
            console.print(text, end="\r")
        elif done == total or done % max(1, total // 10) == 0:
            console.print(text)

    return show


def _known_regions(ref: str, options: Any) -> set[str]:
    """The region codes a run of `ref` will know, read without loading the scenario's data:
    the shipped regions.csv, unless the scenario file sets its own `data:` directory (then the
    scenario is loaded to find it, which is slower)."""
    import csv
    import re

    from rareflow.data.loader import packaged_dir

    path = packaged_dir() / "regions.csv"
    source = Path(ref)
    if source.is_file() and re.search(r"^data\s*:", source.read_text(encoding="utf-8"), re.M):
        from rareflow import pipeline

        data = pipeline.load(ref, options).data
        if data and (Path(data) / "regions.csv").is_file():
            path = Path(data) / "regions.csv"
    with path.open(encoding="utf-8") as handle:
        return {row["code"] for row in csv.DictReader(handle)}


def _refuse_unknown_region(ref: str, options: Any, region: str) -> None:
    """An unknown region is a user's mistake: refused before any data is loaded or solved."""
    import difflib

    known = _known_regions(ref, options)
    if region in known:
        return
    close = difflib.get_close_matches(region.upper(), sorted(known), n=1, cutoff=0.5)
    guess = f"did you mean '{close[0]}'? " if close else ""
    raise RiskUsageError(
        f"unknown region '{region}' ({guess}expected one of {', '.join(sorted(known))})"
    )


def _check_region(applied: Any, region: str | None) -> str:
    if not region:
        raise RiskUsageError("--region is required (a region code such as IND or JPN)")
    known = set(applied.network.regions["region"])
    if region not in known:
        raise RiskUsageError(
            f"unknown region '{region}' (expected one of {', '.join(sorted(known))})"
        )
    return region


def _chart_points(
    reference: dict[str, pd.DataFrame], base: pd.DataFrame, scen: pd.DataFrame | None, name: str
) -> pd.DataFrame:
    ci = reference["criticality_inputs"]
    published = ci[(ci["stage"] == "assessment") & ci["material"].isin(list(EU_GROUPS))]
    wide = published.pivot_table(index="material", columns="parameter", values="value")
    ei = {str(k): float(v) for k, v in wide["economic_importance"].items()}
    sr = {str(k): float(v) for k, v in wide["supply_risk"].items()}
    rows = [{"label": g, "ei": ei[g], "sr": sr[g], "series": "EU 2023 (published)"} for g in ei]
    for label, frame in (("baseline", base), (name, scen)):
        if frame is None:
            continue
        rows.extend(
            {
                "label": str(group),
                "ei": ei[str(group)],
                "sr": float(value),
                "series": f"rareflow {label}",
            }
            for group, value in zip(frame["group"], frame["supply_risk"], strict=True)
            if str(group) in ei
        )
    return pd.DataFrame(rows)


@risk_app.callback(invoke_without_command=True)
def risk(
    ctx: typer.Context,
    region: RegionOption = None,
    scenario: ScenarioOption = None,
    baseline: BaselineOption = "baseline",
    foresight: ForesightOption = None,
    until: UntilOption = None,
    step: StepOption = None,
    chart: Annotated[
        Path | None,
        typer.Option("--chart", help="Write the criticality matrix (SVG) here.", dir_okay=False),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the per-period tables (CSV) here.", file_okay=False),
    ] = None,
) -> None:
    """Every risk measure of a region for the baseline and a scenario, with deltas."""
    if ctx.invoked_subcommand is not None:
        return
    console = _console()
    with user_errors():
        if not region:
            raise RiskUsageError("--region is required (a region code such as IND or JPN)")
        options = _options(foresight, until, step)
        _refuse_unknown_region(baseline, options, region)
        # the measures need the solver stack: imported once the arguments are known good
        from rareflow.metrics.report import compare, criticality_svg, full_tables, measures

        base_applied = _prepare(baseline, options)
        region = _check_region(base_applied, region)
        reference = _reference(base_applied.scenario.data)
        runs = [("baseline", base_applied)]
        if scenario is not None:
            runs.append((_label(scenario), _prepare(scenario, options)))
        summaries = []
        for label, applied in runs:
            console.print(f"solving {label} ...")
            result = _solve(applied, options)
            summaries.append(measures(reference, result, region))
            if out is not None:
                out.mkdir(parents=True, exist_ok=True)
                for name, frame in full_tables(reference, result, region).items():
                    frame.to_csv(out / f"{label}_{name}.csv", index=False)
        base = summaries[0]
        scen = summaries[1] if len(summaries) > 1 else None
    name = _label(scenario) if scenario is not None else ""
    titles = {
        "shortfall": f"{region}: unserved demand over the horizon (t, share of demand)",
        "reliance": f"{region}: import reliance and self-sufficiency by stage (horizon total)",
        "cover": f"{region}: days of cover (end of horizon, minimum over it)",
        "concentration": "World output by stage: HHI (0-1), top-1 and top-3 shares",
        "criticality": f"{region}: supply risk of LREE/HREE oxides (EU method; USGS-style DP, TE)",
    }
    for section, frame in compare(base, scen).items():
        suffix = f" — baseline vs {name}" if name else " — baseline"
        console.print(render(frame, titles[section] + suffix))
    if chart is not None:
        points = _chart_points(
            reference, base["criticality"], scen["criticality"] if scen else None, name
        )
        chart.write_text(criticality_svg(points, f"Criticality matrix: {region}"))
        console.print(f"wrote {chart}")
    if out is not None:
        console.print(f"wrote the per-period tables to {out}")


@risk_app.command("spof")
def spof(
    region: RegionOption = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Rows to print.")] = 10,
    scenario: ScenarioOption = None,
    baseline: BaselineOption = "baseline",
    foresight: ForesightOption = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until",
            help="End the horizon at this month (YYYY-MM). A ranking solves one variant per "
            f"candidate, so by default the scenario's horizon is cut at {SPOF_UNTIL}.",
        ),
    ] = None,
    step: Annotated[
        str | None,
        typer.Option(
            "--step",
            help=f"month, quarter or year (default: {SPOF_STEP} where the scenario is monthly).",
        ),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Parallel solves (default: CPUs).")
    ] = None,
    max_routes: Annotated[
        int, typer.Option("--max-routes", min=0, help="Busiest trade routes tried.")
    ] = 20,
    kinds: Annotated[
        str, typer.Option("--kinds", help="Comma-separated: facility,country_stage,route.")
    ] = ",".join(SPOF_KINDS),
) -> None:
    """Rank facilities, country stages and trade routes by the shortfall their loss causes."""
    from rareflow.pipeline.spof import spof_ranking

    console = _console()
    with user_errors():
        if not region:
            raise RiskUsageError("--region is required (a region code such as IND or JPN)")
        options = _options(foresight, until, step)  # a typo is refused before any solve
        options = _spof_options(scenario if scenario is not None else baseline, options)
        _refuse_unknown_region(scenario if scenario is not None else baseline, options, region)
        applied = _prepare(scenario if scenario is not None else baseline, options)
        region = _check_region(applied, region)
        chosen = tuple(k.strip() for k in kinds.split(",") if k.strip())
        engine = applied.solve_kwargs(options.foresight)
        ranking = spof_ranking(
            applied.network,
            applied.horizon,
            region,
            applied.levers,
            foresight=engine["foresight"],
            window=engine["window"],
            kinds=chosen,
            max_routes=max_routes,
            workers=workers,
            progress=_ranking_progress(console),
        )
    console.print(
        render(
            ranking.head(top),
            f"{region}: single points of failure (extra unserved t over the horizon)",
        )
    )
