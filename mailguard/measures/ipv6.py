"""IPv6: can the domain be resolved, mailed and browsed over IPv6 alone? (internet.nl's IPv6 tests)

Three roles, each host on its own:

* the **name servers** of the domain's zone (the closest enclosing NS set): an AAAA record, and a
  DNS answer for the domain from every IPv6 address on port 53 (``config.dns_port``), asked
  directly of the server (``net.ns``);
* every **MX host**: an AAAA record, and an SMTP banner on port 25 from every IPv6 address
  (``net.smtp.probe``, the very session the STARTTLS measure makes);
* the **web hosts** (apex, ``www.``, ``--web-host``): an AAAA record, an https answer from every
  IPv6 address (``net.http``, the very fetch the website measures make), and the same page over
  IPv4 and IPv6: the same status and the same SHA-256 of the (capped) body.

What is and is not a failure: a host without AAAA fails (RFC 6540: IPv6 is no longer optional). An
IPv6 address that does not answer fails only when the same host answers over IPv4 on the same
port: then the service is there and IPv6 is not. When neither answers, or this machine has no
IPv6 route at all (``net.routes``, an injectable capability check), it is "not tested", never a
failure: nothing was observed about the domain.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..core import messages, psl
from ..core.config import Config
from ..core.findings import finding, result
from ..core.messages import Message
from ..core.model import Area, Evidence, Finding, MeasureResult, Verdict
from ..net import DnsAnswer, HttpResponse, Net
from ..net.nsprobe import NsObservation
from . import mx
from .web.common import https_fetch, web_hosts

NAME = "ipv6"
TITLE = "IPv6"
AREA = Area.DOMAIN

MAX_HOSTS = 10  # hosts per role
MAX_ADDRESSES = 4  # IPv6 addresses probed per host
MAX_ZONE_WALK = 10  # ancestors asked for NS when the domain is not a zone apex

# Roles: (code part, English, Dutch, reference).
ROLES = {
    "NS": ("name server", "RFC 3901 §3, RFC 6540"),
    "MX": ("mail server", "RFC 3974, RFC 6540"),
    "WEB": ("web server", "RFC 6540"),
}


def _role_messages(role: str, en: str, rfc: str) -> dict[str, Message]:
    return {
        f"IPV6-{role}-AAAA": Message(f"{en} {{host}} has IPv6 address(es): {{addresses}}", rfc),
        f"IPV6-{role}-NO-AAAA": Message(f"{en} {{host}} has no AAAA record: it cannot be reached over IPv6", rfc),
        f"IPV6-{role}-LOOKUP-FAILED": Message(
            f"the AAAA record of {en} {{host}} could not be looked up ({{status}}): not tested", rfc),
        f"IPV6-{role}-REACHABLE": Message(f"{en} {{host}} answers over IPv6 at {{where}} ({{detail}})", rfc),
        f"IPV6-{role}-UNREACHABLE": Message(
            f"{en} {{host}} does not answer over IPv6 at {{where}} ({{error}}), "
            "while it does over IPv4 at {v4}", rfc),
        f"IPV6-{role}-UNTESTED": Message(
            f"{en} {{host}} did not answer at {{where}} ({{error}}), nor over IPv4: not tested from here",
            rfc),
        f"IPV6-{role}-NO-ROUTE": Message(
            f"no IPv6 from here ({{reason}}): {en} {{host}} at {{address}} not tested", rfc),
    }


MESSAGES: dict[str, Message] = {
    **{code: m for role, (en, rfc) in ROLES.items() for code, m in _role_messages(role, en, rfc).items()},
    "IPV6-NS-NONE": Message("the name servers of {domain} could not be found ({status}): not tested",
                            "RFC 3901 §3"),
    "IPV6-MX-NONE": Message("no mail servers to check ({reason})",
                            "RFC 5321 §5.1"),
    "IPV6-MX-LOOKUP-FAILED-ALL": Message("the MX records could not be looked up ({status}): not tested",
                                         "RFC 5321 §5.1"),
    "IPV6-WEB-NONE": Message("no web server to check: neither {domain} nor www.{domain} has an address",
                             "RFC 6540"),
    "IPV6-WEB-SAME": Message(
        "{host}: the same page over IPv4 ({v4}) and IPv6 ({v6}): status {http_code}, SHA-256 {digest}",
        "RFC 6540"),
    "IPV6-WEB-DIFFERENT-STATUS": Message(
        "{host}: a different answer over IPv6 ({v6}: {code6}) than over IPv4 ({v4}: {code4})",
        "RFC 6540"),
    "IPV6-WEB-DIFFERENT-CONTENT": Message(
        "{host}: status {http_code} over both, but different content over IPv4 ({v4}: {size4} bytes, SHA-256 "
        "{digest4}) and IPv6 ({v6}: {size6} bytes, SHA-256 {digest6}); pages that change on every "
        "request differ this way too",
        "RFC 6540"),
}
messages.register(MESSAGES)

messages.register_advice({
    "IPV6-NS-": Message(
        "Ask your DNS provider to give every name server an IPv6 address (AAAA) that answers, so the "
        "domain can be found from IPv6-only networks."),
    "IPV6-MX-": Message(
        "Ask your mail provider to make every mail server reachable over IPv6 (an AAAA record and "
        "port 25 open over IPv6)."),
    "IPV6-WEB-": Message(
        "Ask your hosting provider to serve the website over IPv6 as well (an AAAA record for the "
        "domain and www), with the same content as over IPv4."),
})


# -- what was observed, per host ----------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """One service probe of one address: did it answer, and what it says for evidence."""

    address: str
    answered: bool
    detail: str
    evidence: tuple[Evidence, ...]
    response: HttpResponse | None = None


@dataclass
class HostFacts:
    role: str
    host: str
    a: DnsAnswer
    aaaa: DnsAnswer
    v6: list[Probe] = field(default_factory=list)
    v4: list[Probe] = field(default_factory=list)
    no_route: dict[str, str] = field(default_factory=dict)

    @property
    def v4_addresses(self) -> list[str]:
        return mx.addresses_of(self.a)

    @property
    def v6_addresses(self) -> list[str]:
        return mx.addresses_of(self.aaaa)[:MAX_ADDRESSES]

    def to_json(self) -> dict[str, Any]:
        return {"host": self.host, "ipv4": self.v4_addresses, "ipv6": mx.addresses_of(self.aaaa),
                "ipv6_answers": {p.address: p.answered for p in self.v6},
                "ipv4_answers": {p.address: p.answered for p in self.v4},
                "no_route": dict(self.no_route)}


# -- pure judgement ---------------------------------------------------------------------------------------


def serves_zone(obs: NsObservation, domain: str) -> bool:
    """Did the name server answer for ``domain`` itself: NOERROR or NXDOMAIN with the SOA of a zone
    that holds the domain and lies at or below its organizational domain (a root or TLD SOA from a
    resolver that happens to listen there is not an answer for the domain)?"""
    if not obs.answered or obs.rcode not in ("NOERROR", "NXDOMAIN"):
        return False
    name = domain.lower().rstrip(".")
    floor = len(psl.organizational_domain(name).split("."))
    return any((name == owner or name.endswith("." + owner)) and len(owner.split(".")) >= floor
               for owner in (o.rstrip(".") for o in obs.soa_owners) if owner)


def judge_host(facts: HostFacts) -> list[Finding]:
    """The AAAA and reachability findings of one host."""
    role, host = facts.role, facts.host
    label = ROLES[role][0]
    dns_evidence = [facts.a.evidence, facts.aaaa.evidence]
    if facts.aaaa.failed:
        return [finding(f"IPV6-{role}-LOOKUP-FAILED", f"{label} AAAA", Verdict.NOT_TESTED, evidence=dns_evidence,
                        subject=host, host=host, status=facts.aaaa.status)]
    addresses = mx.addresses_of(facts.aaaa)
    if not addresses:
        return [finding(f"IPV6-{role}-NO-AAAA", f"{label} AAAA", Verdict.FAIL, evidence=dns_evidence,
                        subject=host, host=host)]
    out = [finding(f"IPV6-{role}-AAAA", f"{label} AAAA", Verdict.PASS, evidence=[facts.aaaa.evidence],
                   subject=host, host=host, addresses=", ".join(addresses))]
    check = f"{label} reachable over IPv6"
    answered4 = next((p for p in facts.v4 if p.answered), None)
    for address, reason in facts.no_route.items():
        out.append(finding(f"IPV6-{role}-NO-ROUTE", check, Verdict.NOT_TESTED, evidence=[facts.aaaa.evidence],
                           subject=f"{host} @{address}", host=host, address=address, reason=reason))
    for probe in facts.v6:
        subject = f"{host} @{probe.address}"
        where = _where(probe.address)
        if probe.answered:
            out.append(finding(f"IPV6-{role}-REACHABLE", check, Verdict.PASS, evidence=probe.evidence,
                               subject=subject, host=host, where=where, detail=probe.detail))
        elif answered4 is not None:
            out.append(finding(f"IPV6-{role}-UNREACHABLE", check, Verdict.FAIL,
                               evidence=[*probe.evidence, *answered4.evidence], subject=subject, host=host,
                               where=where, error=probe.detail, v4=answered4.address))
        else:
            out.append(finding(f"IPV6-{role}-UNTESTED", check, Verdict.NOT_TESTED,
                               evidence=[*probe.evidence, *(e for p in facts.v4 for e in p.evidence)],
                               subject=subject, host=host, where=where, error=probe.detail))
    return out


def digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def judge_same_site(host: str, v4: Probe, v6: Probe) -> Finding:
    """Internet.nl's "same website on IPv4 and IPv6": the status and a digest of the (capped) body."""
    r4, r6 = v4.response, v6.response
    assert r4 is not None and r6 is not None
    check = "same website over IPv4 and IPv6"
    evidence = [*v4.evidence, *v6.evidence]
    subject = f"{host} @{v6.address}"
    if r4.code != r6.code:
        return finding("IPV6-WEB-DIFFERENT-STATUS", check, Verdict.FAIL, evidence=evidence, subject=subject,
                       host=host, v4=v4.address, v6=v6.address, code4=r4.code, code6=r6.code)
    d4, d6 = digest(r4.body), digest(r6.body)
    if d4 != d6:
        return finding("IPV6-WEB-DIFFERENT-CONTENT", check, Verdict.WARN, evidence=evidence, subject=subject,
                       host=host, v4=v4.address, v6=v6.address, http_code=r4.code, size4=len(r4.body),
                       size6=len(r6.body), digest4=d4[:16], digest6=d6[:16])
    return finding("IPV6-WEB-SAME", check, Verdict.PASS, evidence=evidence, subject=subject, host=host,
                   v4=v4.address, v6=v6.address, http_code=r4.code, digest=d4[:16])


