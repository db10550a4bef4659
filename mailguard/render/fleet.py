"""Renderers for the database views: ``mailguard history`` and ``mailguard fleet``. They render;
the counting is in ``mailguard.history.store.summary`` and the comparing in
``mailguard.history.compare`` (as `mailguard diff` does)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from tabulate import tabulate

from ..history.compare import Comparison
from ..history.store import ScanRow
from ..history.store.summary import FleetSummary

_VERDICTS = ["pass", "info", "warn", "fail", "not tested"]
_SHOWN = 10  # names listed per line in the table; the JSON and CSV have them all

History = Sequence[tuple[ScanRow, Comparison | None]]


def _state(row: ScanRow) -> str:
    if row.error:
        return f"not scannable: {row.error}"
    return ", ".join(f"{name} {verdict}" for name, verdict in row.statuses.items())


def history_text(domain: str, steps: History) -> str:
    if not steps:
        return f"{domain}: no scans recorded"
    lines = [f"{domain}: {len(steps)} scan(s), oldest first"]
    for row, comparison in steps:
        overall = row.scores.get("overall")
        score = f"  score {overall}" if overall is not None else ""
        lines.append(f"{row.started.isoformat(timespec='seconds')}  run {row.run_id}{score}  {_state(row)}")
        if comparison is None:
            continue
        if not comparison.changes:
            lines.append("    no change")
        for change in comparison.changes:
            lines.append(f"    {change.direction:8} {change.text}")
    return "\n".join(lines)


def history_json(domain: str, steps: History) -> str:
    scans = [{"id": row.id, "run": row.run_id, "started": row.started.isoformat(), "error": row.error,
              "statuses": dict(row.statuses), "scores": dict(row.scores),
              "changes": None if comparison is None else
              [{"code": c.code, "direction": c.direction, "subject": c.subject, "text": c.text}
               for c in comparison.changes],
              "worse": None if comparison is None else comparison.worse}
             for row, comparison in steps]
    return json.dumps({"domain": domain, "scans": scans}, indent=2, ensure_ascii=False)


def _names(names: Sequence[str]) -> str:
    more = f" ... and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
    return ", ".join(names[:_SHOWN]) + more


def summary_table(s: FleetSummary) -> str:
    lines = [f"run {s.run_id} ({s.engine}), started {s.started}, "
             + (f"finished {s.finished}" if s.finished else "not finished"),
             f"{s.scanned} of {s.total} domain(s) scanned, {s.missing} missing, "
             f"{len(s.not_scannable)} not scannable", ""]
    rows = [[name, *(counts[v] for v in _VERDICTS)] for name, counts in s.verdicts.items()]
    lines.append(tabulate(rows, headers=["measure", *_VERDICTS], tablefmt="simple"))
    if s.not_scannable:
        lines += ["", f"not scannable: {_names(s.not_scannable)}"]
    for measure, names in s.failing.items():
        lines.append(f"failing {measure} ({len(names)}): {_names(names)}")
    for kind, names in s.promises_not_upheld.items():
        lines.append(f"promise not upheld: {kind} ({len(names)}): {_names(names)}")
    if s.compared:
        lines.append(f"worse than their previous scan: {len(s.worse)} of {s.compared}"
                     + (f": {_names(s.worse)}" if s.worse else ""))
    else:
        lines.append("worse than their previous scan: none had a previous scan")
    return "\n".join(lines)


def summary_json(s: FleetSummary) -> str:
    data: dict[str, Any] = {
        "run": s.run_id, "engine": s.engine, "started": s.started, "finished": s.finished,
        "previous_run": s.previous_run, "total": s.total, "scanned": s.scanned, "missing": s.missing,
        "not_scannable": s.not_scannable, "verdicts": {m: dict(c) for m, c in s.verdicts.items()},
        "failing": s.failing, "promises_not_upheld": s.promises_not_upheld,
        "compared_with_previous": s.compared, "worse": s.worse, "mailguard_version": s.mailguard_version,
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def rows_csv(rows: Callable[[], Iterable[ScanRow]]) -> Iterator[str]:
    """One row a domain: error, worse than its previous scan, each measure's status, promises not
    upheld. Two passes over ``rows()`` (the measure columns first), so a large run streams."""
    measures = sorted({m for row in rows() for m in row.statuses})
    yield _csv_line(["domain", "error", "worse", *measures, "promises_not_upheld"])
    for row in rows():
        worse = "" if row.worse is None else "yes" if row.worse else "no"
        broken = " ".join(sorted({kind for kind, verdict in row.promises if verdict == "not upheld"}))
        yield _csv_line([row.domain, row.error or "", worse, *(row.statuses.get(m, "") for m in measures), broken])


def _csv_line(values: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()
