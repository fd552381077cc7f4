"""Regenerate the backtest figures in docs/validation.md: every shipped episode is replayed
(`rareflow.backtest.run_backtest`, the same code as `rareflow backtest`) and its error table
replaces the block between `<!-- backtest:NAME -->` and `<!-- /backtest:NAME -->`.

    python scripts/backtest_docs.py            # about a minute per episode
"""

from __future__ import annotations

import re
from pathlib import Path

from rareflow.backtest.episode import shipped_episodes
from rareflow.backtest.runner import markdown_table, run_backtest

DOC = Path(__file__).resolve().parents[1] / "docs" / "validation.md"


def main() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in shipped_episodes():
        bt = run_backtest(name)
        table = markdown_table(bt.errors)
        start, end = f"<!-- backtest:{name} -->", f"<!-- /backtest:{name} -->"
        block = f"{start}\n{table}{end}"
        pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
        if not pattern.search(text):
            raise SystemExit(f"{DOC}: no block {start} ... {end} to fill")
        text = pattern.sub(lambda _, filled=block: filled, text)
        print(f"{name}: {len(bt.lined)} observed points lined up")
    DOC.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
