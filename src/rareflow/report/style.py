"""What every chart of a report shares: its colours and the pieces of a hand-drawn SVG."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
FONT = 'font-family="Helvetica, Arial, sans-serif"'


def colour_at(i: int) -> str:
    """The i-th colour of the palette, cycling."""
    return COLOURS[i % len(COLOURS)]


# one colour per material form and per sector, the same in every chart of every report (a
# colour picked by position would change with what a chart happens to show)
def fixed_colour(name: str, order: Sequence[str]) -> str:
    """The colour of `name`: its place in `order`, else a stable hash of the name."""
    if name in order:
        return colour_at(order.index(name))
    return colour_at(len(order) + sum(name.encode()) % len(COLOURS))


def svg_open(width: int, height: int) -> str:
    """The opening tag of an SVG chart."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" {FONT}>'
    )


def svg_title(text: str, width: int, size: int = 13) -> str:
    """A chart's title, centred at the top."""
    return (
        f'<text x="{width / 2}" y="16" text-anchor="middle" font-size="{size}" '
        f'font-weight="bold">{escape(text)}</text>'
    )


def empty_svg(title: str, message: str, width: int) -> str:
    """A chart with nothing to draw: its title and why."""
    return (
        f"{svg_open(width, 60)}{svg_title(title, width)}"
        f'<text x="{width / 2}" y="42" text-anchor="middle" font-size="11">{escape(message)}'
        "</text></svg>"
    )
