"""The pydantic schema of a scenario file.

A scenario is a name, an optional base it inherits, a horizon with a time step and a list of dated
events. Every event is one model of a discriminated union on `type`. Quantities are strings with
units ('450 t/yr', '45 days') converted with pint to the unit named in the field's description;
dates are 'YYYY-MM' or 'YYYY-MM-DD'. Names (regions, materials, facilities, agreements, sectors)
are checked against the reference data by the loader, not here, so the schema stays static and
its JSON Schema can be published for editors.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from rareflow.data.schema import STAGES
from rareflow.horizon import Horizon, parse_date
from rareflow.scenario.units import DURATION, MASS, MASS_RATE, PRICE, UnitKind, parse_quantity

# ---------------------------------------------------------------------------------------------
# scalar types


def _quantity(kind: UnitKind, description: str) -> Any:
    """An Annotated float parsed from a string with units, stored in `kind.unit`."""

    def parse(value: object) -> float:
        return parse_quantity(value, kind)

    return Annotated[
        float,
        BeforeValidator(parse),
        WithJsonSchema(
            {
                "type": "string",
                "description": f"{description} Stored in {kind.unit}.",
                "examples": [kind.example],
            }
        ),
    ]


def _check_share(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number between 0 and 1, got {value!r}")
    if not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"expected a number between 0 and 1, got {value}")
    return float(value)


def _check_nonnegative(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a non-negative number, got {value!r}")
    if float(value) < 0:
        raise ValueError(f"expected a non-negative number, got {value}")
    return float(value)


Date = Annotated[
    dt.date,
    BeforeValidator(parse_date),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{4}-\d{2}(-\d{2})?$",
            "description": "A month (YYYY-MM, meaning its first day) or a day (YYYY-MM-DD).",
        }
    ),
]
Share = Annotated[
    float,
    BeforeValidator(_check_share),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": 1}),
]
NonNegative = Annotated[
    float,
    BeforeValidator(_check_nonnegative),
    WithJsonSchema({"type": "number", "minimum": 0}),
]
MassRate = _quantity(MASS_RATE, "A mass rate such as '450 t/yr' or '1.2 kt/yr'.")
Mass = _quantity(MASS, "A mass such as '1000 t'.")
Duration = _quantity(DURATION, "A duration such as '45 days' or '3 months'.")
Price = _quantity(PRICE, "A price such as '25 USD/kg'.")

NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"


class _Model(BaseModel):
    # unknown fields are errors: a typo must not silently drop a measure
    model_config = ConfigDict(extra="forbid", frozen=True)


class Period(_Model):
    """A stretch of time: from start (inclusive) to end (exclusive; open when absent)."""

    start: Date
    end: Date | None = None

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, end: dt.date | None, info: ValidationInfo) -> dt.date | None:
        start = info.data.get("start")
        if end is not None and start is not None and end <= start:
            raise ValueError(f"expected a date after start {start.isoformat()}, got {end}")
        return end


class Replay(_Model):
    """Play a historical horizon on the model's data: every date moves by model_year - year."""

    year: int = Field(description="Historical year the scenario's dates refer to, e.g. 2009.")
    model_year: int = Field(description="Data year the historical year is played as, e.g. 2024.")

    @property
    def shift_years(self) -> int:
        return self.model_year - self.year


# ---------------------------------------------------------------------------------------------
# events


class EventBase(_Model):
    """Fields every event has. An event is in force from start (inclusive) to end (exclusive)."""

    start: Date | None = None
    end: Date | None = None
    announced: Date | None = Field(
        default=None,
        description="When the event became known (default: its start). Myopic and windowed "
        "solves see it only from then, however long a lead time or licence delay.",
    )
    suspended: list[Period] = Field(
        default_factory=list, description="Periods in which the event is not in force."
    )
    note: str = ""
    source: str = Field("", description="Where the event's figures come from.")

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, end: dt.date | None, info: ValidationInfo) -> dt.date | None:
        start = info.data.get("start")
        if end is not None and start is not None and end <= start:
            raise ValueError(f"expected a date after start {start.isoformat()}, got {end}")
        return end


