"""Verifying a message's DKIM signatures (RFC 6376 §6, RFC 8301, RFC 8463), without I/O.

The work splits in three, so the network part stays a thin loop (see :mod:`.check`):

1. :func:`plan` parses the message's DKIM-Signature fields and says which keys it needs;
2. the driver fetches those keys through ``net.dns`` (:class:`KeyLookup` keeps what came back);
3. :func:`verify` judges one signature with its key lookup and the clock's reading.

Results use the words of RFC 8601 §2.7.1: ``pass``; ``fail`` (the body hash or the signature
does not match: the message changed after signing); ``permerror`` (the signature or its key
cannot be used: syntax, From not signed, expired, revoked or missing key, rsa-sha1...);
``temperror`` (the key lookup got no answer). Every result carries a stable ``reason`` code.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from ...core.errors import ParseError
from ...core.mime import HeaderField, Message
from ...core.model import Evidence
from ...net.dns import ANSWERED, DnsAnswer
from .canon import body_hash, signed_header_data
from .keys import KeyLoadError, KeyRecord, LoadedKey, load_key, looks_like_key_record, parse_key_record
from .signature import Signature, SignatureError, parse_signature

PASS, FAIL, PERMERROR, TEMPERROR = "pass", "fail", "permerror", "temperror"
MIN_RSA_BITS = 1024  # RFC 8301 §3.2
MAX_SIGNATURES = 20  # verified per message, top (newest) first; RFC 6376 §6.1 lets verifiers limit

# reason code -> result word. The code says exactly what happened; reports translate it.
REASONS = {
    "verified": PASS,
    "body-hash-mismatch": FAIL, "signature-mismatch": FAIL,
    "syntax": PERMERROR, "version": PERMERROR, "missing-tag": PERMERROR, "algorithm": PERMERROR,
    "canonicalization": PERMERROR, "query-method": PERMERROR, "identity": PERMERROR,
    "timestamps": PERMERROR, "from-not-signed": PERMERROR, "expired": PERMERROR,
    "sha1": PERMERROR, "key-not-found": PERMERROR, "key-syntax": PERMERROR, "key-revoked": PERMERROR,
    "key-unusable": PERMERROR, "key-type-mismatch": PERMERROR, "key-hash-not-allowed": PERMERROR,
    "key-not-for-email": PERMERROR, "key-strict-identity": PERMERROR, "key-too-small": PERMERROR,
    "body-shorter-than-l": PERMERROR,
    "key-lookup-failed": TEMPERROR,
}


@dataclass(frozen=True)
class Planned:
    """One DKIM-Signature field of the message: parsed, or why it could not be."""

    index: int  # 1-based, top (newest) first
    field: HeaderField
    signature: Signature | None
    error: SignatureError | None


@dataclass(frozen=True)
class KeyLookup:
    """What the DNS said at a key's name: an observation the driver builds from a DnsAnswer."""

    name: str
    status: str  # the DNS layer's statuses: ok, nodata, nxdomain (answered) or timeout, servfail...
    texts: tuple[str, ...] = ()
    cnames: tuple[str, ...] = ()
    evidence: Evidence | None = None

    @classmethod
    def from_answer(cls, answer: DnsAnswer) -> KeyLookup:
        texts = answer.txt_strings() if answer.status == "ok" else ()
        return cls(answer.qname, answer.status, texts, answer.cnames, answer.evidence)


@dataclass(frozen=True)
class Verification:
    """The outcome for one signature, with the facts a report shows.

    body_hash_ok / signature_ok: None when verification stopped before that step; both are
    known on a ``fail``, so "the body changed" is told apart from "a signed header changed".
    from_signed: whether h= names From. aligned_strict / aligned_relaxed: DMARC alignment of
    d= with the From domain (None when the From domain is not known).
    """

    index: int
    result: str
    reason: str
    detail: str
    domain: str = ""
    selector: str = ""
    algorithm: str = ""
    canonicalization: str = ""
    signed_headers: tuple[str, ...] = ()
    identity: str = ""
    length: int | None = None
    timestamp: int | None = None
    expires: int | None = None
    key_name: str = ""
    key_type: str | None = None
    key_bits: int | None = None
    key_testing: bool = False
    key_cnames: tuple[str, ...] = ()
    body_hash_ok: bool | None = None
    signature_ok: bool | None = None
    from_signed: bool | None = None
    aligned_strict: bool | None = None
    aligned_relaxed: bool | None = None
    key_evidence: Evidence | None = None


def plan(message: Message) -> tuple[tuple[Planned, ...], int]:
    """The message's signatures to verify (at most MAX_SIGNATURES) and how many were left out."""
    fields = message.get_all("DKIM-Signature")
    out = []
    for index, field in enumerate(fields[:MAX_SIGNATURES], start=1):
        try:
            out.append(Planned(index, field, parse_signature(field), None))
        except SignatureError as exc:
            out.append(Planned(index, field, None, exc))
    return tuple(out), max(0, len(fields) - MAX_SIGNATURES)


def key_names(planned: tuple[Planned, ...]) -> tuple[str, ...]:
    """The key names the signatures need, each once, for the driver to fetch."""
    return tuple(dict.fromkeys(p.signature.key_name for p in planned if p.signature is not None))


