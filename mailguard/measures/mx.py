"""MX: where a domain receives mail (RFC 5321 §5.1, RFC 7505 null MX, RFC 2181 §10.3).

``data`` keeps the parsed facts later measures and the promise verdicts use:
``null_mx`` (bool), ``hosts`` (MX hosts by preference, with their addresses).
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from dataclasses import dataclass

from ..core import messages
from ..core.config import Config
from ..core.findings import finding, result
from ..core.messages import Message
from ..core.model import Area, Evidence, Finding, MeasureResult, Verdict
from ..net import DnsAnswer, Net

NAME = "mx"
TITLE = "MX"
AREA = Area.MAIL_AUTH

MESSAGES = {
    "MX-PRESENT": Message("{count} MX record(s): {hosts}", "RFC 5321 §5.1"),
    "MX-NONE": Message("no MX records: mail is delivered to the domain's A/AAAA address, if any",
                       "RFC 5321 §5.1"),
    "MX-NULL": Message("null MX: the domain accepts no mail; SPF should be -all and DMARC p=reject",
                       "RFC 7505 §3"),
    "MX-NULL-MIXED": Message("null MX published beside other MX records: invalid", "RFC 7505 §3"),
    "MX-LOOKUP-FAILED": Message("MX lookup failed ({status}): not tested", "RFC 5321 §5.1"),
    "MX-DOMAIN-MISSING": Message("the domain does not exist (NXDOMAIN)", "RFC 8020"),
    "MX-HOST-RESOLVES": Message("{host} resolves to {addresses}",
                                "RFC 5321 §5.1"),
    "MX-HOST-NO-ADDRESS": Message("{host} has no A or AAAA record: mail to it cannot be delivered",
                                  "RFC 5321 §5.1"),
    "MX-HOST-UNTESTED": Message("addresses of {host} could not be looked up ({status})",
                                "RFC 5321 §5.1"),
    "MX-HOST-CNAME": Message("{host} is an alias (CNAME to {target}); an MX must name a host directly",
                             "RFC 2181 §10.3"),
    "MX-HOST-CNAME-LOOP": Message("{host} is an alias whose CNAME chain loops or never ends: mail to it "
                                  "cannot be delivered",
                                  "RFC 5321 §5.1, RFC 2181 §10.3"),
    "MX-HOST-IP-LITERAL": Message("{host} is an IP address written as a name; an MX must name a host",
                                  "RFC 7505 §2, RFC 5321 §5.1"),
}
messages.register(MESSAGES)


@dataclass(frozen=True)
class MxHost:
    preference: int
    host: str


def parse_mx(answer: DnsAnswer) -> tuple[MxHost, ...]:
    """MX records sorted by preference, host names without the trailing dot, lower-case."""
    hosts = [MxHost(r.preference, _host(r.exchange)) for r in answer.rdatas]
    return tuple(sorted(hosts, key=lambda h: (h.preference, h.host)))


def _host(name: object) -> str:
    text = str(name).lower()  # absolute: "mx.example.nl." or "." for the root (null MX)
    return "." if text == "." else text.rstrip(".")


def is_null_mx(hosts: tuple[MxHost, ...]) -> bool:
    return any(h.host == "." for h in hosts)


def looks_like_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


async def mx_hosts(net: Net, domain: str) -> tuple[DnsAnswer, tuple[MxHost, ...]]:
    """The MX answer and hosts; other measures call this and share the cached query."""
    answer = await net.dns.query(domain, "MX")
    return answer, parse_mx(answer) if answer.status == "ok" else ()


async def host_addresses(net: Net, host: str) -> tuple[DnsAnswer, DnsAnswer]:
    """The A and AAAA answers of a host, asked concurrently."""
    a, aaaa = await net.dns.query_many([(host, "A"), (host, "AAAA")])
    return a, aaaa


def _loops(answer: DnsAnswer) -> bool:
    """The resolver's answer is a CNAME chain that loops or never ends (dnspython: chain too long)."""
    return answer.failed and "CNAME chain is too long" in (answer.error or "")


def addresses_of(*answers: DnsAnswer) -> list[str]:
    return [r.text for a in answers if a.status == "ok" for r in a.records]


async def run(net: Net, domain: str, config: Config) -> MeasureResult:
    started = time.monotonic()
    answer, hosts = await mx_hosts(net, domain)
    evidence: list[Evidence] = [answer.evidence]
    findings: list[Finding] = []
    data: dict[str, object] = {"null_mx": False, "hosts": []}

    def done() -> MeasureResult:
        return result(NAME, TITLE, AREA, findings, evidence=evidence, data=data,
                      elapsed_ms=(time.monotonic() - started) * 1000)

    if answer.failed:
        findings.append(finding("MX-LOOKUP-FAILED", "MX records", Verdict.NOT_TESTED,
                                evidence=[answer.evidence], status=answer.status))
        return done()
    if answer.status == "nxdomain":
        findings.append(finding("MX-DOMAIN-MISSING", "MX records", Verdict.FAIL, evidence=[answer.evidence]))
        return done()
    if not hosts:
        findings.append(finding("MX-NONE", "MX records", Verdict.INFO, evidence=[answer.evidence]))
        return done()
    if is_null_mx(hosts):
        data["null_mx"] = True
        if len(hosts) > 1:
            findings.append(finding("MX-NULL-MIXED", "null MX", Verdict.FAIL, evidence=[answer.evidence]))
        else:
            findings.append(finding("MX-NULL", "null MX", Verdict.INFO, evidence=[answer.evidence]))
            return done()
    real = [h for h in hosts if h.host != "."]
    findings.append(finding("MX-PRESENT", "MX records", Verdict.PASS, evidence=[answer.evidence],
                            count=len(real), hosts=", ".join(f"{h.preference} {h.host}" for h in real)))
    lookups = await asyncio.gather(*(host_addresses(net, h.host) for h in real))
    host_data = []
    for host, (a, aaaa) in zip(real, lookups, strict=True):
        evidence += [a.evidence, aaaa.evidence]
        found = [a.evidence, aaaa.evidence]
        addresses = addresses_of(a, aaaa)
        host_data.append({"host": host.host, "preference": host.preference, "addresses": addresses})
        if looks_like_ip(host.host):
            findings.append(finding("MX-HOST-IP-LITERAL", "MX host name", Verdict.FAIL,
                                    evidence=[answer.evidence], subject=host.host, host=host.host))
            continue
        cnames = a.cnames or aaaa.cnames
        if cnames:
            target = cnames[-1].split(" -> ")[1]
            findings.append(finding("MX-HOST-CNAME", "MX host name", Verdict.WARN, evidence=found,
                                    subject=host.host, host=host.host, target=target))
        if addresses:
            findings.append(finding("MX-HOST-RESOLVES", "MX host address", Verdict.PASS, evidence=found,
                                    subject=host.host, host=host.host, addresses=", ".join(addresses)))
        elif _loops(a) or _loops(aaaa):
            findings.append(finding("MX-HOST-CNAME-LOOP", "MX host name", Verdict.FAIL, evidence=found,
                                    subject=host.host, host=host.host))
        elif a.failed or aaaa.failed:  # absence only from NXDOMAIN/NODATA, never beside a failed lookup
            status = a.status if a.failed else aaaa.status
            findings.append(finding("MX-HOST-UNTESTED", "MX host address", Verdict.NOT_TESTED, evidence=found,
                                    subject=host.host, host=host.host, status=status))
        else:
            findings.append(finding("MX-HOST-NO-ADDRESS", "MX host address", Verdict.FAIL, evidence=found,
                                    subject=host.host, host=host.host))
    data["hosts"] = host_data
    return done()