class Coverage(_Model):
    """What a trade measure covers: materials (patterns allowed) and/or elements x forms."""

    materials: list[str] = Field(
        default_factory=list,
        description="Material ids or patterns, e.g. oxide:Dy, magnet:* (fnmatch patterns).",
    )
    elements: list[str] = Field(
        default_factory=list,
        description="Element symbols: covers every material containing one of them, including "
        "alloys and magnets made from it (NdFeB-HRE contains Dy and Tb; SmCo contains Sm).",
    )
    forms: list[str] | None = Field(
        None,
        description="Forms the element coverage applies to; default oxide, metal, alloy, magnet.",
    )

    @model_validator(mode="after")
    def _covers_something(self) -> Coverage:
        if not self.materials and not self.elements:
            raise ValueError("expected `materials` or `elements`: the measure covers nothing")
        return self


class TradeScope(_Model):
    """Partners of a trade measure: only `destinations` (when given), never `exclude`."""

    destinations: list[str] = Field(
        default_factory=list, description="Region codes covered; empty = every destination."
    )
    exclude: list[str] = Field(default_factory=list, description="Region codes not covered.")


AMOUNT_HELP = "A fixed charge per mass instead of a rate, e.g. '2 USD/kg'."
RATE_HELP = (
    "Ad valorem rate as a fraction of the reference price, any value >= 0: 0.25 is 25%, "
    "1.45 is 145%."
)


class ExportBan(EventBase, Coverage, TradeScope):
    """No exports of the covered materials from `exporter` to the covered destinations."""

    type: Literal["export_ban"]
    exporter: str


class ExportQuota(EventBase, Coverage, TradeScope):
    """Total exports of the covered materials capped at `quantity` per calendar year."""

    type: Literal["export_quota"]
    exporter: str
    quantity: MassRate  # type: ignore[valid-type]


class ExportLicence(EventBase, Coverage, TradeScope):
    """A licence regime: a share of normal flow approved, arriving after a delay."""

    type: Literal["export_licence"]
    exporter: str
    approval_share: Share = Field(1.0, description="Share of normal exports approved.")
    delay: Duration = Field(0.0, description="Time from application to shipment.")  # type: ignore[valid-type]
    end_users: list[str] = Field(
        default_factory=list,
        description="Sectors whose demand is refused a licence in principle (e.g. defence).",
    )
    extraterritorial: bool = Field(
        False,
        description="Also licence re-exports from other regions of covered materials "
        "(MOFCOM No. 61 [2025]); see docs/scenarios.md for how this is approximated.",
    )
    caution: Share = Field(
        0.0,
        description="An option (0 = off): share of the pending exports of uncovered grades of "
        "the covered forms (e.g. Dy-free magnets when Dy magnets are licensed) that cautious "
        "exporters and customs hold back each month for checks; they wait in a queue of their "
        "own, without processing time.",
    )


class ExportTax(EventBase, Coverage, TradeScope):
    """A tax on exports: ad valorem `rate` (fraction of the reference price) or `amount`."""

    type: Literal["export_tax"]
    exporter: str
    rate: NonNegative | None = Field(None, description=RATE_HELP)
    amount: Price | None = Field(None, description=AMOUNT_HELP)  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _one_of(self) -> ExportTax:
        if (self.rate is None) == (self.amount is None):
            raise ValueError("expected exactly one of `rate` (e.g. 0.25) or `amount` (USD/kg)")
        return self


class ImportScope(_Model):
    """Origins of an import measure: only `origins` (when given), never `exclude`."""

    importer: str
    origins: list[str] = Field(
        default_factory=list, description="Region codes covered; empty = every origin."
    )
    exclude: list[str] = Field(default_factory=list, description="Region codes not covered.")


class ImportTariff(EventBase, Coverage, ImportScope):
    """A tariff on imports into `importer`, from `origins` (default all) less `exclude`."""

    type: Literal["import_tariff"]
    rate: NonNegative | None = Field(None, description=RATE_HELP)
    amount: Price | None = Field(None, description=AMOUNT_HELP)  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _one_of(self) -> ImportTariff:
        if (self.rate is None) == (self.amount is None):
            raise ValueError("expected exactly one of `rate` (e.g. 0.25) or `amount` (USD/kg)")
        return self


class ImportBan(EventBase, Coverage, ImportScope):
    """No imports of the covered materials into `importer` from `origins` (default all)."""

    type: Literal["import_ban"]


