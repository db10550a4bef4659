"""The one place where errors become exit codes (documented in --help and the README).

Commands and the application raise :class:`~mailguard.core.errors.MailguardError`s; the command
group below prints each as one line on stderr and exits with its code. Finished runs return the
code of their reports (:mod:`mailguard.app.outcome`).
"""

from __future__ import annotations

from typing import Any

import click

from ..app.outcome import EXIT_UNSCANNABLE, EXIT_USAGE
from ..core.errors import InputError, MailguardError

EXIT_CODES_HELP = """\b
Exit codes (when several apply: 2 > 3 > 4 > 1 > 0):
  0  nothing at or above the failure threshold (--fail-on)
  1  findings at or above the threshold, or a promise not upheld
  2  bad usage or input (e.g. an invalid domain name, a bad config file)
  3  could not scan (no resolver reachable, no such domain, deadline passed, broker or database down, fleet run stalled)
  4  worse than the previous report in the report folder
With several domains: 3 only when none could be scanned; 1 when any has findings at or
above the threshold or could not be scanned. 130: interrupted (Ctrl-C); finished results kept.
"""

# Most specific first: bad usage or input is 2, any other error (no resolver, database or
# broker down, a stalled fleet run) means the run could not scan: 3.
EXIT_FOR_ERROR: tuple[tuple[type[MailguardError], int], ...] = (
    (InputError, EXIT_USAGE),
    (MailguardError, EXIT_UNSCANNABLE),
)


def exit_code_for(error: MailguardError) -> int:
    return next(code for kind, code in EXIT_FOR_ERROR if isinstance(error, kind))


class Group(click.Group):
    """A click group whose commands' errors end as ``mailguard: <message>`` and their exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MailguardError as exc:
            click.echo(f"mailguard: {exc}", err=True)
            ctx.exit(exit_code_for(exc))
