"""The names a scenario may use: regions, materials, elements, facilities, agreements, sectors.

Read from the reference tables when they are there (`rareflow.data.loader.load_reference`), so a
scenario is checked against the data it will run on. Without reference tables (an empty data
directory) the fixed identifiers of the project's data contract are used, so scenario files can
still be validated; facility and agreement names are then limited to the ids the contract names.
"""

from __future__ import annotations

import fnmatch
import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from rareflow.data.schema import FORMS, SPECS_BY_NAME, STAGES

# Years the reference data cover: a horizon outside them is refused.
DATA_FIRST_YEAR = 2024
DATA_LAST_YEAR = 2040

# Forms an element coverage applies to when a scenario does not say (export controls name
# oxides, metals, alloys and magnets; see docs/scenarios.md).
DEFAULT_ELEMENT_FORMS: tuple[str, ...] = ("oxide", "metal", "alloy", "magnet")

# --- the data contract's fixed identifiers (used only when no reference tables exist) ----------
_REGIONS = [
    "CHN",
    "IND",
    "JPN",
    "USA",
    "AUS",
    "MYS",
    "MMR",
    "VNM",
    "BRA",
    "RUS",
    "KOR",
    "THA",
    "NGA",
    "MDG",
    "LAO",
    "DEU",
    "EST",
    "FRA",
    "GBR",
    "CAN",
    "GRL",
    "ZAF",
    "TZA",
    "EU27",
    "ROW",
]
_ELEMENTS = [
    "La",
    "Ce",
    "Pr",
    "Nd",
    "Sm",
    "Eu",
    "Gd",
    "Tb",
    "Dy",
    "Ho",
    "Er",
    "Tm",
    "Yb",
    "Lu",
    "Y",
    "Sc",
    "Oth",
]
_METALS = ["La", "Ce", "Pr", "Nd", "Sm", "Gd", "Tb", "Dy", "Ho", "Y"]
_DEPOSITS = ("bastnaesite", "monazite", "ionic_clay", "xenotime")
_DEPOSIT_STAGES = ("mining", "cracking", "separation")
SECTORS = (
    "ev_traction",
    "wind",
    "industrial_motors",
    "consumer_electronics",
    "defence",
    "catalysts",
    "glass_polishing",
    "metallurgy_alloys",
    "phosphors_ceramics",
    "other",
)
_FACILITIES = {
    # id -> (region, stage)
    "irel-oscom": ("IND", "cracking"),
    "irel-aluva": ("IND", "separation"),
    "irel-chavara": ("IND", "mining"),
    "irel-manavalakurichi": ("IND", "mining"),
    "irel-vizag-magnet": ("IND", "magnet"),
    "toyotsu-vizag": ("IND", "separation"),
    "lynas-mt-weld": ("AUS", "mining"),
    "lynas-kalgoorlie": ("AUS", "cracking"),
    "lynas-malaysia": ("MYS", "separation"),
    "mp-mountain-pass-mine": ("USA", "mining"),
    "mp-mountain-pass-separation": ("USA", "separation"),
    "mp-independence": ("USA", "magnet"),
    "neo-silmet": ("EST", "separation"),
    "neo-narva": ("EST", "magnet"),
    "solvay-la-rochelle": ("FRA", "separation"),
    "energy-fuels-white-mesa": ("USA", "cracking"),
    "iluka-eneabba": ("AUS", "separation"),
    "china-northern-re-mining": ("CHN", "mining"),
    "china-re-group-mining": ("CHN", "mining"),
    "china-separation-northern": ("CHN", "separation"),
    "china-separation-group": ("CHN", "separation"),
    "china-magnet-industry": ("CHN", "magnet"),
}
_AGREEMENTS = {"irel-toyotsu": {"seller": "irel-oscom", "destination": "JPN"}}
# What the alloys and magnets are made of (data contract: NdFeB-HRE contains Dy/Tb).
_CONTAINS = {
    "alloy:NdPr": ("Nd", "Pr"),
    "magnet:NdFeB-HRE": ("Nd", "Pr", "Dy", "Tb"),
    "magnet:NdFeB-LRE": ("Nd", "Pr"),
    "magnet:SmCo": ("Sm",),
}


