"""The only code that opens sockets. It observes and reports; it never judges.

:class:`Net` is the one seam a measure receives: a DNS client shared by the scan (or the batch),
and the probes of later measures (SMTP, TLS, HTTP), each caching per scan what it observed so that
two measures never repeat a handshake.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from ..config import Config
from .dns import DnsAnswer, DnsClient
from .http import HttpClient, HttpResponse, RedirectChain


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Net:
    """Everything a measure may use to observe the world."""

    def __init__(self, config: Config, *, dns: DnsClient | None = None,
                 now: Callable[[], datetime] = _utcnow) -> None:
        self.config = config
        self.dns = dns if dns is not None else DnsClient(config)
        self.http = HttpClient(config, self.dns)
        self.now = now

    async def aclose(self) -> None:
        await self.http.aclose()
        self.dns.close()


__all__ = ["DnsAnswer", "DnsClient", "HttpClient", "HttpResponse", "Net", "RedirectChain"]
