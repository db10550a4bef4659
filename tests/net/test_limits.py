"""The probes' shared plumbing: one observation per key, bounded for long batches; a per-host bound."""

from __future__ import annotations

import asyncio

import pytest

from mailguard.net.limits import HostLimits, OnceCache


def test_concurrent_askers_share_one_observation():
    runs = 0

    async def observe():
        nonlocal runs
        runs += 1
        await asyncio.sleep(0.01)
        return object()

    async def go():
        cache: OnceCache[str, object] = OnceCache()
        return await asyncio.gather(*(cache.get("mx.example.test", observe) for _ in range(5)))

    results = asyncio.run(go())
    assert runs == 1 and all(r is results[0] for r in results)


def test_least_recently_asked_finished_entries_go_first():
    runs: list[str] = []

    def observe(key):
        async def run():
            runs.append(key)
            return key
        return run

    async def go():
        cache: OnceCache[str, str] = OnceCache(max_entries=2)
        for key in ("a", "b", "a", "c"):  # "a" asked again after "b": "b" is the oldest then
            await cache.get(key, observe(key))
        for key in ("a", "c", "b"):
            await cache.get(key, observe(key))
        return len(cache)

    assert asyncio.run(go()) == 2
    assert runs == ["a", "b", "c", "b"]


def test_entries_in_flight_are_never_dropped():
    runs = 0

    async def go():
        gate = asyncio.Event()
        cache: OnceCache[int, int] = OnceCache(max_entries=1)

        def slow(i):
            async def run():
                nonlocal runs
                runs += 1
                await gate.wait()
                return i
            return run

        first = [asyncio.ensure_future(cache.get(i, slow(i))) for i in range(4)]
        await asyncio.sleep(0)
        in_flight = len(cache)
        again = [asyncio.ensure_future(cache.get(i, slow(i))) for i in range(4)]  # joins, no new run
        await asyncio.sleep(0)
        gate.set()
        values = await asyncio.gather(*first, *again)
        return in_flight, values, len(cache)

    in_flight, values, kept = asyncio.run(go())
    assert in_flight == 4 and runs == 4
    assert values == [0, 1, 2, 3, 0, 1, 2, 3]
    assert kept == 1


def test_a_failed_observation_is_not_kept():
    attempts = 0

    async def flaky():
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise OSError("first try fails")
        return "observed"

    async def go():
        cache: OnceCache[str, str] = OnceCache()
        with pytest.raises(OSError):
            await cache.get("k", flaky)
        return await cache.get("k", flaky)

    assert asyncio.run(go()) == "observed" and attempts == 2


def test_host_limit_bounds_each_address_and_forgets_idle_ones():
    peak: dict[str, int] = {}
    now: dict[str, int] = {}

    async def connect(limits, address):
        async with limits(address):
            now[address] = now.get(address, 0) + 1
            peak[address] = max(peak.get(address, 0), now[address])
            await asyncio.sleep(0.01)
            now[address] -= 1

    async def go():
        limits = HostLimits(2)
        work = [connect(limits, a) for a in ("127.0.0.1", "127.0.0.2") for _ in range(6)]
        task = asyncio.ensure_future(asyncio.gather(*work))
        await asyncio.sleep(0.005)
        busy = len(limits)
        await task
        return busy, len(limits)

    busy, idle = asyncio.run(go())
    assert peak == {"127.0.0.1": 2, "127.0.0.2": 2}
    assert busy == 2 and idle == 0


def test_host_slot_is_released_when_the_holder_is_cancelled():
    async def go():
        limits = HostLimits(1)

        async def hold():
            async with limits("127.0.0.1"):
                await asyncio.sleep(10)

        holder = asyncio.ensure_future(hold())
        await asyncio.sleep(0)
        holder.cancel()
        await asyncio.gather(holder, return_exceptions=True)
        async with asyncio.timeout(1):
            async with limits("127.0.0.1"):
                pass
        return len(limits)

    assert asyncio.run(go()) == 0
