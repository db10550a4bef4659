"""The DNS seam: every query mailguard sends goes through :class:`DnsClient`.

A query never raises for what the DNS says (NXDOMAIN, NODATA, SERVFAIL, timeouts): it returns a
:class:`DnsAnswer` observation whose ``status`` tells them apart and whose ``evidence`` is what a
report shows. Each (name, type) is asked once per client (a scan, or a whole batch), and
concurrent askers of the same question share one query in flight.

Every question carries the DO bit (RFC 3225), so one answer serves a measure that reads the
records and the DNSSEC validator that needs their signatures and denial proofs: a name is not
asked twice, once plain and once for DNSSEC. A validating resolver still refuses bogus data
(SERVFAIL) and still reports its verdict in the AD bit; only a question with CD set (the
validator's second look at data the resolver refused) bypasses that.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import dns.asyncquery
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.resolver

from ..core.config import Config
from ..core.errors import InputError, NoResolver
from ..core.model import Evidence
from .guard import address_allowed
from .udpmux import UdpMux
from .wire import SINGLETON_TYPES, Header, Unusual, WireRecord, encode_query, read_answer_records, read_header

# Statuses of a DnsAnswer. The first three are answers; the rest mean "could not be tested".
OK, NODATA, NXDOMAIN = "ok", "nodata", "nxdomain"
SERVFAIL, REFUSED, TIMEOUT, ERROR = "servfail", "refused", "timeout", "error"
ANSWERED = frozenset({OK, NODATA, NXDOMAIN})

MAX_RECORDS_IN_EVIDENCE = 200  # a huge RRset is still bounded in a report
DEFAULT_CACHE_SIZE = 10_000  # answers kept (~3x what 100 full scans in flight ask); bounded for any batch


@dataclass(frozen=True)
class DnsRecord:
    name: str
    rdtype: str
    ttl: int
    text: str


@dataclass(frozen=True)
class DnsAnswer:
    """What one question got back.

    status: ok / nodata / nxdomain (the DNS answered) or servfail / refused / timeout / error.
    records: the records of the asked type at the end of any CNAME chain.
    cnames: the CNAME chain followed, as ``alias -> target`` strings.
    rdatas: the dnspython rdata objects behind ``records`` (for parsing; not in reports).
    wire: the response as it arrived over UDP, kept so that :attr:`message` can be read from it
        when the DNSSEC validator asks (most answers are never read whole).
    parsed: the response when dnspython has read it already (over TCP; an unusual message).
    """

    qname: str
    rdtype: str
    resolver: str
    status: str
    rcode: str
    flags: tuple[str, ...]
    records: tuple[DnsRecord, ...]
    cnames: tuple[str, ...]
    transport: str
    time: str
    elapsed_ms: float
    error: str
    evidence: Evidence
    rdatas: tuple[Any, ...] = field(default=(), repr=False, compare=False)
    wire: bytes | None = field(default=None, repr=False, compare=False)
    parsed: dns.message.Message | None = field(default=None, repr=False, compare=False)

    @functools.cached_property
    def message(self) -> dns.message.Message | None:
        """The whole response (RRSIGs, NSEC/NSEC3 records, the authority section), read on first
        use; None when there was no response, or when dnspython cannot read it."""
        if self.parsed is not None or self.wire is None:
            return self.parsed
        try:
            return dns.message.from_wire(self.wire)
        except dns.exception.DNSException:
            return None

    @property
    def answered(self) -> bool:
        """The DNS gave an authoritative answer (records, NODATA or NXDOMAIN)."""
        return self.status in ANSWERED

    @property
    def failed(self) -> bool:
        """No usable answer: the question could not be tested (timeout, SERVFAIL, ...)."""
        return self.status not in ANSWERED

    @property
    def ad(self) -> bool:
        return "ad" in self.flags

    @property
    def ttl(self) -> int | None:
        return min((r.ttl for r in self.records), default=None)

    @property
    def canonical_name(self) -> str:
        if self.cnames:
            return self.cnames[-1].split(" -> ")[1]
        return self.qname

    def txt_strings(self) -> tuple[str, ...]:
        """TXT records, each record's character-strings joined (RFC 7208 §3.3), decoded as UTF-8."""
        out = []
        for rdata in self.rdatas:
            if rdata.rdtype == dns.rdatatype.TXT:
                out.append(b"".join(rdata.strings).decode("utf-8", errors="replace"))
        return tuple(out)


