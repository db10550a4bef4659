"""What ``mailguard spf -v`` prints under the result: the evaluation trace with its DNS evidence."""

from __future__ import annotations

from ..measures.spf import SpfResult


def trace(outcome: SpfResult) -> str:
    lines = [f"reason: {outcome.reason} ({outcome.rfc})",
             f"identity: {outcome.identity}  sender={outcome.sender}  domain={outcome.domain}  "
             f"ip={outcome.ip}  helo={outcome.helo}",
             f"lookups: {outcome.lookups} of 10, void lookups: {outcome.void_lookups} of 2",
             "trace:"]
    for step in outcome.trace:
        lines.append(f"{'  ' * (step.depth + 1)}{step.domain}: {step.text}")
        lines.extend(f"{'  ' * (step.depth + 3)}{e.summary}" for e in step.evidence)
    return "\n".join(lines)
