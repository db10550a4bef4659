"""Small constructors that measures use to build findings and results from the message table."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from . import messages
from .model import SEVERITY, Area, Evidence, Finding, MeasureResult, Verdict


def finding(
    code: str,
    check: str,
    verdict: Verdict,
    *,
    evidence: Iterable[Evidence] = (),
    subject: str = "",
    **params: Any,
) -> Finding:
    """A finding whose reason and RFC reference come from the message table entry ``code``."""
    message = messages.lookup(code)
    return Finding(
        code=code,
        check=check,
        verdict=verdict,
        reason=messages.render(code, params, "en"),
        rfc=message.rfc,
        params=dict(params),
        evidence=tuple(evidence),
        subject=subject,
    )


def worst(verdicts: Iterable[Verdict]) -> Verdict:
    """The most severe verdict; ``INFO`` for none."""
    return max(verdicts, key=SEVERITY.__getitem__, default=Verdict.INFO)


def result(
    name: str,
    title: str,
    area: Area,
    findings: Iterable[Finding],
    *,
    evidence: Iterable[Evidence] = (),
    data: Mapping[str, Any] | None = None,
    elapsed_ms: float = 0.0,
) -> MeasureResult:
    """A measure's result; its status is the worst verdict among its findings."""
    found = tuple(findings)
    return MeasureResult(
        name=name,
        title=title,
        area=area,
        status=worst(f.verdict for f in found),
        findings=found,
        evidence=_unique(evidence),
        data=dict(data or {}),
        elapsed_ms=elapsed_ms,
    )


def _unique(evidence: Iterable[Evidence]) -> tuple[Evidence, ...]:
    seen: set[int] = set()
    out: list[Evidence] = []
    for item in evidence:
        if id(item) not in seen:
            seen.add(id(item))
            out.append(item)
    return tuple(out)
