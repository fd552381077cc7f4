"""Single points of failure: the pieces to take out of the network one at a time, and their
ranking by the shortfall they cause in a target region (the solves are the pipeline's:
`rareflow.pipeline.spof.spof_ranking`).

Candidates are every facility and named mine (capacity x 0), every country's stage (all of a
region's capacity at one stage x 0) and every major trade route (all materials from one
origin to one destination banned). Each candidate is one solve; the solves run in parallel in
a process pool. The ranking is by extra unserved demand in the target region over the horizon
(t, all materials summed), with its share of the region's reference demand beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from rareflow.metrics.common import SPOF_KINDS, MetricsError, require_columns, result_frame
from rareflow.network import Network
from rareflow.optimize import LEVER_TABLES, Levers

KINDS = SPOF_KINDS


@dataclass(frozen=True)
class Outage:
    """One candidate: what is taken out and the lever rows that take it out."""

    kind: str  # facility | country_stage | route
    target: str  # facility id, "REGION stage" or "ORIGIN->DESTINATION"
    table: str  # lever table the rows go to (outages or arc_bounds)
    rows: tuple[dict[str, Any], ...]


def combine(base: Levers, table: str, rows: Sequence[dict[str, Any]]) -> Levers:
    """`base` with `rows` appended to one of its lever tables."""
    frames = {name: base.table(name) for name in LEVER_TABLES}
    frames[table] = pd.concat([frames[table], pd.DataFrame(list(rows))], ignore_index=True)
    return Levers(**frames)


def _escape(name: str) -> str:
    """Lever selectors treat * ? [ as wildcards and ; , as separators: ids never should."""
    if any(ch in name for ch in "*?[];,"):
        raise MetricsError(f"'{name}' cannot be selected exactly by a lever pattern")
    return name


def candidates(
    network: Network,
    baseline: Any | None = None,
    kinds: Sequence[str] = KINDS,
    max_routes: int = 20,
) -> list[Outage]:
    """Every facility and named mine, every (region, stage) with capacity, and the
    `max_routes` busiest routes of the baseline (all materials of an origin-destination
    pair together). Routes need the baseline Result."""
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise MetricsError(f"unknown SPOF kinds {unknown}; expected some of {list(KINDS)}")
    out: list[Outage] = []
    fac = network.facilities.merge(network.processes[["process", "stage"]], on="process")
    named_mines = network.supply[network.supply["facility"].fillna("").astype(str) != ""]
    if "facility" in kinds:
        ids = sorted(set(fac["facility"]) | set(named_mines["facility"]))
        out.extend(
            Outage("facility", f, "outages", ({"facility": _escape(f), "factor": 0.0},))
            for f in ids
        )
    if "country_stage" in kinds:
        pairs = set(zip(fac["region"], fac["stage"], strict=True))
        supply = network.supply
        mining = supply[supply["material"].astype(str).str.startswith("concentrate:")]
        pairs |= {(r, "mining") for r in mining["region"]}
        out.extend(
            Outage(
                "country_stage",
                f"{region} {stage}",
                "outages",
                ({"region": _escape(region), "stage": _escape(stage), "factor": 0.0},),
            )
            for region, stage in sorted(pairs)
        )
    if "route" in kinds:
        if baseline is None:
            raise MetricsError("trade-route candidates need the baseline result")
        trade = result_frame(baseline, "trade")
        require_columns(trade, ("origin", "destination", "value"), "trade")
        busiest = (
            trade.groupby(["origin", "destination"])["value"]
            .sum()
            .loc[lambda s: s > 0]
            .sort_values(ascending=False)
            .head(max_routes)
        )
        out.extend(
            Outage(
                "route",
                f"{o}->{d}",
                "arc_bounds",
                (
                    {
                        "origin": _escape(str(o)),
                        "destination": _escape(str(d)),
                        "material": "*",
                        "max_flow": 0.0,
                    },
                ),
            )
            for (o, d) in busiest.index
        )
    return out


def region_shortfall(result: Any, region: str) -> tuple[float, float, float]:
    """(unserved t, reference demand t, unserved share) of one region over the horizon."""
    short = result_frame(result, "shortfalls")
    require_columns(short, ("region", "reference", "unserved"), "shortfalls")
    rows = short[short["region"] == region]
    unserved = float(rows["unserved"].sum())
    reference = float(rows["reference"].sum())
    share = unserved / reference if reference > 0 else float("nan")
    return unserved, reference, share


def rank_outages(
    cands: Sequence[Outage],
    results: Sequence[tuple[float, float, float]],
    baseline: tuple[float, float, float],
) -> pd.DataFrame:
    """The ranking of outage candidates from their solved shortfalls (unserved, reference,
    share of each candidate, in order, and of the baseline): kind, target, unserved_t,
    extra_unserved_t (against the baseline), reference_t, share, extra_share, rank (1 =
    worst), sorted by rank."""
    b_unserved, b_reference, b_share = baseline
    frame = pd.DataFrame(
        {
            "kind": [c.kind for c in cands],
            "target": [c.target for c in cands],
            "unserved_t": [r[0] for r in results],
            "reference_t": [r[1] for r in results],
            "share": [r[2] for r in results],
        }
    )
    # rounded to 1 kg so solver noise does not reorder equal outages
    frame["extra_unserved_t"] = (frame["unserved_t"] - b_unserved).round(3)
    frame["extra_share"] = frame["share"] - b_share
    frame = frame.sort_values(
        ["extra_unserved_t", "kind", "target"], ascending=[False, True, True]
    ).reset_index(drop=True)
    frame["rank"] = frame["extra_unserved_t"].rank(method="min", ascending=False).astype(int)
    frame.attrs["baseline_unserved_t"] = b_unserved
    frame.attrs["baseline_reference_t"] = b_reference
    cols = [
        "rank",
        "kind",
        "target",
        "extra_unserved_t",
        "extra_share",
        "unserved_t",
        "share",
        "reference_t",
    ]
    return frame[cols]
