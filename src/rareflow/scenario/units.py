"""Units of scenario quantities, converted with pint.

A small registry of its own (not pint's default one) so that only the units a scenario needs are
known, parsing is fast, and `t` can only mean the metric tonne. Every quantity field names the
unit it is stored in; a value of another dimension is refused with a message saying which unit
was expected ('1000 t' where 't/yr' is needed).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

import pint

_DEFINITIONS = (
    "kilogram = [mass] = kg",
    "gram = 1e-3 * kilogram = g",
    "tonne = 1000 * kilogram = t = metric_ton",
    "kilotonne = 1000 * tonne = kt",
    "day = [time] = d",
    "week = 7 * day = wk",
    # Julian year, as in pint's default registry; a month is a twelfth of it.
    "year = 365.25 * day = yr = a",
    "month = year / 12 = mo",
    "quarter = 3 * month = qtr",
    "USD = [currency]",
)


@lru_cache(maxsize=1)
def registry() -> pint.UnitRegistry:
    """The scenario unit registry (built once)."""
    ureg: pint.UnitRegistry = pint.UnitRegistry(None, autoconvert_offset_to_baseunit=False)
    for line in _DEFINITIONS:
        ureg.define(line)
    return ureg


@dataclass(frozen=True)
class UnitKind:
    """A quantity a field accepts: the unit it is stored in and an example for messages."""

    unit: str  # the unit values are converted to, e.g. "t/yr"
    example: str  # shown when a value is refused, e.g. "450 t/yr"
    nonnegative: bool = True


MASS_RATE = UnitKind("t/yr", "450 t/yr")
MASS = UnitKind("t", "1000 t")
DURATION = UnitKind("month", "3 months")
PRICE = UnitKind("USD/t", "25 USD/kg")

# A number with an optional exponent, then a unit. Thousands separators are allowed
# ("30,258 t/yr") because sources print figures that way.
_NUMBER = re.compile(r"^\s*([-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?(?:[eE][-+]?\d+)?)\s*(.*)$")


def parse_quantity(value: object, kind: UnitKind) -> float:
    """The magnitude of `value` in `kind.unit`; ValueError with a one-line reason otherwise."""
    expected = f"a quantity in {kind.unit} (e.g. '{kind.example}')"
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"expected {expected}, got {value!r}")
    if isinstance(value, int | float):
        raise ValueError(f"expected {expected}, got the bare number {value} (no unit)")
    match = _NUMBER.match(value)
    if match is None:
        raise ValueError(f"expected {expected}, got '{value}'")
    number, unit_text = match.group(1).replace(",", ""), match.group(2).strip()
    if not unit_text:
        raise ValueError(f"expected {expected}, got '{value}' (no unit)")
    ureg = registry()
    try:
        unit = ureg.parse_units(unit_text)
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, ValueError):
        raise ValueError(f"expected {expected}, got unknown unit '{unit_text}'") from None
    except Exception:  # pint raises assorted errors on malformed unit strings
        raise ValueError(f"expected {expected}, got unknown unit '{unit_text}'") from None
    target = ureg.parse_units(kind.unit)
    if unit.dimensionality != target.dimensionality:
        raise ValueError(
            f"expected {expected}, got '{value}' (unit {unit_text} is not {kind.unit})"
        )
    magnitude = float(ureg.Quantity(float(number), unit).to(target).magnitude)
    if not math.isfinite(magnitude):  # '1e400 t/yr' overflows to infinity
        raise ValueError(f"expected a finite quantity in {kind.unit}, got '{value}'")
    if kind.nonnegative and magnitude < 0:
        raise ValueError(f"expected a non-negative quantity in {kind.unit}, got '{value}'")
    return magnitude
