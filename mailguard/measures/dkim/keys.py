"""DKIM key records (RFC 6376 §3.6.1) and their public keys (RFC 8301, RFC 8463).

Two pure steps: :func:`parse_key_record` reads the TXT text into a :class:`KeyRecord` (or raises
ParseError with the position), and :func:`load_key` turns its ``p=`` into a public key with
``cryptography`` (or raises :class:`KeyLoadError` saying why it cannot be used).

    v=  version, "DKIM1"; optional, but when present it MUST be the first tag
    h=  acceptable hash algorithms, colon-separated (default: any)
    k=  key type: "rsa" (default) or "ed25519" (RFC 8463 §4.2)
    n=  notes for humans
    p=  base64 public key; empty means the key is revoked (REQUIRED)
    s=  service types, colon-separated: "*" (default) or "email"
    t=  flags, colon-separated: "y" testing, "s" strict i=/d= match
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from ...core.errors import ParseError
from .tags import parse_tag_list, split_list, strip_fws

KEY_TYPES = ("rsa", "ed25519")
MAX_KEY_TEXT = 8192  # base64 characters; an RSA key of 16384 bits needs about 2,800
MAX_RSA_BITS = 16384
ED25519_KEY_BYTES = 32

_VERSION_TAG = re.compile(r"^[ \t\r\n]*v[ \t\r\n]*=[ \t\r\n]*([^;]*)")
_P_TAG = re.compile(r"(?:^|;)[ \t\r\n]*p[ \t\r\n]*=")


@dataclass(frozen=True)
class KeyRecord:
    """One parsed key record.

    key_type: lower-case ``k=`` (``rsa`` when absent). public_key: ``p=`` without white space
    ("" when revoked). hash_algorithms: ``h=`` lower-case, None when absent (any hash).
    service_types: ``s=`` (``("*",)`` when absent). flags: ``t=`` lower-case.
    unknown_tags: tags RFC 6376 does not define (ignored, §3.2).
    """

    text: str
    version: str | None
    key_type: str
    public_key: str
    hash_algorithms: tuple[str, ...] | None
    service_types: tuple[str, ...]
    flags: tuple[str, ...]
    notes: str
    unknown_tags: tuple[str, ...]

    @property
    def revoked(self) -> bool:
        """An empty ``p=``: the signer withdrew the key (§3.6.1)."""
        return self.public_key == ""

    @property
    def testing(self) -> bool:
        """``t=y``: receivers MUST treat signed mail as unsigned (§3.6.1)."""
        return "y" in self.flags

    @property
    def strict(self) -> bool:
        """``t=s``: the i= domain must equal d=, not a subdomain (§3.6.1)."""
        return "s" in self.flags

    @property
    def for_email(self) -> bool:
        return "*" in self.service_types or "email" in self.service_types

    def allows_hash(self, name: str) -> bool:
        return self.hash_algorithms is None or name in self.hash_algorithms


def looks_like_key_record(text: str) -> bool:
    """Whether a TXT record at a selector is meant as a DKIM key at all.

    Records whose ``v=`` is something other than DKIM1 MUST be discarded (§3.6.1); a record
    with neither ``v=`` nor ``p=`` (a wildcard SPF or site-verification TXT) is not a key
    either. Everything else is judged as a key, malformed or not.
    """
    version = _VERSION_TAG.match(text)
    if version is not None:
        return version.group(1).strip(" \t\r\n") == "DKIM1"
    return _P_TAG.search(text) is not None


def parse_key_record(text: str) -> KeyRecord:
    """Parse the TXT text of a key record (its strings already joined, §3.6.2.2)."""
    tags = parse_tag_list(text)
    version: str | None = None
    if "v" in tags:
        v = tags.tag("v")
        assert v is not None
        if tags.tags[0].name != "v":
            raise ParseError("v= must be the first tag of a key record (RFC 6376 §3.6.1)", text, v.start)
        if v.value != "DKIM1":
            raise ParseError(f"v={v.value} is not DKIM1 (RFC 6376 §3.6.1)", text, v.value_start)
        version = v.value
    if "p" not in tags:
        raise ParseError("p= is required in a key record (RFC 6376 §3.6.1)", text, len(text))
    hashes = tags.get("h")
    return KeyRecord(
        text=text,
        version=version,
        key_type=tags.get("k", "rsa").strip().lower() or "rsa",
        public_key=strip_fws(tags["p"]),
        hash_algorithms=tuple(h.lower() for h in split_list(hashes)) if hashes is not None else None,
        service_types=tuple(s.lower() for s in split_list(tags.get("s", "*"))) or ("*",),
        flags=tuple(f.lower() for f in split_list(tags.get("t", ""))),
        notes=tags.get("n", ""),
        unknown_tags=tuple(n for n in tags if n not in {"v", "h", "k", "n", "p", "s", "t", "g"}),
    )


# -- the public key -----------------------------------------------------------------------------

PublicKey = rsa.RSAPublicKey | ed25519.Ed25519PublicKey


@dataclass(frozen=True)
class LoadedKey:
    """A usable public key: its type (``rsa``/``ed25519``), its size in bits, the key itself."""

    key_type: str
    bits: int
    key: PublicKey


class KeyLoadError(ParseError):
    """``p=`` holds no usable key. reason: revoked, type, base64, size or der."""

    def __init__(self, reason: str, message: str, text: str = "") -> None:
        super().__init__(message, text)
        self.reason = reason


def load_key(record: KeyRecord) -> LoadedKey:
    """The public key of ``record``, loaded with cryptography, or KeyLoadError."""
    if record.revoked:
        raise KeyLoadError("revoked", "the key is revoked (empty p=)", record.text)
    if record.key_type not in KEY_TYPES:
        raise KeyLoadError("type", f"unknown key type k={record.key_type}", record.text)
    if len(record.public_key) > MAX_KEY_TEXT:
        raise KeyLoadError("size", f"p= is {len(record.public_key)} characters long, more than any "
                                   f"real key", record.text)
    try:
        data = base64.b64decode(record.public_key, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyLoadError("base64", f"p= is not valid base64 ({exc})", record.text) from None
    if record.key_type == "ed25519":
        return _load_ed25519(data, record.text)
    return _load_rsa(data, record.text)


def _load_rsa(data: bytes, text: str) -> LoadedKey:
    # RFC 6376 §3.6.1 names an RSAPublicKey; nearly every signer publishes the
    # SubjectPublicKeyInfo around it instead. cryptography reads both from DER.
    try:
        key = serialization.load_der_public_key(data)
    except (ValueError, TypeError) as exc:
        raise KeyLoadError("der", f"p= does not hold an RSA public key ({_short(exc)})", text) from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise KeyLoadError("der", f"p= holds a {type(key).__name__}, not an RSA key (k=rsa)", text)
    if key.key_size > MAX_RSA_BITS:
        raise KeyLoadError("size", f"RSA key of {key.key_size} bits is larger than verifiers accept", text)
    return LoadedKey("rsa", key.key_size, key)


def _load_ed25519(data: bytes, text: str) -> LoadedKey:
    # RFC 8463 §4.2: p= is the bare 32-byte key, not a SubjectPublicKeyInfo.
    if len(data) != ED25519_KEY_BYTES:
        raise KeyLoadError("der", f"an Ed25519 p= must be the bare 32-byte key (RFC 8463 §4.2), "
                                  f"this one is {len(data)} bytes", text)
    try:
        key = ed25519.Ed25519PublicKey.from_public_bytes(data)
    except ValueError as exc:
        raise KeyLoadError("der", f"p= is not an Ed25519 key ({_short(exc)})", text) from None
    return LoadedKey("ed25519", 256, key)


def _short(exc: BaseException) -> str:
    return (str(exc).split(". ")[0] or type(exc).__name__)[:120]


__all__ = ["KEY_TYPES", "KeyLoadError", "KeyRecord", "LoadedKey", "PublicKey", "load_key",
           "looks_like_key_record", "parse_key_record"]
