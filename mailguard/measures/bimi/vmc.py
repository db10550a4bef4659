"""The BIMI mark certificate (a VMC or CMC behind ``a=``), pure: PEM bytes, a trust store and a
time in; frozen facts out.

A mark certificate is an X.509 certificate (RFC 5280) whose extended key usage is
id-kp-BrandIndicatorforMessageIdentification (1.3.6.1.5.5.7.3.31) and which carries the logo
itself in a logotype extension (RFC 3709, 1.3.6.1.5.5.7.1.12) as a ``data:image/svg+xml`` URI,
usually gzip-compressed and base64-encoded. The evidence document is the PEM chain, leaf first.

The chain is checked with cryptography's path builder against the CA bundle the user gives
(there is no system store of mark certificate issuers), at a moment inside the leaf's validity so
that "expired" is told apart from "untrusted"; expiry is judged from the injected clock.
"""

from __future__ import annotations

import base64
import binascii
import urllib.parse
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtensionOID, ObjectIdentifier
from cryptography.x509.verification import ExtensionPolicy, PolicyBuilder, Store, VerificationError

from ...core.errors import ParseError
from ...net.certs import CertificateFacts, certificate_facts, load_certificate

BIMI_EKU = ObjectIdentifier("1.3.6.1.5.5.7.3.31")  # id-kp-BrandIndicatorforMessageIdentification
LOGOTYPE = ObjectIdentifier("1.3.6.1.5.5.7.1.12")  # id-pe-logotype, RFC 3709
MAX_CHAIN = 8
MAX_LOGO = 1024 * 1024  # bytes a logotype may decompress to
MAX_DER_DEPTH = 32

TRUSTED, UNTRUSTED, NOT_CHECKED = "trusted", "untrusted", "not-checked"


@dataclass(frozen=True)
class MarkCertificate:
    """The facts of a mark certificate chain.

    leaf: the leaf's facts (subject, SANs, validity, key...); chain: every certificate, DER.
    bimi_eku: the leaf's EKU names BIMI; logotype: the leaf has a logotype extension;
    logo: the SVG the logotype carries (decoded, decompressed), None when it could not be read;
    logo_error: why not.
    """

    leaf: CertificateFacts
    chain: tuple[bytes, ...]
    bimi_eku: bool
    logotype: bool
    logo: bytes | None
    logo_error: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return self.leaf.sans


@dataclass(frozen=True)
class ChainCheck:
    """status: TRUSTED, UNTRUSTED or NOT_CHECKED (no CA bundle given); reason: why, when not trusted."""

    status: str
    reason: str = ""
    path: tuple[str, ...] = ()  # subjects from leaf to root, when trusted


def parse_pem_chain(data: bytes) -> tuple[bytes, ...]:
    """The certificates of a PEM document as DER, leaf first; ParseError if there are none."""
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise ParseError(f"not a PEM certificate chain: {exc}") from None
    if not certs:
        raise ParseError("no PEM certificate in the document")
    return tuple(c.public_bytes(serialization.Encoding.DER) for c in certs[:MAX_CHAIN])


def read_mark_certificate(data: bytes, now: datetime) -> MarkCertificate:
    """Parse the evidence document; ParseError if its leaf cannot be read."""
    chain = parse_pem_chain(data)
    leaf = load_certificate(chain[0])
    facts = certificate_facts(chain[0], now)
    try:
        eku = leaf.extensions.get_extension_for_oid(ExtensionOID.EXTENDED_KEY_USAGE).value
        bimi_eku = isinstance(eku, x509.ExtendedKeyUsage) and BIMI_EKU in list(eku)
    except (x509.ExtensionNotFound, ValueError):
        bimi_eku = False
    try:
        extension = leaf.extensions.get_extension_for_oid(LOGOTYPE).value
    except (x509.ExtensionNotFound, ValueError):
        return MarkCertificate(facts, chain, bimi_eku, False, None, "no logotype extension")
    raw = extension.value if isinstance(extension, x509.UnrecognizedExtension) else b""
    logo, error = logotype_svg(raw)
    return MarkCertificate(facts, chain, bimi_eku, True, logo, error)


