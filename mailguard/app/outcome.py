"""What a run's reports mean as an exit code (0, 1, 3, 4): the documented, stable contract.

Errors (exit 2 and 3 for a run that could not start) are mapped in one place, ``mailguard.cli.errors``;
this module turns finished reports into the code a cron job reads. When several apply, the first
in this order wins: 2 > 3 > 4 > 1 > 0. Why this order: 2 and 3 mean there is no (complete)
evidence, so nothing else can be relied on; 4 is news (something regressed since the last run)
while 1 may have been true for months, so a cron job that alerts on 4 sees each regression once,
and 1 stays visible when nothing changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..core.model import SEVERITY, Fulfilment, ScanReport, Verdict

if TYPE_CHECKING:
    from .batch import BatchTally

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_UNSCANNABLE, EXIT_WORSE = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT


def exit_code(reports: Sequence[ScanReport], fail_on: str, *, worse: bool = False) -> int:
    """The documented exit code; ``worse``: some report is worse than its previous one."""
    if any(r.error for r in reports):
        return EXIT_UNSCANNABLE
    if worse:
        return EXIT_WORSE
    return EXIT_FINDINGS if any(at_threshold(r, fail_on) for r in reports) else EXIT_OK


def at_threshold(report: ScanReport, fail_on: str) -> bool:
    """A finding at or above the threshold, or a promise not upheld (partly, with --fail-on warn)."""
    threshold = SEVERITY[Verdict.WARN if fail_on == "warn" else Verdict.FAIL]
    for measure in report.measures:
        if any(SEVERITY[f.verdict] >= threshold and f.verdict != Verdict.NOT_TESTED
               for f in measure.findings):
            return True
    broken = {Fulfilment.NOT_UPHELD} | ({Fulfilment.PARTLY} if fail_on == "warn" else set())
    return any(p.verdict in broken for p in report.promises)


def batch_exit_code(tally: BatchTally, fail_on: str, *, worse: bool = False) -> int:
    """Several domains: 3 when none could be scanned; 4 when any report is worse than its previous
    one; 1 when any failed or could not be scanned."""
    if tally.domains and tally.unscannable == tally.domains:
        return EXIT_UNSCANNABLE
    if worse:
        return EXIT_WORSE
    if tally.unscannable or tally.failing:
        return EXIT_FINDINGS
    return EXIT_OK
