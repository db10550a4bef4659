"""The only code that opens sockets. It observes and reports; it never judges.

:class:`Net` is the one seam a measure receives: a DNS client shared by the scan (or the batch),
and the probes of later measures, each caching per scan what it observed so that two measures
never repeat a handshake:

* ``net.dns``  :class:`~mailguard.net.dns.DnsClient`, questions and answers;
* ``net.tls``  :class:`~mailguard.net.tls.TlsProbe`, TLS handshakes (direct, e.g. HTTPS);
* ``net.smtp`` :class:`~mailguard.net.smtp.SmtpProbe`, SMTP sessions with STARTTLS;
* ``net.http`` :class:`~mailguard.net.http.HttpClient`, HTTP(S) exchanges, redirects hop by hop;
* ``net.ns``   :class:`~mailguard.net.nsprobe.NameServerProbe`, questions straight to a name server;
* ``net.routes`` :class:`~mailguard.net.route.RouteCheck`, whether this host can reach an address
  at all (no IPv6 here is "not tested", never a failure); injectable;
* ``net.limits`` the per-address connection bound (``config.max_concurrency_per_host``).
"""

from __future__ import annotations

import asyncio.sslproto
from collections.abc import Callable
from datetime import UTC, datetime

from ..core.config import Config
from .dns import DnsAnswer, DnsClient
from .http import HttpClient, HttpResponse, RedirectChain
from .limits import HostLimits
from .nsprobe import NameServerProbe, NsObservation
from .route import RouteCheck
from .smtp import SmtpObservation, SmtpProbe
from .tls import TlsObservation, TlsProbe

# asyncio gives every TLS connection a read buffer of SSLProtocol.max_size, 256 KiB in Python
# 3.11-3.13, allocated whole when the connection opens. A batch of full scans holds hundreds of
# handshakes at once (STARTTLS, HTTPS, version and cipher probes), so those buffers were most of its
# peak memory. The buffer only stages ciphertext read from the socket before OpenSSL takes it; a TLS
# record is at most 16 KiB plus 256 octets of expansion (RFC 8446 §5.2), so 32 KiB holds two, and a
# larger body is simply read in more turns. Set once, for this process, when the network room loads.
TLS_READ_BUFFER = 32 * 1024
if getattr(asyncio.sslproto.SSLProtocol, "max_size", 0) > TLS_READ_BUFFER:
    asyncio.sslproto.SSLProtocol.max_size = TLS_READ_BUFFER


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Net:
    """Everything a measure may use to observe the world."""

    def __init__(self, config: Config, *, dns: DnsClient | None = None,
                 now: Callable[[], datetime] = _utcnow, routes: RouteCheck | None = None) -> None:
        self.config = config
        self.dns = dns if dns is not None else DnsClient(config)
        self.now = now
        self.limits = HostLimits(config.max_concurrency_per_host)
        self.tls = TlsProbe(config, now, self.limits)
        self.smtp = SmtpProbe(config, now, self.limits, self.tls)
        self.http = HttpClient(config, self.dns, self.limits)
        self.ns = NameServerProbe(config, self.limits)
        self.routes = routes if routes is not None else RouteCheck()

    async def aclose(self) -> None:
        await self.http.aclose()
        self.ns.close()
        self.smtp.close()
        self.tls.close()
        self.dns.close()


__all__ = ["DnsAnswer", "DnsClient", "HttpClient", "HttpResponse", "NameServerProbe", "Net", "NsObservation",
           "RedirectChain", "RouteCheck", "SmtpObservation", "SmtpProbe", "TlsObservation", "TlsProbe"]
