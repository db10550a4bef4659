"""The lab DNS server's plain-query path (lab/dns_wire.py) answers exactly as dnspython's does."""

from __future__ import annotations

import random
import struct

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from mailguard.lab import LabDns, LabDnsMirror, load_zone_text
from mailguard.lab.dns_wire import parse_query

TYPES = ("A", "AAAA", "MX", "TXT", "SOA", "NS", "DS", "DNSKEY", "CNAME", "NSEC", "NSEC3", "ANY")
SAMPLE = 150


class ThroughHandle(LabDns):
    """Every query through dnspython: an overridden handle() turns the plain path off."""

    def handle(self, query: dns.message.Message, transport: str) -> dns.message.Message | None:
        return super().handle(query, transport)


def canonical(wire: bytes | None) -> object:
    """What an answer says, with each RRset's records sorted (dnspython shuffles them)."""
    if wire is None:
        return None
    message = dns.message.from_wire(wire)
    sections = [[(r.name, r.rdtype, r.covers, r.ttl, sorted(rd.to_text() for rd in r)) for r in section]
                for section in (message.answer, message.authority, message.additional)]
    return (message.id, message.flags, message.rcode(), message.edns, message.ednsflags, message.payload,
            wire[12:16 + len(message.question[0].name.to_wire())] if message.question else b"", sections)


def mixed_case(name: str, rng: random.Random) -> str:
    return "".join(c.upper() if rng.random() < 0.5 else c for c in name)


def query_wire(name: str, rdtype: str, variant: str, rng: random.Random) -> bytes:
    if variant == "no-edns":
        query = dns.message.make_query(name, rdtype, use_edns=False)
    else:
        query = dns.message.make_query(name, rdtype, use_edns=0, payload=512 if variant == "small" else 1232,
                                       want_dnssec=variant != "edns")
    query.id = rng.randrange(65536)
    if variant in ("ad", "small"):
        query.flags |= dns.flags.AD
    if variant == "cd":
        query.flags |= dns.flags.CD
    if variant == "no-rd":
        query.flags &= ~dns.flags.RD
    return query.to_wire()


@pytest.fixture(scope="module")
def twins(lab):
    """The lab's own resolver and a twin that answers everything through dnspython."""
    zones = list(lab.dns._index.zones.values())
    silent = sorted(str(z.origin) for z in zones if z.origin is not None)[3:4]
    plain = LabDns(zones, dnssec=lab.dns.dnssec, lame=[str(n) for n in lab.dns.lame], silent=silent)
    through = ThroughHandle(zones, dnssec=lab.dns.dnssec, lame=[str(n) for n in lab.dns.lame], silent=silent)
    return plain, through


def sample_names(server: LabDns, rng: random.Random) -> list[str]:
    names = sorted({n.to_text() for zone in server._index.zones.values() for n in zone.nodes}
                   | {n.to_text() for n in server.lame})
    picked = rng.sample(names, min(SAMPLE, len(names)))
    # Names that do not exist, under a wildcard or not, in no zone at all, in a lame zone.
    missing = [f"nx{i}.{name}".replace("..", ".") for i, name in enumerate(picked[:40])]
    return picked + missing + ["elsewhere.invalid.", "."]


@pytest.mark.parametrize("variant", ["dnssec", "ad", "cd", "edns", "no-edns", "no-rd", "small"])
def test_plain_answers_are_the_answers_dnspython_gives(twins, variant):
    plain, through = twins
    rng = random.Random(variant)
    answered, seen = 0, set()
    for name in sample_names(plain, rng):
        for rdtype in TYPES:
            wire = query_wire(mixed_case(name, rng), rdtype, variant, rng)
            assert parse_query(wire) is not None
            transports = ("udp", "tcp") if variant in ("dnssec", "small") else ("udp",)
            for transport in transports:
                ours = plain._answer_wire(wire, transport)
                assert canonical(ours) == canonical(through._answer_wire(wire, transport)), (name, rdtype)
                if ours is not None:
                    assert ours[:2] == wire[:2]
                    answered += 1
                    header = dns.message.from_wire(ours)
                    seen.add(header.rcode())
                    seen.update(flag for flag in (dns.flags.TC, dns.flags.AD) if header.flags & flag)
    assert answered > 1000
    if variant == "dnssec":  # the sample reaches every kind of answer
        assert {dns.rcode.NXDOMAIN, dns.rcode.SERVFAIL, dns.flags.AD} <= seen
    if variant == "small":
        assert dns.flags.TC in seen


def test_truncation_and_tcp_match_over_the_network(twins):
    plain, through = twins
    big = max(((n, z) for z in plain._index.zones.values() for n in z.nodes),
              key=lambda item: sum(len(rds) for rds in item[1].nodes[item[0]].rdatasets))[0]
    with plain, through:
        for payload in (512, 1232, 4096):
            query = dns.message.make_query(big, "RRSIG", use_edns=0, payload=payload, want_dnssec=True)
            ours = dns.query.udp(query, plain.host, port=plain.port, timeout=2, ignore_trailing=True)
            theirs = dns.query.udp(query, through.host, port=through.port, timeout=2, ignore_trailing=True)
            assert canonical(ours.to_wire()) == canonical(theirs.to_wire())
        tcp_ours = dns.query.tcp(query, plain.host, port=plain.port, timeout=2)
        tcp_theirs = dns.query.tcp(query, through.host, port=through.port, timeout=2)
        assert canonical(tcp_ours.to_wire()) == canonical(tcp_theirs.to_wire())


