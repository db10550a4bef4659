"""DANE for SMTP (RFC 7672, RFC 7671): TLSA records at ``_25._tcp.<MX host>``, matched against
the certificate chain each MX host actually presents.

A sender uses DANE only along a chain of DNSSEC-secure answers (RFC 7672 §2.2): the MX RRset,
the MX host's addresses, and the TLSA RRset must all validate; mailguard validates them itself
with the DNSSEC measure's validator. A TLSA RRset in an unsigned zone is not usable, and one that
is bogus makes DANE senders defer mail. The TLSA name is always ``_25._tcp`` (RFC 7672 §2.2.3),
whatever port the lab's servers listen on.

Of the usable records (usages DANE-TA(2) and DANE-EE(3); PKIX-TA(0) and PKIX-EE(1) are not for
SMTP, RFC 7672 §3.1.3), one matching the presented chain authenticates the server
(RFC 6698 §2.1, RFC 7671 §5). :func:`match_tlsa` is the pure heart: a record and a DER chain in,
a :class:`TlsaMatch` out, saying what was computed from which certificate when nothing matched.

The SMTP session and its one TLS handshake come from ``net.smtp.probe``, shared with the
STARTTLS measure (cached per scan): DANE opens no connection of its own.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ..core import messages
from ..core.config import Config
from ..core.errors import ParseError
from ..core.findings import finding, result
from ..core.messages import Message
from ..core.model import Area, Evidence, Finding, MeasureResult, Verdict
from ..net import Net
from ..net import smtp as smtp_net
from ..net import tls as tls_net
from . import mx
from .dnssec import NameResult, Status, anchors_for, signed_answer, validate_name
from .dnssec.anchors import TrustAnchors

NAME = "dane"
TITLE = "DANE"
AREA = Area.MAIL_TRANSPORT

USAGES = {0: "PKIX-TA", 1: "PKIX-EE", 2: "DANE-TA", 3: "DANE-EE"}
SELECTORS = {0: "full certificate", 1: "public key (SPKI)"}
MATCHING = {0: "exact", 1: "SHA-256", 2: "SHA-512"}
DIGEST_SIZE = {1: 32, 2: 64}
MAX_TLSA_RECORDS = 32  # a hostile RRset must not cost unbounded hashing

# TlsaMatch.reason
MATCH, NO_MATCH = "match", "no-match"
PKIX_USAGE, UNUSABLE = "pkix-usage", "unusable"
NO_CHAIN, CHAIN_BROKEN, NAME_MISMATCH = "no-certificate", "chain-broken", "name-mismatch"

MESSAGES = {
    "DANE-MATCH": Message(
        "{where}: authenticated by TLSA {record} (matching the {what} it presents)",
        "RFC 7672 §3.1, RFC 7671 §5"),
    "DANE-MISMATCH": Message(
        "{where}: none of the {count} usable TLSA record(s) matches the presented chain: {details}; "
        "DANE senders will not deliver here", "RFC 7672 §3.1, RFC 7671 §5"),
    "DANE-NO-STARTTLS": Message(
        "{where} publishes TLSA records but {problem}: DANE senders will not deliver here",
        "RFC 7672 §2.2"),
    "DANE-PROBE-UNTESTED": Message(
        "{where}: the certificate could not be fetched ({status}: {error}): not tested",
        "RFC 7672 §3"),
    "DANE-TLSA-NONE": Message(
        "{host}: no TLSA records at {name} (the absence is DNSSEC-proven): DANE is not in use",
        "RFC 7672 §2.2.3"),
    "DANE-TLSA-INSECURE": Message(
        "{host}: TLSA records at {name} are in an unsigned zone ({insecure_at}): not usable, senders "
        "ignore them", "RFC 7672 §2.2, RFC 6698 §4.1"),
    "DANE-HOST-INSECURE": Message(
        "{host} is in an unsigned zone ({insecure_at}): DANE is impossible for it",
        "RFC 7672 §2.2.2"),
    "DANE-TLSA-BOGUS": Message(
        "{host}: the {what} does not validate ({reason}): {detail}; DANE senders defer mail to it",
        "RFC 7672 §2.2"),
    "DANE-TLSA-UNTESTED": Message(
        "{host}: the {what} could not be validated: {detail}", "RFC 7672 §2.2"),
    "DANE-TLSA-PKIX": Message(
        "{host}: TLSA {record} has usage {usage}, which SMTP senders do not use", "RFC 7672 §3.1.3"),
    "DANE-TLSA-MALFORMED": Message(
        "{host}: TLSA {record} is unusable: {why}",
        "RFC 7671 §4, RFC 6698 §2.1"),
    "DANE-TLSA-UNUSABLE": Message(
        "{host}: TLSA records exist, but none is usable for SMTP: senders require TLS without "
        "authenticating it", "RFC 7672 §2.2, §3.1"),
    "DANE-MX-INSECURE": Message(
        "the MX records of {domain} are not DNSSEC-validated ({detail}): senders cannot use DANE for it",
        "RFC 7672 §2.2.1"),
    "DANE-MX-BOGUS": Message(
        "the MX records of {domain} are bogus ({reason}): DANE senders defer mail to it",
        "RFC 7672 §2.2.1"),
    "DANE-MX-UNTESTED": Message(
        "the MX records of {domain} could not be validated ({detail}): not tested", "RFC 7672 §2.2.1"),
    "DANE-NO-MX": Message("no MX hosts to check ({why})",
                          "RFC 7672 §2.2.1"),
    "DANE-ANCHOR-UNUSABLE": Message(
        "the DNSSEC trust anchor could not be used ({error}): not tested", "RFC 4033 §5"),
}
messages.register(MESSAGES)


# -- TLSA records and matching (pure) ----------------------------------------------------------

@dataclass(frozen=True)
class Tlsa:
    usage: int
    selector: int
    matching: int
    data: bytes

    @classmethod
    def from_rdata(cls, rdata: Any) -> Tlsa:
        return cls(rdata.usage, rdata.selector, rdata.mtype, bytes(rdata.cert))

    @property
    def text(self) -> str:
        return f"{self.usage} {self.selector} {self.matching} {self.data.hex()}"

    @property
    def short(self) -> str:
        hexdata = self.data.hex()
        return f"{self.usage} {self.selector} {self.matching} {hexdata[:16]}…" if len(hexdata) > 20 else self.text


def parse_tlsa(text: str) -> Tlsa:
    """``usage selector matching hexdata`` (RFC 6698 §2.2), as in a zone file. Pure."""
    parts = text.split()
    if len(parts) < 4:
        raise ParseError("a TLSA record has four fields: usage selector matching-type data", text, len(text))
    numbers = []
    for index, part in enumerate(parts[:3]):
        if not part.isdigit() or int(part) > 255:
            raise ParseError(f"TLSA field {index + 1} must be a number 0-255", text, text.find(part))
        numbers.append(int(part))
    hexdata = "".join(parts[3:])
    try:
        data = bytes.fromhex(hexdata)
    except ValueError:
        raise ParseError("TLSA data must be hexadecimal", text, text.find(parts[3])) from None
    return Tlsa(numbers[0], numbers[1], numbers[2], data)


@dataclass(frozen=True)
class TlsaMatch:
    """One TLSA record judged against one presented chain.

    usable: usage 2 or 3 with a known selector and matching type and well-formed data.
    matched: it authenticates the chain. position: the certificate that matched (0 = leaf).
    reason: ``match``, ``no-match``, ``pkix-usage``, ``unusable``, ``no-certificate``,
        ``chain-broken`` (DANE-TA: the leaf does not chain to the matched TA) or ``name-mismatch``.
    computed: what the record's selector and matching type give for each certificate it may
        match (hex), so that a mismatch can be spelled out.
    """

    record: Tlsa
    usable: bool
    matched: bool
    reason: str
    detail: str
    position: int | None = None
    computed: tuple[str, ...] = ()


def association(der: bytes, selector: int, matching: int) -> bytes | None:
    """The certificate association data of a DER certificate (RFC 6698 §2.1.2, §2.1.3)."""
    if selector == 0:
        selected = der
    else:
        try:
            cert = x509.load_der_x509_certificate(der)
            selected = cert.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        except (ValueError, TypeError):
            return None
    if matching == 0:
        return selected
    return hashlib.sha256(selected).digest() if matching == 1 else hashlib.sha512(selected).digest()


def _unusable(record: Tlsa) -> str:
    if record.selector not in SELECTORS:
        return f"selector {record.selector} is not defined"
    if record.matching not in MATCHING:
        return f"matching type {record.matching} is not defined"
    size = DIGEST_SIZE.get(record.matching)
    if size is not None and len(record.data) != size:
        return f"{MATCHING[record.matching]} data must be {size} bytes, not {len(record.data)}"
    if not record.data:
        return "the data is empty"
    return ""


def match_tlsa(record: Tlsa, chain: Sequence[bytes], names: Sequence[str] = ()) -> TlsaMatch:
    """Does ``record`` authenticate ``chain`` (DER, leaf first, as the server sent it)?

    DANE-EE(3) matches the leaf only; names and dates are ignored (RFC 7672 §3.1.1). DANE-TA(2)
    matches an issuer certificate the server sent (RFC 7672 §3.1.2, RFC 7671 §5.2.2); the leaf
    must chain to it by signature and, when ``names`` are given, carry one of them (RFC 7672 §3.2).
    """
    if record.usage in (0, 1):
        return TlsaMatch(record, False, False, PKIX_USAGE,
                         f"usage {record.usage} ({USAGES[record.usage]}) is not used for SMTP")
    why = _unusable(record) if record.usage in (2, 3) else f"usage {record.usage} is not defined"
    if why:
        return TlsaMatch(record, False, False, UNUSABLE, why)
    if not chain:
        return TlsaMatch(record, True, False, NO_CHAIN, "the server presented no certificate")
    positions = [0] if record.usage == 3 else list(range(1, len(chain)))
    computed = tuple((association(chain[i], record.selector, record.matching) or b"").hex() for i in positions)
    hit = next((i for i, value in zip(positions, computed, strict=True) if value == record.data.hex()), None)
    if hit is None:
        return TlsaMatch(record, True, False, NO_MATCH, _mismatch_text(record, chain, positions, computed),
                         computed=computed)
    if record.usage == 2:
        problem = _ta_problem(chain, hit, names)
        if problem:
            reason = NAME_MISMATCH if problem.startswith("the leaf names") else CHAIN_BROKEN
            return TlsaMatch(record, True, False, reason, problem, hit, computed)
    what = "leaf certificate" if hit == 0 else f"issuer certificate #{hit} ({_subject(chain[hit])})"
    return TlsaMatch(record, True, True, MATCH, f"matches the {what}", hit, computed)


def _mismatch_text(record: Tlsa, chain: Sequence[bytes], positions: list[int], computed: tuple[str, ...]) -> str:
    kind = f"{record.selector} {record.matching}"
    if not positions:
        return (f"TLSA {record.short} is DANE-TA, but the server sent only its leaf certificate "
                "(the trust anchor must be in the chain)")
    parts = []
    for position, value in zip(positions, computed, strict=True):
        label = "leaf" if position == 0 else f"issuer #{position}"
        shown = f"{value[:16]}…" if len(value) > 20 else (value or "unreadable certificate")
        parts.append(f"{label} ({_subject(chain[position])}) gives {record.usage} {kind} {shown}")
    return f"TLSA {record.short} does not match: " + "; ".join(parts)


def _subject(der: bytes) -> str:
    try:
        return x509.load_der_x509_certificate(der).subject.rfc4514_string()[:80] or "no subject"
    except ValueError:
        return "unreadable"


def _ta_problem(chain: Sequence[bytes], anchor: int, names: Sequence[str]) -> str:
    """Why the chain below the matched trust anchor does not hold: a broken signature or a name."""
    try:
        certs = [x509.load_der_x509_certificate(der) for der in chain[: anchor + 1]]
    except ValueError:
        return "a certificate below the trust anchor cannot be read"
    for index in range(anchor):
        try:
            certs[index].verify_directly_issued_by(certs[index + 1])
        except (ValueError, TypeError, Exception) as exc:  # InvalidSignature is not a ValueError
            return f"certificate #{index} is not signed by #{index + 1} ({type(exc).__name__})"
    if names and not any(_names_match(certs[0], name) for name in names):
        return f"the leaf names {', '.join(_dns_names(certs[0])) or 'nothing'}, not {' or '.join(names)}"
    return ""


def _dns_names(cert: x509.Certificate) -> list[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        return [n.lower() for n in san.get_values_for_type(x509.DNSName)]
    except x509.ExtensionNotFound:
        return [str(a.value).lower() for a in cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)]


def _names_match(cert: x509.Certificate, name: str) -> bool:
    """RFC 7672 §3.2.3: exact, or a wildcard standing for exactly the leftmost label."""
    wanted = name.lower().rstrip(".")
    for pattern in _dns_names(cert):
        pattern = pattern.rstrip(".")
        if pattern == wanted:
            return True
        if pattern.startswith("*.") and "." in wanted and wanted.split(".", 1)[1] == pattern[2:]:
            return True
    return False


# -- the measure -------------------------------------------------------------------------------

async def run(net: Net, domain: str, config: Config) -> MeasureResult:
    started = time.monotonic()
    findings: list[Finding] = []
    evidence: list[Evidence] = []
    data: dict[str, Any] = {"mx_status": None, "hosts": {}, "dane": False}

    def done() -> MeasureResult:
        return result(NAME, TITLE, AREA, findings, evidence=evidence, data=data,
                      elapsed_ms=(time.monotonic() - started) * 1000)

    try:
        anchors = anchors_for(config)
    except (OSError, ParseError) as exc:
        findings.append(finding("DANE-ANCHOR-UNUSABLE", "trust anchor", Verdict.NOT_TESTED, error=str(exc)))
        return done()
    # The MX RRset as the validator sees it (even when a validating resolver refuses it).
    mx_result, signed_mx = await asyncio.gather(validate_name(net, domain, "MX", anchors),
                                                signed_answer(net, domain, "MX"))
    evidence.extend(_dns_evidence(mx_result))
    data["mx_status"] = mx_result.status.value
    parsed = mx.parse_mx(signed_mx) if signed_mx.status == "ok" else ()
    hosts = list(dict.fromkeys(h.host for h in parsed if h.host != "." and not mx.looks_like_ip(h.host)))
    if mx.is_null_mx(parsed):
        findings.append(finding("DANE-NO-MX", "MX hosts", Verdict.INFO, why="null MX: the domain takes no mail"))
        return done()
    findings.extend(_judge_mx(domain, mx_result))
    if not hosts:
        findings.append(finding("DANE-NO-MX", "MX hosts", Verdict.INFO, why=f"MX lookup: {signed_mx.status}"))
        return done()
    outcomes = await asyncio.gather(*(check_host(net, host, anchors) for host in hosts))
    for host, (host_findings, host_evidence, entry) in zip(hosts, outcomes, strict=True):
        findings.extend(host_findings)
        evidence.extend(host_evidence)
        data["hosts"][host] = entry
    data["dane"] = mx_result.status == Status.SECURE and all(
        e["addresses"] and all(a == MATCH for a in e["addresses"].values()) for e in data["hosts"].values())
    return done()


def _dns_evidence(item: NameResult) -> list[Evidence]:
    return [e for v in item.validations for e in v.evidence] + [item.resolver.evidence]


def _judge_mx(domain: str, item: NameResult) -> list[Finding]:
    final, ev = item.final, _dns_evidence(item)
    if item.status == Status.INSECURE:
        return [finding("DANE-MX-INSECURE", "MX secure", Verdict.WARN, evidence=ev, subject=domain,
                        domain=domain, detail=final.detail)]
    if item.status == Status.BOGUS:
        return [finding("DANE-MX-BOGUS", "MX secure", Verdict.FAIL, evidence=ev, subject=domain,
                        domain=domain, reason=final.reason)]
    if item.status == Status.INDETERMINATE:
        return [finding("DANE-MX-UNTESTED", "MX secure", Verdict.NOT_TESTED, evidence=ev, subject=domain,
                        domain=domain, detail=final.detail)]
    return []


HostOutcome = tuple[list[Finding], list[Evidence], dict[str, Any]]


async def check_host(net: Net, host: str, anchors: TrustAnchors) -> HostOutcome:
    """One MX host: its addresses and TLSA RRset validated, then each address's chain matched."""
    tlsa_name = f"_25._tcp.{host}"
    a, aaaa, tlsa, seen = await asyncio.gather(
        validate_name(net, host, "A", anchors), validate_name(net, host, "AAAA", anchors),
        validate_name(net, tlsa_name, "TLSA", anchors),
        signed_answer(net, tlsa_name, "TLSA"))  # the validator's own answer, cached
    evidence = _dns_evidence(a) + _dns_evidence(aaaa) + _dns_evidence(tlsa)
    records = [Tlsa.from_rdata(r) for r in seen.rdatas[:MAX_TLSA_RECORDS]] if seen.status == "ok" else []
    entry: dict[str, Any] = {"tlsa": tlsa.status.value, "records": [r.text for r in records],
                             "addresses": {}, "usable": [], "matches": {}}
    early = _judge_dns(host, tlsa_name, a, aaaa, tlsa, records)
    if early is not None:
        return early, evidence, entry
    findings: list[Finding] = []
    usable: list[Tlsa] = []
    for record in records:
        verdict = match_tlsa(record, ())  # usability does not depend on the chain
        if verdict.reason == PKIX_USAGE:
            findings.append(finding("DANE-TLSA-PKIX", "TLSA usage", Verdict.INFO, subject=host, host=host,
                                    record=record.short, usage=f"{record.usage} ({USAGES[record.usage]})"))
        elif verdict.reason == UNUSABLE:
            findings.append(finding("DANE-TLSA-MALFORMED", "TLSA record", Verdict.WARN, subject=host, host=host,
                                    record=record.short, why=verdict.detail))
        else:
            usable.append(record)
    entry["usable"] = [r.text for r in usable]
    if not usable:
        findings.append(finding("DANE-TLSA-UNUSABLE", "TLSA usable", Verdict.WARN,
                                evidence=_dns_evidence(tlsa), subject=host, host=host))
        return findings, evidence, entry
    addresses = [r for item in (a, aaaa) if item.status == Status.SECURE for r in item.final.records]
    probes = await asyncio.gather(*(net.smtp.probe(host, address) for address in addresses))
    for address, session in zip(addresses, probes, strict=True):
        found, outcome, matches = judge_session(host, session, usable, _dns_evidence(tlsa))
        findings.append(found)
        evidence.extend(found.evidence)
        entry["addresses"][address] = outcome
        entry["matches"][address] = {m.record.text: m.reason for m in matches}
    return findings, evidence, entry


