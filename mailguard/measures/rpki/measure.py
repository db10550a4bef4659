"""RPKI: is every address the domain depends on announced by an AS that may announce it?

For every address of the name servers, the MX hosts and the web hosts (internet.nl's RPKI tests):

1. the announced prefix and origin AS, from a DNS origin lookup service (Team Cymru style: TXT at
   the reversed address under ``config.rpki_origin_zone`` / ``rpki_origin6_zone``);
2. route origin validation of each (prefix, origin AS) against Validated ROA Payloads (RFC 6811
   §2, :mod:`mailguard.measures.rpki.roa`): valid passes, invalid fails (another AS, or a prefix more specific
   than the ROA's maxLength allows), not found warns (no ROA covers the prefix).

The VRPs come from a source the user configures, never from a default: ``--rpki-vrps FILE``
(the JSON export of ``rpki-client -j`` or ``routinator vrps --format json``), or ``--rpki-url
URL`` (a Routinator HTTP service: a URL ending in ``/json`` is its VRP list, any other URL is the
base of its ``/api/v1/validity/AS/prefix`` API), fetched through the HTTP seam with size and time
caps. Without a source the measure is "not tested", and says how to configure one.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ...core import messages
from ...core.config import Config
from ...core.errors import InputError, ParseError
from ...core.findings import finding, result
from ...core.messages import Message
from ...core.model import Area, Evidence, Finding, MeasureResult, Verdict
from ...net import DnsAnswer, Net
from .. import mx
from ..ipv6 import zone_nameservers
from ..web.common import web_hosts
from .roa import (
    INVALID,
    NOT_FOUND,
    REASON_LENGTH,
    VALID,
    Origin,
    Route,
    RouteValidity,
    VrpTable,
    origin_query,
    origins_for,
    parse_validity_json,
    parse_vrp_json,
    validate,
)

NAME = "rpki"
TITLE = "RPKI"
AREA = Area.DOMAIN

MAX_ADDRESSES = 40  # addresses validated per domain
MAX_VRP_DOWNLOAD = 128 * 1024 * 1024  # a Routinator /json of today's ~600,000 VRPs is ~40 MB
MAX_VALIDITY_ANSWER = 256 * 1024
HOW_TO = ("give --rpki-vrps FILE (the JSON of `rpki-client -j` or `routinator vrps --format json`) "
          "or --rpki-url URL (a Routinator HTTP service)")
RFC = "RFC 6811 §2"

MESSAGES = {
    "RPKI-NO-DATA": Message(f"not tested: no RPKI data configured; {HOW_TO}", RFC),
    "RPKI-SOURCE-FAILED": Message("not tested: the VRPs could not be read from {source} ({error})", RFC),
    "RPKI-VALID": Message("{address} ({hosts}): route {prefix} from AS{asn} is RPKI valid (ROA {vrps})", RFC),
    "RPKI-INVALID-AS": Message(
        "{address} ({hosts}): route {prefix} from AS{asn} is RPKI invalid: the ROAs covering it name "
        "other ASes ({vrps}); networks that validate drop this route", RFC),
    "RPKI-INVALID-LENGTH": Message(
        "{address} ({hosts}): route {prefix} from AS{asn} is RPKI invalid: more specific than the ROA "
        "allows ({vrps}); networks that validate drop this route", RFC),
    "RPKI-NOT-FOUND": Message(
        "{address} ({hosts}): route {prefix} from AS{asn} has no ROA (RPKI not found): nothing "
        "protects it against a hijack", RFC),
    "RPKI-NO-ROUTE": Message(
        "{address} ({hosts}): the origin lookup service knows no announced route for it ({status}): not tested",
        RFC),
    "RPKI-ORIGIN-FAILED": Message(
        "{address} ({hosts}): the origin lookup failed ({status}): not tested", RFC),
    "RPKI-ORIGIN-UNREADABLE": Message(
        "{address} ({hosts}): the origin lookup answer could not be read ({error}): not tested", RFC),
    "RPKI-VALIDITY-FAILED": Message(
        "{address} ({hosts}): route {prefix} from AS{asn} could not be validated ({error}): not tested",
        RFC),
    "RPKI-NO-ADDRESSES": Message("no addresses of name, mail or web servers to validate", RFC),
}
messages.register(MESSAGES)

messages.register_advice({
    "RPKI-INVALID-": Message(
        "Ask the hosting or network provider of the address to correct its ROA (route origin "
        "authorisation): as published, networks that validate RPKI ignore the route."),
    "RPKI-NOT-FOUND": Message(
        "Ask the hosting or network provider of the address to publish a ROA for its prefix, so that "
        "others can reject hijacked routes."),
})


# -- where VRPs come from --------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """The configured VRP source: ``kind`` is ``file``, ``json`` (a Routinator /json URL) or
    ``api`` (a Routinator validity API base URL)."""

    kind: str
    location: str

    def describe(self) -> str:
        return {"file": "file", "json": "VRP list at", "api": "validity API at"}[self.kind] + f" {self.location}"


def source_of(config: Config) -> Source | None:
    if config.rpki_vrps is not None:
        return Source("file", str(config.rpki_vrps))
    if config.rpki_url:
        url = config.rpki_url.strip()
        path = url.split("?", 1)[0].rstrip("/")
        return Source("json" if path.endswith("/json") else "api", url)
    return None


def check_url(url: str) -> str:
    """The ``--rpki-url`` value if it is an http(s) URL; InputError otherwise."""
    value = url.strip()
    scheme, sep, rest = value.partition("://")
    if not sep or scheme.lower() not in ("http", "https") or not rest or rest.startswith("/"):
        raise InputError(f"--rpki-url {url!r}: give an http:// or https:// URL of a Routinator HTTP service")
    return value


def load_vrps(path: Path) -> VrpTable:
    """A VRP export file, parsed once per content (cached by path, size and modification time);
    InputError if it cannot be read or is not a VRP export."""
    return _read_vrps(path)[0]


def _read_vrps(path: Path) -> tuple[VrpTable, str]:
    """The table and the sha256 of the very bytes it was parsed from."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise InputError(f"--rpki-vrps {path}: {exc.strerror or exc}") from None
    return _load(str(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=4)
def _load(path: str, _size: int, _mtime: int) -> tuple[VrpTable, str]:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"--rpki-vrps {path}: {exc.strerror or exc}") from None
    try:
        return parse_vrp_json(data, source=path), hashlib.sha256(data).hexdigest()
    except ParseError as exc:
        raise InputError(f"--rpki-vrps {path}: {exc}") from None


