"""The website's certificate and TLS, judged by the same evaluation as mail (:mod:`mailguard.measures.tlseval`).

For each web host and each of its addresses: one handshake on the https port with the host name
as SNI (certificate checks off, so a bad certificate is reported rather than hidden), validated
separately for the host name; then which protocol versions and weak cipher suites the server still
accepts. Chain, name, expiry (warn below 21 days, fail when expired), key type and size, signature
hash, versions and suites are rated by the NCSC-NL TLS guidelines in :mod:`mailguard.measures.tlseval`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ...core import messages
from ...core.config import Config
from ...core.findings import result
from ...core.messages import Message
from ...core.model import Area, Evidence, Finding, MeasureResult
from ...net import Net, TlsObservation
from ...net.tls import CipherProbe, VersionSupport
from .. import tlseval
from .common import no_web, web_hosts

NAME = "web-tls"
TITLE = "Website TLS and certificate"
AREA = Area.WEBSITE

MESSAGES = {
    "WEB-TLS-NO-WEB": Message(
        "no web host with an address: no certificate to check",
        "RFC 9110 §4.3.4",
    ),
}
messages.register(MESSAGES)


def tls_subject(host: str, port: int, address: str, *, several: bool) -> str:
    """``host:port``, with the address when the host has more than one."""
    return f"{host}:{port} @{address}" if several else f"{host}:{port}"


Observed = tuple[TlsObservation, VersionSupport | None, tuple[CipherProbe, ...]]


async def observe(net: Net, host: str, address: str) -> Observed:
    """The default handshake, then (if it completed) version and weak-suite probes, concurrently."""
    port = net.config.https_port
    obs = await net.tls.probe(host, address, port)
    if not obs.ok:
        return obs, None, ()
    versions, ciphers = await asyncio.gather(net.tls.versions(host, address, port, known=obs),
                                             net.tls.ciphers(host, address, port))
    return obs, versions, ciphers


async def run(net: Net, domain: str, config: Config) -> MeasureResult:
    started = time.monotonic()
    hosts = await web_hosts(net, domain, config)
    evidence: list[Evidence] = [e for h in hosts for e in h.evidence]
    findings: list[Finding] = []
    pairs = [(h, a) for h in hosts for a in h.addresses]
    observed = await asyncio.gather(*(observe(net, h.name, a) for h, a in pairs))
    data: list[dict[str, Any]] = []
    for (host, address), (obs, versions, ciphers) in zip(pairs, observed, strict=True):
        where = tls_subject(host.name, config.https_port, address, several=len(host.addresses) > 1)
        found = tlseval.evaluate(obs, versions=versions, ciphers=ciphers, subject=where)
        findings += found
        evidence.append(obs.evidence)
        if versions is not None:
            evidence += versions.evidence
        evidence += [c.evidence for c in ciphers if c.evidence is not None]
        data.append({"host": host.name, "address": address, **tlseval.summary(obs, versions)})
    if not pairs:
        findings.append(no_web(hosts, "WEB-TLS-NO-WEB", evidence))
    return result(NAME, TITLE, AREA, findings, evidence=evidence, data={"hosts": data},
                  elapsed_ms=(time.monotonic() - started) * 1000)


def certificate_expiries(data: Mapping[str, Any]) -> tuple[datetime, ...]:
    """The notAfter of every web server certificate this measure saw (its ``data``, fresh or stored)."""
    hosts = data.get("hosts")
    found = (tlseval.summary_not_after(e) for e in hosts or () if isinstance(e, Mapping)) \
        if isinstance(hosts, list | tuple) else ()
    return tuple(when for when in found if when is not None)
