"""What a report says of its run's inputs: the scenario's events in plain words (from the
copy saved with the result) and the sources every reference table it read cites."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd


def _scenario_path(result_dir: Path, summary: dict[str, Any]) -> Path | None:
    """The scenario file of a run: a copy inside the result directory, else the recorded path."""
    for name in ("scenario.yaml", "scenario.yml"):
        if (result_dir / name).is_file():
            return result_dir / name
    recorded = summary.get("scenario_file")
    if not recorded:
        return None
    path = Path(str(recorded))
    if path.is_file():
        return path
    if not path.is_absolute() and (result_dir / path).is_file():
        return result_dir / path
    return None


def scenario_events(
    result_dir: Path, summary: dict[str, Any]
) -> tuple[list[str], list[str], Any, str]:
    """The scenario's header lines (name, horizon, files), its events in plain words, the
    Scenario (or None) and a warning ('' when all went well)."""
    from rareflow.scenario import ScenarioError, load_scenario, load_vocabulary
    from rareflow.scenario.describe import describe_scenario

    path = _scenario_path(result_dir, summary)
    if path is None:
        recorded = summary.get("scenario_file", "(none recorded)")
        return [], [], None, f"scenario file {recorded} not found: its events are not shown"
    try:
        scenario = load_scenario(path)
    except ScenarioError as exc:
        return [], [], None, f"the scenario file cannot be read: {exc}"
    try:
        vocab = load_vocabulary(scenario.data)
    except Exception:
        vocab = None
    lines = describe_scenario(scenario, vocab)
    # describe_scenario ends with one numbered line per event: keep the header apart, drop the
    # numbers (the page numbers them) and add the source each event cites
    header = lines[: len(lines) - len(scenario.events)] if scenario.events else lines
    events: list[str] = []
    for i, ev in enumerate(scenario.events):
        sentence = lines[len(header) + i].split(". ", 1)[-1]
        source = getattr(ev, "source", None)
        events.append(f"{sentence} (source: {source})" if source else sentence)
    return header, events, scenario, ""


def input_sources(scenario: Any) -> tuple[dict[str, pd.DataFrame], str, str]:
    """The sources cited by every reference table the run read, grouped by table.

    Returns {table: frame of source_id, rows, title, publisher, year, url, tag}, where the data
    came from, and a warning ('' when all went well).
    """
    from rareflow.data.loader import ReferenceDataError, load_reference
    from rareflow.data.summaries import source_usage

    data = getattr(scenario, "data", None) if scenario is not None else None
    warning = ""
    try:
        ref = load_reference(Path(data) if data else None, invariants=False)
        origin = (
            f"reference data: packaged tables overridden by {data}"
            if data
            else ("reference data: the tables packaged with rareflow")
        )
    except (ReferenceDataError, OSError) as exc:
        warning = f"the scenario's data directory {data} cannot be read ({exc}); packaged shown"
        ref = load_reference(invariants=False)
        origin = "reference data: the tables packaged with rareflow"
    usage = source_usage(ref)
    catalogue = ref["sources"].set_index("source_id")
    out: dict[str, pd.DataFrame] = {}
    for table, part in usage.groupby("table", sort=True):
        counts = part.groupby("source_id").size().rename("rows").reset_index()
        counts = counts[counts["source_id"] != ""]
        known = counts["source_id"].isin(catalogue.index)
        cols = ["title", "publisher", "year", "url", "tag"]
        info = catalogue.reindex(counts["source_id"])[cols].reset_index(drop=True)
        frame = pd.concat([counts.reset_index(drop=True), info], axis=1)
        frame.loc[~known.to_numpy(), "title"] = "(not listed in sources.csv)"
        out[str(table)] = frame.sort_values("source_id").reset_index(drop=True)
    return out, origin, warning
