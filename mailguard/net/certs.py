"""X.509 facts and validation, pure: DER bytes, a trust store and a time in; frozen records out.

No sockets here. :mod:`mailguard.net.tls` calls these on the chain a server presented (always
fetched with verification off, so that a certificate is reported even when it does not validate),
and DANE matches TLSA records against the same DER bytes.

Validation is split on purpose so that a report can tell the failures apart:

* the chain: does it lead to a root in the store (system roots plus ``--ca-bundle``)?
  Checked with cryptography's RFC 5280 / CA/Browser Forum path builder at a time inside the leaf's
  validity, so an expired certificate from a trusted CA is "expired", not "untrusted";
* the dates: expired / not yet valid, from the injected clock;
* the name: the host against the subjectAltName DNS-IDs (RFC 6125 §6.4, wildcards §6.4.3).
"""

from __future__ import annotations

import hashlib
import ipaddress
import ssl
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import ExtensionOID, NameOID
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from ..core.errors import InputError, ParseError

# CertValidation.chain values
TRUSTED = "trusted"  # chain to a trusted root, and valid now
EXPIRED = "expired"  # would be trusted, but the leaf's notAfter has passed
NOT_YET_VALID = "not-yet-valid"
SELF_SIGNED = "self-signed"  # the leaf signs itself and is not a trusted root
UNTRUSTED = "untrusted"  # no path to a trusted root (unknown CA, missing intermediate, ...)
NO_CERTIFICATE = "no-certificate"
UNPARSEABLE = "unparseable"


@dataclass(frozen=True)
class CertificateFacts:
    """What a certificate says, parsed with cryptography. Times are UTC.

    sans: subjectAltName DNS names (lower-case); san_ips: subjectAltName IP addresses.
    days_to_expiry: whole days from the ``now`` it was parsed with to notAfter (negative: expired).
    key_type: ``RSA``, ``EC``, ``Ed25519``, ``Ed448``, ``DSA`` or ``unknown``; key_bits its size;
    key_curve: the named curve of an EC key (``secp256r1``), else "".
    signature_hash: ``sha256``, ``sha1``, ... ; "" where the algorithm has none of its own (Ed25519).
    self_signed: issuer equals subject and the signature verifies with the certificate's own key.
    sha256 / spki_sha256: hex SHA-256 of the whole DER certificate / of its SubjectPublicKeyInfo.
    """

    subject: str
    issuer: str
    common_name: str
    sans: tuple[str, ...]
    san_ips: tuple[str, ...]
    serial: str
    not_before: datetime
    not_after: datetime
    days_to_expiry: int
    expired: bool
    not_yet_valid: bool
    key_type: str
    key_bits: int
    key_curve: str
    signature_algorithm: str
    signature_hash: str
    self_signed: bool
    is_ca: bool
    sha256: str
    spki_sha256: str

    def summary(self) -> str:
        key = f"{self.key_type} {self.key_curve or self.key_bits}"
        return (
            f"{self.subject} issued by {self.issuer}, {key}, {self.signature_algorithm}, "
            f"valid {self.not_before:%Y-%m-%d} to {self.not_after:%Y-%m-%d}"
        )

    def to_json(self) -> dict[str, object]:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "common_name": self.common_name,
            "sans": list(self.sans),
            "san_ips": list(self.san_ips),
            "serial": self.serial,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "days_to_expiry": self.days_to_expiry,
            "key_type": self.key_type,
            "key_bits": self.key_bits,
            "key_curve": self.key_curve,
            "signature_algorithm": self.signature_algorithm,
            "signature_hash": self.signature_hash,
            "self_signed": self.self_signed,
            "is_ca": self.is_ca,
            "sha256": self.sha256,
            "spki_sha256": self.spki_sha256,
        }


@dataclass(frozen=True)
class CertValidation:
    """The verdict-free facts of validating a presented chain for ``host`` at ``at``.

    chain: one of TRUSTED, EXPIRED, NOT_YET_VALID, SELF_SIGNED, UNTRUSTED, NO_CERTIFICATE,
        UNPARSEABLE; reason: the validator's own words when not TRUSTED.
    name_match: ``host`` is among the certificate's names (RFC 6125 §6.4); names: those names.
    verified_chain: the path cryptography built (leaf to root, DER) when one was found.
    profile_issue: why the leaf fails the strict CA/Browser Forum profile although the chain is
        trusted the way OpenSSL-based clients trust it ("" when it conforms).
    """

    host: str
    at: datetime
    chain: str
    reason: str
    name_match: bool
    names: tuple[str, ...]
    verified_chain: tuple[bytes, ...] = field(default=(), repr=False)
    profile_issue: str = ""

    @property
    def trusted(self) -> bool:
        return self.chain == TRUSTED

    @property
    def ok(self) -> bool:
        return self.trusted and self.name_match


