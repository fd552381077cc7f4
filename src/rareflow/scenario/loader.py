"""Read scenario files: YAML with line numbers, schema validation, names, bases.

Every problem becomes one `ScenarioError` whose message is a single line
`file.yaml:12: events[1].approval_share: expected a number between 0 and 1, got 1.4`.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from rareflow.data.loader import ReferenceDataError, vintage_dir
from rareflow.data.schema import SPECS_BY_NAME
from rareflow.scenario.errors import ScenarioError
from rareflow.scenario.safe_yaml import BoundedLoader, compose, yaml_error
from rareflow.scenario.schema import (
    EVENT_MODELS,
    Horizon,
    Outage,
    Replay,
    Scenario,
    ScenarioFile,
)
from rareflow.scenario.shipped import find_scenario, shipped_scenarios
from rareflow.scenario.vocabulary import (
    DATA_FIRST_YEAR,
    DATA_LAST_YEAR,
    Vocabulary,
    load_vocabulary,
    material_yield,
    variant_processes,
)

Loc = tuple[str | int, ...]

# ---------------------------------------------------------------------------------------------
# YAML with line numbers


_Loader = BoundedLoader  # depth, alias, number and character limits: see safe_yaml


@dataclass
class Document:
    """A parsed file: plain data, and the line of every mapping key and list item."""

    path: Path
    data: Any
    lines: dict[Loc, int]

    def line(self, loc: Loc) -> int:
        """Line of `loc`, or of its nearest enclosing item that has one."""
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.lines:
                return self.lines[loc[:end]]
        return 1

    def error(self, loc: Loc, message: str) -> ScenarioError:
        return ScenarioError(message, self.path, self.line(loc), _field_name(loc))


def _field_name(loc: Loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _build(node: yaml.Node, loader: _Loader, loc: Loc, lines: dict[Loc, int], path: Path) -> Any:
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if isinstance(key, list | dict):
                raise ScenarioError(
                    "expected a plain key", path, key_node.start_mark.line + 1, _field_name(loc)
                )
            key = str(key) if not isinstance(key, str) else key
            if key in out:
                raise ScenarioError(
                    f"duplicate key '{key}'",
                    path,
                    key_node.start_mark.line + 1,
                    _field_name((*loc, key)),
                )
            lines[(*loc, key)] = key_node.start_mark.line + 1
            out[key] = _build(value_node, loader, (*loc, key), lines, path)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            lines[(*loc, i)] = item.start_mark.line + 1
            items.append(_build(item, loader, (*loc, i), lines, path))
        return items
    return loader.construct_object(node, deep=True)


def read_document(path: str | Path) -> Document:
    """Parse one YAML file into plain data with line numbers; YAML errors as ScenarioError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError("no such file", path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read the file ({exc})", path) from None
    loader, node = compose(text, path)
    try:
        if node is None:
            raise ScenarioError(
                "the file is empty; expected a scenario mapping (name: ...)", path, 1
            )
        lines: dict[Loc, int] = {(): node.start_mark.line + 1}
        data = _build(node, loader, (), lines, path)
    except yaml.MarkedYAMLError as exc:
        raise yaml_error(exc, path) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"invalid YAML: {exc}", path, 1) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise ScenarioError(
            f"expected a mapping of fields (name: ..., horizon: ...), got {type(data).__name__}",
            path,
            1,
        )
    return Document(path, data, lines)


# ---------------------------------------------------------------------------------------------
# pydantic errors as one line


def _walk(loc: tuple[Any, ...], data: Any, missing: bool) -> Loc:
    """The data path of a pydantic error location (union tags and '[key]' dropped)."""
    out: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            out.append(part)
            node = node[part]
        elif last and missing and isinstance(part, str):
            out.append(part)
        # anything else is a union tag (event type, 'str', 'list[str]') or '[key]'
    return tuple(out)


def _model_at(loc: Loc, data: Any) -> type[BaseModel] | None:
    """The model whose fields live at `loc` (for 'unknown field' messages)."""
    if loc == ():
        return ScenarioFile
    if loc == ("horizon",):
        return Horizon
    if loc == ("replay",):
        return Replay
    if len(loc) == 2 and loc[0] == "events":
        event = data["events"][loc[1]]
        if isinstance(event, dict):
            return EVENT_MODELS.get(str(event.get("type")))
    return None


def _describe_input(value: Any) -> str:
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return str(value)