@lru_cache(maxsize=2)
def _parse_download(body: bytes, url: str) -> VrpTable:
    """One downloaded VRP list parsed once, however many domains of a batch use it."""
    return parse_vrp_json(body, source=url)


# -- addresses ---------------------------------------------------------------------------------------


async def addresses_of_domain(net: Net, domain: str, config: Config) -> tuple[dict[str, list[str]], list[Evidence]]:
    """Every address of the name servers, MX hosts and web hosts, with the hosts behind each."""
    (ns_answers, _, ns_hosts), (mx_answer, mx_list), web = await asyncio.gather(
        zone_nameservers(net, domain), mx.mx_hosts(net, domain), web_hosts(net, domain, config))
    names = [*ns_hosts, *(h.host for h in mx_list if h.host != "." and not mx.looks_like_ip(h.host))]
    lookups = await asyncio.gather(*(mx.host_addresses(net, n) for n in dict.fromkeys(names)))
    evidence = [a.evidence for a in ns_answers] + [mx_answer.evidence]
    found: dict[str, list[str]] = {}

    def add(host: str, answers: Iterable[DnsAnswer]) -> None:
        for answer in answers:
            evidence.append(answer.evidence)
            for address in mx.addresses_of(answer):
                hosts = found.setdefault(address, [])
                if host not in hosts:
                    hosts.append(host)

    for name, pair in zip(dict.fromkeys(names), lookups, strict=True):
        add(name, pair)
    for host in web:
        add(host.name, host.answers)
    return dict(list(found.items())[:MAX_ADDRESSES]), evidence


