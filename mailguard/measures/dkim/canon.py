"""Canonicalization and the two hashes of a DKIM signature (RFC 6376 §3.4, §3.7).

Pure bytes in, bytes out. "simple" tolerates almost no change; "relaxed" tolerates the white
space and header-name case changes that mail systems commonly make.
"""

from __future__ import annotations

import hashlib
import re

from ...core.mime import CRLF, HeaderField, Message
from .signature import Signature

_WSP_RUN = re.compile(rb"[ \t]+")


def canon_header(field: HeaderField, method: str) -> bytes:
    """One header field, canonicalized, with its ending CRLF."""
    if method == "simple":  # §3.4.1: exactly as written
        return field.raw + CRLF
    # §3.4.2: lower-case name; unfold; runs of WSP to one SP; no WSP at the value's ends or
    # around the colon.
    name = field.raw[:field.colon].rstrip(b" \t").lower()
    value = _WSP_RUN.sub(b" ", field.value.replace(CRLF, b"")).strip(b" ")
    return name + b":" + value + CRLF


def canon_body(body: bytes, method: str) -> bytes:
    """The whole body, canonicalized (§3.4.3, §3.4.4)."""
    if method == "simple":
        # Empty lines at the end are ignored; a body without a final CRLF gets one; an empty
        # body becomes a single CRLF.
        while body.endswith(CRLF):
            body = body[:-2]
        return body + CRLF
    lines = body.split(CRLF)
    if body.endswith(CRLF):
        lines.pop()
    lines = [_WSP_RUN.sub(b" ", line).rstrip(b" ") for line in lines]
    while lines and not lines[-1]:
        lines.pop()
    # An empty body stays empty under relaxed (RFC 6376 errata 1384 settles the §3.4.4 wording).
    return CRLF.join(lines) + CRLF if lines else b""


def body_hash(message: Message, signature: Signature) -> tuple[bytes, int]:
    """The hash of the canonicalized body, cut to l= when given, and the canonical length.

    The caller compares the length with l=: a body shorter than l= cannot match.
    """
    canonical = canon_body(message.body, signature.body_canon)
    data = canonical if signature.length is None else canonical[:signature.length]
    return hashlib.new(signature.hash, data).digest(), len(canonical)


def signed_header_data(message: Message, signature: Signature) -> bytes:
    """The data the signature covers (§3.7, §5.4.2).

    Each name in h= takes the last not-yet-used field of that name, bottom up; a name with no
    field left contributes nothing (that is how oversigning forbids adding one). Last comes the
    DKIM-Signature itself with its b= value deleted, without a final CRLF.
    """
    pool: dict[str, list[HeaderField]] = {}
    for header in message.headers:
        if header is not signature.field:
            pool.setdefault(header.key, []).append(header)
    out = bytearray()
    for name in signature.signed_headers:
        fields = pool.get(name)
        if fields:
            out += canon_header(fields.pop(), signature.header_canon)
    out += canon_header(_without_b(signature), signature.header_canon)[:-2]
    return bytes(out)


def _without_b(signature: Signature) -> HeaderField:
    """The DKIM-Signature field with the value of its b= tag deleted, the white space around
    the value included (§3.5 b=, §3.7): from just after "=" up to the ";" or the end."""
    tag = signature.tags.tag("b")
    assert tag is not None
    raw, offset = signature.field.raw, signature.field.colon + 1  # tag spans count from the value
    equals = raw.index(b"=", offset + tag.start)
    return HeaderField(signature.field.name, raw[:equals + 1] + raw[offset + tag.raw_end:],
                       signature.field.colon)


__all__ = ["body_hash", "canon_body", "canon_header", "signed_header_data"]
