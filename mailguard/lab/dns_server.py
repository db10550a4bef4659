"""The lab's DNS server: real UDP and TCP on loopback, answering from zone files.

It behaves like a recursive resolver that happens to know only the lab's zones: it answers for
every hosted zone, follows CNAME chains across them, synthesises wildcards (RFC 4592), tells
NXDOMAIN from NODATA (empty non-terminals included), truncates UDP answers larger than the
client's buffer (RFC 6891 §7) so the client retries over TCP, and can be told to stay silent for
some names or to delay every answer. Names in no hosted zone are REFUSED.

A zone named in ``lame`` is delegated (NS and glue in its parent) to servers that never answer
for it: asked as a resolver (RD set), the server says SERVFAIL for every name in it, as a
resolver does once the delegated servers have all failed; asked as the parent's authoritative
server (RD clear), it gives the referral (RFC 1034 §4.3.2), so a client can find out which
servers those are and try them itself.

Tests subclass it and override :meth:`LabDns.handle` to drop, delay or mangle answers. While
``handle`` is not overridden, plain queries are read and answered by :mod:`.dns_wire` instead of
through dnspython's messages (a fifth of the CPU, for benchmarks that share the scanner's
machine); both paths take their answer from the same resolution (:meth:`LabDns._reply`).
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.node
import dns.rcode
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.zone

from . import dns_wire
from .dnssec import DnssecView
from .proofs import ZoneProofs
from .runner import BackgroundLoop

MAX_CNAME_CHAIN = 8
TCP_READ_TIMEOUT = 10.0
BIND_ATTEMPTS = 20
RECEIVE_BUFFER = 4 * 1024 * 1024


def load_zone_file(path: Path) -> dns.zone.Zone:
    """A zone from ``<origin>.zone``; the file name gives the origin."""
    origin = path.name.removesuffix(".zone")
    return dns.zone.from_text(path.read_text(), origin=origin, relativize=False, check_origin=True)


def load_zone_text(origin: str, text: str) -> dns.zone.Zone:
    return dns.zone.from_text(text, origin=origin, relativize=False, check_origin=True)


def load_zone_dir(directory: Path) -> list[dns.zone.Zone]:
    return [load_zone_file(p) for p in sorted(directory.glob("*.zone"))]


class _ZoneIndex:
    """Zones by origin, every name that exists in them (empty non-terminals included), and the
    denial proofs of the signed ones."""

    def __init__(self, zones: Iterable[dns.zone.Zone]) -> None:
        self.zones: dict[dns.name.Name, dns.zone.Zone] = {}
        self.existing: set[dns.name.Name] = set()
        self.proofs: dict[dns.name.Name, ZoneProofs] = {}
        self._records: dict[int, tuple[dns.rdataset.Rdataset, dns_wire.Records | None]] = {}
        for zone in zones:
            assert zone.origin is not None
            self.zones[zone.origin] = zone
            for name in zone.nodes:
                absolute = name if name.is_absolute() else name.derelativize(zone.origin)
                while absolute != zone.origin and absolute.is_subdomain(zone.origin):
                    self.existing.add(absolute)
                    absolute = absolute.parent()
            self.existing.add(zone.origin)
        for origin, zone in self.zones.items():
            proofs = ZoneProofs.of(zone, self.existing)
            if proofs is not None:
                self.proofs[origin] = proofs

    def records(self, rdataset: dns.rdataset.Rdataset) -> dns_wire.Records | None:
        """``rdataset`` ready to write, made once per rdataset (the zones do not change while
        they are this index's: set_zones and replace_zone make a new one)."""
        known = self._records.get(id(rdataset))
        if known is None or known[0] is not rdataset:
            known = self._records[id(rdataset)] = (rdataset, dns_wire.Records.of(rdataset))
        return known[1]

    def zone_for(self, name: dns.name.Name) -> dns.zone.Zone | None:
        candidate = name
        while True:
            zone = self.zones.get(candidate)
            if zone is not None:
                return zone
            if candidate == dns.name.root:
                return None
            candidate = candidate.parent()


# An RRset of an answer: its owner and the zone's rdataset (RRSIGs: the rdataset that covers).
_Owned = tuple[dns.name.Name, dns.rdataset.Rdataset]


@dataclass
class _Reply:
    """An answer before it is a message: header flags beyond QR and RD, rcode, whether the OPT
    record says DO, and the answer, authority and additional sections."""

    flags: int = 0
    rcode: dns.rcode.Rcode = dns.rcode.NOERROR
    dnssec_ok: bool = False
    answer: list[_Owned] = field(default_factory=list)
    authority: list[_Owned] = field(default_factory=list)
    additional: list[_Owned] = field(default_factory=list)

    @property
    def sections(self) -> tuple[list[_Owned], list[_Owned], list[_Owned]]:
        return self.answer, self.authority, self.additional


class LabDns:
    """A DNS server for lab zones; ``start()`` it (or use it as a context manager)."""

    def __init__(
        self,
        zones: Iterable[dns.zone.Zone],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        delay: float = 0.0,
        silent: Iterable[str] = (),
        dnssec: DnssecView | None = None,
        lame: Iterable[str] = (),
    ) -> None:
        self._index = _ZoneIndex(zones)
        self.host = host
        self.port = port
        self.delay = delay
        self.silent = {dns.name.from_text(n) for n in silent}
        self.dnssec = dnssec
        self.lame = {dns.name.from_text(n) for n in lame}
        self.queries = 0
        self._loop: BackgroundLoop | None = None
        self._transport: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None

    # -- zones --------------------------------------------------------------------------------
    def set_zones(self, zones: Iterable[dns.zone.Zone]) -> None:
        """Replace all zones at once (tests change the lab between two scans)."""
        self._index = _ZoneIndex(zones)

    def replace_zone(self, zone: dns.zone.Zone) -> None:
        zones = dict(self._index.zones)
        assert zone.origin is not None
        zones[zone.origin] = zone
        self._index = _ZoneIndex(zones.values())

    @property
    def address(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    # -- answering ----------------------------------------------------------------------------
    def handle(self, query: dns.message.Message, transport: str) -> dns.message.Message | None:
        """The answer to ``query``, or None to stay silent. Override in tests."""
        if not query.question:
            response = dns.message.make_response(query)
            response.set_rcode(dns.rcode.FORMERR)
            return response
        question = query.question[0]
        reply = self._reply(question.name, question.rdtype, query.flags, query.ednsflags)
        if reply is None:
            return None
        response = dns.message.make_response(query)
        response.flags |= reply.flags
        response.set_rcode(reply.rcode)
        if reply.dnssec_ok:
            response.ednsflags |= dns.flags.DO
        for section, records in zip(response.sections[1:], reply.sections, strict=True):
            for owner, rdataset in records:
                rrset = dns.rrset.RRset(owner, rdataset.rdclass, rdataset.rdtype, rdataset.covers)
                rrset.update(rdataset)  # type: ignore[no-untyped-call]
                section.append(rrset)
        return response

    def _reply(self, qname: dns.name.Name, rdtype: int, flags: int, ednsflags: int) -> _Reply | None:
        """What to answer about ``qname``/``rdtype`` to a query with these header and EDNS
        flags; None to stay silent."""
        if any(qname == n or qname.is_subdomain(n) for n in self.silent):
            return None
        cut = next((n for n in self.lame if qname == n or qname.is_subdomain(n)), None)
        if cut is not None:
            return self._lame(flags, cut)
        # RFC 3225 §3: the response copies DO.
        reply = _Reply(flags=dns.flags.RA, dnssec_ok=bool(ednsflags & dns.flags.DO))
        seen: list[tuple[dns.name.Name, dns.name.Name, int]] = []
        self._resolve(qname, dns.rdatatype.RdataType.make(rdtype), reply, want_dnssec=reply.dnssec_ok,
                      seen=seen)
        return self._validating(flags, ednsflags, reply, seen)

    def _lame(self, flags: int, cut: dns.name.Name) -> _Reply:
        """SERVFAIL to a resolver's question; the referral to an authoritative one."""
        parent = self._index.zone_for(cut.parent())
        delegation = parent.get_rdataset(cut, dns.rdatatype.NS) if parent is not None else None
        if flags & dns.flags.RD or parent is None or delegation is None:
            return _Reply(flags=dns.flags.RA, rcode=dns.rcode.SERVFAIL)
        reply = _Reply()
        reply.authority.append((cut, delegation))
        for target in sorted({rdata.target for rdata in delegation}):
            for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
                glue = parent.get_rdataset(target, rdtype)
                if glue is not None:
                    reply.additional.append((target, glue))
        return reply

    def _validating(self, flags: int, ednsflags: int, reply: _Reply,
                    seen: list[tuple[dns.name.Name, dns.name.Name, int]]) -> _Reply:
        """Behave like a validating resolver (RFC 4035 §5.5, RFC 6840 §5.7-5.9): bogus data is
        SERVFAIL unless the query sets CD; AD only when every RRset used comes from a zone whose
        chain of trust from the lab root is intact, and only for queries that set DO or AD."""
        view = self.dnssec
        if view is None or not seen:
            return reply
        checking_disabled = bool(flags & dns.flags.CD)
        bogus = any(zone in view.bogus_zones or (owner, rdtype) in view.bogus_rrsets
                    for zone, owner, rdtype in seen)
        if bogus and not checking_disabled:
            return _Reply(flags=dns.flags.RA, rcode=dns.rcode.SERVFAIL)
        wants_ad = bool(ednsflags & dns.flags.DO) or bool(flags & dns.flags.AD)
        if wants_ad and not checking_disabled and not bogus and all(z in view.secure for z, _, _ in seen):
            reply.flags |= dns.flags.AD
        return reply

    def _resolve(self, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType, response: _Reply,
                 *, want_dnssec: bool, depth: int = 0,
                 seen: list[tuple[dns.name.Name, dns.name.Name, int]] | None = None) -> None:
        index = self._index
        seen = seen if seen is not None else []
        zone = index.zone_for(qname)
        if zone is None:
            if depth == 0:
                response.rcode = dns.rcode.REFUSED
            return
        if rdtype == dns.rdatatype.DS and zone.origin == qname and qname != dns.name.root:
            # RFC 4035 §3.1.4.1: the DS of a zone lives in its parent; answer from there.
            zone = index.zone_for(qname.parent()) or zone
        assert zone.origin is not None
        node = zone.get_node(qname)
        owner = qname
        wildcard = None
        if node is None and qname not in index.existing:
            node = self._wildcard(zone, qname)
            wildcard = node
        if node is None:
            nxdomain = qname not in index.existing
            if nxdomain:
                response.rcode = dns.rcode.NXDOMAIN
            self._add_soa(zone, response, want_dnssec)
            self._add_proof(zone, qname, response, want_dnssec, "nxdomain" if nxdomain else "nodata")
            seen.append((zone.origin, qname, rdtype))
            return
        seen.append((zone.origin, owner, rdtype))
        rdataset = node.get_rdataset(dns.rdataclass.IN, rdtype)
        if rdataset is not None:
            self._add(response.answer, owner, rdataset, node, rdtype, want_dnssec)
            if wildcard is not None:
                self._add_proof(zone, qname, response, want_dnssec, "wildcard")
            return
        cname = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
        if cname is not None and rdtype != dns.rdatatype.CNAME:
            self._add(response.answer, owner, cname, node, dns.rdatatype.CNAME, want_dnssec)
            if depth < MAX_CNAME_CHAIN:
                self._resolve(cname[0].target, rdtype, response, want_dnssec=want_dnssec, depth=depth + 1,
                              seen=seen)
            return
        self._add_soa(zone, response, want_dnssec)
        self._add_proof(zone, qname, response, want_dnssec, "wildcard-nodata" if wildcard else "nodata")

    def _add_proof(self, zone: dns.zone.Zone, qname: dns.name.Name, response: _Reply,
                   want_dnssec: bool, kind: str) -> None:
        """The NSEC/NSEC3 records (with RRSIGs) proving a denial or a wildcard answer."""
        assert zone.origin is not None
        proofs = self._index.proofs.get(zone.origin)
        if not want_dnssec or proofs is None:
            return
        if kind == "nxdomain":
            owners = proofs.nxdomain(qname)
        elif kind == "nodata":
            owners = proofs.nodata(qname)
        else:
            source = self._wildcard_source(zone, qname)
            owners = proofs.wildcard(qname, source)
            if kind == "wildcard-nodata":
                owners = list(dict.fromkeys(owners + proofs.nodata(source)))
        present = {(name, rdataset.rdtype) for name, rdataset in response.authority}
        for owner in owners:
            node = zone.get_node(owner)
            rdataset = node.get_rdataset(dns.rdataclass.IN, proofs.rdtype) if node is not None else None
            if node is not None and rdataset is not None and (owner, proofs.rdtype) not in present:
                self._add(response.authority, owner, rdataset, node, proofs.rdtype, True)
                present.add((owner, proofs.rdtype))

    def _wildcard(self, zone: dns.zone.Zone, qname: dns.name.Name) -> dns.node.Node | None:
        """The wildcard at ``qname``'s closest encloser (RFC 4592 §3.3.1), if there is one."""
        return zone.get_node(self._wildcard_source(zone, qname))

    def _wildcard_source(self, zone: dns.zone.Zone, qname: dns.name.Name) -> dns.name.Name:
        assert zone.origin is not None
        encloser = qname.parent()
        while encloser not in self._index.existing and encloser != zone.origin:
            encloser = encloser.parent()
        return dns.name.Name((b"*",) + encloser.labels)

    @staticmethod
    def _add(section: list[_Owned], owner: dns.name.Name, rdataset: dns.rdataset.Rdataset,
             node: dns.node.Node, rdtype: dns.rdatatype.RdataType, want_dnssec: bool) -> None:
        section.append((owner, rdataset))
        if want_dnssec:
            sigs = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.RRSIG, rdtype)
            if sigs is not None:
                section.append((owner, sigs))

    def _add_soa(self, zone: dns.zone.Zone, response: _Reply, want_dnssec: bool) -> None:
        assert zone.origin is not None
        apex = zone.get_node(zone.origin)
        soa = apex.get_rdataset(dns.rdataclass.IN, dns.rdatatype.SOA) if apex else None
        if apex is not None and soa is not None:
            self._add(response.authority, zone.origin, soa, apex, dns.rdatatype.SOA, want_dnssec)

    # -- the wire -----------------------------------------------------------------------------
    def _answer_wire(self, data: bytes, transport: str) -> bytes | None:
        self.queries += 1
        server = self._plain_server()
        query = dns_wire.parse_query(data) if server is not None else None
        if server is not None and query is not None:
            answered, wire = server._answer_plain(query, transport)
            if answered:
                return wire
        return self._answer_message(data, transport)

    def _plain_server(self) -> LabDns | None:
        """The server whose zones answer plain queries without dnspython's messages; None when
        ``handle`` is overridden (every query must then reach it)."""
        return self if type(self).handle is LabDns.handle else None

    def _answer_plain(self, query: dns_wire.Query, transport: str) -> tuple[bool, bytes | None]:
        """(True, the answer or None for silence) to a plain query, read and written by
        :mod:`.dns_wire`; (False, None) when dnspython must answer it."""
        index = self._index
        reply = self._reply(dns.name.Name(query.labels + (b"",)), query.rdtype, query.flags, query.ednsflags)
        if reply is None:
            return True, None
        sections: list[list[tuple[dns_wire.Name, dns_wire.Records]]] = []
        for section in reply.sections:
            written = []
            for owner, rdataset in section:
                name, records = dns_wire.wire_name(owner), index.records(rdataset)
                if name is None or records is None:
                    return False, None
                written.append((name, records))
            sections.append(written)
        header = dns_wire.QR | (query.flags & dns_wire.RD)
        if transport == "tcp":
            wire = dns_wire.render(query, header | reply.flags, reply.rcode, reply.dnssec_ok, sections, 65535)
            return wire is not None, wire  # too big for TCP: dnspython says so, as it always did
        limit = max(512, query.payload) if query.edns else 512
        wire = dns_wire.render(query, header | reply.flags, reply.rcode, reply.dnssec_ok, sections, limit)
        if wire is None:  # RFC 6891 §7: no records, TC set, and the client retries over TCP
            wire = dns_wire.render(query, header | dns.flags.TC | dns.flags.RA, 0, False, ((), (), ()), 65535)
        return True, wire

    def _answer_message(self, data: bytes, transport: str) -> bytes | None:
        try:
            query = dns.message.from_wire(data)
        except dns.exception.DNSException:
            return None
        response = self.handle(query, transport)
        if response is None:
            return None
        if transport == "tcp":
            return response.to_wire(max_size=65535)
        limit = max(512, query.payload) if query.edns >= 0 else 512
        try:
            return response.to_wire(max_size=limit)
        except dns.exception.TooBig:
            truncated = dns.message.make_response(query)
            truncated.flags |= dns.flags.TC | dns.flags.RA
            return truncated.to_wire()

    async def _serve(self) -> None:
        loop = asyncio.get_running_loop()
        server = self

        class Udp(asyncio.DatagramProtocol):
            transport: asyncio.DatagramTransport

            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                # Python 3.11's selector transport does not subclass DatagramTransport.
                self.transport = cast(asyncio.DatagramTransport, transport)

            def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
                wire = server._answer_wire(data, "udp")
                if wire is None:
                    return
                sendto = self.transport.sendto
                if server.delay:
                    loop.call_later(server.delay, sendto, wire, addr)
                else:
                    sendto(wire, addr)

        wanted = self.port
        for _attempt in range(BIND_ATTEMPTS):
            transport, _ = await loop.create_datagram_endpoint(Udp, local_addr=(self.host, wanted))
            port = transport.get_extra_info("sockname")[1]
            sock = transport.get_extra_info("socket")
            if sock is not None:  # bursts of a batch's questions must not be dropped
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
            try:
                self._tcp = await asyncio.start_server(self._tcp_client, self.host, port)
            except OSError:
                # The UDP port's number is taken for TCP by someone else: try another pair.
                transport.close()
                if wanted:
                    raise
                continue
            self._transport, self.port = transport, port
            return
        raise OSError(f"no free UDP+TCP port pair on {self.host} after {BIND_ATTEMPTS} attempts")

    async def _tcp_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                async with asyncio.timeout(TCP_READ_TIMEOUT):
                    size = struct.unpack("!H", await reader.readexactly(2))[0]
                    data = await reader.readexactly(size)
                wire = self._answer_wire(data, "tcp")
                if wire is None:
                    await asyncio.sleep(TCP_READ_TIMEOUT)
                    return
                if self.delay:
                    await asyncio.sleep(self.delay)
                writer.write(struct.pack("!H", len(wire)) + wire)
                async with asyncio.timeout(TCP_READ_TIMEOUT):  # a client that stops reading
                    await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            pass
        except asyncio.CancelledError:  # the server stops while a client is held silent: end quietly
            pass
        finally:
            writer.close()

    # -- life cycle ---------------------------------------------------------------------------
    def start(self, loop: BackgroundLoop | None = None) -> LabDns:
        self._loop = loop or BackgroundLoop().start()
        self._own_loop = loop is None
        self._loop.run(self._serve())
        return self

    def stop(self) -> None:
        if self._loop is None:
            return

        async def close() -> None:
            if self._transport is not None:
                self._transport.close()
            if self._tcp is not None:
                self._tcp.close()

        self._loop.run(close())
        if self._own_loop:
            self._loop.stop()
        self._loop = None

    def __enter__(self) -> LabDns:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class LabDnsMirror(LabDns):
    """The same DNS server listening on another address (``::1`` beside ``127.0.0.1``, on the
    same port): every question is answered by ``primary``, so its zones, silences, subclassed
    ``handle`` and DNSSEC view apply to both, and a name server's IPv6 address can be asked."""

    def __init__(self, primary: LabDns, *, host: str = "::1") -> None:
        super().__init__((), host=host, port=primary.port, delay=primary.delay)
        self.primary = primary

    def handle(self, query: dns.message.Message, transport: str) -> dns.message.Message | None:
        return self.primary.handle(query, transport)

    def _plain_server(self) -> LabDns | None:
        return self.primary._plain_server()


class LabDnsSilent(LabDns):
    """A name server that reads every question and never answers (a lame delegation's server)."""

    def __init__(self, *, host: str, port: int) -> None:
        super().__init__((), host=host, port=port)

    def handle(self, query: dns.message.Message, transport: str) -> dns.message.Message | None:
        return None
