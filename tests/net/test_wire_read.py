"""The lean answer reader (net/dns.py ``_answer_read`` over wire.read_answer_records) gives the
answer dnspython's full parse gives, record for record, or leaves the message to dnspython.

The reference is ``_answer`` on ``dns.message.from_wire``: what mailguard reported before the
lean reader existed. Messages are built octet by octet, so that they can hold what a renderer
never writes: repeated records, one owner's records apart, odd case, pointers, junk."""

from __future__ import annotations

import struct

import dns.exception
import dns.message
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailguard.net.dns import DnsAnswer, _answer, _answer_read, _failure
from mailguard.net.wire import Unusual, encode_name, read_answer_records, read_name

QNAME = "www.shop.test"
OWNERS = ["www.shop.test", "WWW.Shop.TEST", "alias.shop.test", "mail.shop.test", "odd\\ name.shop.test",
          "x.other.test"]
TARGETS = ["alias.shop.test", "www.shop.test", "mail.shop.test", "Mail.Shop.Test", "nowhere.test"]
RDATA = {
    "A": ["192.0.2.1", "192.0.2.2"],
    "AAAA": ["2001:db8::1"],
    "TXT": ['"v=spf1 -all"', '"a" "b"', '"caf\\195\\169"'],
    "MX": ["10 mail.shop.test.", "0 ."],
    "CAA": ['0 issue "letsencrypt.org"'],
    "CNAME": [t + "." for t in TARGETS],
    # every question carries DO: signatures ride along in the answer section, and are passed over
    "RRSIG": ["TXT 13 3 3600 20300101000000 20200101000000 12345 shop.test. AAECAw==",
              "CNAME 13 3 60 20300101000000 20200101000000 54321 shop.test. BAUG"],
}


def rr(owner: str, rdtype: str, ttl: int, text: str) -> bytes:
    name = dns.name.from_text(owner)
    rdata = dns.rdata.from_text(dns.rdataclass.IN, rdtype, text)
    body = rdata.to_wire()
    return name.to_wire() + struct.pack("!HHIH", dns.rdatatype.from_text(rdtype), 1, ttl, len(body)) + body


def message(qtype: str, rcode: int, answers: list[bytes], *, authority: list[bytes] = (), extra: bytes = b"",
            flags: int = 0x8180) -> bytes:
    header = struct.pack("!HHHHHH", 4660, flags | rcode, 1, len(answers), len(authority), 0)
    question = encode_name(QNAME) + struct.pack("!HH", dns.rdatatype.from_text(qtype), 1)
    return header + question + b"".join(answers) + b"".join(authority) + extra


def reference(qtype: str, data: bytes) -> DnsAnswer:
    try:
        response = dns.message.from_wire(data)
    except dns.exception.DNSException as exc:
        return _failure(QNAME, qtype, "lab", "error", f"malformed answer: {exc}", 0.0, "t")
    return _answer(QNAME, qtype, "lab", response, False, 0.0, "t")


def same(left: DnsAnswer, right: DnsAnswer) -> None:
    for field in ("status", "rcode", "flags", "records", "cnames", "error", "transport"):
        assert getattr(left, field) == getattr(right, field), field
    assert list(left.rdatas) == list(right.rdatas)
    assert left.evidence.data.get("records") == right.evidence.data.get("records")
    assert left.evidence.summary.split(" @")[0] == right.evidence.summary.split(" @")[0]


RECORD = st.sampled_from(OWNERS).flatmap(
    lambda owner: st.sampled_from(sorted(RDATA)).flatmap(
        lambda rdtype: st.tuples(st.just(owner), st.just(rdtype), st.sampled_from([0, 60, 3600, 2**31]),
                                 st.sampled_from(RDATA[rdtype]))))


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(["A", "TXT", "MX", "CNAME", "CAA"]), st.sampled_from([0, 3]), st.lists(RECORD, max_size=7))
def test_lean_reader_agrees_with_dnspython_or_steps_aside(qtype, rcode, records):
    data = message(qtype, rcode, [rr(*record) for record in records])
    try:
        lean = _answer_read(QNAME, qtype, "lab", data, 0.0, "t")
    except Unusual:
        return  # dnspython reads it: the reference path, by construction the same
    same(lean, reference(qtype, data))


