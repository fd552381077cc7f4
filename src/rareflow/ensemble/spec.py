"""Ensemble files: a scenario plus the parameters that are uncertain, and how they vary.

The scenario schema is untouched: an ensemble file names a scenario file and lists its
uncertain values under `uncertain:`, each with a `path` into the resolved scenario (or into
the reference data) and a distribution. A sample is the scenario with those values
substituted (`substitute`); see docs/ensembles.md for the syntax.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from rareflow.ensemble.distributions import Distribution, DistributionError, make_distribution
from rareflow.scenario.errors import ScenarioError
from rareflow.scenario.loader import Document, read_document
from rareflow.scenario.schema import Horizon, Parameter, Scenario
from rareflow.scenario.units import DURATION, MASS, MASS_RATE, PRICE, UnitKind, parse_quantity
from rareflow.scenario.vocabulary import DATA_FIRST_YEAR, DATA_LAST_YEAR

DAYS_PER_MONTH = 365.25 / 12.0
OPS = ("set", "shift", "scale")
# event fields holding a quantity, and the unit they are stored in
QUANTITY_FIELDS: dict[str, UnitKind] = {
    "delay": DURATION,
    "notice": DURATION,
    "ramp": DURATION,
    "quantity": MASS_RATE,
    "volume_min": MASS_RATE,
    "volume_max": MASS_RATE,
    "release": MASS_RATE,
    "target": MASS,
    "amount": PRICE,
    "price_above": PRICE,
}
SHARE_FIELDS = ("approval_share", "share", "rate")
DATE_FIELDS = ("start", "end", "by")
# a shift may move a date earlier: durations of either sign
SIGNED_DURATION = UnitKind(DURATION.unit, "-30 days", nonnegative=False)

_EVENT_PATH = re.compile(r"^events\[(\d+)\]\.([a-z_]+)(?:\[(\d{4}-\d{2}(?:-\d{2})?)\])?$")
_REFERENCE_PATH = re.compile(r"^reference\.([a-z_]+)\[([^\]]+)\]\.([a-z_]+)$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TOP_FIELDS = ("name", "description", "scenario", "horizon", "seed", "batch_size", "uncertain")
_PARAM_FIELDS = (
    "name",
    "path",
    "op",
    "dist",
    "group",
    "note",
    "source",
    "low",
    "high",
    "mode",
    "mean",
    "sd",
    "median",
    "sigma",
    "values",
    "weights",
)


@dataclass(frozen=True)
class Uncertain:
    """One uncertain parameter: where it goes, how it is applied, its distribution."""

    name: str
    path: str
    op: str  # set | shift | scale
    dist: Distribution
    group: str
    # parsed path: ("event", index, field, point-date or None) or ("reference", table, key, column)
    target: tuple[Any, ...]
    unit: str  # unit of the sampled value ('' for plain numbers)


@dataclass(frozen=True)
class EnsembleSpec:
    """A parsed ensemble file: the resolved scenario (horizon override applied) and its
    uncertain parameters. Picklable, so it travels to process and Dask workers."""

    name: str
    file: str
    scenario: Scenario
    parameters: tuple[Uncertain, ...]
    seed: int = 0
    batch_size: int = 0  # 0: chosen by the runner
    description: str = ""
    reference_base: Mapping[tuple[str, tuple[str, ...], str], float] = field(default_factory=dict)

    @property
    def warnings(self) -> list[str]:
        """Sampled parameters the horizon's step hides: a licence on yearly periods is applied
        and its queue worked off inside one period, so the year's totals hardly move."""
        horizon = self.scenario.horizon
        if horizon is None or horizon.step != "year":
            return []
        out = []
        for p in self.parameters:
            if p.target[0] != "event":
                continue
            event = self.scenario.events[int(p.target[1])]
            if getattr(event, "type", "") == "export_licence":
                out.append(
                    f"'{p.name}' samples an export licence (events[{p.target[1]}]) on yearly "
                    "periods: its queue is worked off inside a year, so outcomes may not move; "
                    "use a quarterly or monthly horizon step"
                )
        return out

    @property
    def groups(self) -> list[str]:
        """Distinct groups in order of first appearance: the columns of the design."""
        out: list[str] = []
        for p in self.parameters:
            if p.group not in out:
                out.append(p.group)
        return out

    def digest(self) -> str:
        """A hash of everything that defines the samples' inputs (for --resume checks)."""
        payload = {
            "scenario": self.scenario.model_dump(mode="json", exclude={"files"}),
            "parameters": [[p.name, p.path, p.op, repr(p.dist), p.group] for p in self.parameters],
            "seed": self.seed,
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


# ---------------------------------------------------------------------------------------------
# reading


def _number(doc: Document, loc: tuple[str | int, ...], value: Any, kind: UnitKind | None) -> float:
    """A distribution parameter in the target's unit: a quantity string or a bare number."""
    if kind is None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise doc.error(loc, f"expected a number, got {value!r}")
        return float(value)
    try:
        return parse_quantity(value, kind)
    except ValueError as exc:
        raise doc.error(loc, str(exc)) from None


def _unit_kind(
    doc: Document, loc: tuple[str | int, ...], scenario: Scenario, target: tuple[Any, ...], op: str
) -> UnitKind | None:
    """The unit a parameter's distribution is written in (None: plain numbers)."""
    if op == "scale":
        return None
    if target[0] == "reference":
        if op == "shift":
            raise doc.error(loc, "op shift moves dates; for a reference value use set or scale")
        return None
    _, index, name, point = target
    event = scenario.events[index]
    current = getattr(event, name)
    if name in DATE_FIELDS or (name == "path" and point is None):
        if op == "set" and name == "start":
            raise doc.error(loc, "to move a start use op: shift (a duration added to it)")
        if name == "path" and op == "set":
            raise doc.error(loc, "a whole capacity path takes op shift (dates) or scale (values)")
        if op == "set" and event.start is None:
            raise doc.error(
                loc, f"op set on {name} counts from the event's start, and events[{index}] has none"
            )
        if op == "shift" and name != "path" and current is None:
            raise doc.error(loc, f"events[{index}].{name} is not set; nothing to shift")
        return SIGNED_DURATION if op == "shift" else DURATION
    if op == "shift":
        raise doc.error(loc, "op shift moves dates (start, end, by, path); use set or scale")
    if name == "path":
        return MASS_RATE
    if name in QUANTITY_FIELDS:
        return QUANTITY_FIELDS[name]
    return None


def _parse_target(
    doc: Document,
    loc: tuple[str | int, ...],
    path: str,
    scenario: Scenario,
    reference: Mapping[str, pd.DataFrame] | None,
) -> tuple[tuple[Any, ...], float | None]:
    """The parsed target of `path`, and the current value of a reference cell."""
    m = _EVENT_PATH.match(path)
    if m:
        index, name, point = int(m.group(1)), m.group(2), m.group(3)
        events = scenario.events
        if index >= len(events):
            listed = "; ".join(f"[{i}] {e.type}" for i, e in enumerate(events)) or "none"
            raise doc.error(
                loc, f"no events[{index}] in scenario {scenario.name} (events: {listed})"
            )
        event = events[index]
        if name not in type(event).model_fields or name in ("type", "note", "source"):
            raise doc.error(loc, f"events[{index}] ({event.type}) has no numeric field '{name}'")
        current = getattr(event, name)
        if point is not None:
            if name != "path":
                raise doc.error(loc, "only a capacity `path` takes a [date] point")
            when = _parse_point(point)
            if when not in current:
                known = ", ".join(d.strftime("%Y-%m") for d in sorted(current))
                raise doc.error(loc, f"the path of events[{index}] has no point {point} ({known})")
            return ("event", index, name, when), None
        numeric = isinstance(current, int | float) and not isinstance(current, bool)
        if not (numeric or name in DATE_FIELDS or name == "path"):
            raise doc.error(
                loc, f"events[{index}].{name} is not a number, a date or a capacity path"
            )
        return ("event", index, name, None), None
    m = _REFERENCE_PATH.match(path)
    if m:
        return _reference_target(doc, loc, m, reference)
    raise doc.error(
        loc,
        f"expected a path such as events[1].approval_share, events[2].path[2030-01] or "
        f"reference.elasticities[demand,short,magnet].value, got '{path}'",
    )


def _parse_point(text: str) -> dt.date:
    parts = [int(p) for p in text.split("-")]
    return dt.date(parts[0], parts[1], parts[2] if len(parts) == 3 else 1)


def _reference_target(
    doc: Document,
    loc: tuple[str | int, ...],
    m: re.Match[str],
    reference: Mapping[str, pd.DataFrame] | None,
) -> tuple[tuple[Any, ...], float]:
    from rareflow.data.schema import SPECS_BY_NAME

    table, key_text, column = m.group(1), m.group(2), m.group(3)
    spec = SPECS_BY_NAME.get(table)
    if spec is None:
        raise doc.error(
            loc, f"unknown table '{table}'; expected one of: {', '.join(SPECS_BY_NAME)}"
        )
    col = next((c for c in spec.columns if c.name == column), None)
    if col is None or col.type not in ("float", "int"):
        numeric = [c.name for c in spec.columns if c.type in ("float", "int")]
        raise doc.error(
            loc,
            f"table {table} has no numeric column '{column}'; expected one of: "
            + ", ".join(numeric),
        )
    key = tuple(k.strip() for k in key_text.split(","))
    if len(key) != len(spec.key):
        raise doc.error(
            loc,
            f"expected {len(spec.key)} key value(s) for table {table} ({', '.join(spec.key)}), "
            f"got {len(key)}",
        )
    if reference is None:
        raise doc.error(loc, "the reference data are needed to read this value")
    frame = reference[table]
    hit = pd.Series(True, index=frame.index)
    for name, value in zip(spec.key, key, strict=True):
        hit &= frame[name].astype(str) == value
    if not hit.any():
        raise doc.error(loc, f"no row {'/'.join(key)} in table {table} of the reference data")
    return ("reference", table, key, column), float(frame.loc[hit, column].iloc[0])


def load_ensemble(path: str | Path, horizon: Horizon | None = None) -> EnsembleSpec:
    """Read an ensemble file; ScenarioError (file:line: field: message) when it is wrong."""
    from rareflow.data.loader import load_reference
    from rareflow.scenario.loader import load_scenario
    from rareflow.scenario.shipped import shipped_scenarios

    doc = read_document(path)
    data = doc.data
    for key in data:
        if key not in _TOP_FIELDS:
            raise doc.error((key,), f"unknown field; expected one of: {', '.join(_TOP_FIELDS)}")
    for key in ("name", "scenario", "uncertain"):
        if key not in data:
            raise doc.error((key,), "required field is missing")
    name = data["name"]
    if not isinstance(name, str) or not re.match(r"^[a-z0-9][a-z0-9._-]*$", name):
        raise doc.error(("name",), f"expected a lowercase id such as seed-uncertain, got {name!r}")
    scen_path = doc.path.parent / str(data["scenario"])
    shipped = shipped_scenarios().get(str(data["scenario"]))
    if not scen_path.is_file() and shipped is not None:
        scen_path = shipped  # the name of a shipped scenario
    if not scen_path.is_file():
        raise doc.error(
            ("scenario",), f"no scenario file '{data['scenario']}' (looked for {scen_path})"
        )
    scenario = load_scenario(scen_path)
    if "horizon" in data:
        try:
            override = Horizon.model_validate(data["horizon"])
        except ValidationError as exc:
            first = exc.errors()[0]["msg"]
            raise doc.error(
                ("horizon",), f"expected {{start: YYYY-MM, end: YYYY-MM, step}}: {first}"
            ) from None
        y0, y1 = override.start.year, override.end.year
        if y0 < DATA_FIRST_YEAR or y1 > DATA_LAST_YEAR:
            raise doc.error(
                ("horizon",),
                f"expected months within the data, {DATA_FIRST_YEAR}-01 to {DATA_LAST_YEAR}-12",
            )
        scenario = scenario.model_copy(update={"horizon": override})
    if horizon is not None:
        scenario = scenario.model_copy(update={"horizon": horizon})
    seed = data.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise doc.error(("seed",), f"expected a whole number >= 0, got {seed!r}")
    batch = data.get("batch_size", 0)
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 0:
        raise doc.error(("batch_size",), f"expected a whole number >= 1, got {batch!r}")
    items = data["uncertain"]
    if not isinstance(items, list) or not items:
        raise doc.error(("uncertain",), "expected a non-empty list of uncertain parameters")
    needs_reference = any(
        isinstance(i, dict) and str(i.get("path", "")).startswith("reference.") for i in items
    )
    reference = None
    if needs_reference:
        reference = load_reference(Path(scenario.data) if scenario.data else None)
    params: list[Uncertain] = []
    base: dict[tuple[str, tuple[str, ...], str], float] = {}
    for i, item in enumerate(items):
        param, ref_value = _parse_param(doc, i, item, scenario, reference)
        if any(p.name == param.name for p in params):
            raise doc.error(("uncertain", i, "name"), f"duplicate name '{param.name}'")
        if any(p.target == param.target for p in params):
            raise doc.error(("uncertain", i, "path"), f"{param.path} is already uncertain above")
        if ref_value is not None:
            base[(param.target[1], param.target[2], param.target[3])] = ref_value
        params.append(param)
    spec = EnsembleSpec(
        name=name,
        file=str(doc.path),
        scenario=scenario,
        parameters=tuple(params),
        seed=seed,
        batch_size=batch,
        description=str(data.get("description", "")),
        reference_base=base,
    )
    _check_supports(doc, spec)
    return spec


def _parse_param(
    doc: Document,
    i: int,
    item: Any,
    scenario: Scenario,
    reference: Mapping[str, pd.DataFrame] | None,
) -> tuple[Uncertain, float | None]:
    loc: tuple[str | int, ...] = ("uncertain", i)
    if not isinstance(item, dict):
        raise doc.error(loc, "expected a mapping (name, path, dist, ...)")
    for key in item:
        if key not in _PARAM_FIELDS:
            raise doc.error(
                (*loc, key), f"unknown field; expected one of: {', '.join(_PARAM_FIELDS)}"
            )
    for key in ("name", "path", "dist"):
        if key not in item:
            raise doc.error((*loc, key), "required field is missing")
    name = item["name"]
    if not isinstance(name, str) or not _NAME.match(name):
        raise doc.error(
            (*loc, "name"), f"expected an identifier (letters, digits, _), got {name!r}"
        )
    op = item.get("op", "set")
    if op not in OPS:
        raise doc.error((*loc, "op"), f"expected one of {', '.join(OPS)}, got {op!r}")
    path = str(item["path"]).strip()
    target, ref_value = _parse_target(doc, (*loc, "path"), path, scenario, reference)
    kind = _unit_kind(doc, (*loc, "path"), scenario, target, op)
    dist_name = str(item["dist"])
    params: dict[str, Any] = {}
    for key in ("low", "high", "mode", "mean", "sd", "median", "sigma"):
        if key in item:
            # sd and sigma are spreads: sd shares the unit, sigma is on the log scale
            unit = None if key == "sigma" else kind
            params[key] = _number(doc, (*loc, key), item[key], unit)
    for key in ("values", "weights"):
        if key in item:
            values = item[key]
            if not isinstance(values, list):
                raise doc.error((*loc, key), "expected a list such as [a, b]")
            unit = kind if key == "values" else None
            params[key] = [_number(doc, (*loc, key, j), v, unit) for j, v in enumerate(values)]
    try:
        dist = make_distribution(dist_name, params)
    except DistributionError as exc:
        raise doc.error((*loc, "dist"), str(exc)) from None
    group = item.get("group", name)
    if not isinstance(group, str) or not _NAME.match(group):
        raise doc.error((*loc, "group"), f"expected an identifier, got {group!r}")
    unit_name = "" if kind is None else kind.unit
    return Uncertain(name, path, op, dist, group, target, unit_name), ref_value


def _check_supports(doc: Document, spec: EnsembleSpec) -> None:
    """Every value a distribution can take gives a valid scenario (shares in [0, 1], ...)."""
    for i, p in enumerate(spec.parameters):
        lo, hi = p.dist.support
        loc: tuple[str | int, ...] = ("uncertain", i, "dist")
        if p.target[0] == "reference":
            continue
        _, index, name, point = p.target
        event = spec.scenario.events[index]
        base = getattr(event, name)
        if point is not None:
            base = base[point]
        for value in (lo, hi):
            result = value * base if p.op == "scale" and isinstance(base, int | float) else value
            if name in SHARE_FIELDS and not 0.0 <= result <= 1.0:
                raise doc.error(
                    loc, f"{p.path} is a share: values must stay in [0, 1], got {result:g}"
                )
            if p.op == "scale" and value < 0:
                raise doc.error(loc, f"a scale factor must be >= 0, got {value:g}")
            if (name in QUANTITY_FIELDS or name == "path") and p.op != "shift" and result < 0:
                raise doc.error(loc, f"{p.path} must stay >= 0, got {result:g}")
            if name in ("end", "by") and p.op == "set" and value <= 0:
                raise doc.error(loc, f"{p.path} counts from the start: durations must be > 0")


# ---------------------------------------------------------------------------------------------
# applying a sample


def _add_months(date: dt.date, months: float) -> dt.date:
    return date + dt.timedelta(days=round(months * DAYS_PER_MONTH))


def _event_value(event: Any, name: str, point: dt.date | None, op: str, value: float) -> Any:
    current = getattr(event, name)
    if name == "path" and point is None:
        if op == "shift":
            return {_add_months(d, value): v for d, v in current.items()}
        return {d: v * value for d, v in current.items()}
    if point is not None:
        new = dict(current)
        new[point] = current[point] * value if op == "scale" else value
        return new
    if name in DATE_FIELDS:
        if op == "shift":
            return _add_months(current, value)
        return _add_months(event.start, value)
    return current * value if op == "scale" else value


def substitute(spec: EnsembleSpec, values: Mapping[str, float]) -> Scenario:
    """The scenario of one sample: event fields replaced (model_copy) and reference values as
    `parameter` events appended, so `prepare` applies them like any scenario's overrides."""
    events = list(spec.scenario.events)
    extra: list[Parameter] = []
    # shifts last, so that a point of a capacity path is found under its written date and an
    # `end` set from the start counts from the start as written
    ordered = sorted(spec.parameters, key=lambda p: p.op == "shift")
    for p in ordered:
        value = float(values[p.name])
        if p.target[0] == "event":
            _, index, name, point = p.target
            event = events[index]
            events[index] = event.model_copy(
                update={name: _event_value(event, name, point, p.op, value)}
            )
            if (
                name == "start"
                and events[index].end is not None
                and events[index].end <= events[index].start
            ):
                raise ScenarioError(
                    f"{spec.file}: sample {p.name}={value:g} moves events[{index}] past its end"
                )
        else:
            _, table, key, column = p.target
            base = spec.reference_base[(table, key, column)]
            new = base * value if p.op == "scale" else value
            extra.append(
                Parameter(
                    type="parameter",
                    table=table,
                    key=list(key),
                    column=column,
                    value=new,
                    note=f"ensemble parameter {p.name}",
                    source=spec.file,
                )
            )
    return spec.scenario.model_copy(update={"events": [*events, *extra]})


def reference_overrides(scenario: Scenario) -> list[Parameter]:
    """The `parameter` events of a scenario (what makes its network differ from the base)."""
    return [e for e in scenario.events if isinstance(e, Parameter)]
