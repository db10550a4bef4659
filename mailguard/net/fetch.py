"""Fetch one document over HTTP(S): a privacy statement given as a URL.

Only ``http`` and ``https``; every address the host resolves to is checked with the address
guard before a connection is made, on every redirect hop; redirects are followed by hand (at
most :data:`MAX_REDIRECTS`); the body is read with a size cap and the whole exchange has a time
limit besides httpx's per-wait timeout, so a server that drips bytes cannot hold mailguard.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpx

from ..core.config import Config
from ..core.errors import ConnectError, HttpError, InputError, NetTimeout
from ..core.model import Evidence
from .guard import check_address

MAX_REDIRECTS = 5


@dataclass(frozen=True)
class FetchedDocument:
    """url: the final URL; hops: every URL asked, in order; body: at most the size cap."""

    url: str
    status: int
    content_type: str
    body: bytes
    hops: tuple[str, ...]
    evidence: Evidence


def check_url(url: str) -> tuple[str, str, int]:
    """Scheme, host and port of an http(s) URL; InputError for anything else."""
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError as exc:  # "http://[::1/" and the like
        raise InputError(f"not a valid URL: {url} ({exc})") from exc
    if parts.scheme not in {"http", "https"}:
        raise InputError(f"only http and https URLs can be fetched, not {parts.scheme or 'this'}: {url}")
    if not hostname:
        raise InputError(f"URL without a host: {url}")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise InputError(f"bad port in URL {url}") from exc
    return parts.scheme, hostname, port


async def _guard(host: str, port: int, config: Config) -> list[str]:
    """The addresses of ``host``, each allowed by the address guard (ConnectError otherwise)."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:  # UnicodeError: a label IDNA cannot encode (over 63 octets...)
        raise ConnectError(f"cannot resolve host: {exc}", host) from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        check_address(address, config)
    return addresses


def _tls_context(config: Config) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if config.ca_bundle is not None:
        context.load_verify_locations(cafile=str(config.ca_bundle))
    return context


async def fetch_document(url: str, config: Config, *, max_bytes: int,
                         total_timeout: float | None = None) -> FetchedDocument:
    """GET ``url`` following redirects; raises a NetworkError subclass or InputError on failure."""
    limit = total_timeout if total_timeout is not None else config.deadline
    started = time.monotonic()
    hops: list[str] = []
    try:
        async with asyncio.timeout(limit), httpx.AsyncClient(
                timeout=config.timeout, follow_redirects=False, verify=_tls_context(config),
                trust_env=False, headers={"User-Agent": "mailguard (privacy statement check)"}) as client:
            while True:
                _, host, port = check_url(url)
                addresses = await _guard(host, port, config)
                hops.append(url)
                status, headers, body = await _get_any(client, url, addresses, max_bytes)
                location = headers.get("location")
                if status in {301, 302, 303, 307, 308} and location:
                    if len(hops) > MAX_REDIRECTS:
                        raise HttpError(f"more than {MAX_REDIRECTS} redirects", url)
                    url = urljoin(url, location)
                    continue
                break
    except TimeoutError as exc:
        raise NetTimeout(f"no complete answer within {limit:g} s", url) from exc
    except httpx.TimeoutException as exc:
        raise NetTimeout(f"timed out after {config.timeout:g} s ({type(exc).__name__})", url) from exc
    except httpx.HTTPError as exc:
        raise HttpError(f"{type(exc).__name__}: {exc}", url) from exc
    content_type = headers.get("content-type", "")
    evidence = Evidence("http", f"GET {url} -> {status} {content_type or '?'} {len(body)} bytes "
                        f"@{', '.join(addresses)}",
                        {"url": url, "hops": list(hops), "status": status, "content_type": content_type,
                         "bytes": len(body), "sha256": hashlib.sha256(body).hexdigest(),
                         "addresses": addresses, "time": datetime.now(UTC).isoformat(timespec="seconds"),
                         "elapsed_ms": round((time.monotonic() - started) * 1000, 2)})
    return FetchedDocument(url, status, content_type, body, tuple(hops), evidence)


async def _get_any(client: httpx.AsyncClient, url: str, addresses: list[str],
                   max_bytes: int) -> tuple[int, httpx.Headers, bytes]:
    """The first of ``addresses`` that takes a connection answers (IPv6 first, as resolved)."""
    for address in addresses[:-1]:
        try:
            return await _get(client, url, address, max_bytes)
        except (httpx.ConnectError, httpx.ConnectTimeout):  # a timeout is not a ConnectError
            continue
    return await _get(client, url, addresses[-1], max_bytes)


async def _get(client: httpx.AsyncClient, url: str, address: str,
               max_bytes: int) -> tuple[int, httpx.Headers, bytes]:
    """GET ``url`` from ``address``, the one the guard allowed: letting httpx resolve the name
    again would let a second DNS answer (rebinding) point the connection somewhere else."""
    parsed = httpx.URL(url)
    target = parsed.copy_with(host=address)
    extensions = {"sni_hostname": parsed.host} if parsed.scheme == "https" else {}
    headers = {"Host": parsed.netloc.decode("ascii")}
    async with client.stream("GET", target, headers=headers, extensions=extensions) as response:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise HttpError(f"document of {declared} bytes is larger than the cap of {max_bytes}", url)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise HttpError(f"document larger than the cap of {max_bytes} bytes", url)
            chunks.append(chunk)
        return response.status_code, response.headers, b"".join(chunks)
