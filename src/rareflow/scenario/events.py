"""What each kind of event does to the engine: lever rows or edits of the network.

`HANDLERS` maps each event type to its handler; `apply` (rareflow.scenario.apply) calls them in
the order of the events. Trade measures, capacity paths and outages become lever rows;
demand paths, stockpiles and substitution edit the network; agreement events are resolved
together after the loop (`agreements`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rareflow.network import Network
from rareflow.scenario.errors import ScenarioError
from rareflow.scenario.schema import (
    AgreementChange,
    AgreementNew,
    AgreementSuspend,
    Capacity,
    Demand,
    ExportBan,
    ExportLicence,
    ExportQuota,
    ExportTax,
    ImportBan,
    ImportTariff,
    Outage,
    Parameter,
    Stockpile,
    Substitution,
)
from rareflow.scenario.timing import (
    DAYS_PER_MONTH,
    DAYS_PER_YEAR,
    Interval,
    in_force,
    iso,
    lever_rows,
    overlap_days,
    year_share,
)
from rareflow.scenario.vocabulary import (
    Vocabulary,
    material_yield,
    variant_processes,
)

# Suffix of the demand rows a substitution event splits off (see docs/scenarios.md).
SWITCHABLE = ":switchable"


# ---------------------------------------------------------------------------------------------
# trade measures


def _join(values: list[str]) -> str:
    return ";".join(values) if values else "*"


def _partners(vocab: Vocabulary, listed: list[str], exclude: list[str], own: str | None) -> str:
    """A selector of partner regions: listed ones (or all) less excluded ones and `own`."""
    if not listed and not exclude:
        return "*"
    chosen = listed or sorted(vocab.regions)
    return _join([r for r in chosen if r not in set(exclude) and r != own])


def _materials(vocab: Vocabulary, event: Any, label: str) -> str:
    covered = vocab.covered(event.materials, event.elements, event.forms)
    if not covered:
        raise ScenarioError(f"{label}: the measure covers no material of the data")
    return _join(covered)


def _share_of_sectors(demand: pd.DataFrame, sectors: set[str]) -> dict[tuple[str, str], float]:
    """(region, material) -> the share of its reference demand in `sectors` (a plain sum
    over the rows: a licence event asks for it once per sample)."""
    quantity = pd.to_numeric(demand["quantity"], errors="coerce").fillna(0.0).to_numpy()
    total: dict[tuple[str, str], float] = {}
    barred: dict[tuple[str, str], float] = {}
    for region, material, sector, q in zip(
        demand["region"], demand["material"], demand["sector"], quantity, strict=True
    ):
        key = (region, material)
        total[key] = total.get(key, 0.0) + float(q)
        if sector in sectors:
            barred[key] = barred.get(key, 0.0) + float(q)
    return {k: (barred.get(k, 0.0) / t if t > 0 else 0.0) for k, t in total.items()}


def _licence_rows(
    event: ExportLicence, network: Network, vocab: Vocabulary, label: str
) -> list[dict[str, Any]]:
    """Licence lever rows: one per origin group, material group and approval share."""
    intervals = in_force(event)
    materials = _materials(vocab, event, label)
    destinations = _partners(vocab, event.destinations, event.exclude, event.exporter)
    delay_days = event.delay * DAYS_PER_MONTH
    # (origin selector, destination selector): the exporter to the covered destinations, and
    # with the extraterritorial rule every other region to anyone (see docs: an upper bound)
    routes = [(event.exporter, destinations)]
    if event.extraterritorial:
        routes.append((_join(sorted(r for r in vocab.regions if r != event.exporter)), "*"))
    if not event.end_users:
        return [
            row
            for origin, dest in routes
            for row in lever_rows(
                intervals,
                origin=origin,
                destination=dest,
                material=materials,
                approval_share=event.approval_share,
                delay_days=delay_days,
            )
        ]
    # End users refused in principle: the approved share shrinks, per destination and
    # material, by those sectors' share of the destination's reference demand. Destinations
    # with the same share are grouped into one row (the engine's cost grows with rows).
    share_barred = _share_of_sectors(network.demand, set(event.end_users))
    rows: list[dict[str, Any]] = []
    for origin, dest_sel in routes:
        own = event.exporter if origin == event.exporter else None
        if dest_sel == "*":
            dest_list = sorted(r for r in vocab.regions if r != own)
        else:
            dest_list = dest_sel.split(";")
        for material in materials.split(";"):
            groups: dict[float, list[str]] = {}
            for dest in dest_list:
                cut = share_barred.get((dest, material), 0.0)
                share = round(event.approval_share * (1.0 - cut), 9)
                groups.setdefault(share, []).append(dest)
            for share, dests in sorted(groups.items()):
                rows += lever_rows(
                    intervals,
                    origin=origin,
                    destination=_join(dests),
                    material=material,
                    approval_share=share,
                    delay_days=delay_days,
                )
    return rows


def _quota_rows(event: ExportQuota, vocab: Vocabulary, label: str) -> list[dict[str, Any]]:
    """One quota per calendar year: the yearly quantity times the share of the year in force."""
    materials = _materials(vocab, event, label)
    destinations = _partners(vocab, event.destinations, event.exclude, event.exporter)
    rows = []
    for lo, hi in in_force(event):
        first = lo.year if lo is not None else 2000
        last = (hi - dt.timedelta(days=1)).year if hi is not None else 2100
        for year in range(first, last + 1):
            a, b = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
            days = overlap_days(lo, hi, a, b)
            if days <= 0:
                continue
            start = max(lo, a) if lo is not None else a
            end = min(hi, b) if hi is not None else b
            rows.append(
                {
                    "quota": f"{label}:{year}:{start.isoformat()}",
                    "origin": event.exporter,
                    "destination": destinations,
                    "material": materials,
                    "total": event.quantity * days / DAYS_PER_YEAR,
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                }
            )
    return rows


# ---------------------------------------------------------------------------------------------
# capacity


def _facility_process(network: Network, facility: str) -> tuple[str, str] | None:
    """(process or supply step, 'facility'|'supply') of a facility in the network."""
    fac = network.facilities
    hit = fac[fac["facility"] == facility]
    if not hit.empty:
        return str(hit["process"].iloc[0]), "facility"
    sup = network.supply
    hit = sup[sup["facility"] == facility]
    if not hit.empty:
        return str(hit["step"].iloc[0]), "supply"
    return None


def _add_facility(network: Network, event: Capacity, vocab: Vocabulary) -> None:
    """A facility the data lack: a plant row, or a supply step for a mine (costed like the
    other steps of its material); its capacity comes only from the event's path."""
    if _facility_process(network, event.facility) is not None:
        return
    stage = vocab.processes.get(str(event.process), "")
    if stage == "mining":
        coef = network.process_coefficients
        made = coef.loc[(coef["process"] == event.process) & (coef["coefficient"] > 0), "material"]
        material = (
            str(made.iloc[0])
            if not made.empty
            else str(event.process).replace("mining:", "concentrate:")
        )
        same = network.supply[network.supply["material"] == material]
        cost = float(pd.to_numeric(same["cost"]).median()) if not same.empty else 0.0
        row = {
            "step": f"mine:{event.facility}",
            "region": event.region,
            "material": material,
            "cost": cost,
            "facility": event.facility,
        }
        network.supply = pd.concat([network.supply, pd.DataFrame([row])], ignore_index=True)
        return
    row = {
        "facility": event.facility,
        "region": event.region,
        "process": event.process,
        "owner": "scenario",
    }
    network.facilities = pd.concat([network.facilities, pd.DataFrame([row])], ignore_index=True)


