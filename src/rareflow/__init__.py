"""rareflow: the world rare earth supply chain as a market equilibrium.

    import rareflow as rf
    result = rf.run("baseline", until="2025-06", step="quarter")
    result.prices, result.flows, result.trade, result.shortfalls   # pandas DataFrames
    result.to_xarray(); result.plot.prices()

`run`, `compare`, `load_scenario` (see rareflow.api and docs/api.md). They are loaded on first
use so that `import rareflow` (and the command line) stays quick.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rareflow.api import compare, load_scenario, run
    from rareflow.comparison import Comparison
    from rareflow.errors import RareflowError, UserError
    from rareflow.pipeline import RunOptions
    from rareflow.results import Result
    from rareflow.scenario import Scenario

__all__ = [
    "Comparison",
    "RareflowError",
    "Result",
    "RunOptions",
    "Scenario",
    "UserError",
    "compare",
    "load_scenario",
    "run",
]

_WHERE = {
    "run": "rareflow.api",
    "compare": "rareflow.api",
    "load_scenario": "rareflow.api",
    "Comparison": "rareflow.comparison",
    "RareflowError": "rareflow.errors",
    "UserError": "rareflow.errors",
    "RunOptions": "rareflow.pipeline",
    "Result": "rareflow.results",
    "Scenario": "rareflow.scenario",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        importlib.import_module("rareflow.api")  # attaches Result.plot (rareflow.report)
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'rareflow' has no attribute '{name}'")