def _where(address: str) -> str:
    return f"[{address}]" if ":" in address else address


# -- gathering ----------------------------------------------------------------------------------------------


async def zone_nameservers(net: Net, domain: str) -> tuple[list[DnsAnswer], DnsAnswer | None, list[str]]:
    """The NS set of the closest enclosing zone: the domain's own, else its nearest ancestor's.
    All candidates are asked at once (one round trip); returns every answer, the one used, and
    the name server host names."""
    labels = domain.lower().rstrip(".").split(".")
    names = [".".join(labels[i:]) for i in range(min(len(labels) - 1, MAX_ZONE_WALK))] or [domain]
    answers = await net.dns.query_many([(n, "NS") for n in names])
    for answer in answers:
        if answer.failed:
            return answers, answer, []  # cannot tell whether a closer zone exists: stop here
        hosts = [r.text.lower().rstrip(".") for r in answer.records]
        if answer.status == "ok" and hosts:
            return answers, answer, sorted(dict.fromkeys(hosts))[:MAX_HOSTS]
    return answers, None, []


async def _host_facts(net: Net, role: str, hosts: Sequence[str]) -> list[HostFacts]:
    lookups = await asyncio.gather(*(mx.host_addresses(net, h) for h in hosts))
    return [HostFacts(role, h, a, aaaa) for h, (a, aaaa) in zip(hosts, lookups, strict=True)]


