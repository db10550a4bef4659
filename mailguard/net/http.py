"""The HTTP seam: every HTTP(S) request mailguard sends goes through :class:`HttpClient`.

Names are resolved through our own DNS layer (so the lab's zones and the address guard apply),
and each request connects to one chosen address while sending the real name as Host header and
TLS SNI, so that every address of a web host can be observed separately. Redirects are never
followed by httpx: :meth:`HttpClient.follow` walks them one hop at a time, so that each hop is a
piece of evidence (method, URL, address, status, selected headers, time), with a cap on hops and
loop detection. Every exchange has a connect and read timeout and a cap on the whole exchange;
bodies are streamed and reading stops at a size cap.

A request never raises for what happened on the wire: it returns an :class:`HttpResponse` whose
``status`` tells a response (``ok``) from a timeout, a refused connection, a certificate that did
not validate, and so on. The seam observes; the measures judge.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx

from .._version import __version__
from ..core.config import Config
from ..core.errors import ConnectError, forget_traceback
from ..core.model import Evidence
from .dns import DnsClient
from .guard import check_address
from .limits import HostLimits, OnceCache

# Statuses of an HttpResponse: OK means an HTTP response came back (any status code).
OK = "ok"
TIMEOUT = "timeout"            # no connection, no response, or the exchange ran past its cap
REFUSED = "refused"            # the address actively refused the connection (RST)
UNREACHABLE = "unreachable"    # no route, host down, other socket errors while connecting
CERTIFICATE = "certificate"    # the TLS handshake failed on certificate validation
TLS = "tls"                    # the TLS handshake failed for another reason (no common version...)
PROTOCOL = "protocol"          # the peer did not speak HTTP, or broke off mid-response
BLOCKED = "blocked"            # the address guard refused to contact the address
NO_ADDRESS = "no-address"      # the host name has no A/AAAA record (or the lookup failed)
BAD_URL = "bad-url"            # not an http(s) URL we can fetch

MAX_BODY = 256 * 1024          # bytes of body kept by default; reading stops there
MAX_HOPS = 10                  # fetches in one redirect chain (browsers allow ~20; 10 is plenty)
EXCHANGE_FACTOR = 3            # whole exchange <= factor x timeout (connect, first byte, body)
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = f"mailguard/{__version__} (+https://github.com/mailguard; security posture check)"

# Headers copied into evidence (all headers stay on the observation itself).
SELECTED_HEADERS = (
    "location", "strict-transport-security", "content-type", "content-length", "content-encoding",
    "content-security-policy", "content-security-policy-report-only", "x-content-type-options",
    "x-frame-options", "referrer-policy", "permissions-policy", "server",
)
MAX_HEADER_IN_EVIDENCE = 500


@dataclass(frozen=True)
class HttpResponse:
    """One HTTP exchange (one hop), or why there was none.

    url: the URL asked for (with the host name, not the address).
    address/port: where we connected. status: ``ok`` or one of the failure statuses above.
    code/reason/http_version/headers: the response (headers lower-cased, in order, repeated kept).
    body: at most ``max_body`` bytes of the (decoded) body; truncated: reading stopped at the cap.
    verified: an https exchange whose certificate chain and name were validated.
    """

    method: str
    url: str
    host: str
    address: str
    port: int
    status: str
    time: str
    elapsed_ms: float
    evidence: Evidence
    code: int | None = None
    reason: str = ""
    http_version: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = field(default=b"", repr=False)
    truncated: bool = False
    verified: bool = False
    error: str = ""

    @property
    def ok(self) -> bool:
        """An HTTP response came back (whatever its status code)."""
        return self.status == OK

    @property
    def https(self) -> bool:
        return self.url.startswith("https:")

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        wanted = name.lower()
        return next((v for k, v in self.headers if k == wanted), None)

    def header_values(self, name: str) -> tuple[str, ...]:
        wanted = name.lower()
        return tuple(v for k, v in self.headers if k == wanted)

    @property
    def location(self) -> str | None:
        return self.header("location")

    @property
    def is_redirect(self) -> bool:
        return self.code in REDIRECT_CODES and bool(self.location)

    @property
    def media_type(self) -> str:
        """``type/subtype`` of the Content-Type, lower-case, without parameters ('' if none)."""
        value = self.header("content-type") or ""
        return value.split(";", 1)[0].strip().lower()

    @property
    def charset(self) -> str:
        value = self.header("content-type") or ""
        for part in value.split(";")[1:]:
            key, _, val = part.partition("=")
            if key.strip().lower() == "charset":
                return val.strip().strip('"').lower()
        return ""

    def text(self) -> str:
        """The body as text: its declared charset, else UTF-8; undecodable bytes replaced."""
        try:
            return self.body.decode(self.charset or "utf-8", errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


# How a redirect walk ended.
FINAL = "final"                # the last hop is not a redirect (or failed: see its status)
LOOP = "loop"                  # the next URL was already visited
TOO_MANY = "too-many"          # the hop cap was reached while still redirecting
BAD_LOCATION = "bad-location"  # a Location that is not an http(s) URL


@dataclass(frozen=True)
class RedirectChain:
    """A redirect walk, one observed hop at a time.

    end: ``final``, ``loop``, ``too-many`` or ``bad-location``; next_url: the URL that was not
    fetched because of a loop, the cap or a bad Location ('' for ``final``).
    """

    start: str
    hops: tuple[HttpResponse, ...]
    end: str
    next_url: str = ""

    @property
    def final(self) -> HttpResponse:
        return self.hops[-1]

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        return tuple(h.evidence for h in self.hops)


def default_port(scheme: str, config: Config) -> int:
    return config.https_port if scheme == "https" else config.http_port


def _stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def trust_context(config: Config) -> ssl.SSLContext:
    """Validation as a browser does it: the system's roots, plus ``config.ca_bundle`` (the lab CA)."""
    return _trust_context(config.ca_bundle)


