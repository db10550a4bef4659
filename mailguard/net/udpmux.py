"""One UDP socket per resolver, shared by every query in flight, answers matched by query id.

Opening a socket per query costs more CPU than the query itself once hundreds of domains are in
flight (see PERFORMANCE.md); a connected socket also hears ICMP "port unreachable", so a dead
resolver fails every waiting query at once instead of each waiting out its timeout.
An answer is accepted only if its id AND question match a query in flight (RFC 5452 §9.1).
It works on wire bytes; encoding and decoding are the caller's (see ``wire``).
"""

from __future__ import annotations

import asyncio
import random
import socket

import dns.exception

from .wire import question_matches

RECEIVE_BUFFER = 4 * 1024 * 1024
MAX_DATAGRAM = 65535
# Questions in flight to one resolver. A batch asks tens of thousands of questions in bursts;
# past a few hundred at once a resolver's (or the kernel's) receive buffer drops some, and each
# drop costs a retransmission. Waiting for a slot costs nothing by comparison.
MAX_IN_FLIGHT = 256
RETRANSMIT_AFTER = 1.0  # seconds (or half the timeout, if shorter)


class ResolverUnreachable(OSError):
    """The kernel reported the resolver's address or port unreachable."""


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, mux: UdpMux) -> None:
        self.mux = mux

    def datagram_received(self, data: bytes, addr: object) -> None:
        self.mux._received(data)

    def error_received(self, exc: Exception) -> None:
        self.mux._fail_all(ResolverUnreachable(str(exc)))

    def connection_lost(self, exc: Exception | None) -> None:
        self.mux._fail_all(ResolverUnreachable("socket closed"))


def _expire(future: asyncio.Future[bytes], timeout: float) -> None:
    if not future.done():
        future.set_exception(dns.exception.Timeout(timeout=timeout))  # type: ignore[no-untyped-call]


class UdpMux:
    """Queries to one resolver over one connected UDP socket."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._transport: asyncio.DatagramTransport | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._opening: asyncio.Future[None] | None = None
        self._pending: dict[int, tuple[bytes, asyncio.Future[bytes]]] = {}
        self._slots: asyncio.Semaphore | None = None

    async def _open(self) -> asyncio.DatagramTransport:
        if self._loop is not asyncio.get_running_loop():
            self.close()  # a socket belongs to the loop that opened it
            self._opening = None
            self._loop = asyncio.get_running_loop()
            self._slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        if self._transport is not None and not self._transport.is_closing():
            return self._transport
        if self._opening is None:
            self._opening = asyncio.ensure_future(self._connect())
        await asyncio.shield(self._opening)
        if self._transport is None:
            # ICMP "unreachable" for a query sent on the new socket closed it before this waiter
            # resumed: the resolver is unreachable for this query too.
            raise ResolverUnreachable(f"{self.host}:{self.port}: socket closed while opening")
        return self._transport

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
            sock.setblocking(False)
            sock.connect((self.host, self.port))
        except OSError:
            sock.close()
            self._opening = None
            raise
        transport, _ = await loop.create_datagram_endpoint(lambda: _Protocol(self), sock=sock)
        self._transport = transport
        self._opening = None

    async def ask(self, query: bytes, timeout: float) -> bytes:
        """Send ``query`` (wire format; its id is replaced) and return the matching answer's bytes.

        One retransmission (after a second, or half the timeout) covers a lost datagram.
        Raises dns.exception.Timeout, ResolverUnreachable or OSError.
        """
        if self._ready() is None:
            await self._open()  # also makes this loop's slots
        assert self._slots is not None
        async with self._slots:
            # Looked at again inside the slot: an ICMP error may have closed the socket (failing
            # every question then in flight) while this one waited for its turn.
            transport = self._ready() or await self._open()
            return await self._exchange(transport, query, timeout)

    def _ready(self) -> asyncio.DatagramTransport | None:
        """The open socket of the running loop, if there is one (the common case: no await)."""
        transport = self._transport
        if transport is None or transport.is_closing() or self._loop is not asyncio.get_running_loop():
            return None
        return transport

    async def _exchange(self, transport: asyncio.DatagramTransport, query: bytes, timeout: float) -> bytes:
        loop = asyncio.get_running_loop()
        query_id = self._free_id()
        wire = query_id.to_bytes(2, "big") + query[2:]
        future: asyncio.Future[bytes] = loop.create_future()
        self._pending[query_id] = (wire, future)
        # One timer at a time rather than asyncio.wait() (a batch sends tens of thousands of
        # questions): the retransmission, which then arms the expiry for the rest of the timeout.
        first = min(RETRANSMIT_AFTER, timeout / 2)
        timers: list[asyncio.TimerHandle] = []

        def resend() -> None:
            if not transport.is_closing():
                transport.sendto(wire)
            timers.append(loop.call_later(timeout - first, _expire, future, timeout))

        timers.append(loop.call_later(first, resend))
        try:
            transport.sendto(wire)
            return await future
        finally:
            timers[-1].cancel()
            timers.clear()  # the list, its timers and resend() form a cycle once resend() has run
            self._pending.pop(query_id, None)

    def _free_id(self) -> int:
        while True:
            candidate = random.getrandbits(16)
            if candidate not in self._pending:
                return candidate

    def _received(self, data: bytes) -> None:
        if len(data) < 12:
            return
        entry = self._pending.get(int.from_bytes(data[:2], "big"))
        if entry is None:
            return
        query, future = entry
        if future.done() or not data[2] & 0x80 or not question_matches(query, data):
            return  # not a response to this query (forged or stale): keep waiting
        future.set_result(data)

    def _fail_all(self, exc: Exception) -> None:
        for _query, future in list(self._pending.values()):
            if not future.done():
                future.set_exception(exc)
        self.close()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None