@dataclass(frozen=True)
class Vocabulary:
    """Every name a scenario may use, and which elements each material contains."""

    regions: frozenset[str]
    elements: frozenset[str]
    sectors: frozenset[str]
    materials: Mapping[str, str]  # material -> form
    contains: Mapping[str, frozenset[str]]  # material -> elements in it (alloys, magnets too)
    facilities: Mapping[str, tuple[str, str]]  # facility -> (region, stage)
    agreements: frozenset[str]
    processes: Mapping[str, str] = field(default_factory=dict)  # process -> stage
    stages: frozenset[str] = frozenset(STAGES)
    forms: frozenset[str] = frozenset(FORMS)
    # reference tables, when the vocabulary was read from them (for `parameter` key checks)
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    origin: str = "contract"  # "reference" or "contract"

    def expand(self, pattern: str) -> list[str]:
        """Materials matching an id or an fnmatch pattern such as 'magnet:*'."""
        if pattern in self.materials:
            return [pattern]
        return sorted(m for m in self.materials if fnmatch.fnmatchcase(m, pattern))

    def covered(
        self, materials: Iterable[str], elements: Iterable[str], forms: Iterable[str] | None
    ) -> list[str]:
        """Materials a trade measure covers: listed ones plus those containing an element."""
        out = {m for p in materials for m in self.expand(p)}
        wanted = set(elements)
        allowed = set(forms) if forms is not None else set(DEFAULT_ELEMENT_FORMS)
        if wanted:
            out |= {
                m
                for m, form in self.materials.items()
                if form in allowed and self.contains.get(m, frozenset()) & wanted
            }
        return sorted(out)


def _column(tables: Mapping[str, pd.DataFrame], table: str, column: str) -> list[str]:
    frame = tables.get(table)
    if frame is None or column not in frame.columns:
        return []
    return [str(v) for v in frame[column].dropna()]


def contained_elements(
    materials: pd.DataFrame, processes: pd.DataFrame, coefficients: pd.DataFrame
) -> dict[str, frozenset[str]]:
    """Elements each material contains: its own element, plus, for materials made by reduction,
    alloying or magnet making, the elements of the inputs of the process that makes them."""
    own = {
        str(r.material): {str(r.element)}
        for r in materials.itertuples(index=False)
        if isinstance(r.element, str) and r.element
    }
    makers = processes[processes["stage"].isin(("reduction", "alloying", "magnet"))]
    inputs: dict[str, set[str]] = {}
    for proc in makers.itertuples(index=False):
        rows = coefficients[
            (coefficients["process"] == proc.process) & (coefficients["coefficient"] < 0)
        ]
        inputs.setdefault(str(proc.reference_material), set()).update(map(str, rows["material"]))

    def walk(material: str, seen: frozenset[str]) -> set[str]:
        found = set(own.get(material, set()))
        for child in inputs.get(material, set()):
            if child not in seen:
                found |= walk(child, seen | {child})
        return found

    return {str(m): frozenset(walk(str(m), frozenset({str(m)}))) for m in materials["material"]}


def variant_processes(processes: pd.DataFrame) -> frozenset[str]:
    """Processes that are alternative recipes of another (processes.variant_of)."""
    if "variant_of" not in processes:
        return frozenset()
    variant = processes["variant_of"].fillna("").astype(str) != ""
    return frozenset(processes.loc[variant, "process"].astype(str))


def material_yield(
    coefficients: pd.DataFrame,
    process: str,
    material: str,
    depth: int = 3,
    variants: frozenset[str] = frozenset(),
) -> float | None:
    """t of `material` per t of activity of `process`, following its outputs downstream.

    A plant that makes an intermediate (OSCOM cracks monazite into mixed chloride) can have its
    capacity stated in a downstream material ('450 t/yr of Nd oxide'): each output is followed
    through the processes that take it as input. Where routes disagree, the routes through
    main recipes (not `variants`, such as another Nd:Pr ratio) decide; None when no route
    reaches the material or the main routes still disagree.
    """
    coef = coefficients.assign(coefficient=pd.to_numeric(coefficients["coefficient"]))
    rows = coef[coef["process"] == process]
    direct = rows[(rows["material"] == material) & (rows["coefficient"] > 0)]
    if not direct.empty:
        return float(direct["coefficient"].to_numpy()[0])
    if depth <= 1:
        return None
    found: list[tuple[bool, float]] = []
    outputs = rows[rows["coefficient"] > 0]
    for out_material, out_coef in zip(outputs["material"], outputs["coefficient"], strict=True):
        users = coef[(coef["material"] == out_material) & (coef["coefficient"] < 0)]
        for user, in_coef in zip(users["process"], users["coefficient"], strict=True):
            if user == process:
                continue
            onward = material_yield(coef, str(user), material, depth - 1, variants)
            if onward is not None:
                found.append((str(user) in variants, float(out_coef) / -float(in_coef) * onward))

    def agreed(values: list[float]) -> float | None:
        if values and max(values) - min(values) <= 1e-9 * max(abs(max(values)), 1.0):
            return values[0]
        return None

    value = agreed([v for _, v in found])
    if value is None:
        value = agreed([v for is_variant, v in found if not is_variant])
    return value


