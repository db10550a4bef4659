"""Alembic environment: mailguard runs migrations itself, on a connection it passes in.

``mailguard.history.store.open_store`` calls ``alembic.command.upgrade(config, "head")`` with the open
connection in ``config.attributes["connection"]``; there is no alembic.ini.
"""

from __future__ import annotations

from alembic import context

from mailguard.history.store.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
