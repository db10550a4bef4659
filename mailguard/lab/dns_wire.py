"""The lab DNS server's own reading of plain questions and writing of answers (RFC 1035 §4).

dnspython parses a query, builds a response message and renders it for roughly 0.2 ms of CPU; a
batch benchmark asks the lab server tens of thousands of questions on the scanner's own machine.
The common question (one question, class IN, at most an OPT record without options) is read
here, and its answer written here with the same name compression dnspython applies (RFC 1035
§4.1.4: owner names and the names inside NS, CNAME, PTR, MX and SOA data; positions up to
0x3FFF). Anything else is left to dnspython. Pure functions, bytes in and out.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

import dns.name
import dns.rdata
import dns.rdataset
import dns.rdatatype

QR, OPCODE, TC, RD, CD, AD = 0x8000, 0x7800, 0x0200, 0x0100, 0x0010, 0x0020
DO = 0x8000  # in the OPT record's TTL field (RFC 3225)
TYPE_OPT, CLASS_IN = 41, 1
HEADER = 12
MAX_NAME = 255
MAX_POINTER = 0x3FFF
OUR_PAYLOAD = 8192  # what dnspython's make_response announces
_HEADER = struct.Struct("!HHHHHH")
_RR = struct.Struct("!HHIH")
_OPT_FIXED = struct.Struct("!HHIH")

# A name to write with compression: its labels as given and lowered (the compression key).
Name = tuple[tuple[bytes, ...], tuple[bytes, ...]]
# An RR's data: literal octets and names to compress, in order.
Data = tuple[bytes | Name, ...]


@dataclass(frozen=True, slots=True)
class Query:
    """A plain query: one question, class IN, no answer or authority records, at most an OPT
    record (EDNS version 0, no options) in the additional section."""

    qid: int
    flags: int
    labels: tuple[bytes, ...]  # the question's name, case as asked, without the root label
    rdtype: int
    question: bytes  # the question section's octets, copied into the answer
    edns: bool
    payload: int
    ednsflags: int


def parse_query(data: bytes) -> Query | None:
    """``data`` as a plain query, or None if it is anything else (dnspython reads those)."""
    if len(data) < HEADER + 5:
        return None
    qid, flags, qd, an, ns, ar = _HEADER.unpack_from(data)
    if flags & (QR | OPCODE) or qd != 1 or an or ns or ar > 1:
        return None
    labels: list[bytes] = []
    at = HEADER
    while True:
        if at >= len(data):
            return None
        size = data[at]
        if size == 0:
            break
        if size > 63 or at + 1 + size > len(data):  # a pointer or a reserved label type
            return None
        labels.append(data[at + 1:at + 1 + size])
        at += 1 + size
    if at + 1 - HEADER > MAX_NAME or at + 5 > len(data):
        return None
    rdtype, rdclass = struct.unpack_from("!HH", data, at + 1)
    end = at + 5
    if rdclass != CLASS_IN:
        return None
    question = data[HEADER:end]
    if ar == 0:
        return Query(qid, flags, tuple(labels), rdtype, question, False, 0, 0) if end == len(data) else None
    if len(data) != end + 11 or data[end] != 0:
        return None
    otype, payload, ttl, rdlen = _OPT_FIXED.unpack_from(data, end + 1)
    if otype != TYPE_OPT or rdlen or ttl & 0xFFFF0000:  # options, an extended rcode or version
        return None
    return Query(qid, flags, tuple(labels), rdtype, question, True, payload, ttl & 0xFFFF)


def wire_name(name: dns.name.Name) -> Name | None:
    """``name`` ready to write (None for a relative name, which the lab's zones never hold)."""
    if not name.is_absolute():
        return None
    labels = tuple(name.labels[:-1])
    return labels, tuple(label.lower() for label in labels)


def rdata_parts(rdata: dns.rdata.Rdata) -> Data | None:
    """An rdata as dnspython writes it: the names it compresses apart, the rest as octets."""
    rdtype = rdata.rdtype
    if rdtype in (dns.rdatatype.NS, dns.rdatatype.CNAME, dns.rdatatype.PTR):
        target = wire_name(rdata.target)  # type: ignore[attr-defined]
        return (target,) if target is not None else None
    if rdtype == dns.rdatatype.MX:
        exchange = wire_name(rdata.exchange)  # type: ignore[attr-defined]
        return (struct.pack("!H", rdata.preference), exchange) if exchange else None  # type: ignore[attr-defined]
    if rdtype == dns.rdatatype.SOA:
        mname = wire_name(rdata.mname)  # type: ignore[attr-defined]
        rname = wire_name(rdata.rname)  # type: ignore[attr-defined]
        if mname is None or rname is None:
            return None
        numbers = struct.pack("!IIIII", rdata.serial, rdata.refresh, rdata.retry,  # type: ignore[attr-defined]
                              rdata.expire, rdata.minimum)  # type: ignore[attr-defined]
        return mname, rname, numbers
    try:
        wire = rdata.to_wire()
    except dns.name.NeedAbsoluteNameOrOrigin:
        return None
    return (wire,) if wire is not None else None


@dataclass(frozen=True, slots=True)
class Records:
    """One rdataset ready to write: its type, class, TTL and each rdata's parts."""

    rdtype: int
    rdclass: int
    ttl: int
    datas: tuple[Data, ...]

    @classmethod
    def of(cls, rdataset: dns.rdataset.Rdataset) -> Records | None:
        datas = tuple(rdata_parts(rdata) for rdata in rdataset)
        if not datas or any(d is None for d in datas):
            return None
        return cls(rdataset.rdtype, rdataset.rdclass, rdataset.ttl, datas)  # type: ignore[arg-type]


class _Writer:
    """A message being written, with its compression table (lowered suffix -> offset)."""

    def __init__(self) -> None:
        self.out = bytearray(HEADER)
        self.table: dict[tuple[bytes, ...], int] = {}

    def name(self, name: Name) -> None:
        labels, lowered = name
        out, table = self.out, self.table
        for i in range(len(labels)):
            suffix = lowered[i:]
            pointer = table.get(suffix)
            if pointer is not None:
                out += (0xC000 | pointer).to_bytes(2, "big")
                return
            if len(out) <= MAX_POINTER:
                table[suffix] = len(out)
            out.append(len(labels[i]))
            out += labels[i]
        out.append(0)

    def records(self, owner: Name, records: Records) -> int:
        out = self.out
        for data in records.datas:
            self.name(owner)
            out += _RR.pack(records.rdtype, records.rdclass, records.ttl, 0)
            start = len(out)
            for part in data:
                if isinstance(part, bytes):
                    out += part
                else:
                    self.name(part)
            out[start - 2:start] = (len(out) - start).to_bytes(2, "big")
        return len(records.datas)


def render(query: Query, flags: int, rcode: int, dnssec_ok: bool,
           sections: Sequence[Sequence[tuple[Name, Records]]], limit: int) -> bytes | None:
    """The answer to ``query``: header flags and rcode (below 16), the answer, authority and
    additional sections, and an OPT record when the query had one. None when it would exceed
    ``limit`` octets (dnspython's TooBig)."""
    writer = _Writer()
    writer.out += query.question
    lowered = tuple(label.lower() for label in query.labels)
    at = HEADER
    for i, label in enumerate(query.labels):
        writer.table[lowered[i:]] = at
        at += 1 + len(label)
    counts = [sum(writer.records(owner, records) for owner, records in section) for section in sections]
    opt = b""
    if query.edns:
        opt = b"\x00" + _OPT_FIXED.pack(TYPE_OPT, OUR_PAYLOAD, DO if dnssec_ok else 0, 0)
    if len(writer.out) + len(opt) > limit:
        return None
    _HEADER.pack_into(writer.out, 0, query.qid, flags | rcode, 1, counts[0], counts[1], counts[2] + bool(opt))
    return bytes(writer.out + opt)
