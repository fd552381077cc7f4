"""Synthetic BACI-sized files for benchmarks and tests (deterministic from a seed).

The files follow BACI's published layout (t,i,j,k,v,q plus a country_code table) with
realistic shapes, not real numbers: about 200 countries with skewed trade weights, about 5,000
HS6 codes whose frequencies follow a Zipf-like law, the rare earth codes rare (a few thousand rows
each in ten million), and about 2% of quantities missing, written as BACI writes them ('NA' padded
with spaces). Everything is labelled synthetic; nothing here is data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from rareflow.importers.common import EU_MEMBERS, MODEL_COUNTRIES
from rareflow.importers.hs_mapping import HS_MAPPINGS

# ISO 3166 numeric codes of the modelled countries (the brief's fixed list).
MODEL_NUMERIC: dict[str, int] = {
    "CHN": 156, "IND": 356, "JPN": 392, "USA": 840, "AUS": 36, "MYS": 458, "MMR": 104,
    "VNM": 704, "BRA": 76, "RUS": 643, "KOR": 410, "THA": 764, "NGA": 566, "MDG": 450,
    "LAO": 418, "DEU": 276, "EST": 233, "FRA": 250, "GBR": 826, "CAN": 124, "GRL": 304,
    "ZAF": 710, "TZA": 834,
}  # fmt: skip
N_COUNTRIES = 200
N_PRODUCTS = 5000
RE_ROWS_PER_MILLION = 250.0  # expected rows of each rare earth HS code per million rows
NA_SHARE = 0.02
BACI_NA = "           NA"  # how BACI writes a missing q


def make_country_codes(seed: int = 0, n: int = N_COUNTRIES) -> pd.DataFrame:
    """A country table in BACI's layout: the modelled countries, the EU, synthetic others."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[int, str, str]] = [
        (c, iso, f"Country {iso}") for iso, c in MODEL_NUMERIC.items()
    ]
    used = {r[0] for r in rows}
    eu = [iso for iso in EU_MEMBERS if iso not in MODEL_COUNTRIES]
    # Synthetic numeric codes for the EU members: only the alpha-3 code matters to rareflow.
    free = [c for c in range(1, 1000) if c not in used]
    picks = rng.choice(free, size=n - len(rows), replace=False)
    for iso, code in zip(eu, picks[: len(eu)], strict=False):
        rows.append((int(code), iso, f"Country {iso}"))
    for k, code in enumerate(picks[len(eu) :]):
        rows.append((int(code), f"S{k:02d}", f"Synthetic country {k}"))
    frame = pd.DataFrame(rows, columns=["country_code", "country_iso3", "country_name"])
    frame["country_iso2"] = frame["country_iso3"].str[:2]
    return frame[["country_code", "country_name", "country_iso2", "country_iso3"]]


def _products(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """HS6 codes (strings with leading zeros) and their sampling probabilities."""
    re_codes = [m.code for m in HS_MAPPINGS]
    pool = rng.choice(np.arange(10100, 970000), size=N_PRODUCTS * 2, replace=False)
    others = [f"{c:06d}" for c in pool if f"{c:06d}" not in re_codes][: N_PRODUCTS - len(re_codes)]
    ranks = np.arange(1, len(others) + 1, dtype=float)
    weights = 1.0 / ranks**1.1
    re_share = RE_ROWS_PER_MILLION / 1e6
    probs = np.concatenate(
        [weights / weights.sum() * (1 - re_share * len(re_codes)), np.full(len(re_codes), re_share)]
    )
    return np.array(others + re_codes), probs


def write_baci(
    path: Path,
    n_rows: int,
    *,
    year: int = 2022,
    seed: int = 0,
    codes: pd.DataFrame | None = None,
    chunk: int = 1_000_000,
) -> Path:
    """Write a synthetic BACI year file of n_rows rows, vectorised and in chunks."""
    rng = np.random.default_rng(seed)
    codes = make_country_codes(seed) if codes is None else codes
    country = codes["country_code"].to_numpy()
    weights = rng.lognormal(0.0, 1.5, size=len(country))
    p_country = weights / weights.sum()
    products, p_product = _products(rng)
    uv_product = rng.lognormal(1.0, 1.2, size=len(products))  # thousand USD per t
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("t,i,j,k,v,q\n")
        done = 0
        while done < n_rows:
            m = min(chunk, n_rows - done)
            i = rng.choice(country, size=m, p=p_country)
            j = rng.choice(country, size=m, p=p_country)
            same = i == j
            j[same] = rng.choice(country, size=int(same.sum()))
            k_idx = rng.choice(len(products), size=m, p=p_product)
            v = np.round(rng.lognormal(2.0, 2.5, size=m), 3) + 0.001
            q = np.round(v / (uv_product[k_idx] * rng.lognormal(0.0, 0.5, size=m)), 3)
            q[rng.random(m) < NA_SHARE] = np.nan
            frame = pd.DataFrame({"t": year, "i": i, "j": j, "k": products[k_idx], "v": v, "q": q})
            frame.to_csv(
                fh,
                header=False,
                index=False,
                na_rep=BACI_NA,
                float_format="%.3f",
                lineterminator="\n",
            )
            done += m
    return path


def write_synthetic_set(
    directory: Path, n_rows: int, seed: int = 0, year: int = 2022
) -> tuple[Path, Path]:
    """A year file and its country code table, named like a BACI release."""
    directory.mkdir(parents=True, exist_ok=True)
    codes = make_country_codes(seed)
    codes_path = directory / "country_codes_V209901.csv"
    codes.to_csv(codes_path, index=False, lineterminator="\n")
    data_path = directory / f"BACI_HS17_Y{year}_V209901_synthetic_{n_rows}.csv"
    write_baci(data_path, n_rows, year=year, seed=seed, codes=codes)
    return data_path, codes_path
