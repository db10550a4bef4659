"""``mailguard serve``: the results database in a browser (read-only)."""

from __future__ import annotations

import click

from .options import db_option, default_db


@click.command()
@db_option("The results database (SQLite path or postgresql://...). Default: reports/mailguard.db")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback needs --token.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@click.option("--token", envvar="MAILGUARD_TOKEN", default=None,
              help="Access token every request must carry (?token=, a cookie, or Authorization: Bearer). "
                   "(env MAILGUARD_TOKEN)")
def serve(db: str | None, host: str, port: int, token: str | None) -> None:
    """Serve a read-only dashboard over the results database: the fleet, each domain's history,
    every report. Needs `pip install 'mailguard[dashboard]'`."""
    from ..app.dashboard import serve as run_server

    run_server(db or default_db(), host, port, token)
