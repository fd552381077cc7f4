"""Benchmark: the main job (a scenario solved with its own foresight) against the solver floor.

For the baseline and the seed scenario, each case runs in a fresh subprocess:

- in place: `rareflow.optimize.solve` as `rareflow run` calls it; a rolling horizon builds its
  LP once and re-solves it in place (optimize/warm.py);
- rebuild: the same with `reuse_model=False`, the older path that builds a model per window.

Each child prepares the scenario once (reading the tables and calibrating, or loading the
calibration from the on-disk cache), solves once untimed (the "first run"), then times a
second solve: that is the figure reported (`rareflow run` a second time on the same data).
The floor is the summed HiGHS run time of that second solve's LPs (`timings.solver_s`).
Peak MB is the child's maximum resident set at the end (`ru_maxrss`), interpreter included.

The same run also times the ranking a risk team asks for, `rareflow risk spof --region JPN
--top 5` on the shipped baseline (its own horizon and foresight), end to end as a user runs it
(a fresh process: reading the tables, the calibration from the cache, the baseline solve and
one solve per outage candidate in a process pool); peak MB is the largest resident set of
that command's processes.

    .venv/bin/python benchmarks/bench_pipeline.py                 # 2025-01..2026-12 monthly
    .venv/bin/python benchmarks/bench_pipeline.py --end 2030-12   # the scenarios' own horizon
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ("baseline", "seed")


def child(name: str, reuse: bool, start: str, end: str) -> dict[str, Any]:
    from rareflow.optimize import Horizon, solve
    from rareflow.scenario import load_scenario, prepare

    applied = prepare(load_scenario(ROOT / "scenarios" / f"{name}.yaml"))
    horizon = Horizon(start=start, end=end, step=applied.horizon.step)
    kwargs = applied.solve_kwargs(None)
    solve(applied.network, horizon, applied.levers, reuse_model=reuse, **kwargs)  # first run
    began = time.perf_counter()
    result = solve(applied.network, horizon, applied.levers, reuse_model=reuse, **kwargs)
    wall = time.perf_counter() - began
    return {
        "wall_s": wall,
        "timings": result.summary["timings"],
        "solves": result.summary["solves"],
        "objective": result.objective,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_case(name: str, reuse: bool, start: str, end: str) -> dict[str, Any]:
    here = str(Path(__file__).parent)
    code = (
        f"import json, sys; sys.path.insert(0, {here!r}); import bench_pipeline as b; "
        f"print(json.dumps(b.child({name!r}, {reuse!r}, {start!r}, {end!r})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def spof_case() -> dict[str, float]:
    """Wall seconds and peak MB of `rareflow risk spof --region JPN --top 5`, run twice (the
    first fills the calibration cache, as a user's earlier run would); the second is timed."""
    command = [sys.executable, "-m", "rareflow", "risk", "spof", "--region", "JPN", "--top", "5"]
    code = (
        "import json, resource, subprocess, sys, time; "
        f"cmd = {command!r}; "
        "subprocess.run(cmd, capture_output=True, check=True); "
        "t = time.perf_counter(); subprocess.run(cmd, capture_output=True, check=True); "
        "wall = time.perf_counter() - t; "
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024; "
        "print(json.dumps({'wall_s': wall, 'peak_mb': peak}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def table(rows: dict[tuple[str, bool], dict[str, Any]]) -> str:
    head = (
        "| scenario | path | solves | total s | HiGHS s (floor) | build s | update s | "
        "read-back s | total / floor | rebuild / in place | peak MB |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    lines = [head]
    for (name, reuse), r in rows.items():
        t = r["timings"]
        other = rows[(name, not reuse)]["wall_s"]
        ratio = other / r["wall_s"] if reuse else 1.0
        lines.append(
            f"| {name} | {'in place' if reuse else 'rebuild'} | {r['solves']} | "
            f"{r['wall_s']:.2f} | {t['solver_s']:.2f} | {t['build_s']:.2f} | "
            f"{t['update_s']:.2f} | {t['readback_s']:.2f} | {r['wall_s'] / t['solver_s']:.1f} | "
            f"{ratio:.1f} | {r['peak_mb']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", default="2025-01")
    parser.add_argument("--end", default="2026-12")
    args = parser.parse_args()
    rows: dict[tuple[str, bool], dict[str, Any]] = {}
    for name in SCENARIOS:
        for reuse in (True, False):
            print(f"running {name} {'in place' if reuse else 'rebuild'}...", file=sys.stderr)
            rows[(name, reuse)] = run_case(name, reuse, args.start, args.end)
    print("running risk spof --region JPN --top 5...", file=sys.stderr)
    spof = spof_case()
    for name in SCENARIOS:
        a, b = rows[(name, True)]["objective"], rows[(name, False)]["objective"]
        print(f"{name}: objective in place {a:.6e}, rebuild {b:.6e}", file=sys.stderr)
    print(
        f"Horizon {args.start}..{args.end} monthly, each scenario with its own foresight. "
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; load average {os.getloadavg()[0]:.1f} at the end."
    )
    print()
    print(table(rows))
    print()
    print(
        f"`rareflow risk spof --region JPN --top 5` (baseline, second run, end to end): "
        f"{spof['wall_s']:.1f} s, peak {spof['peak_mb']:.0f} MB."
    )


if __name__ == "__main__":
    main()