# -- validation -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Validator:
    """Validates routes from a table (file, /json) or through the validity API; ``error`` set
    when the source could not be used."""

    source: Source
    table: VrpTable | None
    evidence: tuple[Evidence, ...]
    error: str = ""


async def validator(net: Net, source: Source, *, cap: int = MAX_VRP_DOWNLOAD) -> Validator:
    if source.kind == "file":
        try:
            table, digest = _read_vrps(Path(source.location))
        except InputError as exc:
            return Validator(source, None, (), str(exc))
        evidence = Evidence("input", f"VRPs from {source.location}: {len(table)} VRPs (sha256 {digest[:16]})",
                            {"source": source.location, "vrps": len(table), "sha256": digest})
        return Validator(source, table, (evidence,))
    if source.kind == "api":
        return Validator(source, None, ())
    response = await net.http.fetch(source.location, max_body=cap)
    if not response.ok:
        return Validator(source, None, (response.evidence,), f"{response.status}: {response.error}")
    if response.code != 200 or response.truncated:
        why = "larger than the cap" if response.truncated else f"HTTP {response.code}"
        return Validator(source, None, (response.evidence,), why)
    try:
        table = _parse_download(response.body, source.location)
    except ParseError as exc:
        return Validator(source, None, (response.evidence,), str(exc)[:200])
    return Validator(source, table, (response.evidence,))


async def validate_route(net: Net, checker: Validator, route: Route) -> tuple[RouteValidity | None, str,
                                                                                tuple[Evidence, ...]]:
    """(validity, error, evidence) of one route."""
    if checker.table is not None:
        return checker.table.validate(route), "", ()
    base = checker.source.location.split("?", 1)[0].rstrip("/")
    url = f"{base}/api/v1/validity/AS{route.origin}/{route.prefix}"
    response = await net.http.fetch(url, max_body=MAX_VALIDITY_ANSWER)
    if not response.ok or response.code != 200 or response.truncated:
        error = (f"{response.status}: {response.error}" if not response.ok
                 else "answer larger than the cap" if response.truncated else f"HTTP {response.code}")
        return None, error, (response.evidence,)
    try:
        answer = parse_validity_json(response.body)
    except ParseError as exc:
        return None, str(exc)[:200], (response.evidence,)
    if answer.route != route:
        return None, f"the answer is about {answer.route}, not {route}", (response.evidence,)
    # The VRPs the answer lists are the covering ones; RFC 6811 is applied to them here, so a
    # file, a /json list and the API are judged by the same code.
    return validate(route, answer.covering), "", (response.evidence,)


def judge_route(address: str, hosts: str, validity: RouteValidity, evidence: list[Evidence]) -> Finding:
    route = validity.route
    params = {"address": address, "hosts": hosts, "prefix": str(route.prefix), "asn": route.origin}
    check = "route origin validation"
    subject = address
    if validity.state == VALID:
        return finding("RPKI-VALID", check, Verdict.PASS, evidence=evidence, subject=subject,
                       vrps=_vrps(validity.matched), **params)
    if validity.state == INVALID:
        code = "RPKI-INVALID-LENGTH" if validity.reason == REASON_LENGTH else "RPKI-INVALID-AS"
        shown = validity.unmatched_length if validity.reason == REASON_LENGTH else validity.unmatched_as
        return finding(code, check, Verdict.FAIL, evidence=evidence, subject=subject, vrps=_vrps(shown), **params)
    assert validity.state == NOT_FOUND
    return finding("RPKI-NOT-FOUND", check, Verdict.WARN, evidence=evidence, subject=subject, **params)


def _vrps(vrps: Iterable[Any]) -> str:
    shown = [f"{v.prefix}-{v.max_length} AS{v.asn}" for v in vrps]
    return ", ".join(shown[:5]) + (f" and {len(shown) - 5} more" if len(shown) > 5 else "")


