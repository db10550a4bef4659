"""What every website measure shares: which hosts make up the web presence, and their front pages.

A domain's web presence is its apex, ``www.`` and the hosts ``Config.web_hosts`` names (a contact
form, a portal). Each host is looked up through the DNS layer, and every address (IPv4 and IPv6)
is observed on its own. All measures ask the same questions, so the caches in ``net`` make each
lookup and each fetch happen once per scan.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from ...core import messages
from ...core.config import Config
from ...core.findings import finding
from ...core.messages import Message
from ...core.model import Evidence, Finding, Verdict
from ...core.names import is_valid_dns_name
from ...net import DnsAnswer, HttpResponse, Net, RedirectChain
from ...net.http import BAD_LOCATION, CERTIFICATE, FINAL, LOOP, MAX_BODY, TOO_MANY

SECURITY_TXT_PATHS = ("/.well-known/security.txt", "/security.txt")

messages.register({
    "WEB-HOSTS-UNTESTED": Message(
        "the addresses of {hosts} could not be looked up ({statuses}): not tested, which is not the "
        "same as no website",
        "RFC 1035 §4.1.1"),
})
# Why a redirect chain reaches no page: what a page-level check then says it could not test.
NO_PAGE = {LOOP: "redirect loop", TOO_MANY: "too many redirects", BAD_LOCATION: "redirect to a bad Location"}


def no_page(chain: RedirectChain | None) -> str:
    """Why ``chain`` never reaches a page ("" when it does, or when there is no chain)."""
    if chain is None or chain.end == FINAL:
        return ""
    return NO_PAGE.get(chain.end, chain.end)


def describe_chain(chain: RedirectChain) -> str:
    """``http://a/ 301 -> https://a/ 200`` (statuses, or the failure, after each URL)."""
    parts = [f"{hop.url} {hop.code if hop.ok else hop.status}" for hop in chain.hops]
    return " -> ".join(parts)


@dataclass(frozen=True)
class WebHost:
    """A web host and its addresses. ``lookup_failed``: neither A nor AAAA could be asked."""

    name: str
    addresses: tuple[str, ...]
    answers: tuple[DnsAnswer, ...]

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        return tuple(a.evidence for a in self.answers)

    @property
    def lookup_failed(self) -> bool:
        """No address found, and A or AAAA got no answer: absence is not proven (SERVFAIL, timeout)."""
        return not self.addresses and any(a.failed for a in self.answers)


def no_web(hosts: tuple[WebHost, ...], code: str, evidence: list[Evidence]) -> Finding:
    """What a website measure says when no host has an address.

    Absence only from NXDOMAIN or NODATA: when the lookup of a host failed, nothing is proven and
    the measure is not tested (issue 17); otherwise ``code``, information: there is no website.
    """
    failed = [h for h in hosts if h.lookup_failed]
    if failed:
        statuses = sorted({a.status for h in failed for a in h.answers if a.failed})
        return finding("WEB-HOSTS-UNTESTED", "web hosts", Verdict.NOT_TESTED,
                       evidence=[e for h in failed for e in h.evidence],
                       hosts=", ".join(h.name for h in failed), statuses=", ".join(statuses))
    return finding(code, "web hosts", Verdict.INFO, evidence=evidence)


def host_names(domain: str, config: Config) -> tuple[str, ...]:
    """The apex, ``www.`` and the configured extra hosts, without repeats."""
    names = [domain, f"www.{domain}"]
    for extra in config.web_hosts:
        name = extra.strip().lower().rstrip(".")
        if is_valid_dns_name(name):
            names.append(name)
    return tuple(dict.fromkeys(names))


async def web_hosts(net: Net, domain: str, config: Config) -> tuple[WebHost, ...]:
    """Every web host of ``domain`` with its addresses (A and AAAA asked concurrently)."""
    names = host_names(domain, config)
    answers = await net.dns.query_many([(n, t) for n in names for t in ("A", "AAAA")])
    hosts = []
    for index, name in enumerate(names):
        a, aaaa = answers[2 * index], answers[2 * index + 1]
        addresses = tuple(r.text for ans in (a, aaaa) if ans.status == "ok" for r in ans.records)
        hosts.append(WebHost(name, addresses, (a, aaaa)))
    return tuple(hosts)


def subject(host: str, address: str | None = None) -> str:
    return f"{host} @{address}" if address else host


@dataclass(frozen=True)
class Front:
    """A host's front page on one address: over https (validated), and over plain http.

    insecure: the same https request without certificate validation, made only when validation
    failed, so a report can still say what the host serves (browsers would stop at the warning).
    page: when the https answer is a redirect, the chain followed from it (as the answer was
    fetched: validated or not), so checks of a page know whether one is ever reached.
    """

    host: str
    address: str
    https: HttpResponse
    http: HttpResponse
    insecure: HttpResponse | None
    page: RedirectChain | None = None

    @property
    def no_page(self) -> str:
        """Why the https redirects never reach a page (a loop, too many): "" when they do."""
        return no_page(self.page)

    @property
    def seen_https(self) -> HttpResponse | None:
        """The https response to judge: the validated one, else the unvalidated one, else None."""
        if self.https.ok:
            return self.https
        if self.insecure is not None and self.insecure.ok:
            return self.insecure
        return None


async def https_fetch(net: Net, url: str, address: str | None = None, *,
                      max_body: int | None = None) -> tuple[HttpResponse, HttpResponse | None]:
    """A validated https fetch, and when validation failed, the same fetch unvalidated."""
    cap = MAX_BODY if max_body is None else max_body
    verified = await net.http.fetch(url, address=address, max_body=cap)
    if verified.status != CERTIFICATE:
        return verified, None
    return verified, await net.http.fetch(url, address=address, verify=False, max_body=cap)


async def front(net: Net, host: str, address: str) -> Front:
    url = f"https://{_netloc(host)}/"
    (https, insecure), http = await asyncio.gather(
        https_fetch(net, url, address),
        net.http.fetch(f"http://{_netloc(host)}/", address=address),
    )
    seen = https if https.ok else insecure
    page = None
    if seen is not None and seen.ok and seen.is_redirect:  # the first hop is the fetch above (cached)
        page = await net.http.follow(url, address=address, verify=seen is https)
    return Front(host, address, https, http, insecure, page)


async def fronts(net: Net, hosts: tuple[WebHost, ...]) -> list[Front]:
    """Every (host, address) front page, all fetched concurrently."""
    pairs = [(h.name, a) for h in hosts for a in h.addresses]
    return list(await asyncio.gather(*(front(net, h, a) for h, a in pairs)))


def _netloc(host: str) -> str:
    return f"[{host}]" if ":" in host else host
