"""What the dashboard's pages and its JSON API show, as plain data: the HTML templates and the
API render the same dictionaries, so the two never disagree."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ...core.model import Fulfilment, Verdict
from ...history import folder
from ...history.compare import compare
from ...history.store import Store, browse
from ...render import advice, view

PAGE_SIZE = 50
HISTORY_LIMIT = 60


def _when(value: Any) -> str:
    return value.isoformat(timespec="seconds") if value is not None else ""


def _expiry(when: datetime | None, now: datetime) -> dict[str, Any] | None:
    """The earliest certificate expiry: its time, its date and whole days left (negative: expired)."""
    if when is None:
        return None
    return {"not_after": _when(when), "date": f"{when:%Y-%m-%d}", "days": (when - now).days,
            "soon": when <= now + timedelta(days=browse.EXPIRING_DAYS)}


def fleet(store: Store, *, filter_: str | None, search: str | None, sort: str, page: int,
          size: int = PAGE_SIZE, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    total, rows = browse.fleet(store, filter_=filter_, search=search, sort=sort,
                               offset=(page - 1) * size, limit=size, now=now)
    trends = browse.trends(store, [r.domain for r in rows])
    return {
        "total": total, "page": page, "pages": max((total + size - 1) // size, 1),
        "filter": filter_, "q": search or "", "sort": sort,
        "domains": [{
            "domain": r.domain, "scan": r.scan_id, "run": r.run_id, "last_scan": _when(r.started),
            "error": r.error, "overall": r.overall,
            "coverage": {"tested": r.tested, "checks": r.checks} if r.checks is not None else None,
            "promises_not_upheld": r.not_upheld, "worse": r.worse,
            "certificate_expires": _expiry(r.cert_expires, now),
            "trend": _points(trends.get(r.domain, []), 100, 24),
        } for r in rows],
    }


def _points(scores: Sequence[int | None], width: int = 600, height: int = 120) -> str:
    """The polyline of the overall score over time (0-100, oldest left), in SVG user units."""
    known = [(i, s) for i, s in enumerate(scores) if s is not None]
    if not known:
        return ""
    step = width / max(len(scores) - 1, 1)
    return " ".join(f"{i * step:.1f},{height - s * height / 100:.1f}" for i, s in known)


def _fulfilment(verdict: str, lang: str) -> str:
    try:
        return advice.fulfilment_label(Fulfilment(verdict), lang)
    except ValueError:  # written by another mailguard version
        return verdict


def _status(status: str, lang: str) -> str:
    try:
        return view.VERDICT_LABELS[lang][Verdict(status)]
    except (ValueError, KeyError):
        return status


FORMATS = ("pdf", "html", "md", "json")


def downloads(scan_id: int, files: Mapping[str, Path], pdf: bool) -> dict[str, Any]:
    """A scan's PDF (from the report folder, else rendered when ``pdf``: WeasyPrint is here) and its
    signed files: each report file of the folder that has a signature beside it, with that signature."""
    base = f"/scan/{scan_id}/files/"
    return {
        "pdf": f"/scan/{scan_id}.pdf" if "pdf" in files or pdf else None,
        "pdf_from_folder": "pdf" in files,
        "signed": [{"format": fmt, "file": files[fmt].name, "href": base + files[fmt].name,
                    "signature": base + files[f"{fmt}.sig"].name}
                   for fmt in FORMATS if fmt in files and f"{fmt}.sig" in files],
    }


def domain(store: Store, name: str, lang: str = "en", *, reports: Path | None = None,
           pdf: bool = False) -> dict[str, Any] | None:
    """The domain's scans, newest first, each with its verdicts, what changed since the one before,
    and its downloads (``reports``: the report folder; ``pdf``: a PDF can be rendered here)."""
    history = store.history(name, HISTORY_LIMIT)
    if not history:
        return None
    scans: list[dict[str, Any]] = []
    before: Mapping[str, Any] | None = None
    for row, doc in history:
        comparison = compare(before, doc) if before is not None else None
        files = folder.scan_files(reports, name, str(doc.get("started", ""))) if reports is not None else {}
        scans.append({
            "id": row.id, "run": row.run_id, "started": _when(row.started), "error": row.error,
            "overall": row.scores.get("overall"), "coverage": (doc.get("coverage") or {}).get("overall"),
            "statuses": dict(row.statuses),
            "status_labels": {measure: _status(status, lang) for measure, status in row.statuses.items()},
            "promises": [{"kind": kind, "verdict": verdict, "label": _fulfilment(verdict, lang)}
                         for kind, verdict in row.promises],
            "worse": comparison.worse if comparison else None,
            "downloads": downloads(row.id, files, pdf),
            "changes": None if comparison is None else [
                {"code": c.code, "direction": c.direction, "subject": c.subject,
                 "label": view.LABELS[lang].get(c.direction, c.direction),
                 "text": advice.reason(c.code, c.params, c.text, lang)}
                for c in comparison.changes],
        })
        before = doc
    return {"domain": name, "trend": _points([s["overall"] for s in scans]), "scans": list(reversed(scans))}


def runs(store: Store, *, page: int, size: int = PAGE_SIZE) -> dict[str, Any]:
    total, rows = browse.runs(store, offset=(page - 1) * size, limit=size)
    return {
        "total": total, "page": page, "pages": max((total + size - 1) // size, 1),
        "runs": [{
            "id": r.id, "engine": r.engine, "started": _when(r.started), "finished": _when(r.finished) or None,
            "domains": r.total, "done": r.done, "not_scannable": r.failed,
            "seconds": round((r.finished - r.started).total_seconds(), 1) if r.finished else None,
        } for r in rows],
    }
