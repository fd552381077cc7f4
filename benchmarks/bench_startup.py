"""Benchmark: how long the command line takes to answer before any work, against the floor.

Times whole processes (median of several runs) of what a user types first: `rareflow --help`,
a command's `--help`, and a refused argument (an unknown region, refused before any data is
read or any model solved). The floor is the interpreter starting and exiting (`python -c
pass`); the ratio says how much the command line adds. Issue 18 asks for under 1 s.

    .venv/bin/python benchmarks/bench_startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

CLI = [sys.executable, "-c", "from rareflow.cli import main; main()"]
CASES: tuple[tuple[str, list[str]], ...] = (
    ("python -c pass (floor)", [sys.executable, "-c", "pass"]),
    ("rareflow --help", [*CLI, "--help"]),
    ("rareflow run --help", [*CLI, "run", "--help"]),
    ("rareflow risk --region INDIA (refused)", [*CLI, "risk", "--region", "INDIA"]),
)


def timed(cmd: list[str], runs: int) -> tuple[float, int]:
    """Median wall time of `runs` runs of `cmd`, and its exit status."""
    times = []
    status = 0
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
        status = done.returncode
    return statistics.median(times), status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    rows = [(name, *timed(cmd, args.runs)) for name, cmd in CASES]
    floor = rows[0][1]
    load = os.getloadavg()[0]
    print(
        f"Median of {args.runs} runs. Machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}; load average {load:.1f}.\n"
    )
    print("| command | exit | median s | / floor |")
    print("|---|---:|---:|---:|")
    for name, seconds, status in rows:
        print(f"| {name} | {status} | {seconds:.2f} | {seconds / floor:.1f} |")


if __name__ == "__main__":
    main()
