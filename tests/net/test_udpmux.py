"""The shared UDP socket under a burst of concurrent queries to a resolver that is not there."""

from __future__ import annotations

import asyncio
import socket

from mailguard.core.config import LOOPBACK_ONLY, Config
from mailguard.net import Net


def test_concurrent_queries_to_a_closed_port_all_end_as_errors():
    # Many waiters share one socket; the first ICMP "port unreachable" closes it while the others
    # are still waiting for it to open. Each must get an error answer, never an exception.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = Config(nameservers=(("127.0.0.1", port),), allowed_networks=LOOPBACK_ONLY, timeout=1.0)

    async def burst() -> list[str]:
        net = Net(config)
        try:
            answers = await net.dns.query_many([(f"n{i}.example", "TXT") for i in range(30)])
        finally:
            await net.aclose()
        return [a.status for a in answers]

    statuses = asyncio.run(burst())
    assert len(statuses) == 30
    assert set(statuses) <= {"error", "timeout"}


def test_more_questions_than_slots_are_each_sent_once_and_all_answered():
    # A burst past the slots in flight waits for free ones and goes out as answers come back,
    # with no datagram lost and none sent twice (the resolver delays every answer by 50 ms, so
    # the burst really is held back).
    from mailguard.lab import LabDns, load_zone_text
    from mailguard.net.udpmux import MAX_IN_FLIGHT

    count = MAX_IN_FLIGHT * 2 + 10
    zone = load_zone_text("many.test", "$TTL 300\n@ IN SOA ns h 1 2 3 4 5\n@ IN NS ns\nns IN A 127.0.0.1\n"
                          + "".join(f'n{i} IN TXT "{i}"\n' for i in range(count)))
    with LabDns([zone], delay=0.05) as server:
        config = Config(nameservers=((server.host, server.port),), allowed_networks=LOOPBACK_ONLY, timeout=5)

        async def burst() -> list[tuple[str, ...]]:
            net = Net(config)
            try:
                answers = await net.dns.query_many([(f"n{i}.many.test", "TXT") for i in range(count)])
            finally:
                await net.aclose()
            return [a.txt_strings() for a in answers]

        texts = asyncio.run(burst())
        asked = server.queries
    assert texts == [(str(i),) for i in range(count)]
    assert asked == count