_CUSTOM_PATTERN = {
    "name": "expected a lowercase id (letters, digits, '-', '.', '_'), e.g. india-pauses-toyotsu",
    "foresight": "expected perfect, myopic or 'window N'",
}


def _message(err: Mapping[str, Any], loc: Loc, data: Any) -> tuple[Loc, str]:
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    got = _describe_input(value)
    if kind == "missing":
        return loc, "required field is missing"
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1], data)
        key = str(loc[-1]) if loc else ""
        if model is not None:
            names = [n for n in model.model_fields if n != "files"]
            close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
            guess = f"did you mean '{close[0]}'? " if close else ""
            return loc, f"unknown field '{key}'; {guess}expected one of: {', '.join(names)}"
        return loc, f"unknown field '{key}'"
    if kind == "union_tag_invalid":
        loc = (*loc, "type")
        tags = str(ctx.get("expected_tags", "")).replace("'", "")
        return loc, f"unknown event type '{ctx.get('tag')}'; expected one of: {tags}"
    if kind == "union_tag_not_found":
        return loc, f"expected a `type` field naming the event, one of: {', '.join(EVENT_MODELS)}"
    if kind == "value_error":
        return loc, str(ctx.get("error", err["msg"]))
    if kind == "literal_error":
        return loc, f"expected {ctx.get('expected')}, got {got}"
    if kind in ("float_parsing", "float_type", "int_parsing", "int_type", "int_from_float"):
        noun = "a whole number" if kind.startswith("int") else "a number"
        return loc, f"expected {noun}, got {got}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sign = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<="}.get(
            kind, "<"
        )
        bound = next(iter(ctx.values()), "")
        return loc, f"expected a number {sign} {bound}, got {got}"
    if kind in ("string_type",):
        return loc, f"expected text, got {got}"
    if kind == "string_pattern_mismatch":
        field = str(loc[-1]) if loc else ""
        return loc, _CUSTOM_PATTERN.get(field, f"expected text matching {ctx.get('pattern')}") + (
            f", got {got}"
        )
    if kind in ("list_type", "tuple_type", "set_type"):
        return loc, f"expected a list such as [a, b], got {got}"
    if kind in ("dict_type", "model_type", "model_attributes_type", "mapping_type"):
        return loc, f"expected a mapping (key: value), got {got}"
    if kind in ("bool_parsing", "bool_type"):
        return loc, f"expected true or false, got {got}"
    return loc, f"{err['msg']}, got {got}"


def _validation_error(doc: Document, exc: ValidationError) -> ScenarioError:
    """The first problem in file order, as one line.

    A misspelt key shows up twice: as an unknown key and as the required one missing from the
    same mapping; the unknown key is the one the user wrote, so it is reported instead.
    """
    errors = exc.errors()
    misspelt = {tuple(e["loc"][:-1]) for e in errors if e["type"] == "extra_forbidden"}
    errors = [
        e for e in errors if not (e["type"] == "missing" and tuple(e["loc"][:-1]) in misspelt)
    ]
    found = []
    for err in errors:
        loc = _walk(tuple(err["loc"]), doc.data, err["type"] == "missing")
        loc, text = _message(err, loc, doc.data)
        found.append((doc.line(loc), loc, text))
    line, loc, text = min(found, key=lambda f: f[0])
    return ScenarioError(text, doc.path, line, _field_name(loc))


# ---------------------------------------------------------------------------------------------
# names against the reference data

# which vocabulary each event field draws its names from
_NAME_FIELDS: dict[str, str] = {
    "exporter": "region",
    "importer": "region",
    "region": "region",
    "destinations": "region",
    "exclude": "region",
    "origins": "region",
    "materials": "material_pattern",
    "material": "material",
    "elements": "element",
    "forms": "form",
    "end_users": "sector",
    "sector": "sector",
    "agreement": "agreement",
    "seller": "region",
    "buyer": "region",
    "stage": "stage",
}


def _known(vocab: Vocabulary, kind: str) -> set[str]:
    return {
        "region": set(vocab.regions),
        "material": set(vocab.materials),
        "element": set(vocab.elements),
        "form": set(vocab.forms),
        "sector": set(vocab.sectors),
        "facility": set(vocab.facilities),
        "agreement": set(vocab.agreements),
        "stage": set(vocab.stages),
        "process": set(vocab.processes),
    }[kind]


