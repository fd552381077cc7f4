"""What India's magnet scheme needs in oxides, against what India makes, and who supplies the
rest: the recipes' arithmetic and the scenario's flows (no solve)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from rareflow.brief.findings import INDIA, full_years
from rareflow.results import Result

NEED_OXIDES: tuple[str, ...] = ("oxide:Nd", "oxide:Pr", "oxide:Dy", "oxide:Tb")
NDPR_OXIDES: tuple[str, ...] = ("oxide:Nd", "oxide:Pr")
# what carries Nd and Pr into a magnet plant: the oxides and what is made of them
NDPR_BEARING: tuple[str, ...] = ("oxide:Nd", "oxide:Pr", "metal:Nd", "metal:Pr", "alloy:NdPr")
# the scheme's grade in the scenario, and the Dy-diffused grade traction motors would need
GRADES: dict[str, str] = {
    "heavy-RE-free (the scenario's grade)": "magnet:NdFeB-LRE",
    "Dy-diffused traction grade": "magnet:NdFeB-HRE-gbd",
}
SCHEME_CAPACITY_T = 6000.0  # t/yr of sintered magnets (Union Cabinet, 26 Nov 2025)
_DEPTH = 4  # magnet <- alloy <- metal <- oxide


def oxide_needs(reference: Mapping[str, pd.DataFrame], process: str) -> dict[str, float]:
    """t of each oxide per t of `process`'s product, down the reference recipe of each input
    (magnet <- alloy <- metal <- oxide), every yield loss included; the scrap a magnet plant
    returns to recycling is not credited (it goes back to the recyclers, not to the plant)."""
    coef = reference["process_coefficients"]
    maker: dict[str, str] = {}
    for row in reference["processes"].to_dict("records"):
        # the first recipe of a product is its plain one (variants come after it)
        maker.setdefault(str(row["reference_material"]), str(row["process"]))
    out = dict.fromkeys(NEED_OXIDES, 0.0)

    def walk(proc: str, amount: float, depth: int) -> None:
        rows = coef[(coef["process"] == proc) & (coef["coefficient"].astype(float) < 0)]
        for material, c in zip(rows["material"], rows["coefficient"].astype(float), strict=True):
            need = amount * -c
            if material.startswith("oxide:"):
                out[material] = out.get(material, 0.0) + need
            elif material in maker and depth < _DEPTH:
                walk(maker[material], need, depth + 1)

    walk(process, 1.0, 0)
    return out


@dataclass
class SchemeNeeds:
    """The scheme's oxide needs per grade, and year by year against India's own NdPr oxide."""

    scenario: str
    per_t: dict[str, dict[str, float]]  # grade -> oxide -> t per t of magnet
    table: pd.DataFrame  # by year: magnets, NdPr oxide needed and made, gap, imports
    suppliers: pd.DataFrame  # origin x material: t/yr of NdPr-bearing imports into India

    def at_capacity(self, grade: str) -> dict[str, float]:
        return {m: SCHEME_CAPACITY_T * v for m, v in self.per_t[grade].items()}


def _yearly(frame: pd.DataFrame, years: list[int]) -> pd.Series:
    year = frame["period"].astype(str).str[:4].astype(int)
    return frame.groupby(year)["value"].sum().reindex(years, fill_value=0.0).astype(float)


def scheme_needs(
    name: str, result: Result, reference: Mapping[str, pd.DataFrame], region: str = INDIA
) -> SchemeNeeds:
    """India's NdFeB output under `result`, the NdPr oxide it takes through the recipes, India's
    own NdPr oxide output and its imports of NdPr-bearing materials, by full calendar year."""
    per_t = {grade: oxide_needs(reference, process) for grade, process in GRADES.items()}
    years = full_years(result)
    f = result.flows
    here = f[f["region"] == region]
    made = here[(here["kind"] == "process_output") & here["material"].str.startswith("magnet:")]
    made = made[made["material"].str.startswith("magnet:NdFeB")]
    oxide = here[(here["kind"] == "process_output") & here["material"].isin(NDPR_OXIDES)]
    t = result.trade
    imports = t[(t["destination"] == region) & t["material"].isin(NDPR_BEARING)]
    lre = per_t[next(iter(GRADES))]
    table = pd.DataFrame({"magnets_t": _yearly(made, years)})
    table["ndpr_oxide_needed_t"] = table["magnets_t"] * (lre["oxide:Nd"] + lre["oxide:Pr"])
    table["ndpr_oxide_made_in_india_t"] = _yearly(oxide, years)
    table["gap_t"] = (table["ndpr_oxide_needed_t"] - table["ndpr_oxide_made_in_india_t"]).clip(
        lower=0.0
    )
    table["ndpr_bearing_imports_t"] = _yearly(imports, years)
    exports = t[(t["origin"] == region) & t["material"].isin(NDPR_BEARING)]
    table["ndpr_bearing_exports_t"] = _yearly(exports, years)
    table.index.name = "year"
    magnets = table["magnets_t"]
    running = [int(y) for y in magnets[magnets > 0].index]
    sel = imports[imports["period"].astype(str).str[:4].astype(int).isin(running)]
    suppliers = (
        sel.groupby(["origin", "material"])["value"].sum() / max(len(running), 1)
    ).sort_values(ascending=False)
    return SchemeNeeds(name, per_t, table, suppliers.rename("t_per_yr").to_frame())
