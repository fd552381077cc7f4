"""Run an ensemble: design, batches to an evaluator, batches to the store, progress."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from rareflow.ensemble.evaluators import Batch, Evaluator, make_evaluator
from rareflow.ensemble.sampling import design
from rareflow.ensemble.spec import EnsembleSpec, load_ensemble
from rareflow.ensemble.store import EnsembleStore, StoreError


@dataclass
class EnsembleRun:
    out: Path
    samples: int  # rows of the design
    solved: int  # solved in this call
    skipped: int  # already done (resume)


def default_batch_size(rows: int, workers: int) -> int:
    """About 4 batches per worker, at most 16 samples each: progress is saved often while
    a worker still solves several samples per task."""
    return max(1, min(16, math.ceil(rows / (4 * max(workers, 1)))))


def _batches(frame: pd.DataFrame, size: int, skip: set[int], names: list[str]) -> list[Batch]:
    out = []
    for b in range(math.ceil(len(frame) / size)):
        if b in skip:
            continue
        part = frame.iloc[b * size : (b + 1) * size]
        rows = [
            {"sample_id": int(r["sample_id"]), **{n: float(r[n]) for n in names}}
            for r in part.to_dict("records")
        ]
        out.append(Batch(b, rows))
    return out


def run_ensemble(
    file: str | Path,
    samples: int,
    out: str | Path,
    method: str = "lhs",
    executor: str = "sequential",
    scheduler: str | None = None,
    workers: int | None = None,
    resume: bool = False,
    batch_size: int | None = None,
    warm: bool = True,
    progress: bool = True,
    evaluator: Evaluator | None = None,
) -> EnsembleRun:
    """Solve the samples of the ensemble FILE into the dataset OUT (see `store`).

    With resume, OUT must hold the same ensemble (same file contents, method, samples and
    seed); finished batches are kept and the rest are solved.
    """
    spec: EnsembleSpec = load_ensemble(file)
    store = EnsembleStore(out)
    frame = design(spec, method, samples)
    names = [p.name for p in spec.parameters]
    own = evaluator is None
    ev = evaluator if evaluator is not None else make_evaluator(executor, workers, scheduler)
    try:
        if store.exists():
            if not resume:
                raise StoreError(
                    f"{store.dir}: an ensemble is already there; use --resume to continue it "
                    "or choose another --out"
                )
            meta = store.meta()
            asked = {"digest": spec.digest(), "method": method, "samples": samples}
            stored = {k: meta.get(k) for k in asked}
            if stored != asked:
                diff = ", ".join(k for k in asked if stored[k] != asked[k])
                raise StoreError(
                    f"{store.dir}: --resume with a different ensemble ({diff} changed)"
                )
            size = int(meta["batch_size"])
            # the stored design is the truth: samples already solved were drawn from it
            frame = store.design()
        else:
            size = batch_size or spec.batch_size or default_batch_size(len(frame), ev.workers)
            meta = {
                "ensemble": spec.name,
                "file": str(file),
                "scenario": spec.scenario.name,
                "horizon": spec.scenario.horizon.model_dump(mode="json"),
                "method": method,
                "samples": samples,
                "rows": len(frame),
                "seed": spec.seed,
                "batch_size": size,
                "digest": spec.digest(),
                "groups": spec.groups,
                "parameters": [
                    {"name": p.name, "path": p.path, "op": p.op, "group": p.group, "unit": p.unit}
                    for p in spec.parameters
                ],
                "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            }
            store.create(meta, frame)
        done = store.done_batches()
        todo = _batches(frame, size, done, names)
        skipped = len(frame) - sum(len(b.rows) for b in todo)
        solved = 0
        with tqdm(
            total=len(frame),
            initial=skipped,
            desc=f"ensemble {spec.name}",
            unit="sample",
            disable=not progress,
            smoothing=0.1,
        ) as bar:
            for batch_id, tables in ev.imap(spec, todo, warm):
                store.write_batch(batch_id, tables)
                n = len(tables["outcomes"])
                solved += n
                bar.update(n)
    finally:
        if own:
            ev.close()
    return EnsembleRun(Path(out), len(frame), solved, skipped)
