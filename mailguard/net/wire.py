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


# --- reading an answer's records ----------------------------------------------------------------
# An answer with records is read here too when it is ordinary: plain names, the usual record types,
# nothing dnspython would read differently. Anything else raises Unusual and is left to dnspython,
# whose reading is the reference (tests/net/test_wire_read.py holds the two side by side).

class Unusual(ValueError):
    """A message this reader leaves to dnspython."""


# Owner names made only of these octets read the same as dnspython's text form (nothing escaped).
_PLAIN = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_*/")
# Record types read here in the answer section (RRSIGs are passed over); the rest (meta types,
# NSEC and others no measure asks for) go to dnspython.
ORDINARY_TYPES = frozenset({1, 2, 5, 6, 12, 15, 16, 28, 33, 43, 48, 52, 64, 65, 99, 257})
SINGLETON_TYPES = frozenset({5, 6})  # CNAME, SOA: a second record replaces the first in dnspython
TYPE_TSIG, TYPE_TKEY, TYPE_RRSIG = 250, 249, 46
OPCODE_MASK = 0x7800


@dataclass(frozen=True, slots=True)
class WireRecord:
    """One resource record of the answer section, its data left in the message."""

    owner: str  # as sent, without the final dot
    rdtype: int
    ttl: int
    offset: int  # where its RDATA starts in the message
    length: int


def read_name(data: bytes, offset: int, *, plain: bool = True) -> tuple[str, int]:
    """The name at ``offset`` (compression pointers followed, RFC 1035 §4.1.4) and the offset
    after it. Pointers must point backwards, each before the last, as dnspython requires.
    ``plain``: raise Unusual for any label octet that dnspython would escape, and for the root."""
    labels: list[str] = []
    end = -1
    lowest = offset  # a pointer must point below this
    size = 1
    while True:
        if offset >= len(data):
            raise Unusual("name runs past the message")
        count = data[offset]
        if count >= 0xC0:
            if offset + 1 >= len(data):
                raise Unusual("pointer runs past the message")
            target = ((count & 0x3F) << 8) | data[offset + 1]
            if end < 0:
                end = offset + 2
            if target >= lowest:
                raise Unusual("compression pointer not backwards")
            lowest = offset = target
            continue
        if count > 63:
            raise Unusual("unknown label type")
        if count == 0:
            break
        label = data[offset + 1:offset + 1 + count]
        size += count + 1
        if len(label) != count or size > 255:
            raise Unusual("label runs past the message, or name too long")
        if plain and not _PLAIN.issuperset(label):
            raise Unusual("a label dnspython would escape")
        labels.append(label.decode("ascii") if plain else "")
        offset += 1 + count
    if end < 0:
        end = offset + 1
    if plain and not labels:
        raise Unusual("the root name")
    return ".".join(labels), end


def read_answer_records(data: bytes) -> tuple[Header, list[WireRecord]]:
    """The header and the answer section's records of an ordinary response; every section is
    walked so that a message with octets left over, or running short, is left to dnspython."""
    header = read_header(data)
    if header.flags & OPCODE_MASK:
        raise Unusual("not a QUERY response")
    offset = HEADER
    for _ in range(header.qdcount):
        _, offset = read_name(data, offset, plain=False)
        offset += 4
    records: list[WireRecord] = []
    total = header.ancount + header.nscount + header.arcount
    for index in range(total):
        answer = index < header.ancount
        owner, offset = read_name(data, offset, plain=answer)
        if offset + 10 > len(data):
            raise Unusual("record header runs past the message")
        rdtype, rdclass, ttl, length = struct.unpack_from("!HHIH", data, offset)
        offset += 10
        if offset + length > len(data):
            raise Unusual("record data runs past the message")
        if answer and rdtype == TYPE_RRSIG and rdclass == CLASS_IN:
            pass  # a signature (the question carried DO): the DNSSEC validator reads it from the message
        elif answer:
            if rdclass != CLASS_IN or rdtype not in ORDINARY_TYPES:
                raise Unusual("an answer record of another class or type")
            # RFC 2181 §8: a TTL with the top bit set is read as zero (so does dnspython).
            records.append(WireRecord(owner, rdtype, 0 if ttl & 0x80000000 else ttl, offset, length))
        elif rdtype in (TYPE_TSIG, TYPE_TKEY) or (rdtype == TYPE_OPT and ttl >> 24):
            raise Unusual("a signed message, or an extended rcode")
        offset += length
    if offset != len(data):
        raise Unusual("octets after the last record")
    return header, records
