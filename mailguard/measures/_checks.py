"""A judged check before it meets its evidence: what pure judge functions return.

Judges stay pure (facts in, checks out); the measure's ``run`` attaches the evidence the facts
came from and the subject, turning each :class:`Check` into a :class:`~mailguard.core.model.Finding`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..core.findings import finding
from ..core.model import Evidence, Finding, Verdict


@dataclass(frozen=True)
class Check:
    code: str
    check: str
    verdict: Verdict
    params: Mapping[str, Any] = field(default_factory=dict)


def check(code: str, name: str, verdict: Verdict, /, **params: Any) -> Check:
    return Check(code, name, verdict, params)


def to_findings(checks: Iterable[Check], evidence: Iterable[Evidence] = (),
                subject: str = "") -> list[Finding]:
    shown = tuple(evidence)
    return [finding(c.code, c.check, c.verdict, evidence=shown, subject=subject, **c.params) for c in checks]