def _activity_per_material(network: Network, event: Capacity, label: str) -> float:
    """t of activity per t/yr of the event's material (1 when no material is given)."""
    found = _facility_process(network, event.facility)
    if found is None:
        raise ScenarioError(f"{label}: facility {event.facility} is not in the network")
    if event.material is None:
        return 1.0
    process, kind = found
    if kind == "supply":
        sup = network.supply
        made = str(sup.loc[sup["step"] == process, "material"].iloc[0])
        if made != event.material:
            raise ScenarioError(
                f"{label}: facility {event.facility} mines {made}, not {event.material}"
            )
        return 1.0
    value = material_yield(
        network.process_coefficients,
        process,
        event.material,
        variants=variant_processes(network.processes),
    )
    if value is None or value <= 0:
        raise ScenarioError(
            f"{label}: facility {event.facility} ({process}) does not make {event.material}"
        )
    return 1.0 / value


def _capacity_rows(
    event: Capacity, network: Network, periods: pd.DataFrame, label: str
) -> list[dict[str, Any]]:
    """Rows of the capacity lever: a step path, or a linear ramp sampled at period midpoints."""
    scale = _activity_per_material(network, event, label)
    points = sorted(event.path.items())
    intervals = in_force(event)
    rows: list[dict[str, Any]] = []
    if event.ramp == "step" or len(points) == 1:
        for i, (when, value) in enumerate(points):
            until = points[i + 1][0] if i + 1 < len(points) else None
            for lo, hi in _clip(intervals, when, until):
                rows.append(
                    {
                        "facility": event.facility,
                        "capacity": value * scale,
                        "start": iso(lo),
                        "end": iso(hi),
                    }
                )
        return rows
    dates = np.array([pd.Timestamp(d).value for d, _ in points], dtype=float)
    values = np.array([v for _, v in points])
    spans = zip(periods["start"], periods["end"], periods["mid"], strict=True)
    for p_start, p_end, p_mid in spans:
        start, end = pd.Timestamp(p_start).date(), pd.Timestamp(p_end).date()
        mid = pd.Timestamp(p_mid)
        if mid < pd.Timestamp(points[0][0]):
            continue
        if not any(overlap_days(lo, hi, start, end) > 0 for lo, hi in intervals):
            continue
        value = float(np.interp(float(mid.value), dates, values))
        rows.append(
            {
                "facility": event.facility,
                "capacity": value * scale,
                "start": start.isoformat(),
                "end": end.isoformat(),
            }
        )
    # after the last point of the horizon the last value holds
    last_end = pd.Timestamp(periods["end"].iloc[-1]).date() if len(periods) else points[-1][0]
    for lo, hi in _clip(intervals, max(points[-1][0], last_end), None):
        rows.append(
            {
                "facility": event.facility,
                "capacity": float(values[-1]) * scale,
                "start": iso(lo),
                "end": iso(hi),
            }
        )
    return rows


