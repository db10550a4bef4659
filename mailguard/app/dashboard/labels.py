"""The dashboard's own words in English and Dutch (the reports bring their own)."""

from __future__ import annotations

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
    },
    "nl": {
        "fleet": "Overzicht", "runs": "Runs", "api": "API", "fleet_title": "Overzicht: {n} domein(en)",
        "search": "Zoeken", "show": "Toon", "all": "alle domeinen", "not_upheld_filter": "beloften niet nagekomen",
        "unscannable_filter": "niet te scannen", "domain": "Domein", "last": "Laatste scan",
        "score": "Totaalscore", "trend": "Verloop", "not_upheld": "Beloften niet nagekomen",
        "since": "Sinds vorige scan", "first": "eerste scan", "worse": "slechter", "not_worse": "niet slechter",
        "not_scanned": "niet gescand", "tested": "{tested} van {checks} controles getest",
        "none": "Geen domeinen gevonden.", "page": "Pagina {page} van {pages}", "previous": "vorige",
        "next": "volgende", "over_time": "Totaalscore door de tijd", "scans": "Scans, nieuwste eerst", "run": "run",
        "overall": "totaal", "first_scan": "Eerste vastgelegde scan.", "since_before": "Sinds de vorige scan",
        "no_change": "Niets veranderd sinds de vorige scan.", "report": "rapport (HTML)",
        "runs_title": "Runs: {n}", "engine": "Engine", "started": "Gestart", "domains": "Domeinen",
        "done": "Klaar", "missing": "Ontbreekt", "unscannable": "Niet te scannen", "took": "Duur",
        "unfinished": "niet klaar", "no_runs": "Geen runs vastgelegd.",
        "error_title": "Deze pagina kan niet getoond worden",
    },
}
