"""The result model: frozen records that every measure produces and every renderer reads.

Nothing here has behaviour beyond ordering verdicts. Data flows one way:
network observations -> Evidence -> Finding -> MeasureResult -> ScanReport.
Every field is JSON-serialisable through :func:`mailguard.render.json.to_jsonable`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = "mailguard.report/1"


class Verdict(enum.StrEnum):
    """The outcome of one check. ``NOT_TESTED`` means "could not be observed", never "bad"."""

    PASS = "pass"
    INFO = "info"
    WARN = "warn"
    FAIL = "fail"
    NOT_TESTED = "not tested"


# How bad a verdict is, for summaries and the --fail-on threshold. NOT_TESTED is ranked
# between PASS and WARN: it is never a failure, but it must not hide behind a pass.
SEVERITY: Mapping[Verdict, int] = {
    Verdict.INFO: 0,
    Verdict.PASS: 1,
    Verdict.NOT_TESTED: 2,
    Verdict.WARN: 3,
    Verdict.FAIL: 4,
}


class Area(enum.StrEnum):
    """The areas a score is given for, as internet.nl groups its tests."""

    MAIL_AUTH = "mail-authentication"
    MAIL_TRANSPORT = "mail-transport"
    WEBSITE = "website"
    DOMAIN = "domain"


@dataclass(frozen=True)
class Evidence:
    """One observation, exactly as seen on the wire.

    kind: ``dns``, ``tls``, ``smtp``, ``http`` or ``input`` (something the user gave us).
    summary: one human line, e.g. ``TXT example.nl @127.0.0.1:53 NOERROR flags=qr rd ra 2 RR 3.1 ms``.
    data: the facts behind the summary (query, answer records with TTLs, handshake facts...).
    """

    kind: str
    summary: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    """One judged check.

    code: stable identifier (``SPF-ALL-PASS``); renderers translate it with the message table.
    check: short name of what was checked (``all qualifier``).
    verdict: the outcome.
    reason: the English one-line reason, filled from the message table and ``params``.
    rfc: the standard and section the check rests on (``RFC 7208 §5.1``).
    params: the values the message template was filled with (for other languages).
    evidence: the observations that support the verdict (possibly shared with other findings).
    subject: what the finding is about when a measure covers several things (an MX host, a URL).
    """

    code: str
    check: str
    verdict: Verdict
    reason: str
    rfc: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    evidence: tuple[Evidence, ...] = ()
    subject: str = ""


@dataclass(frozen=True)
class MeasureResult:
    """Everything one measure found for one domain.

    name: registry name (``spf``); title: human title (``SPF``); area: for scores.
    status: the worst verdict among the findings (``NOT_TESTED`` if it could not run).
    findings: the judged checks; evidence: every observation gathered, in order.
    data: the parsed facts later stages use (the record, the policy, lookup counts...).
    elapsed_ms: wall time of the measure.
    """

    name: str
    title: str
    area: Area
    status: Verdict
    findings: tuple[Finding, ...]
    evidence: tuple[Evidence, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)
    elapsed_ms: float = 0.0


@dataclass(frozen=True)
class ScanReport:
    """One scan of one domain.

    error: set when the domain could not be scanned at all (no resolver, deadline, NXDOMAIN);
    then ``measures`` may be empty or hold only not-tested results.
    resolvers: the DNS servers asked, as ``host:port``.
    extra: later stages (promises, scores, comparisons) attach their records here by name.
    """

    domain: str
    started: str
    finished: str
    elapsed_ms: float
    mailguard_version: str
    resolvers: tuple[str, ...]
    measures: tuple[MeasureResult, ...]
    error: str | None = None
    schema: str = SCHEMA_VERSION
    extra: Mapping[str, Any] = field(default_factory=dict)
