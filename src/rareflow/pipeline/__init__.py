"""The pipeline: scenario -> Result.

    from rareflow.pipeline import RunOptions, run
    result = run("seed", RunOptions(foresight="myopic", until="2026-12", step="quarter"))

`load` (scenario file or shipped name -> Scenario with the options applied), `prepare`
(reference data -> network -> calibration -> events) and `solve_applied` are the steps of
`run` for callers that reuse a prepared scenario (ensembles, single points of failure).
"""

from rareflow.pipeline.options import HorizonOverride, OptionError, RunOptions, parse_foresight
from rareflow.pipeline.run import (
    Progress,
    ScenarioRef,
    load,
    prepare,
    run,
    solve_applied,
    write_outputs,
)

__all__ = [
    "HorizonOverride",
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
