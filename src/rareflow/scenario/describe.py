"""Events in plain words, for `rareflow scenario show`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rareflow.scenario.schema import (
    AgreementChange,
    AgreementNew,
    AgreementSuspend,
    Capacity,
    Demand,
    EventBase,
    ExportBan,
    ExportLicence,
    ExportQuota,
    ExportTax,
    ImportBan,
    ImportTariff,
    Outage,
    Parameter,
    Scenario,
    Stockpile,
    Substitution,
)
from rareflow.scenario.vocabulary import Vocabulary


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value is not None else ""


def _when(ev: EventBase) -> str:
    text = ""
    if ev.start is not None:
        text += f" from {_date(ev.start)}"
    if ev.end is not None:
        text += f" until {_date(ev.end)}"
    for pause in ev.suspended:
        until = f" to {_date(pause.end)}" if pause.end is not None else " on"
        text += f" (suspended {_date(pause.start)}{until})"
    return text


def _num(value: float) -> str:
    return f"{value:,.6g}"


def _coverage(ev: Any, vocab: Vocabulary | None) -> str:
    parts = list(ev.materials)
    if ev.elements:
        forms = "/".join(ev.forms) if ev.forms else "oxide/metal/alloy/magnet"
        parts.append(f"{forms} containing {', '.join(ev.elements)}")
    text = ", ".join(parts)
    if vocab is not None:
        covered = vocab.covered(ev.materials, ev.elements, ev.forms)
        if sorted(covered) != sorted(ev.materials):
            text += f" [{len(covered)} materials: {', '.join(covered)}]"
    return text


def _rate(ev: ExportTax | ImportTariff) -> str:
    if ev.rate is not None:
        return f"{ev.rate:.0%} ad valorem"
    return f"{(ev.amount or 0.0) / 1000:,.2f} USD/kg"


def _partners(ev: Any, word: str = "to") -> str:
    text = f" {word} {', '.join(ev.destinations)}" if getattr(ev, "destinations", None) else ""
    if getattr(ev, "exclude", None):
        text += f" except {', '.join(ev.exclude)}"
    return text


def describe(ev: EventBase, vocab: Vocabulary | None = None) -> str:
    """One sentence saying what the event does."""
    when = _when(ev)
    if isinstance(ev, ExportBan):
        return f"{ev.exporter} bans exports of {_coverage(ev, vocab)}{_partners(ev)}{when}."
    if isinstance(ev, ExportQuota):
        return (
            f"{ev.exporter} caps exports of {_coverage(ev, vocab)}{_partners(ev)} at "
            f"{_num(ev.quantity)} t/yr{when}."
        )
    if isinstance(ev, ExportLicence):
        text = (
            f"{ev.exporter} requires export licences for {_coverage(ev, vocab)}{_partners(ev)}"
            f"{when}: {ev.approval_share:.0%} of normal flow approved, arriving "
            f"{ev.delay * 365.25 / 12:.0f} days later"
        )
        if ev.end_users:
            text += f"; refused for {', '.join(ev.end_users)} end users"
        if ev.extraterritorial:
            text += "; also on other countries' exports of these materials (extraterritorial)"
        return text + "."
    if isinstance(ev, ExportTax):
        covered = _coverage(ev, vocab)
        return f"{ev.exporter} taxes exports of {covered}{_partners(ev)} {_rate(ev)}{when}."
    if isinstance(ev, ImportBan):
        origins = f" from {', '.join(ev.origins)}" if ev.origins else ""
        if ev.exclude:
            origins += f" except {', '.join(ev.exclude)}"
        return f"{ev.importer} bans imports of {_coverage(ev, vocab)}{origins}{when}."
    if isinstance(ev, ImportTariff):
        origins = f" from {', '.join(ev.origins)}" if ev.origins else ""
        return (
            f"{ev.importer} levies a {_rate(ev)} tariff on imports of {_coverage(ev, vocab)}"
            f"{origins}{when}."
        )
    if isinstance(ev, AgreementSuspend):
        return (
            f"Agreement {ev.agreement}: {ev.share:.0%} of the contracted volume suspended"
            f"{when}, effective after {ev.notice:g} months' notice."
        )
    if isinstance(ev, AgreementNew):
        if ev.volume_max is None:
            volume = f"at least {_num(ev.volume_min)} t/yr"
        elif ev.volume_max == ev.volume_min:
            volume = f"{_num(ev.volume_min)} t/yr"
        else:
            volume = f"{_num(ev.volume_min)} to {_num(ev.volume_max)} t/yr"
        return (
            f"New agreement {ev.agreement}: {ev.seller} supplies {ev.buyer} with {ev.material}, "
            f"{volume}{when}."
        )
    if isinstance(ev, AgreementChange):
        parts: list[str] = []
        if ev.volume_min is not None:
            parts.append(f"minimum {_num(ev.volume_min)} t/yr")
        if ev.volume_max is not None:
            parts.append(f"maximum {_num(ev.volume_max)} t/yr")
        return f"Agreement {ev.agreement} changes to {' and '.join(parts)}{when}."
    if isinstance(ev, Capacity):
        what = f" of {ev.material}" if ev.material else ""
        points = ", ".join(f"{_num(v)} t/yr from {_date(d)}" for d, v in sorted(ev.path.items()))
        ramp = "ramping linearly between points" if ev.ramp == "linear" else "in steps"
        return f"Capacity{what} at {ev.facility}: {points} ({ramp}){when}."
    if isinstance(ev, Outage):
        target = ev.facility if ev.facility else f"{ev.region}'s {ev.stage} stage"
        return f"{target} loses {ev.share:.0%} of its capacity{when}."
    if isinstance(ev, Demand):
        what = f" for {ev.material}" if ev.material else ""
        if ev.factor is not None:
            return f"Demand of {ev.sector} in {ev.region}{what} x {ev.factor:g}{when}."
        return f"Demand of {ev.sector} in {ev.region}{what} grows {ev.growth:.1%} a year{when}."
    if isinstance(ev, Stockpile):
        if ev.release is not None:
            trigger = (
                f" when the price exceeds {ev.price_above / 1000:,.2f} USD/kg"
                if ev.price_above is not None
                else ""
            )
            return (
                f"{ev.region} releases {ev.material} from its stockpile at up to "
                f"{_num(ev.release)} t/yr{trigger}{when}."
            )
        return (
            f"{ev.region} builds a stockpile of {_num(ev.target or 0)} t of {ev.material} "
            f"by {_date(ev.by)}{when}."
        )
    if isinstance(ev, Substitution):
        where = f" in {ev.region}" if ev.region else ""
        what = f" for {ev.material}" if ev.material else ""
        return (
            f"Up to {ev.share:.0%} of {ev.sector} demand{where}{what} switches away above "
            f"{ev.price_above / 1000:,.2f} USD/kg, reached over {ev.ramp:g} months{when}."
        )
    if isinstance(ev, Parameter):
        key = ev.key if isinstance(ev.key, str) else "/".join(ev.key)
        return f"Reference value {ev.table}[{key}].{ev.column} set to {ev.value}{when}."
    return f"{ev}"


def describe_scenario(scenario: Scenario, vocab: Vocabulary | None = None) -> list[str]:
    """Lines of text: header, then one numbered line per event."""
    h = scenario.horizon
    lines = [
        f"{scenario.name}: {scenario.description}".rstrip(": "),
        f"horizon {h.start.strftime('%Y-%m')} to {h.end.strftime('%Y-%m')} by {h.step}"
        + (f", foresight {scenario.foresight}" if scenario.foresight else ""),
    ]
    if scenario.replay is not None:
        lines.append(
            f"replay: {scenario.replay.year} is played as {scenario.replay.model_year} "
            f"(dates below are shifted by {scenario.replay.shift_years:+d} years)"
        )
    if len(scenario.files) > 1:
        lines.append("read from: " + " <- ".join(scenario.files))
    if not scenario.events:
        lines.append("no events")
    for i, ev in enumerate(scenario.events, 1):
        lines.append(f"{i}. {describe(ev, vocab)}")
    return lines
