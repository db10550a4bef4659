"""``mailguard serve`` (the results database in a browser, read-only) and ``mailguard passwd`` (an
entry of its password file)."""

from __future__ import annotations

from pathlib import Path

import click

from .options import db_option, default_db


@click.command()
@db_option("The results database (SQLite path or postgresql://...). Default: reports/mailguard.db")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback needs --token or --password-file.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@click.option("--token", envvar="MAILGUARD_TOKEN", default=None,
              help="Access token every request must carry (?token=, a cookie, or Authorization: Bearer). "
                   "(env MAILGUARD_TOKEN)")
@click.option("--password-file", envvar="MAILGUARD_PASSWORD_FILE", metavar="PATH",
              type=click.Path(dir_okay=False, path_type=Path),
              help="Users who may log in (HTTP Basic): 'user:hash' lines, scrypt hashes written by "
                   "`mailguard passwd PATH USER`. Read at start; with --token, either admits. Use it behind "
                   "TLS (a reverse proxy): Basic sends the password with every request. "
                   "(env MAILGUARD_PASSWORD_FILE)")
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"),
              show_default=True,
              help="The report folder the scans wrote (scan --report-dir): each scan's PDF and signed files "
                   "are offered from it. A scan without a PDF there gets one rendered (needs WeasyPrint).")
def serve(db: str | None, host: str, port: int, token: str | None, password_file: Path | None,
          report_dir: Path) -> None:
    """Serve a read-only dashboard over the results database: the fleet, each domain's history,
    every report. Needs `pip install 'mailguard[dashboard]'`."""
    from ..app.dashboard import serve as run_server

    run_server(db or default_db(), host, port, token, password_file, report_dir)


@click.command()
@click.argument("password_file", metavar="PASSWORD_FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("user")
def passwd(password_file: Path, user: str) -> None:
    """Add USER to the password file of `mailguard serve --password-file`, or change their password.

    The password is asked twice, without echo, and kept only as a salted scrypt hash. The file is
    created (readable by you alone) when it does not exist."""
    from ..app.dashboard.passwords import check_user, set_password

    check_user(user)
    password = click.prompt(f"password for {user}", hide_input=True, confirmation_prompt=True, err=True)
    replaced = set_password(password_file, user, password)
    click.echo(f"{'changed the password of' if replaced else 'added'} {user} in {password_file}", err=True)
