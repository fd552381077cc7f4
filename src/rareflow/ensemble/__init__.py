"""Ensembles: uncertain scenario values, designs, warm evaluators, a resumable Parquet store,
bands, Sobol indices and PRIM scenario discovery (docs/ensembles.md).

spec = load_ensemble("ensembles/seed-uncertain.yaml")
run_ensemble("ensembles/seed-uncertain.yaml", 64, "out/ens", method="lhs", executor="processes")
"""

from rareflow.ensemble.runner import EnsembleRun, run_ensemble
from rareflow.ensemble.spec import EnsembleSpec, Uncertain, load_ensemble, substitute

__all__ = [
    "EnsembleRun",
    "EnsembleSpec",
    "Uncertain",
    "load_ensemble",
    "run_ensemble",
    "substitute",
]