ProbeFn = Callable[[HostFacts, str], Awaitable[Probe]]


async def _reach(net: Net, facts: HostFacts, probe: ProbeFn) -> None:
    """Probe every IPv6 address this host can route to; then, if any failed, its IPv4 addresses."""
    routed = []
    for address in facts.v6_addresses:
        reason = net.routes.route(address)
        if reason:
            facts.no_route[address] = reason
        else:
            routed.append(address)
    facts.v6 = list(await asyncio.gather(*(probe(facts, a) for a in routed)))
    if any(not p.answered for p in facts.v6):
        facts.v4 = list(await asyncio.gather(*(probe(facts, a) for a in facts.v4_addresses[:MAX_ADDRESSES])))


def ns_prober(net: Net, domain: str) -> ProbeFn:
    async def probe(facts: HostFacts, address: str) -> Probe:
        obs = await net.ns.query(facts.host, address, domain, "SOA")
        if serves_zone(obs, domain):
            return Probe(address, True, f"{obs.rcode} for {domain}", (obs.evidence,))
        detail = obs.error if not obs.answered else f"answered {obs.rcode}, not for {domain}"
        return Probe(address, False, detail, (obs.evidence,))
    return probe


def smtp_prober(net: Net) -> ProbeFn:
    async def probe(facts: HostFacts, address: str) -> Probe:
        obs = await net.smtp.probe(facts.host, address)
        if obs.banner:
            return Probe(address, True, f"banner {obs.banner[:60]}", (obs.evidence,))
        return Probe(address, False, f"{obs.status} in {obs.stage}: {obs.error}"[:200], (obs.evidence,))
    return probe


def web_prober(net: Net) -> ProbeFn:
    async def probe(facts: HostFacts, address: str) -> Probe:
        url = f"https://{facts.host}/"
        verified, insecure = await https_fetch(net, url, address)
        seen = verified if verified.ok else insecure if insecure is not None and insecure.ok else None
        evidence = tuple(r.evidence for r in (verified, insecure) if r is not None)
        if seen is None:
            return Probe(address, False, f"{verified.status}: {verified.error}"[:200], evidence)
        detail = f"https {seen.code}" + ("" if seen.verified else ", certificate not valid")
        return Probe(address, True, detail, evidence, seen)
    return probe


