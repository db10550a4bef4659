"""Can this machine reach an address at all? The capability check behind "not tested: no IPv6
from here", which must never be reported as a failure of the scanned domain.

A UDP socket's ``connect()`` asks the kernel for a route and a source address without sending a
single packet: ENETUNREACH / EHOSTUNREACH (no route), EADDRNOTAVAIL (no source address of that
family) or EAFNOSUPPORT (IPv6 disabled) mean the scanning host cannot reach the address, whatever
the domain does. The check is injectable: :class:`RouteCheck` with ``without={6}`` is a host
without IPv6, which is how the tests exercise that case without touching the real network.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterable

# Errors of connect()/socket() that say "this host has no way there", not "the remote is down".
NO_ROUTE_ERRNOS = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT,
                             errno.EPROTONOSUPPORT})
PROBE_PORT = 9  # discard; connect() on UDP sends nothing, any port would do
MAX_CACHED = 65536  # addresses remembered; the oldest is forgotten first


class RouteCheck:
    """``route(address)`` is "" when this host can send to ``address``, else why not.

    without: address families (4, 6) to treat as unroutable, as on a host without them.
    Answers are cached per address for the life of the check (one scan, or a batch), at most
    MAX_CACHED of them.
    """

    def __init__(self, *, without: Iterable[int] = ()) -> None:
        self.without = frozenset(without)
        self._cache: dict[str, str] = {}

    def route(self, address: str) -> str:
        cached = self._cache.get(address)
        if cached is None:
            if len(self._cache) >= MAX_CACHED:
                del self._cache[next(iter(self._cache))]
            cached = self._cache[address] = self._probe(address)
        return cached

    def _probe(self, address: str) -> str:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        version = 6 if family == socket.AF_INET6 else 4
        if version in self.without:
            return f"no IPv{version} connectivity from this host"
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as sock:
                sock.connect((address.split("%")[0], PROBE_PORT))
        except OSError as exc:
            if exc.errno in NO_ROUTE_ERRNOS:
                return f"no IPv{version} route from this host ({errno.errorcode.get(exc.errno or 0, exc.errno)})"
            return ""  # anything else is for the real probe to find out
        return ""


__all__ = ["NO_ROUTE_ERRNOS", "RouteCheck"]
