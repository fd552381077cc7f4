"""Reports: hand-built result directories with known flows, rendered to HTML and PDF."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pypdfium2 as pdfium
import pytest
import typer
from plotly.offline import get_plotlyjs
from typer.testing import CliRunner

from rareflow.cli.report import report
from rareflow.data.loader import load_reference
from rareflow.data.summaries import source_usage
from rareflow.report import ReportError, gather, write_report
from rareflow.report.content import (
    default_region,
    load_result,
    price_series,
    sankey_links,
    select_periods,
    worst_importers,
)
from rareflow.report.html import render
from rareflow.results import Result

PERIODS = ["2025", "2026"]
# screenshots kept for a reader (ignored by git), as the browser test keeps its own
ARTIFACTS = Path(__file__).parent / "artifacts"

SCENARIO = """\
name: tiny-ban
description: China bans Nd oxide exports
horizon: {{start: 2025-01, end: 2026-12, step: year}}
data: {data}
events:
  - type: export_ban
    exporter: CHN
    materials: [oxide:Nd]
    start: 2025-06
    source: test fixture
"""

# India's 2026 value chain (2025 is the same at twice the size):
# concentrate: mining 100 + imports 20 -> cracking 120
# mixed: cracking 108 -> separation 108
# oxides: separation 90 (Nd 30, Oth 60) + imports 10 -> reduction 20, exports 20,
#         consumption 50, disposal 10 (a pool of 100: every source splits 20/20/50/10)
# metal:Nd: reduction 16 -> alloying 16
IND_2026 = [
    ("production", "concentrate:monazite", 100.0),
    ("trade_in", "concentrate:monazite", 20.0),
    ("process_input", "concentrate:monazite", 120.0),
    ("process_output", "mixed:monazite", 108.0),
    ("process_input", "mixed:monazite", 108.0),
    ("process_output", "oxide:Nd", 30.0),
    ("process_output", "oxide:Oth", 60.0),
    ("trade_in", "oxide:Nd", 10.0),
    ("process_input", "oxide:Nd", 20.0),
    ("trade_out", "oxide:Nd", 20.0),
    ("consumption", "oxide:Oth", 50.0),
    ("disposal", "oxide:Oth", 10.0),
    ("process_output", "metal:Nd", 16.0),
    ("process_input", "metal:Nd", 16.0),
    ("process_input", "bulk:Fe", 5.0),
    ("stock_level", "oxide:Nd", 3.0),
]


def _result(scenario_file: Path | None, scenario: bool) -> Result:
    flows = []
    for period, factor in (("2025", 2.0), ("2026", 1.0)):
        flows += [("IND", kind, m, period, v * factor) for kind, m, v in IND_2026]
    # Japan uses Nd oxide in 2026 only (the weight of its price outside China)
    flows += [
        ("JPN", "process_input", "oxide:Nd", "2026", 30.0),
        ("CHN", "production", "concentrate:monazite", "2025", 1000.0),
        ("CHN", "production", "concentrate:monazite", "2026", 1000.0),
    ]
    flow_frame = pd.DataFrame(flows, columns=["region", "kind", "material", "period", "value"])
    flow_frame = flow_frame[["kind", "region", "material", "period", "value"]]
    # Japan's Nd oxide: 20 t/yr from China in the baseline, 5 from China and 15 from Malaysia
    # under the ban
    jpn = [("CHN", 5.0), ("MYS", 15.0)] if scenario else [("CHN", 20.0)]
    trade = [(f"{o}>JPN:oxide:Nd", o, "JPN", "oxide:Nd", p, v) for o, v in jpn for p in PERIODS] + [
        ("MYS>IND:concentrate:monazite", "MYS", "IND", "concentrate:monazite", p, 20.0)
        for p in PERIODS
    ]
    prices = []
    for p in PERIODS:
        for region, price in (("CHN", 100.0), ("JPN", 200.0), ("IND", 150.0), ("MYS", 120.0)):
            prices.append((region, "oxide:Nd", p, price))
        for region, price in (("CHN", 50.0), ("JPN", 70.0), ("IND", 80.0)):
            prices.append((region, "magnet:NdFeB-HRE", p, price))
    jpn_unserved = 30.0 if scenario else 0.0
    shortfalls = [
        (r, "ev_traction", "magnet:NdFeB-HRE", p, 100.0, 100.0 - u, u, u / 100.0)
        for p in PERIODS
        for r, u in (("JPN", jpn_unserved), ("IND", 5.0))
    ]
    summary = {
        "status": "optimal",
        "solver": "highs",
        "foresight": "perfect",
        "horizon": {"start": "2025-01", "end": "2026-12", "step": "year"},
        "periods": PERIODS,
        "unserved_t": sum(s[6] for s in shortfalls),
        "scenario": "tiny-ban" if scenario else "tiny-base",
        "scenario_file": str(scenario_file) if scenario_file else "",
        "notes": [],
    }
    return Result(
        flows=flow_frame,
        trade=pd.DataFrame(
            trade, columns=["arc", "origin", "destination", "material", "period", "value"]
        ),
        prices=pd.DataFrame(prices, columns=["region", "material", "period", "price"]),
        shortfalls=pd.DataFrame(
            shortfalls,
            columns=[
                "region",
                "sector",
                "material",
                "period",
                "reference",
                "consumed",
                "unserved",
                "share",
            ],
        ),
        summary=summary,
    )


@pytest.fixture
def dirs(tmp_path: Path, tiny_dir: Path) -> tuple[Path, Path]:
    scen_file = tmp_path / "tiny-ban.yaml"
    scen_file.write_text(SCENARIO.format(data=tiny_dir), encoding="utf-8")
    scen = _result(scen_file, scenario=True).to_dir(tmp_path / "scen")
    base = _result(None, scenario=False).to_dir(tmp_path / "base")
    return scen, base


def _link(links: pd.DataFrame, source: str, target: str) -> float:
    rows = links[(links["source"] == source) & (links["target"] == target)]
    return float(rows["value"].sum())


def test_sankey_splits_each_pool_over_its_uses(dirs: tuple[Path, Path]) -> None:
    result = load_result(dirs[0])
    links = sankey_links(result, "IND", ["2026"])
    assert _link(links, "mining", "cracking") == pytest.approx(100.0)
    assert _link(links, "imports: concentrate", "cracking") == pytest.approx(20.0)
    assert _link(links, "cracking", "separation") == pytest.approx(108.0)
    assert _link(links, "separation", "reduction") == pytest.approx(18.0)
    assert _link(links, "separation", "exports: oxides") == pytest.approx(18.0)
    assert _link(links, "separation", "consumption") == pytest.approx(45.0)
    assert _link(links, "separation", "disposal") == pytest.approx(9.0)
    assert _link(links, "imports: oxides", "reduction") == pytest.approx(2.0)
    assert _link(links, "imports: oxides", "consumption") == pytest.approx(5.0)
    assert _link(links, "reduction", "alloying") == pytest.approx(16.0)
    # iron is not a rare earth and stock levels are not flows
    assert not links["form"].str.contains("bulk").any()
    assert links["value"].sum() == pytest.approx(100 + 20 + 108 + 100 + 16)
    # the whole horizon: 2025 is twice 2026
    both = sankey_links(result, "IND", PERIODS)
    assert _link(both, "mining", "cracking") == pytest.approx(300.0)


def test_period_choice() -> None:
    result = _result(None, scenario=True)
    assert select_periods(result, None) == (["2026"], "2026")
    assert select_periods(result, "all") == (PERIODS, "2025 to 2026")
    assert select_periods(result, "2025") == (["2025"], "2025")
    with pytest.raises(ReportError, match="--period 2031: not a period of the result"):
        select_periods(result, "2031")


def test_prices_outside_china_are_weighted_by_use() -> None:
    prices = price_series(_result(None, scenario=True), "scenario")
    nd = prices[prices["material"] == "oxide:Nd"].set_index(["period", "where"])["price"]
    assert nd[("2026", "China")] == pytest.approx(100.0)
    # JPN uses 30 t at 200, IND 20 t at 150, MYS nothing
    assert nd[("2026", "outside China")] == pytest.approx((30 * 200 + 20 * 150) / 50)
    # 2025: only India uses it
    assert nd[("2025", "outside China")] == pytest.approx(150.0)
    # no region uses magnets in the flows: a simple mean of JPN and IND
    mag = prices[(prices["material"] == "magnet:NdFeB-HRE") & (prices["where"] == "outside China")]
    assert mag["price"].tolist() == pytest.approx([75.0, 75.0])


def test_worst_hit_importers_and_rerouting(dirs: tuple[Path, Path]) -> None:
    scen, base = load_result(dirs[0]), load_result(dirs[1])
    assert default_region(scen) == "JPN"
    # against the baseline: the region whose shortfall rises most (India's did not change)
    assert default_region(scen, base) == "JPN"
    assert default_region(base, base) == "IND"  # nothing changes: the default region
    assert worst_importers(scen, base) == ["JPN"]  # India's shortfall did not change
    content = gather(dirs[0], against=dirs[1], region="IND")
    r = content.rerouting.set_index("origin")
    assert r.loc["CHN", "change"] == pytest.approx(2 * (5.0 - 20.0))
    assert r.loc["MYS", "change"] == pytest.approx(2 * 15.0)
    assert r.loc["MYS", "baseline"] == 0.0


def test_html_is_self_contained_with_every_section(
    dirs: tuple[Path, Path], tmp_path: Path, tiny_dir: Path
) -> None:
    out = write_report(dirs[0], tmp_path / "report.html", against=dirs[1], region="IND")
    page = out.read_text(encoding="utf-8")
    # plotly.js from the installed package, once; nothing fetched from the network
    assert page.count(get_plotlyjs()) == 1
    assert not re.search(r"<script[^>]*\bsrc=", page)
    assert page.count("cdn.plot.ly") == get_plotlyjs().count("cdn.plot.ly")
    assert not re.search(r'<link[^>]*href="https?:', page)
    sections = (
        "headline",
        "sankey",
        "prices",
        "shortfalls",
        "differences",
        "rerouting",
        "trade-map",
        "risk",
    )
    for section in (*sections, "events"):
        assert f'<section id="{section}">' in page
    # sankey, prices, shortfalls, element content, rerouting, the trade map, and against a
    # baseline the difference view
    assert page.count('class="plotly-graph-div"') == 7
    assert "Value chain of IND, 2026" in page
    assert "CHN bans exports of oxide:Nd from 2025-06-01. (source: test fixture)" in page
    assert "Concentration of world output by stage" in page
    # the sources: every id cited by every table of the scenario's data, under its table
    sources = page[page.index('<section id="sources">') :]
    usage = source_usage(load_reference(tiny_dir, invariants=False))
    for table, part in usage.groupby("table"):
        block = sources[sources.index(f"<h3>{table}</h3>") :]
        block = block[: block.index("</table>")]
        for source_id in set(part["source_id"]):
            assert f"<td>{source_id}</td>" in block
    assert "https://pubs.usgs.gov/periodicals/mcs2025/mcs2025-rare-earths.pdf" in sources
    assert "usgs-mcs2025-ree" not in sources  # the packaged set was not used


def test_missing_scenario_file_is_a_warning_not_a_failure(
    tmp_path: Path, dirs: tuple[Path, Path]
) -> None:
    result = _result(tmp_path / "gone.yaml", scenario=True).to_dir(tmp_path / "orphan")
    page = write_report(result, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "gone.yaml not found: its events are not shown" in page
    assert '<section id="sources">' in page  # the packaged data's sources


def test_pdf_has_pages_and_the_sections(dirs: tuple[Path, Path], tmp_path: Path) -> None:
    out = write_report(dirs[0], tmp_path / "report.pdf", "pdf", against=dirs[1])
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    assert data.rstrip().endswith(b"%%EOF")
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(out)
    assert len(reader.pages) >= 2
    text = " ".join(page.extract_text() for page in reader.pages)
    headings = (
        "Value chain of JPN",
        "Prices inside and outside China",
        "Trade re-routing",
        "Trade on a map",
        "Key risk measures",
        "Sources of the inputs",
    )
    for heading in headings:
        assert heading in text
    # the PDF's page draws its charts as SVG (WeasyPrint runs no JavaScript)
    static = render(gather(dirs[0]), static=True)
    assert static.count("<svg") >= 4
    assert "plotly" not in static.lower()
    # every page drawn, kept as an artifact to look at; none but the last is more than half
    # empty (a heading or chart pushed to the next page used to leave half a page blank)
    pages = _page_images(out, "report-pdf-page")
    assert len(pages) == len(reader.pages)
    for number, page in enumerate(pages[:-1], start=1):
        assert _ink_reaches(page) > 0.5, f"page {number} is more than half empty"


def _page_images(pdf: Path, prefix: str) -> list[np.ndarray]:
    """Each page of `pdf` drawn at 72 dpi (pdfium), saved as tests/artifacts/<prefix>-NN.png,
    and returned as a grey-level array."""
    ARTIFACTS.mkdir(exist_ok=True)
    images = []
    document = pdfium.PdfDocument(str(pdf))
    for number, page in enumerate(document, start=1):
        image = page.render(scale=1.0).to_pil()
        image.save(ARTIFACTS / f"{prefix}-{number:02d}.png")
        images.append(np.asarray(image.convert("L")))
    document.close()
    return images


def _ink_reaches(page: np.ndarray) -> float:
    """How far down the page (0 top, 1 bottom) its lowest inked row lies."""
    inked = np.flatnonzero((page < 200).any(axis=1))
    return float(inked[-1] + 1) / page.shape[0] if inked.size else 0.0


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.command()(report)
    return app


def test_cli_writes_html(dirs: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    res = CliRunner().invoke(_cli(), [str(dirs[0]), "--out", str(out), "--region", "IND"])
    assert res.exit_code == 0, res.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{missing}"], "no such result directory"),
        (["{scen}", "--against", "{missing}"], "no such baseline result directory"),
        (["{scen}", "--region", "XXX"], "--region XXX: not a region of the result"),
        (["{scen}", "--period", "1999"], "--period 1999: not a period of the result"),
        (["{scen}", "--format", "docx"], "--format docx: expected one of html, pdf"),
    ],
)
def test_cli_user_errors_exit_2(
    dirs: tuple[Path, Path], tmp_path: Path, args: list[str], message: str
) -> None:
    values = {"missing": str(tmp_path / "nowhere"), "scen": str(dirs[0])}
    argv = [a.format(**values) for a in args] + ["--out", str(tmp_path / "r.html")]
    res = CliRunner().invoke(_cli(), argv)
    assert res.exit_code == 2
    assert message in res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "r.html").exists()


def test_directory_without_summary_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ReportError, match=r"no summary\.json"):
        write_report(tmp_path / "empty", tmp_path / "r.html")


@pytest.mark.slow
def test_report_of_a_real_run(tmp_path: Path) -> None:
    """The shipped scenario, one year by quarter: a real Result has what the report reads."""
    from rareflow import pipeline
    from rareflow.scenario.shipped import SCENARIOS_DIR as scenarios

    short = tmp_path / "short.yaml"
    short.write_text(
        f"name: short\nbase: {scenarios / 'india-pauses-toyotsu.yaml'}\n"
        "horizon: {start: 2025-01, end: 2025-12, step: quarter}\n",
        encoding="utf-8",
    )
    pipeline.write_outputs(pipeline.run(short), tmp_path / "out", short)
    page = write_report(tmp_path / "out", tmp_path / "r.html", region="IND").read_text("utf-8")
    assert "Value chain of IND, 2025" in page
    assert "Agreement irel-toyotsu: 100% of the contracted volume suspended" in page
    assert "<td>usgs-mcs2025-ree</td>" in page


def test_against_compares_common_periods_only(dirs: tuple[Path, Path], tmp_path: Path) -> None:
    """A scenario over 2026 only against a 2025-2026 baseline: totals over 2026, said so."""
    from rareflow.report.content import restrict

    short = restrict(load_result(dirs[0]), ["2026"]).to_dir(tmp_path / "short")
    content = gather(short, against=dirs[1], region="IND")
    head = content.headline.set_index("region")
    # 2026 alone: Japan 30 t unserved against 0, India 5 t against 5 (not 10 for two years)
    assert head.loc["JPN", "change"] == pytest.approx(30.0)
    assert head.loc["IND", "unserved_base"] == pytest.approx(5.0)
    assert head.loc["IND", "change"] == pytest.approx(0.0)
    assert any("both runs cover (2026..2026)" in w for w in content.warnings)
    assert set(content.prices["period"]) == {"2026"}
    # the same horizons: no note
    same = gather(dirs[0], against=dirs[1], region="IND")
    assert not any("both runs cover" in w for w in same.warnings)


def test_against_without_common_periods_is_refused(dirs: tuple[Path, Path], tmp_path: Path) -> None:
    from rareflow.report.content import restrict

    only_2025 = restrict(load_result(dirs[1]), ["2025"]).to_dir(tmp_path / "b2025")
    only_2026 = restrict(load_result(dirs[0]), ["2026"]).to_dir(tmp_path / "s2026")
    with pytest.raises(ReportError, match="the runs share no period"):
        gather(only_2026, against=only_2025)


def test_a_form_or_sector_keeps_its_colour_in_every_chart() -> None:
    import pandas as pd

    from rareflow.report.charts import FORM_ORDER, fixed_colour, sankey_figure

    def link_colours(forms: list[str]) -> dict[str, str]:
        links = pd.DataFrame(
            {
                "source": [f"s{i}" for i in range(len(forms))],
                "target": [f"t{i}" for i in range(len(forms))],
                "value": [1.0] * len(forms),
                "form": forms,
            }
        )
        colours = sankey_figure(links, "x").data[0].link.color
        return dict(zip(forms, colours, strict=True))

    # "oxide" first in one chart, third in another: the same colour
    a = link_colours(["oxide", "metal"])
    b = link_colours(["magnet", "concentrate", "oxide"])
    assert a["oxide"] == b["oxide"] == fixed_colour("oxide", FORM_ORDER) + "66"
    assert fixed_colour("unknown-form", FORM_ORDER) == fixed_colour("unknown-form", FORM_ORDER)


def test_a_price_axis_has_no_negative_ticks() -> None:
    import re

    from rareflow.report.charts import line_svg

    svg = line_svg([("China", ["2025", "2026"], [1.0, 50.0], "#d62728", False)], "oxide:Nd")
    ticks = [float(t.replace(",", "")) for t in re.findall(r">(-?[\d,.]+)</text>", svg)]
    assert ticks and min(ticks) >= 0.0


def test_small_multiples_share_one_legend() -> None:
    from rareflow.report.charts import price_svgs

    prices = pd.DataFrame(
        {
            "material": ["oxide:Nd", "oxide:Nd", "oxide:Dy", "oxide:Dy"],
            "period": ["2025"] * 4,
            "run": ["scenario"] * 4,
            "where": ["China", "outside China"] * 2,
            "price": [50.0, 55.0, 300.0, 320.0],
        }
    )
    charts = price_svgs(prices, ["oxide:Nd", "oxide:Dy"])
    assert len(charts) == 2
    # the legend entries are under the first chart only
    assert "China (scenario)</text>" in charts[0]
    assert "China (scenario)</text>" not in charts[1]


def test_world_map_places_regions_and_draws_offline(
    dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    from rareflow.report.world_map import (
        TOPOJSON_NAME,
        geo_assets_script,
        region_points,
        trade_map_figure,
        trade_map_flows,
        trade_map_svg,
    )

    points = region_points()
    # every modelled country and the EU27 group has a place; the rest of the world has none
    assert {"CHN", "IND", "JPN", "USA", "AUS", "MYS", "DEU", "EU27", "RUS"} <= set(points)
    assert "ROW" not in points
    lon, lat = points["CHN"]
    assert 95 < lon < 115 and 28 < lat < 42
    lon, lat = points["RUS"]  # cut at the antimeridian: still in Siberia
    assert 60 < lon < 130 and 50 < lat < 70
    lon, lat = points["EU27"]
    assert -10 < lon < 30 and 40 < lat < 60

    trade = pd.DataFrame(
        {
            "arc": ["a", "b", "c", "d", "e"],
            "origin": ["CHN", "CHN", "AUS", "ROW", "JPN"],
            "destination": ["JPN", "JPN", "MYS", "CHN", "JPN"],
            "material": ["oxide:Nd", "oxide:Pr", "mixed:AUS", "oxide:La", "oxide:Nd"],
            "period": ["2025", "2025", "2025", "2025", "2025"],
            "value": [100.0, 30.0, 500.0, 40.0, 9.0],
        }
    )
    flows, unplaced = trade_map_flows(trade, ["2025"])
    # summed by form, ROW left out (and counted), no flow from a region to itself
    assert flows.to_dict("records") == [
        {"origin": "AUS", "destination": "MYS", "form": "mixed", "tonnes": 500.0},
        {"origin": "CHN", "destination": "JPN", "form": "oxide", "tonnes": 130.0},
    ]
    assert unplaced == 40.0
    assert trade_map_flows(trade, ["2030"])[0].empty

    fig = trade_map_figure(flows, "map")
    assert [t.type for t in fig.data] == ["scattergeo"] * 3
    assert fig.layout.geo.resolution == 110
    svg = trade_map_svg(flows, "map")
    assert svg.count("<path") >= 3 and ">AUS</text>" in svg and ">mixed</text>" in svg

    # plotly.js gets the base map inline, under the name it would fetch
    assert f'"{TOPOJSON_NAME}":{{"type":"Topology"' in geo_assets_script()
    page = write_report(dirs[0], tmp_path / "map.html").read_text(encoding="utf-8")
    assert '<section id="trade-map">' in page and "PlotlyGeoAssets" in page


def test_element_content_chart_beside_the_table() -> None:
    from rareflow.report.charts import element_figure, element_svg

    elements = pd.DataFrame(
        {
            "region": ["JPN", "JPN", "IND", "all regions"],
            "element": ["Nd", "Dy", "Nd", "Nd"],
            "consumed": [100.0, 5.0, 40.0, 140.0],
            "unserved": [10.0, 1.0, 4.0, 14.0],
        }
    )
    fig = element_figure(elements)
    # one bar trace per element, its colour fixed; the total row stays in the table
    assert [t.name for t in fig.data] == ["Nd", "Dy"]
    assert list(fig.data[0].x) == ["JPN", "IND"]
    svg = element_svg(elements)
    assert ">JPN</text>" in svg and "all regions" not in svg
    assert "no unserved demand" in element_svg(elements.assign(unserved=0.0))
