"""The only code that opens sockets. It observes and reports; it never judges.

:class:`Net` is the one seam a measure receives: a DNS client shared by the scan (or the batch),
and the probes of later measures, each caching per scan what it observed so that two measures
never repeat a handshake:

* ``net.dns``  :class:`~mailguard.net.dns.DnsClient`, questions and answers;
* ``net.tls``  :class:`~mailguard.net.tls.TlsProbe`, TLS handshakes (direct, e.g. HTTPS);
* ``net.smtp`` :class:`~mailguard.net.smtp.SmtpProbe`, SMTP sessions with STARTTLS;
* ``net.http`` :class:`~mailguard.net.http.HttpClient`, HTTP(S) exchanges, redirects hop by hop;
* ``net.limits`` the per-address connection bound (``config.max_concurrency_per_host``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from ..config import Config
from .dns import DnsAnswer, DnsClient
from .http import HttpClient, HttpResponse, RedirectChain
from .limits import HostLimits
from .smtp import SmtpObservation, SmtpProbe
from .tls import TlsObservation, TlsProbe


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Net:
    """Everything a measure may use to observe the world."""

    def __init__(self, config: Config, *, dns: DnsClient | None = None,
                 now: Callable[[], datetime] = _utcnow) -> None:
        self.config = config
        self.dns = dns if dns is not None else DnsClient(config)
        self.now = now
        self.limits = HostLimits(config.max_concurrency_per_host)
        self.tls = TlsProbe(config, now, self.limits)
        self.smtp = SmtpProbe(config, now, self.limits, self.tls)
        self.http = HttpClient(config, self.dns, self.limits)

    async def aclose(self) -> None:
        await self.http.aclose()
        self.smtp.close()
        self.tls.close()
        self.dns.close()


__all__ = ["DnsAnswer", "DnsClient", "HttpClient", "HttpResponse", "Net", "RedirectChain",
           "SmtpObservation", "SmtpProbe", "TlsObservation", "TlsProbe"]
