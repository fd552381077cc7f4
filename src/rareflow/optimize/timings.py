"""Where the time of a solve went: model building, in-place updates, HiGHS, read-back."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields


@dataclass
class Timings:
    """Seconds spent per stage of a solve (wall clock, except `solver_s`).

    solver_s sums HiGHS's own run time of every LP (the floor no model layer can beat);
    build_s is building linopy models and handing them to HiGHS, update_s changing a built
    model in place, readback_s reading solutions back, checking mass balance and assembling
    the Result; calibration_s is base-year calibration done for the network (0 when it came
    from a cache); total_s is the solve call plus calibration_s.
    """

    total_s: float = 0.0
    solver_s: float = 0.0
    build_s: float = 0.0
    update_s: float = 0.0
    readback_s: float = 0.0
    calibration_s: float = 0.0

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Add the wall time of the block to the field `name`."""
        start = time.perf_counter()
        try:
            yield
        finally:
            setattr(self, name, getattr(self, name) + time.perf_counter() - start)

    def to_dict(self) -> dict[str, float]:
        return {f.name: round(float(getattr(self, f.name)), 4) for f in fields(self)}

    def line(self) -> str:
        """One line for the terminal."""
        parts = [f"{f.name.removesuffix('_s')} {getattr(self, f.name):.2f}s" for f in fields(self)]
        return "timings: " + ", ".join(parts)
