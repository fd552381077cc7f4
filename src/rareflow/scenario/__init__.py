"""Scenarios: YAML files of dated events, validated, resolved and applied to the engine.

scenario = load_scenario("india-pauses-toyotsu")  # ScenarioError if bad
applied = prepare(scenario)          # reference data -> network -> levers
applied.horizon, applied.levers, applied.network, applied.foresight
"""

from rareflow.scenario.apply import Applied, apply, apply_parameters, prepare
from rareflow.scenario.errors import ScenarioError
from rareflow.scenario.loader import load_scenario
from rareflow.scenario.schema import Scenario, ScenarioFile, json_schema
from rareflow.scenario.vocabulary import Vocabulary, load_vocabulary

__all__ = [
    "Applied",
    "Scenario",
    "ScenarioError",
    "ScenarioFile",
    "Vocabulary",
    "apply",
    "apply_parameters",
    "json_schema",
    "load_scenario",
    "load_vocabulary",
    "prepare",
]