@dataclass(slots=True)
class _Sent:
    """A question as :meth:`DnsClient._send_first` left it: encoded, and on its way to the first
    resolver (``first``, the future of the answer's bytes), or not a valid question (``error``)."""

    started: float
    stamp: str
    wire: bytes = b""
    qname: dns.name.Name | None = None
    qtype: Any = None
    first: asyncio.Future[bytes] | None = None
    error: str = ""


def _all_done(futures: list[asyncio.Future[DnsAnswer]]) -> asyncio.Future[None]:
    """A new future, done once every one of ``futures`` is; cancelling it leaves them alone."""
    waiter: asyncio.Future[None] = futures[0].get_loop().create_future()
    remaining = len(futures)

    def one_done(future: asyncio.Future[DnsAnswer]) -> None:
        nonlocal remaining
        remaining -= 1
        if not future.cancelled():
            future.exception()  # read here, so that an asker gone by then leaves no "never retrieved"
        if remaining == 0 and not waiter.done():
            waiter.set_result(None)

    for future in futures:
        future.add_done_callback(one_done)
    return waiter


def parse_nameserver(text: str) -> tuple[str, int]:
    """``HOST[:PORT]`` as the CLI takes it: ``9.9.9.9``, ``127.0.0.1:5353``, ``::1``, ``[::1]:53``."""
    value = text.strip()
    host, port = value, 53
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        if rest:
            if not rest.startswith(":"):
                raise InputError(f"bad nameserver {text!r}: expected [ADDRESS]:PORT")
            port = _port(rest[1:], text)
    elif value.count(":") == 1:
        host, port_text = value.split(":")
        port = _port(port_text, text)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise InputError(f"bad nameserver {text!r}: give an IP address, optionally with :PORT") from None
    return host, port