# -- the measure ---------------------------------------------------------------------------------------------


async def _name_servers(net: Net, domain: str) -> tuple[list[Finding], list[Evidence], list[HostFacts]]:
    answers, used, hosts = await zone_nameservers(net, domain)
    evidence = [a.evidence for a in answers]
    if not hosts:
        status = used.status if used is not None else "no NS records"
        return ([finding("IPV6-NS-NONE", "name server AAAA", Verdict.NOT_TESTED, evidence=evidence,
                         domain=domain, status=status)], evidence, [])
    facts = await _host_facts(net, "NS", hosts)
    await asyncio.gather(*(_reach(net, f, ns_prober(net, domain)) for f in facts))
    return [x for f in facts for x in judge_host(f)], evidence, facts


async def _mail_servers(net: Net, domain: str) -> tuple[list[Finding], list[Evidence], list[HostFacts]]:
    answer, hosts = await mx.mx_hosts(net, domain)
    evidence = [answer.evidence]
    if answer.failed:
        return ([finding("IPV6-MX-LOOKUP-FAILED-ALL", "mail server AAAA", Verdict.NOT_TESTED, evidence=evidence,
                         status=answer.status)], evidence, [])
    names = [h.host for h in hosts if h.host != "." and not mx.looks_like_ip(h.host)][:MAX_HOSTS]
    if not names:
        reason = "null MX: the domain accepts no mail" if mx.is_null_mx(hosts) else "no MX records"
        return [finding("IPV6-MX-NONE", "mail server AAAA", Verdict.INFO, evidence=evidence, reason=reason)], \
            evidence, []
    facts = await _host_facts(net, "MX", list(dict.fromkeys(names)))
    await asyncio.gather(*(_reach(net, f, smtp_prober(net)) for f in facts))
    return [x for f in facts for x in judge_host(f)], evidence, facts


async def _web_servers(net: Net, domain: str, config: Config) -> tuple[list[Finding], list[Evidence],
                                                                          list[HostFacts]]:
    hosts = await web_hosts(net, domain, config)
    evidence = [e for h in hosts for e in h.evidence]
    present = [h for h in hosts if h.addresses or h.lookup_failed][:MAX_HOSTS]
    if not present:
        return ([finding("IPV6-WEB-NONE", "web server AAAA", Verdict.INFO, evidence=evidence, domain=domain)],
                evidence, [])
    facts = [HostFacts("WEB", h.name, h.answers[0], h.answers[1]) for h in present]
    prober = web_prober(net)

    async def both(f: HostFacts) -> None:
        # The content comparison needs an IPv4 page whatever IPv6 does: fetch both at once (a
        # host without AAAA has nothing to compare).
        first4 = f.v4_addresses[:1] if f.v6_addresses else []
        _, pages4 = await asyncio.gather(_reach(net, f, prober), asyncio.gather(*(prober(f, a) for a in first4)))
        if not f.v4:
            f.v4 = list(pages4)

    await asyncio.gather(*(both(f) for f in facts))
    findings = [x for f in facts for x in judge_host(f)]
    for f in facts:
        page4 = next((p for p in f.v4 if p.answered), None)
        if page4 is None:
            continue
        findings.extend(judge_same_site(f.host, page4, p) for p in f.v6 if p.answered)
    return findings, evidence, facts


async def run(net: Net, domain: str, config: Config) -> MeasureResult:
    started = time.monotonic()
    (ns_f, ns_e, ns), (mx_f, mx_e, mxs), (web_f, web_e, webs) = await asyncio.gather(
        _name_servers(net, domain), _mail_servers(net, domain), _web_servers(net, domain, config))
    findings = [*ns_f, *mx_f, *web_f]
    evidence: list[Evidence] = [*ns_e, *mx_e, *web_e, *_all_evidence(findings)]
    data = {
        "name_servers": [f.to_json() for f in ns], "mail_servers": [f.to_json() for f in mxs],
        "web_servers": [f.to_json() for f in webs],
        "no_ipv6_route": sorted({r for f in (*ns, *mxs, *webs) for r in f.no_route.values()}),
    }
    return result(NAME, TITLE, AREA, findings, evidence=evidence, data=data,
                  elapsed_ms=(time.monotonic() - started) * 1000)


def _all_evidence(findings: Iterable[Finding]) -> list[Evidence]:
    return [e for f in findings for e in f.evidence]


__all__ = ["AREA", "MESSAGES", "NAME", "TITLE", "judge_host", "judge_same_site", "run", "serves_zone",
           "zone_nameservers"]
