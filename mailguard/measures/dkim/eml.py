"""DKIM from real messages, for the DKIM measure: which message proves DKIM for the domain.

Not a measure of its own: the DKIM measure (:mod:`.dkim`) calls :func:`check_messages` with the
``--eml`` files, adds their selectors to the keys it examines, and puts these findings and facts
beside its own. Verification is :mod:`mailguard.measures.dkim.verify`; here the outcomes are judged for a
privacy officer. A signature that no longer verifies on a saved message is a WARN, not a FAIL:
mail is often changed after delivery (forwarding, mailing lists, a client saving it), and a key
revoked or a signature expired since sending says nothing about today. What the signer chose is
a FAIL: From not signed, rsa-sha1, a key under 1024 bits, a malformed signature.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...core import messages
from ...core.errors import InputError
from ...core.findings import finding
from ...core.messages import Message
from ...core.mime import Message as MailMessage
from ...core.model import Evidence, Finding, Verdict
from ...core.psl import organizational_domain
from ...net import Net
from .check import MessageReport, parse_file_bytes, read_message_bytes, verify_message
from .verify import PASS, Verification, plan

_SIG = "{source} #{index} (d={domain}, s={selector})"

MESSAGES = {
    "DKIM-MSG-PASS": Message(
        _SIG + ": {algorithm} signature verified with a {key} key", "RFC 6376 §6.1"),
    "DKIM-MSG-BODY-CHANGED": Message(
        _SIG + ": fail, {detail}. The message may have been changed after it was sent (forwarding, a "
        "mailing list, saving); verify the original as received", "RFC 6376 §6.1.3"),
    "DKIM-MSG-HEADER-CHANGED": Message(
        _SIG + ": fail, {detail}. Verify the original as received", "RFC 6376 §6.1.3"),
    "DKIM-MSG-FROM-NOT-SIGNED": Message(
        _SIG + ": permerror, h= does not include From, so the signature does not vouch for the author",
        "RFC 6376 §5.4, §6.1.1"),
    "DKIM-MSG-EXPIRED": Message(
        _SIG + ": permerror, {detail}; verify a recent message",
        "RFC 6376 §3.5 x="),
    "DKIM-MSG-KEY-GONE": Message(
        _SIG + ": permerror, {detail}; if the message is recent, mail signed with this selector fails",
        "RFC 6376 §6.1.2"),
    "DKIM-MSG-PERMERROR": Message(
        _SIG + ": permerror, {detail}", "RFC 6376 §6.1, RFC 8301"),
    "DKIM-MSG-TEMPERROR": Message(
        _SIG + ": temperror, {detail}",
        "RFC 6376 §6.1.2"),
    "DKIM-MSG-BODY-LENGTH": Message(
        _SIG + ": l={length} signs only the first {length} octets of the body; anyone can append "
        "content and the signature still verifies", "RFC 6376 §8.2"),
    "DKIM-MSG-PROVES": Message(
        "{source} proves DKIM for {domain}: signature d={signer} s={selector} verified; {alignment}",
        "RFC 6376 §6.1, RFC 7489 §3.1.1"),
    "DKIM-MSG-NOT-ALIGNED": Message(
        "{source}: no verified signature aligns with the From domain {author}: DMARC cannot pass "
        "on DKIM for this mail", "RFC 7489 §3.1.1"),
    "DKIM-MSG-NOT-PROVEN": Message(
        "{source} does not prove DKIM for {domain}: no signature by {domain} verified", "RFC 6376 §6.1"),
    "DKIM-MSG-UNSIGNED": Message(
        "{source} has no DKIM-Signature at all",
        "RFC 6376 §3.5"),
    "DKIM-MSG-FROM-UNKNOWN": Message(
        "{source}: DMARC alignment cannot be judged: {problem}", "RFC 7489 §6.6.1"),
    "DKIM-MSG-UNREADABLE": Message(
        "{source} could not be read as a message: {error}", "RFC 5322 §2"),
}
messages.register(MESSAGES)

_KEY_GONE = {"key-revoked", "key-not-found"}
_DATA_FIELDS = ("index", "result", "reason", "detail", "domain", "selector", "algorithm",
                "canonicalization", "signed_headers", "identity", "length", "timestamp", "expires",
                "key_name", "key_type", "key_bits", "key_testing", "key_cnames", "body_hash_ok",
                "signature_ok", "from_signed", "aligned_strict", "aligned_relaxed")


@dataclass(frozen=True)
class LoadedMessage:
    """A message file read for the scan: its parsed form, or why it could not be read."""

    path: Path
    message: MailMessage | None
    sha256: str = ""
    size: int = 0
    error: str = ""

    @property
    def source(self) -> str:
        return self.path.name


def load_messages(paths: Sequence[Path]) -> list[LoadedMessage]:
    """Read and parse each file; one that cannot be read becomes a not-tested finding later."""
    out = []
    for path in paths:
        try:
            data = read_message_bytes(path)
            message = parse_file_bytes(path, data)
        except InputError as exc:
            out.append(LoadedMessage(path, None, error=str(exc)))
            continue
        out.append(LoadedMessage(path, message, hashlib.sha256(data).hexdigest(), len(data)))
    return out


def learned_selectors(loaded: Sequence[LoadedMessage], domain: str) -> list[tuple[str, str]]:
    """(selector, d=) of the signatures whose d= is ``domain`` or below it: keys to examine."""
    out = []
    for item in loaded:
        if item.message is None:
            continue
        for planned in plan(item.message)[0]:
            sig = planned.signature
            if sig is not None and (sig.domain == domain or sig.domain.endswith("." + domain)):
                out.append((sig.selector, sig.domain))
    return out


async def check_messages(net: Net, loaded: Sequence[LoadedMessage]) -> list[MessageReport | None]:
    """Verify every readable message concurrently (None for the unreadable ones), in order."""

    async def one(item: LoadedMessage) -> MessageReport | None:
        return None if item.message is None else await verify_message(net, item.message, item.source)

    return list(await asyncio.gather(*(one(item) for item in loaded)))


def judge_message(domain: str, item: LoadedMessage, report: MessageReport | None
                  ) -> tuple[list[Finding], dict[str, Any]]:
    """The findings on one message for ``domain`` and its facts for ``data`` (pure)."""
    if report is None:
        found = finding("DKIM-MSG-UNREADABLE", "signed message", Verdict.NOT_TESTED, subject=item.source,
                        source=item.source, error=item.error)
        return [found], {"source": item.source, "path": str(item.path), "error": item.error}
    facts = _facts(item, report)
    authors = ", ".join(report.from_domains) or "?"
    origin = Evidence("input", f"message {item.source}: sha256 {item.sha256[:16]}..., From {authors}, "
                               f"{len(report.verifications)} DKIM-Signature(s)",
                      {k: v for k, v in facts.items() if k != "signatures"})
    findings: list[Finding] = []
    for verification in report.verifications:
        findings += _judge_signature(item.source, verification, origin)
    findings += _judge_proof(domain, item.source, report, origin)
    facts["proves"] = any(f.code == "DKIM-MSG-PROVES" for f in findings)
    return findings, facts


def _judge_signature(source: str, v: Verification, origin: Evidence) -> list[Finding]:
    evidence = [origin] + ([v.key_evidence] if v.key_evidence is not None else [])
    params = {"source": source, "index": v.index, "domain": v.domain or "?", "selector": v.selector or "?",
              "detail": v.detail}
    subject = f"{source} #{v.index}"

    def make(code: str, verdict: Verdict, **extra: Any) -> Finding:
        return finding(code, "signed message", verdict, evidence=evidence, subject=subject,
                       **params, **extra)

    out: list[Finding] = []
    if v.result == PASS:
        out.append(make("DKIM-MSG-PASS", Verdict.PASS, algorithm=v.algorithm,
                        key=f"{v.key_type} {v.key_bits}-bit"))
    elif v.reason == "body-hash-mismatch":
        out.append(make("DKIM-MSG-BODY-CHANGED", Verdict.WARN))
    elif v.reason == "signature-mismatch":
        out.append(make("DKIM-MSG-HEADER-CHANGED", Verdict.WARN))
    elif v.reason == "from-not-signed":
        out.append(make("DKIM-MSG-FROM-NOT-SIGNED", Verdict.FAIL))
    elif v.reason == "expired":
        out.append(make("DKIM-MSG-EXPIRED", Verdict.WARN))
    elif v.reason in _KEY_GONE:
        out.append(make("DKIM-MSG-KEY-GONE", Verdict.WARN))
    elif v.result == "temperror":
        out.append(make("DKIM-MSG-TEMPERROR", Verdict.NOT_TESTED))
    else:
        out.append(make("DKIM-MSG-PERMERROR", Verdict.FAIL))
    if v.length is not None:
        out.append(make("DKIM-MSG-BODY-LENGTH", Verdict.WARN, length=v.length))
    return out


def _judge_proof(domain: str, source: str, report: MessageReport, origin: Evidence) -> list[Finding]:
    ev = [origin, *report.evidence]
    if not report.verifications:
        return [finding("DKIM-MSG-UNSIGNED", "signed message", Verdict.WARN, evidence=[origin],
                        subject=source, source=source)]
    out: list[Finding] = []
    if report.from_problem:
        out.append(finding("DKIM-MSG-FROM-UNKNOWN", "DMARC alignment", Verdict.INFO, evidence=[origin],
                           subject=source, source=source, problem=report.from_problem))
    ours = organizational_domain(domain)
    proving = [v for v in report.passed if organizational_domain(v.domain) == ours]
    if not proving:
        return out + [finding("DKIM-MSG-NOT-PROVEN", "signed message", Verdict.WARN, evidence=ev,
                              subject=source, source=source, domain=domain)]
    best = min(proving, key=lambda v: (not v.aligned_strict, not v.aligned_relaxed))
    out.append(finding("DKIM-MSG-PROVES", "signed message", Verdict.PASS, evidence=ev, subject=source,
                       source=source, domain=domain, signer=best.domain, selector=best.selector,
                       alignment=_alignment(best, report.from_domain)))
    if report.from_domain is not None and not any(v.aligned_relaxed for v in report.passed):
        out.append(finding("DKIM-MSG-NOT-ALIGNED", "DMARC alignment", Verdict.WARN, evidence=ev,
                           subject=source, source=source, author=report.from_domain))
    return out


def _alignment(v: Verification, author: str | None) -> str:
    if author is None:
        return "alignment with From not judged"
    if v.aligned_strict:
        return f"aligned with From {author} (strict and relaxed)"
    if v.aligned_relaxed:
        return f"aligned with From {author} in relaxed mode only (not strict)"
    return f"not aligned with From {author}"


def _facts(item: LoadedMessage, report: MessageReport) -> dict[str, Any]:
    return {
        "source": item.source, "path": str(item.path), "sha256": item.sha256, "size": item.size,
        "from_domains": list(report.from_domains), "from_problem": report.from_problem,
        "newlines_converted": report.newlines_converted, "skipped_signatures": report.skipped,
        "signatures": [{name: getattr(v, name) for name in _DATA_FIELDS} for v in report.verifications],
    }


__all__ = ["LoadedMessage", "check_messages", "judge_message", "learned_selectors", "load_messages"]