def _clip(intervals: list[Interval], lo: dt.date, hi: dt.date | None) -> list[Interval]:
    out: list[Interval] = []
    for a, b in intervals:
        start = max(a, lo) if a is not None else lo
        end = b if hi is None else (min(b, hi) if b is not None else hi)
        if end is None or start < end:
            out.append((start, end))
    return out


# ---------------------------------------------------------------------------------------------
# demand, stockpiles, substitution (network edits)


def _matching_demand(
    network: Network, region: str | None, sector: str, material: str | None
) -> pd.Series:
    dem = network.demand
    hit = dem["sector"] == sector
    if region is not None:
        hit &= dem["region"] == region
    if material is not None:
        hit &= dem["material"] == material
    return hit


def _growth_frame(network: Network, years: list[int]) -> pd.DataFrame:
    """demand_growth with one row per demand row and year of `years` (filled as the engine does)."""
    keys = network.demand[["region", "sector", "material"]].drop_duplicates()
    growth = network.demand_growth.copy()
    out = []
    for k in keys.itertuples(index=False):
        g = (
            growth[
                (growth["region"] == k.region)
                & (growth["sector"] == k.sector)
                & (growth["material"] == k.material)
            ]
            .set_index("year")["index"]
            .astype(float)
        )
        g.index = g.index.astype(int)
        all_years = sorted(set(g.index) | set(years))
        filled = g.reindex(all_years).ffill().bfill().fillna(1.0)
        out.append(
            pd.DataFrame(
                {
                    "region": k.region,
                    "sector": k.sector,
                    "material": k.material,
                    "year": all_years,
                    "index": filled.to_numpy(),
                }
            )
        )
    if not out:
        return growth
    return pd.concat(out, ignore_index=True)


