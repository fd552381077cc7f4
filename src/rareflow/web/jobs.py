"""The job queue: worker processes that claim queued runs from the database and solve them.

A worker claims a run with one conditional UPDATE (queued, or running with an expired lease),
so two workers never hold the same run. While solving, a heartbeat thread extends the lease,
stores nothing but small progress rows, and watches for a cancel request. A worker that dies
(killed, machine restarted) stops renewing its lease; once the lease has expired the run is
claimed again by any worker and solved from the start. After MAX_ATTEMPTS such restarts the run
is marked failed instead of looping forever.

Results are written to `<runs_dir>/.tmp-<run>-<worker>` and renamed to `<runs_dir>/<run>` in one
step, so a result directory is either complete or absent; the run is marked done only after the
rename, and only by the worker that still holds its lease.

Run one worker: `python -m rareflow.web.jobs --db URL --runs DIR`. The service starts a pool of
them (`WorkerPool`) and restarts any that exit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import ColumnElement, CursorResult, and_, func, or_, select, update
from sqlalchemy.orm import Session

from rareflow.lifetime import die_with_parent
from rareflow.web.db import (
    CANCELLED,
    DONE,
    FAILED,
    QUEUED,
    RUNNING,
    Database,
    Run,
    now,
)

LEASE_SECONDS = 30.0
POLL_SECONDS = 1.0
MAX_ATTEMPTS = 3


def _rowcount(result: object) -> int:
    """Rows an UPDATE changed (execute() of an UPDATE returns a CursorResult)."""
    return result.rowcount if isinstance(result, CursorResult) else 0


class LeaseLost(RuntimeError):
    """Another worker holds the run now (this one was presumed dead)."""


def result_dir(runs_dir: Path, run_id: str) -> Path:
    return runs_dir / run_id


class Worker:
    """One worker: claim, solve, store; repeat."""

    def __init__(
        self,
        db: Database,
        runs_dir: Path,
        scenarios_dir: Path | None,
        data_dir: Path | None = None,
        lease_seconds: float = LEASE_SECONDS,
        poll_seconds: float = POLL_SECONDS,
        worker_id: str | None = None,
    ) -> None:
        self.db = db
        self.runs_dir = runs_dir
        self.scenarios_dir = scenarios_dir
        self.data_dir = data_dir
        self.lease = dt.timedelta(seconds=lease_seconds)
        self.poll_seconds = poll_seconds
        self.id = worker_id or f"{os.uname().nodename}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()

    # -- claiming ------------------------------------------------------------------------------

    def _claimable(self) -> ColumnElement[bool]:
        t = now()
        return or_(
            Run.status == QUEUED,
            and_(Run.status == RUNNING, Run.lease_until < t),
        )

    def claim(self) -> Run | None:
        """Take a claimable run, alternating between users: the oldest run of the user with
        the fewest runs being solved (so one user's many runs do not hold up another's one)."""
        with self.db.session() as s:
            ids = fair_order(s, self._claimable())
        for run_id in ids:
            with self.db.session() as s:
                run = s.get(Run, run_id)
                if run is None:
                    continue
                if run.status == RUNNING and run.attempts >= MAX_ATTEMPTS:
                    s.execute(
                        update(Run)
                        .where(Run.id == run_id, self._claimable())
                        .values(
                            status=FAILED,
                            finished=now(),
                            error=f"the worker solving this run stopped {run.attempts} times",
                        )
                    )
                    continue
                t = now()
                claimed = _rowcount(
                    s.execute(
                        update(Run)
                        .where(Run.id == run_id, self._claimable())
                        .values(
                            status=RUNNING,
                            worker_id=self.id,
                            lease_until=t + self.lease,
                            attempts=Run.attempts + 1,
                            started=t,
                            progress_done=0,
                            progress_total=0,
                            progress_label="starting",
                        )
                    )
                )
            if claimed == 1:
                with self.db.session() as s:
                    return s.get(Run, run_id)
        return None

    # -- while solving ---------------------------------------------------------------------------

    def _mine(self, run_id: str) -> ColumnElement[bool]:
        return and_(Run.id == run_id, Run.worker_id == self.id, Run.status == RUNNING)

    def _heartbeat(self, run_id: str, done: threading.Event) -> None:
        interval = max(self.lease.total_seconds() / 4, 0.2)
        while not done.wait(interval):
            try:
                with self.db.session() as s:
                    renewed = _rowcount(
                        s.execute(
                            update(Run)
                            .where(self._mine(run_id))
                            .values(lease_until=now() + self.lease)
                        )
                    )
                    cancel = s.scalar(select(Run.cancel_requested).where(Run.id == run_id))
                if cancel:
                    with self.db.session() as s:
                        s.execute(
                            update(Run)
                            .where(self._mine(run_id))
                            .values(status=CANCELLED, finished=now(), progress_label="cancelled")
                        )
                    # the solver cannot be interrupted from here: end the process; the pool
                    # starts a fresh worker
                    os._exit(0)
                if renewed == 0:
                    os._exit(0)  # lease lost: someone else is solving this run
            except Exception:  # the database is briefly unavailable: try again next beat
                traceback.print_exc()

    def _progress(self, run_id: str) -> Callable[[int, int, str], None]:
        def report(done: int, total: int, label: str) -> None:
            with self.db.session() as s:
                changed = s.execute(
                    update(Run)
                    .where(self._mine(run_id))
                    .values(
                        progress_done=int(done),
                        progress_total=int(total),
                        progress_label=str(label)[:200],
                        lease_until=now() + self.lease,
                    )
                )
                if _rowcount(changed) == 0:
                    raise LeaseLost(run_id)

        return report

    # -- solving ---------------------------------------------------------------------------------

    def execute(self, run: Run) -> None:
        """Solve `run` and store the outcome."""
        from rareflow import pipeline
        from rareflow.data.loader import ReferenceDataError
        from rareflow.network import NetworkError
        from rareflow.optimize import LeverError, MassBalanceError, SolveError
        from rareflow.scenario import ScenarioError
        from rareflow.web.scenarios import staged

        user_errors = (ScenarioError, ReferenceDataError, NetworkError, LeverError)
        done = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(run.id, done), daemon=True)
        beat.start()
        started = time.monotonic()
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        final = result_dir(self.runs_dir, run.id)
        tmp = self.runs_dir / f".tmp-{run.id}-{self.id}"
        status, error = DONE, ""
        try:
            if not final.exists():  # else an earlier attempt finished writing before it died
                # what a worker that died on this run left half-written
                for stale in self.runs_dir.glob(f".tmp-{run.id}-*"):
                    shutil.rmtree(stale, ignore_errors=True)
                with staged(run.yaml, self.scenarios_dir) as path:
                    options = pipeline.RunOptions(foresight=run.foresight, data=self.data_dir)
                    result = pipeline.run(path, options, progress=self._progress(run.id))
                    pipeline.write_outputs(result, tmp, path, options)
                os.replace(tmp, final)
        except LeaseLost:
            shutil.rmtree(tmp, ignore_errors=True)
            return
        except user_errors as exc:
            status, error = FAILED, str(exc)
        except (SolveError, MassBalanceError) as exc:
            status, error = FAILED, f"the solve failed: {exc}"
        except Exception as exc:
            traceback.print_exc()
            status, error = FAILED, f"internal error: {type(exc).__name__}: {exc}"
        finally:
            done.set()
            beat.join()
            shutil.rmtree(tmp, ignore_errors=True)
        with self.db.session() as s:
            s.execute(
                update(Run)
                .where(self._mine(run.id))
                .values(
                    status=status,
                    error=error[:5000],
                    finished=now(),
                    lease_until=None,
                    seconds=time.monotonic() - started,
                    progress_label="finished" if status == DONE else "failed",
                )
            )

    def run_forever(self, once: bool = False) -> None:
        while not self._stop.is_set():
            run = self.claim()
            if run is None:
                if once:
                    return
                self._stop.wait(self.poll_seconds)
                continue
            self.execute(run)

    def stop(self) -> None:
        self._stop.set()


# ---------------------------------------------------------------------------------------------
# the pool


def fair_order(s: Session, claimable: ColumnElement[bool], window: int = 500) -> list[str]:
    """Up to 10 claimable run ids: per user, oldest first, users with fewer running first."""
    candidates = s.execute(
        select(Run.id, Run.owner_id).where(claimable).order_by(Run.created).limit(window)
    ).all()
    running = dict(
        s.execute(
            select(Run.owner_id, func.count(Run.id))
            .where(Run.status == RUNNING, Run.lease_until >= now())
            .group_by(Run.owner_id)
        ).all()
    )
    rank: dict[int, int] = {}
    keyed = []
    for position, (run_id, owner) in enumerate(candidates):
        nth = rank.get(owner, 0)  # this user's nth waiting run
        rank[owner] = nth + 1
        keyed.append((running.get(owner, 0) + nth, position, run_id))
    return [run_id for *_, run_id in sorted(keyed)[:10]]


def worker_command(
    db_url: str,
    runs_dir: Path,
    scenarios_dir: Path | None,
    data_dir: Path | None,
    lease_seconds: float = LEASE_SECONDS,
    worker_id: str | None = None,
    with_parent: bool = False,
) -> list[str]:
    cmd = [sys.executable, "-m", "rareflow.web.jobs", "--db", db_url, "--runs", str(runs_dir)]
    cmd += ["--lease", str(lease_seconds)]
    if scenarios_dir is not None:
        cmd += ["--scenarios", str(scenarios_dir)]
    if data_dir is not None:
        cmd += ["--data", str(data_dir)]
    if worker_id:
        cmd += ["--worker-id", worker_id]
    if with_parent:
        cmd.append("--die-with-parent")
    return cmd


def requeue(db: Database, worker_ids: list[str]) -> None:
    """Put the runs these workers were solving back in the queue. A stop asked for (SIGTERM, a
    graceful restart) is not the run's fault, so its attempt is given back."""
    with db.session() as s:
        s.execute(
            update(Run)
            .where(Run.status == RUNNING, Run.worker_id.in_(worker_ids))
            .values(
                status=QUEUED,
                worker_id=None,
                lease_until=None,
                attempts=Run.attempts - 1,
                progress_label="requeued",
            )
        )


