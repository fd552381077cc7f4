"""The results folder keeps the scenario as it was run, self-contained: bases merged, each
file's events under its name, the horizon as run, no `base:` and no directory paths."""

from __future__ import annotations

from pathlib import Path

from rareflow import pipeline
from rareflow.report.inputs import scenario_events
from rareflow.scenario import load_scenario


def test_a_result_folder_needs_no_base_file(tmp_path: Path) -> None:
    base = tmp_path / "my-base.yaml"
    base.write_text(
        "name: my-base\nbase: baseline\n"
        "events:\n"
        "  - {type: export_ban, exporter: CHN, materials: [oxide:Tb], start: 2025-03-01}\n",
        encoding="utf-8",
    )
    child = tmp_path / "child.yaml"
    child.write_text(
        "name: child\nbase: my-base.yaml\n"
        "events:\n  - {type: export_ban, exporter: CHN, materials: [oxide:Dy], start: 2025-04-01,"
        " announced: 2025-02-01}\n",
        encoding="utf-8",
    )
    options = pipeline.RunOptions(until="2025-06", step="quarter")
    result = pipeline.run(child, options)
    out = pipeline.write_outputs(result, tmp_path / "out", child, options)
    base.unlink()
    child.unlink()
    text = (out / "scenario.yaml").read_text(encoding="utf-8")
    assert "base:" not in text and str(tmp_path) not in text
    assert "# from my-base.yaml" in text and "# from child.yaml" in text
    copy = load_scenario(out / "scenario.yaml")
    assert [ev.type for ev in copy.events] == ["export_ban", "export_ban"]
    assert copy.horizon.end.strftime("%Y-%m") == "2025-06"  # the horizon as run
    _, events, _, warning = scenario_events(out, result.summary)
    assert warning == "" and len(events) == 2