def _judge_dns(host: str, tlsa_name: str, a: NameResult, aaaa: NameResult, tlsa: NameResult,
               records: list[Tlsa]) -> list[Finding] | None:
    """Findings when DNSSEC already decides that DANE cannot be used for ``host``; else None."""
    ev = _dns_evidence(tlsa)
    checked = (a, aaaa, tlsa)
    bogus = next((i for i in checked if i.status == Status.BOGUS), None)
    if bogus is not None:
        return [finding("DANE-TLSA-BOGUS", "TLSA secure", Verdict.FAIL, evidence=_dns_evidence(bogus),
                        subject=host, host=host, what=f"{bogus.rdtype} RRset of {bogus.name}",
                        reason=bogus.final.reason, detail=bogus.final.detail)]
    unknown = next((i for i in checked if i.status == Status.INDETERMINATE), None)
    if unknown is not None:
        return [finding("DANE-TLSA-UNTESTED", "TLSA secure", Verdict.NOT_TESTED, evidence=_dns_evidence(unknown),
                        subject=host, host=host, what=f"{unknown.rdtype} RRset of {unknown.name}",
                        detail=unknown.final.detail)]
    insecure = next((i for i in (tlsa, a, aaaa) if i.status == Status.INSECURE), None)
    if insecure is not None:
        at = insecure.final.insecure_at or insecure.final.zone
        if records:
            return [finding("DANE-TLSA-INSECURE", "TLSA secure", Verdict.WARN, evidence=ev, subject=host,
                            host=host, name=tlsa_name, insecure_at=at)]
        return [finding("DANE-HOST-INSECURE", "TLSA secure", Verdict.WARN, evidence=ev, subject=host,
                        host=host, insecure_at=at)]
    if not records:
        return [finding("DANE-TLSA-NONE", "TLSA present", Verdict.WARN, evidence=ev, subject=host, host=host,
                        name=tlsa_name)]
    return None


