"""Benchmark: the market equilibrium engine on the full reference network.

Cases, each measured in a fresh subprocess (peak MB is that process's maximum resident set,
`resource.getrusage(RUSAGE_SELF).ru_maxrss` read in the child at the end of the case, so it
includes the interpreter and imported libraries):

- rareflow: `build_inputs` + `build_model` (linopy), then `Model.solve(solver_name="highs",
  io_api="direct")`; the LP is then written to MPS for the floor (after the peak is read).
- rareflow solve(): the public entry point end to end (inputs, model, solve, read-back, mass
  balance check, result frames), perfect foresight.
- HiGHS on MPS (floor): highspy alone, `Highs.readModel` of that MPS then `Highs.run`; its
  solve time is the floor every other case is compared with.
- Pyomo: the same LP built from the same `Inputs` in Pyomo (benchmarks/pyomo_model.py; build
  includes `build_inputs`), solved with Pyomo's APPSI HiGHS interface.
- hub: a derived network where every shipment passes one hub region (see `hub_network`),
  run like `rareflow`, with its own HiGHS-on-MPS floor.

The network is loaded and built from the reference data before the clock starts in every case.

    .venv/bin/python benchmarks/bench_engine.py           # full run: 2025-01..2035-12 monthly
    .venv/bin/python benchmarks/bench_engine.py --quick   # smoke run: 2025-01..2026-12 monthly
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

HUB = "HUB"
FULL = ("2025-01", "2035-12")
QUICK = ("2025-01", "2026-12")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def peak_mb() -> float:
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- networks ---------------------------------------------------------------------------------


def reference_network() -> Any:
    from rareflow.data.loader import load_reference
    from rareflow.network_builder import build_network

    return build_network(load_reference())


def hub_network(net: Any) -> Any:
    """Every trade passes one hub region.

    The arcs of the reference network are replaced by one arc origin -> HUB per (origin,
    material) and one arc HUB -> destination per (destination, material) that had an arc; each
    leg costs half the cheapest original arc leaving that origin (resp. reaching that
    destination) for that material and takes half its lead time. HUB is a new region (kind
    group) with no mines, plants, demand or stocks: a pure entrepôt. The arcs that carry
    contracted agreements stay as direct arcs (an agreement needs its seller -> buyer arc), so
    the hub sits on every arc but those few.
    """
    out = net.copy()
    arcs = net.arcs.copy()
    arcs["cost"] = pd.to_numeric(arcs["cost"], errors="coerce").fillna(0.0)
    arcs["lead_time_months"] = pd.to_numeric(arcs["lead_time_months"], errors="coerce").fillna(0.0)
    ag = net.agreements
    contracted = arcs.merge(
        ag[["seller_region", "buyer_region", "material"]].drop_duplicates(),
        left_on=["origin", "destination", "material"],
        right_on=["seller_region", "buyer_region", "material"],
    )[list(net.arcs.columns)]
    legs = []
    for side, other in (("origin", "destination"), ("destination", "origin")):
        leg = arcs.groupby([side, "material"], as_index=False)[["cost", "lead_time_months"]].min()
        leg[other] = HUB
        leg[["cost", "lead_time_months"]] = leg[["cost", "lead_time_months"]] / 2.0
        legs.append(leg)
    hub_arcs = pd.concat(legs, ignore_index=True)
    hub_arcs["arc"] = (
        hub_arcs["origin"] + ">" + hub_arcs["destination"] + ":" + hub_arcs["material"] + ":hub"
    )
    out.arcs = pd.concat(
        [hub_arcs[list(net.arcs.columns)], contracted], ignore_index=True
    ).reset_index(drop=True)
    hub_row = pd.DataFrame([{"region": HUB, "name": "Trade hub (benchmark only)", "kind": "group"}])
    out.regions = pd.concat([net.regions, hub_row], ignore_index=True)
    return out


# -- cases, run in a child process ------------------------------------------------------------


def _inputs(net: Any, start: str, end: str) -> Any:
    from rareflow.optimize import Horizon, Levers, SolveOptions
    from rareflow.optimize.inputs import build_inputs

    return build_inputs(net, Horizon(start=start, end=end, step="month"), Levers(), SolveOptions())


def case_linopy(net: Any, start: str, end: str, mps: Path) -> dict[str, Any]:
    from rareflow.optimize.model import build_model

    t0 = time.perf_counter()
    inp = _inputs(net, start, end)
    m = build_model(inp)
    t1 = time.perf_counter()
    status, termination = m.solve(solver_name="highs", io_api="direct", output_flag=False)
    t2 = time.perf_counter()
    if (status, termination) != ("ok", "optimal"):
        raise SystemExit(f"linopy solve: {status} {termination}")
    result = {
        "build": t1 - t0,
        "solve": t2 - t1,
        "highs_run": float(m.solver_model.getRunTime()),
        "iterations": int(m.solver_model.getInfo().simplex_iteration_count),
        "peak_mb": peak_mb(),
        "objective": float(m.objective.value or 0.0),
        "vars": int(m.nvars),
        "cons": int(m.ncons),
        "arcs": len(inp.arcs),
        "periods": len(inp.periods),
    }
    # after the peak is read: the MPS writer's own memory does not count
    m.to_file(mps)
    result["mps_mb"] = mps.stat().st_size / 1e6
    return result


def case_solve(net: Any, start: str, end: str) -> dict[str, Any]:
    from rareflow.optimize import Horizon, solve

    t0 = time.perf_counter()
    res = solve(net, Horizon(start=start, end=end, step="month"))
    t1 = time.perf_counter()
    return {
        "total": t1 - t0,
        "peak_mb": peak_mb(),
        "objective": float(res.summary["solver_objectives"][0]),
    }


def case_floor(mps: Path) -> dict[str, Any]:
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    t0 = time.perf_counter()
    h.readModel(str(mps))
    t1 = time.perf_counter()
    h.run()
    t2 = time.perf_counter()
    status = h.modelStatusToString(h.getModelStatus())
    if status != "Optimal":
        raise SystemExit(f"highspy on {mps}: {status}")
    return {
        "build": t1 - t0,
        "solve": t2 - t1,
        "highs_run": float(h.getRunTime()),
        "iterations": int(h.getInfo().simplex_iteration_count),
        "peak_mb": peak_mb(),
        "objective": float(h.getInfo().objective_function_value),
    }


def case_pyomo(net: Any, start: str, end: str, solve: bool) -> dict[str, Any]:
    import pyomo.environ as pyo

    from pyomo_model import build_pyomo, solve_pyomo

    t0 = time.perf_counter()
    inp = _inputs(net, start, end)
    m = build_pyomo(inp)
    t1 = time.perf_counter()
    result: dict[str, Any] = {
        "build": t1 - t0,
        "vars": sum(len(v) for v in m.component_objects(pyo.Var)),
        "cons": sum(len(c) for c in m.component_objects(pyo.Constraint)),
    }
    if solve:
        objective, run, iterations, termination = solve_pyomo(m)
        if termination != "TerminationCondition.optimal":
            raise SystemExit(f"pyomo solve: {termination}")
        result.update(
            solve=time.perf_counter() - t1,
            highs_run=run,
            iterations=iterations,
            objective=objective,
        )
    result["peak_mb"] = peak_mb()
    return result


def child(args: argparse.Namespace) -> None:
    start, end = args.start, args.end
    work = Path(args.work)
    if args.child.startswith("floor"):
        import highspy  # noqa: F401  (imported before the start figure, as in the other cases)

        start_mb = peak_mb()
        name = args.child.split(":", 1)[1]
        out = case_floor(work / f"{name}.mps")
    else:
        import linopy  # noqa: F401

        if args.child == "pyomo":
            import pyomo.environ  # noqa: F401
        net = reference_network()
        start_mb = peak_mb()
        if args.child == "rareflow":
            out = case_linopy(net, start, end, work / "full.mps")
        elif args.child == "solve":
            out = case_solve(net, start, end)
        elif args.child == "pyomo":
            out = case_pyomo(net, start, end, solve=not args.pyomo_build_only)
        elif args.child == "hub":
            out = case_linopy(hub_network(net), start, end, work / "hub.mps")
        else:
            raise SystemExit(f"unknown case {args.child}")
    out["start_mb"] = start_mb
    print(json.dumps(out))


# -- parent -----------------------------------------------------------------------------------


def run_child(case: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", case, "--start", args.start, "--end", args.end]
    cmd += ["--work", str(work)]
    if args.pyomo_build_only:
        cmd.append("--pyomo-build-only")
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"case {case} failed:\n{proc.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result.setdefault("total", result.get("build", 0.0) + result.get("solve", 0.0))
    log(
        f"  {case}: total {result['total']:.1f} s, peak {result['peak_mb']:.0f} MB "
        f"({time.perf_counter() - t0:.1f} s wall incl. start-up and data load)"
    )
    return result


def _commit() -> str:
    """The checked-out commit (read only), so figures can be tied to the data they used."""
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
            cwd=Path(__file__).resolve().parent,
        )
    except OSError:
        return "unknown"
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no", "--", "src"],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parent,
    )
    suffix = " (src has uncommitted changes)" if dirty.stdout.strip() else ""
    return (proc.stdout.strip() or "unknown") + suffix


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def table(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> str:
    full = results[FULL_CASE]
    hub = results[HUB_CASE]
    floor = results[FLOOR_CASE]["solve"]
    hub_floor = results[HUB_FLOOR_CASE]["solve"]
    pyomo = next(r for n, r in results.items() if n.startswith("Pyomo"))
    pyomo_solved = "solve" in pyomo
    lines = [
        f"Horizon {args.start}..{args.end} monthly ({full['periods']} periods). Full LP: "
        f"{full['vars']:,} variables, {full['cons']:,} constraints, {full['arcs']} arcs, MPS "
        f"{full['mps_mb']:.0f} MB. Pyomo LP: {pyomo['vars']:,} variables, {pyomo['cons']:,} "
        f"constraints. Hub LP: {hub['vars']:,} variables, {hub['cons']:,} constraints, "
        f"{hub['arcs']} arcs.",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; load average {os.getloadavg()[0]:.1f} at the end. "
        f"Fastest of {args.repeat} run(s) per case. Code and data: commit {_commit()}.",
        "",
        "| case | build s | solve s | HiGHS run s | iterations | total s | outside HiGHS s | "
        "start MB | peak MB | total / floor | total / Pyomo |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, res in results.items():
        total = res["total"]
        own_floor = hub_floor if name.startswith("hub") else floor
        outside = total - res["highs_run"] if "highs_run" in res else None
        if name.startswith("hub"):
            vs_pyomo = None
        elif pyomo_solved:
            vs_pyomo = total / pyomo["total"]
        else:
            # Pyomo was only built: compare build times
            vs_pyomo = res["build"] / pyomo["build"] if "build" in res else None
        lines.append(
            f"| {name} | {_fmt(res.get('build'))} | {_fmt(res.get('solve'))} | "
            f"{_fmt(res.get('highs_run'))} | {_fmt(res.get('iterations'), 0)} | {_fmt(total)} | "
            f"{_fmt(outside)} | {_fmt(res['start_mb'], 0)} | {_fmt(res['peak_mb'], 0)} | "
            f"{_fmt(total / own_floor, 2)} | {_fmt(vs_pyomo, 2)} |"
        )
    lines.append("")
    for label, hub_rows in (("full", False), ("hub", True)):
        objs = {
            n: r["objective"]
            for n, r in results.items()
            if "objective" in r and n.startswith("hub") == hub_rows
        }
        ref = objs[HUB_CASE if hub_rows else FULL_CASE]
        worst = max(abs(v - ref) for v in objs.values()) / max(1.0, abs(ref))
        lines.append(
            f"Objective, {label} model: {ref:,.0f} USD (largest relative difference between "
            f"the {len(objs)} solves: {worst:.1e})."
        )
    return "\n".join(lines)


FULL_CASE = "rareflow (linopy + HiGHS direct)"
FLOOR_CASE = "HiGHS on MPS (floor)"
HUB_CASE = "hub: rareflow (linopy + HiGHS direct)"
HUB_FLOOR_CASE = "hub: HiGHS on MPS (floor)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2025-01..2026-12 instead")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the fastest counts")
    parser.add_argument(
        "--pyomo-build-only", action="store_true", help="build the Pyomo model, do not solve"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--start", help=argparse.SUPPRESS)
    parser.add_argument("--end", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    args.start, args.end = QUICK if args.quick else FULL
    pyomo_name = "Pyomo (build only)" if args.pyomo_build_only else "Pyomo (APPSI HiGHS)"
    # the floor cases read the MPS files their linopy case wrote, so they run after it
    cases = {
        FULL_CASE: "rareflow",
        "rareflow solve() end to end": "solve",
        FLOOR_CASE: "floor:full",
        pyomo_name: "pyomo",
        HUB_CASE: "hub",
        HUB_FLOOR_CASE: "floor:hub",
    }
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in cases}
    with tempfile.TemporaryDirectory(prefix="rareflow-bench-engine-") as work:
        # rounds rather than consecutive repeats, so a busy spell hits every case alike
        for round_no in range(1, args.repeat + 1):
            log(f"round {round_no}/{args.repeat}, {args.start}..{args.end} monthly")
            for name, case in cases.items():
                runs[name].append(run_child(case, args, Path(work)))
    results = {name: min(rs, key=lambda r: r["total"]) for name, rs in runs.items()}
    print(table(results, args))


if __name__ == "__main__":
    main()
