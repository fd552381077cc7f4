"""UN Comtrade importer: a bulk or download CSV (one row per reporter, partner, flow, HS code).

The published layout has 47 columns (typeCode, freqCode, refPeriodId, refYear, refMonth, period,
reporterCode, reporterISO, reporterDesc, flowCode, flowDesc, partnerCode, partnerISO, ...,
cmdCode, ..., qtyUnitAbbr, qty, ..., netWgt, ..., primaryValue, ...). Countries are UN M49-based
codes (e.g. USA 842, France 251, India 699), so regions are assigned from the ISO alpha-3 columns
reporterISO / partnerISO that come with them; the code-to-ISO pairing is checked for consistency.

Choices (documented in docs/importers.md):
- only flows M (imports) and X (exports); re-imports/re-exports and processing flows are left out;
- partner World (partnerCode 0) and breakdown rows (partner2Code, motCode, customsCode other than
  their totals 0 / 0 / C00) are left out so nothing is counted twice;
- each bilateral flow is reported twice (by the importer and by the exporter): the importer's
  report is used, the exporter's only where the importer reported nothing (mirror data);
- tonnes = netWgt (kg) / 1000, else qty / 1000 when qtyUnitAbbr is kg, else estimated from the
  median unit value (primaryValue / t) of the same HS code and year.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd

from rareflow.importers.baci import ImportResult, _trade_rows
from rareflow.importers.common import (
    ImportDataError,
    SourceInfo,
    check_header,
    connect,
    duckdb_error,
    locate,
    progress,
    region_case_sql,
    source_id_from,
    sql_str,
    work_dir,
)
from rareflow.importers.hs_mapping import HSMapping, selected_mappings

REQUIRED: dict[str, str] = {
    "freqCode": "VARCHAR",
    "refYear": "INTEGER",
    "reporterCode": "INTEGER",
    "reporterISO": "VARCHAR",
    "flowCode": "VARCHAR",
    "partnerCode": "INTEGER",
    "partnerISO": "VARCHAR",
    "cmdCode": "VARCHAR",
    "qtyUnitAbbr": "VARCHAR",
    "qty": "DOUBLE",
    "netWgt": "DOUBLE",
    "primaryValue": "DOUBLE",
}
# Breakdown columns whose total value keeps a row (when the column is in the file).
TOTALS: dict[str, tuple[str, ...]] = {
    "partner2Code": ("0", ""),
    "motCode": ("0", ""),
    "customsCode": ("C00", ""),
}


def _encoding(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut by the 64 kB window
            return "latin-1"
    return "utf-8"


def import_comtrade(
    path: Path,
    *,
    include_opt_in: bool = False,
    memory_limit: str = "1GB",
    show_progress: bool = False,
    scratch: Path | None = None,
) -> ImportResult:
    """Read a Comtrade CSV and return trade (and sources) tables for rareflow regions."""
    path = Path(path)
    header = check_header(path, tuple(REQUIRED), exact=False)
    mappings = selected_mappings(include_opt_in)
    with work_dir(scratch or Path(tempfile.gettempdir()) / "rareflow-import") as tmp:
        con = connect(tmp, memory_limit)
        try:
            return _run(con, path, header, mappings, show_progress)
        finally:
            con.close()


def _run(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    header: list[str],
    mappings: tuple[HSMapping, ...],
    show_progress: bool,
) -> ImportResult:
    types = {name: REQUIRED.get(name, "VARCHAR") for name in header}
    columns = "{" + ", ".join(f"'{n}': '{t}'" for n, t in types.items()) + "}"
    codes = ", ".join(f"'{m.code}'" for m in mappings)
    keep = " AND ".join(
        f"coalesce(trim(\"{col}\"), '') IN ({', '.join(repr(v) for v in vals)})"
        for col, vals in TOTALS.items()
        if col in header
    )
    scan = f"""
    CREATE TEMP TABLE sel AS
    SELECT refYear, freqCode, reporterCode, upper(trim(reporterISO)) AS reporterISO,
           partnerCode, upper(trim(partnerISO)) AS partnerISO, trim(flowCode) AS flowCode,
           lpad(trim(cmdCode), 6, '0') AS k6, qty, lower(trim(qtyUnitAbbr)) AS unit,
           netWgt, primaryValue,
           {"lower(trim(isNetWgtEstimated)) = 'true'" if "isNetWgtEstimated" in header else "false"}
               AS wgt_flag
    FROM read_csv({sql_str(path)}, columns = {columns}, header = true, delim = ',',
                  quote = '"', auto_detect = false, strict_mode = true,
                  encoding = '{_encoding(path)}')
    WHERE lpad(trim(cmdCode), 6, '0') IN ({codes})
      AND trim(flowCode) IN ('M', 'X') AND partnerCode <> 0
      {"AND " + keep if keep else ""}
    """
    try:
        with progress(con, f"Comtrade {path.name}", show_progress):
            con.execute(scan).fetchall()
    except duckdb.Error as exc:
        raise duckdb_error(path, exc) from exc
    _validate(con, path, header)
    hs = pd.DataFrame(
        {
            "k6": [m.code for m in mappings],
            "material": [m.material for m in mappings],
            "basis": [m.basis for m in mappings],
        }
    )
    con.register("hs_df", hs)
    flows = con.execute(_flows_sql()).df()
    stats = con.execute(
        "SELECT count(*), min(refYear), max(refYear), count(*) FILTER (WHERE flowCode = 'M') "
        "FROM sel"
    ).fetchall()[0]
    return _assemble(path, flows, stats, mappings)


def _validate(con: duckdb.DuckDBPyConnection, path: Path, header: list[str]) -> None:
    freqs = [r[0] for r in con.execute("SELECT DISTINCT freqCode FROM sel").fetchall()]
    if len(freqs) > 1:
        minority = con.execute(
            "SELECT freqCode FROM sel GROUP BY freqCode ORDER BY count(*) LIMIT 1"
        ).fetchall()[0][0]
        hit = locate(path, header, lambda r: "freqCode" if r.get("freqCode") == minority else None)
        raise ImportDataError(
            path,
            hit[0] if hit else None,
            "freqCode",
            f"the file mixes frequencies {sorted(freqs)}: import annual (A) or monthly (M) "
            "records, not both, or they are counted twice",
        )
    for code_col, iso_col in (("reporterCode", "reporterISO"), ("partnerCode", "partnerISO")):
        empty = con.execute(
            f"SELECT {code_col} FROM sel WHERE coalesce({iso_col}, '') = '' LIMIT 1"
        ).fetchall()
        if empty:
            code = str(empty[0][0])
            hit = locate(path, header, _missing_iso(code_col, iso_col, code))
            raise ImportDataError(
                path,
                hit[0] if hit else None,
                iso_col,
                f"country code {code} has no ISO alpha-3 code: cannot tell its region",
            )
        clash = con.execute(
            f"SELECT {code_col}, string_agg(DISTINCT {iso_col}, ', ') FROM sel "
            f"GROUP BY {code_col} HAVING count(DISTINCT {iso_col}) > 1 LIMIT 1"
        ).fetchall()
        if clash:
            raise ImportDataError(
                path,
                None,
                iso_col,
                f"country code {clash[0][0]} comes with different ISO codes ({clash[0][1]})",
            )
    negative = con.execute(
        "SELECT count(*) FROM sel WHERE netWgt < 0 OR qty < 0 OR primaryValue < 0"
    ).fetchall()[0][0]
    if negative:

        def pred(row: dict[str, str]) -> str | None:
            for col in ("netWgt", "qty", "primaryValue"):
                text = row.get(col, "").strip()
                if text and _is_negative(text):
                    return col
            return None

        hit = locate(path, header, pred)
        raise ImportDataError(
            path, hit[0] if hit else None, hit[1] if hit else None, "negative value"
        )


def _missing_iso(code_col: str, iso_col: str, code: str) -> Callable[[dict[str, str]], str | None]:
    def pred(row: dict[str, str]) -> str | None:
        if row.get(code_col, "").strip() == code and not row.get(iso_col, "").strip():
            return iso_col
        return None

    return pred


def _is_negative(text: str) -> bool:
    try:
        return float(text) < 0
    except ValueError:
        return False


def _flows_sql() -> str:
    region_exp = region_case_sql("exp_iso")
    region_imp = region_case_sql("imp_iso")
    return f"""
    WITH f AS (
        SELECT refYear AS year, k6, flowCode,
               CASE WHEN flowCode = 'M' THEN partnerISO ELSE reporterISO END AS exp_iso,
               CASE WHEN flowCode = 'M' THEN reporterISO ELSE partnerISO END AS imp_iso,
               CASE WHEN netWgt > 0 THEN netWgt / 1000
                    WHEN unit = 'kg' AND qty > 0 THEN qty / 1000 END AS t_pub,
               primaryValue AS v, wgt_flag
        FROM sel
    ),
    imports AS (SELECT * FROM f WHERE flowCode = 'M'),
    mirror AS (
        SELECT * FROM f x WHERE flowCode = 'X' AND NOT EXISTS (
            SELECT 1 FROM imports m WHERE m.year = x.year AND m.k6 = x.k6
              AND m.exp_iso = x.exp_iso AND m.imp_iso = x.imp_iso)
    ),
    used AS (SELECT * FROM imports UNION ALL SELECT * FROM mirror),
    uv AS (
        SELECT k6, year, median(v / t_pub) AS uv FROM used
        WHERE t_pub > 0 AND v > 0 GROUP BY k6, year
    ),
    est AS (
        SELECT used.*, h.material, h.basis,
               CASE WHEN t_pub IS NULL THEN v / uv.uv END AS q_est
        FROM used JOIN hs_df h USING (k6) LEFT JOIN uv USING (k6, year)
    )
    SELECT year, {region_exp} AS exporter, {region_imp} AS importer, material, basis,
           sum(coalesce(t_pub, 0)) AS q_pub,
           sum(coalesce(q_est, 0)) AS q_est,
           count(*) AS n,
           count(*) FILTER (WHERE t_pub IS NULL AND q_est IS NOT NULL) AS n_est,
           count(*) FILTER (WHERE t_pub IS NULL AND q_est IS NULL) AS n_lost,
           sum(v) FILTER (WHERE t_pub IS NULL AND q_est IS NULL) AS v_lost,
           count(*) FILTER (WHERE wgt_flag AND t_pub IS NOT NULL) AS n_flag,
           CASE WHEN count(*) FILTER (WHERE q_est IS NOT NULL) > 0 THEN 'code-year' END
               AS uv_levels
    FROM est
    GROUP BY ALL
    """


def _assemble(
    path: Path,
    flows: pd.DataFrame,
    stats: tuple[int, int | None, int | None, int],
    mappings: tuple[HSMapping, ...],
) -> ImportResult:
    n_sel, y0, y1, n_imp = stats
    years = f"{y0}" if y0 == y1 else f"{y0}-{y1}"
    source = SourceInfo(
        source_id=source_id_from(path),
        title=f"UN Comtrade trade records {years}, HS codes of rare earths (file {path.name})",
        publisher="United Nations Statistics Division (UN Comtrade)",
        year=int(y1 or 0),
        url="https://comtradeplus.un.org/",
        note=(
            f"imported by rareflow data import comtrade: {n_sel} records of HS6 codes "
            f"{', '.join(m.code for m in mappings)} ({n_imp} import reports, the rest export "
            "reports used as mirror data); netWgt kg -> t; primaryValue USD"
        ),
    )
    vintage = re.sub(r"\s+", "-", f"Comtrade-{years}")
    summary = [f"{path.name}: {n_sel} rare earth records (M/X, partner not World), years {years}"]
    trade = _trade_rows(
        flows,
        source,
        vintage,
        summary,
        label="Comtrade records",
        value_unit="USD",
        quantity_name="net weight",
        flag_text="records carry a net weight Comtrade itself estimated (isNetWgtEstimated)",
    )
    return ImportResult(
        tables={"trade": trade, "sources": pd.DataFrame([source.row()])}, summary=summary
    )
