"""The lab's test CA: a root, an intermediate, a rogue CA nobody trusts, and leaf certificates.

Built with cryptography (a runtime dependency) so that ``mailguard demo`` runs from a plain
``pip install .``. The private keys are fixed files in ``keys/`` (lab use only; they protect
nothing) so that public keys, and with them DANE TLSA records of selector 1 (SPKI), stay the same
from run to run and can be written into zone files; certificates are issued afresh at every
start, with validity relative to the current time.

The CA and leaves follow the CA/Browser Forum profile closely enough that cryptography's path
builder accepts the good ones: SKI/AKI, basicConstraints, keyUsage, serverAuth EKU, SAN.
"""

from __future__ import annotations

import hashlib
import ipaddress
import ssl
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KEYS = Path(__file__).parent / "keys"
KEY_NAMES = ("root-ca", "intermediate-ca", "rogue-ca", "other-ca", "rsa3072", "rsa2048", "ec256")
# A second issuing CA under the lab root, of another organisation: trusted, but with no CAA
# identity anyone configured (the CAA check must say "not tested", never "forbidden").
OTHER_CA_ORGANISATION = "Lab Trust Services"

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@cache
def lab_key(name: str) -> PrivateKey:
    """One of the lab's fixed private keys (``KEY_NAMES``)."""
    key = serialization.load_pem_private_key((KEYS / f"{name}.key").read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
    return key


def spki_sha256(name: str) -> str:
    """Hex SHA-256 of a lab key's SubjectPublicKeyInfo: a TLSA ``x 1 1`` record's data."""
    spki = (
        lab_key(name)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return hashlib.sha256(spki).hexdigest()


@dataclass(frozen=True)
class LabCert:
    """A certificate, its key and the chain a server presents (leaf first, root excluded)."""

    name: str
    cert: x509.Certificate
    key: PrivateKey = field(repr=False)
    chain: tuple[x509.Certificate, ...]

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    def chain_pem(self) -> bytes:
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in self.chain)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


class LabPki:
    """Issues lab certificates and writes their files (the trust bundle, chains and keys) into
    ``directory`` so that ``ssl`` can load them."""

    def __init__(self, directory: Path, *, now: datetime | None = None) -> None:
        self.directory = directory
        self.now = now or datetime.now(UTC)
        self.root = self._ca("mailguard lab root CA", "root-ca", None)
        self.intermediate = self._ca("mailguard lab issuing CA", "intermediate-ca", self.root)
        self.rogue = self._ca("rogue CA (not trusted)", "rogue-ca", None)
        self.other = self._ca("Lab Trust Services issuing CA", "other-ca", self.root,
                              organisation=OTHER_CA_ORGANISATION)
        self.bundle_path = directory / "lab-ca.pem"
        self.bundle_path.write_bytes(self.root.cert.public_bytes(serialization.Encoding.PEM))

    def _ca(self, common_name: str, key_name: str, parent: LabCert | None, *,
            organisation: str = "mailguard lab") -> LabCert:
        key = lab_key(key_name)
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            ]
        )
        issuer_name = parent.cert.subject if parent else name
        issuer_key = parent.key if parent else key
        builder = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(issuer_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.now - timedelta(days=3650))
            .not_valid_after(self.now + timedelta(days=3650))
            .add_extension(
                x509.BasicConstraints(ca=True, path_length=None if parent is None else 0), critical=True
            )
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        )
        if parent is not None:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(parent.key.public_key()), critical=False
            )
        cert = builder.sign(issuer_key, hashes.SHA384())
        chain = (cert,) + (parent.chain if parent else ())
        return LabCert(common_name, cert, key, chain)

    def issue(
        self,
        names: Sequence[str],
        *,
        key: str = "rsa3072",
        issuer: str = "intermediate",
        days_valid: tuple[int, int] = (-10, 90),
        hash_name: str = "sha256",
    ) -> LabCert:
        """A server certificate for ``names`` (DNS names or IP addresses).

        issuer: ``intermediate`` (trusted through the root), ``other`` (trusted, another
            organisation), ``rogue`` (untrusted) or ``self``.
        days_valid: notBefore and notAfter, in days from now (``(-100, -10)`` is expired).
        """
        leaf_key = lab_key(key)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
        parent = {"intermediate": self.intermediate, "rogue": self.rogue, "other": self.other}.get(issuer)
        issuer_name = parent.cert.subject if parent else subject
        signing_key: CertificateIssuerPrivateKeyTypes = parent.key if parent else leaf_key
        issuer_public = signing_key.public_key()
        usage_rsa = isinstance(leaf_key, rsa.RSAPrivateKey)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_name)
            .public_key(leaf_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.now + timedelta(days=days_valid[0]))
            .not_valid_after(self.now + timedelta(days=days_valid[1]))
            .add_extension(x509.SubjectAlternativeName([_general_name(n) for n in names]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=usage_rsa,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public), critical=False)
        )
        algorithm: hashes.SHA256 | hashes.SHA384 = (
            hashes.SHA384() if hash_name == "sha384" else hashes.SHA256()
        )
        cert = builder.sign(signing_key, algorithm)
        chain = (cert,) + (parent.chain[:-1] if parent else ())  # servers send intermediates, not roots
        return LabCert(names[0], cert, leaf_key, chain)

    def write(self, cert: LabCert, stem: str) -> tuple[Path, Path]:
        """Write ``stem.pem`` (the chain) and ``stem.key``; return their paths."""
        chain_path, key_path = self.directory / f"{stem}.pem", self.directory / f"{stem}.key"
        chain_path.write_bytes(cert.chain_pem())
        key_path.write_bytes(cert.key_pem())
        key_path.chmod(0o600)
        return chain_path, key_path

    def server_context(
        self, cert: LabCert, stem: str, *, min_version: str | None = None, ciphers: str | None = None
    ) -> ssl.SSLContext:
        """A server-side SSLContext presenting ``cert``; ``min_version="TLSv1"`` with
        ``ciphers="DEFAULT:@SECLEVEL=0"`` makes a legacy server (where OpenSSL allows it)."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*self.write(cert, stem))
        if ciphers:
            context.set_ciphers(ciphers)
        if min_version:
            with warnings.catch_warnings():  # the lab offers deprecated versions on purpose
                warnings.simplefilter("ignore", DeprecationWarning)
                context.minimum_version = getattr(ssl.TLSVersion, min_version.replace("TLSv1.", "TLSv1_"))
        return context


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)
