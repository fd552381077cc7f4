"""The PDF report: the static HTML page (SVG charts) laid out by WeasyPrint.

WeasyPrint needs the system's Pango library (Debian: libpango-1.0-0, libpangoft2-1.0-0); when
it cannot be loaded the error says so in one line instead of a traceback.
"""

from __future__ import annotations

from pathlib import Path

from rareflow.report.content import ReportContent, ReportError
from rareflow.report.html import render


def write_pdf(content: ReportContent, out: Path) -> Path:
    """Render `content` to a PDF file at `out`."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: the Pango shared library is missing
        raise ReportError(
            f"PDF reports need WeasyPrint and the Pango library (pip install weasyprint; "
            f"apt-get install libpango-1.0-0 libpangoft2-1.0-0): {exc}"
        ) from None
    page = render(content, static=True)
    HTML(string=page, base_url=str(out.parent)).write_pdf(out)
    return out
