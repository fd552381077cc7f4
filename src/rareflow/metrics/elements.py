"""Element content of the model's materials: t of Nd, Pr, Dy, Tb (and any other element) per t
of product, so that tonnes of different products can be added and compared.

- a metal is all its element; an oxide holds `metal_per_oxide` of it (elements.csv);
- an alloy or a magnet holds what its reference recipe puts in, spread over the recipe's total
  input mass (the recipe's scrap and yield losses leave with the rest): a t of Dy/Tb-grade NdFeB
  holds 0.265 t NdPr, 0.040 t Dy and 0.005 t Tb, as processes.csv describes it;
- a concentrate or a mixed compound holds its deposit's assay (t element per t REO).

    content = content_table(reference)            # material, element, t_per_t
    in_elements(frame, "unserved", content)       # the frame's tonnes as element tonnes
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

MAGNET_ELEMENTS = ("Nd", "Pr", "Dy", "Tb")
MAGNET_OXIDES = tuple(f"oxide:{e}" for e in MAGNET_ELEMENTS)
NDPR_OXIDES = ("oxide:Nd", "oxide:Pr")
# what carries Nd and Pr to a magnet maker: the oxides and what is made of them
NDPR_BEARING = ("oxide:Nd", "oxide:Pr", "metal:Nd", "metal:Pr", "alloy:NdPr")
_DEPTH = 4  # recipes nest: magnet <- alloy <- metal; deeper would be a cycle


def _direct(reference: Mapping[str, pd.DataFrame]) -> dict[str, dict[str, float]]:
    """Metals, oxides, concentrates and mixed compounds: content read from the tables."""
    elements = reference["elements"].set_index("symbol")["metal_per_oxide"].astype(float)
    assays = reference["deposit_assays"]
    out: dict[str, dict[str, float]] = {}
    for row in reference["materials"].to_dict("records"):
        material, form = str(row["material"]), str(row["form"])
        element = str(row.get("element") or "")
        if form == "metal" and element:
            out[material] = {element: 1.0}
        elif form == "oxide" and element in elements.index:
            out[material] = {element: float(elements[element])}
        elif form in ("concentrate", "mixed") and row.get("deposit"):
            mix = assays[assays["deposit"] == row["deposit"]]
            out[material] = {
                str(e): float(s) * float(elements.get(str(e), 1.0))
                for e, s in zip(mix["element"], mix["share"], strict=True)
                if str(e) in elements.index and float(s) > 0
            }
    return out


def _inputs(coef: pd.DataFrame, process: str) -> dict[str, float]:
    """Input -> t per t of `process`'s activity."""
    rows = coef[(coef["process"] == process) & (coef["coefficient"].astype(float) < 0)]
    return {str(m): -float(c) for m, c in zip(rows["material"], rows["coefficient"], strict=True)}


def _recipes(reference: Mapping[str, pd.DataFrame]) -> dict[str, dict[str, float]]:
    """Product -> input -> t per t of activity, of each product's reference process."""
    coef = reference["process_coefficients"]
    recipes: dict[str, dict[str, float]] = {}
    for row in reference["processes"].to_dict("records"):
        product, process = str(row["reference_material"]), str(row["process"])
        if product in recipes:
            continue  # the first recipe of a product (the plain one) speaks for it
        recipes[product] = _inputs(coef, process)
    return recipes


def oxide_needs(reference: Mapping[str, pd.DataFrame], process: str) -> dict[str, float]:
    """t of each magnet oxide per t of `process`'s product, down the reference recipe of each
    input (magnet <- alloy <- metal <- oxide), every yield loss included; scrap a process
    returns to recycling is not credited (it goes to the recyclers, not back to the plant)."""
    recipes = _recipes(reference)
    out = dict.fromkeys(MAGNET_OXIDES, 0.0)

    def walk(inputs: Mapping[str, float], amount: float, depth: int) -> None:
        for material, t_per_t in inputs.items():
            if material.startswith("oxide:"):
                out[material] = out.get(material, 0.0) + amount * t_per_t
            elif material in recipes and depth < _DEPTH:
                walk(recipes[material], amount * t_per_t, depth + 1)

    walk(_inputs(reference["process_coefficients"], process), 1.0, 0)
    return out