def logotype_svg(der: bytes) -> tuple[bytes | None, str]:
    """The SVG in a logotype extension's value: the first IA5String holding a ``data:`` URI."""
    for uri in _ia5_strings(der, 0):
        if uri.startswith(b"data:"):
            return decode_data_uri(uri.decode("ascii", "replace"))
    return None, "no data: URI in the logotype extension"


def decode_data_uri(uri: str) -> tuple[bytes | None, str]:
    """RFC 2397 ``data:[type][;base64],payload``, then gunzip when the payload is gzip (RFC 3709
    §4.1 logotypes are commonly ``image/svg+xml`` compressed with gzip)."""
    head, sep, payload = uri.partition(",")
    if not sep:
        return None, "data: URI without a ','"
    try:
        body = base64.b64decode(payload, validate=False) if head.endswith(";base64") else \
            urllib.parse.unquote_to_bytes(payload)
    except (binascii.Error, ValueError) as exc:
        return None, f"data: URI payload not decodable: {exc}"
    if body[:2] == b"\x1f\x8b":
        try:
            decoder = zlib.decompressobj(wbits=31)
            inflated = decoder.decompress(body, MAX_LOGO)
        except zlib.error as exc:
            return None, f"gzip payload not decodable: {exc}"
        if decoder.unconsumed_tail:
            return None, f"logotype larger than {MAX_LOGO} bytes once decompressed"
        return inflated, ""
    return body, ""


def _ia5_strings(der: bytes, depth: int) -> list[bytes]:
    """Every IA5String (tag 0x16) in a DER blob, walking constructed values; junk ends the walk."""
    found: list[bytes] = []
    offset = 0
    while offset + 2 <= len(der) and depth <= MAX_DER_DEPTH:
        tag = der[offset]
        length = der[offset + 1]
        offset += 2
        if length & 0x80:
            count = length & 0x7F
            if count == 0 or count > 4 or offset + count > len(der):
                return found
            length = int.from_bytes(der[offset:offset + count], "big")
            offset += count
        if offset + length > len(der):
            return found
        value = der[offset:offset + length]
        offset += length
        if tag == 0x16:
            found.append(value)
        elif tag & 0x20:  # constructed: look inside
            found.extend(_ia5_strings(value, depth + 1))
    return found


def check_chain(chain: Sequence[bytes], roots: Sequence[x509.Certificate] | None, now: datetime) -> ChainCheck:
    """Does the chain lead to one of ``roots`` (the user's CA bundle)? None: not checked.

    Mark certificates carry the BIMI EKU, not serverAuth, so the leaf is checked with a
    permissive end-entity policy; the CAs keep the web PKI's CA checks.
    """
    if roots is None:
        return ChainCheck(NOT_CHECKED, "no CA bundle given (--bimi-ca)")
    if not roots:
        return ChainCheck(UNTRUSTED, "the CA bundle holds no usable certificate")
    try:
        leaf = load_certificate(chain[0])
        intermediates = [load_certificate(der) for der in chain[1:]]
    except (ParseError, IndexError) as exc:
        return ChainCheck(UNTRUSTED, str(exc)[:300])
    when = min(max(now, leaf.not_valid_before_utc), leaf.not_valid_after_utc)
    builder = (PolicyBuilder().store(Store(list(roots))).time(when)
               .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(),
                                   ee_policy=ExtensionPolicy.permit_all()))
    try:
        verified = builder.build_client_verifier().verify(leaf, intermediates)
    except VerificationError as exc:
        return ChainCheck(UNTRUSTED, f"{exc} (issuer {leaf.issuer.rfc4514_string()})"[:300])
    except ValueError as exc:
        return ChainCheck(UNTRUSTED, str(exc)[:300])
    return ChainCheck(TRUSTED, "", tuple(c.subject.rfc4514_string() for c in verified.chain))


__all__ = [
    "BIMI_EKU", "LOGOTYPE", "NOT_CHECKED", "TRUSTED", "UNTRUSTED", "ChainCheck", "MarkCertificate",
    "check_chain", "decode_data_uri", "logotype_svg", "parse_pem_chain", "read_mark_certificate",
]
