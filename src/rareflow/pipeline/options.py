"""The options of one run: foresight, a horizon override (start, until, step) and the
reference data directory."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from rareflow.errors import UserError
from rareflow.horizon import STEP_MONTHS, Horizon

_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


class OptionError(UserError, ValueError):
    """A run option that is not understood (a bad month, step or foresight); one line."""


def parse_foresight(text: str) -> dict[str, str | int | None]:
    """`foresight` and `window` for the engine from 'perfect', 'myopic' or 'window N'."""
    text = text.strip()
    if text.startswith("window"):
        parts = text.split()
        if len(parts) != 2 or not parts[1].isdigit() or int(parts[1]) < 1:
            raise OptionError(f"foresight: expected 'window N' with N >= 1, got '{text}'")
        return {"foresight": "window", "window": int(parts[1])}
    if text not in ("perfect", "myopic"):
        raise OptionError(f"foresight: expected perfect, myopic or 'window N', got '{text}'")
    return {"foresight": text, "window": None}


@dataclass(frozen=True)
class RunOptions:
    """How to run a scenario. Anything left None keeps the scenario's own setting.

    foresight: 'perfect', 'myopic' or 'window N'; start/until: months YYYY-MM replacing the
    horizon's ends; step: month, quarter or year; data: a directory of reference tables that
    override any subset of the shipped ones.
    """

    foresight: str | None = None
    start: str | None = None
    until: str | None = None
    step: str | None = None
    data: Path | None = None
    # extra keys written into the result's summary (e.g. where the scenario came from)
    summary: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # checked now, not at solve time: a bad option fails before anything is solved
        if self.foresight is not None:
            parse_foresight(self.foresight)
        for option, value in (("--start", self.start), ("--until", self.until)):
            if value is not None and not _MONTH.fullmatch(str(value)):
                raise OptionError(f"{option}: expected a month YYYY-MM, got '{value}'")
        if self.step is not None and self.step not in STEP_MONTHS:
            raise OptionError(
                f"--step: expected one of {', '.join(STEP_MONTHS)}, got '{self.step}'"
            )

    @property
    def keeps_horizon(self) -> bool:
        """No start, until or step given: the scenario's own horizon stands."""
        return self.start is None and self.until is None and self.step is None

    def horizon(self, scenario_horizon: Horizon) -> Horizon:
        """`scenario_horizon` with this run's start, until and step applied."""
        if self.keeps_horizon:
            return scenario_horizon
        new = {**scenario_horizon.to_dict()}
        new.update(
            {
                k: v
                for k, v in (("start", self.start), ("end", self.until), ("step", self.step))
                if v is not None
            }
        )
        if new["end"] < new["start"]:
            raise OptionError(
                f"horizon end {new['end']} is before its start {new['start']} "
                "(check --until / --start)"
            )
        return Horizon.model_validate(new)
