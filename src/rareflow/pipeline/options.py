"""The options of one run: foresight, a horizon override and the reference data directory."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from rareflow.errors import UserError
from rareflow.optimize.horizon import STEP_MONTHS

_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


class OptionError(UserError, ValueError):
    """A run option that is not understood (a bad month, step or foresight); one line."""


@dataclass(frozen=True)
class HorizonOverride:
    """Replace parts of a scenario's horizon (dates YYYY-MM, step month|quarter|year)."""

    start: str | None = None
    end: str | None = None
    step: str | None = None

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if value is not None and not _MONTH.fullmatch(str(value)):
                option = "--until" if name == "end" else "--start"
                raise OptionError(f"{option}: expected a month YYYY-MM, got '{value}'")
        if self.step is not None and self.step not in STEP_MONTHS:
            raise OptionError(
                f"--step: expected one of {', '.join(STEP_MONTHS)}, got '{self.step}'"
            )

    @property
    def empty(self) -> bool:
        return self.start is None and self.end is None and self.step is None

    def horizon(self, start: str, end: str, step: str) -> dict[str, str]:
        """The scenario's horizon (YYYY-MM strings) with this override applied."""
        out = {"start": self.start or start, "end": self.end or end, "step": self.step or step}
        if out["end"] < out["start"]:
            raise OptionError(
                f"horizon end {out['end']} is before its start {out['start']} "
                "(check --until / --start)"
            )
        return out


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
        if self.foresight is not None:
            parse_foresight(self.foresight)
        self.override  # noqa: B018 -- validates start/until/step now, not at solve time

    @property
    def override(self) -> HorizonOverride:
        return HorizonOverride(start=self.start, end=self.until, step=self.step)
