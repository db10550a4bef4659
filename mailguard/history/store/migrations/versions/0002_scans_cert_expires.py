"""scans.cert_expires: each scan's earliest certificate expiry, filled for the scans already recorded

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04

The column is nullable: a scan that saw no certificate (no STARTTLS, no website, not scannable)
has none. Scans recorded before this revision get theirs from their own report document, read
in batches so that a large database is upgraded in bounded memory.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mailguard.history.store.certificates import earliest_expiry
from mailguard.history.store.models import Document, ScanId

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BATCH = 500


def upgrade() -> None:
    op.add_column("scans", sa.Column("cert_expires", sa.DateTime(timezone=True), nullable=True))
    scans = sa.table("scans", sa.column("id", ScanId), sa.column("document", Document),
                     sa.column("cert_expires", sa.DateTime(timezone=True)))
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(sa.select(scans.c.id, scans.c.document).where(scans.c.id > last)
                            .order_by(scans.c.id).limit(BATCH)).all()
        if not rows:
            return
        for scan_id, document in rows:
            expires = earliest_expiry(document)
            if expires is not None:
                conn.execute(sa.update(scans).where(scans.c.id == scan_id).values(cert_expires=expires))
        last = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.drop_column("cert_expires")
