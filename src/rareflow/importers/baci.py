"""CEPII BACI importer: one HS-based year file (t, i, j, k, v, q) to rareflow trade rows.

BACI's published layout: columns t (year), i (exporter), j (importer), k (HS6 product code),
v (value, thousand current USD), q (quantity, metric tons; missing in some rows, written 'NA'
padded with spaces, or left empty). Country codes are numeric (UN Comtrade style) and explained by
the country_codes_V<release>.csv shipped with each release (country_code, country_name,
country_iso2, country_iso3).

All the work on the big file is one DuckDB scan (typed, strict CSV reading) that groups the rows
by year and country pair, keeping rare-earth HS codes apart; everything after that runs on that
small grouped table.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from rareflow.importers.common import (
    ImportDataError,
    SourceInfo,
    check_header,
    check_not_truncated,
    connect,
    duckdb_error,
    locate,
    parser_error,
    progress,
    region_case_sql,
    source_id_from,
    sql_str,
    work_dir,
)
from rareflow.importers.hs_mapping import HSMapping, selected_mappings

BACI_COLUMNS = ("t", "i", "j", "k", "v", "q")
# Columns of the country code table in current releases, and in releases before 2023.
CODES_LAYOUTS = (
    ("country_code", "country_iso3"),
    ("country_code", "iso_3digit_alpha"),
)
# An exporter's own median unit value is used when it has at least this many priced flows.
MIN_EXPORTER_FLOWS = 3


@dataclass
class ImportResult:
    """Tables in the reference format plus a human summary of what the import did."""

    tables: dict[str, pd.DataFrame]
    summary: list[str] = field(default_factory=list)


def read_country_codes(path: Path) -> pd.DataFrame:
    """BACI's country table as (code, iso3, region); refuses duplicates and non-integer codes."""
    try:
        with path.open("r", encoding="utf-8-sig", errors="replace") as fh:
            header = [h.strip() for h in fh.readline().rstrip("\r\n").split(",")]
    except OSError as exc:
        raise ImportDataError(path, None, None, f"cannot read the file ({exc.strerror})") from exc
    layout = next((lay for lay in CODES_LAYOUTS if all(c in header for c in lay)), None)
    if layout is None:
        raise ImportDataError(
            path,
            1,
            None,
            "not a BACI country code table: expected columns "
            "country_code,country_name,country_iso2,country_iso3",
        )
    code_col, iso_col = layout
    try:
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, encoding="utf-8", encoding_errors="replace"
        )
    except (pd.errors.ParserError, ValueError) as exc:  # a ragged row, a stray quote
        raise parser_error(path, exc) from None
    codes = frame[code_col].str.strip()
    numeric = pd.to_numeric(codes, errors="coerce")
    bad = numeric.isna() | (numeric != numeric.round())
    if bad.any():
        row = int(bad.to_numpy().argmax())
        raise ImportDataError(
            path, row + 2, code_col, f"expected an integer country code, found {codes.iloc[row]!r}"
        )
    dup = numeric.duplicated()
    if dup.any():
        row = int(dup.to_numpy().argmax())
        raise ImportDataError(
            path, row + 2, code_col, f"country code {codes.iloc[row]} is repeated"
        )
    return pd.DataFrame(
        {"code": numeric.astype("int64"), "iso3": frame[iso_col].str.strip().str.upper()}
    )


def _release(path: Path) -> tuple[str, int | None]:
    """(vintage, release year) from a BACI file name such as BACI_HS17_Y2022_V202401.csv."""
    match = re.search(r"V(20\d\d)(\d\d)", path.name, flags=re.IGNORECASE)
    if match:
        return f"V{match.group(1)}{match.group(2)}", int(match.group(1))
    return "", None


def _hs_version(path: Path) -> str:
    match = re.search(r"HS(\d\d)", path.name, flags=re.IGNORECASE)
    return f"HS{match.group(1)}" if match else ""


def import_baci(
    path: Path,
    codes_path: Path,
    *,
    include_opt_in: bool = False,
    memory_limit: str = "1GB",
    show_progress: bool = False,
    scratch: Path | None = None,
) -> ImportResult:
    """Read a BACI year file and return trade (and sources) tables for rareflow regions."""
    path = Path(path)
    check_header(path, BACI_COLUMNS)
    check_not_truncated(path)
    codes = read_country_codes(Path(codes_path))
    mappings = selected_mappings(include_opt_in)
    with work_dir(scratch or Path(tempfile.gettempdir()) / "rareflow-import") as tmp:
        con = connect(tmp, memory_limit)
        try:
            return _run(con, path, Path(codes_path), codes, mappings, show_progress)
        finally:
            con.close()


