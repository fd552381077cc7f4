"""A user's sources.csv adds to the shipped sources instead of replacing them."""

from __future__ import annotations

from pathlib import Path

from rareflow.data.loader import load_reference, packaged_dir


def test_user_sources_add_to_the_shipped_ones(tmp_path: Path) -> None:
    header = (packaged_dir() / "sources.csv").read_text(encoding="utf-8").splitlines()[0]
    (tmp_path / "sources.csv").write_text(
        header + "\nmy-import,My BACI import,CEPII,2024,,P,imported file\n", encoding="utf-8"
    )
    ref = load_reference(tmp_path)
    ids = set(ref["sources"]["source_id"])
    assert "my-import" in ids
    assert "usgs-mcs2025-ree" in ids  # the shipped sources are all still there
    shipped = load_reference()["sources"]
    assert len(ref["sources"]) == len(shipped) + 1