class AgreementSuspend(EventBase):
    """A share of an agreement's contracted flow stops `notice` after `start`."""

    type: Literal["agreement_suspend"]
    agreement: str
    start: Date
    notice: Duration = Field(0.0, description="Lag between the decision and the stop.")  # type: ignore[valid-type]
    share: Share = Field(1.0, description="Share of the contracted volume suspended.")


class AgreementChange(EventBase):
    """New contracted minimum and/or maximum volume from `start`."""

    type: Literal["agreement_change"]
    agreement: str
    start: Date
    volume_min: MassRate | None = None  # type: ignore[valid-type]
    volume_max: MassRate | None = None  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _some_volume(self) -> AgreementChange:
        if self.volume_min is None and self.volume_max is None:
            raise ValueError("expected `volume_min` and/or `volume_max` (t/yr)")
        if (
            self.volume_min is not None
            and self.volume_max is not None
            and self.volume_min > self.volume_max
        ):
            raise ValueError(
                f"expected volume_min <= volume_max, got {self.volume_min:g} > "
                f"{self.volume_max:g} t/yr"
            )
        return self


class AgreementNew(EventBase):
    """A new contracted flow of `material` from region `seller` to region `buyer`: at least
    `volume_min` and at most `volume_max` t/yr from `start` (to `end`); a negotiated deal such
    as a swap or an offtake the data do not hold."""

    type: Literal["agreement_new"]
    agreement: str = Field(pattern=NAME_PATTERN, description="Lowercase id of the new agreement.")
    seller: str = Field(description="Region code of the seller.")
    buyer: str = Field(description="Region code of the buyer.")
    material: str
    start: Date
    volume_min: MassRate = 0.0  # type: ignore[valid-type]
    volume_max: MassRate | None = None  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _volumes(self) -> AgreementNew:
        if self.seller == self.buyer:
            raise ValueError(f"expected a buyer other than the seller {self.seller}")
        if self.volume_max is not None and self.volume_min > self.volume_max:
            raise ValueError(
                f"expected volume_min <= volume_max, got {self.volume_min:g} > "
                f"{self.volume_max:g} t/yr"
            )
        return self


class Capacity(EventBase):
    """A facility's capacity path: t/yr from each date (of `material` if given)."""

    type: Literal["capacity"]
    facility: str
    material: str | None = Field(
        None, description="Output material the path is expressed in; default the facility's."
    )
    path: dict[Date, MassRate] = Field(  # type: ignore[valid-type]
        description="{date: capacity} points, e.g. {2026-03: 450 t/yr, 2030-01: 900 t/yr}."
    )
    ramp: Literal["linear", "step"] = Field(
        "linear", description="Between points: straight line (linear) or held (step)."
    )
    region: str | None = Field(
        None, description="For a new facility (one the data lack): the region it is built in."
    )
    process: str | None = Field(None, description="For a new facility: the process it runs.")

    @model_validator(mode="after")
    def _new_facility(self) -> Capacity:
        if (self.region is None) != (self.process is None):
            raise ValueError("expected both `region` and `process` for a new facility, or neither")
        return self

    @field_validator("path")
    @classmethod
    def _nonempty(cls, path: dict[dt.date, float]) -> dict[dt.date, float]:
        if not path:
            raise ValueError("expected at least one {date: capacity} point")
        return path


class Outage(EventBase):
    """A facility, or a region's whole stage, loses `share` of its capacity for a period."""

    type: Literal["outage"]
    facility: str | None = Field(None, description="Facility id (facilities.csv).")
    region: str | None = Field(None, description="Region code, with `stage`: every plant there.")
    stage: str | None = Field(
        None, description="Stage of the region's plants that stop: " + ", ".join(STAGES) + "."
    )
    start: Date
    share: Share = Field(
        1.0,
        description="Share of capacity LOST while the outage lasts: 1.0 shuts it, "
        "0.3 leaves it running at 70%.",
    )

    @model_validator(mode="after")
    def _target(self) -> Outage:
        if self.facility is None and (self.region is None or self.stage is None):
            raise ValueError("expected `facility`, or `region` and `stage`")
        if self.facility is not None and (self.region is not None or self.stage is not None):
            raise ValueError("expected either `facility` or `region` and `stage`, not both")
        return self


