"""DNSSEC: is the domain signed, and do its answers and its MX hosts' answers validate?

mailguard validates the chain of trust itself (:mod:`.chain`, driven by :mod:`.walk`) from the
IANA root anchors or ``--trust-anchor FILE``; the resolver's AD bit is reported beside it but
never trusted (RFC 4033 §4: a stub cannot trust AD from a resolver over an insecure channel).

Verdicts, and why:
- signed and validating: pass.
- unsigned (a delegation proven to have no DS): **fail** for the domain itself, as internet.nl
  scores it and as the Dutch "pas toe of leg uit" standards require DNSSEC; but a different code
  from bogus, because nothing is broken, a protection is missing. For an MX host in an unsigned
  zone (often the provider's, beyond the domain owner's reach) it is a warning: its addresses can
  be spoofed and DANE is impossible for it.
- bogus (a bad or expired signature, a DS matching no key, a missing RRSIG in a signed zone, a
  denial without proof): fail. Validating resolvers answer SERVFAIL: mail to the domain bounces.
- indeterminate (a timeout, SERVFAIL without CD... no answer to judge): not tested.

The measure sits in the ``domain`` area: a signature protects every answer about the domain,
for the website as much as for mail. ``data`` holds, per name and type, mailguard's status and
the resolver's (for the DANE measure and the promise verdicts): see :func:`run`.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...core import messages
from ...core.config import Config
from ...core.errors import ParseError
from ...core.findings import finding, result
from ...core.messages import Message
from ...core.model import Area, Evidence, Finding, MeasureResult, Verdict
from ...net import Net
from .. import mx
from .anchors import TrustAnchors, load_anchors, parse_anchors
from .chain import ChainValidator, Question, Status, Validation
from .walk import NameResult, combine, signed_answer, validate, validate_name

NAME = "dnssec"
TITLE = "DNSSEC"
AREA = Area.DOMAIN
BULK = True  # a walk up to the root (DS, DNSKEY) no other chain waits for: started after the others

DOMAIN_TYPES = ("SOA", "MX", "TXT")
HOST_TYPES = ("A", "AAAA")

_RFC_VALIDATE = "RFC 4035 §5"
MESSAGES = {
    "DNSSEC-SIGNED": Message(
        "{domain} is signed: its chain of trust validates from {anchor} down to {zone}", _RFC_VALIDATE),
    "DNSSEC-UNSIGNED": Message(
        "{domain} is not signed: {detail}",
        "RFC 4035 §5.2, RFC 4033 §5"),
    "DNSSEC-BOGUS": Message(
        "{domain} is signed, but its signatures do not validate ({reason}): {detail}; validating "
        "resolvers refuse its answers, so mail to it may bounce", _RFC_VALIDATE),
    "DNSSEC-UNTESTED": Message(
        "whether {domain} is signed could not be tested: {detail}", _RFC_VALIDATE),
    "DNSSEC-RRSET-SECURE": Message(
        "{rdtype} {name} validates: {detail}",
        "RFC 4035 §5.3"),
    "DNSSEC-RRSET-BOGUS": Message(
        "{rdtype} {name} is bogus ({reason}): {detail}", "RFC 4035 §5.3, §5.4"),
    "DNSSEC-RRSET-INSECURE": Message(
        "{rdtype} {name} is not protected: {detail}", "RFC 4035 §5.2"),
    "DNSSEC-RRSET-UNTESTED": Message(
        "{rdtype} {name} could not be validated: {detail}", _RFC_VALIDATE),
    "DNSSEC-HOST-SECURE": Message(
        "MX host {host}: its addresses validate ({types})", "RFC 4035 §5"),
    "DNSSEC-HOST-UNSIGNED": Message(
        "MX host {host} is in an unsigned zone ({insecure_at}): its addresses can be spoofed and "
        "DANE is impossible for it", "RFC 4033 §5, RFC 7672 §2.2"),
    "DNSSEC-HOST-BOGUS": Message(
        "MX host {host}: {rdtype} is bogus ({reason}): {detail}", "RFC 4035 §5.3"),
    "DNSSEC-HOST-UNTESTED": Message(
        "MX host {host}: its addresses could not be validated: {detail}", _RFC_VALIDATE),
    "DNSSEC-NO-MX-HOSTS": Message(
        "no MX hosts to check ({why})", "RFC 5321 §5.1"),
    "DNSSEC-RESOLVER-AD": Message(
        "the resolver {resolver} set AD on {ad} of {total} answers and refused {servfail}; "
        "mailguard validated them itself: {secure} secure, {insecure} insecure, {bogus} bogus "
        "({agreement})", "RFC 4035 §3.2.3, RFC 6840 §5.7"),
    "DNSSEC-ANCHOR-UNUSABLE": Message(
        "the DNSSEC trust anchor could not be used ({error}): not tested", "RFC 4033 §5"),
}
messages.register(MESSAGES)


@functools.lru_cache(maxsize=8)
def _cached_anchors(path: str | None) -> TrustAnchors:
    return load_anchors(Path(path) if path else None)


def anchors_for(config: Config) -> TrustAnchors:
    """The trust anchors of a scan (read once per file). Raises ParseError or OSError."""
    return _cached_anchors(str(config.trust_anchor) if config.trust_anchor else None)


async def run(net: Net, domain: str, config: Config) -> MeasureResult:
    started = time.monotonic()
    findings: list[Finding] = []
    evidence: list[Evidence] = []
    data: dict[str, Any] = {"signed": None, "status": Status.INDETERMINATE.value, "names": {}, "hosts": {}}

    def done() -> MeasureResult:
        return result(NAME, TITLE, AREA, findings, evidence=evidence, data=data,
                      elapsed_ms=(time.monotonic() - started) * 1000)

    try:
        anchors = anchors_for(config)
    except (OSError, ParseError) as exc:
        findings.append(finding("DNSSEC-ANCHOR-UNUSABLE", "trust anchor", Verdict.NOT_TESTED, error=str(exc)))
        return done()
    data["anchor"] = anchors.describe()
    own, hosts = await asyncio.gather(
        asyncio.gather(*(validate_name(net, domain, t, anchors) for t in DOMAIN_TYPES)),
        _host_results(net, domain, anchors))
    mx_hosts, host_results, why_no_hosts = hosts
    every = list(own) + [r for results in host_results.values() for r in results]
    for item in every:
        evidence.extend(_evidence_of(item))
        data["names"].setdefault(item.name, {})[item.rdtype] = _data_of(item)
    findings.extend(judge_domain(domain, list(own), anchors))
    if why_no_hosts:
        findings.append(finding("DNSSEC-NO-MX-HOSTS", "MX hosts", Verdict.INFO, why=why_no_hosts))
    for host in mx_hosts:
        found = judge_host(host, host_results[host])
        findings.append(found)
        data["hosts"][host] = _host_status(host_results[host]).value
    findings.append(judge_resolver(every))
    soa = own[0]
    data["status"] = soa.status.value
    data["signed"] = {Status.SECURE: True, Status.INSECURE: False}.get(soa.status)
    return done()


HostResults = tuple[list[str], dict[str, list[NameResult]], str]


async def _host_results(net: Net, domain: str, anchors: TrustAnchors) -> HostResults:
    """The MX hosts (from the MX measure's query, or from the CD answer when a validating
    resolver refused the bogus MX RRset) and the validation of their A and AAAA RRsets."""
    answer, parsed = await mx.mx_hosts(net, domain)
    if answer.failed:
        signed = await signed_answer(net, domain, "MX")
        parsed = mx.parse_mx(signed) if signed.status == "ok" else ()
    hosts = [h.host for h in parsed if h.host != "." and not mx.looks_like_ip(h.host)]
    hosts = list(dict.fromkeys(hosts))
    why = ""
    if not hosts:
        why = "null MX" if mx.is_null_mx(parsed) else f"MX lookup: {answer.status}"
    results = await asyncio.gather(*(
        asyncio.gather(*(validate_name(net, h, t, anchors) for t in HOST_TYPES)) for h in hosts))
    return hosts, {h: list(r) for h, r in zip(hosts, results, strict=True)}, why


# -- judging (pure: validations in, findings out) ----------------------------------------------

def _params(item: NameResult) -> dict[str, str]:
    final = item.final
    return {"name": item.name, "rdtype": item.rdtype, "reason": final.reason, "detail": final.detail}


def _evidence_of(item: NameResult) -> tuple[Evidence, ...]:
    found: list[Evidence] = []
    for validation in item.validations:
        found.extend(validation.evidence)
    found.append(item.resolver.evidence)
    return tuple(found)


def judge_domain(domain: str, own: list[NameResult], anchors: TrustAnchors) -> list[Finding]:
    """The domain's verdict from its SOA (first) and its other RRsets."""
    soa = own[0]
    final = soa.final
    check = "domain signed"
    out: list[Finding] = []
    if soa.status == Status.SECURE:
        out.append(finding("DNSSEC-SIGNED", check, Verdict.PASS, evidence=_evidence_of(soa),
                           subject=domain, domain=domain, anchor=anchors.zone, zone=final.zone))
    elif soa.status == Status.INSECURE:
        out.append(finding("DNSSEC-UNSIGNED", check, Verdict.FAIL, evidence=_evidence_of(soa), subject=domain,
                           domain=domain, insecure_at=final.insecure_at or final.zone, detail=final.detail))
        return out  # every RRset below is equally unprotected: one finding says it
    elif soa.status == Status.BOGUS:
        out.append(finding("DNSSEC-BOGUS", check, Verdict.FAIL, evidence=_evidence_of(soa), subject=domain,
                           domain=domain, reason=final.reason, detail=final.detail))
    else:
        out.append(finding("DNSSEC-UNTESTED", check, Verdict.NOT_TESTED, evidence=_evidence_of(soa),
                           subject=domain, domain=domain, detail=final.detail))
    for item in own[1:]:  # the SOA's verdict is the domain's, above
        if item.status == soa.status and item.final.detail == final.detail:
            continue  # the same broken link of the chain: said once, by the domain finding
        out.append(judge_rrset(item))
    return out


