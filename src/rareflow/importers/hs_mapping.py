"""HS 6-digit codes carrying rare earths, and the rareflow material each maps to.

Customs statistics count product weight (net mass in tonnes), not rare-earth-oxide content, and
HS6 cannot tell the elements apart (national 8-10 digit lines can, but BACI and Comtrade's HS
files stop at six digits). Each mapping therefore says what the code does and does not cover;
docs/importers.md carries the same table for readers.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HSMapping:
    """One HS6 code: the rareflow material (or form) its flows become, and its limits."""

    code: str  # six digits, leading zero kept
    material: str  # a rareflow material id or a form from schema.FORMS
    basis: str  # trade.basis: what the tonnes measure
    description: str
    covers: str
    does_not_cover: str
    opt_in: bool = False  # included only when the user asks (mostly non-rare-earth trade)


HS_MAPPINGS: tuple[HSMapping, ...] = (
    HSMapping(
        "280530",
        "metal",
        "metal",
        "Rare-earth metals, scandium and yttrium, whether or not intermixed or interalloyed",
        "all rare earth metals, Sc and Y, single or intermixed (e.g. didymium NdPr metal)",
        "which element: HS6 does not split them (China's 10-digit lines 2805301100 Nd, "
        "...1200 Dy, ...1300 Tb do, but they are not in BACI or Comtrade HS6); alloys with "
        "iron (ferro-alloys, 7202.99) and pyrophoric alloys (3606.90)",
    ),
    HSMapping(
        "284610",
        "oxide:Ce",
        "product",
        "Cerium compounds",
        "cerium oxide, hydroxide, carbonate and other cerium compounds, t of compound",
        "other rare earths; tonnes are compound weight, not t CeO2 (REO)",
    ),
    HSMapping(
        "284690",
        "oxide",
        "product",
        "Compounds, inorganic or organic, of rare-earth metals, of yttrium or of scandium "
        "(other than cerium)",
        "separated and mixed oxides, chlorides, fluorides, carbonates, including mixed rare "
        "earth carbonate (MREC) intermediate; t of compound",
        "which element (La, Nd, Dy, ... are not identified at HS6); REO content (a carbonate "
        "or chloride weighs more than its oxide); cerium compounds (2846.10)",
    ),
    HSMapping(
        "850511",
        "magnet",
        "product",
        "Permanent magnets and articles intended to become permanent magnets after "
        "magnetisation, of metal",
        "sintered and bonded NdFeB (with and without Dy/Tb) and SmCo magnets, t of magnet",
        "it also counts AlNiCo and other metal magnets, so it is not an NdFeB-only figure; "
        "ferrite magnets (8505.19) and magnets inside motors or devices",
    ),
    HSMapping(
        "261220",
        "concentrate:monazite",
        "product",
        "Thorium ores and concentrates",
        "monazite concentrate where the exporting country classifies it as a thorium ore "
        "(e.g. US HTS 2612.20.00); t of concentrate",
        "monazite declared elsewhere (country practice varies); bastnaesite, xenotime and "
        "ionic clay products; REO content (t are gross concentrate)",
    ),
    HSMapping(
        "253090",
        "concentrate",
        "product",
        "Mineral substances not elsewhere specified",
        "rare earth ores and concentrates such as bastnaesite, which some countries report "
        "here (China 25309020)",
        "mostly non-rare-earth minerals: at HS6 most of this code is something else, so it "
        "is used only with --include-253090",
        opt_in=True,
    ),
)

HS_BY_CODE: dict[str, HSMapping] = {m.code: m for m in HS_MAPPINGS}


def selected_mappings(include_opt_in: bool = False) -> tuple[HSMapping, ...]:
    """Mappings used by an import: the default set, plus the opt-in codes when asked."""
    return tuple(m for m in HS_MAPPINGS if include_opt_in or not m.opt_in)


def form_of(material: str) -> str:
    """The form of a material id or form ('oxide:Ce' -> 'oxide', 'magnet' -> 'magnet')."""
    return material.split(":", 1)[0]
