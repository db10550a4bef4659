"""The lab's web servers: real HTTP and HTTPS on loopback, with virtual hosts by Host and SNI.

Every lab web host has its own loopback address (as a zone file says); all addresses share one
port number for the 443 role and one for the 80 role, so that a scan only needs
``Config.https_port`` / ``Config.http_port`` to reach every host. A :class:`Site` says what a host
serves on each path over https and over http, which certificate it presents, and which TLS
versions it accepts; replies can also stall, stream an endless body, or redirect anywhere, so the
measures can be tested against servers that are wrong in each way the issues name.

The server speaks just enough HTTP/1.1: one request per connection, ``Connection: close``.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ssl
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .pki import LabPki
from .runner import BackgroundLoop

MAX_REQUEST_HEAD = 16 * 1024
READ_TIMEOUT = 10.0
STALL_SECONDS = 120.0          # a stalling reply waits this long (the client gives up long before)
ENDLESS_LIMIT = 256 * 1024 * 1024  # an "endless" body still ends somewhere if nobody hangs up
BIND_ATTEMPTS = 8

# Certificate kinds a site can ask the lab CA for.
VALID, EXPIRED, WRONG_NAME = "valid", "expired", "wrong-name"
SELF_SIGNED, UNTRUSTED = "self-signed", "untrusted"
OTHER_CA = "other-ca"  # trusted, from the lab's second issuing CA (another organisation)


@dataclass(frozen=True)
class Reply:
    """What a path answers. ``stall``: never answer; ``endless``: a body that never ends;
    ``drip``: seconds between single body bytes, forever (no read ever waits long)."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    stall: bool = False
    endless: bool = False
    drip: float = 0.0


def page(body: str | bytes = "", *headers: tuple[str, str], status: int = 200,
         content_type: str = "text/html; charset=utf-8") -> Reply:
    data = body.encode() if isinstance(body, str) else body
    return Reply(status, (("Content-Type", content_type), *headers), data)


def text(body: str | bytes, *headers: tuple[str, str], content_type: str = "text/plain; charset=utf-8",
         status: int = 200) -> Reply:
    return page(body, *headers, status=status, content_type=content_type)


def redirect(location: str, status: int = 301, *headers: tuple[str, str]) -> Reply:
    return Reply(status, (("Location", location), *headers), b"")


NOT_FOUND = page("<h1>not found</h1>", status=404)
# Routes: path -> reply, or a callable that makes the reply from the path; "*" is the fallback.
Route = Reply | Callable[[str], Reply]


@dataclass(frozen=True)
class Site:
    """One virtual host.

    https/http: routes per scheme; ``http=None`` redirects every path to the same path over
    https on the same host with a 301 (the right thing). ``serve_https=False``: nothing listens
    on the 443 role of its addresses (unless another site on the address does).
    cert: ``valid`` / ``expired`` / ``wrong-name`` / ``self-signed``. min_tls: the lowest TLS
    version its addresses accept (TLS 1.0 needs OpenSSL to allow it at security level 0).
    """

    name: str
    addresses: tuple[str, ...]
    https: Mapping[str, Route] = field(default_factory=dict)
    http: Mapping[str, Route] | None = None
    cert: str = VALID
    serve_https: bool = True
    serve_http: bool = True
    min_tls: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2

    def route(self, scheme: str, path: str) -> Reply:
        routes = self.https if scheme == "https" else self.http
        if routes is None:
            return redirect(f"https://{self.name}{path}")
        bare = path.split("?", 1)[0]
        found = routes.get(bare, routes.get("*", NOT_FOUND))
        return found(path) if callable(found) else found


# A certificate source: (site names, kind) -> (certificate chain PEM, private key PEM).
CertSource = Callable[[tuple[str, ...], str], tuple[bytes, bytes]]


