"""The tables: runs, the chunks a fleet run was split into, and one row per finished scan.

The report's JSON document (``scans.document``) is the unit of record; the other columns are
what queries need without opening it (status per measure, scores, whether it got worse).
Changing a table means a new Alembic revision in ``migrations/versions``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# JSONB on PostgreSQL (indexable, compact), JSON text elsewhere.
Document = JSON().with_variant(JSONB(), "postgresql")
# 64-bit ids on PostgreSQL (a million scans a night); SQLite's INTEGER PRIMARY KEY is its rowid.
ScanId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class Run(Base):
    """One batch: a local ``mailguard scan`` of several domains with ``--db``, or a fleet run."""

    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    started: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    finished: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    engine: Mapped[str] = mapped_column(String(20))
    total: Mapped[int] = mapped_column(Integer)
    settings: Mapped[dict[str, Any]] = mapped_column(Document)


class Chunk(Base):
    """A fleet run's chunk: the Celery task that scans it, and its domains (to resume a run)."""

    __tablename__ = "chunks"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[str] = mapped_column(String(64))
    domains: Mapped[list[str]] = mapped_column(Document)


class Scan(Base):
    """One finished scan of one domain in one run (recorded once, however often it ran)."""

    __tablename__ = "scans"
    __table_args__ = (
        UniqueConstraint("run_id", "domain", name="uq_scans_run_domain"),
        Index("ix_scans_domain_started", "domain", "started"),
    )

    id: Mapped[int] = mapped_column(ScanId, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    domain: Mapped[str] = mapped_column(Text)
    started: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    finished: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    statuses: Mapped[dict[str, str]] = mapped_column(Document)
    scores: Mapped[dict[str, int]] = mapped_column(Document)
    promises: Mapped[list[list[str]]] = mapped_column(Document)  # [kind, verdict] per promise
    previous_id: Mapped[int | None] = mapped_column(ScanId)
    worse: Mapped[bool | None] = mapped_column(Boolean)
    # The earliest notAfter among the mail and web server certificates seen (None: none seen).
    cert_expires: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    mailguard_version: Mapped[str] = mapped_column(String(40))
    document: Mapped[dict[str, Any]] = mapped_column(Document)
