"""The lab's SMTP servers: small asyncio servers on loopback that speak just enough ESMTP for the
probe (banner, EHLO, STARTTLS, QUIT) and accept no mail.

Each server binds its own 127.0.0.x address (or ::1) on ONE shared port, so that a scan reaches
all of them with a single ``smtp_port``: the first binds port 0, the others that same port.
A :class:`MailServer` says how a server misbehaves: no banner at all, a 554 banner, no STARTTLS,
a STARTTLS that never handshakes, which certificate, which protocol versions.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass

from .runner import BackgroundLoop

LINE_LIMIT = 4096
IDLE_TIMEOUT = 30.0  # a client that says nothing for this long is dropped
BIND_ATTEMPTS = 8


@dataclass(frozen=True)
class MailServer:
    """One lab MX: where it listens and how it behaves.

    tls: the server context for STARTTLS (None: STARTTLS not offered).
    banner: False for a server that accepts the connection and never greets.
    banner_code: 220, or e.g. 554 for one that refuses service.
    stall_tls: answer 220 to STARTTLS, then never handshake.
    """

    name: str
    address: str
    hostname: str
    tls: ssl.SSLContext | None = None
    banner: bool = True
    banner_code: int = 220
    stall_tls: bool = False


class LabSmtp:
    """Runs :class:`MailServer` s on a :class:`BackgroundLoop`."""

    def __init__(self, servers: Sequence[MailServer]) -> None:
        self.servers = tuple(servers)
        self.port = 0
        self._loop: BackgroundLoop | None = None
        self._running: list[asyncio.Server] = []

    def start(self, loop: BackgroundLoop) -> LabSmtp:
        self._loop = loop
        loop.run(self._bind_all())
        return self

    def stop(self) -> None:
        if self._loop is not None and self._running:
            self._loop.run(self._close_all())
        self._running = []

    async def _bind_all(self) -> None:
        for _ in range(BIND_ATTEMPTS):
            try:
                self.port = 0
                for server in self.servers:
                    self._running.append(await self._bind(server))
                    if self.port == 0:
                        self.port = self._running[-1].sockets[0].getsockname()[1]
                return
            except OSError as exc:  # the shared port is taken on some address: try another
                await self._close_all()
                if exc.errno != errno.EADDRINUSE:
                    raise
        raise OSError(errno.EADDRINUSE, "no port free on every lab SMTP address")

    async def _bind(self, server: MailServer) -> asyncio.Server:
        family = socket.AF_INET6 if ":" in server.address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((server.address, self.port))
        except OSError:
            sock.close()
            raise

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await _session(server, reader, writer)

        return await asyncio.start_server(handle, sock=sock, limit=LINE_LIMIT)

    async def _close_all(self) -> None:
        for running in self._running:
            running.close()
        self._running = []


async def _session(server: MailServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        if not server.banner:
            await _drain_until_closed(reader)
            return
        await _say(writer, f"{server.banner_code} {server.hostname} ESMTP mailguard lab ({server.name})")
        tls_active = False
        while True:
            async with asyncio.timeout(IDLE_TIMEOUT):
                line = await reader.readline()
            if not line:
                return
            verb = line.decode("ascii", "replace").strip().split(" ")[0].upper()
            if verb == "QUIT":
                await _say(writer, "221 2.0.0 bye")
                return
            if verb == "EHLO":
                offer = server.tls is not None and not tls_active
                extensions = ["PIPELINING", "SIZE 10240000"] + (["STARTTLS"] if offer else []) + ["8BITMIME"]
                lines = [server.hostname] + extensions
                await _say(
                    writer,
                    "\r\n".join(
                        f"250{'-' if i < len(lines) - 1 else ' '}{text}" for i, text in enumerate(lines)
                    ),
                )
            elif verb == "HELO":
                await _say(writer, f"250 {server.hostname}")
            elif verb == "STARTTLS" and server.tls is not None and not tls_active:
                await _say(writer, "220 2.0.0 ready to start TLS")
                if server.stall_tls:
                    await _drain_until_closed(reader)
                    return
                await writer.start_tls(server.tls)
                tls_active = True
            elif verb in ("NOOP", "RSET"):
                await _say(writer, "250 2.0.0 ok")
            elif verb in ("MAIL", "RCPT", "DATA"):
                await _say(writer, "550 5.7.1 this lab server accepts no mail")
            else:
                await _say(writer, "500 5.5.2 command not recognised")
    except (
        OSError,
        ssl.SSLError,
        TimeoutError,
        ConnectionError,
        asyncio.IncompleteReadError,
        asyncio.LimitOverrunError,
        ValueError,
    ):
        pass  # a probe that hangs up mid-handshake or mid-line is normal here
    finally:
        writer.transport.abort()


async def _say(writer: asyncio.StreamWriter, text: str) -> None:
    writer.write(text.encode() + b"\r\n")
    await writer.drain()


async def _drain_until_closed(reader: asyncio.StreamReader) -> None:
    """Hold the connection open, saying nothing, until the client gives up."""
    async with asyncio.timeout(IDLE_TIMEOUT):
        while await reader.read(4096):
            pass
