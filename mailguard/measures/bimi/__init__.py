"""BIMI (draft-brand-indicators-for-message-identification): the brand logo a domain publishes
for mail clients, and everything a receiver checks before it shows it.

The pure parts live beside this driver: :mod:`.record` (the assertion record), :mod:`.svg` (SVG
Tiny Portable/Secure, parsed with a refusing expat), :mod:`.vmc` (the mark certificate). This
module fetches and judges:

* the record at ``<selector>._bimi.<domain>`` for ``default`` and every ``--bimi-selector``, falling
  back to the organizational domain when the domain has none (the draft's discovery);
* the logo (``l=``) over HTTPS through the HTTP seam, at most :data:`LOGO_CAP` bytes and the
  seam's time cap, checked against SVG Tiny PS and BIMI's square shape and 32 KiB;
* the mark certificate (``a=``), fetched the same way: a BIMI EKU, a logotype carrying the
  published logo, the domain among its names, its expiry by ``net.now()``, and its chain against
  ``--bimi-ca`` (no bundle given: "chain not checked");
* the prerequisite: DMARC enforces (quarantine or reject, pct=100, no sp=none), read from the
  DMARC measure's own result on the same cached DNS answers.

Publishing no BIMI record is not a failure: BIMI is optional. A record that is published but
broken fails where a receiver would refuse it.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ...core import messages, psl
from ...core.config import Config
from ...core.errors import InputError, ParseError
from ...core.findings import finding, result
from ...core.model import Area, Evidence, Finding, MeasureResult, Verdict
from ...core.names import is_valid_dns_name
from ...net import DnsAnswer, Net
from ...net.certs import load_bundle
from ...net.http import CERTIFICATE, HttpResponse
from .. import dmarc
from .codes import MESSAGES, RECOMMENDATIONS
from .record import BimiRecord, is_bimi_record, parse_record
from .svg import SvgFacts, check_svg
from .vmc import NOT_CHECKED, TRUSTED, MarkCertificate, check_chain, read_mark_certificate

NAME = "bimi"
TITLE = "BIMI"
AREA = Area.MAIL_AUTH

LOGO_CAP = 128 * 1024  # bytes read of a logo; more is "too big", not checked
LOGO_RECOMMENDED = 32 * 1024  # BIMI Group's recommended maximum
VMC_CAP = 64 * 1024  # a mark certificate chain is a few KiB (the logo inside included)
MAX_HOPS = 3  # redirects followed to a logo or certificate
MAX_SELECTORS = 8

messages.register(MESSAGES)
messages.register_advice(RECOMMENDATIONS)

SVG_CODES = {"not-svg": "BIMI-SVG-NOT-SVG", "not-tiny-ps": "BIMI-SVG-NOT-TINY-PS", "version": "BIMI-SVG-VERSION",
             "root-xy": "BIMI-SVG-ROOT-XY", "no-title": "BIMI-SVG-NO-TITLE", "forbidden": "BIMI-SVG-FORBIDDEN",
             "handlers": "BIMI-SVG-HANDLERS", "external": "BIMI-SVG-EXTERNAL", "no-viewbox": "BIMI-SVG-NO-VIEWBOX",
             "not-square": "BIMI-SVG-NOT-SQUARE"}
RECORD_PROBLEMS = {"not-https": ("BIMI-NOT-HTTPS", Verdict.FAIL), "not-a-uri": ("BIMI-NOT-A-URI", Verdict.FAIL),
                   "too-many-logos": ("BIMI-TOO-MANY-LOGOS", Verdict.WARN), "bad-avp": ("BIMI-BAD-AVP", Verdict.WARN)}


# -- discovery -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lookup:
    """Where a selector's record was looked for, and what was found.

    name: the name the record was found at (or the last asked); answers: every answer consulted;
    records: the BIMI records (``v=BIMI1``) at ``name``; failed: a lookup could not be answered.
    """

    selector: str
    name: str
    answers: tuple[DnsAnswer, ...]
    records: tuple[str, ...]
    failed: DnsAnswer | None = None


def selectors(config: Config) -> tuple[str, ...]:
    chosen = ["default", *(s.strip().lower().rstrip(".") for s in config.bimi_selectors)]
    return tuple(s for s in dict.fromkeys(chosen) if s and is_valid_dns_name(s))[:MAX_SELECTORS]


async def lookup(net: Net, selector: str, domain: str) -> Lookup:
    """``selector._bimi.domain``, then ``selector._bimi.<organizational domain>`` if the first has no
    BIMI record; both asked at once."""
    org = psl.organizational_domain(domain)
    names = list(dict.fromkeys([f"{selector}._bimi.{domain}", f"{selector}._bimi.{org}"]))
    answers = tuple(await net.dns.query_many([(n, "TXT") for n in names]))
    for name, answer in zip(names, answers, strict=True):
        if answer.failed:
            return Lookup(selector, name, answers[:names.index(name) + 1], (), answer)
        records = tuple(t for t in answer.txt_strings() if is_bimi_record(t))
        if records:
            return Lookup(selector, name, answers[:names.index(name) + 1], records)
    return Lookup(selector, names[0], answers, ())


# -- fetching -----------------------------------------------------------------------------------------------


@dataclass
class Fetched:
    url: str
    response: HttpResponse
    evidence: tuple[Evidence, ...]


async def fetch(net: Net, url: str, cap: int) -> Fetched:
    chain = await net.http.follow(url, max_hops=MAX_HOPS, max_body=cap)
    return Fetched(url, chain.final, chain.evidence)


def fetch_problem(prefix: str, got: Fetched, cap: int) -> Finding | None:
    """The finding for a fetch that gave no usable body, or None when it did."""
    response, ev = got.response, got.evidence
    check = "BIMI logo" if prefix == "LOGO" else "BIMI mark certificate"
    if response.status == CERTIFICATE:
        return finding(f"BIMI-{prefix}-CERT", check, Verdict.FAIL, evidence=ev, url=got.url, error=response.error)
    if not response.ok:
        return finding(f"BIMI-{prefix}-UNREACHABLE", check, Verdict.NOT_TESTED, evidence=ev, url=got.url,
                       error=f"{response.status}: {response.error}")
    if response.code != 200:
        return finding(f"BIMI-{prefix}-HTTP", check, Verdict.FAIL, evidence=ev, url=got.url, http_code=response.code)
    if response.truncated:
        return finding(f"BIMI-{prefix}-TOO-BIG", check, Verdict.FAIL, evidence=ev, url=got.url, cap=cap)
    return None


# -- judging ---------------------------------------------------------------------------------------------------


def judge_logo(got: Fetched) -> tuple[list[Finding], SvgFacts | None]:
    problem = fetch_problem("LOGO", got, LOGO_CAP)
    if problem is not None:
        return [problem], None
    body, ev = got.response.body, got.evidence
    out: list[Finding] = []
    if len(body) > LOGO_RECOMMENDED:
        out.append(finding("BIMI-LOGO-LARGE", "BIMI logo size", Verdict.WARN, evidence=ev, size=len(body)))
    try:
        facts = check_svg(body)
    except ParseError as exc:
        return [*out, finding("BIMI-LOGO-NOT-SVG", "BIMI logo", Verdict.FAIL, evidence=ev, url=got.url,
                              error=str(exc)[:200])], None
    problems = facts.problems()
    for code, detail in problems:
        out.append(finding(SVG_CODES[code], "BIMI logo", Verdict.FAIL, evidence=ev, detail=detail[:200]))
    if not problems:
        out.append(finding("BIMI-LOGO-OK", "BIMI logo", Verdict.PASS, evidence=ev, url=got.url,
                           title=(facts.title or "").strip()[:80], size=len(body)))
    return out, facts


def judge_mark(got: Fetched, domain: str, logo: bytes | None, roots: tuple[Any, ...] | None, bundle: str,
               net: Net) -> tuple[list[Finding], dict[str, Any]]:
    problem = fetch_problem("VMC", got, VMC_CAP)
    if problem is not None:
        return [problem], {}
    ev, check = got.evidence, "BIMI mark certificate"
    now = net.now()
    try:
        mark = read_mark_certificate(got.response.body, now)
    except ParseError as exc:
        return [finding("BIMI-VMC-UNREADABLE", check, Verdict.FAIL, evidence=ev, url=got.url,
                        error=str(exc)[:200])], {}
    cert_ev = Evidence("input", f"mark certificate {mark.leaf.summary()}",
                       {"url": got.url, "leaf": mark.leaf.to_json(), "chain_length": len(mark.chain),
                        "bimi_eku": mark.bimi_eku, "logotype": mark.logotype})
    ev = (*ev, cert_ev)
    out: list[Finding] = []
    if not mark.bimi_eku:
        out.append(finding("BIMI-VMC-NOT-MARK", check, Verdict.FAIL, evidence=ev, url=got.url))
    out.extend(_mark_logo(mark, logo, ev))
    out.append(_mark_name(mark, domain, ev))
    out.append(_mark_dates(mark, ev))
    chain = check_chain(mark.chain, roots, now)
    if chain.status == TRUSTED:
        out.append(finding("BIMI-VMC-CHAIN-TRUSTED", check, Verdict.PASS, evidence=ev, bundle=bundle,
                           path=" <- ".join(chain.path)))
    elif chain.status == NOT_CHECKED:
        out.append(finding("BIMI-VMC-CHAIN-NOT-CHECKED", check, Verdict.INFO, evidence=ev))
    else:
        out.append(finding("BIMI-VMC-CHAIN-UNTRUSTED", check, Verdict.FAIL, evidence=ev, bundle=bundle,
                           reason=chain.reason))
    data = {"url": got.url, "leaf": mark.leaf.to_json(), "bimi_eku": mark.bimi_eku, "logotype": mark.logotype,
            "chain": chain.status, "chain_reason": chain.reason or None}
    return out, data


def _mark_logo(mark: MarkCertificate, logo: bytes | None, ev: tuple[Evidence, ...]) -> list[Finding]:
    check = "BIMI mark certificate"
    if mark.logo is None:
        return [finding("BIMI-VMC-NO-LOGO", check, Verdict.FAIL, evidence=ev, error=mark.logo_error)]
    if logo is None:
        return []  # the published logo could not be read: nothing to compare
    cert_digest, logo_digest = hashlib.sha256(mark.logo).hexdigest(), hashlib.sha256(logo).hexdigest()
    if cert_digest == logo_digest:
        return [finding("BIMI-VMC-LOGO-MATCH", check, Verdict.PASS, evidence=ev)]
    return [finding("BIMI-VMC-LOGO-MISMATCH", check, Verdict.FAIL, evidence=ev, cert_digest=cert_digest[:16],
                    logo_digest=logo_digest[:16])]


def _mark_name(mark: MarkCertificate, domain: str, ev: tuple[Evidence, ...]) -> Finding:
    """A mark certificate names the domain it is for (exactly, or its organizational domain)."""
    wanted = {domain.lower(), psl.organizational_domain(domain)}
    names = ", ".join(mark.names) or "no DNS names"
    if wanted & set(mark.names):
        return finding("BIMI-VMC-NAME", "BIMI mark certificate", Verdict.PASS, evidence=ev, names=names)
    return finding("BIMI-VMC-NAME-MISMATCH", "BIMI mark certificate", Verdict.FAIL, evidence=ev, names=names,
                   domain=domain)


def _mark_dates(mark: MarkCertificate, ev: tuple[Evidence, ...]) -> Finding:
    leaf, check = mark.leaf, "BIMI mark certificate"
    if leaf.expired:
        return finding("BIMI-VMC-EXPIRED", check, Verdict.FAIL, evidence=ev, not_after=f"{leaf.not_after:%Y-%m-%d}")
    if leaf.not_yet_valid:
        return finding("BIMI-VMC-NOT-YET-VALID", check, Verdict.FAIL, evidence=ev,
                       not_before=f"{leaf.not_before:%Y-%m-%d}")
    return finding("BIMI-VMC-VALID", check, Verdict.PASS, evidence=ev, not_after=f"{leaf.not_after:%Y-%m-%d}",
                   days=leaf.days_to_expiry)


def judge_dmarc(measured: MeasureResult) -> Finding:
    """BIMI's prerequisite from the DMARC measure's data: an enforcing policy for all mail."""
    data = measured.data
    evidence = [e for e in measured.evidence if "_dmarc." in e.summary][:4]
    check = "DMARC enforcement for BIMI"
    policy, pct = data.get("policy"), data.get("pct")
    if policy is None:
        failed = (data.get("discovery") or {}).get("dmarcbis", {}).get("failed")
        if failed or measured.status == Verdict.NOT_TESTED:
            return finding("BIMI-DMARC-UNTESTED", check, Verdict.NOT_TESTED, evidence=evidence)
        return finding("BIMI-DMARC-MISSING", check, Verdict.FAIL, evidence=evidence)
    if not data.get("enforcing"):
        return finding("BIMI-DMARC-NOT-ENFORCING", check, Verdict.FAIL, evidence=evidence,
                       policy=data.get("applied_policy") or policy)
    if pct is not None and pct < 100:
        return finding("BIMI-DMARC-PCT", check, Verdict.FAIL, evidence=evidence, pct=pct)
    if data.get("sp") == "none":
        return finding("BIMI-DMARC-SP-NONE", check, Verdict.FAIL, evidence=evidence)
    return finding("BIMI-DMARC-ENFORCING", check, Verdict.PASS, evidence=evidence, policy=policy,
                   pct=100 if pct is None else pct)


# -- one selector ---------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    findings: list[Finding] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    published: bool = False  # a record a receiver would use (not declined, not invalid)


async def check_selector(net: Net, found: Lookup, domain: str, roots: tuple[Any, ...] | None,
                         bundle: str) -> Outcome:
    out = Outcome(data={"selector": found.selector, "name": found.name, "record": None})
    ev = [a.evidence for a in found.answers]
    check = "BIMI record"
    if found.failed is not None:
        out.findings.append(finding("BIMI-LOOKUP-FAILED", check, Verdict.NOT_TESTED, evidence=ev,
                                    subject=found.selector, name=found.name, status=found.failed.status))
        return out
    if not found.records:
        out.findings.append(finding("BIMI-NONE", check, Verdict.INFO, evidence=ev, subject=found.selector,
                                    name=found.name))
        return out
    if len(found.records) > 1:
        out.findings.append(finding("BIMI-MULTIPLE", check, Verdict.FAIL, evidence=ev, subject=found.selector,
                                    count=len(found.records), name=found.name))
        return out
    text = found.records[0]
    out.data["record"] = text
    try:
        record = parse_record(text)
    except ParseError as exc:
        out.findings.append(finding("BIMI-RECORD-INVALID", check, Verdict.FAIL, evidence=ev, subject=found.selector,
                                    name=found.name, error=str(exc)))
        return out
    out.findings.append(finding("BIMI-RECORD", check, Verdict.INFO, evidence=ev, subject=found.selector,
                                name=found.name, record=text[:300]))
    if record.declined:
        out.findings.append(finding("BIMI-DECLINED", check, Verdict.INFO, evidence=ev, subject=found.selector,
                                    name=found.name))
        return out
    out.published = True
    out.findings.extend(_record_problems(record, ev, found.selector))
    await _fetch_and_judge(net, record, domain, roots, bundle, out, found.selector)
    return out


def _record_problems(record: BimiRecord, ev: list[Evidence], selector: str) -> list[Finding]:
    out = []
    for code, detail in record.problems:
        tag, _, value = detail.partition("=")
        message, verdict = RECORD_PROBLEMS[code]
        out.append(finding(message, "BIMI record", verdict, evidence=ev, subject=selector,
                           tag=tag if value else "l", value=value or detail))
    if record.unknown:
        out.append(finding("BIMI-UNKNOWN-TAGS", "BIMI record", Verdict.INFO, evidence=ev, subject=selector,
                           tags=", ".join(record.unknown)))
    return out


def _https(uri: str) -> bool:
    return uri.lower().startswith("https://")


async def _fetch_and_judge(net: Net, record: BimiRecord, domain: str, roots: tuple[Any, ...] | None,
                           bundle: str, out: Outcome, selector: str) -> None:
    logo_url = next((u for u in record.logo if _https(u)), None)
    mark_url = record.authority if _https(record.authority) else None
    logo_got, mark_got = await asyncio.gather(
        fetch(net, logo_url, LOGO_CAP) if logo_url else _none(),
        fetch(net, mark_url, VMC_CAP) if mark_url else _none())
    logo_bytes: bytes | None = None
    if logo_got is not None:
        found, facts = judge_logo(logo_got)
        out.findings.extend(_subject(found, selector))
        if facts is not None:
            logo_bytes = logo_got.response.body
        out.data["logo"] = {"url": logo_got.url, "bytes": len(logo_got.response.body),
                            "sha256": hashlib.sha256(logo_got.response.body).hexdigest() if logo_bytes else None,
                            "problems": [c for c, _ in facts.problems()] if facts else None}
    if mark_got is None:
        if not record.authority:
            out.findings.append(finding("BIMI-NO-VMC", "BIMI mark certificate", Verdict.INFO, subject=selector))
        return
    found, data = judge_mark(mark_got, domain, logo_bytes, roots, bundle, net)
    out.findings.extend(_subject(found, selector))
    out.data["mark"] = data


async def _none() -> None:
    return None


def _subject(found: list[Finding], selector: str) -> list[Finding]:
    return [replace(f, subject=selector) if not f.subject else f for f in found]


# -- the measure ---------------------------------------------------------------------------------------------------


def _roots(config: Config) -> tuple[tuple[Any, ...] | None, str]:
    if config.bimi_ca is None:
        return None, ""
    try:
        return load_bundle(Path(config.bimi_ca)), str(config.bimi_ca)
    except InputError:
        return (), str(config.bimi_ca)  # unusable: the CLI refuses it earlier; here nothing is trusted


async def run(net: Net, domain: str, config: Config) -> MeasureResult:
    started = time.monotonic()
    roots, bundle = _roots(config)
    lookups = await asyncio.gather(*(lookup(net, s, domain) for s in selectors(config)))
    outcomes = await asyncio.gather(*(check_selector(net, found, domain, roots, bundle) for found in lookups))
    findings = [f for o in outcomes for f in o.findings]
    data: dict[str, Any] = {"selectors": [o.data for o in outcomes], "dmarc": None}
    if any(o.published for o in outcomes):
        measured = await dmarc.run(net, domain, config)  # its DNS answers are cached: no new queries
        findings.append(judge_dmarc(measured))
        data["dmarc"] = {k: measured.data.get(k) for k in ("policy", "applied_policy", "pct", "sp", "enforcing")}
    evidence = [a.evidence for lk in lookups for a in lk.answers] + [e for f in findings for e in f.evidence]
    return result(NAME, TITLE, AREA, findings, evidence=evidence, data=data,
                  elapsed_ms=(time.monotonic() - started) * 1000)


__all__ = ["AREA", "LOGO_CAP", "MESSAGES", "NAME", "TITLE", "judge_dmarc", "judge_logo", "lookup", "run",
           "selectors"]