def load_certificate(der: bytes) -> x509.Certificate:
    """Parse DER; ParseError if it is not a certificate. cryptography's deprecation warnings about
    sloppy encodings (negative serials, ...) are silenced: a hostile server must not turn our
    warnings into errors, and the certificate is judged on its facts instead."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            return x509.load_der_x509_certificate(der)
    except ValueError as exc:
        raise ParseError(f"not a DER X.509 certificate: {exc}") from exc


def certificate_facts(der: bytes, now: datetime) -> CertificateFacts:
    """Parse one DER certificate; ParseError if cryptography cannot read it."""
    cert = load_certificate(der)
    try:
        return _facts(cert, der, now)
    except (ValueError, UnsupportedAlgorithm, x509.DuplicateExtension) as exc:
        raise ParseError(f"certificate cannot be read: {exc}") from exc


def _facts(cert: x509.Certificate, der: bytes, now: datetime) -> CertificateFacts:
    not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    key_type, bits, curve = _key(cert)
    sans, ips = _san(cert)
    hash_alg = cert.signature_hash_algorithm
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return CertificateFacts(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        common_name=_common_name(cert.subject),
        sans=sans,
        san_ips=ips,
        serial=f"{cert.serial_number:x}",
        not_before=not_before,
        not_after=not_after,
        days_to_expiry=(not_after - now).days,
        expired=now > not_after,
        not_yet_valid=now < not_before,
        key_type=key_type,
        key_bits=bits,
        key_curve=curve,
        signature_algorithm=getattr(cert.signature_algorithm_oid, "_name", "")
        or cert.signature_algorithm_oid.dotted_string,
        signature_hash=hash_alg.name if hash_alg is not None else "",
        self_signed=_self_signed(cert),
        is_ca=_is_ca(cert),
        sha256=hashlib.sha256(der).hexdigest(),
        spki_sha256=hashlib.sha256(spki).hexdigest(),
    )


def _key(cert: x509.Certificate) -> tuple[str, int, str]:
    try:
        key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm):
        return "unknown", 0, ""
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size, ""
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size, key.curve.name
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256, ""
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456, ""
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size, ""
    return "unknown", 0, ""


def _common_name(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    value = values[0].value if values else ""
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def _san(cert: x509.Certificate) -> tuple[tuple[str, ...], tuple[str, ...]]:
    try:
        ext = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    except x509.ExtensionNotFound:
        return (), ()
    names = ext.value
    assert isinstance(names, x509.SubjectAlternativeName)
    dns_names = tuple(n.lower().rstrip(".") for n in names.get_values_for_type(x509.DNSName))
    ips = tuple(str(ip) for ip in names.get_values_for_type(x509.IPAddress))
    return dns_names, ips


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        ext = cert.extensions.get_extension_for_oid(ExtensionOID.BASIC_CONSTRAINTS)
    except x509.ExtensionNotFound:
        return False
    value = ext.value
    return isinstance(value, x509.BasicConstraints) and value.ca


def _self_signed(cert: x509.Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    return signed_by(cert, cert)


def signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Does ``issuer``'s key verify ``cert``'s signature?"""
    try:
        key = issuer.public_key()
        data, sig = cert.tbs_certificate_bytes, cert.signature
        if isinstance(key, rsa.RSAPublicKey):
            hash_alg = cert.signature_hash_algorithm
            if hash_alg is None:
                return False
            pad = cert.signature_algorithm_parameters
            key.verify(sig, data, pad if isinstance(pad, padding.PSS) else padding.PKCS1v15(), hash_alg)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            hash_alg = cert.signature_hash_algorithm
            if hash_alg is None:
                return False
            key.verify(sig, data, ec.ECDSA(hash_alg))
        elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(sig, data)
        else:
            return False
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


# -- names (RFC 6125 §6.4) ----------------------------------------------------------------------


