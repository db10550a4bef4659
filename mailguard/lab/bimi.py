"""The lab's BIMI material: logos right and wrong in each way SVG Tiny PS names, and a mark CA
that issues mark certificates (VMCs) carrying their logo in an RFC 3709 logotype extension.

The mark CA is not the lab's web CA: mark certificates chain to issuers the user names with
``--bimi-ca``, and the lab writes its mark root to ``mark-ca.pem`` for that. Keys are made
afresh at every start (nothing needs them to stay the same).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ObjectIdentifier

BIMI_EKU = ObjectIdentifier("1.3.6.1.5.5.7.3.31")
LOGOTYPE = ObjectIdentifier("1.3.6.1.5.5.7.1.12")
SHA256_OID = bytes.fromhex("0609608648016503040201")  # OBJECT IDENTIFIER 2.16.840.1.101.3.4.2.1


def logo(title: str = "Peers", *, profile: str = "tiny-ps", version: str = "1.2", view_box: str = "0 0 100 100",
         body: str = "", title_element: bool = True) -> bytes:
    """An SVG logo; by default a valid SVG Tiny PS square logo with a title."""
    title_xml = f"<title>{title}</title>" if title_element else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'version="{version}" baseProfile="{profile}" viewBox="{view_box}">'
        f'{title_xml}<desc>lab logo</desc>'
        '<defs><linearGradient id="g"><stop offset="0" stop-color="#036"/>'
        '<stop offset="1" stop-color="#09c"/></linearGradient></defs>'
        '<circle cx="50" cy="50" r="48" fill="url(#g)"/>'
        f'{body}</svg>\n'
    ).encode()


GOOD_LOGO = logo()
SCRIPT_LOGO = logo(body="<script>alert(1)</script>")
EXTERNAL_LOGO = logo(body='<use xlink:href="https://tracker.example/x.svg#a"/>')
NOT_TINY_PS_LOGO = logo(profile="tiny", version="1.1")
NOT_SQUARE_LOGO = logo(view_box="0 0 200 100")
BIG_LOGO = logo(body="<!--" + "x" * 40_000 + "-->")  # above the 32 KiB BIMI recommends


# -- a tiny DER writer, for the logotype extension --------------------------------------------------


def _der(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def logotype_extension(svg: bytes) -> bytes:
    """RFC 3709 LogotypeExtn with a subject logo: the SVG as a gzip ``data:`` URI and its SHA-256.

    LogotypeExtn ::= SEQUENCE { subjectLogo [2] EXPLICIT LogotypeInfo }; LogotypeInfo is the
    ``direct [0] LogotypeData`` choice (IMPLICIT tags in the RFC's module); LogotypeData holds a
    SEQUENCE OF LogotypeImage; LogotypeDetails ::= SEQUENCE { mediaType IA5String, logotypeHash
    SEQUENCE OF HashAlgAndValue, logotypeURI SEQUENCE OF IA5String }.
    """
    uri = b"data:image/svg+xml;base64," + base64.b64encode(gzip.compress(svg, mtime=0))
    hash_alg = _der(0x30, SHA256_OID + b"\x05\x00")
    details = _der(0x30, _der(0x16, b"image/svg+xml")
                   + _der(0x30, _der(0x30, hash_alg + _der(0x04, hashlib.sha256(svg).digest())))
                   + _der(0x30, _der(0x16, uri)))
    image = _der(0x30, details)
    direct = _der(0xA0, _der(0x30, image))  # [0] IMPLICIT LogotypeData: SEQUENCE OF LogotypeImage
    return _der(0x30, _der(0xA2, direct))


# -- the mark CA -------------------------------------------------------------------------------------


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mailguard lab marks"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


class MarkCa:
    """A root and an issuing CA for mark certificates; ``bundle_path`` holds the root (PEM)."""

    def __init__(self, directory: Path, now: datetime, *, label: str = "mark") -> None:
        self.now = now
        self.root_key = ec.generate_private_key(ec.SECP256R1())
        self.issuer_key = ec.generate_private_key(ec.SECP256R1())
        self.root = self._ca(_name(f"lab {label} root"), self.root_key, None)
        self.issuer = self._ca(_name(f"lab {label} issuing CA"), self.issuer_key, self.root)
        self.bundle_path = directory / f"{label}-ca.pem"
        self.bundle_path.write_bytes(self.root.public_bytes(serialization.Encoding.PEM))

    def _ca(self, name: x509.Name, key: ec.EllipticCurvePrivateKey,
            parent: x509.Certificate | None) -> x509.Certificate:
        signer = self.root_key if parent is not None else key
        builder = (
            x509.CertificateBuilder().subject_name(name).issuer_name(parent.subject if parent else name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(self.now - timedelta(days=3650)).not_valid_after(self.now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None if parent is None else 0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        )
        if parent is not None:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.root_key.public_key()), critical=False)
        return builder.sign(signer, hashes.SHA256())

    def issue(self, names: Sequence[str], svg: bytes | None, *, days_valid: tuple[int, int] = (-30, 335),
              bimi_eku: bool = True) -> bytes:
        """A mark certificate for ``names`` carrying ``svg`` (None: no logotype), as the PEM
        evidence document: leaf, then the issuing CA."""
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            x509.CertificateBuilder().subject_name(_name(names[0])).issuer_name(self.issuer.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(self.now + timedelta(days=days_valid[0]))
            .not_valid_after(self.now + timedelta(days=days_valid[1]))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([BIMI_EKU if bimi_eku else
                                                  x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.issuer_key.public_key()),
                           critical=False)
        )
        if svg is not None:
            builder = builder.add_extension(x509.UnrecognizedExtension(LOGOTYPE, logotype_extension(svg)),
                                            critical=False)
        leaf = builder.sign(self.issuer_key, hashes.SHA256())
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (leaf, self.issuer))


__all__ = ["BIG_LOGO", "EXTERNAL_LOGO", "GOOD_LOGO", "NOT_SQUARE_LOGO", "NOT_TINY_PS_LOGO", "SCRIPT_LOGO",
           "MarkCa", "logo", "logotype_extension"]
