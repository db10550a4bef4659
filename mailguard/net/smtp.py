"""An SMTP client that looks and never sends mail: banner, EHLO, STARTTLS, TLS, EHLO, QUIT.

The dialogue is a small pure state machine (:class:`SmtpDialogue`, bytes in, "what next" out:
:class:`Send`, :class:`Receive`, :class:`StartTls`, :class:`Finish`), after h11's design, and
:class:`SmtpProbe` is the thin asyncio loop that drives it over a socket. Every read waits at most
``config.timeout``, every line and reply is size-capped, and the whole dialogue has its own cap,
so a server that stalls in the banner, the handshake or anywhere else ends at the timeout.

Replies (RFC 5321 §4.2): ``ddd-text`` continuation lines, ``ddd text`` (or ``ddd``) the last.
RFC 5321 §4.5.3.1.5 limits a reply line to 512 octets with its CRLF; real servers exceed that a
little, so lines are capped generously at :data:`MAX_LINE`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from ..core.config import Config
from ..core.errors import ConnectError, ParseError
from ..core.model import Evidence
from .limits import HostLimits, OnceCache
from .tls import (
    DEFAULT,
    NOT_REACHED,
    CipherProbe,
    TlsObservation,
    TlsOptions,
    TlsProbe,
    VersionSupport,
    close_writer,
    describe,
    open_tcp,
    probe_ciphers,
    probe_versions,
)

MAX_LINE = 2048  # octets per reply line (RFC 5321 §4.5.3.1.5 says 512; be generous)
MAX_REPLY_LINES = 100  # lines per multi-line reply
MAX_SESSION_BYTES = 64 * 1024
MAX_TRANSCRIPT_LINES = 200
READ_SIZE = 4096
SESSION_TIMEOUTS = 8  # the whole dialogue: at most this many single-wait timeouts

# SmtpObservation.status
OK = "ok"  # the dialogue ran as far as the server allowed (see the fields)
UNREACHABLE = "unreachable"  # no TCP connection: "not tested (port 25 unreachable from here)"
TIMEOUT = "timeout"  # connected, then a wait ran out (``stage`` says where)
CLOSED = "closed"  # the server closed the connection early
REJECTED = "rejected"  # the server refused service (banner or EHLO not 2xx, or 421)
PROTOCOL_ERROR = "protocol-error"  # the server does not speak SMTP (unparseable replies)
STARTTLS_REJECTED = "starttls-rejected"  # STARTTLS offered, but the command was refused
TLS_FAILED = "tls-failed"  # STARTTLS accepted, the handshake failed or timed out (see tls)


# -- replies (pure) ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """One complete SMTP reply: its code and the text of each line."""

    code: int
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return " / ".join(self.lines)

    def __str__(self) -> str:
        return f"{self.code} {self.text}".rstrip()


class SmtpProtocolError(ParseError):
    pass


class ReplyReader:
    """Bytes in (any split), complete replies out. Raises SmtpProtocolError on junk."""

    def __init__(self) -> None:
        self._buffer = b""
        self._lines: list[tuple[int, str]] = []
        self.consumed = 0

    @property
    def pending(self) -> bytes:
        """Bytes received after the last complete line."""
        return self._buffer

    def feed(self, data: bytes) -> list[Reply]:
        self._buffer += data
        replies: list[Reply] = []
        while True:
            end = self._buffer.find(b"\n")
            if end < 0:
                if len(self._buffer) > MAX_LINE:
                    raise SmtpProtocolError(
                        f"reply line longer than {MAX_LINE} octets", position=self.consumed
                    )
                return replies
            raw, self._buffer = self._buffer[:end], self._buffer[end + 1 :]
            position = self.consumed
            self.consumed += end + 1
            if end + 1 > MAX_LINE:
                raise SmtpProtocolError(f"reply line longer than {MAX_LINE} octets", position=position)
            reply = self._line(raw.rstrip(b"\r"), position)
            if reply is not None:
                replies.append(reply)

    def _line(self, raw: bytes, position: int) -> Reply | None:
        text = raw.decode("utf-8", errors="replace")
        code_text, sep, rest = text[:3], text[3:4], text[4:]
        # RFC 5321 §4.2: three digits, first 2-5, second 0-5; then "-", " " or end of line.
        if not (
            len(code_text) == 3
            and code_text.isascii()
            and code_text.isdigit()
            and code_text[0] in "2345"
            and code_text[1] in "012345"
        ) or sep not in ("", " ", "-"):
            raise SmtpProtocolError(f"not an SMTP reply line: {text[:60]!r}", text, position)
        code = int(code_text)
        if self._lines and self._lines[0][0] != code:
            raise SmtpProtocolError(f"reply code changed within a multi-line reply ({code})", text, position)
        self._lines.append((code, rest))
        if len(self._lines) > MAX_REPLY_LINES:
            raise SmtpProtocolError(f"reply longer than {MAX_REPLY_LINES} lines", text, position)
        if sep == "-":
            return None
        lines, self._lines = self._lines, []
        return Reply(code, tuple(t for _, t in lines))


def ehlo_keywords(reply: Reply) -> tuple[str, ...]:
    """The extension lines of a 250 EHLO reply (RFC 5321 §4.1.1.1): every line but the greeting."""
    return tuple(line.strip() for line in reply.lines[1:] if line.strip())


def offers(extensions: tuple[str, ...], keyword: str) -> bool:
    return any(line.split()[0].upper() == keyword for line in extensions if line.split())


# -- the dialogue (pure) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Send:
    data: bytes


@dataclass(frozen=True)
class Receive:
    pass


@dataclass(frozen=True)
class StartTls:
    pass


@dataclass(frozen=True)
class Finish:
    status: str
    reason: str = ""


Step = Send | Receive | StartTls | Finish


class SmtpDialogue:
    """What to do next in the probe's SMTP dialogue, given what the server said.

    Drive it: call :meth:`next_step`; on :class:`Send` write the bytes, on :class:`Receive` read
    and call :meth:`receive` (or :meth:`closed` at end of stream), on :class:`StartTls` handshake
    and call :meth:`tls_done`; stop at :class:`Finish`. ``ehlo_after_tls=False`` quits right
    after the handshake (version probes need no more).
    """

    def __init__(self, helo: str, *, starttls: bool = True, ehlo_after_tls: bool = True) -> None:
        self.helo = helo
        self.want_tls = starttls
        self.ehlo_after_tls = ehlo_after_tls
        self.stage = "banner"
        self.reader = ReplyReader()
        self.banner: Reply | None = None
        self.ehlo: Reply | None = None
        self.ehlo_tls: Reply | None = None
        self.starttls_reply: Reply | None = None
        self.plaintext_after_starttls = b""
        self.transcript: list[str] = []
        self._queue: list[Step] = []
        self._finish: Finish | None = None
        self.ended_in = ""

    @property
    def extensions(self) -> tuple[str, ...]:
        return ehlo_keywords(self.ehlo) if self.ehlo is not None and self.ehlo.code == 250 else ()

    @property
    def starttls_offered(self) -> bool:
        return offers(self.extensions, "STARTTLS")

    def next_step(self) -> Step:
        if self._queue:
            return self._queue.pop(0)
        if self._finish is not None:
            return self._finish
        return Receive()

    def receive(self, data: bytes) -> None:
        try:
            replies = self.reader.feed(data)
        except SmtpProtocolError as exc:
            self._log("S", data.decode("utf-8", "replace")[:200])
            self._end(Finish(PROTOCOL_ERROR, f"{exc.message} in {self.stage}"))
            return
        for n, reply in enumerate(replies):
            if self._finish is not None:
                return
            for i, line in enumerate(reply.lines):
                self._log("S", f"{reply.code}{'-' if i < len(reply.lines) - 1 else ' '}{line}")
            self._on_reply(reply)
            if self.stage == "tls":
                # RFC 3207 §5 (CVE-2011-0411): nothing may follow the 220 in plaintext; whatever
                # did is kept as evidence and never read as if it came over TLS.
                rest = b"".join(f"{r}\r\n".encode() for r in replies[n + 1 :])
                self.plaintext_after_starttls = rest + self.reader.pending
                self.reader = ReplyReader()
                return

    def closed(self) -> None:
        """The server closed the connection."""
        if self._finish is None:
            if self.stage == "quit":
                self._end(Finish(OK))
            else:
                self._end(Finish(CLOSED, f"connection closed by the server in {self.stage}"))

    def tls_done(self, ok: bool, error: str = "") -> None:
        if not ok:
            self._end(Finish(TLS_FAILED, error))
        elif self.ehlo_after_tls:
            self._send("ehlo-tls", f"EHLO {self.helo}")
        else:
            self._send("quit", "QUIT")

    def _on_reply(self, reply: Reply) -> None:
        if reply.code == 421 and self.stage != "quit":  # RFC 5321 §3.8: service closing
            self._quit_and_finish(REJECTED, f"421 in {self.stage}: {reply.text}")
            return
        handler: dict[str, Callable[[Reply], None]] = {
            "banner": self._on_banner,
            "ehlo": self._on_ehlo,
            "starttls": self._on_starttls,
            "ehlo-tls": self._on_ehlo_tls,
            "quit": self._on_quit,
        }
        handler.get(self.stage, self._on_unexpected)(reply)

    def _on_banner(self, reply: Reply) -> None:
        self.banner = reply
        if reply.code != 220:  # RFC 5321 §3.1: 554 means no service here
            self._quit_and_finish(REJECTED, f"banner {reply}")
        else:
            self._send("ehlo", f"EHLO {self.helo}")

    def _on_ehlo(self, reply: Reply) -> None:
        self.ehlo = reply
        if reply.code != 250:
            self._quit_and_finish(REJECTED, f"EHLO answered {reply}")
        elif self.want_tls and self.starttls_offered:
            self._send("starttls", "STARTTLS")
        else:
            self._quit_and_finish(OK)

    def _on_starttls(self, reply: Reply) -> None:
        self.starttls_reply = reply
        if reply.code != 220:  # RFC 3207 §4: 454 TLS not available
            self._quit_and_finish(STARTTLS_REJECTED, f"STARTTLS answered {reply}")
            return
        self.stage = "tls"
        self._queue.append(StartTls())

    def _on_ehlo_tls(self, reply: Reply) -> None:
        self.ehlo_tls = reply
        self._send("quit", "QUIT")

    def _on_quit(self, reply: Reply) -> None:
        self._end(Finish(OK))

    def _on_unexpected(self, reply: Reply) -> None:
        self._end(Finish(PROTOCOL_ERROR, f"unexpected reply in {self.stage}: {reply}"))

    def _send(self, stage: str, command: str) -> None:
        self.stage = stage
        self._log("C", command)
        self._queue.append(Send(command.encode("ascii") + b"\r\n"))

    def _quit_and_finish(self, status: str, reason: str = "") -> None:
        """Say QUIT politely and stop without waiting for its answer."""
        self._end(Finish(status, reason))
        self._send("quit", "QUIT")

    def _end(self, finish: Finish) -> None:
        if self._finish is None:
            self._finish = finish
            self.ended_in = self.stage

    @property
    def finish(self) -> Finish | None:
        return self._finish

    def _log(self, who: str, line: str) -> None:
        if len(self.transcript) < MAX_TRANSCRIPT_LINES:
            self.transcript.append(f"{who}: {line[:MAX_LINE]}")


# -- the observation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpObservation:
    """One SMTP session with an MX host at one address.

    status: OK, UNREACHABLE, TIMEOUT, CLOSED, REJECTED, PROTOCOL_ERROR, STARTTLS_REJECTED or
        TLS_FAILED; stage: where it ended (connect, banner, ehlo, starttls, tls, ehlo-tls, quit);
        error: why, when not OK.
    banner: the 220 greeting; extensions: EHLO keywords before TLS; extensions_tls: after TLS.
    starttls_offered: STARTTLS among the extensions; starttls_reply: the answer to STARTTLS.
    tls: the handshake after STARTTLS (None if it was not attempted).
    plaintext_injected: bytes the server sent after its 220 to STARTTLS, before TLS (RFC 3207 §5).
    transcript: ``C: ...`` / ``S: ...`` lines, capped.
    """

    host: str
    address: str
    port: int
    status: str
    stage: str
    error: str
    banner: str
    extensions: tuple[str, ...]
    extensions_tls: tuple[str, ...]
    starttls_offered: bool
    starttls_reply: str
    tls: TlsObservation | None
    plaintext_injected: bytes
    transcript: tuple[str, ...]
    time: str
    elapsed_ms: float
    evidence: Evidence

    @property
    def reachable(self) -> bool:
        return self.status != UNREACHABLE

    @property
    def tls_ok(self) -> bool:
        return self.tls is not None and self.tls.ok

    @property
    def where(self) -> str:
        return f"{self.host} [{self.address}]:{self.port}"


def smtp_evidence(obs: SmtpObservation) -> Evidence:
    tls = ""
    if obs.tls is not None:
        tls = f", TLS {obs.tls.version} {obs.tls.cipher}" if obs.tls.ok else f", TLS {obs.tls.status}"
    starttls = "STARTTLS offered" if obs.starttls_offered else "no STARTTLS"
    state = "" if obs.status == OK else f" {obs.status.upper()} in {obs.stage}: {obs.error}"
    summary = (
        f"SMTP {obs.where}{state}; banner {obs.banner[:80] or '-'}; {starttls}{tls} ({obs.elapsed_ms:.1f} ms)"
    )
    data: dict[str, Any] = {
        "host": obs.host,
        "address": obs.address,
        "port": obs.port,
        "status": obs.status,
        "stage": obs.stage,
        "error": obs.error,
        "banner": obs.banner,
        "extensions": list(obs.extensions),
        "extensions_tls": list(obs.extensions_tls),
        "starttls_offered": obs.starttls_offered,
        "starttls_reply": obs.starttls_reply,
        "transcript": list(obs.transcript),
        "time": obs.time,
        "elapsed_ms": round(obs.elapsed_ms, 2),
    }
    if obs.plaintext_injected:
        data["plaintext_after_starttls"] = obs.plaintext_injected[:200].decode("utf-8", "replace")
    return Evidence("smtp", summary, data)


# -- the driver ----------------------------------------------------------------------------------


class SmtpProbe:
    """SMTP sessions for one scan (``net.smtp``): cached per (host, address, port, options),
    bounded per address, one connection per session."""

    def __init__(
        self, config: Config, now: Callable[[], datetime], limits: HostLimits, tls: TlsProbe
    ) -> None:
        self.config = config
        self.now = now
        self.limits = limits
        self.tls = tls
        self._sessions: OnceCache[tuple[Any, ...], SmtpObservation] = OnceCache()
        self._versions: OnceCache[tuple[Any, ...], VersionSupport] = OnceCache()
        self._ciphers: OnceCache[tuple[Any, ...], tuple[CipherProbe, ...]] = OnceCache()

    def close(self) -> None:
        for cache in (self._sessions, self._versions, self._ciphers):
            cache.close()

    async def probe(
        self, host: str, address: str, port: int | None = None, *, options: TlsOptions = DEFAULT
    ) -> SmtpObservation:
        """Banner, EHLO, STARTTLS, TLS (SNI = ``host``), EHLO, QUIT with ``address``; once per scan.
        DANE and the STARTTLS measure share this one handshake."""
        port = self.config.smtp_port if port is None else port
        key = (host.lower(), address, port, options)
        return await self._sessions.get(key, lambda: self._session(host, address, port, options))

    async def versions(self, host: str, address: str, port: int | None = None) -> VersionSupport:
        """Which TLS versions the server accepts after STARTTLS: one session per version."""
        port = self.config.smtp_port if port is None else port
        known = (await self.probe(host, address, port)).tls
        return await self._versions.get(
            (host.lower(), address, port), lambda: probe_versions(self._attempt(host, address, port), known)
        )

    async def ciphers(self, host: str, address: str, port: int | None = None) -> tuple[CipherProbe, ...]:
        port = self.config.smtp_port if port is None else port
        return await self._ciphers.get(
            (host.lower(), address, port), lambda: probe_ciphers(self._attempt(host, address, port))
        )

    def _attempt(self, host: str, address: str, port: int) -> Callable[[TlsOptions], Any]:
        async def attempt(options: TlsOptions) -> TlsObservation:
            session = await self.probe(host, address, port, options=options)
            if session.tls is not None:
                return session.tls
            return self.tls.unfinished(
                host,
                address,
                port,
                host,
                options,
                NOT_REACHED,
                f"SMTP {session.status} in {session.stage}: {session.error}",
                time.monotonic(),
                session.time,
            )

        return attempt

    async def _session(self, host: str, address: str, port: int, options: TlsOptions) -> SmtpObservation:
        started, stamp = time.monotonic(), self.now().isoformat(timespec="milliseconds")
        dialogue = SmtpDialogue(self.config.smtp_helo, ehlo_after_tls=options == DEFAULT)
        async with self.limits(address):
            try:
                reader, writer = await open_tcp(address, port, self.config)
            except ConnectError as exc:
                return self._observation(
                    host,
                    address,
                    port,
                    dialogue,
                    Finish(UNREACHABLE, exc.message),
                    "connect",
                    None,
                    started,
                    stamp,
                )
            tls: TlsObservation | None = None
            finish = Finish(CLOSED, "cancelled")
            try:
                finish, tls = await self._drive(
                    dialogue, reader, writer, host, address, port, options, started, stamp
                )
            finally:
                await close_writer(writer, self.config.timeout, polite=finish.status in (OK, REJECTED))
        return self._observation(
            host, address, port, dialogue, finish, dialogue.ended_in or dialogue.stage, tls, started, stamp
        )

    async def _drive(
        self,
        dialogue: SmtpDialogue,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        host: str,
        address: str,
        port: int,
        options: TlsOptions,
        started: float,
        stamp: str,
    ) -> tuple[Finish, TlsObservation | None]:
        timeout = self.config.timeout
        tls: TlsObservation | None = None
        received = 0
        try:
            async with asyncio.timeout(timeout * SESSION_TIMEOUTS):
                while True:
                    step = dialogue.next_step()
                    if isinstance(step, Finish):
                        return step, tls
                    if isinstance(step, Send):
                        writer.write(step.data)
                        async with asyncio.timeout(timeout):
                            await writer.drain()
                    elif isinstance(step, StartTls):
                        tls = await self.tls.handshake(
                            writer, host=host, address=address, port=port, sni=host, options=options
                        )
                        dialogue.tls_done(tls.ok, tls.error)
                        if not tls.ok:
                            return Finish(TLS_FAILED if tls.status != "timeout" else TIMEOUT, tls.error), tls
                    else:
                        async with asyncio.timeout(timeout):
                            data = await reader.read(READ_SIZE)
                        received += len(data)
                        if received > MAX_SESSION_BYTES:
                            return Finish(PROTOCOL_ERROR, f"more than {MAX_SESSION_BYTES} bytes"), tls
                        if data:
                            dialogue.receive(data)
                        else:
                            dialogue.closed()
        except TimeoutError:
            return Finish(TIMEOUT, f"no answer within {timeout:g} s"), tls
        except (OSError, ConnectionError, EOFError) as exc:
            if dialogue.stage == "quit":  # the server hung up right after our QUIT: fine
                return dialogue.finish or Finish(OK), tls
            return Finish(CLOSED, describe(exc)), tls

    def _observation(
        self,
        host: str,
        address: str,
        port: int,
        dialogue: SmtpDialogue,
        finish: Finish,
        stage: str,
        tls: TlsObservation | None,
        started: float,
        stamp: str,
    ) -> SmtpObservation:
        obs = SmtpObservation(
            host=host,
            address=address,
            port=port,
            status=finish.status,
            stage=stage,
            error=finish.reason,
            banner=str(dialogue.banner) if dialogue.banner else "",
            extensions=dialogue.extensions,
            extensions_tls=ehlo_keywords(dialogue.ehlo_tls) if dialogue.ehlo_tls else (),
            starttls_offered=dialogue.starttls_offered,
            starttls_reply=str(dialogue.starttls_reply) if dialogue.starttls_reply else "",
            tls=tls,
            plaintext_injected=dialogue.plaintext_after_starttls,
            transcript=tuple(dialogue.transcript),
            time=stamp,
            elapsed_ms=(time.monotonic() - started) * 1000,
            evidence=Evidence("smtp", ""),
        )
        return replace(obs, evidence=smtp_evidence(obs))


__all__ = [
    "Finish",
    "Receive",
    "Reply",
    "ReplyReader",
    "Send",
    "SmtpDialogue",
    "SmtpObservation",
    "SmtpProbe",
    "SmtpProtocolError",
    "StartTls",
]
