"""Domain names as users type them, checked before any packet is sent (RFC 1035 §2.3.4, RFC 5890)."""

from __future__ import annotations

import re

from .errors import InvalidDomain

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_DNS_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")


def normalize_domain(text: str) -> str:
    """Return the lower-case ASCII (A-label) form of a host name a user gave, or raise InvalidDomain.

    Accepts a trailing dot and Unicode (IDNA). Rejects empty labels, spaces, underscores,
    labels over 63 octets, names over 253 octets and single-label names.
    """
    name = text.strip()
    if not name:
        raise InvalidDomain(text, "empty")
    if name.endswith("."):
        name = name[:-1]
    if any(ch.isspace() for ch in name):
        raise InvalidDomain(text, "contains white space")
    try:
        ascii_name = name.encode("idna").decode("ascii").lower()
    except UnicodeError:
        # Python's IDNA 2003 codec also rejects empty labels and over-long labels.
        if ".." in name or name.startswith("."):
            raise InvalidDomain(text, "empty label") from None
        raise InvalidDomain(text, "not a valid internationalised name") from None
    labels = ascii_name.split(".")
    if any(label == "" for label in labels):
        raise InvalidDomain(text, "empty label")
    for label in labels:
        if len(label) > 63:
            raise InvalidDomain(text, f"label {label[:20]!r}... is longer than 63 octets")
        if not _LABEL.match(label):
            raise InvalidDomain(text, f"label {label!r} has characters outside letters, digits and '-'")
    if len(ascii_name) > 253:
        raise InvalidDomain(text, "longer than 253 octets")
    if len(labels) < 2:
        raise InvalidDomain(text, "a single label is not a domain one can scan")
    return ascii_name


def is_valid_dns_name(name: str) -> bool:
    """True if ``name`` (no trailing dot) is a syntactically valid DNS name, underscores allowed."""
    if not name or len(name) > 253:
        return False
    labels = name.rstrip(".").lower().split(".")
    return all(_DNS_LABEL.match(label) for label in labels)
