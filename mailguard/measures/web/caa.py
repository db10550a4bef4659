"""CAA (RFC 8659): which CAs may issue certificates for the domain, and is the one in use allowed?

For the domain and each web host, the relevant CAA record set is found by climbing the tree
(the name, then its parents, up to the top-level domain; §3). The set is reported once per owner
name; for each web host, the issuer of the certificate it actually serves (from the shared TLS
handshake) is mapped to the CAA domains that CA honours and checked against the issue (or, for a
wildcard certificate, issuewild) properties. Unknown critical tags, malformed values and iodef
are reported too. An issuer mailguard cannot map is reported as such, never as forbidden.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from ...core import messages
from ...core.config import Config
from ...core.findings import finding, result
from ...core.messages import Message
from ...core.model import Area, Evidence, Finding, MeasureResult, Verdict
from ...net import DnsAnswer, Net, TlsObservation
from ...net.certs import name_matches
from .._checks import Check, check, to_findings
from .caa_policy import CaaPolicy, allowed_issuers, authorizes, iodef_ok, issuer_domains, parse_caa
from .common import subject, web_hosts

NAME = "caa"
TITLE = "CAA"
AREA = Area.WEBSITE

MESSAGES = {
    "CAA-PRESENT": Message(
        "CAA at {owner}: {records}",
        "RFC 8659 §4",
    ),
    "CAA-MISSING": Message(
        "no CAA record at {name} or above: every CA may issue certificates",
        "RFC 8659 §3",
    ),
    "CAA-NO-ISSUE": Message(
        "the CAA records at {owner} have no issue property: they restrict no CA",
        "RFC 8659 §4.2",
    ),
    "CAA-NOBODY": Message(
        "CAA at {owner} allows no CA at all to issue{wild}",
        "RFC 8659 §4.2",
    ),
    "CAA-MALFORMED": Message(
        "{tag} value {value!r} is malformed ({error}); it authorises no CA",
        "RFC 8659 §4.2",
    ),
    "CAA-CRITICAL-UNKNOWN": Message(
        "critical CAA tag(s) {tags} that CAs need not understand: no CA may issue",
        "RFC 8659 §4.1",
    ),
    "CAA-IODEF": Message(
        "violation reports go to {iodef}",
        "RFC 8659 §4.4",
    ),
    "CAA-IODEF-INVALID": Message(
        "iodef {value!r} is not a mailto:, http: or https: URL",
        "RFC 8659 §4.4",
    ),
    "CAA-ISSUER-ALLOWED": Message(
        "the certificate's issuer ({issuer}) is allowed ({domain})",
        "RFC 8659 §4.2",
    ),
    "CAA-ISSUER-FORBIDDEN": Message(
        "the certificate's issuer ({issuer}, {domains}) is not allowed by CAA at {owner} (allowed: "
        "{allowed}); renewal will fail",
        "RFC 8659 §4.2",
    ),
    "CAA-ISSUER-UNKNOWN": Message(
        "unknown CAA identity for issuer {issuer}: not tested (add one with --caa-identity \"ISSUER=CAA-DOMAIN\")",
        "RFC 8659 §4.2",
    ),
    "CAA-LOOKUP-FAILED": Message(
        "CAA lookup for {name} failed ({status}): not tested",
        "RFC 8659 §3",
    ),
}
messages.register(MESSAGES)


@dataclass(frozen=True)
class Relevant:
    """The relevant CAA RRset of a name: where it was found, and every answer asked on the way.

    owner: '' when none was found; failed: a lookup on the way could not be answered.
    """

    name: str
    owner: str
    policy: CaaPolicy | None
    answers: tuple[DnsAnswer, ...]
    failed: DnsAnswer | None = None

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        return tuple(a.evidence for a in self.answers)


def climb(name: str) -> tuple[str, ...]:
    """The names whose CAA RRsets are consulted for ``name``, closest first, root excluded (§3)."""
    labels = name.lower().rstrip(".").split(".")
    return tuple(".".join(labels[i:]) for i in range(len(labels)))


async def relevant_caa(net: Net, name: str) -> Relevant:
    """Climb from ``name`` to the first non-empty CAA RRset (RFC 8659 §3).

    All candidate names are asked at once (the DNS cache shares them between hosts); the answer
    is the closest non-empty one, unless a closer lookup failed.
    """
    names = climb(name)
    answers = await net.dns.query_many([(n, "CAA") for n in names])
    for candidate, answer in zip(names, answers, strict=True):
        if answer.failed:
            return Relevant(name, "", None, tuple(answers[: names.index(candidate) + 1]), answer)
        records = [(r.flags, _text(r.tag), _text(r.value)) for r in answer.rdatas]
        if answer.status == "ok" and records:
            used = tuple(answers[: names.index(candidate) + 1])
            return Relevant(name, answer.records[0].name.rstrip(".") or candidate, parse_caa(records), used)
    return Relevant(name, "", None, tuple(answers))


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def judge_policy(owner: str, policy: CaaPolicy) -> list[Check]:
    """What the record set itself says, whatever certificate is in use."""
    shown = "; ".join(f"{r.flags} {r.tag} {r.value!r}" for r in policy.records)[:400]
    out = [check("CAA-PRESENT", "CAA records", Verdict.PASS, owner=owner, records=shown)]
    if policy.unknown_critical:
        out.append(check("CAA-CRITICAL-UNKNOWN", "CAA records", Verdict.WARN,
                         tags=", ".join(policy.unknown_critical)))
    out += [check("CAA-MALFORMED", "CAA records", Verdict.WARN, tag=tag, value=value[:100], error=error)
            for tag, value, error in policy.malformed]
    if not policy.has_issue and not policy.has_issuewild:
        out.append(check("CAA-NO-ISSUE", "CAA records", Verdict.INFO, owner=owner))
    elif policy.has_issue and not allowed_issuers(policy, wildcard=False) and not policy.malformed:
        out.append(check("CAA-NOBODY", "CAA records", Verdict.WARN, owner=owner, wild=""))
    for value in policy.iodef:
        if iodef_ok(value):
            out.append(check("CAA-IODEF", "CAA iodef", Verdict.INFO, iodef=value[:200]))
        else:
            out.append(check("CAA-IODEF-INVALID", "CAA iodef", Verdict.WARN, value=value[:200]))
    return out


def judge_issuer(relevant: Relevant, issuer: str, *, wildcard: bool,
                 identities: tuple[tuple[str, str], ...] = ()) -> list[Check]:
    """Is the CA that issued the certificate in use allowed by the relevant set?"""
    if relevant.policy is None:
        return []
    domains = issuer_domains(issuer, identities)
    if not domains:  # which CAA domain it honours cannot be read from the certificate: not a failure
        return [check("CAA-ISSUER-UNKNOWN", "certificate issuer", Verdict.NOT_TESTED, issuer=issuer[:200])]
    if authorizes(relevant.policy, domains, wildcard=wildcard):
        allowed = allowed_issuers(relevant.policy, wildcard=wildcard)
        hit = next((d for d in domains if d in allowed), "no restriction")
        return [check("CAA-ISSUER-ALLOWED", "certificate issuer", Verdict.PASS, issuer=issuer[:200],
                      domain=hit)]
    return [check("CAA-ISSUER-FORBIDDEN", "certificate issuer", Verdict.FAIL, issuer=issuer[:200],
                  domains=", ".join(domains), owner=relevant.owner,
                  allowed=", ".join(allowed_issuers(relevant.policy, wildcard=wildcard)) or "none")]


def covered_by_wildcard(host: str, sans: tuple[str, ...]) -> bool:
    """The certificate covers ``host`` only through a wildcard name (so issuewild applies)."""
    if host.lower() in sans:
        return False
    return any(s.startswith("*.") and name_matches(host, s) for s in sans)


async def run(net: Net, domain: str, config: Config) -> MeasureResult:
    started = time.monotonic()
    hosts = [h for h in await web_hosts(net, domain, config) if h.addresses]
    names = [domain] + [h.name for h in hosts if h.name != domain]
    relevants = await asyncio.gather(*(relevant_caa(net, n) for n in names))
    observations: list[TlsObservation] = list(await asyncio.gather(
        *(net.tls.probe(h.name, h.addresses[0], config.https_port) for h in hosts)))
    evidence: list[Evidence] = [e for r in relevants for e in r.evidence]
    findings: list[Finding] = []
    reported: set[str] = set()
    for relevant in relevants:
        if relevant.failed is not None:
            findings.append(finding("CAA-LOOKUP-FAILED", "CAA records", Verdict.NOT_TESTED,
                                    evidence=relevant.evidence, subject=relevant.name,
                                    name=relevant.failed.qname,
                                    status=relevant.failed.status))
        elif relevant.policy is None:
            findings.append(finding("CAA-MISSING", "CAA records", Verdict.INFO, evidence=relevant.evidence,
                                    subject=relevant.name, name=relevant.name))
        elif relevant.owner not in reported:
            reported.add(relevant.owner)
            findings += to_findings(judge_policy(relevant.owner, relevant.policy), relevant.evidence,
                                    relevant.owner)
    by_name = dict(zip(names, relevants, strict=True))
    for host, obs in zip(hosts, observations, strict=True):
        leaf = obs.certificate
        if leaf is None:
            continue
        evidence.append(obs.evidence)
        relevant = by_name[host.name]
        checks = judge_issuer(relevant, leaf.issuer, wildcard=covered_by_wildcard(host.name, leaf.sans),
                              identities=config.caa_identities)
        findings += to_findings(checks, [*relevant.evidence, obs.evidence], subject(host.name))
    return result(NAME, TITLE, AREA, findings, evidence=evidence,
                  elapsed_ms=(time.monotonic() - started) * 1000)
