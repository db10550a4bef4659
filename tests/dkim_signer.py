"""A small DKIM signer for the tests, written apart from mailguard's verifier on purpose.

It canonicalizes with its own regular expressions (RFC 6376 §3.4), so that a mistake in
mailguard's canonicalization does not cancel out against the same mistake when signing.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


@dataclass(frozen=True)
class SigningKey:
    private: PrivateKey

    @property
    def key_type(self) -> str:
        return "ed25519" if isinstance(self.private, ed25519.Ed25519PrivateKey) else "rsa"

    def record(self, extra: str = "") -> str:
        """The TXT record text to publish for this key."""
        public = self.private.public_key()
        if isinstance(public, ed25519.Ed25519PublicKey):
            der = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        else:
            der = public.public_bytes(serialization.Encoding.DER,
                                      serialization.PublicFormat.SubjectPublicKeyInfo)
        return f"v=DKIM1; k={self.key_type}; {extra}p={base64.b64encode(der).decode()}"

    def zone_line(self, name: str, extra: str = "") -> str:
        text = self.record(extra)
        chunks = " ".join(f'"{text[i:i + 200]}"' for i in range(0, len(text), 200))
        return f"{name} IN TXT {chunks}"


def new_rsa(bits: int = 2048) -> SigningKey:
    return SigningKey(rsa.generate_private_key(public_exponent=65537, key_size=bits))


def new_ed25519() -> SigningKey:
    return SigningKey(ed25519.Ed25519PrivateKey.generate())


def _relaxed_body(body: bytes) -> bytes:
    lines = [re.sub(rb"[ \t]+$", b"", re.sub(rb"[ \t]+", b" ", line)) for line in body.split(b"\r\n")]
    text = b"".join(line + b"\r\n" for line in lines)
    text = re.sub(rb"(\r\n)+\Z", b"\r\n", text)
    return b"" if text == b"\r\n" else text


def _simple_body(body: bytes) -> bytes:
    return re.sub(rb"(\r\n)*\Z", b"", body) + b"\r\n"


def _header_fields(head: bytes) -> list[bytes]:
    return re.split(rb"\r\n(?![ \t])", head)


def _canon_header(field: bytes, method: str) -> bytes:
    if method == "simple":
        return field + b"\r\n"
    name, _, value = field.partition(b":")
    value = re.sub(rb"[ \t]+", b" ", value.replace(b"\r\n", b"")).strip(b" ")
    return name.strip(b" \t").lower() + b":" + value + b"\r\n"


def sign(message: bytes, key: SigningKey, *, domain: str, selector: str,
         headers: tuple[str, ...] = ("from", "to", "subject", "date"), canon: str = "relaxed/relaxed",
         algorithm: str = "", length: int | None = None, timestamp: int | None = None,
         expires: int | None = None, identity: str | None = None, fold: bool = True) -> bytes:
    """``message`` (CRLF line ends) with a DKIM-Signature field prepended."""
    head, _, body = message.partition(b"\r\n\r\n")
    header_canon, body_canon = canon.split("/")
    algorithm = algorithm or ("ed25519-sha256" if key.key_type == "ed25519" else "rsa-sha256")
    hash_name = "sha1" if algorithm.endswith("sha1") else "sha256"
    canonical_body = _simple_body(body) if body_canon == "simple" else _relaxed_body(body)
    if length is not None:
        canonical_body = canonical_body[:length]
    bh = base64.b64encode(hashlib.new(hash_name, canonical_body).digest()).decode()
    gap = "\r\n\t" if fold else " "
    tags = [f"v=1; a={algorithm}; c={canon}; d={domain}; s={selector};"]
    for name, value in (("t", timestamp), ("x", expires), ("l", length), ("i", identity)):
        if value is not None:
            tags.append(f" {name}={value};")
    tags.append(f"{gap}h={':'.join(headers)};{gap}bh={bh};{gap}b=")
    unsigned = ("DKIM-Signature: " + "".join(tags)).encode()
    fields = _header_fields(head)
    data = b""
    used: dict[str, int] = {}
    for name in headers:
        matching = [f for f in fields if f.split(b":", 1)[0].strip().lower() == name.encode()]
        taken = used.get(name, 0)
        used[name] = taken + 1
        if taken < len(matching):
            data += _canon_header(matching[-1 - taken], header_canon)
    data += _canon_header(unsigned, header_canon)[:-2]
    signature = base64.b64encode(_sign(key, data, hash_name)).decode()
    if fold:
        signature = "\r\n\t".join(signature[i:i + 64] for i in range(0, len(signature), 64))
    return unsigned + signature.encode() + b"\r\n" + message


def _sign(key: SigningKey, data: bytes, hash_name: str) -> bytes:
    if isinstance(key.private, ed25519.Ed25519PrivateKey):
        return key.private.sign(hashlib.sha256(data).digest())  # RFC 8463 §3
    algorithm = hashes.SHA1() if hash_name == "sha1" else hashes.SHA256()
    return key.private.sign(data, padding.PKCS1v15(), algorithm)


def message(*, sender: str = "invoices@sig.test", subject: str = "Your invoice",
            body: str = "Dear customer,\r\n\r\nYour invoice is attached.  Regards.\r\n",
            extra_headers: str = "") -> bytes:
    return (f"From: Invoices <{sender}>\r\n"
            f"To: Customer <customer@elsewhere.example>\r\n"
            f"Subject: {subject}\r\n"
            f"Date: Mon, 23 Nov 2026 10:00:00 +0100\r\n"
            f"Message-ID: <1@sig.test>\r\n"
            f"{extra_headers}"
            f"\r\n{body}").encode()
