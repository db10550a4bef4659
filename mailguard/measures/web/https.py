"""Is the website there over https (port 443) and over http (port 80), on every address?

Each web host (apex, ``www.``, the configured extras) is fetched on each of its addresses, IPv4
and IPv6, once over https and once over plain http, without following redirects. A refused or
failed TLS handshake is a failure; a refused or silent https port is one when plain http on the
same address answered (the server is there, https is not), and otherwise "not tested": an
address where nothing answers may be this network's doing.
"""

from __future__ import annotations

import time

from ...core import messages
from ...core.config import Config
from ...core.findings import finding, result
from ...core.messages import Message
from ...core.model import Area, Evidence, Finding, MeasureResult, Verdict
from ...net import Net
from ...net.http import BLOCKED, CERTIFICATE, NO_ADDRESS, REFUSED, TIMEOUT, TLS, UNREACHABLE
from .._checks import Check, check, to_findings
from .common import Front, WebHost, describe_chain, fronts, subject, web_hosts

NAME = "web-https"
TITLE = "Website reachable"
AREA = Area.WEBSITE

MESSAGES = {
    "HTTPS-OK": Message(
        "answers over https ({http_code})",
        "RFC 9110 §4.2.2",
    ),
    "HTTPS-NO-PAGE": Message(
        "answers over https, but its redirects never reach a page ({why}): {chain} -> {next}",
        "RFC 9110 §15.4",
    ),
    "HTTPS-CERT-INVALID": Message(
        "answers over https, but its certificate does not validate ({error})",
        "RFC 9110 §4.3.4",
    ),
    "HTTPS-TLS-FAILED": Message(
        "the TLS handshake on the https port fails ({error})",
        "RFC 9110 §4.3.4",
    ),
    "HTTPS-REFUSED": Message(
        "https connection refused, while plain http answers",
        "RFC 9110 §4.2.2",
    ),
    "HTTPS-SILENT": Message(
        "no https answer within the timeout, while plain http answers",
        "RFC 9110 §4.2.2",
    ),
    "HTTPS-BROKEN": Message(
        "the https port does not speak HTTP over TLS ({error})",
        "RFC 9110 §4.2.2",
    ),
    "HTTPS-UNTESTED": Message(
        "https could not be tested ({status}: {error})",
        "RFC 9110 §4.2.2",
    ),
    "HTTP-ANSWERS": Message(
        "answers over plain http ({http_code})",
        "RFC 9110 §4.2.1",
    ),
    "HTTP-CLOSED": Message(
        "nothing answers over plain http ({status})",
        "RFC 9110 §4.2.1",
    ),
    "WEB-NO-ADDRESS": Message(
        "{host} has no A or AAAA record: no website there",
        "RFC 1035 §3.4.1",
    ),
    "WEB-LOOKUP-FAILED": Message(
        "the addresses of {host} could not be looked up ({statuses}): not tested",
        "RFC 1035 §3.4.1",
    ),
    "WEB-NONE": Message(
        "no web host has an address: the domain has no website",
        "RFC 1035 §3.4.1",
    ),
}
messages.register(MESSAGES)


def judge_front(item: Front) -> list[Check]:
    """One address of one host: its https answer, then its plain http answer."""
    https, http = item.https, item.http
    out: list[Check] = []
    if https.ok and item.no_page and item.page is not None:
        # A redirect loop is not a working website (issue 17): nothing is ever shown.
        out.append(check("HTTPS-NO-PAGE", "https", Verdict.FAIL, why=item.no_page,
                         chain=describe_chain(item.page), next=item.page.next_url))
    elif https.ok:
        out.append(check("HTTPS-OK", "https", Verdict.PASS, http_code=https.code))
    elif https.status == CERTIFICATE:
        out.append(check("HTTPS-CERT-INVALID", "https", Verdict.WARN, error=https.error))
    elif https.status == TLS:
        out.append(check("HTTPS-TLS-FAILED", "https", Verdict.FAIL, error=https.error))
    elif https.status == REFUSED and http.ok:
        out.append(check("HTTPS-REFUSED", "https", Verdict.FAIL))
    elif https.status == TIMEOUT and http.ok:
        out.append(check("HTTPS-SILENT", "https", Verdict.FAIL))
    elif https.status in (REFUSED, TIMEOUT, UNREACHABLE, BLOCKED, NO_ADDRESS):
        # Nothing answers at all from here: this network may be the reason, so not a failure.
        out.append(check("HTTPS-UNTESTED", "https", Verdict.NOT_TESTED, status=https.status,
                         error=https.error))
    else:
        out.append(check("HTTPS-BROKEN", "https", Verdict.FAIL, error=https.error))
    if http.ok:
        out.append(check("HTTP-ANSWERS", "http", Verdict.INFO, http_code=http.code))
    else:
        out.append(check("HTTP-CLOSED", "http", Verdict.INFO, status=http.status))
    return out


def judge_host(host: WebHost) -> list[Check]:
    """A host without addresses (only its DNS answers to judge)."""
    if host.lookup_failed:
        statuses = ", ".join(sorted({a.status for a in host.answers if a.failed}))
        return [check("WEB-LOOKUP-FAILED", "address", Verdict.NOT_TESTED, host=host.name, statuses=statuses)]
    return [check("WEB-NO-ADDRESS", "address", Verdict.INFO, host=host.name)]


async def run(net: Net, domain: str, config: Config) -> MeasureResult:
    started = time.monotonic()
    hosts = await web_hosts(net, domain, config)
    evidence: list[Evidence] = [e for h in hosts for e in h.evidence]
    findings: list[Finding] = []
    for host in hosts:
        if not host.addresses:
            findings += to_findings(judge_host(host), host.evidence, subject(host.name))
    for item in await fronts(net, hosts):
        shown = [item.https.evidence, item.http.evidence, *(item.page.evidence[1:] if item.page else ())]
        evidence += shown
        findings += to_findings(judge_front(item), shown, subject(item.host, item.address))
    if not any(h.addresses for h in hosts) and not any(h.lookup_failed for h in hosts):
        findings.append(finding("WEB-NONE", "website", Verdict.INFO, evidence=evidence))
    data = {"hosts": [{"host": h.name, "addresses": list(h.addresses)} for h in hosts]}
    return result(NAME, TITLE, AREA, findings, evidence=evidence, data=data,
                  elapsed_ms=(time.monotonic() - started) * 1000)
