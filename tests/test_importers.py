"""Importers on small files in the published layouts (tests/data/importers)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from rareflow.cli.importers import import_app
from rareflow.importers.baci import import_baci, read_country_codes
from rareflow.importers.common import ImportDataError, region_of, write_tables
from rareflow.importers.comtrade import import_comtrade
from rareflow.importers.hs_mapping import HS_MAPPINGS, selected_mappings
from rareflow.importers.merge import combine, merge_trade
from rareflow.importers.synth import make_country_codes, write_baci
from rareflow.importers.usgs import import_usgs

DATA = Path(__file__).parent / "data" / "importers"
BACI = DATA / "BACI_HS17_Y2022_V202401_sample.csv"
CODES = DATA / "country_codes_V202401.csv"
COMTRADE = DATA / "TradeData_rare_earths_2023.csv"
MCS2024 = DATA / "mcs2024-raree_world.csv"
MCS2025 = DATA / "MCS2025_World_Data_sample.csv"


def _flows(trade: pd.DataFrame) -> dict[tuple[str, str, str], float]:
    return {(r.exporter, r.importer, r.material): r.quantity for r in trade.itertuples(index=False)}


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(import_app, name="import")
    return app


# --- mapping and regions ----------------------------------------------------------------------


def test_hs_mapping_codes_and_opt_in() -> None:
    codes = {m.code: m.material for m in selected_mappings()}
    assert codes == {
        "280530": "metal",
        "284610": "oxide:Ce",
        "284690": "oxide",
        "850511": "magnet",
        "261220": "concentrate:monazite",
    }
    assert "253090" in {m.code for m in selected_mappings(include_opt_in=True)}
    assert all(m.covers and m.does_not_cover for m in HS_MAPPINGS)


@pytest.mark.parametrize(
    ("iso3", "region"),
    [("CHN", "CHN"), ("deu", "DEU"), ("EST", "EST"), ("ITA", "EU27"), ("NLD", "EU27"),
     ("CHE", "ROW"), ("S19", "ROW")],
)  # fmt: skip
def test_region_of(iso3: str, region: str) -> None:
    assert region_of(iso3) == region


# --- BACI -------------------------------------------------------------------------------------


def test_baci_sample_to_region_pairs() -> None:
    result = import_baci(BACI, CODES)
    trade = result.tables["trade"]
    assert _flows(trade) == {
        ("CHN", "JPN", "oxide"): 1500.25,
        ("CHN", "USA", "metal"): 200.0,
        ("CHN", "USA", "magnet"): 100.0,  # v 5000 / CHN's median unit value 50 (q was NA)
        ("CHN", "DEU", "magnet"): 1000.0,
        ("CHN", "JPN", "magnet"): 500.0,
        ("CHN", "KOR", "magnet"): 300.0,
        ("EU27", "FRA", "magnet"): 10.0,
        ("ROW", "USA", "magnet"): 14.0,  # 'Other Asia, nes' (S19) is ROW
        ("AUS", "IND", "concentrate:monazite"): 50.0,
        ("CHN", "MYS", "oxide:Ce"): 120.0,
        ("EST", "JPN", "metal"): 4.0,  # q empty: v 80 / all exporters' median 20
    }
    estimated = trade[trade["estimate_method"] != ""]
    assert set(zip(estimated["exporter"], estimated["importer"], strict=True)) == {
        ("CHN", "USA"),
        ("EST", "JPN"),
    }
    assert estimated["material"].tolist() == ["magnet", "metal"]
    assert "same exporter" in estimated["estimate_method"].iloc[0]
    assert (trade["unit"] == "t").all() and (trade["year"] == 2022).all()
    assert set(trade["basis"]) == {"product", "metal"}
    assert (trade["vintage"] == "V202401").all()
    sources = result.tables["sources"]
    assert sources["source_id"].tolist() == ["baci-hs17-y2022-v202401-sample"]
    assert sources["tag"].tolist() == ["P"] and sources["year"].tolist() == [2024]
    assert any("within one region" in line for line in result.summary)


def test_baci_opt_in_253090() -> None:
    trade = import_baci(BACI, CODES, include_opt_in=True).tables["trade"]
    assert _flows(trade)[("CHN", "JPN", "concentrate")] == 9999.0


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        ("t,i,j,k,v\n2022,156,392,284690,1\n", 1, "q", "wrong columns"),
        ("t;i;j;k;v;q\n2022;156;392;284690;1;1\n", 1, None, "wrong delimiter"),
        ("t,i,j,k,v,q\n2022,156,392,284690,1,1\n2022,156,392,2846", 3, None, "truncated"),
        ("t,i,j,k,v,q\n2022,156,392,284690,1,1\n2022,156,392,284690,1\n", 3, None, "fields"),
        ("t,i,j,k,v,q\n2022,156,392,284690,1,1\n2022,156,x,284690,1,1\n", 3, "j", "number"),
        ("t,i,j,k,v,q\n2022,156,392,284690,abc,1\n", 2, "v", "number"),
        ("t,i,j,k,v,q\n2022,156,392,284690,1,1\n2022,156,392,284690,1,lots\n", 3, "q", "q"),
        ("t,i,j,k,v,q\n2022,156,392,284690,1,1\n2022,156,999,284690,1,1\n", 3, "j", "999"),
        ("t,i,j,k,v,q\n2022,156,392,284690,-1,1\n", 2, "v", "non-negative"),
    ],
)
def test_baci_bad_files(
    tmp_path: Path, text: str, line: int, column: str | None, fragment: str
) -> None:
    path = _write(tmp_path, "BACI_HS17_Y2022_V202401.csv", text)
    with pytest.raises(ImportDataError) as info:
        import_baci(path, CODES)
    err = info.value
    assert err.file == str(path)
    assert err.line == line
    assert err.column == column
    assert fragment in str(err)
    assert "\n" not in str(err)


def test_baci_unknown_code_names_codes_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "b.csv", "t,i,j,k,v,q\n2022,777,392,010121,1,1\n")
    with pytest.raises(ImportDataError, match=r"b\.csv, line 2, column i: .*777.*country_codes"):
        import_baci(path, CODES)


def test_country_codes_refused(tmp_path: Path) -> None:
    bad = _write(
        tmp_path,
        "c.csv",
        "country_code,country_name,country_iso2,country_iso3\n1,A,AA,AAA\n1,B,BB,BBB\n",
    )
    with pytest.raises(ImportDataError, match=r"c\.csv, line 3, column country_code: .*repeated"):
        read_country_codes(bad)
    wrong = _write(tmp_path, "d.csv", "code,name\n1,A\n")
    with pytest.raises(ImportDataError, match="country_iso3"):
        read_country_codes(wrong)


def test_baci_missing_q_without_any_priced_flow_is_dropped_and_reported(tmp_path: Path) -> None:
    path = _write(tmp_path, "b.csv", "t,i,j,k,v,q\n2022,156,392,850511,10,NA\n")
    result = import_baci(path, CODES)
    assert result.tables["trade"].empty
    assert any("dropped" in line for line in result.summary)


def test_synthetic_file_imports(tmp_path: Path) -> None:
    codes = make_country_codes(seed=3)
    assert len(codes) == 200 and codes["country_code"].is_unique
    codes_path = tmp_path / "country_codes_V209901.csv"
    codes.to_csv(codes_path, index=False)
    data = write_baci(tmp_path / "BACI_HS17_Y2022_V209901.csv", 20_000, seed=3, codes=codes)
    again = write_baci(tmp_path / "again.csv", 20_000, seed=3, codes=codes)
    assert data.read_bytes() == again.read_bytes()  # deterministic from the seed
    frame = pd.read_csv(data, dtype={"k": str, "q": str})
    assert len(frame) == 20_000 and frame["k"].nunique() > 1000
    assert frame["q"].str.strip().eq("NA").mean() == pytest.approx(0.02, abs=0.01)
    result = import_baci(data, codes_path)
    assert result.summary[0].startswith(f"{data.name}: 20000 rows read")


# --- Comtrade ---------------------------------------------------------------------------------


def test_comtrade_sample() -> None:
    result = import_comtrade(COMTRADE)
    trade = result.tables["trade"]
    flows = _flows(trade)
    assert flows == {
        ("CHN", "JPN", "oxide"): 1500.0,  # Japan's import report, not China's export (1600)
        ("CHN", "USA", "metal"): 200.0,
        ("CHN", "USA", "magnet"): pytest.approx(90.909),  # 5e6 USD / median 55,000 USD/t
        ("CHN", "DEU", "magnet"): 1000.0,
        ("CHN", "JPN", "magnet"): 500.0,
        ("CHN", "KOR", "magnet"): 300.0,  # mirror: only China reported it
        ("CHN", "FRA", "oxide:Ce"): 100.0,
        ("AUS", "IND", "concentrate:monazite"): 50.0,  # qty in kg, no netWgt
    }
    keys = zip(trade.exporter, trade.importer, trade.material, strict=True)
    methods = dict(zip(keys, trade.estimate_method, strict=True))
    assert "median unit value" in methods[("CHN", "USA", "magnet")]
    assert "isNetWgtEstimated" in methods[("CHN", "JPN", "magnet")]
    assert methods[("CHN", "DEU", "magnet")] == ""
    assert result.tables["sources"]["year"].tolist() == [2023]


def test_comtrade_bad_files(tmp_path: Path) -> None:
    lines = COMTRADE.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].split(",")
    col = header.index("netWgt")
    cells = lines[3].split(",")
    # Rows carry a quoted description with commas: edit from the end of the line instead.
    cells[col - len(header)] = "heavy"
    bad_value = _write(
        tmp_path, "t1.csv", lines[0] + lines[1] + ",".join(cells) + "".join(lines[4:])
    )
    with pytest.raises(ImportDataError) as info:
        import_comtrade(bad_value)
    assert (info.value.line, info.value.column) == (3, "netWgt")
    missing = _write(tmp_path, "t2.csv", lines[0].replace("partnerISO", "partnerIso") + lines[1])
    with pytest.raises(ImportDataError, match=r"line 1, column partnerISO"):
        import_comtrade(missing)
    no_iso = lines[1].replace(",392,JPN,Japan,", ",392,,Japan,", 1)
    with pytest.raises(ImportDataError, match=r"line 2, column reporterISO"):
        import_comtrade(_write(tmp_path, "t3.csv", lines[0] + no_iso))
    monthly = lines[2].replace("C,A,", "C,M,", 1)
    with pytest.raises(ImportDataError, match=r"line 3, column freqCode"):
        import_comtrade(_write(tmp_path, "t4.csv", lines[0] + lines[1] + monthly + lines[3]))


# --- USGS -------------------------------------------------------------------------------------


def test_usgs_mcs2025_layout() -> None:
    result = import_usgs(MCS2025)
    prod = result.tables["mine_production"].set_index(["region", "year"])
    assert prod.loc[("IND", 2024), "quantity"] == 2900
    assert prod.loc[("CHN", 2024), "quantity"] == 270000
    assert bool(prod.loc[("CHN", 2024), "usgs_estimate"]) is True
    assert bool(prod.loc[("CHN", 2023), "usgs_estimate"]) is False
    assert prod.loc[("ROW", 2023), "quantity"] == 1440  # 'Other countries'
    assert (result.tables["mine_production"]["edition"] == "MCS2025").all()
    reserves = result.tables["reserves"].set_index("region")["quantity"]
    assert reserves["IND"] == 6_900_000 and "MMR" not in reserves.index  # NA: no row
    totals = result.tables["world_totals"].set_index(["measure", "year"])
    assert totals.loc[("reserves", 2024), "qualifier"] == ">"
    assert totals.loc[("production", 2023), "rounding"] == 1000
    assert (totals["estimate_method"] != "").all()  # the rounding step is inferred: marked
    assert not any(line.startswith("warning") for line in result.summary)
    assert "Cobalt" not in result.tables["mine_production"].to_string()


def test_usgs_mcs2024_layout_with_trailing_empty_columns() -> None:
    result = import_usgs(MCS2024)
    prod = result.tables["mine_production"]
    assert set(prod["edition"]) == {"MCS2024"} and prod["usgs_estimate"].all()
    reserves = result.tables["reserves"].set_index("region")["quantity"]
    assert reserves["VNM"] == 22_000_000 and reserves["IND"] == 6_900_000
    totals = result.tables["world_totals"].set_index(["measure", "year"])
    assert totals.loc[("reserves", 2023), "quantity"] == 110_000_000
    # USGS's rounded reserves total is off the country sum by more than its rounding: reported.
    assert any("world reserves 2023" in line for line in result.summary)


def test_usgs_bad_value(tmp_path: Path) -> None:
    text = MCS2025.read_text(encoding="utf-8").replace(",2900,2900,", ",2900,2.9k,", 1)
    path = _write(tmp_path, "MCS2025_bad.csv", text)
    with pytest.raises(ImportDataError, match=r"line \d+, column PROD_EST_ 2024: .*'2.9k'"):
        import_usgs(path)


# --- merging and output -----------------------------------------------------------------------


def test_merge_trade_replaces_covered_years_and_forms() -> None:
    shipped = pd.DataFrame(
        {
            "year": [2022, 2022, 2022, 2021],
            "exporter": ["CHN", "CHN", "CHN", "CHN"],
            "importer": ["JPN", "JPN", "USA", "JPN"],
            "material": ["magnet:NdFeB-HRE", "magnet:NdFeB-LRE", "mixed:monazite", "magnet:SmCo"],
            "quantity": [300.0, 100.0, 50.0, 7.0],
            "unit": "t",
            "basis": "product",
            "source": "s",
            "vintage": "2024",
            "estimate_method": "share-based",
        }
    )
    imported = import_baci(BACI, CODES).tables["trade"]
    merged, diff = merge_trade(shipped, imported)
    # 2022 magnets replaced; 2022 mixed (not imported) and 2021 kept.
    kept = merged[merged["source"] == "s"]
    assert sorted(kept["material"]) == ["magnet:SmCo", "mixed:monazite"]
    assert len(merged) == len(imported) + 2
    row = diff[(diff.exporter == "CHN") & (diff.importer == "JPN") & (diff.material == "magnet")]
    assert row[["shipped_t", "imported_t", "difference_t"]].iloc[0].tolist() == [400, 500, 100]
    assert list(diff.columns[:7]) == [
        "exporter", "importer", "material", "year", "shipped_t", "imported_t", "difference_t",
    ]  # fmt: skip


def test_combine_keeps_other_editions_and_sources(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tables(out, import_usgs(MCS2024).tables)
    tables, _ = combine(out, import_usgs(MCS2025).tables, use_packaged=False)
    write_tables(out, tables)
    prod = pd.read_csv(out / "mine_production.csv")
    assert set(prod["edition"]) == {"MCS2024", "MCS2025"}
    sources = pd.read_csv(out / "sources.csv")
    assert set(sources["source_id"]) == {"mcs2024-raree-world", "mcs2025-world-data-sample"}
    assert set(pd.read_csv(out / "mine_production.csv", dtype=str)["usgs_estimate"]) <= {
        "true",
        "false",
    }


def test_cli_import_then_failed_import_leaves_output(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "imported"
    ok = runner.invoke(
        _cli(),
        ["import", "baci", str(BACI), "--countries", str(CODES), "--out", str(out),
         "--imported-only", "--no-progress"],
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(before) == {"trade.csv", "sources.csv"}
    bad = tmp_path / "BACI_bad.csv"
    shutil.copy(BACI, bad)
    with bad.open("a", encoding="utf-8") as fh:
        fh.write("2022,156,392,284690,12,not-a-number\n")
    failed = runner.invoke(
        _cli(),
        ["import", "baci", str(bad), "--countries", str(CODES), "--out", str(out),
         "--imported-only", "--no-progress"],
    )  # fmt: skip
    assert failed.exit_code == 2
    assert "Traceback" not in failed.output
    assert f"{bad}, line 18, column q" in failed.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_cli_usgs_and_comtrade(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "o"
    res = runner.invoke(
        _cli(), ["import", "usgs", str(MCS2025), "--out", str(out), "--imported-only"]
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        _cli(),
        ["import", "comtrade", str(COMTRADE), "--out", str(out), "--imported-only",
         "--compare-reference", "--no-progress"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    names = {p.name for p in out.iterdir()}
    assert names == {"mine_production.csv", "reserves.csv", "world_totals.csv", "trade.csv",
                     "sources.csv"}  # fmt: skip
    assert len(pd.read_csv(out / "sources.csv")) == 2


def test_outputs_pass_the_loader_cell_checks(tmp_path: Path) -> None:
    loader = pytest.importorskip("rareflow.data.loader")
    from rareflow.data.schema import SPECS_BY_NAME

    out = tmp_path / "o"
    write_tables(out, import_usgs(MCS2025).tables)
    tables, _ = combine(out, import_baci(BACI, CODES).tables, use_packaged=False)
    write_tables(out, tables)
    packaged = loader.packaged_dir()
    for path in sorted(out.iterdir()):
        frame, _ = loader.read_table(SPECS_BY_NAME[path.stem], path)
        assert len(frame) > 0
    trade, _ = loader.read_table(SPECS_BY_NAME["trade"], out / "trade.csv")
    sources = set(pd.read_csv(out / "sources.csv")["source_id"])
    assert set(trade["source"]) <= sources
    if (packaged / "regions.csv").is_file() and (packaged / "materials.csv").is_file():
        regions = set(pd.read_csv(packaged / "regions.csv")["code"])
        materials = set(pd.read_csv(packaged / "materials.csv")["material"])
        forms = set(SPECS_BY_NAME["trade"].column("material").extra_values)
        assert set(trade["exporter"]) | set(trade["importer"]) <= regions
        assert set(trade["material"]) <= materials | forms


def test_bad_memory_limit_and_progress_bar(tmp_path: Path) -> None:
    with pytest.raises(ImportDataError, match="--memory-limit: expected a size"):
        import_baci(BACI, CODES, memory_limit="lots", scratch=tmp_path / "o")
    result = import_baci(BACI, CODES, show_progress=True, scratch=tmp_path / "o")
    assert len(result.tables["trade"]) == 11
