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


class Fulfilment(enum.StrEnum):
    """The verdict on one promise of a privacy statement."""

    UPHELD = "upheld"
    PARTLY = "partly upheld"
    NOT_UPHELD = "not upheld"
    NOT_VERIFIABLE = "not verifiable from outside"
    NOT_TESTED = "not tested"  # verifiable in principle, but the measure could not be observed


@dataclass(frozen=True)
class Promise:
    """One security promise found in a statement (or written in a check profile).

    kind: what is promised, from a fixed vocabulary (``spf``, ``dkim``, ``dmarc``, ``https``,
        ``mail-tls``, ``dnssec``, ``dane``, ``mta-sts``, ``2fa``, ``firewall``, ``antivirus``,
        ``backup``, ``encryption-at-rest``, ``audit``, ...).
    sentence: the statement's own words the promise comes from.
    domains: the domains the promise is about.
    settings: how strict the check is (e.g. ``{"dmarc_policy": "reject"}``).
    """

    kind: str
    sentence: str
    domains: tuple[str, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PromiseResult:
    """A promise, its verdict, and the reasoning from the findings that decided it.

    code/params: message-table entry for the reasoning (so it renders in Dutch and English);
    reason: the English rendering. measures: the measures consulted; findings: those that decided.
    """

    promise: Promise
    verdict: Fulfilment
    code: str
    reason: str
    params: Mapping[str, Any] = field(default_factory=dict)
    measures: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class ScanReport:
    """One scan of one domain.

    error: set when the domain could not be scanned at all (no resolver, deadline, NXDOMAIN);
    then ``measures`` may be empty or hold only not-tested results.
    resolvers: the DNS servers asked, as ``host:port``.
    scanned_from: the host name of the machine that ran the scan (where the evidence was seen).
    promises: the verdicts on the statement's promises (empty without a statement or profile).
    scores: 0-100 per area and ``overall``, computed as internet.nl scores its subtests.
    coverage: per area and ``overall``, how many of the checks that could be scored were tested
        (``{"tested": 18, "checks": 24}``): a score says nothing about the checks it leaves out.
    extra: later stages (comparisons, signatures) attach their records here by name.
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
    promises: tuple[PromiseResult, ...] = ()
    scores: Mapping[str, int] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)
    scanned_from: str = ""
    coverage: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