def _scan_sql(path: Path, hs_codes: list[str]) -> str:
    columns = (
        "{'t': 'INTEGER', 'i': 'INTEGER', 'j': 'INTEGER', "
        "'k': 'VARCHAR', 'v': 'DOUBLE', 'q': 'VARCHAR'}"
    )
    codes = ", ".join(str(int(c)) for c in hs_codes)
    return f"""
    CREATE TEMP TABLE grp AS
    WITH raw AS (
        -- k as a number: '010121' and '10121' alike (BACI writes both); legacy codes such as
        -- '9999AA' become NULL, which is never a rare earth code. TRY_CAST reads q's padded
        -- numbers; q is also used raw below (which keeps DuckDB from turning the TRY_CAST
        -- into a strict typed read of the column).
        SELECT t, i, j, TRY_CAST(k AS INTEGER) AS kint, v, q, TRY_CAST(q AS DOUBLE) AS qn
        FROM read_csv({sql_str(path)}, columns = {columns}, header = true, delim = ',',
                      quote = '"', auto_detect = false, strict_mode = true)
    )
    SELECT t, i, j,
           CASE WHEN kint IN ({codes}) THEN lpad(CAST(kint AS VARCHAR), 6, '0') END AS kre,
           count(*) AS n,
           count(*) FILTER (WHERE qn IS NULL AND q IS NOT NULL
                            AND trim(q) NOT IN ('', 'NA')) AS n_badq,
           count(*) FILTER (WHERE v IS NULL OR v < 0 OR qn < 0 OR t IS NULL
                            OR i IS NULL OR j IS NULL) AS n_bad,
           sum(v) AS v_all,
           sum(v) FILTER (WHERE qn IS NULL) AS v_noq,
           count(*) FILTER (WHERE qn IS NULL) AS n_noq,
           sum(qn) AS q_sum
    FROM raw
    GROUP BY ALL
    """


def _run(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    codes_path: Path,
    codes: pd.DataFrame,
    mappings: tuple[HSMapping, ...],
    show_progress: bool,
) -> ImportResult:
    by_code = {m.code: m for m in mappings}
    try:
        with progress(con, f"BACI {path.name}", show_progress):
            con.execute(_scan_sql(path, list(by_code))).fetchall()
    except duckdb.Error as exc:
        raise duckdb_error(path, exc) from exc
    _validate(con, path, codes_path, codes)

    con.register("codes_df", codes)
    con.execute(
        "CREATE TEMP TABLE codes AS SELECT code, iso3, "
        f"{region_case_sql('iso3')} AS region FROM codes_df"
    ).fetchall()
    hs = pd.DataFrame(
        {
            "kre": [m.code for m in mappings],
            "material": [m.material for m in mappings],
            "basis": [m.basis for m in mappings],
        }
    )
    con.register("hs_df", hs)
    flows = con.execute(_flows_sql()).df()
    n_rows = int(con.execute("SELECT sum(n) FROM grp").fetchall()[0][0] or 0)
    years = [int(r[0]) for r in con.execute("SELECT DISTINCT t FROM grp ORDER BY t").fetchall()]
    return _assemble(path, flows, n_rows, years, by_code)


def _validate(
    con: duckdb.DuckDBPyConnection, path: Path, codes_path: Path, codes: pd.DataFrame
) -> None:
    bad = con.execute("SELECT sum(n_badq), sum(n_bad), sum(n) FROM grp").fetchall()[0]
    if bad[2] is None or int(bad[2]) == 0:
        raise ImportDataError(path, 2, None, "the file has a header but no data rows")
    cols = list(BACI_COLUMNS)
    if int(bad[0] or 0) > 0:
        hit = locate(path, cols, _bad_q)
        raise ImportDataError(
            path,
            hit[0] if hit else None,
            hit[1] if hit else "q",
            "expected a non-negative number or NA for q (metric tons)",
        )
    if int(bad[1] or 0) > 0:
        hit = locate(path, cols, _bad_value)
        raise ImportDataError(
            path,
            hit[0] if hit else None,
            hit[1] if hit else None,
            "expected a non-negative number (empty or negative value)",
        )
    con.register("known_codes", codes[["code"]])
    unknown = con.execute(
        "SELECT DISTINCT code FROM (SELECT i AS code FROM grp UNION SELECT j FROM grp) "
        "WHERE code NOT IN (SELECT code FROM known_codes) ORDER BY code"
    ).fetchall()
    if unknown:
        missing = {str(c[0]) for c in unknown}

        def pred(row: dict[str, str]) -> str | None:
            for col in ("i", "j"):
                if row.get(col, "").strip() in missing:
                    return col
            return None

        hit = locate(path, cols, pred)
        line, col = hit if hit else (None, "i")
        shown = ", ".join(sorted(missing, key=int)[:5])
        raise ImportDataError(path, line, col, f"country code(s) {shown} not in {codes_path.name}")