def from_tables(tables: Mapping[str, pd.DataFrame]) -> Vocabulary:
    """The vocabulary of a set of reference tables."""
    materials = tables["materials"]
    facilities = tables.get("facilities", pd.DataFrame(columns=["facility", "region", "process"]))
    stage_of = dict(
        zip(
            _column(tables, "processes", "process"),
            _column(tables, "processes", "stage"),
            strict=False,
        )
    )
    return Vocabulary(
        regions=frozenset(_column(tables, "regions", "code")),
        elements=frozenset(_column(tables, "elements", "symbol")) or frozenset(_ELEMENTS),
        sectors=frozenset(_column(tables, "sectors", "sector")),
        materials=dict(
            zip(materials["material"].astype(str), materials["form"].astype(str), strict=True)
        ),
        contains=contained_elements(
            materials,
            tables.get(
                "processes", pd.DataFrame(columns=["process", "stage", "reference_material"])
            ),
            tables.get(
                "process_coefficients", pd.DataFrame(columns=["process", "material", "coefficient"])
            ),
        ),
        facilities={
            str(r.facility): (str(r.region), stage_of.get(str(r.process), ""))
            for r in facilities.itertuples(index=False)
        },
        agreements=frozenset(_column(tables, "agreements", "agreement")),
        processes=stage_of,
        tables=dict(tables),
        origin="reference",
    )


def contract_vocabulary() -> Vocabulary:
    """The fixed identifiers of the data contract (no reference tables needed)."""
    materials: dict[str, str] = {}
    for dep in _DEPOSITS:
        materials[f"concentrate:{dep}"] = "concentrate"
        materials[f"mixed:{dep}"] = "mixed"
    for el in _ELEMENTS:
        materials[f"oxide:{el}"] = "oxide"
    for el in _METALS:
        materials[f"metal:{el}"] = "metal"
    materials["alloy:NdPr"] = "alloy"
    for mag in ("NdFeB-HRE", "NdFeB-LRE", "SmCo"):
        materials[f"magnet:{mag}"] = "magnet"
    for bulk in ("Fe", "B", "Co"):
        materials[f"bulk:{bulk}"] = "bulk"
    contains = {
        m: frozenset({m.split(":")[1]}) for m in materials if m.split(":")[0] in ("oxide", "metal")
    }
    contains.update({m: frozenset(els) for m, els in _CONTAINS.items()})
    processes = {f"{stage}:{dep}": stage for dep in _DEPOSITS for stage in _DEPOSIT_STAGES}
    processes.update({f"reduction:{el}": "reduction" for el in _METALS})
    processes["alloying:NdPr"] = "alloying"
    processes.update({m: "magnet" for m in materials if m.startswith("magnet:")})
    return Vocabulary(
        regions=frozenset(_REGIONS),
        elements=frozenset(_ELEMENTS),
        sectors=frozenset(SECTORS),
        materials=materials,
        contains=contains,
        facilities=dict(_FACILITIES),
        agreements=frozenset(_AGREEMENTS),
        processes=processes,
    )


def _tables_of(reference: Any) -> dict[str, pd.DataFrame]:
    """DataFrames by table name from whatever the reference loader returns."""
    out: dict[str, pd.DataFrame] = {}
    for name in SPECS_BY_NAME:
        frame = None
        if isinstance(reference, Mapping):
            frame = reference.get(name)
        if frame is None:
            frame = getattr(reference, name, None)
        if frame is None and hasattr(reference, "tables"):
            frame = reference.tables.get(name)
        if isinstance(frame, pd.DataFrame):
            out[name] = frame
    return out


def load_vocabulary(data_dir: str | Path | None = None) -> Vocabulary:
    """The vocabulary of the reference data (or of `data_dir`); the contract's without data."""
    return _load_vocabulary(str(data_dir) if data_dir is not None else None)


@lru_cache(maxsize=8)
def _load_vocabulary(data_dir: str | None) -> Vocabulary:
    try:
        loader = importlib.import_module("rareflow.data.loader")
    except ImportError:
        return contract_vocabulary()
    if data_dir is not None:  # a user's data directory (over the packaged set)
        return from_tables(_tables_of(loader.load_reference(Path(data_dir))))
    packaged = Path(loader.packaged_dir())
    # The packaged set is read only when complete: while it is incomplete the data contract's
    # identifiers stand in for it.
    if not all((packaged / spec.filename).exists() for spec in SPECS_BY_NAME.values()):
        return contract_vocabulary()
    return from_tables(_tables_of(loader.load_reference()))