def test_an_ordinary_compressed_answer_is_read_without_dnspython():
    query = dns.message.make_query(QNAME + ".", "MX")
    response = dns.message.make_response(query)
    response.answer.append(dns.rrset.from_text(QNAME + ".", 300, "IN", "CNAME", "Mail.Shop.test."))
    response.answer.append(dns.rrset.from_text("Mail.Shop.test.", 60, "IN", "MX", "10 mx1.shop.test.",
                                               "20 mx2.shop.test."))
    data = response.to_wire()  # dnspython compresses: the owner and targets are pointers
    lean = _answer_read(QNAME, "MX", "lab", data, 0.0, "t")
    assert sorted(r.text for r in lean.records) == ["10 mx1.shop.test.", "20 mx2.shop.test."]
    # The renderer pointed "Shop.test" at the question's "shop.test": the wire says Mail.shop.test.
    assert lean.records[0].name == "Mail.shop.test" and lean.records[0].ttl == 60
    assert lean.cnames == ("www.shop.test -> Mail.shop.test",)
    same(lean, reference("MX", data))


def test_repeats_and_scattered_records_group_as_in_dnspython():
    data = message("TXT", 0, [rr(QNAME, "TXT", 300, '"one"'), rr(QNAME, "A", 300, "192.0.2.1"),
                              rr(QNAME.upper(), "TXT", 60, '"two"'), rr(QNAME, "TXT", 30, '"one"')])
    lean = _answer_read(QNAME, "TXT", "lab", data, 0.0, "t")
    assert [r.text for r in lean.records] == ['"one"', '"two"'] and lean.ttl == 30
    same(lean, reference("TXT", data))


@pytest.mark.parametrize("case", ["trailing", "short", "pointer-forward", "pointer-loop", "escaped-owner",
                                  "nsec", "opcode", "servfail", "class-ch", "bad-rdata", "two-cnames"])
def test_what_the_lean_reader_leaves_to_dnspython(case):
    good = rr(QNAME, "TXT", 60, '"x"')
    data = {
        "trailing": message("TXT", 0, [good], extra=b"\x00"),
        "short": message("TXT", 0, [good])[:-1],
        "pointer-forward": message("TXT", 0, [b"\xc0\xff" + good[len(encode_name(QNAME)):]]),
        "pointer-loop": message("TXT", 0, [b"\xc0\x0c" + good[len(encode_name(QNAME)):]])[:12]
        + b"\xc0\x0c" + message("TXT", 0, [])[12 + len(encode_name(QNAME)):],
        "escaped-owner": message("TXT", 0, [rr("we\\.ird.shop.test", "TXT", 60, '"x"')]),
        "nsec": message("TXT", 0, [encode_name(QNAME) + struct.pack("!HHIH", 47, 1, 60, 0)]),
        "opcode": message("TXT", 0, [good], flags=0x8180 | 0x2800),
        "servfail": message("TXT", 2, [good]),
        "class-ch": message("TXT", 0, [good[:-10] + b"\x00\x03" + good[-8:]]),
        "bad-rdata": message("TXT", 0, [encode_name(QNAME) + struct.pack("!HHIH", 15, 1, 60, 1) + b"\x00"]),
        "two-cnames": message("A", 0, [rr(QNAME, "CNAME", 60, "a.test."), rr(QNAME, "CNAME", 60, "b.test.")]),
    }[case]
    with pytest.raises(Unusual):
        _answer_read(QNAME, "TXT" if case != "two-cnames" else "A", "lab", data, 0.0, "t")


def test_names_read_with_pointers_back_and_refused_otherwise():
    data = b"\x00" * 12 + encode_name("shop.test") + b"\x03www\xc0\x0c"
    assert read_name(data, 12 + len(encode_name("shop.test"))) == ("www.shop.test", len(data))
    with pytest.raises(Unusual):
        read_name(b"\x00" * 12 + b"\xc0\x0c", 12)  # points at itself
    with pytest.raises(Unusual):
        read_name(b"\x00" * 12 + b"\x03abc", 12)  # runs past the end


@given(st.binary(max_size=300))
def test_any_octets_are_read_or_refused_never_crash(data):
    message = b"\x12\x34\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00" + data
    try:
        _header, records = read_answer_records(message)
    except Unusual:
        return  # refused: dnspython reads it (or calls it malformed)
    assert len(records) == 1 and records[0].offset + records[0].length <= len(message)


def test_a_broken_signature_leaves_the_records_readable_and_the_message_unreadable():
    """The records a measure reads stand; the DNSSEC validator, which needs the message, sees it
    cannot be read (chain.py calls that indeterminate, never secure)."""
    from mailguard.net.dns import DnsAnswer as Answer

    data = message("TXT", 0, [rr(QNAME, "TXT", 60, '"v=spf1 -all"'),
                              encode_name(QNAME) + struct.pack("!HHIH", 46, 1, 60, 0)])
    lean = _answer_read(QNAME, "TXT", "lab", data, 0.0, "t")
    assert isinstance(lean, Answer) and lean.txt_strings() == ("v=spf1 -all",)
    assert lean.message is None
