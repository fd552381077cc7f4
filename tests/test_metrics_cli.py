"""`rareflow risk` and `rareflow risk spof` end to end on the tiny reference set."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from rareflow.cli.risk import risk_app


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def _scenario(tiny_dir: Path) -> Path:
    """The tiny set made into a working chain: a cracking plant turns IREL's concentrate into
    mixed chloride, the separation plant gets capacity, mining is cheap enough to pay, and
    Japan buys Nd oxide from IREL under the agreement."""
    ag = tiny_dir / "agreements.csv"
    ag.write_text(
        ag.read_text().replace(
            "irel-oscom,toyotsu-vizag,JPN,mixed:monazite", "irel-aluva,toyotsu-vizag,JPN,oxide:Nd"
        )
    )
    t = "test-assumption,2026,fixture"
    _append(tiny_dir / "demand.csv", f"2024,JPN,ev_traction,oxide:Nd,50,t,,{t}\n")
    _append(
        tiny_dir / "processes.csv",
        f"cracking:monazite,cracking,mixed:monazite,1000,USD/t,Cracking,,{t}\n",
    )
    _append(
        tiny_dir / "process_coefficients.csv",
        f"cracking:monazite,mixed:monazite,1,{t}\ncracking:monazite,concentrate:monazite,-1,{t}\n",
    )
    _append(
        tiny_dir / "facilities.csv",
        f"irel-crack,IREL cracking,IND,IREL,cracking:monazite,operating,,,{t}\n",
    )
    _append(
        tiny_dir / "facility_capacity.csv",
        f"irel-aluva,2024,2000,t/yr,{t}\nirel-crack,2024,2900,t/yr,{t}\n",
    )
    costs = tiny_dir / "costs.csv"
    costs.write_text(costs.read_text().replace("mining,default,20000", "mining,default,1000"))
    path = tiny_dir.parent / "base.yaml"
    path.write_text(
        f"name: base\nhorizon: {{start: 2025-01, end: 2025-02, step: month}}\ndata: {tiny_dir}\n"
    )
    return path


def test_risk_prints_every_measure_with_deltas_and_writes_the_matrix(
    tiny_dir: Path, tmp_path: Path
) -> None:
    base = _scenario(tiny_dir)
    chart = tmp_path / "matrix.svg"
    args = ["--baseline", str(base), "--scenario", str(base), "--region", "IND"]
    args += ["--chart", str(chart), "--out", str(tmp_path / "tables")]
    result = CliRunner().invoke(risk_app, args)
    assert result.exit_code == 0, result.output
    for title in ("unserved demand", "import reliance", "days of cover", "HHI", "supply risk"):
        assert title in result.output
    assert "import_reliance_delta" in result.output
    svg = chart.read_text()
    assert svg.startswith("<svg") and "HREE" in svg and "EU 2023 (published)" in svg
    written = {p.name for p in (tmp_path / "tables").iterdir()}
    assert {"baseline_reliance_stage.csv", "base_cover.csv"} <= written


def test_risk_user_errors_exit_2(tiny_dir: Path) -> None:
    base = _scenario(tiny_dir)
    result = CliRunner().invoke(risk_app, ["--baseline", str(base), "--region", "XXX"])
    assert result.exit_code == 2
    assert "unknown region 'XXX'" in result.output
    result = CliRunner().invoke(risk_app, ["--baseline", "nope.yaml", "--region", "IND"])
    assert result.exit_code == 2
    assert "no such scenario file" in result.output
    result = CliRunner().invoke(risk_app, ["--baseline", str(base)])
    assert result.exit_code == 2
    assert "--region is required" in result.output


def test_spof_command_ranks(tiny_dir: Path) -> None:
    base = _scenario(tiny_dir)
    args = ["spof", "--baseline", str(base), "--region", "JPN", "--workers", "1"]
    args += ["--kinds", "facility", "--top", "20"]
    result = CliRunner().invoke(risk_app, args)
    assert result.exit_code == 0, result.output
    first = [line for line in result.output.splitlines() if line.startswith("│    1 │")]
    # IREL's cracking and separation plants are Japan's only source: each cuts it off
    assert any("irel-aluva" in line for line in first)
    assert any("irel-crack" in line for line in first)
    assert "country_stage" not in result.output
