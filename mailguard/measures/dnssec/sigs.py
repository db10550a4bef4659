"""RRSIG checks (RFC 4035 §5.3) with the reason a signature fails, and finding RRsets in a response.

Pure: the RRsets, the zone's keys and the time come in; a :class:`SigCheck` comes out. The
cryptography is dnspython's (``dns.dnssec.validate_rrsig``); what this adds is which of the
signatures failed how (expired, not yet valid, made by an unknown key, not matching the data),
so that a report can say exactly why an answer is bogus.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import dns.dnssec
import dns.exception
import dns.name
import dns.rdataset
import dns.rdatatype
import dns.rrset

# Why a signature check failed, from most to least telling: the first found is the reason.
VALIDATED = "validated"
BAD_SIGNATURE = "bad-signature"
EXPIRED = "rrsig-expired"
NOT_YET_VALID = "rrsig-not-yet-valid"
UNKNOWN_KEY = "unknown-key"
WRONG_SIGNER = "wrong-signer"
UNSUPPORTED = "unsupported-algorithm"
MISSING = "missing-rrsig"
_PRIORITY = (BAD_SIGNATURE, EXPIRED, NOT_YET_VALID, UNKNOWN_KEY, WRONG_SIGNER, UNSUPPORTED, MISSING)

MAX_SIGS_TRIED = 8  # a hostile answer with hundreds of RRSIGs must not cost hundreds of verifications


@dataclass(frozen=True)
class SigCheck:
    """The outcome of checking one RRset's signatures.

    ok: one RRSIG by a key of ``zone`` verified within its validity period.
    reason: ``validated`` or the failure (see the constants above).
    detail: one human line (which key, which times).
    labels: the RRSIG's label count of the signature that verified (for wildcard checks).
    """

    ok: bool
    reason: str
    detail: str
    key_tag: int | None = None
    labels: int | None = None


def stamp(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def find_rrset(section: Iterable[dns.rrset.RRset], name: dns.name.Name, rdtype: int) -> dns.rrset.RRset | None:
    for rrset in section:
        if rrset.rdtype == rdtype and rrset.name == name:
            return rrset
    return None


def find_sigs(section: Iterable[dns.rrset.RRset], name: dns.name.Name, covered: int) -> dns.rrset.RRset | None:
    for rrset in section:
        if rrset.rdtype == dns.rdatatype.RRSIG and rrset.name == name and rrset.covers == covered:
            return rrset
    return None


def check_rrset(rrset: dns.rrset.RRset, sigs: dns.rrset.RRset | None, zone: dns.name.Name,
                keys: dns.rdataset.Rdataset, now: float) -> SigCheck:
    """Does one RRSIG over ``rrset`` by a key in ``keys`` (the DNSKEY RRset of ``zone``) verify?"""
    what = f"{rrset.name.to_text()} {dns.rdatatype.to_text(rrset.rdtype)}"
    if sigs is None or len(sigs) == 0:
        return SigCheck(False, MISSING, f"no RRSIG over {what} in a signed zone")
    failures: list[tuple[str, str]] = []
    for rrsig in list(sigs)[:MAX_SIGS_TRIED]:
        reason, detail = _check_one(rrset, rrsig, zone, keys, now)
        if reason == VALIDATED:
            return SigCheck(True, VALIDATED, f"{what}: {detail}", rrsig.key_tag, rrsig.labels)
        failures.append((reason, detail))
    failures.sort(key=lambda f: _PRIORITY.index(f[0]))
    return SigCheck(False, failures[0][0], f"{what}: " + "; ".join(d for _, d in failures))


def _check_one(rrset: dns.rrset.RRset, rrsig: object, zone: dns.name.Name,
               keys: dns.rdataset.Rdataset, now: float) -> tuple[str, str]:
    tag, alg = rrsig.key_tag, rrsig.algorithm  # type: ignore[attr-defined]
    signer: dns.name.Name = rrsig.signer  # type: ignore[attr-defined]
    who = f"RRSIG by {signer.to_text()} key {tag} (algorithm {alg})"
    if signer != zone:
        return WRONG_SIGNER, f"{who}: the signer is not the zone {zone.to_text()}"
    window = f"valid {stamp(rrsig.inception)} to {stamp(rrsig.expiration)}"  # type: ignore[attr-defined]
    if rrsig.expiration < now:  # type: ignore[attr-defined]
        return EXPIRED, f"{who} expired on {stamp(rrsig.expiration)}"  # type: ignore[attr-defined]
    if rrsig.inception > now:  # type: ignore[attr-defined]
        return NOT_YET_VALID, f"{who} is not valid before {stamp(rrsig.inception)}"  # type: ignore[attr-defined]
    try:
        dns.dnssec.validate_rrsig(rrset, rrsig, {zone: keys}, now=now)  # type: ignore[arg-type]
    except dns.exception.UnsupportedAlgorithm:
        return UNSUPPORTED, f"{who}: algorithm not supported"
    except dns.exception.ValidationFailure as exc:
        if str(exc) == "unknown key":
            return UNKNOWN_KEY, f"{who}: no such key in the DNSKEY set of {zone.to_text()}"
        return BAD_SIGNATURE, f"{who}, {window}: the signature does not verify ({exc})"
    except (dns.exception.DNSException, ValueError, TypeError) as exc:  # malformed key or signature
        return BAD_SIGNATURE, f"{who}: unusable ({exc})"
    return VALIDATED, f"{who} verified, {window}"
