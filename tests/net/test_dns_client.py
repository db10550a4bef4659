"""The DNS seam: statuses, evidence, cache, TCP fallback, timeouts, the address guard."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from mailguard.core.config import LOOPBACK_ONLY, Config
from mailguard.core.errors import InputError, NoResolver
from mailguard.lab import LabDns, load_zone_text
from mailguard.net.dns import DnsClient, parse_nameserver

ZONE = """$TTL 300
@ IN SOA ns.c.test. h.c.test. 1 2 3 4 5
@ IN NS ns.c.test.
ns IN A 127.0.0.1
@ IN TXT "v=spf1 -all"
www IN CNAME @
""" + "".join(f'big IN TXT "{i} {"z" * 220}"\n' for i in range(30))


class CountingDns(LabDns):
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.seen: list[str] = []

    def handle(self, query, transport):
        self.seen.append(f"{query.question[0].name} {transport}")
        return super().handle(query, transport)


@pytest.fixture
def server():
    with CountingDns([load_zone_text("c.test", ZONE)], silent=["slow.c.test"]) as srv:
        yield srv


def client(server, **kw) -> DnsClient:
    return DnsClient(Config(nameservers=((server.host, server.port),), allowed_networks=LOOPBACK_ONLY, **kw))


def run(c: DnsClient, coro):
    """Run ``coro`` on a fresh loop and close the client's sockets on it."""

    async def go():
        try:
            return await coro
        finally:
            c.close()

    return asyncio.run(go())


def test_answer_carries_evidence(server):
    c = client(server)
    answer = run(c, c.query("c.test", "TXT"))
    assert answer.status == "ok"
    assert answer.txt_strings() == ("v=spf1 -all",)
    data = answer.evidence.data
    assert data["rcode"] == "NOERROR" and data["resolver"] == server.address
    assert data["records"][0]["ttl"] == 300 and data["records"][0]["data"] == '"v=spf1 -all"'
    assert "ra" in data["flags"] and data["ad"] is False
    assert "TXT c.test" in answer.evidence.summary


def test_statuses_distinguish_nodata_nxdomain(server):
    c = client(server)
    nodata, nx = run(c, _both(c))
    assert nodata.status == "nodata" and nodata.answered
    assert nx.status == "nxdomain" and nx.answered


async def _both(c):
    return await c.query("c.test", "MX"), await c.query("missing.c.test", "A")


def test_cname_chain_recorded(server):
    c = client(server)
    answer = run(c, c.query("www.c.test", "TXT"))
    assert answer.cnames == ("www.c.test -> c.test",)
    assert answer.canonical_name == "c.test"


def test_each_question_is_asked_once_even_concurrently(server):
    c = client(server)

    async def many():
        return await asyncio.gather(*(c.query("c.test", "TXT") for _ in range(20)))

    answers = run(c, many())
    assert len({id(a) for a in answers}) == 1
    assert server.seen.count("c.test. udp") == 1


def test_truncated_answer_is_retried_over_tcp(server):
    c = client(server, edns_payload=512)
    answer = run(c, c.query("big.c.test", "TXT"))
    assert answer.status == "ok" and answer.transport == "tcp"
    assert len(answer.records) == 30


def test_silent_server_times_out_within_the_timeout(server):
    started = time.monotonic()
    c = client(server, timeout=0.5)
    answer = run(c, c.query("slow.c.test", "A"))
    assert answer.status == "timeout" and answer.failed
    assert time.monotonic() - started < 2
    assert "TIMEOUT" in answer.evidence.summary


def test_unreachable_resolver_is_an_error_not_an_exception():
    # A port with nothing listening: the kernel answers with ICMP port unreachable.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = DnsClient(Config(nameservers=(("127.0.0.1", port),), allowed_networks=LOOPBACK_ONLY, timeout=1))
    started = time.monotonic()
    answer = run(c, c.query("c.test", "A"))
    assert answer.failed
    assert time.monotonic() - started < 0.5  # ICMP port unreachable ends the wait at once


def test_lab_confinement_refuses_resolvers_outside_loopback():
    with pytest.raises(NoResolver):
        DnsClient(Config(nameservers=(("192.0.2.53", 53),), allowed_networks=LOOPBACK_ONLY, public_networks=False))


def test_a_resolver_the_user_names_is_theirs_to_choose():
    # --nameserver 10.0.0.53 (or the system's resolver in a private range) is the user's choice:
    # the boundary guards what answers lead to, not the resolver itself. No packet is sent here.
    client = DnsClient(Config(nameservers=(("10.0.0.53", 53),)))
    assert client.resolver_names == ("10.0.0.53:53",)


@pytest.mark.parametrize(("text", "parsed"), [
    ("9.9.9.9", ("9.9.9.9", 53)), ("127.0.0.1:5353", ("127.0.0.1", 5353)),
    ("::1", ("::1", 53)), ("[::1]:5300", ("::1", 5300)),
])
def test_parse_nameserver(text, parsed):
    assert parse_nameserver(text) == parsed


@pytest.mark.parametrize("text", ["dns.google", "1.2.3.4:0", "1.2.3.4:99999", "[::1]x"])
def test_parse_nameserver_rejects(text):
    with pytest.raises(InputError):
        parse_nameserver(text)
