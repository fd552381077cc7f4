"""The pipeline: scenario -> Result.

    from rareflow.pipeline import RunOptions, run
    result = run("seed", RunOptions(foresight="myopic", until="2026-12", step="quarter"))

`load` (scenario file or shipped name -> Scenario with the options applied), `prepare`
(reference data -> network -> calibration -> events) and `solve_applied` are the steps of
`run` for callers that reuse a prepared scenario (ensembles, single points of failure).
"""

import importlib
from typing import TYPE_CHECKING, Any

from rareflow.pipeline.options import OptionError, RunOptions, parse_foresight

if TYPE_CHECKING:
    from rareflow.pipeline.run import (
        Progress,
        ScenarioRef,
        load,
        prepare,
        run,
        solve_applied,
        write_outputs,
    )

# the solving half (scenario, optimize, linopy) is imported when first used, so that checking
# options (and a command's --help) stays fast
_RUN_NAMES = ("Progress", "ScenarioRef", "load", "prepare", "run", "solve_applied", "write_outputs")


def __getattr__(name: str) -> Any:
    if name in _RUN_NAMES:
        # the submodule, by its full name: `run` is also the name of one of its functions
        module = importlib.import_module("rareflow.pipeline.run")
        # once imported, plain attributes; importing the submodule bound `run` to the module,
        # so every name is set here, the function `run` included
        for each in _RUN_NAMES:
            globals()[each] = getattr(module, each)
        return globals()[name]
    raise AttributeError(f"module 'rareflow.pipeline' has no attribute {name!r}")


__all__ = [
    "OptionError",
    "Progress",
    "RunOptions",
    "ScenarioRef",
    "load",
    "parse_foresight",
    "prepare",
    "run",
    "solve_applied",
    "write_outputs",
]
