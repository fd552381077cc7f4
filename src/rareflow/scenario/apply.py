"""Turn a validated scenario into what the engine solves: a Horizon, Levers and an edited Network.

Trade measures, agreement suspensions, capacity paths and outages become rows of the engine's
lever tables (`rareflow.optimize.levers`). Agreement changes, demand paths, stockpiles and
substitution edit a copy of the Network; `parameter` events edit the reference tables before the
network is built (`prepare`). How composed events resolve is written in docs/scenarios.md;
`apply` keeps event order (base first, then the file, as written) so that "later wins" rules
hold in the engine.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from rareflow.horizon import Horizon
from rareflow.network import Network
from rareflow.network_builder import complete_network
from rareflow.network_trade import CLOSED_ROUTES
from rareflow.optimize.levers import LEVER_TABLES, Levers
from rareflow.scenario.agreements import resolve_agreements
from rareflow.scenario.errors import ScenarioError
from rareflow.scenario.events import HANDLERS, SWITCHABLE, EventContext
from rareflow.scenario.schema import (
    AgreementChange,
    AgreementNew,
    AgreementSuspend,
    Parameter,
    Scenario,
)
from rareflow.scenario.timing import in_force
from rareflow.scenario.vocabulary import Vocabulary, load_vocabulary

__all__ = [
    "SWITCHABLE",
    "Applied",
    "apply",
    "apply_parameters",
    "in_force",
    "prepare",
]


@dataclass
class Applied:
    """Everything a solve needs from a scenario."""

    scenario: Scenario
    horizon: Horizon
    levers: Levers
    network: Network
    foresight: str | None = None
    # approximations made while applying, in plain words (printed by `scenario show`)
    notes: list[str] = field(default_factory=list)

    def solve_kwargs(self, foresight: str | None = None) -> dict[str, Any]:
        """`foresight` and `window` for `rareflow.optimize.solve`: the argument given here
        (e.g. from the command line), else the scenario's, else perfect foresight."""
        text = (foresight or self.foresight or "perfect").strip()
        if text.startswith("window"):
            parts = text.split()
            if len(parts) != 2 or not parts[1].isdigit() or int(parts[1]) < 1:
                raise ScenarioError(f"foresight: expected 'window N' with N >= 1, got '{text}'")
            return {"foresight": "window", "window": int(parts[1])}
        if text not in ("perfect", "myopic"):
            raise ScenarioError(f"foresight: expected perfect, myopic or 'window N', got '{text}'")
        return {"foresight": text, "window": None}


# ---------------------------------------------------------------------------------------------
# parameters (reference tables)


