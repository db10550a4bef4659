"""Per-scan plumbing shared by the probes: once-only caching and per-host concurrency bounds."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Hashable
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class OnceCache(Generic[K, V]):
    """Run each key's coroutine once per Net; concurrent askers share the one in flight
    (as :meth:`mailguard.net.dns.DnsClient.query` does for questions)."""

    def __init__(self) -> None:
        self._futures: dict[K, asyncio.Future[V]] = {}

    async def get(self, key: K, make: Callable[[], Coroutine[Any, Any, V]]) -> V:
        future = self._futures.get(key)
        if future is None:
            future = asyncio.ensure_future(make())
            self._futures[key] = future
        return await asyncio.shield(future)

    def __len__(self) -> int:
        return len(self._futures)

    def close(self) -> None:
        """Cancel what is still in flight (after a deadline)."""
        for future in self._futures.values():
            if not future.done():
                future.cancel()


class HostLimits:
    """At most ``per_host`` simultaneous connections to one remote address: mail servers
    rate-limit scanners, and a scan must not look like an attack."""

    def __init__(self, per_host: int) -> None:
        self.per_host = max(1, per_host)
        self._semaphores: dict[str, asyncio.Semaphore] = {}

    def __call__(self, address: str) -> asyncio.Semaphore:
        semaphore = self._semaphores.get(address)
        if semaphore is None:
            semaphore = self._semaphores[address] = asyncio.Semaphore(self.per_host)
        return semaphore
