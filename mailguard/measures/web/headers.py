"""The security headers an auditor looks for, judged with restraint (info or warn, never fail).

Content-Security-Policy (and its frame-ancestors), X-Content-Type-Options, X-Frame-Options and
Referrer-Policy are read from each host's final https page (the https redirect chain from
``https://<host>/`` followed). They harden a site; their absence is not a broken promise, so
none of them fails.
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
from ...net import HttpResponse, Net, RedirectChain
from ...net.http import CERTIFICATE
from .._checks import Check, check, to_findings
from .common import describe_chain, no_page, no_web, subject, web_hosts

NAME = "web-headers"
TITLE = "Security headers"
AREA = Area.WEBSITE

MESSAGES = {
    "HEADERS-CSP": Message(
        "Content-Security-Policy is set",
        "CSP Level 3 §3.1",
    ),
    "HEADERS-CSP-UNSAFE": Message(
        "Content-Security-Policy allows {what} in {directive}",
        "CSP Level 3 §6.7",
    ),
    "HEADERS-CSP-REPORT-ONLY": Message(
        "Content-Security-Policy only in report-only mode: nothing is blocked",
        "CSP Level 3 §3.2",
    ),
    "HEADERS-CSP-MISSING": Message(
        "no Content-Security-Policy",
        "CSP Level 3 §3.1",
    ),
    "HEADERS-FRAME-OK": Message(
        "framing restricted by {source}",
        "RFC 7034, CSP Level 3 §6.4.2",
    ),
    "HEADERS-FRAME-OPEN": Message(
        "framing allowed from anywhere ({source})",
        "CSP Level 3 §6.4.2",
    ),
    "HEADERS-FRAME-INVALID": Message(
        "X-Frame-Options {value!r} is not DENY or SAMEORIGIN; browsers ignore it",
        "RFC 7034 §2.1",
    ),
    "HEADERS-FRAME-MISSING": Message(
        "neither X-Frame-Options nor CSP frame-ancestors: the site can be framed (clickjacking)",
        "RFC 7034",
    ),
    "HEADERS-NOSNIFF": Message(
        "X-Content-Type-Options: nosniff",
        "Fetch §3.5",
    ),
    "HEADERS-NOSNIFF-MISSING": Message(
        "X-Content-Type-Options is not nosniff ({value})",
        "Fetch §3.5",
    ),
    "HEADERS-REFERRER": Message(
        "Referrer-Policy: {policy}",
        "Referrer Policy §3",
    ),
    "HEADERS-REFERRER-LEAKY": Message(
        "Referrer-Policy {policy} sends full addresses to other sites",
        "Referrer Policy §3",
    ),
    "HEADERS-REFERRER-MISSING": Message(
        "no (valid) Referrer-Policy; browsers default to strict-origin-when-cross-origin",
        "Referrer Policy §3",
    ),
    "HEADERS-NO-PAGE": Message(
        "no final page: {why}; security headers are not judged on a redirect ({chain} -> {next})",
        "RFC 9110 §15.4",
    ),
    "HEADERS-NO-HTTPS": Message(
        "no https page to read headers from ({status})",
        "RFC 9110 §4.2.2",
    ),
    "HEADERS-NO-WEB": Message(
        "no web host with an address: nothing to check",
        "RFC 9110 §4.2.2",
    ),
}
messages.register(MESSAGES)

REFERRER_POLICIES = frozenset({
    "no-referrer", "no-referrer-when-downgrade", "same-origin", "origin", "strict-origin",
    "origin-when-cross-origin", "strict-origin-when-cross-origin", "unsafe-url",
})
LEAKY_REFERRER = frozenset({"unsafe-url", "no-referrer-when-downgrade"})
_WIDE_SOURCES = ("*", "http:", "https:", "data:")


@dataclass(frozen=True)
class CspDirective:
    name: str
    sources: tuple[str, ...]


def parse_csp(value: str) -> tuple[CspDirective, ...]:
    """A serialized CSP (CSP Level 3 §2.2.1): directives split on ';', names lower-cased.

    A repeated directive is ignored after its first occurrence, as browsers do.
    """
    out: dict[str, CspDirective] = {}
    for piece in value.split(";"):
        tokens = piece.strip(" \t").split()
        if not tokens:
            continue
        name = tokens[0].lower()
        if name not in out:
            out[name] = CspDirective(name, tuple(tokens[1:]))
    return tuple(out.values())


def judge_csp(values: tuple[str, ...], report_only: tuple[str, ...]) -> list[Check]:
    if not values:
        if report_only:
            return [check("HEADERS-CSP-REPORT-ONLY", "Content-Security-Policy", Verdict.INFO)]
        return [check("HEADERS-CSP-MISSING", "Content-Security-Policy", Verdict.INFO)]
    out = [check("HEADERS-CSP", "Content-Security-Policy", Verdict.PASS)]
    for value in values:
        directives = {d.name: d for d in parse_csp(value)}
        script = directives.get("script-src") or directives.get("default-src")
        if script is None:
            continue
        lowered = [s.lower() for s in script.sources]
        has_nonce = any(s.startswith(("'nonce-", "'sha256-", "'sha384-", "'sha512-")) for s in lowered)
        risky: list[str] = [s for s in ("'unsafe-inline'", "'unsafe-eval'") if s in lowered]
        if "'unsafe-inline'" in risky and has_nonce:  # ignored by browsers when a nonce/hash is present
            risky.remove("'unsafe-inline'")
        risky += [s for s in _WIDE_SOURCES if s in lowered]
        if risky:
            out.append(check("HEADERS-CSP-UNSAFE", "Content-Security-Policy", Verdict.INFO,
                             what=" ".join(risky), directive=script.name))
    return out


def judge_framing(csp_values: tuple[str, ...], xfo_values: tuple[str, ...]) -> list[Check]:
    """CSP frame-ancestors overrides X-Frame-Options in browsers that know both (CSP Level 3 §6.4.2)."""
    for value in csp_values:
        for directive in parse_csp(value):
            if directive.name == "frame-ancestors":
                source = f"frame-ancestors {' '.join(directive.sources)}".strip()
                if "*" in directive.sources:
                    return [check("HEADERS-FRAME-OPEN", "framing", Verdict.WARN, source=source)]
                return [check("HEADERS-FRAME-OK", "framing", Verdict.PASS, source=source)]
    if xfo_values:
        value = xfo_values[0].strip()
        if value.upper() in ("DENY", "SAMEORIGIN"):
            source = f"X-Frame-Options {value.upper()}"
            return [check("HEADERS-FRAME-OK", "framing", Verdict.PASS, source=source)]
        return [check("HEADERS-FRAME-INVALID", "framing", Verdict.WARN, value=value[:80])]
    return [check("HEADERS-FRAME-MISSING", "framing", Verdict.WARN)]


def judge_nosniff(values: tuple[str, ...]) -> list[Check]:
    first = values[0].split(",")[0].strip() if values else ""
    if first.lower() == "nosniff":
        return [check("HEADERS-NOSNIFF", "X-Content-Type-Options", Verdict.PASS)]
    return [check("HEADERS-NOSNIFF-MISSING", "X-Content-Type-Options", Verdict.WARN,
                  value=first[:80] or "absent")]


def effective_referrer_policy(values: tuple[str, ...]) -> str | None:
    """The last recognised token of all Referrer-Policy headers (Referrer Policy §8.1)."""
    policy = None
    for value in values:
        for token in value.split(","):
            token = token.strip().lower()
            if token in REFERRER_POLICIES:
                policy = token
    return policy


def judge_referrer(values: tuple[str, ...]) -> list[Check]:
    policy = effective_referrer_policy(values)
    if policy is None:
        return [check("HEADERS-REFERRER-MISSING", "Referrer-Policy", Verdict.INFO)]
    if policy in LEAKY_REFERRER:
        return [check("HEADERS-REFERRER-LEAKY", "Referrer-Policy", Verdict.WARN, policy=policy)]
    return [check("HEADERS-REFERRER", "Referrer-Policy", Verdict.PASS, policy=policy)]


def judge_headers(response: HttpResponse) -> list[Check]:
    csp = response.header_values("content-security-policy")
    return [
        *judge_csp(csp, response.header_values("content-security-policy-report-only")),
        *judge_framing(csp, response.header_values("x-frame-options")),
        *judge_nosniff(response.header_values("x-content-type-options")),
        *judge_referrer(response.header_values("referrer-policy")),
    ]


async def final_page(net: Net, host: str, address: str) -> RedirectChain:
    """The https chain from ``https://host/`` (unvalidated when validation fails: see the certificate)."""
    chain = await net.http.follow(f"https://{host}/", address=address)
    if chain.final.status == CERTIFICATE:
        return await net.http.follow(f"https://{host}/", address=address, verify=False)
    return chain