def _hint(value: str, known: set[str], aliases: Mapping[str, str] | None = None) -> str:
    """A did-you-mean for `value`: ids are case-sensitive, but `chn` or `China` means CHN."""
    # lowercased ids and names (aliases) -> the id to write
    spelled = {k.lower(): k for k in known}
    spelled.update({name.lower(): code for name, code in (aliases or {}).items()})
    exact = spelled.get(value.strip().lower())
    if exact is not None:
        return f"did you mean {exact}?"
    close = difflib.get_close_matches(value.lower(), sorted(spelled), n=3, cutoff=0.6)
    if close:
        return "did you mean " + " or ".join(dict.fromkeys(spelled[c] for c in close)) + "?"
    if len(known) <= 16:
        return "expected one of: " + ", ".join(sorted(known))
    return "see `rareflow data` for the names"


def _aliases(vocab: Vocabulary, kind: str) -> dict[str, str]:
    """Other names users write for an id: a region's name (China -> CHN)."""
    regions = vocab.tables.get("regions")
    if kind != "region" or regions is None or "name" not in regions.columns:
        return {}
    return {str(n): str(c) for n, c in zip(regions["name"], regions["code"], strict=True)}


def _check_name(doc: Document, loc: Loc, kind: str, value: str, vocab: Vocabulary) -> None:
    noun = {"material_pattern": "material"}.get(kind, kind)
    if kind == "material_pattern":
        if vocab.expand(value):
            return
        known = set(vocab.materials)
        wildcard = any(c in value for c in "*?[")
        what = "matches no material" if wildcard else "is not a known material"
        raise doc.error(loc, f"'{value}' {what}; {_hint(value, known)}")
    known = _known(vocab, kind)
    if value not in known:
        source = "the reference data" if vocab.origin == "reference" else "the data contract"
        hint = _hint(value, known, _aliases(vocab, kind))
        raise doc.error(loc, f"unknown {noun} '{value}' (not in {source}); {hint}")


def _check_parameter(doc: Document, loc: Loc, event: Any, vocab: Vocabulary) -> None:
    spec = SPECS_BY_NAME.get(event.table)
    if spec is None:
        raise doc.error(
            (*loc, "table"),
            f"unknown table '{event.table}'; expected one of: {', '.join(SPECS_BY_NAME)}",
        )
    columns = [c.name for c in spec.columns]
    if event.column not in columns:
        raise doc.error(
            (*loc, "column"),
            f"table {spec.name} has no column '{event.column}'; expected one of: "
            + ", ".join(columns),
        )
    key = [event.key] if isinstance(event.key, str) else list(event.key)
    if len(key) != len(spec.key):
        raise doc.error(
            (*loc, "key"),
            f"expected {len(spec.key)} key value(s) for table {spec.name} ({', '.join(spec.key)}), "
            f"got {len(key)}",
        )
    frame = vocab.tables.get(spec.name)
    if frame is not None and not frame.empty:
        match = frame
        for col, val in zip(spec.key, key, strict=True):
            match = match[match[col].astype(str) == str(val)]
        if match.empty:
            raise doc.error(
                (*loc, "key"), f"no row {'/'.join(key)} in table {spec.name} of the reference data"
            )


def _event_names(event: Any) -> Iterator[tuple[Loc, str, str]]:
    """(relative loc, vocabulary kind, value) of every name an event uses."""
    for name, kind in _NAME_FIELDS.items():
        value = getattr(event, name, None)
        if value is None:
            continue
        if isinstance(value, list):
            for i, item in enumerate(value):
                yield (name, i), kind, str(item)
        else:
            yield (name,), kind, str(value)


def check_names(doc: Document, parsed: ScenarioFile, vocab: Vocabulary) -> None:
    """Every region, material, facility ... an event names exists in `vocab`."""
    created: set[str] = set()  # agreements an earlier agreement_new of this file made
    for i, event in enumerate(parsed.events):
        loc: Loc = ("events", i)
        for rel, kind, value in _event_names(event):
            if kind == "agreement" and event.type == "agreement_new":
                if value in vocab.agreements or value in created:
                    raise doc.error((*loc, *rel), f"agreement {value} already exists")
                created.add(value)
            elif not (kind == "agreement" and value in created):
                _check_name(doc, (*loc, *rel), kind, value, vocab)
        if event.type == "parameter":
            _check_parameter(doc, loc, event, vocab)
        if event.type == "capacity":
            _check_capacity_facility(doc, loc, event, vocab)
        elif isinstance(event, Outage) and event.facility is not None:
            _check_name(doc, (*loc, "facility"), "facility", event.facility, vocab)


