"""`rareflow run --out`: written beside, swapped in whole; foreign directories refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from rareflow.atomic_dir import TargetError, atomic_dir
from rareflow.cli import app as cli_app

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def test_swap_replaces_a_previous_result_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with atomic_dir(out) as tmp:
        (tmp / "summary.json").write_text("{}")
        (tmp / "only-in-first.txt").write_text("a")
        assert not out.exists()  # nothing visible until the writer is done
    with atomic_dir(out) as tmp:
        (tmp / "summary.json").write_text('{"second": true}')
    assert sorted(p.name for p in out.iterdir()) == ["summary.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary left behind


def test_failed_writer_leaves_the_old_result(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text("old")
    with pytest.raises(RuntimeError), atomic_dir(out) as tmp:
        (tmp / "summary.json").write_text("new")
        raise RuntimeError("solver died")
    assert (out / "summary.json").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_foreign_directory_or_file_is_refused(tmp_path: Path) -> None:
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "chapter1.tex").write_text("precious")
    with pytest.raises(TargetError, match="not a rareflow result directory"), atomic_dir(mine):
        pass
    assert (mine / "chapter1.tex").read_text() == "precious"
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(TargetError, match="not a directory"), atomic_dir(a_file):
        pass


def _short(tmp_path: Path, name: str, excel: bool) -> list[str]:
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        f"name: {name}\nbase: {SCENARIOS / 'baseline.yaml'}\n"
        "horizon: {start: 2025-01, end: 2025-12, step: year}\n",
        encoding="utf-8",
    )
    return ["run", str(path), "--out", str(tmp_path / "out"), *(["--excel"] if excel else [])]


@pytest.mark.slow
def test_two_runs_into_one_out_do_not_mix(tmp_path: Path) -> None:
    first = CliRunner().invoke(cli_app, _short(tmp_path, "first", excel=True))
    assert first.exit_code == 0, first.output
    assert (tmp_path / "out" / "result.xlsx").exists()
    second = CliRunner().invoke(cli_app, _short(tmp_path, "second", excel=False))
    assert second.exit_code == 0, second.output
    out = tmp_path / "out"
    assert not (out / "result.xlsx").exists()  # the first run's file went with it
    assert "name: second" in (out / "scenario.yaml").read_text()


def test_run_into_a_foreign_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    res = CliRunner().invoke(cli_app, _short(tmp_path, "first", excel=False))
    assert res.exit_code == 2
    assert "not a rareflow result directory" in " ".join(res.output.split())
    assert "Traceback" not in res.output
    assert (tmp_path / "out" / "notes.txt").read_text() == "mine"