def judge_session(host: str, session: smtp_net.SmtpObservation, usable: list[Tlsa],
                  dns_evidence: list[Evidence]) -> tuple[Finding, str, list[TlsaMatch]]:
    """The DANE verdict for one address: its session (STARTTLS, the chain) against the records."""
    where = session.where
    tls = session.tls
    ev = [*dns_evidence, session.evidence] + ([tls.evidence] if tls is not None else [])
    untested = session.status in (smtp_net.UNREACHABLE, smtp_net.TIMEOUT, smtp_net.CLOSED, smtp_net.REJECTED)
    if tls is not None and tls.status in (tls_net.TIMEOUT, tls_net.CANNOT_TEST):
        untested = True
    if untested:
        error = (tls.error if tls is not None and tls.error else session.error) or session.stage
        return finding("DANE-PROBE-UNTESTED", "DANE match", Verdict.NOT_TESTED, evidence=ev, subject=where,
                       where=where, status=session.status, error=error), "not-tested", []
    if tls is None or not tls.chain:
        problem = ("does not offer STARTTLS" if not session.starttls_offered else
                   f"the TLS session failed ({session.status}: {session.error or (tls.error if tls else '')})")
        return finding("DANE-NO-STARTTLS", "DANE match", Verdict.FAIL, evidence=ev, subject=where,
                       where=where, problem=problem), "no-tls", []
    names = (host,)
    matches = [match_tlsa(record, tls.chain, names) for record in usable]
    hits = [m for m in matches if m.matched]
    if hits:
        what = " and ".join(dict.fromkeys(
            "leaf certificate" if m.position == 0 else f"issuer certificate #{m.position}" for m in hits))
        return finding("DANE-MATCH", "DANE match", Verdict.PASS, evidence=ev, subject=where, where=where,
                       record=", ".join(m.record.short for m in hits), what=what), MATCH, matches
    details = " | ".join(m.detail for m in matches)
    return finding("DANE-MISMATCH", "DANE match", Verdict.FAIL, evidence=ev, subject=where, where=where,
                   count=len(usable), details=details), NO_MATCH, matches
