"""Per-scan (and per-batch) plumbing shared by the probes: once-only caching and per-host concurrency bounds."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Coroutine, Hashable
from contextlib import asynccontextmanager
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


DEFAULT_ENTRIES = 2048     # finished observations kept per cache: a batch shares the hot ones (a
                           # hosting company's MX host, a provider's web server) and forgets the rest
DEFAULT_BYTES = 32 << 20   # weight kept per cache, for caches whose values are weighed (HTTP bodies:
                           # 128 home pages at the 256 KiB body cap; a scan needs its own few at once)


class OnceCache(Generic[K, V]):
    """Run each key's coroutine once; concurrent askers share the one in flight (as
    :meth:`mailguard.net.dns.DnsClient.query` does for questions).

    One Net serves a whole batch, so what it keeps is bounded: at most ``max_entries`` finished
    observations, weighing at most ``max_weight`` by ``weigh``; beyond that the least recently
    asked are dropped (asked again, they are observed again). Entries in flight are never dropped.
    """

    def __init__(self, max_entries: int = DEFAULT_ENTRIES, *, max_weight: int = DEFAULT_BYTES,
                 weigh: Callable[[V], int] | None = None) -> None:
        self._running: dict[K, asyncio.Future[V]] = {}
        self._done: OrderedDict[K, tuple[V, int]] = OrderedDict()  # value and weight, oldest first
        self.max_entries = max(1, max_entries)
        self.max_weight = max_weight
        self._weigh = weigh
        self.weight = 0

    async def get(self, key: K, make: Callable[[], Coroutine[Any, Any, V]]) -> V:
        kept = self._done.get(key)
        if kept is not None:
            self._done.move_to_end(key)
            return kept[0]
        future = self._running.get(key)
        if future is None:
            future = self._running[key] = asyncio.ensure_future(make())
            future.add_done_callback(lambda done: self._finished(key, done))
        return await asyncio.shield(future)

    def _finished(self, key: K, future: asyncio.Future[V]) -> None:
        del self._running[key]
        if future.cancelled() or future.exception() is not None:
            return  # nothing observed: the next asker tries again
        value = future.result()
        weight = self._weigh(value) if self._weigh is not None else 0
        self._done[key] = (value, weight)
        self.weight += weight
        while self._done and (len(self._done) > self.max_entries or self.weight > self.max_weight):
            _, (_, dropped) = self._done.popitem(last=False)
            self.weight -= dropped

    def __len__(self) -> int:
        return len(self._running) + len(self._done)

    def close(self) -> None:
        """Cancel what is still in flight (after a deadline)."""
        for future in list(self._running.values()):
            future.cancel()


class HostLimits:
    """At most ``per_host`` simultaneous connections to one remote address: mail servers
    rate-limit scanners, and a scan must not look like an attack. An address's slot is
    forgotten when nobody holds or waits for it, so a batch of many hosts stays small."""

    def __init__(self, per_host: int) -> None:
        self.per_host = max(1, per_host)
        self._slots: dict[str, tuple[asyncio.Semaphore, list[int]]] = {}

    @asynccontextmanager
    async def __call__(self, address: str) -> AsyncIterator[None]:
        slot = self._slots.get(address)
        if slot is None:
            slot = self._slots[address] = (asyncio.Semaphore(self.per_host), [0])
        semaphore, users = slot
        users[0] += 1
        try:
            async with semaphore:
                yield
        finally:
            users[0] -= 1
            if not users[0]:
                del self._slots[address]

    def __len__(self) -> int:
        return len(self._slots)