@lru_cache(maxsize=8)
def _trust_context(ca_bundle: Path | None) -> ssl.SSLContext:
    # Loading the system store takes tens of milliseconds; a context is safe to share.
    context = ssl.create_default_context()
    if context.cert_store_stats().get("x509_ca", 0) == 0:
        try:  # no system store (a slim container): fall back to the Mozilla roots certifi ships
            import certifi

            context.load_verify_locations(cafile=certifi.where())
        except (ImportError, OSError):
            pass
    if ca_bundle is not None:
        context.load_verify_locations(cafile=str(ca_bundle))
    return context


def _insecure_context() -> ssl.SSLContext:
    """For looking at what a host with a bad certificate serves; such a response is never 'verified'."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class HttpClient:
    """Fetches URLs hop by hop and turns each exchange into evidence. ``cache`` keeps the
    exchanges of a scan (of a whole batch, bounded by count and body bytes): asked twice, a URL
    is fetched once."""

    def __init__(self, config: Config, dns: DnsClient, limits: HostLimits | None = None) -> None:
        self.config = config
        self.dns = dns
        self.limits = limits if limits is not None else HostLimits(config.max_concurrency_per_host)
        self._clients: dict[bool, httpx.AsyncClient] = {}
        self.cache: OnceCache[tuple[Any, ...], HttpResponse] = OnceCache(weigh=lambda r: len(r.body))
        self.requests_sent = 0

    # -- public -------------------------------------------------------------------------------
    async def fetch(self, url: str, *, address: str | None = None, method: str = "GET",
                    verify: bool = True, max_body: int = MAX_BODY) -> HttpResponse:
        """One exchange, no redirect followed. Asked once per client; concurrent askers share it.

        ``address``: connect there (it must be one of the host's addresses the caller looked up);
        None: resolve the URL's host through the DNS layer and use its first address.
        """
        key = (method.upper(), url, address, verify, max_body)
        return await self.cache.get(key, lambda: self._fetch(url, address, method.upper(), verify, max_body))

    async def follow(self, url: str, *, address: str | None = None, verify: bool = True,
                     max_hops: int = MAX_HOPS, max_body: int = MAX_BODY) -> RedirectChain:
        """Follow redirects from ``url`` one hop at a time, up to ``max_hops`` fetches.

        The given ``address`` is used for every hop on the same host (so each address of a host
        gets its own walk); hops to other hosts resolve through the DNS layer.
        """
        walk = RedirectWalk(url, max_hops)
        first_host = _host_of(url)
        while (step := walk.next_url()) is not None:
            hop_address = address if address is not None and _host_of(step) == first_host else None
            walk.add(await self.fetch(step, address=hop_address, verify=verify, max_body=max_body))
        return walk.chain()

    async def addresses(self, host: str) -> tuple[list[str], tuple[Evidence, ...]]:
        """The host's IPv4 then IPv6 addresses from the DNS layer, and the answers' evidence."""
        if _is_ip(host):
            return [host], ()
        a, aaaa = await self.dns.query_many([(host, "A"), (host, "AAAA")])
        found = [r.text for ans in (a, aaaa) if ans.status == "ok" for r in ans.records]
        return found, (a.evidence, aaaa.evidence)

    async def aclose(self) -> None:
        self.cache.close()
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    # -- one exchange ---------------------------------------------------------------------------
    def _client(self, verify: bool) -> httpx.AsyncClient:
        client = self._clients.get(verify)
        if client is None:
            timeout = self.config.timeout
            client = httpx.AsyncClient(
                verify=trust_context(self.config) if verify else _insecure_context(),
                follow_redirects=False,
                trust_env=False,  # never a proxy from the environment: we observe the host itself
                timeout=httpx.Timeout(timeout, connect=timeout, read=timeout, write=timeout, pool=timeout),
                # No keep-alive: connections are pooled by address, and two names on one address
                # must each get their own handshake (SNI, certificate).
                limits=httpx.Limits(max_connections=None, max_keepalive_connections=0),
            )
            self._clients[verify] = client
        return client

    async def _fetch(self, url: str, address: str | None, method: str, verify: bool,
                     max_body: int) -> HttpResponse:
        started, stamp = time.monotonic(), _stamp()
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            return _failure(method, url, "", "", 0, BAD_URL, str(exc), started, stamp)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            return _failure(method, url, parsed.host, "", 0, BAD_URL, "not an http(s) URL", started, stamp)
        host = parsed.host
        port = parsed.port or default_port(parsed.scheme, self.config)
        dns_evidence: tuple[Evidence, ...] = ()
        if address is None:
            found, dns_evidence = await self.addresses(host)
            if not found:
                return _failure(method, url, host, "", port, NO_ADDRESS,
                                f"{host} has no A or AAAA address", started, stamp,
                                dns=dns_evidence)
            address = found[0]
        try:
            check_address(address, self.config)
        except ConnectError as exc:
            return _failure(method, url, host, address, port, BLOCKED, exc.message, started, stamp)
        async with self.limits(address):
            return await self._exchange(parsed, host, address, port, method, verify, max_body, stamp)

    async def _exchange(self, url: httpx.URL, host: str, address: str, port: int, method: str,
                        verify: bool, max_body: int, stamp: str) -> HttpResponse:
        started = time.monotonic()
        target = url.copy_with(host=address, port=port)
        headers = {"Host": url.netloc.decode("ascii"), "User-Agent": USER_AGENT, "Accept": "*/*",
                   "Accept-Encoding": "identity", "Connection": "close"}
        extensions = {"sni_hostname": host} if url.scheme == "https" else {}
        self.requests_sent += 1
        response: httpx.Response | None = None
        try:
            async with asyncio.timeout(self.config.timeout * EXCHANGE_FACTOR):
                async with self._client(verify).stream(method, target, headers=headers,
                                                       extensions=extensions) as response:
                    body, truncated = await _read_capped(response, max_body)
            return _response(method, str(url), host, address, port, response, body, truncated,
                             verified=verify and url.scheme == "https", started=started, stamp=stamp)
        except TimeoutError as exc:
            forget_traceback(exc)
            return _failure(method, str(url), host, address, port, TIMEOUT,
                            f"exchange not finished within {self.config.timeout * EXCHANGE_FACTOR:g} s",
                            started, stamp)
        except httpx.HTTPError as exc:
            status, error = _classify(exc, self.config.timeout)
            forget_traceback(exc)
            return _failure(method, str(url), host, address, port, status, error, started, stamp)
        finally:
            # httpx binds a streamed response's stream back to the response: a reference cycle
            # that would keep the closed connection (its TLS object, buffers, h11 state) until the
            # cycle collector runs. Unbind it; reference counting then frees the exchange here.
            if response is not None:
                response.stream = _SPENT


_SPENT = httpx.ByteStream(b"")  # what a read and closed response's stream is replaced with


class RedirectWalk:
    """The pure part of following redirects: which URL next, and when to stop.

    Feed it each hop with :meth:`add`; :meth:`next_url` says what to fetch next (None: done).
    """

    def __init__(self, start: str, max_hops: int) -> None:
        self.start = start
        self.max_hops = max(1, max_hops)
        self.hops: list[HttpResponse] = []
        self.visited: set[str] = set()
        self._next: str | None = start
        self.end = FINAL
        self.pending = ""

    def next_url(self) -> str | None:
        return self._next

    def add(self, hop: HttpResponse) -> None:
        self.hops.append(hop)
        self.visited.add(_url_key(hop.url))
        self._next = None
        if not (hop.ok and hop.is_redirect):
            return
        target = resolve_location(hop.url, hop.location or "")
        if target is None:
            self.end, self.pending = BAD_LOCATION, hop.location or ""
        elif _url_key(target) in self.visited:
            self.end, self.pending = LOOP, target
        elif len(self.hops) >= self.max_hops:
            self.end, self.pending = TOO_MANY, target
        else:
            self._next = target

    def chain(self) -> RedirectChain:
        return RedirectChain(self.start, tuple(self.hops), self.end, self.pending)


def resolve_location(base: str, location: str) -> str | None:
    """The absolute http(s) URL a Location header points to (RFC 9110 §10.2.2), or None."""
    try:
        target = httpx.URL(base).join(location.strip())
    except (httpx.InvalidURL, TypeError, ValueError):
        return None
    if target.scheme not in ("http", "https") or not target.host:
        return None
    return str(target.copy_with(fragment=None))


def _url_key(url: str) -> str:
    """URLs equal for loop detection: scheme and host case-folded, default ports dropped."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return url
    return str(parsed.copy_with(fragment=None))


def _host_of(url: str) -> str:
    try:
        return httpx.URL(url).host
    except (httpx.InvalidURL, TypeError, ValueError):
        return ""


async def _read_capped(response: httpx.Response, max_body: int) -> tuple[bytes, bool]:
    """Read at most ``max_body`` bytes of body; stop (and drop the connection) beyond that."""
    chunks: list[bytes] = []
    size = 0
    truncated = False
    async for chunk in response.aiter_raw():
        chunks.append(chunk)
        size += len(chunk)
        if size > max_body:
            truncated = True
            break
    raw = b"".join(chunks)
    encoding = (response.headers.get("content-encoding") or "").strip().lower()
    if encoding in ("gzip", "x-gzip", "deflate"):
        # We asked for identity; a server that compresses anyway gets a bounded decoder, so a
        # small compressed body cannot expand past the cap in memory.
        try:
            decoder = zlib.decompressobj(wbits=47 if encoding != "deflate" else 15)
            decoded = decoder.decompress(raw, max_body + 1)
        except zlib.error:
            return raw[:max_body], truncated
        return decoded[:max_body], truncated or len(decoded) > max_body or bool(decoder.unconsumed_tail)
    return raw[:max_body], truncated


def _causes(exc: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _classify(exc: httpx.HTTPError, timeout: float) -> tuple[str, str]:
    """Translate httpx's exception (and what caused it) into a status and a short reason."""
    if isinstance(exc, httpx.TimeoutException):
        phase = {httpx.ConnectTimeout: "connect", httpx.ReadTimeout: "read",
                 httpx.WriteTimeout: "write", httpx.PoolTimeout: "pool"}.get(type(exc), "exchange")
        return TIMEOUT, f"no {phase} progress within {timeout:g} s"
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return CERTIFICATE, f"certificate not valid: {cause.verify_message or cause.reason}"[:300]
        if isinstance(cause, ssl.SSLError):
            return TLS, f"TLS handshake failed: {cause.reason or cause}"[:300]
        if isinstance(cause, ConnectionRefusedError):
            return REFUSED, "connection refused"
    if isinstance(exc, httpx.ConnectError):
        return UNREACHABLE, (str(exc) or "could not connect")[:300]
    return PROTOCOL, f"{type(exc).__name__}: {exc}"[:300]


def _where(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def _selected(headers: Iterable[tuple[str, str]]) -> list[list[str]]:
    return [[k, v[:MAX_HEADER_IN_EVIDENCE]] for k, v in headers if k in SELECTED_HEADERS]


def _response(method: str, url: str, host: str, address: str, port: int, response: httpx.Response,
              body: bytes, truncated: bool, *, verified: bool, started: float, stamp: str) -> HttpResponse:
    elapsed = (time.monotonic() - started) * 1000
    headers = tuple((k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in response.headers.raw)
    reason = response.reason_phrase
    location = next((v for k, v in headers if k == "location"), None)
    moved = f" Location: {location[:200]}" if location else ""
    summary = (f"{method} {url} @{_where(address, port)} {response.status_code} {reason}{moved} "
               f"{len(body)} bytes{' (truncated)' if truncated else ''} {elapsed:.1f} ms")
    evidence = Evidence("http", summary, {
        "request": {"method": method, "url": url, "host": host, "address": address, "port": port},
        "status": OK, "http_status": response.status_code, "reason": reason,
        "http_version": response.http_version, "headers": _selected(headers),
        "body_bytes": len(body), "truncated": truncated, "verified": verified,
        "time": stamp, "elapsed_ms": round(elapsed, 2),
    })
    return HttpResponse(method, url, host, address, port, OK, stamp, elapsed, evidence,
                        response.status_code, reason, response.http_version, headers, body,
                        truncated, verified)


def _failure(method: str, url: str, host: str, address: str, port: int, status: str, error: str,
             started: float, stamp: str, *, dns: tuple[Evidence, ...] = ()) -> HttpResponse:
    elapsed = (time.monotonic() - started) * 1000
    where = f" @{_where(address, port)}" if address else ""
    summary = f"{method} {url}{where} {status.upper()}: {error} ({elapsed:.1f} ms)"
    data: dict[str, Any] = {
        "request": {"method": method, "url": url, "host": host, "address": address, "port": port},
        "status": status, "error": error, "time": stamp, "elapsed_ms": round(elapsed, 2),
    }
    if dns:
        data["dns"] = [e.summary for e in dns]
    evidence = Evidence("http", summary, data)
    return HttpResponse(method, url, host, address, port, status, stamp, elapsed, evidence, error=error)


__all__ = [
    "BAD_LOCATION", "FINAL", "LOOP", "MAX_BODY", "MAX_HOPS", "OK", "TOO_MANY", "HttpClient",
    "HttpResponse", "RedirectChain", "RedirectWalk", "resolve_location", "trust_context",
]
