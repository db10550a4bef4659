"""The dashboard's own words: English here, Dutch from the gettext catalog (the reports bring their own)."""

from __future__ import annotations

from ...core.i18n import translate

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "fleet": "Fleet", "runs": "Runs", "api": "API", "fleet_title": "Fleet: {n} domain(s)", "search": "Search",
        "show": "Show", "all": "all domains", "not_upheld_filter": "promises not upheld",
        "unscannable_filter": "could not be scanned", "domain": "Domain", "last": "Last scan",
        "score": "Overall score", "trend": "Trend", "not_upheld": "Promises not upheld",
        "since": "Since previous scan", "first": "first scan", "worse": "worse", "not_worse": "not worse",
        "not_scanned": "not scanned", "tested": "{tested} of {checks} checks tested", "none": "No domains match.",
        "page": "Page {page} of {pages}", "previous": "previous", "next": "next",
        "over_time": "Overall score over time", "scans": "Scans, newest first", "run": "run",
        "overall": "overall", "first_scan": "First scan recorded.", "since_before": "Since the scan before",
        "no_change": "No change since the scan before.", "report": "report (HTML)",
        "runs_title": "Runs: {n}", "engine": "Engine", "started": "Started", "domains": "Domains", "done": "Done",
        "missing": "Missing", "unscannable": "Not scannable", "took": "Time taken", "unfinished": "not finished",
        "no_runs": "No runs recorded.", "error_title": "Cannot show this page",
        "cert_filter": "certificate expired or expires within 30 days", "cert": "Certificate expires",
        "cert_days": "in {days} days", "cert_expired": "expired", "signed": "Signed files",
        "signature": "signature",
    },
}
LABELS["nl"] = {key: translate(text, "nl", f"dashboard:{key}") for key, text in LABELS["en"].items()}
