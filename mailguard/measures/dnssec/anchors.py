"""DNSSEC trust anchors: where every chain of trust starts (RFC 4033 §5, RFC 9718).

The default anchors are the IANA root key-signing keys shipped in ``root-anchors.txt``;
``--trust-anchor FILE`` (``Config.trust_anchor``) replaces them, which the lab uses for its own
root. A file holds DS and/or DNSKEY records in zone-file presentation format, one per line, all
with the same owner name (the anchored zone); ``;`` starts a comment.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype

from ...core.errors import ParseError

DEFAULT_FILE = Path(__file__).with_name("root-anchors.txt")
MAX_ANCHOR_FILE = 64 * 1024  # an anchor file is a few lines; refuse anything absurd


@dataclass(frozen=True)
class TrustAnchors:
    """The anchored zone and the DS digests and DNSKEYs a key of it must match (either is enough)."""

    zone: str
    ds: tuple[Any, ...]  # dns.rdtypes.ANY.DS.DS
    dnskeys: tuple[Any, ...]  # dns.rdtypes.ANY.DNSKEY.DNSKEY
    source: str = ""

    def describe(self) -> str:
        tags = [f"DS {r.key_tag}" for r in self.ds] + [
            f"DNSKEY {key_tag(r)}" for r in self.dnskeys]
        return f"{self.zone} ({', '.join(tags)})"


@functools.lru_cache(maxsize=1024)  # a batch meets the same upper zones' keys in every walk
def key_tag(rdata: Any) -> int:
    """A DNSKEY's key tag (RFC 4034 Appendix B), worked out once per process."""
    import dns.dnssec

    return dns.dnssec.key_id(rdata)


def parse_anchors(text: str, source: str = "") -> TrustAnchors:
    """Parse an anchor file. Pure: text in, anchors (or ParseError with the line's offset) out."""
    zone: dns.name.Name | None = None
    ds: list[dns.rdata.Rdata] = []
    keys: list[dns.rdata.Rdata] = []
    offset = 0
    for line in text.splitlines(keepends=True):
        start, offset = offset, offset + len(line)
        content = line.split(";", 1)[0].strip()
        if not content:
            continue
        owner, rdtype, rdata = _parse_line(content, text, start)
        if zone is None:
            zone = owner
        elif owner != zone:
            raise ParseError(f"all anchors must have one owner name, found {zone} and {owner}", text, start)
        (ds if rdtype == dns.rdatatype.DS else keys).append(rdata)
    if zone is None:
        raise ParseError("no DS or DNSKEY record in the trust anchor file", text, 0)
    return TrustAnchors(zone.to_text(), tuple(ds), tuple(keys), source)


def _parse_line(content: str, text: str, start: int) -> tuple[dns.name.Name, int, dns.rdata.Rdata]:
    tokens = content.split()
    try:
        owner = dns.name.from_text(tokens[0])
        rest = tokens[1:]
        if rest and rest[0].isdigit():  # optional TTL
            rest = rest[1:]
        if rest and rest[0].upper() == "IN":
            rest = rest[1:]
        if not rest:
            raise ValueError("no record type")
        rdtype = dns.rdatatype.from_text(rest[0])
        if rdtype not in (dns.rdatatype.DS, dns.rdatatype.DNSKEY):
            raise ValueError(f"{rest[0]} is not DS or DNSKEY")
        rdata = dns.rdata.from_text(dns.rdataclass.IN, rdtype, " ".join(rest[1:]))
    except (dns.exception.DNSException, ValueError) as exc:
        raise ParseError(f"bad trust anchor line {content[:80]!r}: {exc}", text, start) from None
    return owner, rdtype, rdata


def load_anchors(path: Path | None = None) -> TrustAnchors:
    """The anchors in ``path``, or IANA's root anchors. Raises ParseError or OSError."""
    chosen = path if path is not None else DEFAULT_FILE
    with open(chosen, encoding="utf-8", errors="replace") as handle:
        text = handle.read(MAX_ANCHOR_FILE + 1)
    if len(text) > MAX_ANCHOR_FILE:
        raise ParseError(f"trust anchor file larger than {MAX_ANCHOR_FILE} bytes", "", MAX_ANCHOR_FILE)
    return parse_anchors(text, str(chosen) if path is not None else "IANA root anchors")
