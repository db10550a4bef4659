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
