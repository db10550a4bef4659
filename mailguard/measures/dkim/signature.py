"""The DKIM-Signature header field (RFC 6376 §3.5), parsed and checked against §6.1.1.

Pure: a :class:`~mailguard.core.mime.HeaderField` in, a :class:`Signature` out, or a
:class:`SignatureError` whose ``reason`` says which rule was broken (the verifier turns it into
a permerror).

    v=  version, "1" (REQUIRED)            a=  algorithm: rsa-sha256, ed25519-sha256 (REQUIRED)
    b=  signature, base64 (REQUIRED)        bh= body hash, base64 (REQUIRED)
    c=  canonicalization header/body        d=  signing domain, SDID (REQUIRED)
    h=  signed header fields (REQUIRED)     i=  agent or user identifier, AUID
    l=  body length count                   q=  query methods, "dns/txt"
    s=  selector (REQUIRED)                 t=  signature timestamp
    x=  expiration                          z=  copied header fields (diagnostic)
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from ...core.errors import ParseError
from ...core.mime import HeaderField
from ...core.names import is_valid_dns_name
from .tags import TagList, parse_tag_list, split_list, strip_fws

REQUIRED = ("v", "a", "b", "bh", "d", "h", "s")
ALGORITHMS = {"rsa-sha256": ("rsa", "sha256"), "ed25519-sha256": ("ed25519", "sha256"),
              "rsa-sha1": ("rsa", "sha1")}
CANONICALIZATIONS = ("simple", "relaxed")
MAX_SIGNED_HEADERS = 200
MAX_DIGITS = {"l": 76, "t": 12, "x": 12}  # §3.5: l= up to 76 digits, t= and x= up to 12


class SignatureError(ParseError):
    """A DKIM-Signature that cannot be used. reason: syntax, version, missing-tag, algorithm,
    canonicalization, query-method, identity, timestamps."""

    def __init__(self, reason: str, message: str, text: str = "", position: int | None = None) -> None:
        super().__init__(message, text, position)
        self.reason = reason


@dataclass(frozen=True)
class Signature:
    """One parsed DKIM-Signature.

    field: the header field it came from; tags: its tag list (with value spans, for ``b=``).
    key_type/hash: from a=; header_canon/body_canon: from c= (default simple/simple).
    signed_headers: h= lower-case, in order (repeats and oversigning kept).
    identity: i= (default ``@`` + d=). length: l=. timestamp/expires: t=/x= as Unix seconds.
    """

    field: HeaderField
    tags: TagList
    version: str
    algorithm: str
    key_type: str
    hash: str
    signature: bytes
    body_hash: bytes
    header_canon: str
    body_canon: str
    domain: str
    selector: str
    signed_headers: tuple[str, ...]
    identity: str
    length: int | None
    query_methods: tuple[str, ...]
    timestamp: int | None
    expires: int | None
    copied_headers: str

    @property
    def key_name(self) -> str:
        return f"{self.selector}._domainkey.{self.domain}"

    @property
    def canonicalization(self) -> str:
        return f"{self.header_canon}/{self.body_canon}"

    @property
    def identity_domain(self) -> str:
        return self.identity.rsplit("@", 1)[-1].lower()


def parse_signature(field: HeaderField) -> Signature:
    """Parse a DKIM-Signature field, or raise SignatureError (RFC 6376 §6.1.1)."""
    text = field.value.decode("latin-1")
    try:
        tags = parse_tag_list(text)
    except ParseError as exc:
        raise SignatureError("syntax", exc.message, text, exc.position) from None
    missing = [t for t in REQUIRED if t not in tags]
    if missing:
        raise SignatureError("missing-tag", f"required tag(s) missing: {', '.join(missing)}=", text)
    if tags["v"] != "1":
        raise SignatureError("version", f"v={tags['v']} is not version 1", text, _at(tags, "v"))
    algorithm = tags["a"].lower()
    if algorithm not in ALGORITHMS:
        raise SignatureError("algorithm", f"a={tags['a']} is not an algorithm verifiers know", text,
                             _at(tags, "a"))
    key_type, hash_name = ALGORITHMS[algorithm]
    header_canon, body_canon = _canonicalization(tags, text)
    domain = tags["d"].strip().lower().rstrip(".")
    if not is_valid_dns_name(domain) or "." not in domain:
        raise SignatureError("syntax", f"d={tags['d']} is not a domain name", text, _at(tags, "d"))
    selector = tags["s"].strip().lower()
    if not selector or not is_valid_dns_name(f"{selector}._domainkey.{domain}"):
        raise SignatureError("syntax", f"s={tags['s']} is not a valid selector", text, _at(tags, "s"))
    signed = tuple(h.lower() for h in split_list(tags["h"]))
    if not signed or len(signed) > MAX_SIGNED_HEADERS:
        raise SignatureError("syntax", f"h= must name 1 to {MAX_SIGNED_HEADERS} header fields", text,
                             _at(tags, "h"))
    identity = _identity(tags, domain, text)
    queries = tuple(q.lower() for q in split_list(tags.get("q", "dns/txt")))
    if "dns/txt" not in queries:
        raise SignatureError("query-method", f"q={tags['q']} does not offer dns/txt", text, _at(tags, "q"))
    timestamp, expires = _number(tags, "t", text), _number(tags, "x", text)
    if timestamp is not None and expires is not None and expires < timestamp:
        raise SignatureError("timestamps", f"x={expires} is before t={timestamp}", text, _at(tags, "x"))
    return Signature(
        field=field, tags=tags, version="1", algorithm=algorithm, key_type=key_type, hash=hash_name,
        signature=_base64(tags, "b", text), body_hash=_base64(tags, "bh", text),
        header_canon=header_canon, body_canon=body_canon, domain=domain, selector=selector,
        signed_headers=signed, identity=identity, length=_number(tags, "l", text),
        query_methods=queries, timestamp=timestamp, expires=expires,
        copied_headers=tags.get("z", ""),
    )


def _at(tags: TagList, name: str) -> int | None:
    tag = tags.tag(name)
    return tag.value_start if tag is not None else None


def _canonicalization(tags: TagList, text: str) -> tuple[str, str]:
    # §3.5 c=: "header/body"; a lone algorithm names the header one, the body one is simple.
    value = tags.get("c", "simple/simple").lower()
    header, _, body = value.partition("/")
    body = body or "simple"
    if header not in CANONICALIZATIONS or body not in CANONICALIZATIONS:
        raise SignatureError("canonicalization", f"c={tags['c']} is not simple or relaxed", text,
                             _at(tags, "c"))
    return header, body


def _identity(tags: TagList, domain: str, text: str) -> str:
    # §3.5 i=: its domain must be d= or a subdomain of it.
    identity = tags.get("i", f"@{domain}").strip()
    if "@" not in identity:
        raise SignatureError("identity", f"i={identity} has no @", text, _at(tags, "i"))
    where = identity.rsplit("@", 1)[1].lower().rstrip(".")
    if where != domain and not where.endswith("." + domain):
        raise SignatureError("identity", f"i={identity} is not within d={domain}", text, _at(tags, "i"))
    return identity


def _number(tags: TagList, name: str, text: str) -> int | None:
    value = tags.get(name)
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > MAX_DIGITS[name]:
        raise SignatureError("syntax", f"{name}={value} is not a number of at most "
                                       f"{MAX_DIGITS[name]} digits", text, _at(tags, name))
    return int(value)


def _base64(tags: TagList, name: str, text: str) -> bytes:
    try:
        data = base64.b64decode(strip_fws(tags[name]), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("syntax", f"{name}= is not valid base64", text, _at(tags, name)) from None
    if not data:
        raise SignatureError("syntax", f"{name}= is empty", text, _at(tags, name))
    return data


__all__ = ["Signature", "SignatureError", "parse_signature"]
