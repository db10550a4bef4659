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
from collections import deque

import dns.exception

from .wire import question_matches

RECEIVE_BUFFER = 4 * 1024 * 1024
MAX_DATAGRAM = 65535
# Questions in flight to one resolver. A batch asks tens of thousands of questions in bursts;
# past a few hundred at once a resolver's (or the kernel's) receive buffer drops some, and each
# drop costs a retransmission. Waiting for a slot costs nothing by comparison.
MAX_IN_FLIGHT = 256
RETRANSMIT_AFTER = 1.0  # seconds (or half the timeout, if shorter)


# Datagrams read in one wake-up of the event loop before other work gets its turn. asyncio's own
# datagram transport reads one per turn, and a batch's answers arrive by the thousand a second.
MAX_READS_PER_TURN = 64


class ResolverUnreachable(OSError):
    """The kernel reported the resolver's address or port unreachable."""


def _expire(future: asyncio.Future[bytes], timeout: float) -> None:
    if not future.done():
        future.set_exception(dns.exception.Timeout(timeout=timeout))  # type: ignore[no-untyped-call]


class UdpMux:
    """Queries to one resolver over one connected UDP socket.

    The socket is watched with the event loop's ``add_reader`` rather than wrapped in a datagram
    transport: it opens without waiting, :meth:`start` sends a question the moment it is asked
    (not a loop turn later, behind whatever else is ready), and each wake-up reads every answer
    waiting, not one.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: dict[int, tuple[bytes, asyncio.Future[bytes]]] = {}
        self._in_flight = 0
        self._waiting: deque[tuple[bytes, float, asyncio.Future[bytes]]] = deque()

    def _socket(self) -> socket.socket:
        """The running loop's socket, opened now if there is none (a socket belongs to the loop
        that watches it). Raises OSError if it cannot be opened."""
        loop = asyncio.get_running_loop()
        if self._sock is not None and self._loop is loop:
            return self._sock
        self._drop_socket()
        if self._loop is not loop:  # what an earlier loop had in flight went with it
            self._loop, self._pending, self._in_flight = loop, {}, 0
            self._waiting.clear()
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
            sock.setblocking(False)
            sock.connect((self.host, self.port))
            loop.add_reader(sock.fileno(), self._readable, sock)
        except OSError:
            sock.close()
            raise
        self._sock = sock
        return sock

    def start(self, query: bytes, timeout: float) -> asyncio.Future[bytes]:
        """Send ``query`` (wire format) now, its id replaced, or as soon as one of the slots is free, without
        waiting: the future of the matching answer's bytes, which fails with
        dns.exception.Timeout, ResolverUnreachable or OSError. Cancelling it withdraws the
        question. One retransmission (after a second, or half the timeout) covers a lost datagram."""
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        try:
            self._socket()
        except OSError as exc:
            future.set_exception(exc)
            return future
        if self._in_flight < MAX_IN_FLIGHT:
            self._launch(query, timeout, future)
        else:
            self._waiting.append((query, timeout, future))
        return future

    def _launch(self, query: bytes, timeout: float, future: asyncio.Future[bytes]) -> None:
        try:
            # Looked up again: an ICMP error may have closed the socket (failing every question
            # then in flight) while this one waited for a slot.
            sock = self._socket()
        except OSError as exc:
            future.set_exception(exc)
            return
        loop = asyncio.get_running_loop()
        query_id = self._free_id()
        wire = query_id.to_bytes(2, "big") + query[2:]
        self._pending[query_id] = (wire, future)
        self._in_flight += 1
        # One timer at a time rather than asyncio.wait() (a batch sends tens of thousands of
        # questions): the retransmission, which then arms the expiry for the rest of the timeout.
        first = min(RETRANSMIT_AFTER, timeout / 2)
        timers: list[asyncio.TimerHandle] = []

        def resend() -> None:
            if self._sock is sock:
                _send(sock, wire)
            timers.append(loop.call_later(timeout - first, _expire, future, timeout))

        def finished(_future: asyncio.Future[bytes]) -> None:
            timers[-1].cancel()
            timers.clear()  # the list, its timers and resend() form a cycle once resend() has run
            if self._pending.get(query_id, (None, None))[1] is future:
                del self._pending[query_id]
            if self._loop is loop:
                self._in_flight -= 1
                self._next()

        timers.append(loop.call_later(first, resend))
        future.add_done_callback(finished)
        try:
            sock.send(wire)
        except (BlockingIOError, InterruptedError):
            pass  # the socket's send buffer is full: as if the datagram were lost; resent later
        except OSError as exc:  # an ICMP error from an earlier datagram, reported here
            self._unreachable(sock, exc)
            if not future.done():
                future.set_exception(ResolverUnreachable(str(exc)))

    def _next(self) -> None:
        """Send what waits for a slot, now that one is free."""
        while self._waiting and self._in_flight < MAX_IN_FLIGHT:
            query, timeout, future = self._waiting.popleft()
            if not future.done():  # not withdrawn while it waited
                self._launch(query, timeout, future)

    def _free_id(self) -> int:
        while True:
            candidate = random.getrandbits(16)
            if candidate not in self._pending:
                return candidate

    def _readable(self, sock: socket.socket) -> None:
        for _ in range(MAX_READS_PER_TURN):
            try:
                data = sock.recv(MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # an ICMP error (port or host unreachable) on the connected socket
                self._unreachable(sock, exc)
                return
            self._received(data)

    def _unreachable(self, sock: socket.socket, exc: OSError) -> None:
        """The kernel says the resolver cannot be reached: every question in flight on ``sock``
        fails now rather than each waiting out its timeout; the next question opens a new socket."""
        if self._sock is sock:
            self._fail_all(ResolverUnreachable(str(exc)))

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
        self._drop_socket()  # what waits for a slot is sent on a new socket

    def _drop_socket(self) -> None:
        sock, self._sock = self._sock, None
        if sock is None:
            return
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(sock.fileno())
        sock.close()

    def close(self) -> None:
        """Close the socket and withdraw every question still in flight or waiting for a slot."""
        self._drop_socket()
        if self._loop is not None and not self._loop.is_closed():
            for _query, future in list(self._pending.values()):
                future.cancel()
            for _query, _timeout, future in self._waiting:
                future.cancel()
        self._waiting.clear()


def _send(sock: socket.socket, wire: bytes) -> None:
    """A retransmission: a full buffer or an ICMP error now is for the reader or the expiry to report."""
    try:
        sock.send(wire)
    except OSError:
        pass