def _bad_q(row: dict[str, str]) -> str | None:
    q = row.get("q", "").strip()
    if q in ("", "NA"):
        return None
    try:
        return "q" if float(q) < 0 else None
    except ValueError:
        return "q"


def _bad_value(row: dict[str, str]) -> str | None:
    for col in ("t", "i", "j", "v"):
        text = row.get(col, "").strip()
        if not text:
            return col
    try:
        if float(row["v"]) < 0:
            return "v"
    except ValueError:
        return "v"
    q = row.get("q", "").strip()
    if q not in ("", "NA") and float(q) < 0:
        return "q"
    return None


def _flows_sql() -> str:
    """Rare-earth rows -> estimated quantities -> region pairs (runs on the small grouped table)."""
    return f"""
    WITH re AS (
        SELECT g.*, h.material, h.basis FROM grp g JOIN hs_df h USING (kre)
    ),
    priced AS (
        SELECT kre, t, i, v_all / q_sum AS uv FROM re
        WHERE n_noq = 0 AND q_sum > 0 AND v_all > 0
    ),
    uv_year AS (SELECT kre, t, median(uv) AS uv FROM priced GROUP BY kre, t),
    uv_exp AS (
        SELECT kre, t, i, median(uv) AS uv FROM priced GROUP BY kre, t, i
        HAVING count(*) >= {MIN_EXPORTER_FLOWS}
    ),
    est AS (
        SELECT re.*,
               CASE WHEN ue.uv IS NOT NULL THEN 'exporter' ELSE 'code-year' END AS uv_level,
               coalesce(ue.uv, uy.uv) AS uv_used,
               coalesce(q_sum, 0) AS q_pub,
               CASE WHEN n_noq > 0 THEN v_noq / coalesce(ue.uv, uy.uv) END AS q_est
        FROM re
        LEFT JOIN uv_exp ue USING (kre, t, i)
        LEFT JOIN uv_year uy USING (kre, t)
    ),
    mapped AS (
        SELECT est.*, ce.region AS exporter, ci.region AS importer
        FROM est
        JOIN codes ce ON ce.code = est.i
        JOIN codes ci ON ci.code = est.j
    )
    SELECT t AS year, exporter, importer, material, basis, kre,
           sum(q_pub) AS q_pub,
           sum(coalesce(q_est, 0)) AS q_est,
           sum(n) AS n,
           sum(n_noq) FILTER (WHERE q_est IS NOT NULL) AS n_est,
           sum(n_noq) FILTER (WHERE n_noq > 0 AND q_est IS NULL) AS n_lost,
           sum(v_noq) FILTER (WHERE n_noq > 0 AND q_est IS NULL) AS v_lost,
           string_agg(DISTINCT uv_level, '/') FILTER (WHERE q_est IS NOT NULL) AS uv_levels
    FROM mapped
    GROUP BY ALL
    """


def _assemble(
    path: Path, flows: pd.DataFrame, n_rows: int, years: list[int], by_code: dict[str, HSMapping]
) -> ImportResult:
    vintage, release_year = _release(path)
    source = SourceInfo(
        source_id=source_id_from(path),
        title=(
            f"CEPII BACI {_hs_version(path)} bilateral trade {', '.join(map(str, years))}"
            f" (file {path.name})"
        ).replace("  ", " "),
        publisher="CEPII",
        year=release_year or (years[-1] if years else 0),
        url="http://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37",
        note=(
            f"imported by rareflow data import baci: {n_rows} rows read; HS6 codes "
            f"{', '.join(by_code)}; v thousand USD, q metric tons (product weight)"
        ),
    )
    summary = [f"{path.name}: {n_rows} rows read, years {years}"]
    trade = _trade_rows(flows, source, vintage or (str(years[-1]) if years else ""), summary)
    return ImportResult(
        tables={"trade": trade, "sources": pd.DataFrame([source.row()])}, summary=summary
    )