def _port(text: str, whole: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise InputError(f"bad nameserver {whole!r}: port must be 1-65535")
    return int(text)


def system_nameservers() -> tuple[tuple[str, int], ...]:
    try:
        resolver = dns.resolver.Resolver(configure=True)
    except dns.exception.DNSException:
        return ()
    return tuple((str(ns), 53) for ns in resolver.nameservers)


class DnsClient:
    """Asks questions, caches answers, and turns each answer into evidence.

    The cache keeps the ``cache_size`` most recently used answers: within one domain's scan
    every question is asked once, and across a batch the popular ones (a provider's SPF
    include) stay while finished domains' answers make room.
    """

    def __init__(self, config: Config, *, cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        servers = config.nameservers or system_nameservers()
        if not servers:
            raise NoResolver("no nameserver configured and none found in /etc/resolv.conf")
        for host, _port in servers:
            # The resolvers are the user's choice (--nameserver, or the system's); only the lab's
            # confinement to loopback applies to them.
            if not config.public_networks and not address_allowed(host, config):
                raise NoResolver(f"nameserver {host} is outside the allowed networks")
        self.nameservers = servers
        self.timeout = config.timeout
        self.payload = config.edns_payload
        self._cache: OrderedDict[tuple[str, str, bool], asyncio.Future[DnsAnswer]] = OrderedDict()
        self._cache_size = cache_size
        self._muxes = {server: UdpMux(*server) for server in servers}
        self.queries_sent = 0

    @property
    def resolver_names(self) -> tuple[str, ...]:
        return tuple(_where(host, port) for host, port in self.nameservers)

    async def query(self, name: str, rdtype: str, *, cd: bool = False) -> DnsAnswer:
        """Ask once per client; concurrent askers share the answer. ``cd``: Checking Disabled
        (RFC 4035 §3.2.2), for the DNSSEC validator only: a validating resolver then hands over
        data it would refuse as bogus."""
        future = self._future(name, rdtype, cd)
        if not future.done():
            await _all_done([future])
        return future.result()

    def _future(self, name: str, rdtype: str, cd: bool) -> asyncio.Future[DnsAnswer]:
        """The shared future of a question: from the cache, or a new question on its way."""
        key = (name.lower().rstrip("."), rdtype.upper(), cd)
        future = self._cache.get(key)
        if future is None:
            future = asyncio.ensure_future(self._ask(key[0], key[1], cd, self._send_first(key[0], key[1], cd)))
            self._cache[key] = future
            self._evict()
        else:
            self._cache.move_to_end(key)
        return future

    def _evict(self) -> None:
        while len(self._cache) > self._cache_size:
            key, oldest = next(iter(self._cache.items()))
            if not oldest.done():
                return  # everything older is still in flight; let the cache overshoot a little
            del self._cache[key]

    async def query_many(self, questions: Iterable[tuple[str, str]], *, cd: bool = False) -> list[DnsAnswer]:
        """Ask several independent questions concurrently and return their answers in order.

        The asker waits on one future of its own for all the shared ones (never on a shared one
        itself, so that a cancelled asker cannot cancel a question others wait for), without a
        task, shield or gather per question: a batch asks hundreds of thousands of them. When
        every answer is cached already, nothing is waited for."""
        futures = [self._future(n, t, cd) for n, t in questions]
        pending = [f for f in futures if not f.done()]
        if pending:
            await _all_done(pending)
        return [f.result() for f in futures]

    def close(self) -> None:
        """Cancel questions still in flight (after a deadline) and close the sockets."""
        for future in self._cache.values():
            if not future.done():
                future.cancel()
        for mux in self._muxes.values():
            mux.close()

    def _send_first(self, name: str, rdtype: str, cd: bool) -> _Sent:
        """Encode a question and send it to the first resolver now, as it is asked: a chain's
        next question goes out the moment its answer is read, not a loop turn later behind
        everything else that is ready."""
        started = time.monotonic()
        stamp = datetime.now(UTC).isoformat(timespec="milliseconds")
        try:
            qtype = dns.rdatatype.from_text(rdtype)
            # RFC 6840 §5.7: AD in a query asks a validating resolver to report its verdict in the
            # answer's AD bit even without DO; the evidence then shows what it concluded.
            wire = encode_query(0, name, qtype, payload=self.payload, dnssec=True, cd=cd, ad=not cd)
            qname: dns.name.Name | None = None  # parsed by dnspython only if it must build the query
        except (dns.exception.DNSException, ValueError):
            try:
                qname = dns.name.from_text(name)
                qtype = dns.rdatatype.from_text(rdtype)
            except (dns.exception.DNSException, ValueError) as exc:
                return _Sent(started, stamp, error=f"not a valid question: {exc}")
            wire = self._message(qname, qtype, cd).to_wire()
        self.queries_sent += 1
        first = self._muxes[self.nameservers[0]].start(wire, self.timeout)  # it keeps the timeout
        return _Sent(started, stamp, wire, qname, qtype, first)

    async def _ask(self, name: str, rdtype: str, cd: bool, sent: _Sent) -> DnsAnswer:
        started, stamp, wire, qname, qtype = sent.started, sent.stamp, sent.wire, sent.qname, sent.qtype
        if sent.first is None:
            return _failure(name, rdtype, "-", ERROR, sent.error, started, stamp)
        last: DnsAnswer | None = None
        for index, (host, port) in enumerate(self.nameservers):
            where = _where(host, port)
            try:
                if index > 0:  # the first resolver was asked in _send_first
                    self.queries_sent += 1
                data = await (sent.first if index == 0 else self._muxes[(host, port)].start(wire, self.timeout))
                header = read_header(data)
                if header.truncated:  # the whole answer over TCP (RFC 7766)
                    query = self._message(qname or dns.name.from_text(name), qtype, cd)
                    async with asyncio.timeout(self.timeout):
                        response = await dns.asyncquery.tcp(query, host, timeout=self.timeout, port=port)
                    return _answer(name, rdtype, where, response, True, started, stamp)
            except (TimeoutError, dns.exception.Timeout):
                last = _failure(name, rdtype, where, TIMEOUT, f"no answer within {self.timeout:g} s", started, stamp)
                continue
            except (OSError, EOFError, dns.exception.DNSException, ValueError) as exc:
                last = _failure(name, rdtype, where, ERROR, _describe(exc), started, stamp)
                continue
            if header.ancount == 0 and header.rcode in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
                return _empty(name, rdtype, where, header, data, started, stamp)  # no records to read
            try:
                return _answer_read(name, rdtype, where, data, started, stamp)
            except Unusual:
                pass  # dnspython reads it, below
            try:
                response = dns.message.from_wire(data)
            except dns.exception.DNSException as exc:
                last = _failure(name, rdtype, where, ERROR, f"malformed answer: {_describe(exc)}", started, stamp)
                continue
            return _answer(name, rdtype, where, response, False, started, stamp)
        assert last is not None
        return last

    def _message(self, qname: dns.name.Name, qtype: dns.rdatatype.RdataType, cd: bool) -> dns.message.Message:
        query = dns.message.make_query(qname, qtype, use_edns=0, payload=self.payload, want_dnssec=True)
        query.flags |= dns.flags.CD if cd else dns.flags.AD
        return query


def _where(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text[:300]


def _flags(message: dns.message.Message) -> tuple[str, ...]:
    return tuple(dns.flags.to_text(message.flags).lower().split())


def _answer(
    name: str, rdtype: str, where: str, response: dns.message.Message, used_tcp: bool,
    started: float, stamp: str,
) -> DnsAnswer:
    """The answer read from ``response`` (kept whole: its signatures and denial proofs)."""
    rcode = response.rcode()
    rcode_text = dns.rcode.to_text(rcode)
    cnames: list[str] = []
    records: list[DnsRecord] = []
    rdatas: list[Any] = []
    status = {dns.rcode.NOERROR: OK, dns.rcode.NXDOMAIN: NXDOMAIN,
              dns.rcode.SERVFAIL: SERVFAIL, dns.rcode.REFUSED: REFUSED}.get(rcode, ERROR)
    if rcode in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        try:
            chain = response.resolve_chaining()  # type: ignore[attr-defined]  # a QueryMessage
        except dns.exception.DNSException as exc:
            return _failure(name, rdtype, where, ERROR, f"unusable answer: {_describe(exc)}", started, stamp)
        for rrset in response.answer:
            if rrset.rdtype == dns.rdatatype.CNAME and rrset.rdtype != dns.rdatatype.from_text(rdtype):
                for rdata in rrset:
                    cnames.append(f"{rrset.name.to_text(True)} -> {rdata.target.to_text(True)}")
        if chain.answer is not None:
            for rdata in chain.answer:
                rdatas.append(rdata)
                records.append(DnsRecord(chain.answer.name.to_text(True), rdtype, chain.answer.ttl,
                                         rdata.to_text()))
        if status == OK and not records:
            status = NODATA
    return _answer_of(name, rdtype, where, status, rcode_text, _flags(response), records, cnames,
                      "tcp" if used_tcp else "udp", started, stamp, tuple(rdatas), parsed=response)


def _answer_read(name: str, rdtype: str, where: str, data: bytes, started: float, stamp: str) -> DnsAnswer:
    """The answer of an ordinary response with records, read without building a dns.message:
    the same answer :func:`_answer` reads from dnspython's message (the records of the asked
    type at the end of the CNAME chain, RFC 1034 §4.3.2), for a fifth of the CPU. Raises Unusual
    for anything it leaves to dnspython."""
    header, wire_records = read_answer_records(data)
    if header.rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        raise Unusual("an error response")
    qtype = dns.rdatatype.from_text(rdtype)
    rrsets = _rrsets(data, wire_records)
    current, answer, links = name.rstrip("."), None, 0
    while links < dns.message.MAX_CHAIN:
        answer = rrsets.get((current.lower(), qtype))
        alias = rrsets.get((current.lower(), dns.rdatatype.CNAME)) if qtype != dns.rdatatype.CNAME else None
        if answer is not None or alias is None:
            break
        current, links = alias[1][0].target.to_text(True), links + 1
    problem: dns.exception.DNSException | None = None
    if links >= dns.message.MAX_CHAIN:
        problem = dns.message.ChainTooLong()  # type: ignore[no-untyped-call]
    elif header.rcode == dns.rcode.NXDOMAIN and answer is not None:
        problem = dns.message.AnswerForNXDOMAIN()  # type: ignore[no-untyped-call]
    if problem is not None:
        return _failure(name, rdtype, where, ERROR, f"unusable answer: {_describe(problem)}", started, stamp)
    cnames = [f"{owner} -> {rdata.target.to_text(True)}" for (_, rrtype), (owner, rdatas, _) in rrsets.items()
              if rrtype == dns.rdatatype.CNAME and qtype != dns.rdatatype.CNAME for rdata in rdatas]
    records: list[DnsRecord] = []
    rdatas: tuple[Any, ...] = ()
    if answer is not None:
        owner, found, ttl = answer
        rdatas = tuple(found)
        records = [DnsRecord(owner, rdtype, ttl, rdata.to_text()) for rdata in found]
    status = NXDOMAIN if header.rcode == dns.rcode.NXDOMAIN else OK if records else NODATA
    rcode_text = dns.rcode.to_text(dns.rcode.Rcode(header.rcode))
    return _answer_of(name, rdtype, where, status, rcode_text, header.flag_names, records, cnames, "udp",
                      started, stamp, rdatas, wire=data)


def _rrsets(data: bytes, wire_records: list[WireRecord]) -> dict[tuple[str, int], tuple[str, list[Any], int]]:
    """The answer section's records grouped as dnspython groups them: by owner (case-insensitive)
    and type, in order of first appearance, repeats dropped, the set's TTL the lowest."""
    rrsets: dict[tuple[str, int], tuple[str, list[Any], int]] = {}
    for record in wire_records:
        try:
            rdata = dns.rdata.from_wire(dns.rdataclass.IN, dns.rdatatype.RdataType(record.rdtype), data, record.offset,
                                       record.length)
        except dns.exception.DNSException as exc:
            raise Unusual(f"record data dnspython rejects: {exc}") from None
        key = (record.owner.lower(), record.rdtype)
        known = rrsets.get(key)
        if known is None:
            rrsets[key] = (record.owner, [rdata], record.ttl)
            continue
        if record.rdtype in SINGLETON_TYPES:
            raise Unusual("two records of a singleton type")
        owner, found, ttl = known
        if rdata not in found:
            found.append(rdata)
        rrsets[key] = (owner, found, min(ttl, record.ttl))
    return rrsets


def _empty(name: str, rdtype: str, where: str, header: Header, data: bytes, started: float,
           stamp: str) -> DnsAnswer:
    """NXDOMAIN or NODATA read from the header alone: an answer with no records (its denial
    proof, if DNSSEC needs it, is read from ``data`` then)."""
    status = NXDOMAIN if header.rcode == dns.rcode.NXDOMAIN else NODATA
    rcode_text = dns.rcode.to_text(dns.rcode.Rcode(header.rcode))
    return _answer_of(name, rdtype, where, status, rcode_text, header.flag_names, [], [], "udp", started, stamp,
                      wire=data)


def _answer_of(name: str, rdtype: str, where: str, status: str, rcode_text: str, flags: tuple[str, ...],
               records: list[DnsRecord], cnames: list[str], transport: str, started: float, stamp: str,
               rdatas: tuple[Any, ...] = (), *, wire: bytes | None = None,
               parsed: dns.message.Message | None = None) -> DnsAnswer:
    """The answer and its evidence, however it was read."""
    elapsed = (time.monotonic() - started) * 1000
    shown = records[:MAX_RECORDS_IN_EVIDENCE]
    summary = (f"{rdtype} {name} @{where} {rcode_text} flags={' '.join(flags)} "
               f"{len(records)} RR{_ttl_text(records)} {elapsed:.1f} ms {transport}")
    evidence = Evidence("dns", summary, {
        "query": {"name": name, "type": rdtype}, "status": status,
        "resolver": where, "rcode": rcode_text, "flags": list(flags), "ad": "ad" in flags,
        "transport": transport, "time": stamp, "elapsed_ms": round(elapsed, 2),
        "cnames": cnames,
        "records": [{"name": r.name, "type": r.rdtype, "ttl": r.ttl, "data": r.text} for r in shown],
        "records_omitted": len(records) - len(shown),
    })
    return DnsAnswer(name, rdtype, where, status, rcode_text, flags, tuple(records), tuple(cnames),
                     transport, stamp, elapsed, "", evidence, rdatas, wire, parsed)


def _ttl_text(records: list[DnsRecord]) -> str:
    return f" ttl={min(r.ttl for r in records)}" if records else ""


def _failure(name: str, rdtype: str, where: str, status: str, error: str, started: float, stamp: str) -> DnsAnswer:
    elapsed = (time.monotonic() - started) * 1000
    summary = f"{rdtype} {name} @{where} {status.upper()}: {error} ({elapsed:.1f} ms)"
    evidence = Evidence("dns", summary, {
        "query": {"name": name, "type": rdtype}, "resolver": where, "rcode": None,
        "status": status, "error": error, "time": stamp, "elapsed_ms": round(elapsed, 2),
    })
    return DnsAnswer(name, rdtype, where, status, "", (), (), (), "udp", stamp, elapsed, error, evidence)