_RRSET = {Status.SECURE: ("DNSSEC-RRSET-SECURE", Verdict.PASS),
          Status.BOGUS: ("DNSSEC-RRSET-BOGUS", Verdict.FAIL),
          Status.INSECURE: ("DNSSEC-RRSET-INSECURE", Verdict.WARN),
          Status.INDETERMINATE: ("DNSSEC-RRSET-UNTESTED", Verdict.NOT_TESTED)}


def judge_rrset(item: NameResult) -> Finding:
    code, verdict = _RRSET[item.status]
    return finding(code, f"{item.rdtype} signature", verdict, evidence=_evidence_of(item),
                   subject=item.name, **_params(item))


def _host_status(results: list[NameResult]) -> Status:
    return combine([r.status for r in results])


def judge_host(host: str, results: list[NameResult]) -> Finding:
    status = _host_status(results)
    evidence = [e for r in results for e in _evidence_of(r)]
    check = "MX host signed"
    decisive = next(r for r in results if r.status == status)
    if status == Status.SECURE:
        types = ", ".join(f"{r.rdtype}: {_short(r.final)}" for r in results)
        return finding("DNSSEC-HOST-SECURE", check, Verdict.PASS, evidence=evidence, subject=host,
                       host=host, types=types)
    if status == Status.INSECURE:
        return finding("DNSSEC-HOST-UNSIGNED", check, Verdict.WARN, evidence=evidence, subject=host,
                       host=host, insecure_at=decisive.final.insecure_at or decisive.final.zone)
    if status == Status.BOGUS:
        return finding("DNSSEC-HOST-BOGUS", check, Verdict.FAIL, evidence=evidence, subject=host,
                       host=host, **{k: v for k, v in _params(decisive).items() if k != "name"})
    return finding("DNSSEC-HOST-UNTESTED", check, Verdict.NOT_TESTED, evidence=evidence, subject=host,
                   host=host, detail=decisive.final.detail)


