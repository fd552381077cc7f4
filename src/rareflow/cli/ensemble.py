"""`rareflow ensemble`, `rareflow sensitivity`, `rareflow discover`.

The three functions are plain Typer commands; `rareflow.cli` registers them at the top level
(`app.command("ensemble")(ensemble)`, ...). `ensemble_app` groups them for
`python -m rareflow.ensemble`. User mistakes print one line and exit with status 2.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from rareflow.cli.errors import fail, user_errors
from rareflow.ensemble.sampling import METHODS
from rareflow.errors import RareflowError, SolveFailure, one_line
from rareflow.scenario.shipped import find_ensemble

ensemble_app = typer.Typer(
    help="Ensembles: uncertain scenarios, sensitivity and scenario discovery.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@ensemble_app.command("ensemble")
def ensemble(
    file: Annotated[
        Path, typer.Argument(help="ensemble YAML file or shipped name (see docs/ensembles.md)")
    ],
    samples: Annotated[
        int, typer.Option("--samples", help="samples (for sobol: base N, a power of 2)")
    ],
    out: Annotated[Path, typer.Option("--out", help="ensemble directory (Parquet dataset)")],
    method: Annotated[str, typer.Option(help="lhs | sobol | mc")] = "lhs",
    executor: Annotated[str, typer.Option(help="sequential | processes | dask")] = "processes",
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler tcp://HOST:PORT (default: a LocalCluster)")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="worker processes (default: one per CPU)")
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option("--batch-size", help="samples per saved batch")
    ] = None,
    resume: Annotated[bool, typer.Option("--resume", help="continue an interrupted run")] = False,
    cold: Annotated[
        bool, typer.Option("--cold", help="rebuild everything per sample (for comparison)")
    ] = False,
) -> None:
    """Solve N samples of an uncertain scenario into --out, then write P5/P50/P95 bands."""
    from rareflow.ensemble.runner import run_ensemble
    from rareflow.ensemble.sensitivity import write_bands
    from rareflow.ensemble.spec import load_ensemble

    with user_errors():
        file = find_ensemble(file)
    if method not in METHODS:
        fail(f"--method: expected one of {', '.join(METHODS)}, got '{method}'")
    if executor not in ("sequential", "processes", "dask"):
        fail(f"--executor: expected sequential, processes or dask, got '{executor}'")
    if scheduler is not None and executor != "dask":
        fail("--scheduler is only used with --executor dask")
    with user_errors():
        for warning in load_ensemble(file).warnings:
            typer.echo(f"warning: {warning}", err=True)
    try:
        run = run_ensemble(
            file,
            samples,
            out,
            method=method,
            executor=executor,
            scheduler=scheduler,
            workers=workers,
            resume=resume,
            batch_size=batch_size,
            warm=not cold,
            progress=sys.stderr.isatty(),
        )
        written = write_bands(out)
    except SolveFailure as exc:
        fail(f"a sample's solve failed: {exc}")
    except RareflowError as exc:
        fail(one_line(exc))
    typer.echo(
        f"ensemble: {run.samples} samples in {out} ({run.solved} solved now, "
        f"{run.skipped} already done); bands: {', '.join(p.name for p in written)}"
    )


@ensemble_app.command("sensitivity")
def sensitivity(
    directory: Annotated[Path, typer.Argument(help="ensemble directory (method sobol)")],
    outcome: Annotated[
        list[str] | None,
        typer.Option(
            "--outcome",
            help="outcome column(s); default welfare, unserved_t and the shortfall of every region",
        ),
    ] = None,
) -> None:
    """Sobol first-order and total indices (SALib) of the ensemble's outcomes."""
    from rareflow.ensemble.sensitivity import sobol_indices, write_sobol

    try:
        table = sobol_indices(directory, outcome or None)
        paths = write_sobol(directory, table)
    except RareflowError as exc:
        fail(one_line(exc))
    top = table.sort_values("ST", ascending=False).groupby("outcome").head(1)
    for row in top.itertuples(index=False):
        caution = "" if row.reliable else " (unreliable: see below)"
        typer.echo(
            f"{row.outcome}: largest total index {row.parameter} ST={row.ST:.2f} "
            f"(S1={row.S1:.2f}){caution}"
        )
    shaky = table[~table["reliable"]]
    if len(shaky):
        typer.echo(
            f"warning: {len(shaky)} of {len(table)} indices are unreliable (95% interval wider "
            "than the index, or below zero); run the ensemble with more --samples:"
        )
        for row in shaky.itertuples(index=False):
            typer.echo(f"  {row.outcome} / {row.parameter}: {row.warning}")
    typer.echo(f"written: {', '.join(str(p) for p in paths)}")


@ensemble_app.command("discover")
def discover(
    directory: Annotated[Path, typer.Argument(help="ensemble directory")],
    outcome: Annotated[
        str,
        typer.Option(
            "--outcome", help="condition on outcome columns, e.g. 'shortfall_IND_magnet > 0.2'"
        ),
    ],
    min_coverage: Annotated[
        float, typer.Option("--min-coverage", help="coverage the chosen box keeps at least")
    ] = 0.5,
    alpha: Annotated[float, typer.Option(help="share of points peeled per step")] = 0.05,
) -> None:
    """PRIM scenario discovery: which assumptions lead to the outcome."""
    from rareflow.ensemble.discovery import discover_dir

    try:
        found = discover_dir(directory, outcome, min_coverage=min_coverage, alpha=alpha)
    except RareflowError as exc:
        fail(one_line(exc))
    typer.echo(
        f"{found.cases} of {found.samples} samples have {outcome}; box: coverage "
        f"{found.box.coverage:.2f}, density {found.box.density:.2f}"
    )
    for name, (lo, hi) in found.box.limits.items():
        unit = found.units.get(name, "")
        typer.echo(f"  {lo:.4g} <= {name} <= {hi:.4g}" + (f" {unit}" if unit else ""))
    if not found.box.limits:
        typer.echo("  (no restriction: the cases are spread over the whole space)")
    typer.echo(f"written: {', '.join(str(p) for p in found.paths)}")
