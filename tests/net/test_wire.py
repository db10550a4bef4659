"""The hand-written DNS wire pieces agree with dnspython, and answers match only their question."""

from __future__ import annotations

import asyncio

import dns.flags
import dns.message
import dns.rdatatype
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailguard.net.dns import DnsClient
from mailguard.net.wire import encode_name, encode_query, question_matches, read_header

LABEL = st.from_regex(r"[a-z0-9_]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)


@given(st.lists(LABEL, min_size=1, max_size=6), st.sampled_from(["A", "AAAA", "TXT", "MX", "TLSA", "DS"]),
       st.booleans(), st.booleans(), st.integers(512, 4096))
def test_query_reads_back_in_dnspython(labels, rdtype, dnssec, cd, payload):
    name = ".".join(labels)
    wire = encode_query(4660, name, dns.rdatatype.from_text(rdtype), payload=payload, dnssec=dnssec,
                        cd=cd, ad=not cd)
    message = dns.message.from_wire(wire)
    assert message.id == 4660
    assert message.question[0].name.to_text(omit_final_dot=True) == name
    assert message.question[0].rdtype == dns.rdatatype.from_text(rdtype)
    assert message.edns == 0 and message.payload == payload
    assert bool(message.ednsflags & dns.flags.DO) == dnssec
    assert bool(message.flags & dns.flags.CD) == cd and bool(message.flags & dns.flags.AD) == (not cd)
    assert message.flags & dns.flags.RD


@pytest.mark.parametrize("bad", ["a" * 64 + ".nl", ".".join(["abcdefghij"] * 26), "a..b", "with\\.dot.nl"])
def test_names_dns_cannot_hold_are_refused(bad):
    with pytest.raises(ValueError):
        encode_name(bad)


def test_header_of_a_response():
    query = dns.message.make_query("example.test", "A")
    response = dns.message.make_response(query)
    response.set_rcode(3)
    header = read_header(response.to_wire())
    assert header.rcode == 3 and header.ancount == 0 and "qr" in header.flag_names
    with pytest.raises(ValueError):
        read_header(b"\x00" * 5)


def test_answer_must_repeat_the_question_in_any_case():
    query = encode_query(1, "Mail.Example.test", dns.rdatatype.MX)
    same = dns.message.make_response(dns.message.from_wire(query))
    same.question[0].name = dns.name.from_text("mAIL.example.TEST")
    assert question_matches(query, same.to_wire())
    other = dns.message.make_response(dns.message.make_query("mail.example.test", "A"))
    assert not question_matches(query, other.to_wire())
    assert not question_matches(query, query[:14])


def test_empty_answers_read_from_the_header_carry_the_same_evidence(lab):
    """NXDOMAIN/NODATA take the header-only path; the evidence is shaped like a parsed answer's."""
    client = DnsClient(lab.config())

    async def ask():
        try:
            return await asyncio.gather(client.query("nothere.good.test", "TXT"),
                                        client.query("good.test", "TLSA"),
                                        client.query("good.test", "MX"),
                                        client.query("good.test", "MX", cd=True))
        finally:
            client.close()

    nx, nodata, full, signed = asyncio.run(ask())
    assert (nx.status, nodata.status, full.status) == ("nxdomain", "nodata", "ok")
    # Every question carries DO, and every answer keeps its octets; the whole message is read only
    # when the DNSSEC validator asks for it, so a cache of thousands of answers holds no messages.
    assert "message" not in full.__dict__ and "message" not in nx.__dict__
    assert any(r.rdtype == dns.rdatatype.RRSIG for r in full.message.answer)
    assert nx.message.authority and signed.message.answer
    assert full.rdatas and full.records
    assert set(nx.evidence.data) == set(full.evidence.data)
    assert nx.evidence.data["rcode"] == "NXDOMAIN" and nodata.evidence.data["rcode"] == "NOERROR"
    assert "qr" in nx.flags and "ra" in nx.flags