def content_table(reference: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """material, element, t_per_t: the element content of every material that has any."""
    content = _direct(reference)
    recipes = _recipes(reference)
    for _ in range(_DEPTH):
        for product, inputs in recipes.items():
            if product in content or not inputs:
                continue
            if not all(m in content or m.startswith("bulk:") for m in inputs):
                continue  # an input's content is not known yet
            mass = sum(inputs.values())
            total: dict[str, float] = {}
            for material, t in inputs.items():
                for element, share in content.get(material, {}).items():
                    total[element] = total.get(element, 0.0) + t * share / mass
            content[product] = total
    rows = [
        {"material": m, "element": e, "t_per_t": v}
        for m, parts in content.items()
        for e, v in parts.items()
        if v > 0
    ]
    return pd.DataFrame(rows, columns=["material", "element", "t_per_t"])


def in_elements(
    frame: pd.DataFrame,
    value: str,
    content: pd.DataFrame,
    elements: tuple[str, ...] = MAGNET_ELEMENTS,
) -> pd.DataFrame:
    """`frame` (with a `material` column) with `value` turned into element tonnes: one row per
    original row and element in `elements`, the tonnes in `value`, an `element` column."""
    wanted = content[content["element"].isin(elements)]
    out = frame.merge(wanted, on="material", how="inner")
    out[value] = out[value].astype(float) * out["t_per_t"]
    return out.drop(columns="t_per_t")


def element_shortfalls(
    result_shortfalls: pd.DataFrame,
    content: pd.DataFrame,
    base_shortfalls: pd.DataFrame | None = None,
    top: int = 8,
) -> pd.DataFrame:
    """Demand served and unserved over the horizon in element tonnes, per region (the `top`
    regions by unserved content, then 'all regions'): region, element, consumed, unserved and,
    with a baseline, the unserved change against it."""

    def per_region(short: pd.DataFrame) -> pd.DataFrame:
        parts = [
            in_elements(short[["region", "material", col]], col, content)
            .groupby(["region", "element"])[col]
            .sum()
            for col in ("consumed", "unserved")
        ]
        return pd.concat(parts, axis=1).reset_index()

    table = per_region(result_shortfalls)
    if table.empty:
        return pd.DataFrame(columns=["region", "element", "consumed", "unserved"])
    worst = table.groupby("region")["unserved"].sum().sort_values(ascending=False)
    shown = [str(r) for r in worst.index[:top]]
    total = table.groupby("element", as_index=False)[["consumed", "unserved"]].sum()
    out = pd.concat(
        [table[table["region"].isin(shown)], total.assign(region="all regions")],
        ignore_index=True,
    )
    if base_shortfalls is not None:
        base = per_region(base_shortfalls)
        base_total = base.groupby("element", as_index=False)[["unserved"]].sum()
        base = pd.concat([base, base_total.assign(region="all regions")], ignore_index=True)
        out = out.merge(
            base[["region", "element", "unserved"]].rename(columns={"unserved": "unserved_base"}),
            on=["region", "element"],
            how="left",
        )
        out["change"] = out["unserved"] - out["unserved_base"].fillna(0.0)
        out = out.drop(columns="unserved_base")
    order = {e: i for i, e in enumerate(MAGNET_ELEMENTS)}
    out["_r"] = out["region"].map({r: i for i, r in enumerate([*shown, "all regions"])})
    out["_e"] = out["element"].map(order)
    return out.sort_values(["_r", "_e"]).drop(columns=["_r", "_e"]).reset_index(drop=True)
