"""What changed between two scans of a domain, for ``mailguard history`` and ``mailguard fleet``.

A stand-in with the interface of ``mailguard.compare`` (branch ``report``: ``compare(old, new)``
on two report documents, returning changes with a direction and ``worse``): when that module
lands, this one becomes ``from ..compare import Change, Comparison, compare``. It is PURE and
compares only what the report says about itself: whether the domain could be scanned, each
measure's status, each check's verdict and each promise's verdict.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

WORSE, BETTER, CHANGED = "worse", "better", "changed"
# fail < warn < pass = info; "not tested" is a change, never worse (a probe that timed out once
# must not page anyone).
_RANK = {"fail": 0, "warn": 1, "pass": 2, "info": 2}
_PROMISE_RANK = {"not upheld": 0, "partly upheld": 1, "upheld": 2}


@dataclass(frozen=True)
class Change:
    code: str
    direction: str
    subject: str
    params: Mapping[str, Any] = field(default_factory=dict)
    text: str = ""


@dataclass(frozen=True)
class Comparison:
    domain: str
    old_started: str
    new_started: str
    changes: tuple[Change, ...]

    @property
    def worse(self) -> bool:
        return any(c.direction == WORSE for c in self.changes)


def compare(old: Mapping[str, Any], new: Mapping[str, Any]) -> Comparison:
    """Every change from report document ``old`` to ``new`` (see the module docstring)."""
    changes = [*_scannable(old, new), *_verdicts(_checks(old), _checks(new), "CHANGE-FINDING"),
               *_verdicts(_promises(old), _promises(new), "CHANGE-PROMISE", _PROMISE_RANK)]
    return Comparison(str(new.get("domain", "")), str(old.get("started", "")), str(new.get("started", "")),
                      tuple(changes))


def _scannable(old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[Change]:
    before, after = old.get("error"), new.get("error")
    if before and not after:
        yield Change("CHANGE-SCANNABLE", CHANGED, str(new.get("domain", "")), {"was": before},
                     f"could be scanned again (was: {before})")
    elif after and not before:
        yield Change("CHANGE-UNSCANNABLE", CHANGED, str(new.get("domain", "")), {"error": after},
                     f"could not be scanned: {after}")


def _checks(doc: Mapping[str, Any]) -> dict[str, str]:
    """'measure: check (subject)' -> the lowest verdict among its findings."""
    found: dict[str, str] = {}
    for measure in doc.get("measures", ()):
        for item in measure.get("findings", ()):
            key = f"{measure.get('name')}: {item.get('check')}" + (
                f" ({item['subject']})" if item.get("subject") else "")
            verdict = str(item.get("verdict"))
            if key not in found or _RANK.get(verdict, 9) < _RANK.get(found[key], 9):
                found[key] = verdict
    return found


def _promises(doc: Mapping[str, Any]) -> dict[str, str]:
    return {f"promise {p['promise']['kind']}: {p['promise'].get('sentence', '')[:60]}": str(p.get("verdict"))
            for p in doc.get("promises", ()) if isinstance(p, Mapping) and "promise" in p}


def _verdicts(old: dict[str, str], new: dict[str, str], code: str,
              rank: Mapping[str, int] = _RANK) -> Iterator[Change]:
    for key in sorted(old.keys() | new.keys()):
        before, after = old.get(key, "absent"), new.get(key, "absent")
        if before == after:
            continue
        if before in rank and after in rank:
            direction = WORSE if rank[after] < rank[before] else BETTER if rank[after] > rank[before] else CHANGED
        elif after == "absent":
            direction = BETTER if rank.get(before, 9) < 2 else CHANGED
        elif before == "absent":
            direction = WORSE if rank.get(after, 9) < 2 else CHANGED
        else:
            direction = CHANGED
        yield Change(code, direction, key, {"old": before, "new": after}, f"{key}: {before} -> {after}")
