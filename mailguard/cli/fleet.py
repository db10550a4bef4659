"""``mailguard worker``, ``history``, ``fleet`` and ``db``: the fleet engine and the results database. Click only."""

from __future__ import annotations

import click

from ..app.outcome import EXIT_OK, EXIT_UNSCANNABLE
from .options import allow_network_option, db_option, default_db


@click.command()
@click.option("--broker", envvar="MAILGUARD_BROKER", metavar="URL", required=True,
              help="Redis URL of the Celery broker, redis://HOST:6379/0 (env MAILGUARD_BROKER).")
@click.option("--concurrency", type=click.IntRange(1, 5000), default=100, show_default=True,
              help="Domains in flight in this worker's event loop.")
@db_option("Write results to this database (SQLite path or postgresql://...). "
           "Default: the one the submitting `mailguard scan` names")
@click.option("--visibility-timeout", type=click.FloatRange(5, 7 * 24 * 3600), default=3600, show_default=True,
              help="Seconds before a chunk a dead worker took is handed out again; longer than a chunk's deadline.")
@click.option("--name", metavar="NAME", help="Worker name (default mailguard-PID@HOST).")
@click.option("--loglevel", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]), default="INFO",
              show_default=True)
@allow_network_option
@click.pass_context
def worker(ctx: click.Context, broker: str, concurrency: int, db: str | None, visibility_timeout: float,
           name: str | None, loglevel: str, allowed_networks: tuple[str, ...]) -> None:
    """Run a Celery worker that scans the chunks `mailguard scan --engine celery` sends.

    One chunk at a time per worker process (start one worker per core); inside it, up to
    --concurrency domains in flight on one event loop, exactly as a local batch. A chunk opens the
    network boundary no further than this worker's --allow-network.
    """
    from ..app.run import need_fleet
    from ..app.settings import parse_networks

    parse_networks(allowed_networks)  # a bad CIDR is a usage error now, not at the first chunk
    celery_app, _fleet = need_fleet()
    ctx.exit(celery_app.run_worker(broker, concurrency=concurrency, db=db, visibility_timeout=visibility_timeout,
                                   name=name, loglevel=loglevel, allowed_networks=allowed_networks))


@click.command()
@click.argument("domain")
@db_option("The results database (SQLite path or postgresql://...). Default: reports/mailguard.db")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True,
              help="Show the newest this many scans.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def history(ctx: click.Context, domain: str, db: str | None, limit: int, fmt: str) -> None:
    """List DOMAIN's recorded scans and what changed between consecutive ones."""
    from ..app.tools import history_steps
    from ..core.names import normalize_domain
    from ..render import fleet as render_fleet

    name = normalize_domain(domain)
    steps = history_steps(name, db or default_db(), limit)
    render = render_fleet.history_json if fmt == "json" else render_fleet.history_text
    click.echo(render(name, steps))
    ctx.exit(EXIT_OK if steps else EXIT_UNSCANNABLE)


@click.command("fleet")
@click.argument("run_id", required=False, metavar="[RUN]")
@db_option("The results database (SQLite path or postgresql://...). Default: reports/mailguard.db")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True,
              help="table: the run in counts; csv: one row a domain; json: both.")
@click.pass_context
def fleet_summary(ctx: click.Context, run_id: str | None, db: str | None, fmt: str) -> None:
    """Summarise a run (default: the newest): scanned, not scannable, failing each measure,
    promises not upheld, and the domains that got worse since their previous scan."""
    from ..app.tools import run_summary

    run_summary(db or default_db(), run_id, fmt, lambda text, newline: click.echo(text, nl=newline))
    ctx.exit(EXIT_OK)


@click.group("db")
def db_group() -> None:
    """Look after the results database."""


@db_group.command("upgrade")
@db_option("The results database (SQLite path or postgresql://...). Default: reports/mailguard.db")
def db_upgrade(db: str | None) -> None:
    """Migrate the results database to this version's schema (`mailguard serve` only reads and
    never migrates; a scan with --db migrates too). Safe to run twice; takes the migration lock."""
    from ..app.tools import upgrade_database

    click.echo(upgrade_database(db or default_db()))
