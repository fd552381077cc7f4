"""Agreement events: new agreements join the network's table, changes edit it (split at the
dates they take effect), suspensions become lever rows. Resolved together, after the other
events, so a later event can change or suspend an agreement an earlier one made."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd

from rareflow.network import Network
from rareflow.scenario.errors import ScenarioError
from rareflow.scenario.schema import AgreementChange, AgreementNew, AgreementSuspend, EventBase
from rareflow.scenario.timing import DAYS_PER_MONTH, in_force, iso


def _split_agreements(agreements: pd.DataFrame, cuts: dict[str, set[dt.date]]) -> pd.DataFrame:
    """Agreement rows cut at the given dates: parts `id`, `id@YYYY-MM-DD`, ..."""
    rows = []
    for row in agreements.to_dict("records"):
        dates = sorted(cuts.get(str(row["agreement"]), set()))
        start = pd.Timestamp(row["start"]) if pd.notna(row["start"]) else None
        end = pd.Timestamp(row["end"]) if pd.notna(row["end"]) else None
        bounds: list[pd.Timestamp] = [
            pd.Timestamp(d)
            for d in dates
            if (start is None or pd.Timestamp(d) > start) and (end is None or pd.Timestamp(d) < end)
        ]
        edges = [start, *bounds, end]
        for i in range(len(edges) - 1):
            part = dict(row)
            part["start"], part["end"] = edges[i], edges[i + 1]
            part["part_of"] = row["agreement"]
            if i > 0:
                part["agreement"] = f"{row['agreement']}@{bounds[i - 1].date().isoformat()}"
            rows.append(part)
    columns = [*agreements.columns, "part_of"]
    return pd.DataFrame(rows, columns=columns)


def _new_agreements(events: Sequence[tuple[str, EventBase]], network: Network) -> pd.DataFrame:
    """The network's agreements with the rows of `agreement_new` events added, each checked
    against the network: a new id, known regions, a trade arc seller -> buyer for the material."""
    table = network.agreements
    rows = []
    known = set(table["agreement"].astype(str))
    regions = set(network.regions["region"].astype(str))
    arcs = set(
        zip(
            network.arcs["origin"],
            network.arcs["destination"],
            network.arcs["material"],
            strict=True,
        )
    )
    for label, ev in events:
        if not isinstance(ev, AgreementNew):
            continue
        if ev.agreement in known:
            raise ScenarioError(f"{label}: agreement {ev.agreement} already exists")
        for field, code in (("seller", ev.seller), ("buyer", ev.buyer)):
            if code not in regions:
                raise ScenarioError(f"{label}.{field}: unknown region '{code}'")
        if (ev.seller, ev.buyer, ev.material) not in arcs:
            raise ScenarioError(
                f"{label}: no trade route from {ev.seller} to {ev.buyer} for {ev.material}"
            )
        known.add(ev.agreement)
        rows.append(
            {
                "agreement": ev.agreement,
                "seller_region": ev.seller,
                "buyer_region": ev.buyer,
                "material": ev.material,
                "start": pd.Timestamp(ev.start),
                "end": pd.Timestamp(ev.end) if ev.end is not None else pd.NaT,
                "volume_min": float(ev.volume_min),
                "volume_max": float(ev.volume_max) if ev.volume_max is not None else float("nan"),
            }
        )
    if not rows:
        return table
    return pd.concat([table, pd.DataFrame(rows, columns=table.columns)], ignore_index=True)


def resolve_agreements(
    events: Sequence[tuple[str, EventBase]], network: Network
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Edited agreements table and the suspension lever rows."""
    agreements = _new_agreements(events, network)
    cuts: dict[str, set[dt.date]] = {}
    for _, ev in events:
        if isinstance(ev, AgreementChange):
            cuts.setdefault(ev.agreement, set()).add(ev.start)
            if ev.end is not None:
                cuts[ev.agreement].add(ev.end)
        if isinstance(ev, AgreementSuspend):
            # a suspension that ends is a cut: the part after it is not suspended
            for _lo, hi in in_force(ev):
                if hi is not None:
                    cuts.setdefault(ev.agreement, set()).add(hi)
    table = _split_agreements(agreements, cuts)
    starts = pd.to_datetime(table["start"])
    # changes, in order: a later change overrides an earlier one on the parts it covers
    for _, ev in events:
        if not isinstance(ev, AgreementChange):
            continue
        for lo, hi in in_force(ev):
            hit = table["part_of"] == ev.agreement
            if lo is not None:
                hit &= starts >= pd.Timestamp(lo)
            if hi is not None:
                hit &= starts < pd.Timestamp(hi)
            if ev.volume_min is not None:
                table.loc[hit, "volume_min"] = ev.volume_min
            if ev.volume_max is not None:
                table.loc[hit, "volume_max"] = ev.volume_max
    suspensions: list[dict[str, Any]] = []
    for label, ev in events:
        if not isinstance(ev, AgreementSuspend):
            continue
        parts = table[table["part_of"] == ev.agreement]
        if parts.empty:
            raise ScenarioError(f"{label}: agreement {ev.agreement} is not in the network")
        for lo, hi in in_force(ev):
            # suspended: every part that starts before the suspension ends
            part_start = pd.to_datetime(parts["start"])
            ok = (
                part_start.isna() | (part_start < pd.Timestamp(hi))
                if hi is not None
                else (pd.Series(True, index=parts.index))
            )
            for name in parts.loc[ok, "agreement"]:
                suspensions.append(
                    {
                        "agreement": name,
                        "start": iso(lo),
                        "notice_days": ev.notice * DAYS_PER_MONTH,
                        "share": ev.share,
                        # known from the decision, not from when the contract stops
                        "announced": iso(ev.announced or ev.start),
                    }
                )
    return table.drop(columns=["part_of"]), suspensions
