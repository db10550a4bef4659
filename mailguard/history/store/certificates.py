"""A scan's earliest certificate expiry, read from its report document: what ``scans.cert_expires``
holds and the dashboard's "certificate expires within 30 days" filter asks about.

The measures that see server certificates (STARTTLS on the mail servers, the website's TLS) read
their own data (:func:`mailguard.measures.earliest_certificate_expiry`); this only walks the document.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ...measures import earliest_certificate_expiry


def earliest_expiry(document: Any) -> datetime | None:
    """The earliest notAfter (UTC) among the server certificates in a report document, or None."""
    measures = document.get("measures") if isinstance(document, Mapping) else None
    if not isinstance(measures, list):
        return None
    return earliest_certificate_expiry((str(m.get("name")), m.get("data") or {}) for m in measures
                                       if isinstance(m, Mapping))
