"""Per-scan (and per-batch) plumbing shared by the probes: once-only caching and per-host concurrency bounds."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Coroutine, Hashable
from contextlib import asynccontextmanager
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


DEFAULT_ENTRIES = 4096     # finished observations kept per cache: a batch shares the hot ones (a
                           # hosting company's MX host, a provider's web server) and forgets the rest
DEFAULT_BYTES = 128 << 20  # weight kept per cache, for caches whose values are weighed (HTTP bodies)


class OnceCache(Generic[K, V]):
    """Run each key's coroutine once; concurrent askers share the one in flight (as
    :meth:`mailguard.net.dns.DnsClient.query` does for questions).

    One Net serves a whole batch, so the cache is bounded: beyond ``max_entries`` finished
    entries, or ``max_weight`` by ``weigh``, the least recently asked finished ones are dropped
    (asked again, they are observed again). Entries still in flight are never dropped.
    """

    def __init__(self, max_entries: int = DEFAULT_ENTRIES, *, max_weight: int = DEFAULT_BYTES,
                 weigh: Callable[[V], int] | None = None) -> None:
        self._futures: OrderedDict[K, asyncio.Future[V]] = OrderedDict()
        self._weights: dict[K, int] = {}
        self.max_entries = max(1, max_entries)
        self.max_weight = max_weight
        self._weigh = weigh
        self.weight = 0

    async def get(self, key: K, make: Callable[[], Coroutine[Any, Any, V]]) -> V:
        future = self._futures.get(key)
        if future is None:
            future = asyncio.ensure_future(make())
            self._futures[key] = future
            future.add_done_callback(lambda done: self._finished(key, done))
        else:
            self._futures.move_to_end(key)
        return await asyncio.shield(future)

    def _finished(self, key: K, future: asyncio.Future[V]) -> None:
        if self._futures.get(key) is not future:
            return
        if future.cancelled() or future.exception() is not None:
            del self._futures[key]  # nothing observed: the next asker tries again
            return
        if self._weigh is not None:
            self._weights[key] = weight = self._weigh(future.result())
            self.weight += weight
        self._evict()

    def _full(self) -> bool:
        return len(self._futures) > self.max_entries or self.weight > self.max_weight

    def _evict(self) -> None:
        if not self._full():
            return
        for key in list(self._futures):
            if not self._full():
                return
            if self._futures[key].done():
                del self._futures[key]
                self.weight -= self._weights.pop(key, 0)

    def __len__(self) -> int:
        return len(self._futures)

    def close(self) -> None:
        """Cancel what is still in flight (after a deadline)."""
        for future in list(self._futures.values()):
            if not future.done():
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
        semaphore, users = self._slots.setdefault(address, (asyncio.Semaphore(self.per_host), [0]))
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
