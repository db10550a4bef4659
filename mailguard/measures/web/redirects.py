"""http:// to https://: does every plain-http URL of the web presence lead to https at once?

For each host and each of its addresses the redirect chain from ``http://<host>/`` is walked one
observed hop at a time (a cap on hops, loops detected). The first hop should go to https on the
same host (so the host's own HSTS header is seen; hstspreload.org requires it) with a permanent
redirect (301 or 308; 302/307 work but are temporary, RFC 9110 §15.4). A page served over plain
http with fields to type personal data into is a failure; other plain content is a warning.
"""

from __future__ import annotations

import asyncio
import time

import httpx

from ...core import messages
from ...core.config import Config
from ...core.findings import result
from ...core.messages import Message
from ...core.model import Area, Evidence, Finding, MeasureResult, Verdict
from ...net import HttpResponse, Net, RedirectChain
from ...net.http import (
    BAD_LOCATION,
    CERTIFICATE,
    LOOP,
    MAX_HOPS,
    OK,
    REFUSED,
    TIMEOUT,
    TLS,
    TOO_MANY,
    resolve_location,
)
from .._checks import Check, check, to_findings
from .common import describe_chain, no_web, subject, web_hosts
from .forms import personal_data_fields

NAME = "web-redirect"
TITLE = "HTTP to HTTPS"
AREA = Area.WEBSITE

PERMANENT = frozenset({301, 308})

MESSAGES = {
    "REDIRECT-SAME-HOST": Message(
        "http redirects to https on the same host ({http_code}): {chain}",
        "RFC 6797 §7.2",
    ),
    "REDIRECT-TEMPORARY": Message(
        "http redirects to https with a temporary redirect ({http_code}); 301 or 308 is preferred: {chain}",
        "RFC 9110 §15.4",
    ),
    "REDIRECT-OTHER-HOST-FIRST": Message(
        "http redirects to another host before https on the same host, so this host's HSTS is never seen: "
        "{chain}",
        "RFC 6797 §7.2",
    ),
    "REDIRECT-VIA-HTTP": Message(
        "the redirect chain reaches https only after more plain-http hops: {chain}",
        "RFC 6797 §7.2",
    ),
    "REDIRECT-NONE": Message(
        "http does not redirect to https (status {http_code}): {chain}",
        "RFC 6797 §7.2",
    ),
    "REDIRECT-PLAIN-FORM": Message(
        "a page over plain http asks for data ({fields}): {chain}",
        "RFC 6797 §7.2, GDPR art. 32",
    ),
    "REDIRECT-LOOP": Message(
        "redirect loop: {chain} -> {next}",
        "RFC 9110 §15.4",
    ),
    "REDIRECT-TOO-MANY": Message(
        "more than {hops} redirects: {chain}",
        "RFC 9110 §15.4",
    ),
    "REDIRECT-BAD-LOCATION": Message(
        "a redirect points to an unusable Location {next!r}: {chain}",
        "RFC 9110 §10.2.2",
    ),
    "REDIRECT-BROKEN": Message(
        "the redirect chain ends in an error ({status}): {chain}",
        "RFC 9110 §15.4",
    ),
    "REDIRECT-NO-HTTP": Message(
        "nothing answers plain http ({status}); browsers then try https only if told",
        "RFC 6797 §7.2",
    ),
    "REDIRECT-UNTESTED": Message(
        "plain http could not be tested ({status})",
        "RFC 6797 §7.2",
    ),
    "REDIRECT-NO-WEB": Message(
        "no web host with an address: nothing to check",
        "RFC 6797 §7.2",
    ),
}
messages.register(MESSAGES)


def upgrades_on_same_host(first: HttpResponse) -> bool | None:
    """Whether the first plain-http response redirects to https on the same host (None: no response)."""
    if not first.ok:
        return None
    if not first.is_redirect:
        return False
    target = resolve_location(first.url, first.location or "")
    if target is None:
        return False
    parsed = httpx.URL(target)
    return parsed.scheme == "https" and parsed.host == httpx.URL(first.url).host


def judge_chain(chain: RedirectChain, fields: tuple[str, ...], *, max_hops: int) -> list[Check]:
    """Judge one walk from ``http://host/``; ``fields``: entry fields on the final plain-http page."""
    text = describe_chain(chain)
    first = chain.hops[0]
    if not first.ok:
        if first.status in (REFUSED, TIMEOUT):
            return [check("REDIRECT-NO-HTTP", "http answers", Verdict.INFO, status=first.status)]
        return [check("REDIRECT-UNTESTED", "http answers", Verdict.NOT_TESTED, status=first.status)]
    if chain.end == LOOP:
        return [check("REDIRECT-LOOP", "redirect chain", Verdict.FAIL, chain=text, next=chain.next_url)]
    if chain.end == TOO_MANY:
        return [check("REDIRECT-TOO-MANY", "redirect chain", Verdict.FAIL, chain=text, hops=max_hops)]
    if chain.end == BAD_LOCATION:
        return [check("REDIRECT-BAD-LOCATION", "redirect chain", Verdict.FAIL, chain=text,
                      next=chain.next_url)]
    final = chain.final
    if not final.ok:
        verdict = Verdict.WARN if final.status in (CERTIFICATE, TLS) else Verdict.NOT_TESTED
        return [check("REDIRECT-BROKEN", "redirect chain", verdict, chain=text, status=final.status)]
    if not final.https:
        if fields and final.code == 200:
            return [check("REDIRECT-PLAIN-FORM", "personal data over http", Verdict.FAIL, chain=text,
                          fields=", ".join(fields))]
        return [check("REDIRECT-NONE", "http to https", Verdict.WARN, chain=text, http_code=final.code)]
    if upgrades_on_same_host(first):
        code = first.code
        if code in PERMANENT:
            return [check("REDIRECT-SAME-HOST", "http to https", Verdict.PASS, chain=text, http_code=code)]
        return [check("REDIRECT-TEMPORARY", "http to https", Verdict.WARN, chain=text, http_code=code)]
    target = httpx.URL(chain.hops[1].url) if len(chain.hops) > 1 else None
    if target is not None and target.scheme == "https":
        return [check("REDIRECT-OTHER-HOST-FIRST", "http to https", Verdict.WARN, chain=text)]
    return [check("REDIRECT-VIA-HTTP", "http to https", Verdict.WARN, chain=text)]


async def walk(net: Net, host: str, address: str) -> RedirectChain:
    """The redirect chain from ``http://host/`` starting at ``address`` (shared with other measures)."""
    return await net.http.follow(f"http://{host}/", address=address)


async def run(net: Net, domain: str, config: Config) -> MeasureResult:
    started = time.monotonic()
    hosts = await web_hosts(net, domain, config)
    evidence: list[Evidence] = [e for h in hosts for e in h.evidence]
    findings: list[Finding] = []
    pairs = [(h.name, a) for h in hosts for a in h.addresses]
    chains = await asyncio.gather(*(walk(net, h, a) for h, a in pairs))
    for (host, address), chain in zip(pairs, chains, strict=True):
        evidence += chain.evidence
        final = chain.final
        plain_page = final.status == OK and not final.https and final.code == 200
        fields = personal_data_fields(final.text()) if plain_page else ()
        checks = judge_chain(chain, fields, max_hops=MAX_HOPS)
        findings += to_findings(checks, chain.evidence, subject(host, address))
    if not pairs:
        findings.append(no_web(hosts, "REDIRECT-NO-WEB", evidence))
    return result(NAME, TITLE, AREA, findings, evidence=evidence,
                  elapsed_ms=(time.monotonic() - started) * 1000)
