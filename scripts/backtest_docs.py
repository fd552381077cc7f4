"""Regenerate the backtest figures in docs/validation.md: every shipped episode is replayed
(`rareflow.backtest.run_backtest`, the same code as `rareflow backtest`) and its error table
replaces the block between `<!-- backtest:NAME -->` and `<!-- /backtest:NAME -->`; the replays
with every demand elasticity at the ends of its sourced range fill
`<!-- backtest-range:NAME -->` ... `<!-- /backtest-range:NAME -->`.

    python scripts/backtest_docs.py            # about a minute and a half per episode
"""

from __future__ import annotations

import re
from pathlib import Path

from rareflow.backtest.episode import shipped_episodes
from rareflow.backtest.runner import markdown_table, run_backtest

DOC = Path(__file__).resolve().parents[1] / "docs" / "validation.md"
BOUND_LABEL = {
    "value": "central",
    "low": "low (most elastic)",
    "high": "high (least elastic)",
}


def fill(text: str, tag: str, body: str) -> str:
    start, end = f"<!-- {tag} -->", f"<!-- /{tag} -->"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise SystemExit(f"{DOC}: no block {start} ... {end} to fill")
    return pattern.sub(lambda _, filled=f"{start}\n{body}{end}": filled, text)


def main() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in shipped_episodes():
        rows = [
            "| demand elasticities | direction | within 2x | median abs log error (of the "
            "series / of all points) |",
            "|---|---:|---:|---:|",
        ]
        for bound, label in BOUND_LABEL.items():
            bt = run_backtest(name, elasticities=bound)
            if bound == "value":
                text = fill(text, f"backtest:{name}", markdown_table(bt.errors))
            e = bt.errors
            o = e[(e["series"] == "overall") & (e["forecaster"] == "model")].iloc[0]
            rows.append(
                f"| {label} | {o['direction']:.2f} | {o['within_2x']:.2f} | "
                f"{o['mdale']:.2f} / {o['mdale_points']:.2f} |"
            )
            print(f"{name} ({bound}): {len(bt.lined)} observed points lined up")
        text = fill(text, f"backtest-range:{name}", "\n".join(rows) + "\n")
    DOC.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
