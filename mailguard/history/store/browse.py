"""Read-only queries behind ``mailguard serve``: the fleet (each domain's newest scan), one scan,
the runs. They read the compact columns and, for a page of rows, two small paths of the document."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, Text, cast, func, select

from . import Store
from .models import Run, Scan

NOT_UPHELD = "not upheld"
FILTERS = ("not-upheld", "unscannable", "cert-expiring")
SORTS = ("domain", "-domain", "last", "-last", "score", "-score", "expiry", "-expiry")
EXPIRING_DAYS = 30  # "cert-expiring": a certificate that expired or expires within this many days


@dataclass(frozen=True)
class FleetRow:
    """A domain and its newest scan."""

    scan_id: int
    domain: str
    run_id: str
    started: datetime
    error: str | None
    overall: int | None
    tested: int | None
    checks: int | None
    not_upheld: int
    worse: bool | None
    cert_expires: datetime | None  # the earliest notAfter among the certificates seen (UTC)


@dataclass(frozen=True)
class RunRow:
    id: str
    engine: str
    started: datetime
    finished: datetime | None
    total: int
    done: int
    failed: int


def _newest() -> Any:
    return select(func.max(Scan.id).label("id")).group_by(Scan.domain).subquery()


def _filtered(query: Select[Any], filter_: str | None, search: str | None, now: datetime) -> Select[Any]:
    if filter_ == "not-upheld":
        query = query.where(cast(Scan.promises, Text).like(f'%"{NOT_UPHELD}"%'))
    elif filter_ == "unscannable":
        query = query.where(Scan.error.is_not(None))
    elif filter_ == "cert-expiring":
        # in UTC, as stored (SQLite keeps the UTC time without its offset)
        soon = now.astimezone(UTC) + timedelta(days=EXPIRING_DAYS)
        query = query.where(Scan.cert_expires.is_not(None), Scan.cert_expires <= soon)
    if search:
        query = query.where(Scan.domain.contains(search.strip().lower(), autoescape=True))
    return query


def fleet(store: Store, *, filter_: str | None = None, search: str | None = None, sort: str = "domain",
          offset: int = 0, limit: int = 50, now: datetime | None = None) -> tuple[int, list[FleetRow]]:
    """(domains matching, one page of them): each domain's newest scan, filtered, searched, sorted.

    ``now`` is the clock "cert-expiring" counts from (default: the current time)."""
    now = now or datetime.now(UTC)
    newest = _newest()
    overall = Scan.scores["overall"].as_integer()
    base = _filtered(select(Scan.id).join(newest, Scan.id == newest.c.id), filter_, search, now)
    order = {"domain": Scan.domain, "last": Scan.started, "score": overall,
             "expiry": Scan.cert_expires}[sort.lstrip("-")]
    # domains without a certificate (or a score) come last either way
    ordering = [(order.desc() if sort.startswith("-") else order.asc()).nulls_last(), Scan.domain.asc()]
    page = _filtered(select(Scan.id, Scan.domain, Scan.run_id, Scan.started, Scan.error, overall,
                            Scan.document["coverage"]["overall"]["tested"].as_integer(),
                            Scan.document["coverage"]["overall"]["checks"].as_integer(),
                            Scan.promises, Scan.worse, Scan.cert_expires).join(newest, Scan.id == newest.c.id),
                     filter_, search, now)
    with store.engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(base.subquery())).scalar_one()
        rows = conn.execute(page.order_by(*ordering).offset(offset).limit(limit)).all()
    return total, [FleetRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7],
                            sum(1 for _kind, verdict in (r[8] or []) if verdict == NOT_UPHELD), r[9],
                            _utc(r[10]))
                   for r in rows]


def _utc(value: datetime | None) -> datetime | None:
    """A stored time as UTC (SQLite gives it back without its offset)."""
    if value is None:
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def scan(store: Store, scan_id: int) -> tuple[str, dict[str, Any]] | None:
    """(domain, document) of one scan."""
    with store.engine.connect() as conn:
        row = conn.execute(select(Scan.domain, Scan.document).where(Scan.id == scan_id)).first()
    return (row[0], row[1]) if row else None


def scan_ids(store: Store, domain: str, limit: int) -> list[int]:
    """The domain's newest ``limit`` scan ids, oldest first."""
    with store.engine.connect() as conn:
        ids = conn.execute(select(Scan.id).where(Scan.domain == domain)
                           .order_by(Scan.started.desc(), Scan.id.desc()).limit(limit)).scalars().all()
    return list(reversed(ids))


def runs(store: Store, *, offset: int = 0, limit: int = 50) -> tuple[int, list[RunRow]]:
    """Runs, newest first, with how many domains each recorded and how many could not be scanned."""
    counts = (select(Scan.run_id, func.count().label("done"),
                     func.count(Scan.error).label("failed")).group_by(Scan.run_id).subquery())
    query = (select(Run.id, Run.engine, Run.started, Run.finished, Run.total,
                    func.coalesce(counts.c.done, 0), func.coalesce(counts.c.failed, 0))
             .outerjoin(counts, counts.c.run_id == Run.id)
             .order_by(Run.started.desc(), Run.id.desc()).offset(offset).limit(limit))
    with store.engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(Run)).scalar_one()
        rows = conn.execute(query).all()
    return total, [RunRow(*r) for r in rows]


def trends(store: Store, domains: list[str], limit: int = 30) -> dict[str, list[int | None]]:
    """Each domain's overall score in its newest ``limit`` scans, oldest first (None: not scanned)."""
    if not domains:
        return {}
    found: dict[str, list[int | None]] = {d: [] for d in domains}
    with store.engine.connect() as conn:
        rows = conn.execute(select(Scan.domain, Scan.scores["overall"].as_integer())
                            .where(Scan.domain.in_(domains)).order_by(Scan.domain, Scan.started, Scan.id)).all()
    for domain, overall in rows:
        found[domain].append(overall)
    return {d: scores[-limit:] for d, scores in found.items()}