def verify(message: Message, planned: Planned, lookup: KeyLookup | None, now: int) -> Verification:
    """Judge one signature (RFC 6376 §6.1). ``now`` is Unix seconds from the injected clock."""
    if planned.signature is None:
        assert planned.error is not None
        return _outcome(planned.index, planned.error.reason, str(planned.error))
    sig = planned.signature
    base = _facts(planned.index, sig)
    if "from" not in sig.signed_headers:  # §6.1.1: MUST ignore, PERMFAIL (From field not signed)
        return _with(base, "from-not-signed", "h= does not include From: the author is not signed")
    if sig.expires is not None and sig.expires < now:
        return _with(base, "expired", f"the signature expired (x={sig.expires}, now {now})")
    if sig.algorithm == "rsa-sha1":
        return _with(base, "sha1", "rsa-sha1 signatures are no longer valid (RFC 8301 §3.1)")
    if lookup is None or lookup.name.lower() != sig.key_name:
        return _with(base, "key-lookup-failed", f"no lookup of {sig.key_name} was made")
    base = replace(base, key_evidence=lookup.evidence, key_cnames=lookup.cnames)
    if lookup.status not in ANSWERED:
        return _with(base, "key-lookup-failed", f"the key lookup got no answer ({lookup.status})")
    records = [t for t in lookup.texts if looks_like_key_record(t)]
    if not records:
        return _with(base, "key-not-found", f"no key record at {sig.key_name} ({lookup.status})")
    # With several records the verifier may try each (§6.1.2); the best outcome counts.
    outcomes = [_with_record(message, sig, base, text) for text in records]
    return min(outcomes, key=lambda v: _RANK[v.result])


_RANK = {PASS: 0, FAIL: 1, TEMPERROR: 2, PERMERROR: 3}


def _with_record(message: Message, sig: Signature, base: Verification, text: str) -> Verification:
    try:
        record = parse_key_record(text)
    except ParseError as exc:
        return _with(base, "key-syntax", f"the key record is malformed: {exc}")
    problem = _record_problem(sig, record)
    if problem is not None:
        return _with(base, *problem)
    try:
        key = load_key(record)
    except KeyLoadError as exc:
        return _with(base, "key-unusable", f"the key cannot be used: {exc.message}")
    base = replace(base, key_type=key.key_type, key_bits=key.bits, key_testing=record.testing)
    if key.key_type == "rsa" and key.bits < MIN_RSA_BITS:
        return _with(base, "key-too-small", f"an RSA key of {key.bits} bits is below the 1024 bits "
                                            f"verifiers accept (RFC 8301 §3.2)")
    return _check_hashes(message, sig, base, key)


def _record_problem(sig: Signature, record: KeyRecord) -> tuple[str, str] | None:
    """Why a key record cannot verify this signature (§6.1.2 steps 5 to 9), or None."""
    if record.revoked:
        return "key-revoked", "the key has been revoked (empty p=)"
    if record.key_type != sig.key_type:
        return "key-type-mismatch", f"the key is k={record.key_type}, the signature a={sig.algorithm}"
    if not record.allows_hash(sig.hash):
        return "key-hash-not-allowed", f"the key's h= does not allow {sig.hash}"
    if not record.for_email:
        return "key-not-for-email", "the key's s= excludes email"
    if record.strict and sig.identity_domain != sig.domain:
        return "key-strict-identity", f"the key has t=s but i= is in {sig.identity_domain}, not d="
    return None


def _check_hashes(message: Message, sig: Signature, base: Verification, key: LoadedKey) -> Verification:
    digest, canonical_length = body_hash(message, sig)
    if sig.length is not None and sig.length > canonical_length:
        return _with(base, "body-shorter-than-l", f"l={sig.length} but the canonical body has only "
                                                  f"{canonical_length} octets")
    body_ok = digest == sig.body_hash
    signature_ok = _signature_matches(key, sig, signed_header_data(message, sig))
    base = replace(base, body_hash_ok=body_ok, signature_ok=signature_ok)
    if not body_ok:
        return _with(base, "body-hash-mismatch",
                     "the body hash does not match: the body changed after signing"
                     + ("" if signature_ok else ", and so did the signed header fields"))
    if not signature_ok:
        return _with(base, "signature-mismatch", "the body is intact but the signature does not match: "
                                                 "a signed header field changed, or another key signed")
    return _with(base, "verified", f"verified with the {key.key_type} key of {key.bits} bits")


def _signature_matches(key: LoadedKey, sig: Signature, data: bytes) -> bool:
    try:
        if isinstance(key.key, rsa.RSAPublicKey):
            key.key.verify(sig.signature, data, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key.key, ed25519.Ed25519PublicKey):
            # RFC 8463 §3: PureEdDSA over the SHA-256 hash of the data, not over the data.
            key.key.verify(sig.signature, hashlib.sha256(data).digest())
    except (InvalidSignature, ValueError):
        return False
    return True


def _facts(index: int, sig: Signature) -> Verification:
    return Verification(
        index=index, result="", reason="", detail="", domain=sig.domain, selector=sig.selector,
        algorithm=sig.algorithm, canonicalization=sig.canonicalization,
        signed_headers=sig.signed_headers, identity=sig.identity, length=sig.length,
        timestamp=sig.timestamp, expires=sig.expires, key_name=sig.key_name,
        from_signed="from" in sig.signed_headers,
    )


def _with(base: Verification, reason: str, detail: str) -> Verification:
    return replace(base, result=REASONS[reason], reason=reason, detail=detail)


def _outcome(index: int, reason: str, detail: str) -> Verification:
    return Verification(index=index, result=REASONS[reason], reason=reason, detail=detail)


__all__ = ["FAIL", "PASS", "PERMERROR", "REASONS", "TEMPERROR", "KeyLookup", "Planned",
           "Verification", "key_names", "plan", "verify"]