ZONE = """$TTL 300
@ IN SOA ns.z.test. h.z.test. 1 2 3 4 5
@ IN NS ns.z.test.
ns IN A 127.0.0.1
txt IN TXT "before"
big IN MX 10 mail.z.test.
"""


def test_answers_follow_replace_zone_and_set_zones():
    server = LabDns([load_zone_text("z.test", ZONE)])
    wire = dns.message.make_query("TXT.z.test", "TXT", use_edns=0, want_dnssec=True).to_wire()
    before = dns.message.from_wire(server._answer_wire(wire, "udp"))
    assert before.answer[0][0].strings == (b"before",)
    server.replace_zone(load_zone_text("z.test", ZONE.replace('"before"', '"after"')))
    assert dns.message.from_wire(server._answer_wire(wire, "udp")).answer[0][0].strings == (b"after",)
    server.set_zones([load_zone_text("z.test", ZONE.replace('txt IN TXT "before"', ""))])
    assert dns.message.from_wire(server._answer_wire(wire, "udp")).rcode() == dns.rcode.NXDOMAIN


def test_the_question_is_echoed_octet_for_octet():
    server = LabDns([load_zone_text("z.test", ZONE)])
    twin = ThroughHandle([load_zone_text("z.test", ZONE)])
    for name in ("BiG.z.TEST", "big.z.test", "nX.Z.test", "Out.INVALID"):
        wire = dns.message.make_query(name, "MX", use_edns=0, want_dnssec=True).to_wire()
        answer = server._answer_wire(wire, "udp")
        assert answer is not None
        end = 12 + len(dns.name.from_text(name).to_wire()) + 4
        assert answer[:2] == wire[:2] and answer[12:end] == wire[12:end]
        assert canonical(answer) == canonical(twin._answer_wire(wire, "udp"))


def test_an_overridden_handle_sees_every_query_and_a_mirror_answers_alike():
    seen = []

    class Counting(LabDns):
        def handle(self, query, transport):
            seen.append(query.question[0].name.to_text())
            return super().handle(query, transport)

    with Counting([load_zone_text("z.test", ZONE)]) as server:
        for name in ("big.z.test", "ns.z.test", "nx.z.test"):
            query = dns.message.make_query(name, "A", use_edns=0, want_dnssec=True)
            dns.query.udp(query, server.host, port=server.port, timeout=2)
    assert seen == ["big.z.test.", "ns.z.test.", "nx.z.test."]
    primary = LabDns([load_zone_text("z.test", ZONE)])
    mirror = LabDnsMirror(primary)
    wire = dns.message.make_query("big.z.test", "MX", use_edns=0, want_dnssec=True).to_wire()
    assert canonical(mirror._answer_wire(wire, "udp")) == canonical(primary._answer_wire(wire, "udp"))


def test_silence_set_after_start_applies_to_plain_queries():
    server = LabDns([load_zone_text("z.test", ZONE)])
    wire = dns.message.make_query("big.z.test", "MX", use_edns=0, want_dnssec=True).to_wire()
    assert server._answer_wire(wire, "udp") is not None
    server.silent.add(dns.name.from_text("z.test"))
    assert server._answer_wire(wire, "udp") is None


HEADER = struct.pack("!HHHHHH", 7, 0x0100, 1, 0, 0, 1)
QUESTION = b"\x03big\x01z\x04test\x00\x00\x0f\x00\x01"
OPT = b"\x00\x00\x29\x04\xd0\x00\x00\x80\x00\x00\x00"


@pytest.mark.parametrize("wire, plain", [
    (HEADER + QUESTION + OPT, True),
    (HEADER[:10] + b"\x00\x00" + QUESTION, True),  # no OPT record
    (HEADER + QUESTION + OPT + b"\x00", False),  # trailing octets
    (HEADER + QUESTION + OPT[:-2] + b"\x00\x04\x00\x0c\x00\x00", False),  # an EDNS option
    (HEADER + QUESTION + OPT[:5] + b"\x01" + OPT[6:], False),  # EDNS version 1
    (HEADER + QUESTION.replace(b"\x04test\x00", b"\xc0\x0c") + OPT, False),  # a pointer in the question
    (HEADER + QUESTION[:-2] + b"\x00\x03" + OPT, False),  # class CH
    (struct.pack("!HHHHHH", 7, 0x8100, 1, 0, 0, 1) + QUESTION + OPT, False),  # a response
    (struct.pack("!HHHHHH", 7, 0x2900, 1, 0, 0, 1) + QUESTION + OPT, False),  # opcode UPDATE
    (struct.pack("!HHHHHH", 7, 0x0100, 2, 0, 0, 1) + QUESTION * 2 + OPT, False),
    (struct.pack("!HHHHHH", 7, 0x0100, 0, 0, 0, 1) + OPT, False),
    (HEADER + QUESTION[:5], False),
])
def test_only_plain_queries_are_read_without_dnspython(wire, plain):
    query = parse_query(wire)
    assert (query is not None) == plain
    if query is not None:
        assert query.labels == (b"big", b"z", b"test") and query.rdtype == dns.rdatatype.MX
