"""The on-disk ensemble: a Parquet dataset written batch by batch, safe to kill and resume.

Layout of an ensemble directory:

    ensemble.json     what was asked (file, method, samples, seed, batch size, spec hash)
    design.parquet    every sample's id, quantiles and parameter values (written first)
    shortfalls/part-NNNNNN.parquet  sample_id, region, sector, period, reference, unserved
    prices/part-NNNNNN.parquet      sample_id, region, material, period, price
    outcomes/part-NNNNNN.parquet    sample_id, scalar outcomes (written last)

Batches are fixed slices of the sample ids, so batch NNNNNN always holds the same samples.
Each file is written to .tmp/ and moved into place with os.replace (atomic on one file
system). A batch counts as done only once its outcomes file exists, and it is written after
the others: a kill leaves either a finished batch or files that the resumed run overwrites
with the same content. Readers only read parts of finished batches, so no sample is counted
twice and none is lost.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from rareflow.errors import UserError

TABLES = ("shortfalls", "prices", "outcomes")  # outcomes last: it marks a batch as done
_PART = re.compile(r"^part-(\d{6})\.parquet$")


class StoreError(UserError, ValueError):
    """An ensemble directory that cannot be used as asked (exists, or does not match)."""


class EnsembleStore:
    def __init__(self, directory: str | Path) -> None:
        self.dir = Path(directory)

    # -- metadata ---------------------------------------------------------------------------

    @property
    def meta_path(self) -> Path:
        return self.dir / "ensemble.json"

    def exists(self) -> bool:
        return self.meta_path.is_file()

    def meta(self) -> dict[str, Any]:
        if not self.exists():
            raise StoreError(f"{self.dir}: not an ensemble directory (no ensemble.json)")
        data: dict[str, Any] = json.loads(self.meta_path.read_text())
        return data

    def create(self, meta: dict[str, Any], design: pd.DataFrame) -> None:
        """Start a new ensemble: metadata and design, before any sample is solved."""
        self.dir.mkdir(parents=True, exist_ok=True)
        self._write_bytes(self.dir / "design.parquet", design)
        tmp = self.dir / ".tmp" / "ensemble.json"
        tmp.parent.mkdir(exist_ok=True)
        tmp.write_text(json.dumps(meta, indent=2, default=str))
        os.replace(tmp, self.meta_path)

    def design(self) -> pd.DataFrame:
        return pd.read_parquet(self.dir / "design.parquet")

    # -- batches ----------------------------------------------------------------------------

    def _part(self, table: str, batch_id: int) -> Path:
        return self.dir / table / f"part-{batch_id:06d}.parquet"

    def _write_bytes(self, target: Path, frame: pd.DataFrame) -> None:
        tmp_dir = self.dir / ".tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        tmp = tmp_dir / f"{target.parent.name}-{target.name}"
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, target)

    def write_batch(self, batch_id: int, tables: dict[str, pd.DataFrame]) -> None:
        for name in TABLES:
            self._write_bytes(self._part(name, batch_id), tables[name])

    def done_batches(self) -> set[int]:
        folder = self.dir / "outcomes"
        if not folder.is_dir():
            return set()
        return {int(m.group(1)) for p in folder.iterdir() if (m := _PART.match(p.name))}

    def read(self, table: str) -> pd.DataFrame:
        """One table over every finished batch, sorted by sample id."""
        if table not in TABLES:
            raise KeyError(f"unknown ensemble table '{table}' (one of {', '.join(TABLES)})")
        done = sorted(self.done_batches())
        if not done:
            raise StoreError(f"{self.dir}: no finished samples yet")
        frames = [pd.read_parquet(self._part(table, b)) for b in done]
        out = pd.concat(frames, ignore_index=True)
        keys = [c for c in ("sample_id", "region", "sector", "material", "period") if c in out]
        return out.sort_values(keys, kind="stable").reset_index(drop=True)

    def samples(self) -> pd.DataFrame:
        """Design rows joined to the outcomes of the samples that finished."""
        return self.design().merge(self.read("outcomes"), on="sample_id", how="inner")
