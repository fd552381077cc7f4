"""Scenario text handled by the service: checked as data, validated as the CLI does, run.

An uploaded scenario is YAML text. It is parsed with the scenario loader's SafeLoader (no Python
objects, no tags that construct anything), anchors and aliases are refused (they let a small
text expand to a huge document), it may not name a `data` directory (that would read the
server's files) and its `base` must be one of the shipped scenarios. Then it is validated by
`load_scenario`, exactly as `rareflow scenario validate` does, so the messages are the CLI's,
with the file named `scenario.yaml`.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from rareflow.scenario import Scenario, ScenarioError, load_scenario, safe_yaml
from rareflow.scenario.loader import read_document
from rareflow.scenario.shipped import SCENARIOS_DIR
from rareflow.scenario.vocabulary import load_vocabulary

UPLOAD_NAME = "scenario.yaml"  # how an uploaded text is named in messages
MAX_SCENARIO_BYTES = 1_000_000
MAX_NAME = 200  # the database column's width
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")


def safe_id(value: str) -> bool:
    """An identifier that can be looked up (no NUL, no path separators, bounded length)."""
    return bool(_SAFE_ID.match(value))


def default_scenarios_dir() -> Path | None:
    """The scenarios the service offers to everyone: $RAREFLOW_SCENARIOS, else the ones
    shipped inside the package (found from any directory, and from an installed wheel)."""
    env = os.environ.get("RAREFLOW_SCENARIOS")
    candidates = [Path(env)] if env else []
    candidates.append(SCENARIOS_DIR)
    for c in candidates:
        if c.is_dir() and any(c.glob("*.yaml")):
            return c
    return None


@dataclass(frozen=True)
class Shipped:
    """A scenario file shipped with rareflow: visible to everyone, read-only."""

    id: str
    name: str
    description: str
    yaml: str


def shipped_scenarios(directory: Path | None) -> dict[str, Shipped]:
    out: dict[str, Shipped] = {}
    if directory is None:
        return out
    for path in sorted(directory.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            continue
        if not isinstance(data, dict):
            continue
        out[path.stem] = Shipped(
            id=path.stem,
            name=str(data.get("name", path.stem)),
            description=str(data.get("description", "")),
            yaml=text,
        )
    return out


@dataclass
class Checked:
    """A valid scenario text: the resolved scenario and its plain data."""

    scenario: Scenario
    data: dict[str, Any]


def _refuse_aliases(text: str) -> None:
    """Anchors and aliases refused; the bounded loader's scanner keeps this cheap."""
    loader = safe_yaml.BoundedLoader(text)
    try:
        while loader.check_event():
            ev = loader.get_event()
            if isinstance(ev, yaml.AliasEvent) or getattr(ev, "anchor", None):
                raise ScenarioError(
                    "expected plain YAML without anchors (&name) or aliases (*name)",
                    UPLOAD_NAME,
                    ev.start_mark.line + 1 if ev.start_mark is not None else 1,
                )
    except yaml.MarkedYAMLError as exc:
        raise safe_yaml.yaml_error(exc, UPLOAD_NAME) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"invalid YAML: {exc}", UPLOAD_NAME, 1) from None
    finally:
        loader.dispose()


def _refuse_bad_characters(text: str) -> None:
    """Control characters YAML does not allow (the loader would fail before it reports)."""
    try:
        yaml.reader.Reader(text)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        raise ScenarioError(
            f"invalid YAML: character #x{exc.character:04x} is not allowed", UPLOAD_NAME, line
        ) from None


@contextmanager
def staged(text: str, shipped_dir: Path | None) -> Iterator[Path]:
    """A temporary directory holding the shipped scenarios and `text` as scenario.yaml."""
    with tempfile.TemporaryDirectory(prefix="rareflow-scenario-") as tmp:
        root = Path(tmp)
        if shipped_dir is not None:
            for path in shipped_dir.glob("*.yaml"):
                if path.name != UPLOAD_NAME:
                    shutil.copyfile(path, root / path.name)
        target = root / UPLOAD_NAME
        target.write_text(text, encoding="utf-8")
        yield target


def _relabel(exc: ScenarioError, root: Path) -> ScenarioError:
    """The same error with the temporary directory taken out of the file name."""
    file = exc.file
    if file is not None and file.startswith(str(root)):
        file = file[len(str(root)) :].lstrip("/")
    return ScenarioError(exc.message, file, exc.line, exc.field)


def check_text(text: str, shipped_dir: Path | None, data_dir: Path | None = None) -> Checked:
    """Validate scenario text; raise ScenarioError with the CLI's one-line message."""
    safe_yaml.check_text(text, UPLOAD_NAME)
    if len(text.encode("utf-8")) > MAX_SCENARIO_BYTES:
        raise ScenarioError(f"expected at most {MAX_SCENARIO_BYTES} bytes of YAML", UPLOAD_NAME)
    _refuse_bad_characters(text)
    _refuse_aliases(text)
    shipped = set(shipped_scenarios(shipped_dir))
    with staged(text, shipped_dir) as path:
        try:
            doc = read_document(path)
            if "data" in doc.data:
                raise doc.error(
                    ("data",),
                    "expected no `data` directory in a scenario sent to the service "
                    "(the server's reference data is used)",
                )
            base = doc.data.get("base")
            if base is not None and (not isinstance(base, str) or base not in shipped):
                listing = ", ".join(sorted(shipped)) or "none"
                raise doc.error(
                    ("base",), f"expected the name of a shipped scenario ({listing}), got {base!r}"
                )
            vocab = load_vocabulary(data_dir) if data_dir is not None else None
            scenario = load_scenario(path, vocab)
            if len(scenario.name) > MAX_NAME:
                raise doc.error(("name",), f"expected a name of at most {MAX_NAME} characters")
        except ScenarioError as exc:
            raise _relabel(exc, path.parent) from None
        return Checked(scenario=scenario, data=doc.data)


def with_horizon(text: str, horizon: dict[str, str] | None, foresight: str | None = None) -> str:
    """The scenario text with its horizon (and foresight) replaced; other fields unchanged."""
    if not horizon and not foresight:
        return text
    data = safe_yaml.load(text, UPLOAD_NAME)
    if not isinstance(data, dict):
        raise ScenarioError("expected a mapping of fields", UPLOAD_NAME, 1)
    if horizon:
        data["horizon"] = dict(horizon)
    if foresight:
        data["foresight"] = foresight
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def render_yaml(data: dict[str, Any]) -> str:
    """Plain data (from the dashboard's form) as scenario YAML text."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def is_month(value: str) -> bool:
    return bool(_MONTH.match(value))
