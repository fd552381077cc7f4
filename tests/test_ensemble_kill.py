"""A SIGKILLed ensemble takes its worker processes with it (no orphaned solvers)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

SCRIPT = """
import os, time
from rareflow.ensemble.evaluators import ProcessEvaluator
ev = ProcessEvaluator(workers=2)
pids = {f.result() for f in [ev.pool.submit(os.getpid) for _ in range(8)]}
while len(pids) < 2:
    pids.add(ev.pool.submit(os.getpid).result())
busy = [ev.pool.submit(time.sleep, 600) for _ in range(2)]  # workers busy 'solving'
print(" ".join(map(str, sorted(pids))), flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_killing_an_ensemble_ends_its_workers() -> None:
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        pids = [int(p) for p in proc.stdout.readline().split()]
        assert len(pids) == 2 and all(_alive(p) for p in pids)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 60
        while any(_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(p) for p in pids), "worker processes outlived the ensemble"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