def pki_source(pki: LabPki) -> CertSource:
    """Certificates from the lab CA: ``valid`` (the intermediate, the site's names), ``expired``,
    ``wrong-name`` (another name), ``self-signed``, ``untrusted`` (the rogue CA), ``other-ca`` (the
    lab's second, trusted issuing CA)."""

    def issue(names: tuple[str, ...], kind: str) -> tuple[bytes, bytes]:
        if kind == EXPIRED:
            cert = pki.issue(list(names), days_valid=(-100, -5))
        elif kind == WRONG_NAME:
            cert = pki.issue(["www.elsewhere.example"])
        elif kind == SELF_SIGNED:
            cert = pki.issue(list(names), key="ec256", issuer="self")
        elif kind == UNTRUSTED:
            cert = pki.issue(list(names), key="ec256", issuer="rogue")
        elif kind == OTHER_CA:
            cert = pki.issue(list(names), key="ec256", issuer="other")
        else:
            cert = pki.issue(list(names), key="ec256")
        return cert.chain_pem(), cert.key_pem()

    return issue


class LabWeb:
    """HTTP and HTTPS listeners for a set of sites; ``start(loop)`` binds them all."""

    def __init__(self, sites: Iterable[Site], certs: CertSource, workdir: Path, *,
                 read_timeout: float = READ_TIMEOUT) -> None:
        self.sites = list(sites)
        # Every wait on a client (its request, its reading our reply, the close) ends after this.
        self.read_timeout = read_timeout
        self.certs = certs
        self.workdir = workdir
        self.https_port = 0
        self.http_port = 0
        self.requests: list[tuple[str, str, str, str]] = []  # (scheme, address, host, path)
        self._servers: list[asyncio.Server] = []
        self._loop: BackgroundLoop | None = None
        self._files: dict[str, tuple[Path, Path]] = {}

    # -- what listens where ---------------------------------------------------------------------
    def _sites_at(self, address: str) -> list[Site]:
        return [s for s in self.sites if address in s.addresses]

    def _addresses(self) -> list[str]:
        seen: dict[str, None] = {}
        for site in self.sites:
            for address in site.addresses:
                seen.setdefault(address, None)
        return list(seen)

    def _site_for(self, address: str, host: str) -> Site | None:
        name = host.lower().rstrip(".")
        here = self._sites_at(address)
        return next((s for s in here if s.name == name), None)

    # -- TLS ------------------------------------------------------------------------------------
    def _cert_files(self, site: Site) -> tuple[Path, Path]:
        """The site's certificate chain and key on disk (issued once, shared by its addresses)."""
        files = self._files.get(site.name)
        if files is None:
            chain, private_key = self.certs((site.name,), site.cert)
            stem = self.workdir / f"web-{site.name}"
            files = (stem.with_suffix(".crt"), stem.with_suffix(".key"))
            files[0].write_bytes(chain)
            files[1].write_bytes(private_key)
            self._files[site.name] = files
        return files

    def _context(self, site: Site, min_tls: ssl.TLSVersion) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        if min_tls < ssl.TLSVersion.TLSv1_2:
            with warnings.catch_warnings():  # the lab offers old TLS on purpose, to be caught
                warnings.simplefilter("ignore", DeprecationWarning)
                context.minimum_version = min_tls
                context.set_ciphers("DEFAULT:@SECLEVEL=0")
        context.load_cert_chain(*self._cert_files(site))
        return context

    def _address_context(self, address: str) -> ssl.SSLContext:
        """The address's TLS context: its first site's certificate, SNI choosing among the rest.

        Protocol versions cannot change after the ClientHello is read, so the whole address
        accepts the lowest version any of its sites asks for.
        """
        here = [s for s in self._sites_at(address) if s.serve_https]
        min_tls = min(s.min_tls for s in here)
        default = self._context(here[0], min_tls)
        by_name = {s.name: self._context(s, min_tls) for s in here}

        def choose(sslobj: ssl.SSLObject, server_name: str | None, _ctx: ssl.SSLContext) -> None:
            chosen = by_name.get((server_name or "").lower())
            if chosen is not None:
                sslobj.context = chosen

        default.sni_callback = choose
        return default

    # -- serving --------------------------------------------------------------------------------
    async def _client(self, scheme: str, address: str, reader: asyncio.StreamReader,
                      writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(self.read_timeout):
                head = await reader.readuntil(b"\r\n\r\n")
            method, path, host = _parse_head(head)
            self.requests.append((scheme, address, host, path))
            site = self._site_for(address, host)
            reply = site.route(scheme, path) if site else page("no such site", status=421)
            await _send(reader, writer, reply, method, self.read_timeout)
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError,
                ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()
            try:
                async with asyncio.timeout(self.read_timeout):
                    await writer.wait_closed()
            except Exception:  # a client that never takes the rest of the reply: drop it
                writer.transport.abort()

    async def _listen(self, scheme: str, address: str, port: int) -> asyncio.Server:
        context = self._address_context(address) if scheme == "https" else None

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            # Python 3.11's start_server callback asks a cancelled handler task for its exception
            # and logs a traceback; the lab stopping (cancelling a stalling reply) is not an error.
            with contextlib.suppress(asyncio.CancelledError):
                await self._client(scheme, address, reader, writer)

        return await asyncio.start_server(handle, address, port, ssl=context,
                                          ssl_handshake_timeout=self.read_timeout if context else None,
                                          limit=MAX_REQUEST_HEAD, reuse_address=True)

    async def _bind_all(self) -> None:
        """Bind the first address to port 0 per role, then every other address to that port.

        Another process may own that port on one of the other addresses: then start over.
        """
        for _attempt in range(BIND_ATTEMPTS):
            try:
                await self._bind_once()
                return
            except OSError as exc:
                await self._close()
                if exc.errno != errno.EADDRINUSE:
                    raise
        raise OSError(errno.EADDRINUSE, "no port free on every lab web address")

    async def _bind_once(self) -> None:
        addresses = self._addresses()
        for scheme in ("https", "http"):
            port = 0
            for address in addresses:
                here = self._sites_at(address)
                wanted = any(s.serve_https if scheme == "https" else s.serve_http for s in here)
                if not wanted:
                    continue
                server = await self._listen(scheme, address, port)
                self._servers.append(server)
                port = port or server.sockets[0].getsockname()[1]
            if scheme == "https":
                self.https_port = port
            else:
                self.http_port = port

    async def _close(self) -> None:
        for server in self._servers:
            server.close()
        self._servers.clear()

    # -- life cycle -----------------------------------------------------------------------------
    def start(self, loop: BackgroundLoop) -> LabWeb:
        self._loop = loop
        loop.run(self._bind_all())
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.run(self._close())
            self._loop = None


def _parse_head(head: bytes) -> tuple[str, str, str]:
    lines = head.decode("latin-1").split("\r\n")
    method, path, _version = lines[0].split(" ", 2)
    host = ""
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "host":
            host = value.strip()
    if host.startswith("["):
        host = host[1:].split("]", 1)[0]
    else:
        host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return method.upper(), path, host


async def _send(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, reply: Reply,
                method: str, timeout: float) -> None:
    """Write ``reply``; a client that stops reading (drain never returns) ends in TimeoutError."""

    async def drain() -> None:
        async with asyncio.timeout(timeout):
            await writer.drain()

    if reply.stall:
        await asyncio.sleep(STALL_SECONDS)
        return
    status_line = f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Status')}\r\n"
    headers = [*reply.headers, ("Connection", "close")]
    if not (reply.endless or reply.drip):
        headers.append(("Content-Length", str(len(reply.body))))
    head = status_line + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    writer.write(head.encode("latin-1"))
    if method == "HEAD":
        await drain()
        return
    if reply.drip:
        for _ in range(int(STALL_SECONDS / reply.drip)):
            if writer.is_closing() or reader.at_eof():
                return
            writer.write(b".")
            await drain()
            await asyncio.sleep(reply.drip)
        return
    if not reply.endless:
        writer.write(reply.body)
        await drain()
        return
    chunk = (reply.body or b"x") * (16384 // max(1, len(reply.body or b"x")))
    sent = 0
    # Until the client hangs up: its EOF (or a reset) ends the loop; over TLS, writes to a lost
    # connection do not always raise, so look for the EOF too.
    while sent < ENDLESS_LIMIT and not writer.is_closing() and not reader.at_eof():
        writer.write(chunk)
        await drain()
        await asyncio.sleep(0)
        sent += len(chunk)


_REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 303: "See Other",
            307: "Temporary Redirect", 308: "Permanent Redirect", 404: "Not Found",
            421: "Misdirected Request", 500: "Internal Server Error"}
