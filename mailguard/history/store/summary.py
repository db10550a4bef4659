"""A run in numbers, for ``mailguard fleet``: read from the scans' compact columns, never their
documents, so that a million-domain run is summarised in one streaming pass."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..._version import __version__
from . import Store
from .models import Run

NOT_UPHELD = "not upheld"


@dataclass
class FleetSummary:
    """What ``mailguard fleet`` shows. Domain lists are sorted; counts are per measure and verdict."""

    run_id: str
    engine: str
    started: str
    finished: str | None
    total: int
    previous_run: str | None = None
    scanned: int = 0
    not_scannable: list[str] = field(default_factory=list)
    verdicts: dict[str, Counter[str]] = field(default_factory=dict)
    failing: dict[str, list[str]] = field(default_factory=dict)
    promises_not_upheld: dict[str, list[str]] = field(default_factory=dict)
    worse: list[str] = field(default_factory=list)
    compared: int = 0  # domains that had a previous scan to compare with
    mailguard_version: str = __version__

    @property
    def missing(self) -> int:
        return max(self.total - self.scanned, 0)


def summarise(store: Store, run: Run) -> FleetSummary:
    previous = store.previous_run(run)
    summary = FleetSummary(run.id, run.engine, run.started.isoformat(timespec="seconds"),
                           run.finished.isoformat(timespec="seconds") if run.finished else None, run.total,
                           previous.id if previous else None)
    for row in store.scan_rows(run.id):
        summary.scanned += 1
        if row.error:
            summary.not_scannable.append(row.domain)
        for measure, verdict in row.statuses.items():
            summary.verdicts.setdefault(measure, Counter())[verdict] += 1
            if verdict == "fail":
                summary.failing.setdefault(measure, []).append(row.domain)
        for kind, verdict in row.promises:
            if verdict == NOT_UPHELD:
                summary.promises_not_upheld.setdefault(kind, []).append(row.domain)
        if row.worse is not None:
            summary.compared += 1
            if row.worse:
                summary.worse.append(row.domain)
    for names in [summary.not_scannable, summary.worse, *summary.failing.values(),
                  *summary.promises_not_upheld.values()]:
        names.sort()
    return summary
