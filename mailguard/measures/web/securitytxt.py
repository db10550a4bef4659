"""security.txt (RFC 9116): can a researcher who finds a hole reach the organisation?

Fetched from ``https://<host>/.well-known/security.txt`` (the legacy ``/security.txt`` as a
fallback), redirects followed hop by hop. The file must come over https as ``text/plain``; the
pure parser reads fields (OpenPGP cleartext signatures are unwrapped, not verified). Contact and
Expires are required; Expires must not be in the past (``net.now()``) and should be less than a
year ahead. A missing file is a warning on the main web host and information elsewhere: the RFC
is a recommendation, not a promise a privacy statement makes.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from ...core import messages
from ...core.config import Config
from ...core.findings import finding, result
from ...core.messages import Message
from ...core.model import Area, Evidence, Finding, MeasureResult, Verdict
from ...net import Net, RedirectChain
from ...net.http import CERTIFICATE
from .._checks import Check, check, to_findings
from .common import SECURITY_TXT_PATHS, describe_chain, no_page, no_web, subject, web_hosts

NAME = "security-txt"
TITLE = "security.txt"
AREA = Area.WEBSITE

MAX_SIZE = 64 * 1024
ONE_YEAR = timedelta(days=366)  # "less than a year into the future" (RFC 9116 §2.5.5), a leap day of slack
SINGLE_FIELDS = ("expires", "preferred-languages")

MESSAGES = {
    "SECTXT-FOUND": Message(
        "security.txt at {url}",
        "RFC 9116 §3",
    ),
    "SECTXT-LEGACY-PATH": Message(
        "security.txt only at the legacy path {url}; use /.well-known/security.txt",
        "RFC 9116 §3",
    ),
    "SECTXT-MISSING": Message(
        "no security.txt ({detail})",
        "RFC 9116 §3",
    ),
    "SECTXT-NOT-TEXT": Message(
        "{url} is served as {media_type!r}, not text/plain: not a security.txt",
        "RFC 9116 §3",
    ),
    "SECTXT-NOT-HTTPS": Message(
        "security.txt ends up on plain http ({url})",
        "RFC 9116 §3",
    ),
    "SECTXT-CERT-INVALID": Message(
        "security.txt is only reachable without certificate validation",
        "RFC 9116 §3",
    ),
    "SECTXT-CHARSET": Message(
        "Content-Type has no charset=utf-8 ({content_type!r})",
        "RFC 9116 §3",
    ),
    "SECTXT-CONTACT": Message(
        "Contact: {contacts}",
        "RFC 9116 §2.5.3",
    ),
    "SECTXT-CONTACT-MISSING": Message(
        "no Contact field (required)",
        "RFC 9116 §2.5.3",
    ),
    "SECTXT-CONTACT-INVALID": Message(
        "Contact {value!r} is not a mailto:, tel: or https: URI",
        "RFC 9116 §2.5.3",
    ),
    "SECTXT-EXPIRES-OK": Message(
        "expires {expires} (in {days} days)",
        "RFC 9116 §2.5.5",
    ),
    "SECTXT-EXPIRED": Message(
        "expired on {expires} ({days} days ago): stale",
        "RFC 9116 §2.5.5",
    ),
    "SECTXT-EXPIRES-FAR": Message(
        "expires {expires}, more than a year ahead (less is recommended)",
        "RFC 9116 §2.5.5",
    ),
    "SECTXT-EXPIRES-MISSING": Message(
        "no Expires field (required)",
        "RFC 9116 §2.5.5",
    ),
    "SECTXT-EXPIRES-INVALID": Message(
        "Expires {value!r} is not an RFC 3339 date-time",
        "RFC 9116 §2.5.5",
    ),
    "SECTXT-REPEATED": Message(
        "{field} appears {count} times; it may appear once",
        "RFC 9116 §2.5",
    ),
    "SECTXT-BAD-LINES": Message(
        "lines that are neither a field nor a comment: {lines}",
        "RFC 9116 §4",
    ),
    "SECTXT-CANONICAL-MISMATCH": Message(
        "fetched from {url}, which is not among its Canonical URIs",
        "RFC 9116 §2.5.2",
    ),
    "SECTXT-NO-PAGE": Message(
        "no final page: {why}; security.txt is not judged on a redirect ({chain} -> {next})",
        "RFC 9116 §3",
    ),
    "SECTXT-UNTESTED": Message(
        "security.txt could not be fetched ({status})",
        "RFC 9116 §3",
    ),
    "SECTXT-NO-WEB": Message(
        "no web host answers over https: nothing to check",
        "RFC 9116 §3",
    ),
}
messages.register(MESSAGES)


@dataclass(frozen=True)
class Field:
    name: str  # lower-case
    value: str
    line: int


@dataclass(frozen=True)
class SecurityTxt:
    """A parsed security.txt. bad_lines: line numbers that are neither field nor comment."""

    fields: tuple[Field, ...]
    signed: bool
    bad_lines: tuple[int, ...]

    def values(self, name: str) -> tuple[str, ...]:
        return tuple(f.value for f in self.fields if f.name == name)


# field-name = 1*(%x21-39 / %x3B-7E): visible characters except ':' (RFC 9116 §4, RFC 5322 §3.6.8)
_FIELD = re.compile(r"([\x21-\x39\x3b-\x7e]+):[ \t]*(.*?)[ \t]*")
_PGP_BEGIN = "-----BEGIN PGP SIGNED MESSAGE-----"
_PGP_SIGNATURE = "-----BEGIN PGP SIGNATURE-----"
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def _unwrap_signed(lines: list[str]) -> tuple[list[tuple[int, str]], bool]:
    """The cleartext of an OpenPGP signed message (RFC 4880 §7), with original line numbers."""
    numbered = list(enumerate(lines, start=1))
    first = next((i for i, (_, line) in enumerate(numbered) if line.strip()), None)
    if first is None or numbered[first][1].strip() != _PGP_BEGIN:
        return numbered, False
    body_start = next((i + 1 for i in range(first + 1, len(numbered)) if not numbered[i][1].strip()),
                      len(numbered))  # armor headers ("Hash: SHA512") end at the first empty line
    end = next((i for i in range(body_start, len(numbered)) if numbered[i][1].strip() == _PGP_SIGNATURE),
               len(numbered))
    body = [(n, line[2:] if line.startswith("- ") else line) for n, line in numbered[body_start:end]]
    return body, True


def parse_security_txt(text: str) -> SecurityTxt:
    """Parse a security.txt body (RFC 9116 §4). Never raises: problems are recorded as bad lines."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    body, signed = _unwrap_signed(lines)
    fields: list[Field] = []
    bad: list[int] = []
    for number, line in body:
        stripped = line.strip(" \t")
        if not stripped or stripped.startswith("#"):
            continue
        match = _FIELD.fullmatch(stripped)
        if match is None:
            bad.append(number)
            continue
        fields.append(Field(match.group(1).lower(), match.group(2), number))
    return SecurityTxt(tuple(fields), signed, tuple(bad))