class Demand(EventBase):
    """Demand growth (annual rate) or a shock (multiplier) for a region and sector."""

    type: Literal["demand"]
    region: str
    sector: str
    material: str | None = None
    growth: float | None = Field(None, description="Annual growth rate, e.g. 0.08.")
    factor: NonNegative | None = Field(None, description="Multiplier on demand, e.g. 0.7.")

    @model_validator(mode="after")
    def _one_of(self) -> Demand:
        if (self.growth is None) == (self.factor is None):
            raise ValueError("expected exactly one of `growth` (annual rate) or `factor`")
        if self.growth is not None and self.growth <= -1:
            raise ValueError(f"expected a growth rate above -1, got {self.growth}")
        return self


class Stockpile(EventBase):
    """Build a stock to `target` by `by`, or release at `release` t/yr (above a price)."""

    type: Literal["stockpile"]
    region: str
    material: str
    target: Mass | None = None  # type: ignore[valid-type]
    by: Date | None = None
    release: MassRate | None = None  # type: ignore[valid-type]
    price_above: Price | None = None  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _rule(self) -> Stockpile:
        if (self.target is None) == (self.release is None):
            raise ValueError("expected exactly one of `target` (with `by`) or `release`")
        if self.target is not None and self.by is None:
            raise ValueError("expected `by`: the date the target is to be reached")
        return self


class Substitution(EventBase):
    """Up to `share` of a sector's demand switches away when the price exceeds `price_above`."""

    type: Literal["substitution"]
    sector: str
    region: str | None = None
    material: str | None = None
    share: Share
    price_above: Price  # type: ignore[valid-type]
    ramp: Duration = Field(0.0, description="Time to reach the full share.")  # type: ignore[valid-type]


class Parameter(EventBase):
    """Override one reference value: `table`, row `key`, `column`, new `value`."""

    type: Literal["parameter"]
    table: str
    key: str | list[str] = Field(description="The row's key value(s) in the table's key order.")
    column: str
    value: float | str


Event = Annotated[
    ExportBan
    | ExportQuota
    | ExportLicence
    | ExportTax
    | ImportTariff
    | ImportBan
    | AgreementSuspend
    | AgreementChange
    | AgreementNew
    | Capacity
    | Outage
    | Demand
    | Stockpile
    | Substitution
    | Parameter,
    Field(discriminator="type"),
]

EVENT_MODELS: dict[str, type[EventBase]] = {
    "export_ban": ExportBan,
    "export_quota": ExportQuota,
    "export_licence": ExportLicence,
    "export_tax": ExportTax,
    "import_tariff": ImportTariff,
    "import_ban": ImportBan,
    "agreement_suspend": AgreementSuspend,
    "agreement_change": AgreementChange,
    "agreement_new": AgreementNew,
    "capacity": Capacity,
    "outage": Outage,
    "demand": Demand,
    "stockpile": Stockpile,
    "substitution": Substitution,
    "parameter": Parameter,
}


class ScenarioFile(_Model):
    """One scenario file as written (horizon may come from its base)."""

    name: str = Field(pattern=NAME_PATTERN, description="Lowercase id, e.g. india-pauses-toyotsu.")
    description: str = ""
    base: str | None = Field(
        None, description="A scenario name (file NAME.yaml next to this one) or a path."
    )
    horizon: Horizon | None = None
    foresight: str | None = Field(
        None,
        pattern=r"^(perfect|myopic|window [1-9][0-9]*)$",
        description="perfect|myopic|window N",
    )
    data: str | None = Field(None, description="Reference data directory, relative to the file.")
    vintage: int | None = Field(
        None,
        ge=1990,
        le=2100,
        description="Base year of a shipped data vintage (e.g. 2009): the network is built and "
        "calibrated to that year from what was known then (`rareflow backtest`).",
    )
    replay: Replay | None = None
    events: list[Event] = Field(default_factory=list)


class Scenario(_Model):
    """A scenario with its bases resolved: the horizon is known, events in order of application."""

    name: str
    description: str = ""
    horizon: Horizon
    foresight: str | None = None
    data: str | None = None
    vintage: int | None = None
    replay: Replay | None = None
    events: list[Event] = Field(default_factory=list)
    # the files the scenario was read from, base first (for summaries and hashes)
    files: list[str] = Field(default_factory=list)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file (what `rareflow scenario schema` prints)."""
    schema = ScenarioFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "rareflow scenario"
    return schema
