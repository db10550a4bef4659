"""The one TLS evaluation that mail (STARTTLS) and the website share. Pure: observations in,
findings out; no socket, no clock (the observation carries the time it was validated at).

Source: NCSC-NL, *IT Security Guidelines for Transport Layer Security (TLS)*, 2025 edition
(building on v2.1 of 2021), which rates every choice as Good, Sufficient, Phase out or
Insufficient. A finding's verdict follows the rating: good and sufficient pass, phase out warns,
insufficient fails. RFC 8996 deprecates TLS 1.0 and 1.1; RFC 8446 §B.4 lists the TLS 1.3 suites.

==================  =========================  ======================  ==================  ==================
aspect              good                       sufficient              phase out           insufficient
==================  =========================  ======================  ==================  ==================
version             TLS 1.3                    TLS 1.2                 -                   TLS 1.1, 1.0, SSL
key exchange        ECDHE                      DHE                     RSA (static)        others (anon, PSK,
                                                                                           static DH)
groups              x25519, x448, secp256r1,   ffdhe4096, ffdhe3072,   ffdhe2048           others
                    secp384r1, X25519MLKEM768  secp521r1 (*)
bulk cipher         AES-GCM, ChaCha20-Poly1305 AES-CBC, AES-CCM        AES-CCM-8           3DES, RC4, DES,
                                                                                           NULL, EXPORT,
                                                                                           Camellia, ARIA...
hash (MAC)          SHA-256/384, Poly1305      SHA-1 (HMAC)            -                   MD5
certificate key     RSA >= 3072, EC P-256 /    EC P-521 (*)            RSA 2048-3071       RSA < 2048, DSA,
                    P-384, Ed25519, Ed448                                                  other curves
certificate         SHA-256, SHA-384, SHA-512                          SHA-224 (*)         SHA-1, MD5
signature hash      (and EdDSA)
==================  =========================  ======================  ==================  ==================

A suite is rated by its weakest part: ``ECDHE-RSA-AES256-GCM-SHA384`` is good,
``DHE-RSA-AES256-GCM-SHA384`` and ``ECDHE-RSA-AES128-SHA`` (CBC) sufficient, ``AES256-GCM-SHA384``
(static RSA key exchange) phase out, ``DES-CBC3-SHA`` insufficient. (*) marks choices the
guidelines do not list by name; they are rated here as noted. Beyond the ratings: the chain must
lead to a trusted root (RFC 5280 §6), the name must match (RFC 6125 §6.4), and a certificate
that expires within 21 days warns, one that has expired fails.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from ..core import messages
from ..core.errors import ParseError
from ..core.findings import finding
from ..core.messages import Message
from ..core.model import Evidence, Finding, Verdict
from ..net import certs
from ..net.certs import CertificateFacts
from ..net.tls import ACCEPTED, CANNOT_TEST, FAILED, REFUSED, TIMEOUT, CipherProbe, TlsObservation, VersionSupport

GOOD, SUFFICIENT, PHASE_OUT, INSUFFICIENT = "good", "sufficient", "phase out", "insufficient"
LEVELS = (GOOD, SUFFICIENT, PHASE_OUT, INSUFFICIENT)
LEVEL_VERDICT: Mapping[str, Verdict] = {
    GOOD: Verdict.PASS,
    SUFFICIENT: Verdict.PASS,
    PHASE_OUT: Verdict.WARN,
    INSUFFICIENT: Verdict.FAIL,
}
EXPIRY_WARN_DAYS = 21

NCSC = "NCSC-NL TLS guidelines 2025"

# -- the tables ----------------------------------------------------------------------------------

VERSION_LEVEL: Mapping[str, str] = {
    "TLSv1.3": GOOD,
    "TLSv1.2": SUFFICIENT,
    "TLSv1.1": INSUFFICIENT,
    "TLSv1": INSUFFICIENT,
    "SSLv3": INSUFFICIENT,
    "SSLv2": INSUFFICIENT,
}
VERSION_NAME: Mapping[str, str] = {
    "TLSv1.3": "TLS 1.3",
    "TLSv1.2": "TLS 1.2",
    "TLSv1.1": "TLS 1.1",
    "TLSv1": "TLS 1.0",
    "SSLv3": "SSL 3.0",
    "SSLv2": "SSL 2.0",
}

TLS13_SUITES: Mapping[str, str] = {  # RFC 8446 §B.4
    "TLS_AES_256_GCM_SHA384": GOOD,
    "TLS_CHACHA20_POLY1305_SHA256": GOOD,
    "TLS_AES_128_GCM_SHA256": GOOD,
    "TLS_AES_128_CCM_SHA256": SUFFICIENT,
    "TLS_AES_128_CCM_8_SHA256": PHASE_OUT,
}

GROUP_LEVEL: Mapping[str, str] = {
    "x25519": GOOD,
    "x448": GOOD,
    "secp256r1": GOOD,
    "prime256v1": GOOD,
    "secp384r1": GOOD,
    "x25519mlkem768": GOOD,
    "secp521r1": SUFFICIENT,
    "ffdhe4096": SUFFICIENT,
    "ffdhe3072": SUFFICIENT,
    "ffdhe2048": PHASE_OUT,
}

EC_CURVE_LEVEL: Mapping[str, str] = {"secp256r1": GOOD, "secp384r1": GOOD, "secp521r1": SUFFICIENT}

SIGNATURE_HASH_LEVEL: Mapping[str, str] = {
    "sha256": GOOD,
    "sha384": GOOD,
    "sha512": GOOD,
    "sha3-256": GOOD,
    "sha3-384": GOOD,
    "sha3-512": GOOD,
    "sha224": PHASE_OUT,
    "sha1": INSUFFICIENT,
    "md5": INSUFFICIENT,
    "md2": INSUFFICIENT,
}

# Parts of an OpenSSL suite name that make it insufficient on their own.
_BROKEN_PARTS = frozenset(
    {
        "NULL",
        "RC4",
        "RC2",
        "DES",
        "3DES",
        "CBC3",
        "IDEA",
        "SEED",
        "MD5",
        "ADH",
        "AECDH",
        "ANON",
        "EXP",
        "EXPORT",
        "EXP1024",
        "PSK",
        "SRP",
        "KRB5",
        "DSS",
        "CAMELLIA128",
        "CAMELLIA256",
        "CAMELLIA",
        "ARIA128",
        "ARIA256",
        "GOST",
    }
)


def version_level(version: str) -> str:
    return VERSION_LEVEL.get(version, INSUFFICIENT)


def cipher_level(name: str) -> str:
    """Rate a suite by its OpenSSL (or TLS 1.3 IANA) name, by its weakest part."""
    upper = name.upper()
    if upper.startswith("TLS_"):
        return TLS13_SUITES.get(upper, INSUFFICIENT)
    parts = upper.split("-")
    if _BROKEN_PARTS.intersection(parts) or any(p.startswith(("EXP", "CAMELLIA", "ARIA")) for p in parts):
        return INSUFFICIENT
    kx = parts[0]
    if kx in ("DH", "ECDH"):  # static (EC)DH: no forward secrecy, not in the guidelines
        return INSUFFICIENT
    if "CCM8" in parts:
        bulk = PHASE_OUT
    elif "GCM" in parts or any(p.startswith("CHACHA20") for p in parts):
        bulk = GOOD
    elif "CCM" in parts or any(p.startswith("AES") for p in parts):
        bulk = SUFFICIENT  # AES-CBC (with HMAC-SHA1/256/384) or AES-CCM
    else:
        return INSUFFICIENT
    exchange = GOOD if kx == "ECDHE" else SUFFICIENT if kx in ("DHE", "EDH") else PHASE_OUT
    return _weakest(bulk, exchange)


def group_level(group: str) -> str:
    return GROUP_LEVEL.get(group.lower(), INSUFFICIENT)


def key_level(cert: CertificateFacts) -> str:
    if cert.key_type == "RSA":
        return GOOD if cert.key_bits >= 3072 else PHASE_OUT if cert.key_bits >= 2048 else INSUFFICIENT
    if cert.key_type == "EC":
        return EC_CURVE_LEVEL.get(cert.key_curve, INSUFFICIENT)
    if cert.key_type in ("Ed25519", "Ed448"):
        return GOOD
    return INSUFFICIENT


def signature_level(cert: CertificateFacts) -> str:
    if not cert.signature_hash:  # EdDSA hashes as part of the algorithm
        return GOOD if cert.signature_algorithm.lower().startswith(("ed25519", "ed448")) else INSUFFICIENT
    return SIGNATURE_HASH_LEVEL.get(cert.signature_hash.lower(), INSUFFICIENT)


def _weakest(*levels: str) -> str:
    return max(levels, key=LEVELS.index)


# -- the message table ---------------------------------------------------------------------------

_LEVEL_WORDS = {GOOD: "good", SUFFICIENT: "sufficient", PHASE_OUT: "phase out", INSUFFICIENT: "insufficient"}


def _code(prefix: str, level: str) -> str:
    return f"{prefix}-{level.upper().replace(' ', '-')}"


def _rated(prefix: str, en: str, rfc: str) -> dict[str, Message]:
    """One code per rating, e.g. TLS-VERSION-GOOD ... TLS-VERSION-INSUFFICIENT (Dutch: the catalog)."""
    return {_code(prefix, level): Message(f"{en}: {word} ({NCSC})", rfc) for level, word in _LEVEL_WORDS.items()}


MESSAGES: dict[str, Message] = {
    **_rated("TLS-VERSION", "negotiated {version}", "RFC 8446, RFC 8996"),
    **_rated("TLS-CIPHER", "cipher suite {cipher}", "RFC 9325 §4.2"),
    **_rated("TLS-GROUP", "key exchange group {group}", "RFC 8446 §4.2.7"),
    **_rated("TLS-CERT-KEY", "certificate key {key}", "RFC 5280 §4.1.2.7"),
    **_rated("TLS-CERT-SIGNATURE", "certificate signed with {algorithm}", "RFC 5280 §4.1.1.2"),
    "TLS-HANDSHAKE-FAILED": Message(
        "TLS handshake with {where} failed: {error}",
        "RFC 8446 §4",
    ),
    "TLS-HANDSHAKE-TIMEOUT": Message(
        "TLS handshake with {where} did not finish in time ({error}): not tested",
        "RFC 8446 §4",
    ),
    "TLS-UNREACHABLE": Message(
        "no connection to {where} ({error}): not tested",
        "RFC 9293",
    ),
    "TLS-CANNOT-TEST": Message(
        "cannot be tested from here: {error}"
    ),
    "TLS-OLD-VERSION-ACCEPTED": Message(
        "{version} is still accepted: insufficient, switch it off ({ncsc})",
        "RFC 8996 §2-3",
    ),
    "TLS-OLD-VERSIONS-REFUSED": Message(
        "TLS 1.1 and older are refused", "RFC 8996"
    ),
    "TLS-VERSION-UNTESTABLE": Message(
        "whether {version} is accepted cannot be tested from here: {reason}",
        "RFC 8996",
    ),
    "TLS-VERSION-PROBE-FAILED": Message(
        "whether {version} is accepted could not be observed: {reason}",
        "RFC 8996",
    ),
    "TLS-NO-TLS13": Message(
        "TLS 1.3 is not offered; TLS 1.2 is sufficient, TLS 1.3 is good ({ncsc})",
        "RFC 8446",
    ),
    "TLS-WEAK-SUITES-ACCEPTED": Message(
        "accepts {category} cipher suites when offered only those (chose {cipher} with {version})",
        "RFC 9325 §4.1",
    ),
    "TLS-WEAK-SUITES-REFUSED": Message(
        "refuses {category} cipher suites", "RFC 9325 §4.1"
    ),
    "TLS-SUITES-UNTESTABLE": Message(
        "whether {category} cipher suites are accepted cannot be tested here: {reason}",
    ),
    "TLS-CERT-MISSING": Message("no certificate presented", "RFC 8446 §4.4.2"),
    "TLS-CERT-UNPARSEABLE": Message(
        "the certificate cannot be read: {error}", "RFC 5280 §4.1"
    ),
    "TLS-CERT-TRUSTED": Message(
        "certificate chain leads to a trusted root ({root})",
        "RFC 5280 §6",
    ),
    "TLS-CERT-UNTRUSTED": Message(
        "certificate chain does not lead to a trusted root: {reason}",
        "RFC 5280 §6",
    ),
    "TLS-CERT-SELF-SIGNED": Message(
        "self-signed certificate ({name}): no trusted CA vouches for it",
        "RFC 5280 §6.1",
    ),
    "TLS-CERT-PROFILE": Message(
        "the certificate bends the CA/Browser Forum profile (mail servers and browsers still accept it): "
        "{issue}",
        "RFC 5280 §4.2",
    ),
    "TLS-CERT-NAME-MATCH": Message(
        "certificate is valid for {host}", "RFC 6125 §6.4"
    ),
    "TLS-CERT-NAME-MISMATCH": Message(
        "certificate is not valid for {host}: it names {names}",
        "RFC 6125 §6.4",
    ),
    "TLS-CERT-EXPIRY-OK": Message(
        "certificate valid until {not_after} ({days} days)",
        "RFC 5280 §4.1.2.5",
    ),
    "TLS-CERT-EXPIRES-SOON": Message(
        "certificate expires on {not_after}, in {days} days: renew it",
        "RFC 5280 §4.1.2.5",
    ),
    "TLS-CERT-EXPIRED": Message(
        "certificate expired on {not_after} ({days_ago} days ago)",
        "RFC 5280 §4.1.2.5",
    ),
    "TLS-CERT-NOT-YET-VALID": Message(
        "certificate not valid before {not_before}",
        "RFC 5280 §4.1.2.5",
    ),
}
messages.register(MESSAGES)

_CATEGORY_NL = {PHASE_OUT: "uit te faseren", INSUFFICIENT: "onvoldoende", "phase-out": "uit te faseren"}


# -- judging -------------------------------------------------------------------------------------


def evaluate(
    obs: TlsObservation,
    *,
    versions: VersionSupport | None = None,
    ciphers: Sequence[CipherProbe] = (),
    subject: str = "",
) -> tuple[Finding, ...]:
    """All findings about one handshake (and, when given, its version and cipher probes).

    ``subject`` defaults to ``host:port``. Every finding carries the handshake's evidence (and the
    probes' evidence where they decided it).
    """
    subject = subject or f"{obs.host}:{obs.port}"
    if not obs.ok:
        return (handshake_finding(obs, subject),)
    out = [*negotiated(obs, subject), *certificate(obs, subject)]
    if versions is not None:
        out += accepted_versions(versions, obs, subject)
    out += weak_suites(ciphers, obs, subject)
    return tuple(out)


def handshake_finding(obs: TlsObservation, subject: str) -> Finding:
    ev = [obs.evidence]
    params: dict[str, Any] = {"where": obs.where, "error": obs.error}
    if obs.status == FAILED:
        return finding(
            "TLS-HANDSHAKE-FAILED", "TLS handshake", Verdict.FAIL, evidence=ev, subject=subject, **params
        )
    if obs.status == TIMEOUT:
        return finding(
            "TLS-HANDSHAKE-TIMEOUT",
            "TLS handshake",
            Verdict.NOT_TESTED,
            evidence=ev,
            subject=subject,
            **params,
        )
    if obs.status == CANNOT_TEST:
        return finding(
            "TLS-CANNOT-TEST",
            "TLS handshake",
            Verdict.NOT_TESTED,
            evidence=ev,
            subject=subject,
            error=obs.error,
        )
    return finding(
        "TLS-UNREACHABLE", "TLS handshake", Verdict.NOT_TESTED, evidence=ev, subject=subject, **params
    )


def _rated_finding(
    prefix: str,
    check: str,
    level: str,
    obs: TlsObservation,
    subject: str,
    evidence: Sequence[Evidence] = (),
    **params: Any,
) -> Finding:
    return finding(
        _code(prefix, level),
        check,
        LEVEL_VERDICT[level],
        evidence=evidence or [obs.evidence],
        subject=subject,
        level=level,
        **params,
    )


def negotiated(obs: TlsObservation, subject: str) -> list[Finding]:
    out: list[Finding] = []
    if obs.version:
        out.append(
            _rated_finding(
                "TLS-VERSION",
                "TLS version",
                version_level(obs.version),
                obs,
                subject,
                version=VERSION_NAME.get(obs.version, obs.version),
            )
        )
    if obs.cipher:
        out.append(
            _rated_finding(
                "TLS-CIPHER", "cipher suite", cipher_level(obs.cipher), obs, subject, cipher=obs.cipher
            )
        )
    if obs.group:
        out.append(
            _rated_finding(
                "TLS-GROUP", "key exchange group", group_level(obs.group), obs, subject, group=obs.group
            )
        )
    return out


def certificate(obs: TlsObservation, subject: str) -> list[Finding]:
    """Chain, name, dates, key and signature of the presented certificate."""
    ev = [obs.evidence]
    leaf, validation = obs.certificate, obs.validation
    if not obs.chain:
        return [finding("TLS-CERT-MISSING", "certificate", Verdict.FAIL, evidence=ev, subject=subject)]
    if leaf is None or validation is None or validation.chain == certs.UNPARSEABLE:
        error = obs.cert_error or (validation.reason if validation else "unreadable")
        return [
            finding(
                "TLS-CERT-UNPARSEABLE", "certificate", Verdict.FAIL, evidence=ev, subject=subject, error=error
            )
        ]
    out = [_chain_finding(obs, leaf, subject)]
    if validation.profile_issue:
        out.append(
            finding(
                "TLS-CERT-PROFILE",
                "certificate profile",
                Verdict.INFO,
                evidence=ev,
                subject=subject,
                issue=validation.profile_issue,
            )
        )
    if validation.name_match:
        out.append(
            finding(
                "TLS-CERT-NAME-MATCH",
                "certificate name",
                Verdict.PASS,
                evidence=ev,
                subject=subject,
                host=validation.host,
            )
        )
    else:
        out.append(
            finding(
                "TLS-CERT-NAME-MISMATCH",
                "certificate name",
                Verdict.FAIL,
                evidence=ev,
                subject=subject,
                host=validation.host,
                names=", ".join(validation.names) or f"only CN={leaf.common_name}",
            )
        )
    out.append(expiry(leaf, obs, subject))
    key = f"{leaf.key_type} {leaf.key_curve or leaf.key_bits}" + (" bits" if leaf.key_type == "RSA" else "")
    out.append(_rated_finding("TLS-CERT-KEY", "certificate key", key_level(leaf), obs, subject, key=key))
    out.append(
        _rated_finding(
            "TLS-CERT-SIGNATURE",
            "certificate signature",
            signature_level(leaf),
            obs,
            subject,
            algorithm=leaf.signature_algorithm,
        )
    )
    return out


def _chain_finding(obs: TlsObservation, leaf: CertificateFacts, subject: str) -> Finding:
    validation = obs.validation
    assert validation is not None
    ev = [obs.evidence]
    if validation.chain in (certs.TRUSTED, certs.EXPIRED, certs.NOT_YET_VALID):
        root = _root_name(validation.verified_chain)
        return finding(
            "TLS-CERT-TRUSTED", "certificate chain", Verdict.PASS, evidence=ev, subject=subject, root=root
        )
    if validation.chain == certs.SELF_SIGNED:
        return finding(
            "TLS-CERT-SELF-SIGNED",
            "certificate chain",
            Verdict.FAIL,
            evidence=ev,
            subject=subject,
            name=leaf.subject,
        )
    return finding(
        "TLS-CERT-UNTRUSTED",
        "certificate chain",
        Verdict.FAIL,
        evidence=ev,
        subject=subject,
        reason=validation.reason or validation.chain,
    )


def _root_name(chain: Sequence[bytes]) -> str:
    if not chain:
        return "?"
    try:
        return certs.load_certificate(chain[-1]).subject.rfc4514_string()
    except (ParseError, ValueError):
        return "?"


def expiry(leaf: CertificateFacts, obs: TlsObservation, subject: str) -> Finding:
    ev = [obs.evidence]
    dates = {"not_after": f"{leaf.not_after:%Y-%m-%d}", "not_before": f"{leaf.not_before:%Y-%m-%d}"}
    if leaf.not_yet_valid:
        return finding(
            "TLS-CERT-NOT-YET-VALID", "certificate dates", Verdict.FAIL, evidence=ev, subject=subject, **dates
        )
    if leaf.expired:
        return finding(
            "TLS-CERT-EXPIRED",
            "certificate dates",
            Verdict.FAIL,
            evidence=ev,
            subject=subject,
            days_ago=max(1, -leaf.days_to_expiry),
            **dates,
        )
    if leaf.days_to_expiry < EXPIRY_WARN_DAYS:
        return finding(
            "TLS-CERT-EXPIRES-SOON",
            "certificate dates",
            Verdict.WARN,
            evidence=ev,
            subject=subject,
            days=leaf.days_to_expiry,
            **dates,
        )
    return finding(
        "TLS-CERT-EXPIRY-OK",
        "certificate dates",
        Verdict.PASS,
        evidence=ev,
        subject=subject,
        days=leaf.days_to_expiry,
        **dates,
    )


def accepted_versions(versions: VersionSupport, obs: TlsObservation, subject: str) -> list[Finding]:
    """Old versions accepted fail; versions the local OpenSSL cannot offer are "cannot test here"."""
    out: list[Finding] = []
    old = [r for r in versions.results if version_level(r.version) == INSUFFICIENT]
    for probe in old:
        name = VERSION_NAME.get(probe.version, probe.version)
        ev = [probe.evidence] if probe.evidence is not None else [obs.evidence]
        if probe.status == ACCEPTED:
            out.append(
                finding(
                    "TLS-OLD-VERSION-ACCEPTED",
                    "TLS versions",
                    Verdict.FAIL,
                    evidence=ev,
                    subject=subject,
                    version=name,
                    ncsc=NCSC,
                )
            )
        elif probe.status == CANNOT_TEST:
            out.append(
                finding(
                    "TLS-VERSION-UNTESTABLE",
                    "TLS versions",
                    Verdict.INFO,
                    evidence=[obs.evidence],
                    subject=subject,
                    version=name,
                    reason=probe.reason,
                )
            )
        elif probe.status != REFUSED:
            out.append(
                finding(
                    "TLS-VERSION-PROBE-FAILED",
                    "TLS versions",
                    Verdict.NOT_TESTED,
                    evidence=ev,
                    subject=subject,
                    version=name,
                    reason=probe.reason,
                )
            )
    tested = [r for r in old if r.status in (ACCEPTED, REFUSED)]
    if tested and all(r.status == REFUSED for r in tested):
        out.append(
            finding(
                "TLS-OLD-VERSIONS-REFUSED",
                "TLS versions",
                Verdict.PASS,
                evidence=[r.evidence for r in tested if r.evidence is not None],
                subject=subject,
            )
        )
    if versions.status("TLSv1.3") == REFUSED:
        out.append(
            finding(
                "TLS-NO-TLS13",
                "TLS versions",
                Verdict.INFO,
                evidence=[obs.evidence],
                subject=subject,
                ncsc=NCSC,
            )
        )
    return out


def weak_suites(probes: Sequence[CipherProbe], obs: TlsObservation, subject: str) -> list[Finding]:
    out: list[Finding] = []
    for probe in probes:
        category = PHASE_OUT if probe.category in ("phase-out", PHASE_OUT) else INSUFFICIENT
        words = {"category": category, "category_nl": _CATEGORY_NL[category]}
        ev = [probe.evidence] if probe.evidence is not None else [obs.evidence]
        if probe.status == ACCEPTED and probe.cipher:
            level = cipher_level(probe.cipher)
            if level in (GOOD, SUFFICIENT):
                continue  # it chose a suite we did not mean to offer (e.g. TLS 1.3): nothing weak
            out.append(
                finding(
                    "TLS-WEAK-SUITES-ACCEPTED",
                    "cipher suites",
                    LEVEL_VERDICT[level],
                    evidence=ev,
                    subject=subject,
                    cipher=probe.cipher,
                    version=VERSION_NAME.get(probe.version or "", probe.version or "?"),
                    **words,
                )
            )
        elif probe.status == REFUSED:
            out.append(
                finding(
                    "TLS-WEAK-SUITES-REFUSED",
                    "cipher suites",
                    Verdict.PASS,
                    evidence=ev,
                    subject=subject,
                    **words,
                )
            )
        elif probe.status == CANNOT_TEST:
            out.append(
                finding(
                    "TLS-SUITES-UNTESTABLE",
                    "cipher suites",
                    Verdict.INFO,
                    evidence=[obs.evidence],
                    subject=subject,
                    reason=probe.reason,
                    **words,
                )
            )
    return out


def summary(obs: TlsObservation, versions: VersionSupport | None = None) -> dict[str, Any]:
    """The facts later stages (promise verdicts, DANE, the website checks) use, JSON-ready."""
    leaf, validation = obs.certificate, obs.validation
    data: dict[str, Any] = {
        "status": obs.status,
        "version": obs.version,
        "cipher": obs.cipher,
        "group": obs.group,
        "version_level": version_level(obs.version) if obs.version else None,
        "cipher_level": cipher_level(obs.cipher) if obs.cipher else None,
        "chain": validation.chain if validation else None,
        "cert_trusted": bool(validation and validation.chain == certs.TRUSTED),
        "name_match": bool(validation and validation.name_match),
        "cert_valid": bool(validation and validation.ok),
    }
    if leaf is not None:
        data.update(
            days_to_expiry=leaf.days_to_expiry,
            not_after=leaf.not_after.isoformat(),
            key=f"{leaf.key_type} {leaf.key_curve or leaf.key_bits}",
            key_level=key_level(leaf),
            signature_level=signature_level(leaf),
            issuer=leaf.issuer,
            subject=leaf.subject,
            sha256=leaf.sha256,
            spki_sha256=leaf.spki_sha256,
        )
    if versions is not None:
        data["versions"] = {r.version: r.status for r in versions.results}
    return data


def summary_not_after(data: Mapping[str, Any]) -> datetime | None:
    """The leaf certificate's notAfter (UTC) in a :func:`summary`, None when no certificate was seen.

    Reads what :func:`summary` wrote, fresh or loaded back from a stored report."""
    value = data.get("not_after")
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


__all__ = [
    "EXPIRY_WARN_DAYS",
    "GOOD",
    "INSUFFICIENT",
    "LEVELS",
    "MESSAGES",
    "PHASE_OUT",
    "SUFFICIENT",
    "accepted_versions",
    "certificate",
    "cipher_level",
    "evaluate",
    "group_level",
    "key_level",
    "signature_level",
    "summary",
    "summary_not_after",
    "version_level",
    "weak_suites",
]