def parse_expires(value: str) -> datetime | None:
    """An RFC 3339 date-time with an offset, or None."""
    text = value.strip()
    if not _RFC3339.fullmatch(text):
        return None
    try:
        return datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        return None


def _contact_ok(value: str) -> bool:
    lowered = value.strip().lower()
    return lowered.startswith(("mailto:", "tel:", "https://")) and len(lowered) > len("tel:")


def judge_security_txt(parsed: SecurityTxt, now: datetime, url: str) -> list[Check]:
    """Judge the fields of one security.txt, as of ``now``."""
    out: list[Check] = []
    contacts = parsed.values("contact")
    if not contacts:
        out.append(check("SECTXT-CONTACT-MISSING", "Contact", Verdict.FAIL))
    else:
        bad = [c for c in contacts if not _contact_ok(c)]
        out += [check("SECTXT-CONTACT-INVALID", "Contact", Verdict.WARN, value=c[:100]) for c in bad]
        if len(bad) < len(contacts):
            out.append(check("SECTXT-CONTACT", "Contact", Verdict.PASS,
                             contacts=", ".join(c for c in contacts if _contact_ok(c))[:300]))
    out += _judge_expires(parsed.values("expires"), now)
    for name in SINGLE_FIELDS:
        count = len(parsed.values(name))
        if count > 1:
            out.append(check("SECTXT-REPEATED", name, Verdict.WARN, field=name, count=count))
    canonical = parsed.values("canonical")
    if canonical and url not in canonical:
        out.append(check("SECTXT-CANONICAL-MISMATCH", "Canonical", Verdict.WARN, url=url))
    if parsed.bad_lines:
        shown = ", ".join(str(n) for n in parsed.bad_lines[:10])
        out.append(check("SECTXT-BAD-LINES", "format", Verdict.WARN, lines=shown))
    return out


