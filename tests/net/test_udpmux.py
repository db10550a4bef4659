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
    # with no question lost and none sent twice (the resolver delays every answer by 50 ms, so
    # the questions past the slots wait while the first ones are out).
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
                async with asyncio.timeout(20):  # a slot never given back must fail here, not hang
                    answers = await net.dns.query_many([(f"n{i}.many.test", "TXT") for i in range(count)])
            finally:
                await net.aclose()
            return [a.txt_strings() for a in answers]

        texts = asyncio.run(burst())
        asked = server.queries
    assert texts == [(str(i),) for i in range(count)]
    assert asked == count


def test_an_unanswered_question_leaves_no_reference_cycle():
    # The retransmission timer and its expiry must not keep each other (and the mux) alive once
    # the question has timed out: a batch times out thousands of them.
    import gc

    from mailguard.lab import LabDns, load_zone_text
    from mailguard.net.udpmux import UdpMux
    from mailguard.net.wire import encode_query

    zone = load_zone_text("t.test", "$TTL 300\n@ IN SOA ns h 1 2 3 4 5\n@ IN NS ns\nns IN A 127.0.0.1\n")
    with LabDns([zone], silent=["slow.t.test"]) as server:

        async def ask() -> str:
            mux = UdpMux(server.host, server.port)
            try:
                await mux.start(encode_query(0, "slow.t.test", 16), 0.4)  # 16: TXT
            except Exception as exc:  # noqa: BLE001 - the kind is what is checked
                return type(exc).__name__
            finally:
                mux.close()
            return "answered"

        before = gc.get_threshold()
        gc.collect()
        gc.set_threshold(0)
        gc.set_debug(gc.DEBUG_SAVEALL)  # what the collector finds stays in gc.garbage to be seen
        try:
            outcome = asyncio.run(ask())
            gc.collect()
            held = sorted({type(o).__qualname__ for o in gc.garbage
                           if type(o).__module__.startswith("mailguard") or type(o).__name__ == "TimerHandle"})
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            gc.set_threshold(*before)
    assert outcome == "Timeout"  # it was retransmitted after 0.2 s, then expired
    assert held == []