def _check_capacity_facility(doc: Document, loc: Loc, event: Any, vocab: Vocabulary) -> None:
    """A capacity path names a facility of the data, or a new one with region and process."""
    if event.process is None:
        _check_name(doc, (*loc, "facility"), "facility", event.facility, vocab)
        if event.material is not None:
            _check_capacity_material(doc, loc, event, vocab)
        return
    if event.facility in vocab.facilities:
        raise doc.error(
            (*loc, "region"),
            f"facility {event.facility} is in the data; `region` and `process` are only for a "
            "new facility (drop them, or choose a new id)",
        )
    _check_name(doc, (*loc, "process"), "process", event.process, vocab)
    _check_name(doc, (*loc, "region"), "region", event.region, vocab)
    if event.material is not None:
        _check_capacity_material(doc, loc, event, vocab)


def _check_capacity_material(doc: Document, loc: Loc, event: Any, vocab: Vocabulary) -> None:
    """The material of a capacity path must be made by the facility's process, directly or
    by the processes its output feeds (see `material_yield`)."""
    tables = vocab.tables
    if "facilities" not in tables or "process_coefficients" not in tables:
        return
    if event.process is not None:
        process = str(event.process)
    else:
        fac = tables["facilities"]
        found = fac.loc[fac["facility"] == event.facility, "process"]
        if found.empty:
            return
        process = str(found.iloc[0])
    coef = tables["process_coefficients"]
    variants = variant_processes(tables["processes"])
    if material_yield(coef, process, str(event.material), variants=variants) is None:
        outputs = set(
            coef.loc[(coef["process"] == process) & (coef["coefficient"] > 0), "material"]
        )
        raise doc.error(
            (*loc, "material"),
            f"facility {event.facility} ({process}) does not make {event.material}, directly or "
            f"downstream; expected one of: {', '.join(sorted(outputs))}",
        )


# ---------------------------------------------------------------------------------------------
# dates: replay shift and horizon


def _shift_date(value: dt.date, years: int) -> dt.date:
    try:
        return value.replace(year=value.year + years)
    except ValueError:  # 29 February
        return value.replace(year=value.year + years, day=28)


def _shift(value: Any, years: int) -> Any:
    """`value` with every date moved by `years` (models rebuilt, dict keys included)."""
    if years == 0:
        return value
    if isinstance(value, dt.date):
        return _shift_date(value, years)
    if isinstance(value, BaseModel):
        changes = {
            name: _shift(getattr(value, name), years)
            for name in type(value).model_fields
            if name != "replay"
        }
        return value.model_copy(update=changes)
    if isinstance(value, list):
        return [_shift(v, years) for v in value]
    if isinstance(value, dict):
        return {_shift(k, years): _shift(v, years) for k, v in value.items()}
    return value


def _check_horizon(
    doc: Document, horizon: Horizon, replay: Replay | None, vintage: int | None = None
) -> None:
    shift = replay.shift_years if replay else 0
    first = vintage + 1 if vintage is not None else DATA_FIRST_YEAR  # after the base year
    for name, date in (("start", horizon.start), ("end", horizon.end)):
        year = date.year + shift
        if not first <= year <= DATA_LAST_YEAR:
            hint = (
                f" (played {shift:+d} years by `replay`)"
                if shift
                else "; to replay history on today's data add `replay: {year: Y, model_year: 2024}`"
            )
            raise doc.error(
                ("horizon", name),
                f"expected a month within the data, {first}-01 to "
                f"{DATA_LAST_YEAR}-12, got {date.strftime('%Y-%m')}{hint}",
            )


# ---------------------------------------------------------------------------------------------
# scenarios with bases


def parse_file(path: str | Path, vocab: Vocabulary | None = None) -> tuple[Document, ScenarioFile]:
    """Read and validate one file on its own (its base is not read)."""
    doc = read_document(path)
    try:
        parsed = ScenarioFile.model_validate(doc.data)
    except ValidationError as exc:
        raise _validation_error(doc, exc) from None
    vocab = vocab if vocab is not None else _vocabulary_for(doc, parsed)
    check_names(doc, parsed, vocab)
    if parsed.horizon is not None:
        _check_horizon(doc, parsed.horizon, parsed.replay, parsed.vintage)
    return doc, parsed