async def run(net: Net, domain: str, config: Config) -> MeasureResult:
    started = time.monotonic()
    hosts = await web_hosts(net, domain, config)
    evidence: list[Evidence] = [e for h in hosts for e in h.evidence]
    findings: list[Finding] = []
    present = [h for h in hosts if h.addresses]
    chains = await asyncio.gather(*(final_page(net, h.name, h.addresses[0]) for h in present))
    for host, chain in zip(present, chains, strict=True):
        evidence += chain.evidence
        where = subject(host.name)
        final = chain.final
        if no_page(chain):  # a loop or too many redirects: there is no page to read (issue 17)
            findings.append(finding("HEADERS-NO-PAGE", "security headers", Verdict.NOT_TESTED,
                                    evidence=chain.evidence, subject=where, why=no_page(chain),
                                    chain=describe_chain(chain), next=chain.next_url))
            continue
        if not final.ok or not final.https:
            findings.append(finding("HEADERS-NO-HTTPS", "security headers", Verdict.NOT_TESTED,
                                    evidence=chain.evidence, subject=where,
                                    status=final.status if not final.ok else "ends on plain http"))
            continue
        findings += to_findings(judge_headers(final), [final.evidence], where)
    if not any(h.addresses for h in hosts):
        findings.append(no_web(hosts, "HEADERS-NO-WEB", evidence))
    return result(NAME, TITLE, AREA, findings, evidence=evidence,
                  elapsed_ms=(time.monotonic() - started) * 1000)
