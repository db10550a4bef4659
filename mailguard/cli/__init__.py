"""The command line: click commands only, one module per command group. What a command does is
in :mod:`mailguard.app`; errors become exit codes in one place, :mod:`.errors`."""

from __future__ import annotations

import click

from .._version import __version__
from . import fleet, reports, scan, serve, tools
from .errors import EXIT_CODES_HELP, Group


@click.group(cls=Group, epilog=EXIT_CODES_HELP)
@click.version_option(__version__, prog_name="mailguard")
def main() -> None:
    """Check the security measures a privacy statement promises against live DNS and hosts."""


for command in (scan.scan, tools.spf_command, tools.promises_command, tools.dkim, fleet.worker, fleet.history,
                fleet.fleet_summary, scan.list_measures, scan.demo, reports.keygen, reports.verify, reports.diff,
                scan.lab_server, serve.serve, serve.passwd, fleet.db_group):
    main.add_command(command)


__all__ = ["EXIT_CODES_HELP", "main"]
