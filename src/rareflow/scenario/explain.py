"""`rareflow scenario schema --explain`: every event type and its fields in plain words.

Read from the pydantic models themselves (their docstrings and field descriptions), so the
explanation cannot drift from what the loader accepts.
"""

from __future__ import annotations

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from rareflow.scenario.schema import EVENT_MODELS, EventBase

# fields every event has; explained once, not under every type
_COMMON = set(EventBase.model_fields)


def _field_line(name: str, info: FieldInfo) -> str:
    if info.is_required():
        status = "required"
    elif info.default_factory is not None or info.default in (PydanticUndefined, None):
        status = "optional"
    else:
        status = f"default {info.default!r}"
    described = f": {info.description}" if info.description else ""
    return f"    {name} ({status}){described}"


def _model_lines(title: str, model: type[BaseModel], skip: set[str]) -> list[str]:
    doc = " ".join((model.__doc__ or "").split())
    lines = [f"{title}: {doc}" if doc else title]
    for name, info in model.model_fields.items():
        if name == "type" or (name in skip and not info.is_required()):
            continue
        lines.append(_field_line(name, info))
    return lines


def explain() -> str:
    """Every event type with its fields: required or default, and what each means."""
    lines = _model_lines("Every event", EventBase, set())
    lines.append("")
    for name, model in EVENT_MODELS.items():
        lines += _model_lines(f"type: {name}", model, _COMMON)
        lines.append("")
    lines.append(
        "Quantities take units ('450 t/yr', '3 months', '25 USD/kg'); dates are YYYY-MM or "
        "YYYY-MM-DD; `rareflow scenario schema` prints the JSON Schema for editors."
    )
    return "\n".join(lines)
