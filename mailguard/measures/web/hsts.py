"""HSTS (RFC 6797): does every web host tell browsers to use https only, for long enough?

Only a header on an https response counts, and only when the certificate validated: a header over
plain http, or over a connection with certificate errors, is ignored as browsers ignore it
(RFC 6797 §8.1). Of several headers the first is used (§8.1). The policy is parsed by a pure
parser; each (host, address) is judged separately, since one stale server behind a name is
enough to lose the protection.

A missing header is a failure, not a warning: without HSTS, the first plain-http request a
visitor makes can be intercepted and kept on http (SSL stripping), so "https for all personal
data" is not kept; internet.nl also requires it.

The apex gets a preload-readiness verdict with hstspreload.org's rules: max-age of a year or
more, includeSubDomains, the preload token, a valid certificate, and http redirecting to https
on the same host first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ...core import messages
from ...core.config import Config
from ...core.errors import ParseError
from ...core.findings import finding, result
from ...core.messages import Message
from ...core.model import Area, Evidence, Finding, MeasureResult, Verdict
from ...net import HttpResponse, Net
from .._checks import Check, check, to_findings
from .common import Front, describe_chain, fronts, no_web, subject, web_hosts
from .grammar import OWS, TOKEN, split_params, unquote
from .redirects import upgrades_on_same_host

NAME = "hsts"
TITLE = "HSTS"
AREA = Area.WEBSITE

ONE_YEAR = 31536000  # seconds; internet.nl's and hstspreload.org's minimum
MAX_AGE_DIGITS = 18  # longer values are clamped (browsers clamp too)

MESSAGES = {
    "HSTS-OK": Message(
        "HSTS max-age={max_age} ({days} days){subdomains}",
        "RFC 6797 §6.1.1",
    ),
    "HSTS-SHORT": Message(
        "HSTS max-age={max_age} ({days} days) is shorter than one year",
        "RFC 6797 §11.2",
    ),
    "HSTS-DISABLED": Message(
        "HSTS max-age=0 tells browsers to forget the policy",
        "RFC 6797 §6.1.1",
    ),
    "HSTS-MISSING": Message(
        "no Strict-Transport-Security header on the https response",
        "RFC 6797 §7.1",
    ),
    "HSTS-INVALID": Message(
        "Strict-Transport-Security header is invalid ({error}); browsers ignore it",
        "RFC 6797 §6.1, §8.1",
    ),
    "HSTS-CERT-INVALID": Message(
        "browsers ignore this host's HSTS header: its certificate does not validate",
        "RFC 6797 §8.1",
    ),
    "HSTS-NO-PAGE": Message(
        "no final page: {why}; HSTS is not judged on a redirect that never reaches one ({chain} -> {next})",
        "RFC 6797 §8.1",
    ),
    "HSTS-NO-HTTPS": Message(
        "no https response to look for HSTS in ({status})",
        "RFC 6797 §7.1",
    ),
    "HSTS-NO-SUBDOMAINS": Message(
        "HSTS on the apex without includeSubDomains: subdomains stay unprotected",
        "RFC 6797 §6.1.2",
    ),
    "HSTS-MULTIPLE": Message(
        "{count} Strict-Transport-Security headers; browsers use only the first",
        "RFC 6797 §8.1",
    ),
    "HSTS-OVER-HTTP": Message(
        "HSTS header sent over plain http: ignored by browsers, as it should be",
        "RFC 6797 §7.2, §8.1",
    ),
    "HSTS-PRELOAD-READY": Message(
        "ready for the HSTS preload list",
        "hstspreload.org",
    ),
    "HSTS-PRELOAD-NOT-READY": Message(
        "not ready for the HSTS preload list: {reasons}",
        "hstspreload.org",
    ),
    "HSTS-PRELOAD-CLAIMED": Message(
        "the header asks for preloading but the site does not qualify: {reasons}",
        "hstspreload.org",
    ),
    "HSTS-NO-WEB": Message(
        "no web host with an address: nothing to check",
        "RFC 6797 §7.1",
    ),
}
messages.register(MESSAGES)


@dataclass(frozen=True)
class HstsPolicy:
    """A parsed Strict-Transport-Security value. ``extensions``: unknown directives (ignored)."""

    max_age: int
    include_subdomains: bool
    preload: bool
    extensions: tuple[str, ...] = ()


def parse_hsts(value: str) -> HstsPolicy:
    """Parse one Strict-Transport-Security field value (RFC 6797 §6.1).

    Directive names are case-insensitive, each may appear once, max-age is required and is
    delta-seconds (a quoted-string is allowed), includeSubDomains takes no value, unknown
    directives are kept but carry no meaning. Raises ParseError with the offending position.
    """
    seen: dict[str, str | None] = {}
    extensions: list[str] = []
    for piece, offset in split_params(value):
        stripped = piece.strip(OWS)
        if not stripped:
            continue  # "[ directive ] *( ";" [ directive ] )": empty directives are allowed
        position = offset + piece.index(stripped[0])
        name, eq, raw = stripped.partition("=")
        name = name.rstrip(OWS)
        if not TOKEN.fullmatch(name):
            raise ParseError(f"directive name {name!r} is not a token", value, position)
        key = name.lower()
        if key in seen:
            raise ParseError(f"directive {name} appears more than once", value, position)
        seen[key] = unquote(raw.strip(OWS), position, value) if eq else None
        if key not in ("max-age", "includesubdomains", "preload"):
            extensions.append(name)
    if "max-age" not in seen:
        raise ParseError("max-age is missing", value, 0)
    digits = seen["max-age"]
    if digits is None or not digits.isascii() or not digits.isdigit():
        raise ParseError(f"max-age {digits!r} is not a number of seconds", value, 0)
    for flag in ("includesubdomains", "preload"):
        if seen.get(flag) is not None:
            raise ParseError(f"{flag} takes no value", value, 0)
    max_age = int(digits[:MAX_AGE_DIGITS]) if len(digits) <= MAX_AGE_DIGITS else 10**MAX_AGE_DIGITS
    return HstsPolicy(max_age, "includesubdomains" in seen, "preload" in seen, tuple(extensions))


def judge_policy(policy: HstsPolicy, *, apex: bool) -> list[Check]:
    days = policy.max_age // 86400
    if policy.max_age == 0:
        return [check("HSTS-DISABLED", "HSTS max-age", Verdict.FAIL)]
    out = []
    if policy.max_age < ONE_YEAR:
        out.append(check("HSTS-SHORT", "HSTS max-age", Verdict.WARN, max_age=policy.max_age, days=days))
    else:
        subdomains = "; includeSubDomains" if policy.include_subdomains else ""
        out.append(check("HSTS-OK", "HSTS max-age", Verdict.PASS, max_age=policy.max_age, days=days,
                         subdomains=subdomains))
    if apex and not policy.include_subdomains:
        out.append(check("HSTS-NO-SUBDOMAINS", "HSTS includeSubDomains", Verdict.INFO))
    return out


def judge_header(values: tuple[str, ...], *, apex: bool) -> tuple[list[Check], HstsPolicy | None]:
    """The checks for the STS headers of one validated https response."""
    if not values:
        return [check("HSTS-MISSING", "HSTS header", Verdict.FAIL)], None
    out = []
    if len(values) > 1:
        out.append(check("HSTS-MULTIPLE", "HSTS header", Verdict.INFO, count=len(values)))
    try:
        policy = parse_hsts(values[0])
    except ParseError as exc:
        return [*out, check("HSTS-INVALID", "HSTS header", Verdict.FAIL, error=str(exc))], None
    return [*out, *judge_policy(policy, apex=apex)], policy


def preload_problems(policy: HstsPolicy | None, *, verified: bool, same_host_upgrade: bool | None,
                     www_https: bool | None) -> list[str]:
    """What stands between the apex and the preload list (hstspreload.org's submission rules).

    same_host_upgrade: http redirects to https on the same host first (None: nothing on port 80).
    www_https: the www host answers over validated https (None: there is no www host).
    """
    problems = []
    if not verified:
        problems.append("the certificate does not validate")
    if same_host_upgrade is False:
        problems.append("http does not redirect to https on the same host first")
    if www_https is False:
        problems.append("www does not answer over valid https")
    if policy is None:
        problems.append("no valid HSTS header")
        return problems
    if policy.max_age < ONE_YEAR:
        problems.append("max-age is below one year")
    if not policy.include_subdomains:
        problems.append("includeSubDomains is missing")
    if not policy.preload:
        problems.append("the preload token is missing")
    return problems


async def run(net: Net, domain: str, config: Config) -> MeasureResult:
    started = time.monotonic()
    hosts = await web_hosts(net, domain, config)
    evidence: list[Evidence] = [e for h in hosts for e in h.evidence]
    findings: list[Finding] = []
    seen = await fronts(net, hosts)
    apex_policy: tuple[Front, HstsPolicy | None] | None = None
    for item in seen:
        evidence += [item.https.evidence, item.http.evidence]
        if item.insecure is not None:
            evidence.append(item.insecure.evidence)
        found, policy = _judge_front(item, apex=item.host == domain)
        findings += found
        if item.host == domain and apex_policy is None and item.seen_https is not None and not item.no_page:
            apex_policy = (item, policy)
    if not seen:
        findings.append(no_web(hosts, "HSTS-NO-WEB", evidence))
    if apex_policy is not None:
        findings += _preload(apex_policy[0], apex_policy[1], [f for f in seen if f.host == f"www.{domain}"])
    return result(NAME, TITLE, AREA, findings, evidence=evidence,
                  elapsed_ms=(time.monotonic() - started) * 1000)


def _judge_front(item: Front, *, apex: bool) -> tuple[list[Finding], HstsPolicy | None]:
    where = subject(item.host, item.address)
    out: list[Finding] = []
    if item.http.ok and item.http.header_values("strict-transport-security"):
        out.append(finding("HSTS-OVER-HTTP", "HSTS over http", Verdict.INFO,
                           evidence=[item.http.evidence], subject=where))
    response: HttpResponse | None = item.seen_https
    if response is None:
        out.append(finding("HSTS-NO-HTTPS", "HSTS header", Verdict.NOT_TESTED,
                           evidence=[item.https.evidence], subject=where, status=item.https.status))
        return out, None
    if item.no_page and item.page is not None:
        # A redirect loop is no website: what its 301s say is not judged (issue 17).
        out.append(finding("HSTS-NO-PAGE", "HSTS header", Verdict.NOT_TESTED, evidence=item.page.evidence,
                           subject=where, why=item.no_page, chain=describe_chain(item.page),
                           next=item.page.next_url))
        return out, None
    values = response.header_values("strict-transport-security")
    if not response.verified:
        if values:
            out.append(finding("HSTS-CERT-INVALID", "HSTS header", Verdict.FAIL,
                               evidence=[item.https.evidence, response.evidence], subject=where))
        else:
            out += to_findings(judge_header(values, apex=apex)[0], [response.evidence], where)
        return out, None
    checks, policy = judge_header(values, apex=apex)
    return out + to_findings(checks, [response.evidence], where), policy


def _preload(apex: Front, policy: HstsPolicy | None, www: list[Front]) -> list[Finding]:
    response = apex.seen_https
    assert response is not None
    www_https = all(f.https.ok for f in www) if www else None
    problems = preload_problems(policy, verified=response.verified,
                                same_host_upgrade=upgrades_on_same_host(apex.http),
                                www_https=www_https)
    shown = [response.evidence, apex.http.evidence, *(f.https.evidence for f in www)]
    where = subject(apex.host)
    if not problems:
        return [finding("HSTS-PRELOAD-READY", "HSTS preload", Verdict.PASS, evidence=shown, subject=where)]
    reasons = "; ".join(problems)
    if policy is not None and policy.preload:
        return [finding("HSTS-PRELOAD-CLAIMED", "HSTS preload", Verdict.WARN, evidence=shown, subject=where,
                        reasons=reasons)]
    return [finding("HSTS-PRELOAD-NOT-READY", "HSTS preload", Verdict.INFO, evidence=shown, subject=where,
                    reasons=reasons)]
