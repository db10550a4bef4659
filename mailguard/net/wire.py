"""The few DNS wire-format pieces mailguard encodes and reads itself (RFC 1035 §4, RFC 6891 §6).

Building a query with dnspython and rendering it costs more CPU than the round trip on loopback,
and a batch asks tens of thousands of questions, most of them answered with NXDOMAIN or NODATA.
So queries are encoded here, and an answer's header is read here: an answer with no records
needs nothing more. Answers with records are parsed by dnspython. Pure functions, bytes in and out.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

QR, AA, TC, RD, RA, AD, CD = 0x8000, 0x0400, 0x0200, 0x0100, 0x0080, 0x0020, 0x0010
_FLAG_NAMES = ((QR, "qr"), (AA, "aa"), (TC, "tc"), (RD, "rd"), (RA, "ra"), (AD, "ad"), (CD, "cd"))
DO = 0x8000  # in the OPT record's TTL field (RFC 3225)
TYPE_OPT, CLASS_IN = 41, 1
HEADER = 12


def encode_name(name: str) -> bytes:
    """A domain name in wire format (no compression). Raises ValueError for a name DNS cannot hold."""
    if "\\" in name:
        raise ValueError("escaped characters: leave this name to dnspython")
    out = bytearray()
    for label in name.rstrip(".").split(".") if name.strip(".") else []:
        raw = label.encode("ascii")
        if not 0 < len(raw) < 64:
            raise ValueError(f"label of {len(raw)} octets in {name!r}")
        out += bytes([len(raw)]) + raw
    out.append(0)
    if len(out) > 255:
        raise ValueError(f"name longer than 255 octets: {name[:60]!r}...")
    return bytes(out)


def encode_query(qid: int, name: str, rdtype: int, *, payload: int = 1232, dnssec: bool = False,
                 cd: bool = False, ad: bool = False) -> bytes:
    """A recursive query with an EDNS0 OPT record (RFC 6891 §6.1.2); DO, CD and AD as asked."""
    flags = RD | (CD if cd else 0) | (AD if ad else 0)
    header = struct.pack("!HHHHHH", qid, flags, 1, 0, 0, 1)
    question = encode_name(name) + struct.pack("!HH", rdtype, CLASS_IN)
    opt = b"\x00" + struct.pack("!HHIH", TYPE_OPT, payload, DO if dnssec else 0, 0)
    return header + question + opt


@dataclass(frozen=True)
class Header:
    qid: int
    flags: int
    rcode: int
    qdcount: int
    ancount: int
    nscount: int
    arcount: int

    @property
    def flag_names(self) -> tuple[str, ...]:
        return tuple(text for bit, text in _FLAG_NAMES if self.flags & bit)

    @property
    def truncated(self) -> bool:
        return bool(self.flags & TC)


def read_header(data: bytes) -> Header:
    if len(data) < HEADER:
        raise ValueError("shorter than a DNS header")
    qid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", data[:HEADER])
    return Header(qid, flags, flags & 0x000F, qd, an, ns, ar)


def question_matches(query: bytes, response: bytes) -> bool:
    """The response repeats the query's question (RFC 5452 §9.1), name compared case-insensitively."""
    end = HEADER
    while end < len(query) and query[end] != 0:
        end += query[end] + 1
    end += 5  # the root label, QTYPE and QCLASS
    if len(response) < end or response[4:6] != b"\x00\x01":
        return False
    return response[HEADER:end].lower() == query[HEADER:end].lower()