def name_matches(host: str, pattern: str) -> bool:
    """One reference identity against one DNS-ID; a wildcard only as the whole left-most label
    and matching exactly one label (RFC 6125 §6.4.3, as browsers and MTAs apply it)."""
    host = host.lower().rstrip(".")
    pattern = pattern.lower().rstrip(".")
    if not host or not pattern:
        return False
    if pattern.startswith("*."):
        rest = pattern[2:]
        if "*" in rest or rest.count(".") < 1:  # no "*.com"-style wildcards on a single label
            return False
        head, _, tail = host.partition(".")
        return bool(head) and tail == rest
    return "*" not in pattern and host == pattern


def host_matches(host: str, sans: Sequence[str], san_ips: Sequence[str]) -> bool:
    """Is ``host`` (a name or an IP literal) among the certificate's subjectAltNames?

    No fallback to the subject CN: RFC 6125 §6.4.4 allows it only without DNS-IDs, and the
    CA/Browser Forum requires the SAN, so a CN-only certificate is reported as a mismatch.
    """
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return any(name_matches(host, pattern) for pattern in sans)
    return any(_same_ip(ip, text) for text in san_ips)


def _same_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, text: str) -> bool:
    try:
        return ipaddress.ip_address(text) == ip
    except ValueError:
        return False


# -- trust ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrustStore:
    """Trusted roots: the system's, plus those of ``--ca-bundle`` (``extra``)."""

    roots: tuple[x509.Certificate, ...]
    extra: tuple[x509.Certificate, ...]
    sources: tuple[str, ...]
    store: Store = field(repr=False, compare=False)


@lru_cache(maxsize=1)
def system_roots() -> tuple[x509.Certificate, ...]:
    """The roots OpenSSL would trust by default (the OS bundle), else certifi's, parsed once."""
    context = ssl.create_default_context()
    ders = context.get_ca_certs(binary_form=True)
    roots = [c for c in (_try_load(der) for der in ders) if c is not None]
    if not roots:
        try:
            import certifi

            roots = list(x509.load_pem_x509_certificates(Path(certifi.where()).read_bytes()))
        except (ImportError, OSError, ValueError):
            roots = []
    return tuple(roots)


def _try_load(der: bytes) -> x509.Certificate | None:
    try:
        return load_certificate(der)
    except ParseError:
        return None


@lru_cache(maxsize=16)
def load_bundle(path: Path) -> tuple[x509.Certificate, ...]:
    """The PEM certificates in a CA bundle file; InputError if there are none."""
    try:
        certs = tuple(x509.load_pem_x509_certificates(path.read_bytes()))
    except (OSError, ValueError) as exc:
        raise InputError(f"CA bundle {path} cannot be used: {exc}") from exc
    if not certs:
        raise InputError(f"CA bundle {path} holds no PEM certificates")
    return certs


def trust_store(ca_bundle: Path | None = None, *, system: bool = True) -> TrustStore:
    roots = system_roots() if system else ()
    extra = load_bundle(ca_bundle) if ca_bundle is not None else ()
    sources = (("system",) if system else ()) + ((str(ca_bundle),) if ca_bundle is not None else ())
    return TrustStore(roots, extra, sources, Store(list(roots + extra)))


# -- validation -----------------------------------------------------------------------------------


def validate(chain: Sequence[bytes], host: str, trust: TrustStore, now: datetime) -> CertValidation:
    """Validate a presented chain (leaf first, DER) for ``host`` at ``now``; never raises."""
    if not chain:
        return CertValidation(host, now, NO_CERTIFICATE, "the server presented no certificate", False, ())
    try:
        leaf = load_certificate(chain[0])
        sans, ips = _san(leaf)
    except (ParseError, ValueError, x509.DuplicateExtension) as exc:
        return CertValidation(host, now, UNPARSEABLE, str(exc)[:300], False, ())
    names = sans + ips
    name_ok = host_matches(host, sans, ips)
    intermediates = [c for c in (_try_load(d) for d in chain[1:]) if c is not None]
    status, reason, path, issue = _chain_status(leaf, intermediates, host if name_ok else None, trust, now)
    return CertValidation(host, now, status, reason, name_ok, names, path, issue)