_LEVEL_WORDS = {
    "code-year": "all exporters",
    "exporter": "same exporter",
    "code-year/exporter": "same exporter where it has 3+ priced flows, else all exporters",
}


def _join_levels(values: pd.Series) -> str:
    return "/".join(sorted({x for v in values.dropna() for x in str(v).split("/")}))


def _trade_rows(
    flows: pd.DataFrame,
    source: SourceInfo,
    vintage: str,
    summary: list[str],
    label: str = "BACI flows",
    value_unit: str = "thousand USD",
    quantity_name: str = "q",
    flag_text: str = "",
) -> pd.DataFrame:
    """Region-pair rows from the per-HS-code flows; intra-group flows dropped and reported."""
    columns = [
        "year", "exporter", "importer", "material", "quantity", "unit", "basis",
        "source", "vintage", "estimate_method",
    ]  # fmt: skip
    if flows.empty:
        summary.append("no rare earth flows (HS codes of the mapping) in the file")
        return pd.DataFrame(columns=columns)
    lost = flows["n_lost"].fillna(0)
    if lost.sum() > 0:
        summary.append(
            f"{int(lost.sum())} {label} without {quantity_name} and without any priced flow of "
            "the same HS code and year to estimate from: dropped (value "
            f"{flows['v_lost'].fillna(0).sum():,.1f} {value_unit})"
        )
    intra = flows["exporter"] == flows["importer"]
    if intra.any():
        summary.append(
            f"{(flows.loc[intra, 'q_pub'] + flows.loc[intra, 'q_est']).sum():.1f} t of flows "
            "within one region (EU27 to EU27, ROW to ROW) dropped: they are not trade between "
            "rareflow regions"
        )
    flows = flows[~intra]
    if "n_flag" not in flows.columns:
        flows = flows.assign(n_flag=0)
    grouped = (
        flows.assign(n_est=flows["n_est"].fillna(0), n_flag=flows["n_flag"].fillna(0))
        .groupby(["year", "exporter", "importer", "material", "basis"], as_index=False)
        .agg(
            q_pub=("q_pub", "sum"),
            q_est=("q_est", "sum"),
            n=("n", "sum"),
            n_est=("n_est", "sum"),
            n_flag=("n_flag", "sum"),
            levels=("uv_levels", _join_levels),
        )
    )
    grouped["quantity"] = (grouped["q_pub"] + grouped["q_est"]).round(3)
    estimated = grouped["n_est"] > 0
    method = (
        "partly estimated: "
        + grouped["q_est"].round(3).astype(str)
        + " t of "
        + grouped["quantity"].astype(str)
        + f" t from value / median unit value (value/{quantity_name}) of the same HS6 code "
        + "and year ("
        + grouped["levels"].map(_LEVEL_WORDS).fillna(grouped["levels"])
        + "), for the "
        + grouped["n_est"].astype(int).astype(str)
        + " of "
        + grouped["n"].astype(int).astype(str)
        + f" {label} that have no {quantity_name}"
    )
    grouped["estimate_method"] = method.where(estimated, "")
    if flag_text:
        # Quantities the publisher itself estimated are estimates too: say so.
        flagged = grouped["n_flag"] > 0
        note = grouped["n_flag"].astype(int).astype(str) + f" {flag_text}"
        both = flagged & estimated
        grouped.loc[both, "estimate_method"] = grouped.loc[both, "estimate_method"] + "; " + note
        only = flagged & ~estimated
        grouped.loc[only, "estimate_method"] = note[only]
    grouped["unit"] = "t"
    grouped["source"] = source.source_id
    grouped["vintage"] = vintage
    n_est = int(grouped["n_est"].sum())
    summary.append(
        f"{len(grouped)} region-pair rows written; {n_est} {label} had no {quantity_name} and "
        "were estimated from unit values (marked in estimate_method)"
    )
    out = grouped[grouped["quantity"] > 0]
    return (
        out[columns]
        .sort_values(["year", "material", "exporter", "importer"])
        .reset_index(drop=True)
    )
