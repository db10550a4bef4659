"""runs, chunks and scans

Revision ID: 0001
Revises:
Create Date: 2026-05-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mailguard.history.store.models import Document, ScanId

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("started", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished", sa.DateTime(timezone=True)),
        sa.Column("engine", sa.String(20), nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("settings", Document, nullable=False),
    )
    op.create_index("ix_runs_started", "runs", ["started"])
    op.create_table(
        "chunks",
        sa.Column("run_id", sa.String(40), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("task_id", sa.String(64), nullable=False),
        sa.Column("domains", Document, nullable=False),
    )
    op.create_table(
        "scans",
        sa.Column("id", ScanId, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(40), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("domain", sa.Text, nullable=False),
        sa.Column("started", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished", sa.DateTime(timezone=True), nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("statuses", Document, nullable=False),
        sa.Column("scores", Document, nullable=False),
        sa.Column("promises", Document, nullable=False),
        sa.Column("previous_id", ScanId),
        sa.Column("worse", sa.Boolean),
        sa.Column("mailguard_version", sa.String(40), nullable=False),
        sa.Column("document", Document, nullable=False),
        sa.UniqueConstraint("run_id", "domain", name="uq_scans_run_domain"),
    )
    op.create_index("ix_scans_run_id", "scans", ["run_id"])
    op.create_index("ix_scans_started", "scans", ["started"])
    op.create_index("ix_scans_domain_started", "scans", ["domain", "started"])


def downgrade() -> None:
    op.drop_table("scans")
    op.drop_table("chunks")
    op.drop_index("ix_runs_started", "runs")
    op.drop_table("runs")
