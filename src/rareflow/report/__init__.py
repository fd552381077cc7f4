"""Reports of a result: a self-contained HTML page (plotly, works offline) or a PDF.

write_report(Path("out/seed"), Path("out/seed/report.html"))
write_report(Path("out/seed"), Path("seed.pdf"), fmt="pdf", against=Path("out/baseline"))
"""

from __future__ import annotations

import os
from pathlib import Path

from rareflow.report.content import ReportContent, ReportError, gather
from rareflow.report.html import render
from rareflow.report.result_plots import ResultPlots  # attaches Result.plot

FORMATS = ("html", "pdf")


def write_report(
    result_dir: Path,
    out: Path,
    fmt: str = "html",
    against: Path | None = None,
    region: str | None = None,
    period: str | None = None,
) -> Path:
    """Write the report of the result in `result_dir` to `out` and return `out`.

    `against` is a baseline result directory to compare with; `region` and `period` choose the
    value-chain Sankey (default: the region with most unserved demand, the last year).
    Raises ReportError for anything the user can fix (missing directory, unknown region, ...).
    """
    if fmt not in FORMATS:
        raise ReportError(f"--format {fmt}: expected one of {', '.join(FORMATS)}")
    content = gather(Path(result_dir), against, region, period)
    target = Path(out)
    if not target.parent.is_dir():
        raise ReportError(f"{target}: the directory {target.parent} does not exist")
    # write next to the target, then rename: a reader never sees half a report
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        if fmt == "html":
            tmp.write_text(render(content), encoding="utf-8")
        else:
            from rareflow.report.pdf import write_pdf

            write_pdf(content, tmp)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


__all__ = [
    "FORMATS",
    "ReportContent",
    "ReportError",
    "ResultPlots",
    "gather",
    "render",
    "write_report",
]