class WorkerPool:
    """N worker processes, restarted when they exit, stopped with the service."""

    def __init__(
        self,
        size: int,
        db_url: str,
        runs_dir: Path,
        scenarios_dir: Path | None,
        data_dir: Path | None,
        lease_seconds: float = LEASE_SECONDS,
    ) -> None:
        self.size = size
        self.args = (db_url, runs_dir, scenarios_dir, data_dir, lease_seconds)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _spawn(self) -> None:
        worker_id = f"pool-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.procs[worker_id] = subprocess.Popen(
            worker_command(*self.args, worker_id=worker_id, with_parent=True)
        )

    def _watch(self) -> None:
        while not self._stop.wait(1.0):
            for worker_id, proc in list(self.procs.items()):
                if proc.poll() is not None:
                    del self.procs[worker_id]
            while len(self.procs) < self.size and not self._stop.is_set():
                self._spawn()

    def start(self) -> None:
        for _ in range(self.size):
            self._spawn()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def stop(self, db: Database) -> None:
        """Stop the workers and put their unfinished runs back in the queue."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        requeue(db, list(self.procs))
        self.procs.clear()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A rareflow worker: solve queued runs.")
    parser.add_argument("--db", required=True)
    parser.add_argument("--runs", required=True, type=Path)
    parser.add_argument("--scenarios", type=Path, default=None)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--lease", type=float, default=LEASE_SECONDS)
    parser.add_argument("--poll", type=float, default=POLL_SECONDS)
    parser.add_argument("--worker-id", default=None)
    parser.add_argument("--die-with-parent", action="store_true")
    parser.add_argument("--once", action="store_true", help="exit when the queue is empty")
    args = parser.parse_args(argv)
    if args.die_with_parent:
        die_with_parent()
    db = Database(args.db, run_migrations=False)
    worker = Worker(
        db,
        args.runs,
        args.scenarios,
        args.data,
        lease_seconds=args.lease,
        poll_seconds=args.poll,
        worker_id=args.worker_id,
    )
    signal.signal(signal.SIGTERM, lambda *_: _terminated(args.db, worker.id))
    worker.run_forever(once=args.once)


def _terminated(db_url: str, worker_id: str) -> None:
    """SIGTERM: give this worker's run back to the queue (its attempt not counted), then exit
    at once. A connection of its own: the handler may interrupt the worker's own session."""
    try:
        db = Database(db_url, run_migrations=False)
        requeue(db, [worker_id])
        db.dispose()
    finally:
        os._exit(0)


if __name__ == "__main__":
    main()