async def _address(net: Net, config: Config, checker: Validator, address: str,
                   hosts: list[str]) -> tuple[list[Finding], dict[str, Any]]:
    names = ", ".join(hosts)
    name = origin_query(address, config.rpki_origin_zone, config.rpki_origin6_zone)
    answer = await net.dns.query(name, "TXT")
    check = "route origin validation"
    base = {"address": address, "hosts": names}
    data: dict[str, Any] = {"address": address, "hosts": hosts, "origin_query": name, "routes": []}
    if answer.failed:
        return [finding("RPKI-ORIGIN-FAILED", check, Verdict.NOT_TESTED, evidence=[answer.evidence],
                        subject=address, status=answer.status, **base)], data
    origins, problems = origins_for(address, answer.txt_strings())
    if not origins:
        if problems:
            return [finding("RPKI-ORIGIN-UNREADABLE", check, Verdict.NOT_TESTED, evidence=[answer.evidence],
                            subject=address, error=problems[0][:160], **base)], data
        return [finding("RPKI-NO-ROUTE", check, Verdict.NOT_TESTED, evidence=[answer.evidence],
                        subject=address, status=answer.status, **base)], data
    routes = list(dict.fromkeys(r for o in origins for r in o.routes))
    outcomes = await asyncio.gather(*(validate_route(net, checker, r) for r in routes))
    findings: list[Finding] = []
    for route, (validity, error, evidence) in zip(routes, outcomes, strict=True):
        used = [answer.evidence, *checker.evidence, *evidence]
        if validity is None:
            findings.append(finding("RPKI-VALIDITY-FAILED", check, Verdict.NOT_TESTED, evidence=used,
                                    subject=address, prefix=str(route.prefix), asn=route.origin, error=error, **base))
            continue
        findings.append(judge_route(address, names, validity, used))
        data["routes"].append(validity.to_json())
    data["origins"] = [_origin_json(o) for o in origins]
    return findings, data


def _origin_json(origin: Origin) -> dict[str, Any]:
    return {"origins": [f"AS{a}" for a in origin.origins], "prefix": str(origin.prefix),
            "country": origin.country, "registry": origin.registry, "allocated": origin.allocated}


async def run(net: Net, domain: str, config: Config) -> MeasureResult:
    started = time.monotonic()

    def done(findings: list[Finding], evidence: list[Evidence], data: dict[str, Any]) -> MeasureResult:
        return result(NAME, TITLE, AREA, findings, evidence=evidence, data=data,
                      elapsed_ms=(time.monotonic() - started) * 1000)

    source = source_of(config)
    if source is None:
        return done([finding("RPKI-NO-DATA", "route origin validation", Verdict.NOT_TESTED)], [],
                    {"source": None})
    (addresses, evidence), checker = await asyncio.gather(addresses_of_domain(net, domain, config),
                                                          validator(net, source))
    data: dict[str, Any] = {"source": {"kind": source.kind, "location": source.location,
                                       "vrps": len(checker.table) if checker.table is not None else None},
                            "origin_zones": [config.rpki_origin_zone, config.rpki_origin6_zone], "addresses": []}
    if checker.error:
        return done([finding("RPKI-SOURCE-FAILED", "route origin validation", Verdict.NOT_TESTED,
                             evidence=checker.evidence, source=source.describe(), error=checker.error)],
                    [*evidence, *checker.evidence], data)
    if not addresses:
        return done([finding("RPKI-NO-ADDRESSES", "route origin validation", Verdict.INFO, evidence=evidence)],
                    evidence, data)
    outcomes = await asyncio.gather(*(_address(net, config, checker, a, h) for a, h in _sorted(addresses)))
    findings = [f for found, _ in outcomes for f in found]
    data["addresses"] = [d for _, d in outcomes]
    evidence += [*checker.evidence, *(e for f in findings for e in f.evidence)]
    return done(findings, evidence, data)


def _sorted(addresses: dict[str, list[str]]) -> list[tuple[str, list[str]]]:
    """IPv4 before IPv6, each in numeric order: a stable report."""
    return sorted(addresses.items(), key=lambda item: (ipaddress.ip_address(item[0]).version,
                                                       ipaddress.ip_address(item[0])))


__all__ = ["AREA", "HOW_TO", "MESSAGES", "NAME", "TITLE", "Source", "check_url", "judge_route", "load_vrps",
           "run", "source_of"]
