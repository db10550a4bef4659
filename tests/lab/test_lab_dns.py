"""The lab DNS server answers like a resolver would, over real UDP and TCP."""

from __future__ import annotations

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from mailguard.lab import LabDns, load_zone_text

ZONE = """$TTL 300
@ IN SOA ns.z.test. h.z.test. 1 2 3 4 5
@ IN NS ns.z.test.
ns IN A 127.0.0.1
a.b.c IN A 127.0.0.2
alias IN CNAME target
target IN A 127.0.0.3
loop1 IN CNAME loop2
loop2 IN CNAME loop1
*.wild IN TXT "wildcard"
big IN TXT "{filler}"
""".replace("{filler}", "x" * 200)


@pytest.fixture(scope="module")
def server():
    zone_text = ZONE + "".join(f'big IN TXT "record {i} {"y" * 200}"\n' for i in range(20))
    with LabDns([load_zone_text("z.test", zone_text)], silent=["quiet.z.test"]) as srv:
        yield srv


def ask(server, name, rdtype, *, tcp=False, payload=1232):
    query = dns.message.make_query(name, rdtype, use_edns=0, payload=payload)
    if tcp:
        return dns.query.tcp(query, server.host, port=server.port, timeout=2)
    return dns.query.udp(query, server.host, port=server.port, timeout=2)


def test_existing_name_answers(server):
    response = ask(server, "a.b.c.z.test", "A")
    assert response.rcode() == dns.rcode.NOERROR
    assert response.answer[0][0].address == "127.0.0.2"


def test_empty_non_terminal_is_nodata_not_nxdomain(server):
    response = ask(server, "b.c.z.test", "A")
    assert response.rcode() == dns.rcode.NOERROR
    assert not response.answer
    assert response.authority[0].rdtype == dns.rdatatype.SOA


def test_missing_name_is_nxdomain_with_soa(server):
    response = ask(server, "nope.z.test", "A")
    assert response.rcode() == dns.rcode.NXDOMAIN
    assert response.authority[0].rdtype == dns.rdatatype.SOA


def test_cname_chain_is_followed(server):
    response = ask(server, "alias.z.test", "A")
    types = [rrset.rdtype for rrset in response.answer]
    assert types == [dns.rdatatype.CNAME, dns.rdatatype.A]


def test_cname_loop_ends(server):
    response = ask(server, "loop1.z.test", "A")
    assert len(response.answer) <= 10


def test_wildcard_is_synthesised_at_the_query_name(server):
    response = ask(server, "anything.wild.z.test", "TXT")
    assert response.answer[0].name.to_text() == "anything.wild.z.test."


def test_large_answer_is_truncated_over_udp_and_whole_over_tcp(server):
    udp = ask(server, "big.z.test", "TXT", payload=512)
    assert udp.flags & dns.flags.TC
    tcp = ask(server, "big.z.test", "TXT", tcp=True)
    assert len(tcp.answer[0]) == 21


def test_outside_zones_is_refused(server):
    assert ask(server, "example.com", "A").rcode() == dns.rcode.REFUSED


def test_silent_name_never_answers(server):
    with pytest.raises(dns.exception.Timeout):
        query = dns.message.make_query("quiet.z.test", "A")
        dns.query.udp(query, server.host, port=server.port, timeout=0.3)
