"""The evidence report as an A4 PDF, made by WeasyPrint from the very HTML of :mod:`.html`.

WeasyPrint (the optional extra ``pdf``; it needs Pango from the system) is imported only when a
PDF is asked for. The page furniture comes from the HTML's print CSS: a running header with the
domain and the scan time, "page 3 of 9" (or "pagina 3 van 9") at the foot. The text stays text
(selectable, searchable), the fonts are embedded, and the document carries its title, subject,
creation time and producer.
"""

from __future__ import annotations

import logging

from ..core.errors import InputError
from ..core.model import ScanReport
from . import html, view


def available() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):  # OSError: WeasyPrint is there but Pango is not
        return False
    return True


def render(report: ScanReport, *, lang: str = "en", tz: str | None = None) -> bytes:
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        raise InputError(
            "PDF reports need WeasyPrint and Pango: pip install 'mailguard[pdf]' and, on Debian, "
            f"apt-get install libpango-1.0-0 libpangoft2-1.0-0 ({exc})"
        ) from exc
    # The style sheet also speaks to browsers (print-color-adjust); WeasyPrint's notes on what it
    # skips are not for the user.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    v = view.build(report, lang, tz)
    document = weasyprint.HTML(string=html.render_view(v)).render()
    metadata = document.metadata
    metadata.title = html.title(v)
    metadata.description = html.subject(v)
    metadata.created = report.started
    metadata.modified = report.finished or report.started
    metadata.generator = f"mailguard {report.mailguard_version}"
    metadata.lang = v.lang
    data: bytes = document.write_pdf()
    return data