def apply_parameters(
    scenario: Scenario, tables: Mapping[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """Reference tables with the scenario's `parameter` overrides applied (later ones win)."""
    from rareflow.data.schema import SPECS_BY_NAME

    out = {name: frame for name, frame in tables.items()}
    for i, ev in enumerate(scenario.events):
        if not isinstance(ev, Parameter):
            continue
        spec = SPECS_BY_NAME[ev.table]
        frame = out[ev.table].copy()
        key = [ev.key] if isinstance(ev.key, str) else list(ev.key)
        hit = pd.Series(True, index=frame.index)
        for col, val in zip(spec.key, key, strict=True):
            hit &= frame[col].astype(str) == str(val)
        if not hit.any():
            raise ScenarioError(
                f"events[{i}]: no row {'/'.join(key)} in table {ev.table} of the reference data"
            )
        value: Any = ev.value
        if spec.column(ev.column).type in ("float", "int"):
            value = float(ev.value)
        if spec.column(ev.column).type == "int":
            frame[ev.column] = frame[ev.column].astype("float64")
        frame.loc[hit, ev.column] = value
        out[ev.table] = frame
    return out


# ---------------------------------------------------------------------------------------------
# the whole scenario


def _stamp_announced(
    tables: dict[str, list[dict[str, Any]]], before: dict[str, int], ev: Any
) -> None:
    """The lever rows an event added become known at its announcement (default: its start;
    an event with neither is known from the horizon's start)."""
    when = ev.announced or ev.start
    if when is None:
        return
    for name, rows in tables.items():
        for row in rows[before[name] :]:
            row.setdefault("announced", when.isoformat())


def _iso(month: str | None) -> str | None:
    """A YYYY-MM (or YYYY-MM-DD) cell as an ISO date, like every other lever row's dates."""
    return pd.Timestamp(month).date().isoformat() if month else None


def dated_closures(network: Network) -> list[dict[str, Any]]:
    """Arc bounds (max_flow 0) for the dated rows of the reference `trade_limits` (routes
    closed from a date, e.g. Mountain Pass to China from April 2025). They are part of every
    scenario, like the data; undated rows have no arcs at all (network_trade.trade_arcs)."""
    routes = json.loads(network.meta.get(CLOSED_ROUTES, "[]"))
    rows: list[dict[str, Any]] = []
    for r in routes:
        if not r.get("start") and not r.get("end"):
            continue
        if r.get("except_destination"):
            raise ScenarioError(
                "trade_limits: a dated row cannot have except_destination "
                f"({r['origin']} -> {r['destination']} {r['material']})"
            )
        start, end = _iso(r.get("start")), _iso(r.get("end"))
        rows.append(
            {
                "origin": r["origin"],
                "destination": r["destination"],
                "material": r["material"],
                "start": start,
                "end": end,
                "max_flow": 0.0,
                "announced": start,  # a closure of record is news when it happens
            }
        )
    return rows


def apply(scenario: Scenario, network: Network, vocabulary: Vocabulary | None = None) -> Applied:
    """Levers and an edited copy of `network` for `scenario` (parameter events excluded:
    they edit the reference tables, see `prepare`). Each event goes to its handler in
    `rareflow.scenario.events.HANDLERS`, in the order written."""
    vocab = vocabulary or load_vocabulary(scenario.data)
    horizon = scenario.horizon
    periods = horizon.periods
    net = network.copy()
    years = sorted(
        set(range(int(periods["year"].min()), int(periods["year"].max()) + 1))
        | {int(y) for y in net.demand_growth.get("year", pd.Series(dtype=int)).dropna()}
    )
    tables: dict[str, list[dict[str, Any]]] = {name: [] for name in LEVER_TABLES}
    ctx = EventContext(net=net, vocab=vocab, periods=periods, years=years, tables=tables)
    labelled = [(f"events[{i}] ({ev.type})", ev) for i, ev in enumerate(scenario.events)]
    for label, ev in labelled:
        handler = HANDLERS.get(type(ev))
        if handler is None:  # a new event type without a handler is a bug, not a user error
            raise TypeError(f"{label}: no handler for event type {type(ev).__name__}")
        before = {name: len(rows) for name, rows in tables.items()}
        handler(ctx, label, ev)
        _stamp_announced(tables, before, ev)
    ctx.flush_growth()
    tables["arc_bounds"] += dated_closures(ctx.net)
    net = ctx.net
    if ctx.added_plants:
        # a new plant needs trade routes for what it takes and makes, and its recipe variants
        base_year = int(net.meta.get("base_year", int(periods["year"].min())))
        net = complete_network(net, base_year)
    if any(isinstance(ev, AgreementChange | AgreementSuspend | AgreementNew) for _, ev in labelled):
        net.agreements, tables["agreement_suspensions"] = resolve_agreements(labelled, net)
    frames = {}
    for name, rows in tables.items():
        frames[name] = pd.DataFrame(rows, columns=list(LEVER_TABLES[name].names))
    levers = Levers(**frames)
    return Applied(scenario, horizon, levers, net, scenario.foresight, ctx.notes)


def prepare(scenario: Scenario, reference: Mapping[str, pd.DataFrame] | None = None) -> Applied:
    """From a scenario to (Horizon, Levers, Network): parameter overrides on the reference
    tables, the network built from them to the end of the horizon, then `apply`."""
    from pathlib import Path

    from rareflow.calibration import calibrated_network
    from rareflow.data.loader import base_edition, load_reference, vintage_dir
    from rareflow.network_builder import BuildOptions
    from rareflow.planning import plan_years, planned_network

    # a vintage replaces today's tables by what was known at the end of its base year
    data_dir = vintage_dir(scenario.vintage) if scenario.vintage is not None else None
    data_dir = Path(scenario.data) if scenario.data else data_dir
    if reference is None:
        reference = load_reference(data_dir)
    tables = apply_parameters(scenario, reference)
    options = BuildOptions()
    if scenario.vintage is not None:
        options = BuildOptions(
            base_year=scenario.vintage, edition=base_edition(tables, scenario.vintage)
        )
    last_year = max(scenario.horizon.end.year, 2040)
    network = calibrated_network(tables, options, last_year=last_year)
    network = planned_network(network, tables, *plan_years(network, scenario.horizon.end.year))
    return apply(scenario, network, load_vocabulary(data_dir))
