"""Every risk measure for one region, for a baseline and a scenario, with their deltas.

Horizon totals are used where a measure is a ratio (import reliance, self-sufficiency,
shortfall share): numerator and denominator are summed over the periods first. Days of cover
are given at the end of the horizon and as the minimum over it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from rareflow.metrics.common import NON_RE_STAGES
from rareflow.metrics.concentration import concentration, result_production
from rareflow.metrics.cover import days_of_cover
from rareflow.metrics.criticality import region_criticality
from rareflow.metrics.reliance import reliance
from rareflow.metrics.spof import region_shortfall


def _ratio(num: float, den: float) -> float:
    return num / den if abs(den) > 1e-9 else float("nan")


def reliance_summary(result: Any, region: str) -> pd.DataFrame:
    """Import reliance and self-sufficiency of a region by stage over the whole horizon."""
    rel = reliance(result, by="stage")
    rel = rel[(rel["region"] == region) & ~rel["stage"].isin(NON_RE_STAGES)]
    if rel.empty:
        return pd.DataFrame(columns=["stage", "import_reliance", "self_sufficiency"])
    g = rel.groupby("stage")[
        ["net_imports", "apparent_consumption", "production", "domestic_use"]
    ].sum()
    out = pd.DataFrame(
        {
            "import_reliance": [
                _ratio(n, d)
                for n, d in zip(g["net_imports"], g["apparent_consumption"], strict=True)
            ],
            "self_sufficiency": [
                _ratio(n, d) for n, d in zip(g["production"], g["domestic_use"], strict=True)
            ],
        },
        index=g.index,
    )
    return out.reset_index()


def cover_summary(result: Any, region: str) -> pd.DataFrame:
    """Days of cover by material: at the end of the horizon and the minimum over it (for the
    materials the region uses)."""
    cov = days_of_cover(result)
    cov = cov[(cov["region"] == region) & (cov["use"] > 0)]
    cov = cov[~cov["material"].str.startswith("bulk:")]
    if cov.empty:
        return pd.DataFrame(columns=["material", "days_end", "days_min"])
    last = max(cov["period"])
    end = cov[cov["period"] == last].set_index("material")["days_of_cover"]
    low = cov.groupby("material")["days_of_cover"].min()
    return pd.DataFrame({"days_end": end, "days_min": low}).reset_index()


def concentration_summary(result: Any) -> pd.DataFrame:
    """World output concentration by stage over the horizon (HHI 0-1, top-1 share)."""
    prod = result_production(result)
    prod = prod[~prod["stage"].isin(NON_RE_STAGES)]
    c = concentration(prod, ["stage"], "region")
    return c[["stage", "hhi", "top1", "top1_share", "top3_share"]]


def measures(reference: Any, result: Any, region: str) -> dict[str, pd.DataFrame]:
    """All measures of one region from one Result, keyed by section title."""
    unserved, ref_demand, share = region_shortfall(result, region)
    crit = region_criticality(reference, result, region)
    return {
        "shortfall": pd.DataFrame(
            {
                "measure": ["unserved_t", "demand_t", "unserved_share"],
                "value": [unserved, ref_demand, share],
            }
        ),
        "reliance": reliance_summary(result, region),
        "cover": cover_summary(result, region),
        "concentration": concentration_summary(result),
        "criticality": crit,
    }


def full_tables(reference: Any, result: Any, region: str) -> dict[str, pd.DataFrame]:
    """The per-period tables behind the summary: reliance by material and by stage and days
    of cover (every region), world concentration by stage and material, the region's
    criticality."""
    from rareflow.metrics.concentration import result_concentration

    return {
        "reliance_material": reliance(result, by="material"),
        "reliance_stage": reliance(result, by="stage"),
        "cover": days_of_cover(result),
        "concentration": result_concentration(result),
        "criticality": region_criticality(reference, result, region),
    }


def with_delta(
    base: pd.DataFrame, scenario: pd.DataFrame | None, key: str, values: list[str]
) -> pd.DataFrame:
    """`base` and `scenario` side by side on `key` with a delta column per value."""
    if scenario is None:
        return base[[key, *values]]
    merged = base[[key, *values]].merge(
        scenario[[key, *values]], on=key, how="outer", suffixes=("_base", "_scen")
    )
    cols = [key]
    for v in values:
        b, s = merged[f"{v}_base"], merged[f"{v}_scen"]
        if pd.api.types.is_numeric_dtype(b) and pd.api.types.is_numeric_dtype(s):
            with np.errstate(invalid="ignore"):
                merged[f"{v}_delta"] = s - b
            cols += [f"{v}_base", f"{v}_scen", f"{v}_delta"]
        else:
            cols += [f"{v}_base", f"{v}_scen"]
    return merged[cols]


# numeric columns shown per section, and the key column
SECTIONS: dict[str, tuple[str, list[str]]] = {
    "shortfall": ("measure", ["value"]),
    "reliance": ("stage", ["import_reliance", "self_sufficiency"]),
    "cover": ("material", ["days_end", "days_min"]),
    "concentration": ("stage", ["hhi", "top1", "top1_share", "top3_share"]),
    "criticality": (
        "group",
        [
            "supply_risk",
            "import_reliance",
            "disruption_potential",
            "top_supplier",
            "top_share",
        ],
    ),
}


def compare(
    base: dict[str, pd.DataFrame], scenario: dict[str, pd.DataFrame] | None
) -> dict[str, pd.DataFrame]:
    out = {}
    for name, (key, values) in SECTIONS.items():
        b = base[name]
        s = scenario[name] if scenario is not None else None
        present = [v for v in values if v in b.columns and (s is None or v in s.columns)]
        frame = with_delta(b, s, key, present)
        numeric = frame.select_dtypes("number").columns
        # 3 decimals for reading; + 0.0 turns -0.0 into 0.0
        frame[numeric] = frame[numeric].round(3) + 0.0
        out[name] = frame
    return out


def criticality_svg(points: pd.DataFrame, title: str) -> str:
    """A criticality matrix (economic importance across, supply risk up) as an SVG string.

    `points` has label, ei, sr, series. The EU thresholds (EI 2.8, SR 1) are drawn dashed.
    """
    width, height, pad = 640, 480, 60
    x_max = max(10.0, float(points["ei"].max()) if len(points) else 10.0)
    y_max = max(7.0, float(points["sr"].max()) + 0.5 if len(points) else 7.0)

    def sx(v: float) -> float:
        return pad + v / x_max * (width - 2 * pad)

    def sy(v: float) -> float:
        return height - pad - v / y_max * (height - 2 * pad)

    colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd"]
    series = list(dict.fromkeys(points["series"])) if len(points) else []
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="11">',
        f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14">{title}</text>',
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        'stroke="black"/>',
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="black"/>',
        f'<text x="{width / 2}" y="{height - 20}" text-anchor="middle">economic importance</text>',
        f'<text x="18" y="{height / 2}" transform="rotate(-90 18 {height / 2})" '
        'text-anchor="middle">supply risk</text>',
        f'<line x1="{sx(2.8)}" y1="{pad}" x2="{sx(2.8)}" y2="{height - pad}" stroke="grey" '
        'stroke-dasharray="4 4"/>',
        f'<line x1="{pad}" y1="{sy(1.0)}" x2="{width - pad}" y2="{sy(1.0)}" stroke="grey" '
        'stroke-dasharray="4 4"/>',
    ]
    for tick in range(0, int(x_max) + 1, 2):
        parts.append(
            f'<text x="{sx(tick)}" y="{height - pad + 15}" text-anchor="middle">{tick}</text>'
        )
    for tick in range(0, int(y_max) + 1):
        parts.append(f'<text x="{pad - 8}" y="{sy(tick) + 4}" text-anchor="end">{tick}</text>')
    for i, name in enumerate(series):
        colour = colours[i % len(colours)]
        parts.append(
            f'<circle cx="{width - pad - 150}" cy="{pad + 14 * i}" r="4" fill="{colour}"/>'
            f'<text x="{width - pad - 140}" y="{pad + 14 * i + 4}">{name}</text>'
        )
        for row in points[points["series"] == name].itertuples():
            if not (np.isfinite(row.ei) and np.isfinite(row.sr)):
                continue
            parts.append(
                f'<circle cx="{sx(row.ei):.1f}" cy="{sy(row.sr):.1f}" r="5" fill="{colour}"/>'
                f'<text x="{sx(row.ei) + 7:.1f}" y="{sy(row.sr) - 6:.1f}">{row.label}</text>'
            )
    parts.append("</svg>")
    return "\n".join(parts)