def _chain_status(
    leaf: x509.Certificate,
    intermediates: list[x509.Certificate],
    host: str | None,
    trust: TrustStore,
    now: datetime,
) -> tuple[str, str, tuple[bytes, ...], str]:
    """(chain status, reason, verified path, profile issue)."""
    not_before, not_after = leaf.not_valid_before_utc, leaf.not_valid_after_utc
    dated = NOT_YET_VALID if now < not_before else EXPIRED if now > not_after else ""
    # Judge the path at a moment the leaf is valid (the one nearest to now), so that "expired" is
    # told apart from "untrusted".
    when = {EXPIRED: not_after, NOT_YET_VALID: not_before}.get(dated, now)
    subject = _subject_for(leaf, host)
    if subject is None:
        return UNTRUSTED, "the certificate has no subjectAltName to validate", (), ""
    profile_issue = ""
    try:
        try:
            built = _verify(trust, when, subject, leaf, intermediates, strict=True)
        except VerificationError as strict_error:
            # OpenSSL-based senders and browsers accept leaves that bend the CA/Browser Forum
            # profile (a critical SAN or EKU, no AKI...). Trust is judged as they judge it; the
            # deviation is kept as a fact of its own.
            built = _verify(trust, when, subject, leaf, intermediates, strict=False)
            profile_issue = str(strict_error)[:300]
    except VerificationError as exc:
        if _self_signed(leaf) and leaf not in trust.roots + trust.extra:
            return SELF_SIGNED, "self-signed certificate, not issued by a trusted CA", (), ""
        return UNTRUSTED, _untrusted_reason(leaf, str(exc)), (), ""
    except (ValueError, UnsupportedAlgorithm) as exc:
        return UNTRUSTED, str(exc)[:300], (), ""
    path = tuple(c.public_bytes(serialization.Encoding.DER) for c in built)
    if dated == EXPIRED:
        return EXPIRED, f"expired on {not_after:%Y-%m-%d %H:%M} UTC", path, profile_issue
    if dated == NOT_YET_VALID:
        return NOT_YET_VALID, f"not valid before {not_before:%Y-%m-%d %H:%M} UTC", path, profile_issue
    return TRUSTED, "", path, profile_issue


def _verify(
    trust: TrustStore,
    when: datetime,
    subject: x509.DNSName | x509.IPAddress,
    leaf: x509.Certificate,
    intermediates: list[x509.Certificate],
    *,
    strict: bool,
) -> list[x509.Certificate]:
    builder = PolicyBuilder().store(trust.store).time(when)
    if not strict:
        # CA certificates keep the full web PKI checks (basicConstraints, keyUsage, ...); the
        # leaf only needs a subjectAltName, which is what the path builder matches names with.
        leaf_policy = ExtensionPolicy.permit_all().require_present(
            x509.SubjectAlternativeName, Criticality.AGNOSTIC, None
        )
        builder = builder.extension_policies(
            ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=leaf_policy
        )
    return builder.build_server_verifier(subject).verify(leaf, intermediates)


def _untrusted_reason(leaf: x509.Certificate, error: str) -> str:
    """The validator's words, led by the plain reason when it is the common one."""
    issuer = leaf.issuer.rfc4514_string()
    if "no interior errors" in error:  # nothing wrong on the way; the path just ends nowhere trusted
        return f"no path from the issuer ({issuer}) to a trusted root"[:300]
    return f"{error} (issuer {issuer})"[:300]


def _subject_for(leaf: x509.Certificate, host: str | None) -> x509.DNSName | x509.IPAddress | None:
    """A name the path builder can check the chain for: ``host`` when it matched, else one of the
    certificate's own names (the name check is reported separately)."""
    sans, ips = _san(leaf)
    if host is not None:
        try:
            return x509.IPAddress(ipaddress.ip_address(host.strip("[]")))
        except ValueError:
            return x509.DNSName(host.lower().rstrip("."))
    for name in sans:
        concrete = "mailguard-wildcard" + name[1:] if name.startswith("*.") else name
        if "*" not in concrete:
            return x509.DNSName(concrete)
    for text in ips:
        try:
            return x509.IPAddress(ipaddress.ip_address(text))
        except ValueError:
            continue
    return None


def pem(der: bytes) -> str:
    """A DER certificate as PEM text, for evidence."""
    return ssl.DER_cert_to_PEM_cert(der)


def fingerprint(der: bytes, algorithm: hashes.HashAlgorithm | None = None) -> str:
    digest = hashes.Hash(algorithm or hashes.SHA256())
    digest.update(der)
    return digest.finalize().hex()