def _vocabulary_for(doc: Document, parsed: ScenarioFile) -> Vocabulary:
    if parsed.vintage is not None:
        if parsed.data is not None:
            raise doc.error(("vintage",), "expected either `data` or `vintage`, not both")
        if parsed.replay is not None:
            raise doc.error(("vintage",), "expected either `replay` or `vintage`, not both")
        try:
            return load_vocabulary(vintage_dir(parsed.vintage))
        except ReferenceDataError as exc:
            raise doc.error(("vintage",), str(exc)) from None
    data_dir = (doc.path.parent / parsed.data) if parsed.data else None
    if data_dir is not None and not data_dir.is_dir():
        raise doc.error(("data",), f"expected a directory of reference tables, got '{parsed.data}'")
    try:
        return load_vocabulary(data_dir)
    except Exception as exc:  # a broken reference table is reported, not a traceback
        raise ScenarioError(f"cannot read the reference data: {exc}", doc.path, 1) from None


def _base_path(doc: Document, base: str) -> Path:
    here = doc.path.parent
    if base.endswith((".yaml", ".yml")) or "/" in base:
        candidate = here / base
        looked = str(candidate)
    else:
        candidate = here / f"{base}.yaml"
        if not candidate.exists() and (here / f"{base}.yml").exists():
            candidate = here / f"{base}.yml"
        looked = str(candidate)
    if not candidate.is_file() and "/" not in base:
        # a bare name may be a shipped scenario (from a user's file anywhere)
        shipped = shipped_scenarios().get(base.removesuffix(".yaml").removesuffix(".yml"))
        candidate = shipped if shipped is not None else candidate
    if not candidate.is_file():
        raise doc.error(("base",), f"no base scenario '{base}' (looked for {looked})")
    return candidate


@dataclass
class _Resolved:
    """A scenario with its bases merged; the horizon may still be missing."""

    name: str
    description: str
    horizon: Horizon | None
    foresight: str | None
    data: str | None
    vintage: int | None
    replay: Replay | None
    events: list[Any]
    files: list[str]


def _load(
    path: Path, vocab: Vocabulary | None, stack: tuple[Path, ...]
) -> tuple[_Resolved, Document]:
    doc, parsed = parse_file(path, vocab)
    vocab = vocab if vocab is not None else _vocabulary_for(doc, parsed)
    shift = parsed.replay.shift_years if parsed.replay else 0
    own_events = [_shift(e, shift) for e in parsed.events]
    own_horizon = _shift(parsed.horizon, shift) if parsed.horizon is not None else None
    base: _Resolved | None = None
    if parsed.base is not None:
        base_path = _base_path(doc, parsed.base)
        key = base_path.resolve()
        if key in stack:
            chain = " -> ".join(p.stem for p in (*stack, key))
            raise doc.error(("base",), f"expected a base that does not lead back here: {chain}")
        base, _ = _load(base_path, vocab, (*stack, key))
    resolved = _Resolved(
        name=parsed.name,
        description=parsed.description,
        horizon=own_horizon if own_horizon is not None else (base.horizon if base else None),
        foresight=parsed.foresight or (base.foresight if base else None),
        data=str(doc.path.parent / parsed.data) if parsed.data else (base.data if base else None),
        vintage=parsed.vintage if parsed.vintage is not None else (base.vintage if base else None),
        replay=parsed.replay or (base.replay if base else None),
        events=[*(base.events if base else []), *own_events],
        files=[*(base.files if base else []), str(path)],
    )
    return resolved, doc


def load_scenario(path: str | Path, vocabulary: Vocabulary | None = None) -> Scenario:
    """Read, validate and resolve a scenario file (its bases included); `path` may also be
    the name of a shipped scenario (`seed`, `baseline`, ...).

    Events of a base come first, then the file's own, in the order written. Horizon, foresight
    and data of the file override its base's. Raises ScenarioError with a one-line message.
    """
    path = find_scenario(path)
    resolved, doc = _load(path, vocabulary, (path.resolve(),))
    if resolved.horizon is None:
        raise doc.error(
            ("horizon",), "required field is missing (give a horizon here or in a base scenario)"
        )
    return Scenario(
        name=resolved.name,
        description=resolved.description,
        horizon=resolved.horizon,
        foresight=resolved.foresight,
        data=resolved.data,
        vintage=resolved.vintage,
        replay=resolved.replay,
        events=resolved.events,
        files=resolved.files,
    )
