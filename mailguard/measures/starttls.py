"""STARTTLS on every MX host, on every address (RFC 3207, RFC 5321, NCSC-NL TLS guidelines).

For each MX host and each of its IPv4 and IPv6 addresses, concurrently: connect to port 25 (or
``config.smtp_port``), read the banner, EHLO, STARTTLS, handshake with certificate checks off
(so a bad certificate is reported, never mistaken for "no STARTTLS"), then judge the handshake
with :mod:`mailguard.measures.tlseval`, the evaluation the website checks share, and probe which protocol
versions and weak cipher suites the server still accepts.

A port that cannot be reached from here, a server that never greets or stalls in the handshake,
a server that refuses our session: "not tested", never "fail".

``data["hosts"]``: one entry per (host, address): ``host``, ``address``, ``port``, ``status``
(the SMTP session's), ``starttls`` (True offered and working / False not offered or broken / None
not tested), ``banner``, ``tls`` (:func:`mailguard.measures.tlseval.summary`). ``data["all_starttls"]``:
every tested address offers working STARTTLS (None when none could be tested).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..core import messages
from ..core.config import Config
from ..core.findings import finding, result
from ..core.messages import Message
from ..core.model import Area, Evidence, Finding, MeasureResult, Verdict
from ..net import DnsAnswer, Net
from ..net import smtp as smtp_net
from ..net import tls as tls_net
from ..net.smtp import SmtpObservation
from . import mx, tlseval

NAME = "starttls"
TITLE = "STARTTLS"
AREA = Area.MAIL_TRANSPORT

MESSAGES = {
    "STARTTLS-MX-FAILED": Message(
        "MX lookup failed ({status}): STARTTLS not tested",
        "RFC 5321 §5.1",
    ),
    "STARTTLS-NO-MX": Message(
        "no MX records: no mail server to test",
        "RFC 5321 §5.1",
    ),
    "STARTTLS-NULL-MX": Message(
        "null MX: the domain receives no mail, nothing to test",
        "RFC 7505",
    ),
    "STARTTLS-NO-ADDRESS": Message(
        "{host} has no usable address: STARTTLS not tested",
        "RFC 5321 §5.1",
    ),
    "STARTTLS-UNREACHABLE": Message(
        "not tested: port {port} unreachable from here ({error})",
        "RFC 5321 §3.1",
    ),
    "STARTTLS-NO-BANNER": Message(
        "not tested: no SMTP greeting within {timeout:g} s",
        "RFC 5321 §4.5.3.2.1",
    ),
    "STARTTLS-STALLED": Message(
        "not tested: the server stopped answering during {stage} ({error})",
        "RFC 5321 §4.5.3.2",
    ),
    "STARTTLS-SESSION-REFUSED": Message(
        "not tested: the server refused the session ({error})",
        "RFC 5321 §3.1",
    ),
    "STARTTLS-CLOSED": Message(
        "not tested: the server closed the connection during {stage}",
        "RFC 5321 §3.8",
    ),
    "STARTTLS-NOT-SMTP": Message(
        "the server does not answer in SMTP: {error}",
        "RFC 5321 §4.2",
    ),
    "STARTTLS-BANNER": Message("greets with: {banner}", "RFC 5321 §4.3.1"),
    "STARTTLS-WORKS": Message(
        "STARTTLS offered and working ({version})",
        "RFC 3207 §4",
    ),
    "STARTTLS-NOT-OFFERED": Message(
        "STARTTLS not offered: mail to this server travels unencrypted",
        "RFC 3207 §4",
    ),
    "STARTTLS-COMMAND-REFUSED": Message(
        "STARTTLS offered, but the command was refused: {reply}",
        "RFC 3207 §4",
    ),
    "STARTTLS-HANDSHAKE-FAILED": Message(
        "STARTTLS offered, but the TLS handshake failed: {error}",
        "RFC 3207 §4.1",
    ),
    "STARTTLS-HANDSHAKE-STALLED": Message(
        "not tested: STARTTLS offered, but the TLS handshake did not finish ({error})",
        "RFC 3207 §4",
    ),
    "STARTTLS-PLAINTEXT-AFTER-REPLY": Message(
        "the server sent plaintext after its STARTTLS reply, before TLS began",
        "RFC 3207 §5",
    ),
}
messages.register(MESSAGES)


async def run(net: Net, domain: str, config: Config) -> MeasureResult:
    started = time.monotonic()
    answer, hosts = await mx.mx_hosts(net, domain)
    evidence: list[Evidence] = [answer.evidence]
    findings: list[Finding] = []
    data: dict[str, Any] = {"hosts": [], "all_starttls": None, "null_mx": False}

    def done() -> MeasureResult:
        return result(
            NAME,
            TITLE,
            AREA,
            findings,
            evidence=evidence,
            data=data,
            elapsed_ms=(time.monotonic() - started) * 1000,
        )

    if answer.failed:
        findings.append(
            finding(
                "STARTTLS-MX-FAILED",
                "MX hosts",
                Verdict.NOT_TESTED,
                evidence=[answer.evidence],
                status=answer.status,
            )
        )
        return done()
    real = [h.host for h in hosts if h.host != "."]
    if mx.is_null_mx(hosts) and not real:
        data["null_mx"] = True
        findings.append(finding("STARTTLS-NULL-MX", "MX hosts", Verdict.INFO, evidence=[answer.evidence]))
        return done()
    if not real:
        findings.append(finding("STARTTLS-NO-MX", "MX hosts", Verdict.INFO, evidence=[answer.evidence]))
        return done()
    # Each MX host is probed as soon as its own addresses are known: a host whose name servers do
    # not answer costs its timeout beside a tarpit's, not after it.
    per_host = await asyncio.gather(*(_lookup_and_probe(net, host, config) for host in real))
    for host, (a, aaaa, addresses, _checked) in zip(real, per_host, strict=True):
        evidence += [a.evidence, aaaa.evidence]
        if not addresses:
            findings.append(
                finding(
                    "STARTTLS-NO-ADDRESS",
                    "STARTTLS",
                    Verdict.NOT_TESTED,
                    evidence=[a.evidence, aaaa.evidence],
                    subject=host,
                    host=host,
                )
            )
    for _a, _aaaa, _addresses, checked in per_host:
        for found, ev, entry in checked:
            findings += found
            evidence += ev
            data["hosts"].append(entry)
    tested = [e["starttls"] for e in data["hosts"] if e["starttls"] is not None]
    data["all_starttls"] = all(tested) if tested else None
    return done()


async def _lookup_and_probe(
    net: Net, host: str, config: Config
) -> tuple[DnsAnswer, DnsAnswer, list[str], list[tuple[list[Finding], list[Evidence], dict[str, Any]]]]:
    a, aaaa = await mx.host_addresses(net, host)
    addresses = mx.addresses_of(a, aaaa)
    checked = await asyncio.gather(*(probe_address(net, host, address, config) for address in addresses))
    return a, aaaa, addresses, list(checked)


async def probe_address(
    net: Net, host: str, address: str, config: Config
) -> tuple[list[Finding], list[Evidence], dict[str, Any]]:
    """Everything about one MX host at one address: session, STARTTLS, TLS evaluation."""
    session = await net.smtp.probe(host, address)
    subject = session.where
    evidence: list[Evidence] = [session.evidence]
    entry: dict[str, Any] = {
        "host": host,
        "address": address,
        "port": session.port,
        "status": session.status,
        "starttls": None,
        "banner": session.banner,
        "tls": None,
    }
    findings = session_findings(session, config, subject)
    if session.banner:
        findings.insert(
            0,
            finding(
                "STARTTLS-BANNER",
                "SMTP banner",
                Verdict.INFO,
                evidence=[session.evidence],
                subject=subject,
                banner=session.banner[:200],
            ),
        )
    tls = session.tls
    if session.status in (smtp_net.OK, smtp_net.STARTTLS_REJECTED, smtp_net.TLS_FAILED) or tls is not None:
        entry["starttls"] = session.tls_ok
    if tls is not None and tls.status == tls_net.TIMEOUT:
        entry["starttls"] = None
    if tls is not None and tls.ok:
        versions, ciphers = await asyncio.gather(
            net.smtp.versions(host, address), net.smtp.ciphers(host, address)
        )
        findings += tlseval.evaluate(tls, versions=versions, ciphers=ciphers, subject=subject)
        evidence += [tls.evidence, *versions.evidence, *(c.evidence for c in ciphers if c.evidence)]
        entry["tls"] = tlseval.summary(tls, versions)
    elif tls is not None:
        evidence.append(tls.evidence)
    return findings, evidence, entry


def session_findings(session: SmtpObservation, config: Config, subject: str) -> list[Finding]:
    """What the SMTP session itself says: reachable, greeting, STARTTLS offered and working."""
    ev = [session.evidence] + ([session.tls.evidence] if session.tls is not None else [])
    status = session.status

    def one(code: str, verdict: Verdict, **params: Any) -> list[Finding]:
        return [finding(code, "STARTTLS", verdict, evidence=ev, subject=subject, **params)]

    if status == smtp_net.UNREACHABLE:
        return one("STARTTLS-UNREACHABLE", Verdict.NOT_TESTED, port=session.port, error=session.error)
    if status == smtp_net.TIMEOUT and session.stage == "banner":
        return one("STARTTLS-NO-BANNER", Verdict.NOT_TESTED, timeout=config.timeout)
    if session.tls is not None and session.tls.status == tls_net.TIMEOUT:
        return one("STARTTLS-HANDSHAKE-STALLED", Verdict.NOT_TESTED, error=session.tls.error)
    if status == smtp_net.TIMEOUT:
        return one("STARTTLS-STALLED", Verdict.NOT_TESTED, stage=session.stage, error=session.error)
    if status == smtp_net.REJECTED:
        return one("STARTTLS-SESSION-REFUSED", Verdict.NOT_TESTED, error=session.error)
    if status == smtp_net.CLOSED:
        return one("STARTTLS-CLOSED", Verdict.NOT_TESTED, stage=session.stage)
    if status == smtp_net.PROTOCOL_ERROR:
        return one("STARTTLS-NOT-SMTP", Verdict.FAIL, error=session.error)
    if status == smtp_net.STARTTLS_REJECTED:
        return one("STARTTLS-COMMAND-REFUSED", Verdict.FAIL, reply=session.starttls_reply)
    if session.tls is not None and not session.tls.ok:
        return one("STARTTLS-HANDSHAKE-FAILED", Verdict.FAIL, error=session.tls.error)
    if not session.starttls_offered:
        return one("STARTTLS-NOT-OFFERED", Verdict.FAIL)
    found = one(
        "STARTTLS-WORKS",
        Verdict.PASS,
        version=tlseval.VERSION_NAME.get(session.tls.version or "", "?") if session.tls else "?",
    )
    if session.plaintext_injected:
        found += one("STARTTLS-PLAINTEXT-AFTER-REPLY", Verdict.WARN)
    return found


# --- typed facts for the promise verdicts ----------------------------------------------------

@dataclass(frozen=True)
class HostTls:
    """One mail host address: whether it offered STARTTLS (None: not tested), whether a TLS
    handshake was observed, the version it negotiated and whether its certificate is valid."""

    host: str
    starttls: bool | None
    handshake: bool
    version: str | None
    cert_valid: bool


@dataclass(frozen=True)
class StarttlsFacts:
    """What a promise about mail encryption is judged on."""

    hosts: tuple[HostTls, ...]
    null_mx: bool


def promise_facts(measure: MeasureResult) -> StarttlsFacts:
    """The facts in this measure's result."""
    entries = [e for e in measure.data.get("hosts") or () if isinstance(e, Mapping)]
    hosts = []
    for e in entries:
        found = e.get("tls")
        tls: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
        hosts.append(HostTls(str(e.get("host")), e.get("starttls"), bool(tls),
                             str(tls["version"]) if tls.get("version") else None, bool(tls.get("cert_valid"))))
    return StarttlsFacts(tuple(hosts), bool(measure.data.get("null_mx")))


def certificate_expiries(data: Mapping[str, Any]) -> tuple[datetime, ...]:
    """The notAfter of every mail server certificate this measure saw (its ``data``, fresh or stored)."""
    hosts = data.get("hosts")
    found = (tlseval.summary_not_after(e["tls"]) for e in hosts or () if isinstance(e, Mapping)
             and isinstance(e.get("tls"), Mapping)) if isinstance(hosts, list | tuple) else ()
    return tuple(when for when in found if when is not None)