def _judge_expires(values: tuple[str, ...], now: datetime) -> list[Check]:
    if not values:
        return [check("SECTXT-EXPIRES-MISSING", "Expires", Verdict.FAIL)]
    expires = parse_expires(values[0])
    if expires is None:
        return [check("SECTXT-EXPIRES-INVALID", "Expires", Verdict.FAIL, value=values[0][:60])]
    shown = expires.isoformat()
    if expires <= now:
        return [check("SECTXT-EXPIRED", "Expires", Verdict.FAIL, expires=shown, days=(now - expires).days)]
    if expires - now > ONE_YEAR:
        return [check("SECTXT-EXPIRES-FAR", "Expires", Verdict.WARN, expires=shown)]
    return [check("SECTXT-EXPIRES-OK", "Expires", Verdict.PASS, expires=shown, days=(expires - now).days)]


def judge_fetch(chain: RedirectChain, unverified: bool, now: datetime, *, legacy: bool,
                main: bool = True) -> list[Check]:
    """Judge how the file was served, then (if it is one) its content.

    main: the domain's main web host, where a missing file is a warning (elsewhere: info).
    """
    final = chain.final
    if not final.https:
        return [check("SECTXT-NOT-HTTPS", "served over https", Verdict.FAIL, url=final.url)]
    if final.media_type != "text/plain":
        return [check("SECTXT-NOT-TEXT", "media type", Verdict.WARN if main else Verdict.INFO, url=final.url,
                      media_type=final.media_type or "none")]
    out = [check("SECTXT-LEGACY-PATH" if legacy else "SECTXT-FOUND", "location",
                 Verdict.WARN if legacy else Verdict.PASS, url=final.url)]
    if unverified:
        out.append(check("SECTXT-CERT-INVALID", "served over https", Verdict.WARN))
    if final.charset != "utf-8":
        out.append(check("SECTXT-CHARSET", "media type", Verdict.WARN,
                         content_type=final.header("content-type") or ""))
    return out + judge_security_txt(parse_security_txt(final.text()), now, final.url)


async def fetch(net: Net, host: str, address: str) -> tuple[RedirectChain, bool, bool]:
    """(chain, fetched without validation, found only at the legacy path) for one host."""
    chains = []
    for path in SECURITY_TXT_PATHS:
        url = f"https://{host}{path}"
        chain = await net.http.follow(url, address=address, max_body=MAX_SIZE)
        unverified = chain.final.status == CERTIFICATE
        if unverified:
            chain = await net.http.follow(url, address=address, max_body=MAX_SIZE, verify=False)
        if chain.final.ok and chain.final.code == 200:
            return chain, unverified, path != SECURITY_TXT_PATHS[0]
        chains.append((chain, unverified))
        if not chain.final.ok:
            break  # no HTTP answer at all: the legacy path would only wait as long again
    return chains[0][0], chains[0][1], False


async def run(net: Net, domain: str, config: Config) -> MeasureResult:
    started = time.monotonic()
    every = await web_hosts(net, domain, config)
    hosts = [h for h in every if h.addresses]
    evidence: list[Evidence] = [e for h in hosts for e in h.evidence]
    findings: list[Finding] = []
    fetched = await asyncio.gather(*(fetch(net, h.name, h.addresses[0]) for h in hosts))
    answering = [h.name for h, (chain, _, _) in zip(hosts, fetched, strict=True) if chain.hops[0].ok]
    main = domain if domain in answering else (answering[0] if answering else "")
    for host, (chain, unverified, legacy) in zip(hosts, fetched, strict=True):
        evidence += chain.evidence
        where = subject(host.name)
        final = chain.final
        if not chain.hops[0].ok:
            findings.append(finding("SECTXT-UNTESTED", "security.txt", Verdict.NOT_TESTED,
                                    evidence=chain.evidence, subject=where, status=chain.hops[0].status))
        elif no_page(chain):  # a loop or too many redirects: no file, and no proof of none (issue 17)
            findings.append(finding("SECTXT-NO-PAGE", "security.txt", Verdict.NOT_TESTED,
                                    evidence=chain.evidence, subject=where, why=no_page(chain),
                                    chain=describe_chain(chain), next=chain.next_url))
        elif not (final.ok and final.code == 200):
            detail = f"{final.url}: {final.code if final.ok else final.status}"
            verdict = Verdict.WARN if host.name == main else Verdict.INFO
            findings.append(finding("SECTXT-MISSING", "security.txt", verdict, evidence=chain.evidence,
                                    subject=where, detail=detail))
        else:
            checks = judge_fetch(chain, unverified, net.now(), legacy=legacy, main=host.name == main)
            findings += to_findings(checks, chain.evidence, where)
    if not answering and not findings:
        findings.append(no_web(every, "SECTXT-NO-WEB", evidence or [e for h in every for e in h.evidence]))
    return result(NAME, TITLE, AREA, findings, evidence=evidence,
                  elapsed_ms=(time.monotonic() - started) * 1000)