def _apply_demand(ev: Demand, growth: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    hit = (growth["region"] == ev.region) & (growth["sector"] == ev.sector)
    if ev.material is not None:
        hit &= growth["material"] == ev.material
    intervals = in_force(ev)
    growth = growth.copy()
    for key, rows in growth[hit].groupby(["region", "sector", "material"]):
        rows = rows.sort_values("year")
        index = rows["index"].to_numpy(dtype=float).copy()
        yrs = rows["year"].to_numpy()
        if ev.factor is not None:
            w = np.array([year_share(intervals, int(y)) for y in yrs])
            index = index * (1.0 - w + w * ev.factor)
        else:
            growth_rate = float(ev.growth or 0.0)
            new = index.copy()
            for i in range(1, len(yrs)):
                share = year_share(intervals, int(yrs[i]))
                ref = index[i] / index[i - 1] if index[i - 1] > 0 else 1.0
                new[i] = new[i - 1] * ((1.0 - share) * ref + share * (1.0 + growth_rate))
            index = new
        growth.loc[rows.index, "index"] = index
        _ = key
    return growth


def _stockpile(ev: Stockpile, network: Network, label: str, years: list[int]) -> None:
    """A release is a supply step at the trigger price; a target is extra demand until `by`."""
    intervals = in_force(ev)
    if ev.release is not None:
        step = f"stockpile:{label}:{ev.region}:{ev.material}"
        network.supply = pd.concat(
            [
                network.supply,
                pd.DataFrame(
                    [
                        {
                            "step": step,
                            "region": ev.region,
                            "material": ev.material,
                            "cost": float(ev.price_above or 0.0),
                            "facility": "",
                        }
                    ]
                ),
            ],
            ignore_index=True,
        )
        caps = [
            {"step": step, "year": y, "capacity": ev.release * year_share(intervals, y)}
            for y in years
        ]
        network.supply_capacity = pd.concat(
            [network.supply_capacity, pd.DataFrame(caps)], ignore_index=True
        )
        return
    # build to target by `by`: bought at the material's reference demand terms
    assert ev.target is not None and ev.by is not None  # guaranteed by the schema
    start = ev.start or dt.date(years[0], 1, 1)
    build_years = max((ev.by - start).days / DAYS_PER_YEAR, 1.0 / 12.0)
    same = network.demand[network.demand["material"] == ev.material]
    if same.empty:
        raise ScenarioError(
            f"{label}: no demand for {ev.material} in the network to take price terms from"
        )
    template = same.iloc[0].to_dict()
    row = {
        **template,
        "region": ev.region,
        "sector": f"stockpile:{label}",
        "quantity": ev.target / build_years,
        "ref_price": float(same["ref_price"].median()),
        "elasticity": float(same["elasticity"].median()),
        "choke_price": float(same["choke_price"].median()),
    }
    network.demand = pd.concat([network.demand, pd.DataFrame([row])], ignore_index=True)
    build = [(start, ev.by)]
    network.demand_growth = pd.concat(
        [
            network.demand_growth,
            pd.DataFrame(
                [
                    {
                        "region": ev.region,
                        "sector": row["sector"],
                        "material": ev.material,
                        "year": y,
                        "index": year_share(build, y),
                    }
                    for y in years
                ]
            ),
        ],
        ignore_index=True,
    )


def _substitution(ev: Substitution, network: Network, years: list[int]) -> None:
    """Split `share` of the sector's demand into rows whose willingness to pay stops at the
    substitution price; the split share ramps up linearly over `ramp` from `start`."""
    hit = _matching_demand(network, ev.region, ev.sector, ev.material)
    if not hit.any():
        return
    start = ev.start or dt.date(years[0], 1, 1)
    ramp_days = ev.ramp * DAYS_PER_MONTH

    def share_in(year: int) -> float:
        mid = dt.date(year, 7, 1)
        if mid < start or (ev.end is not None and mid >= ev.end):
            return 0.0
        if ramp_days <= 0:
            return ev.share
        return ev.share * min((mid - start).days / ramp_days, 1.0)

    rows = network.demand[hit].copy()
    rows["sector"] = rows["sector"].astype(str) + SWITCHABLE
    rows["choke_price"] = np.minimum(
        pd.to_numeric(rows["choke_price"], errors="coerce").fillna(np.inf), ev.price_above
    )
    growth = _growth_frame(network, years)
    new_growth = []
    for r in network.demand[hit].itertuples(index=False):
        mine = (
            (growth["region"] == r.region)
            & (growth["sector"] == r.sector)
            & (growth["material"] == r.material)
        )
        for pos in growth.index[mine]:
            year = int(growth.at[pos, "year"])  # type: ignore[arg-type]
            level = float(growth.at[pos, "index"])  # type: ignore[arg-type]
            s = share_in(year)
            growth.at[pos, "index"] = level * (1.0 - s)
            new_growth.append(
                {
                    "region": r.region,
                    "sector": str(r.sector) + SWITCHABLE,
                    "material": r.material,
                    "year": year,
                    "index": level * s,
                }
            )
    network.demand = pd.concat([network.demand, rows], ignore_index=True)
    network.demand_growth = pd.concat([growth, pd.DataFrame(new_growth)], ignore_index=True)


# ---------------------------------------------------------------------------------------------
# the table of handlers


@dataclass
class EventContext:
    """What the handlers of one scenario share while its events are applied in order."""

    net: Network
    vocab: Vocabulary
    periods: pd.DataFrame
    years: list[int]
    tables: dict[str, list[dict[str, Any]]]
    notes: list[str] = field(default_factory=list)
    # demand growth being edited by demand events, written to the network before any event
    # that reads it (stockpile, substitution) and at the end
    growth: pd.DataFrame | None = None
    added_plants: bool = False

    def flush_growth(self) -> None:
        if self.growth is not None:
            self.net.demand_growth, self.growth = self.growth, None


def _on_export_ban(ctx: EventContext, label: str, ev: ExportBan) -> None:
    ctx.tables["arc_bounds"] += lever_rows(
        in_force(ev),
        origin=ev.exporter,
        destination=_partners(ctx.vocab, ev.destinations, ev.exclude, ev.exporter),
        material=_materials(ctx.vocab, ev, label),
        max_flow=0.0,
    )


def _on_import_ban(ctx: EventContext, label: str, ev: ImportBan) -> None:
    ctx.tables["arc_bounds"] += lever_rows(
        in_force(ev),
        origin=_partners(ctx.vocab, ev.origins, ev.exclude, ev.importer),
        destination=ev.importer,
        material=_materials(ctx.vocab, ev, label),
        max_flow=0.0,
    )


def _on_export_quota(ctx: EventContext, label: str, ev: ExportQuota) -> None:
    ctx.tables["quotas"] += _quota_rows(ev, ctx.vocab, label.split(" ")[0])


def _caution_rows(event: ExportLicence, vocab: Vocabulary, label: str) -> list[dict[str, Any]]:
    """The option `caution`: uncovered grades of the covered materials' forms queue too, a
    `caution` share of what is pending held back each month, with no processing time."""
    if event.caution <= 0:
        return []
    covered = set(_materials(vocab, event, label).split(";"))
    forms = {vocab.materials[m] for m in covered if m in vocab.materials}
    uncovered = sorted(
        m for m, form in vocab.materials.items() if form in forms and m not in covered
    )
    if not uncovered:
        return []
    return lever_rows(
        in_force(event),
        origin=event.exporter,
        destination=_partners(vocab, event.destinations, event.exclude, event.exporter),
        material=_join(uncovered),
        approval_share=1.0 - event.caution,
        delay_days=0.0,
    )


def _on_export_licence(ctx: EventContext, label: str, ev: ExportLicence) -> None:
    ctx.tables["licences"] += _licence_rows(ev, ctx.net, ctx.vocab, label)
    ctx.tables["licences"] += _caution_rows(ev, ctx.vocab, label)
    if ev.extraterritorial:
        ctx.notes.append(
            f"{label}: the extraterritorial rule licenses every region's exports of the "
            "covered materials (an upper bound: origin is not traced)"
        )


def _on_export_tax(ctx: EventContext, label: str, ev: ExportTax) -> None:
    ctx.tables["taxes"] += lever_rows(
        in_force(ev),
        origin=ev.exporter,
        destination=_partners(ctx.vocab, ev.destinations, ev.exclude, ev.exporter),
        material=_materials(ctx.vocab, ev, label),
        usd_per_t=ev.amount or 0.0,
        ad_valorem=ev.rate or 0.0,
    )


def _on_import_tariff(ctx: EventContext, label: str, ev: ImportTariff) -> None:
    ctx.tables["taxes"] += lever_rows(
        in_force(ev),
        origin=_partners(ctx.vocab, ev.origins, ev.exclude, ev.importer),
        destination=ev.importer,
        material=_materials(ctx.vocab, ev, label),
        usd_per_t=ev.amount or 0.0,
        ad_valorem=ev.rate or 0.0,
    )


def _on_capacity(ctx: EventContext, label: str, ev: Capacity) -> None:
    if ev.process is not None:
        _add_facility(ctx.net, ev, ctx.vocab)
        ctx.added_plants = True
    ctx.tables["capacity"] += _capacity_rows(ev, ctx.net, ctx.periods, label)


def _on_outage(ctx: EventContext, label: str, ev: Outage) -> None:
    ctx.tables["outages"] += lever_rows(
        in_force(ev),
        facility=ev.facility or "*",
        region=ev.region or "*",
        stage=ev.stage or "*",
        factor=1.0 - ev.share,
    )


def _on_demand(ctx: EventContext, label: str, ev: Demand) -> None:
    growth = _growth_frame(ctx.net, ctx.years) if ctx.growth is None else ctx.growth
    ctx.growth = _apply_demand(ev, growth, ctx.years)


def _on_stockpile(ctx: EventContext, label: str, ev: Stockpile) -> None:
    ctx.flush_growth()
    _stockpile(ev, ctx.net, label.split(" ")[0], ctx.years)


def _on_substitution(ctx: EventContext, label: str, ev: Substitution) -> None:
    ctx.flush_growth()
    _substitution(ev, ctx.net, ctx.years)


def _later(ctx: EventContext, label: str, ev: Any) -> None:
    """Agreement events are resolved together after the loop; parameter events edit the
    reference tables before the network is built (`prepare`)."""


Handler = Callable[[EventContext, str, Any], None]
HANDLERS: dict[type, Handler] = {
    ExportBan: _on_export_ban,
    ExportQuota: _on_export_quota,
    ExportLicence: _on_export_licence,
    ExportTax: _on_export_tax,
    ImportTariff: _on_import_tariff,
    ImportBan: _on_import_ban,
    Capacity: _on_capacity,
    Outage: _on_outage,
    Demand: _on_demand,
    Stockpile: _on_stockpile,
    Substitution: _on_substitution,
    AgreementChange: _later,
    AgreementNew: _later,
    AgreementSuspend: _later,
    Parameter: _later,
}
