"""Hostile scenario texts from issue 16, shared by the CLI and service tests.

Each entry: name -> (text, fragment the one-line error must contain).
"""

from __future__ import annotations

HEAD = "name: hostile\nhorizon: {start: 2025-01, end: 2025-03, step: month}\n"


def _alias_bomb() -> str:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, 12):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    return "\n".join(lines) + "\n"


def _nested_block(levels: int) -> str:
    out = ["name: hostile"]
    for i in range(levels):
        out.append(" " * i + f"k{i}:")
    out.append(" " * levels + "v")
    return "\n".join(out) + "\n"


HOSTILE: dict[str, tuple[str, str]] = {
    "brackets-5000": ("x: " + "[" * 5000 + "]" * 5000 + "\n", "nested levels"),
    "flow-1200": ("x: " + "{a: " * 1200 + "1" + "}" * 1200 + "\n", "nested levels"),
    "block-1200": (_nested_block(1200), "nested levels"),
    "alias-bomb": (_alias_bomb(), "aliases"),
    "base-list": (HEAD + "base: [a]\n", "base"),
    "base-mapping": (HEAD + "base: {a: 1}\n", "base"),
    "int-4301": (HEAD + "description: x\nbig: " + "9" * 4301 + "\n", "digits"),
    "lone-surrogate": (HEAD + 'description: "\\ud800"\n', "lone surrogate"),
    "inf-float": (HEAD + "big: 1.0e+400\n", "finite"),
    "inf-dot": (HEAD + "big: .inf\n", "finite"),
}

QUOTA_1E400 = (
    HEAD
    + "events:\n  - type: export_quota\n    exporter: CHN\n    materials: [oxide:Dy]\n"
    + "    quantity: 1e400 t/yr\n    start: 2025-01\n"
)
HOSTILE["quantity-1e400"] = (QUOTA_1E400, "finite")