def _short(validation: Validation) -> str:
    return "signed" if validation.reason == "validated" else "absence proven"


def judge_resolver(every: list[NameResult]) -> Finding:
    """What the resolver said (AD, SERVFAIL) beside what mailguard found; informational only."""
    counts = {s: sum(1 for r in every if r.status == s) for s in Status}
    ad = sum(1 for r in every if r.ad)
    servfail = sum(1 for r in every if r.resolver.status == "servfail")
    disagree = [r for r in every if r.ad and r.status != Status.SECURE]
    missed = [r for r in every if r.status == Status.SECURE and not r.ad]
    if disagree:
        agreement = "the resolver vouched for answers mailguard did not find secure: " + ", ".join(
            f"{r.rdtype} {r.name}" for r in disagree[:5])
    elif missed and not ad:
        agreement = "the resolver does not appear to validate DNSSEC"
    elif missed:
        agreement = "the resolver did not vouch for every secure answer"
    else:
        agreement = "the resolver agrees"
    resolver = every[0].resolver.resolver if every else "-"
    return finding("DNSSEC-RESOLVER-AD", "resolver AD bit", Verdict.INFO,
                   evidence=[r.resolver.evidence for r in every], resolver=resolver, ad=ad,
                   total=len(every), servfail=servfail, secure=counts[Status.SECURE],
                   insecure=counts[Status.INSECURE], bogus=counts[Status.BOGUS], agreement=agreement)


def _data_of(item: NameResult) -> dict[str, Any]:
    final = item.final
    return {"status": item.status.value, "reason": final.reason, "detail": final.detail,
            "zone": final.zone, "insecure_at": final.insecure_at,
            "chain": [v.name for v in item.validations],
            "resolver_ad": item.ad, "resolver_status": item.resolver.status}


# --- typed facts for the promise verdicts ----------------------------------------------------

@dataclass(frozen=True)
class DnssecFacts:
    """What a promise about DNSSEC is judged on: the domain's status (secure, insecure, bogus,
    indeterminate) and the hosts it depends on whose answers are bogus."""

    status: str
    bogus_hosts: tuple[str, ...]


def promise_facts(measure: MeasureResult) -> DnssecFacts | None:
    """The facts in this measure's result (None for a result of another shape)."""
    status = measure.data.get("status")
    if not isinstance(status, str):
        return None
    hosts = measure.data.get("hosts") or {}
    bad = tuple(sorted(h for h, s in hosts.items() if s == "bogus")) if isinstance(hosts, Mapping) else ()
    return DnssecFacts(status, bad)


__all__ = [
    "AREA", "MESSAGES", "NAME", "TITLE", "ChainValidator", "NameResult", "Question", "Status",
    "TrustAnchors", "Validation", "anchors_for", "judge_domain", "judge_host", "judge_resolver",
    "judge_rrset", "load_anchors", "parse_anchors", "run", "signed_answer", "validate", "validate_name",
]
