"""What India's magnet scheme needs in oxides, against what India makes, and who supplies the
rest: the recipes' arithmetic and the scenario's flows (no solve)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from rareflow.brief.findings import INDIA, NDFEB, flows_by_year, full_years
from rareflow.metrics.elements import NDPR_BEARING, NDPR_OXIDES, oxide_needs
from rareflow.results import Result

# the scheme's grade in the scenario (first), and the Dy-diffused grade traction motors need
SCENARIO_GRADE = "heavy-RE-free (the scenario's grade)"
GRADES: dict[str, str] = {
    SCENARIO_GRADE: "magnet:NdFeB-LRE",
    "Dy-diffused traction grade": "magnet:NdFeB-HRE-gbd",
}
SCHEME_CAPACITY_T = 6000.0  # t/yr of sintered magnets (Union Cabinet, 26 Nov 2025)


@dataclass
class SchemeNeeds:
    """The scheme's oxide needs per grade, and year by year against India's own NdPr oxide."""

    scenario: str
    per_t: dict[str, dict[str, float]]  # grade -> oxide -> t per t of magnet
    table: pd.DataFrame  # by year: magnets, NdPr oxide needed and made, gap, imports, exports
    suppliers: pd.DataFrame  # origin x material: t/yr of NdPr-bearing imports into India

    def at_capacity(self, grade: str) -> dict[str, float]:
        return {m: SCHEME_CAPACITY_T * v for m, v in self.per_t[grade].items()}

    def ndpr_per_t(self, grade: str = SCENARIO_GRADE) -> float:
        return sum(self.per_t[grade][m] for m in NDPR_OXIDES)


def _trade_by_year(trade: pd.DataFrame, years: list[int]) -> pd.Series:
    year = trade["period"].astype(str).str[:4].astype(int)
    return trade.groupby(year)["value"].sum().reindex(years, fill_value=0.0).astype(float)


def scheme_needs(
    name: str, result: Result, reference: Mapping[str, pd.DataFrame], region: str = INDIA
) -> SchemeNeeds:
    """India's NdFeB output under `result`, the NdPr oxide it takes through the recipes, India's
    own NdPr oxide output and its imports of NdPr-bearing materials, by full calendar year."""
    per_t = {grade: oxide_needs(reference, process) for grade, process in GRADES.items()}
    years = full_years(result)
    f = result.flows

    def made(pattern: str) -> pd.Series:
        return flows_by_year(f, "process_output", region, pattern).reindex(years, fill_value=0.0)

    t = result.trade
    imports = t[(t["destination"] == region) & t["material"].isin(NDPR_BEARING)]
    exports = t[(t["origin"] == region) & t["material"].isin(NDPR_BEARING)]
    table = pd.DataFrame({"magnets_t": made(NDFEB)})
    needs = SchemeNeeds(name, per_t, table, pd.DataFrame())
    table["ndpr_oxide_needed_t"] = table["magnets_t"] * needs.ndpr_per_t()
    table["ndpr_oxide_made_in_india_t"] = sum(made(m) for m in NDPR_OXIDES)
    gap = table["ndpr_oxide_needed_t"] - table["ndpr_oxide_made_in_india_t"]
    table["gap_t"] = gap.clip(lower=0.0)
    table["ndpr_bearing_imports_t"] = _trade_by_year(imports, years)
    table["ndpr_bearing_exports_t"] = _trade_by_year(exports, years)
    table.index.name = "year"
    running = [int(y) for y in table.index[table["magnets_t"] > 0]]
    sel = imports[imports["period"].astype(str).str[:4].astype(int).isin(running)]
    suppliers = sel.groupby(["origin", "material"])["value"].sum() / max(len(running), 1)
    needs.suppliers = suppliers.sort_values(ascending=False).rename("t_per_yr").to_frame()
    return needs
