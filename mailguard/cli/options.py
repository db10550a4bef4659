"""Options several commands share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click


def network_options(func: Any) -> Any:
    """Options every command that talks to the network shares."""
    options = [
        click.option("--nameserver", "nameservers", multiple=True, metavar="HOST[:PORT]",
                     help="Resolver to ask (repeatable). Default: the system's resolvers."),
        click.option("--timeout", type=click.FloatRange(0.1, 120), default=5.0, show_default=True,
                     help="Seconds for any single network wait."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def db_option(text: str) -> Callable[[Any], Any]:
    return click.option("--db", envvar="MAILGUARD_DB", metavar="URL", help=f"{text} (env MAILGUARD_DB)")


def fleet_options(func: Any) -> Any:
    """Options of the fleet engine and the results database."""
    options = [
        click.option("--engine", type=click.Choice(["local", "celery"]), default="local", show_default=True,
                     help="local: this process. celery: chunks sent to `mailguard worker`s through --broker."),
        click.option("--broker", envvar="MAILGUARD_BROKER", metavar="URL",
                     help="Redis URL of the Celery broker, redis://HOST:6379/0 (env MAILGUARD_BROKER)."),
        click.option("--chunk-size", type=click.IntRange(1, 100_000), default=200, show_default=True,
                     help="Domains per Celery task."),
        db_option("Record every finished scan in this database (SQLite path or postgresql://...). "
                  "Default with --engine celery: reports/mailguard.db."),
        click.option("--run", "run_id", metavar="RUN_ID",
                     help="Resume collecting the results of this fleet run (printed when it started)."),
        click.option("--stall-timeout", type=click.FloatRange(1, 7 * 24 * 3600), default=7200,
                     show_default=True, metavar="SECONDS",
                     help="Give up (exit 3, resumable with --run) when no chunk has finished for this long: "
                          "no worker running, or a chunk lost. Keep it above the workers' --visibility-timeout "
                          "(default 3600), after which a dead worker's chunk runs again."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def default_db() -> str:
    """reports/mailguard.db, without loading the database code for --help."""
    from ..history.store import DEFAULT_DB

    return DEFAULT_DB


def allow_network_option(func: Any) -> Any:
    """The network boundary's one opening: non-public networks the user lets mailguard contact."""
    return click.option(
        "--allow-network", "allowed_networks", multiple=True, metavar="CIDR",
        help="Also contact addresses in this non-public network (repeatable), e.g. 127.0.0.0/8 for a "
             "lab. By default only public addresses are contacted: loopback, private, link-local and "
             "other internal ranges are refused.")(func)


def statement_budget_option(func: Any) -> Any:
    return click.option(
        "--statement-budget", type=click.FloatRange(1, 600), default=20.0, show_default=True, metavar="SECONDS",
        help="Wall-clock budget for reading a statement (parsing and finding its promises); a statement "
             "that takes longer, or more than 256 MiB of memory, is refused.")(func)
