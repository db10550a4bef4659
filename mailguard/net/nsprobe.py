"""Questions to one name server at one address, bypassing the resolver: is it there over IPv4,
over IPv6, and does it answer for the domain?

The resolver layer (:mod:`mailguard.net.dns`) asks the configured resolvers; this asks an
authoritative server directly, over a connected UDP socket so that a closed port (ICMP port
unreachable) is told apart from silence, and again over TCP when the answer is truncated
(RFC 7766). Each (address, port, question) is asked once per :class:`NameServerProbe`; every
wait has ``config.timeout``, every datagram is read with a size cap.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import dns.asyncquery
import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype

from ..core.config import Config
from ..core.errors import ConnectError
from ..core.model import Evidence
from .guard import check_address
from .limits import HostLimits, OnceCache

OK = "ok"  # a DNS response came back (whatever its rcode)
TIMEOUT = "timeout"
REFUSED = "refused"  # the port is closed (ICMP port unreachable / TCP reset)
UNREACHABLE = "unreachable"
BLOCKED = "blocked"  # outside the allowed networks; not contacted
ERROR = "error"  # something came back that is not a DNS response to our question

MAX_DATAGRAM = 65535
MAX_RECORDS_IN_EVIDENCE = 20


@dataclass(frozen=True)
class NsObservation:
    """One question to one server address.

    status: OK, TIMEOUT, REFUSED, UNREACHABLE, BLOCKED or ERROR; rcode/flags: of the response.
    soa_owners: owners of SOA records in the answer and authority sections (what zone answered).
    """

    host: str
    address: str
    port: int
    qname: str
    rdtype: str
    status: str
    rcode: str
    flags: tuple[str, ...]
    soa_owners: tuple[str, ...]
    transport: str
    elapsed_ms: float
    error: str
    evidence: Evidence
    response: dns.message.Message | None = field(default=None, repr=False, compare=False)

    @property
    def answered(self) -> bool:
        return self.status == OK

    @property
    def where(self) -> str:
        return f"[{self.address}]:{self.port}" if ":" in self.address else f"{self.address}:{self.port}"


class _Exchange(asyncio.DatagramProtocol):
    """One query over a connected UDP socket: the first datagram that answers it, or the error."""

    def __init__(self, query: dns.message.Message) -> None:
        self.query = query
        self.done: asyncio.Future[dns.message.Message] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if self.done.done():
            return
        try:
            response = dns.message.from_wire(data[:MAX_DATAGRAM], ignore_trailing=True)
        except dns.exception.DNSException:
            return  # junk is ignored, as a resolver would; the timeout ends the wait
        if self.query.is_response(response):
            self.done.set_result(response)

    def error_received(self, exc: Exception) -> None:
        if not self.done.done():
            self.done.set_exception(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_exception(exc or ConnectionError("socket closed"))


class NameServerProbe:
    """``net.ns``: direct questions to name servers, cached per scan, bounded per address."""

    def __init__(self, config: Config, limits: HostLimits) -> None:
        self.config = config
        self.limits = limits
        self._cache: OnceCache[tuple[Any, ...], NsObservation] = OnceCache()
        self.queries_sent = 0

    def close(self) -> None:
        self._cache.close()

    async def query(self, host: str, address: str, qname: str, rdtype: str = "SOA",
                    port: int | None = None) -> NsObservation:
        """Ask ``address`` (a name server called ``host``) for ``qname``/``rdtype``, once per scan."""
        port = self.config.dns_port if port is None else port
        key = (address, port, qname.lower().rstrip("."), rdtype.upper())
        return await self._cache.get(key, lambda: self._ask(host, address, port, key[2], key[3]))

    async def _ask(self, host: str, address: str, port: int, qname: str, rdtype: str) -> NsObservation:
        started = time.monotonic()
        stamp = datetime.now(UTC).isoformat(timespec="milliseconds")
        query = dns.message.make_query(qname, rdtype, use_edns=0, payload=self.config.edns_payload)
        query.flags &= ~dns.flags.RD  # an authoritative question: no recursion wanted

        def failure(status: str, error: str, transport: str = "udp") -> NsObservation:
            return _observation(host, address, port, qname, rdtype, status, None, transport, error, started, stamp)

        try:
            check_address(address, self.config)
        except ConnectError as exc:
            return failure(BLOCKED, exc.message)
        self.queries_sent += 1
        async with self.limits(address):
            try:
                response = await self._udp(query, address, port)
                transport = "udp"
                if response.flags & dns.flags.TC:
                    transport = "tcp"
                    response = await dns.asyncquery.tcp(query, address, timeout=self.config.timeout, port=port)
            except (TimeoutError, dns.exception.Timeout):
                return failure(TIMEOUT, f"no answer within {self.config.timeout:g} s")
            except ConnectionRefusedError:
                return failure(REFUSED, "port closed (connection refused)")
            except OSError as exc:
                return failure(UNREACHABLE, (str(exc) or type(exc).__name__)[:300])
            except (dns.exception.DNSException, EOFError, ValueError) as exc:
                return failure(ERROR, (str(exc) or type(exc).__name__)[:300], "tcp")
        return _observation(host, address, port, qname, rdtype, OK, response, transport, "", started, stamp)

    async def _udp(self, query: dns.message.Message, address: str, port: int) -> dns.message.Message:
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(self.config.timeout):
            transport, protocol = await loop.create_datagram_endpoint(
                lambda: _Exchange(query), remote_addr=(address, port))
            wire = query.to_wire()
            # One retransmission (as the shared resolver socket does): a single lost datagram
            # must not read as an unreachable name server.
            resend = loop.call_later(min(1.0, self.config.timeout / 2), transport.sendto, wire)
            try:
                transport.sendto(wire)
                return await protocol.done
            finally:
                resend.cancel()
                transport.close()


def _observation(host: str, address: str, port: int, qname: str, rdtype: str, status: str,
                 response: dns.message.Message | None, transport: str, error: str, started: float,
                 stamp: str) -> NsObservation:
    elapsed = (time.monotonic() - started) * 1000
    where = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
    rcode = dns.rcode.to_text(response.rcode()) if response is not None else ""
    flags = tuple(dns.flags.to_text(response.flags).lower().split()) if response is not None else ()
    records: list[str] = []
    soa_owners: list[str] = []
    if response is not None:
        for section in (response.answer, response.authority):
            for rrset in section:
                if rrset.rdtype == dns.rdatatype.SOA:
                    soa_owners.append(rrset.name.to_text(True).lower())
                records.extend(f"{rrset.name} {rrset.ttl} {dns.rdatatype.to_text(rrset.rdtype)} {r}"
                               for r in rrset)
    if status == OK:
        summary = (f"{rdtype} {qname} asked of {host} @{where} {rcode} flags={' '.join(flags)} "
                   f"{elapsed:.1f} ms {transport}")
    else:
        summary = f"{rdtype} {qname} asked of {host} @{where} {status.upper()}: {error} ({elapsed:.1f} ms)"
    evidence = Evidence("dns", summary, {
        "query": {"name": qname, "type": rdtype}, "server": host, "address": address, "port": port,
        "status": status, "rcode": rcode or None, "flags": list(flags), "transport": transport,
        "records": records[:MAX_RECORDS_IN_EVIDENCE], "error": error or None, "time": stamp,
        "elapsed_ms": round(elapsed, 2),
    })
    return NsObservation(host, address, port, qname, rdtype, status, rcode, flags, tuple(soa_owners),
                         transport, elapsed, error, evidence, response)


__all__ = ["BLOCKED", "ERROR", "OK", "REFUSED", "TIMEOUT", "UNREACHABLE", "NameServerProbe", "NsObservation"]
