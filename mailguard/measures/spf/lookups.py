"""What the SPF state machines ask of the DNS, what they get back, and the thin loop between.

The record walker (:mod:`.walker`) and the evaluator (:mod:`.check_host`) are generators: each
``yield`` hands out a batch of independent :class:`Question` s ("next I need TXT of X, A of Y")
and receives one :class:`Reply` per question, in order. They never see a socket or a clock.
:func:`drive` answers them through ``net.dns`` (cached per scan, concurrent per batch);
:func:`drive_sync` answers them from any function, for pure tests.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

from ...core.model import Evidence
from ...net import DnsAnswer, Net
from ...net.dns import ANSWERED, NODATA, NXDOMAIN, OK

T = TypeVar("T")


@dataclass(frozen=True)
class Question:
    name: str
    rdtype: str  # TXT, A, AAAA, MX or PTR


@dataclass(frozen=True)
class Reply:
    """One answer, reduced to what SPF uses.

    status: ``ok`` / ``nodata`` / ``nxdomain`` (answered) or ``timeout`` / ``servfail`` / ...
    values: TXT records (strings joined, §3.3), addresses, MX exchanges (``.`` for a null MX)
    or PTR targets, without trailing dots. evidence: the observation behind it.
    """

    name: str
    rdtype: str
    status: str
    values: tuple[str, ...] = ()
    evidence: Evidence | None = None
    error: str = ""

    @property
    def failed(self) -> bool:
        """No usable answer (timeout, SERVFAIL, ...): RFC 7208 calls for temperror (§5)."""
        return self.status not in ANSWERED

    @property
    def void(self) -> bool:
        """NXDOMAIN or an empty answer: a "void lookup" (§4.6.4)."""
        return self.status in (NXDOMAIN, NODATA) or (self.status == OK and not self.values)


Machine = Generator[tuple[Question, ...], tuple[Reply, ...], T]


def reply_from(answer: DnsAnswer) -> Reply:
    return Reply(answer.qname, answer.rdtype, answer.status, _values(answer), answer.evidence, answer.error)


def _values(answer: DnsAnswer) -> tuple[str, ...]:
    if answer.status != OK:
        return ()
    if answer.rdtype == "TXT":
        return answer.txt_strings()
    if answer.rdtype == "MX":
        return tuple(_host(r.exchange) for r in answer.rdatas)
    if answer.rdtype == "PTR":
        return tuple(_host(r.target) for r in answer.rdatas)
    return tuple(r.text for r in answer.records)


def _host(name: Any) -> str:
    text = str(name).lower()
    return "." if text == "." else text.rstrip(".")


def _wire_name(name: str) -> str:
    """The DNS client reads names in master-file syntax: keep a backslash a backslash."""
    return name.replace("\\", "\\\\")


async def drive(machine: Machine[T], net: Net) -> T:
    """Answer the machine's questions through ``net.dns`` until it returns its result."""
    try:
        questions = next(machine)
        while True:
            answers = await net.dns.query_many((_wire_name(q.name), q.rdtype) for q in questions)
            questions = machine.send(tuple(reply_from(a) for a in answers))
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


def drive_sync(machine: Machine[T], answer: Callable[[Question], Reply]) -> T:
    """Answer the machine's questions with ``answer`` (for pure tests and tools)."""
    try:
        questions = next(machine)
        while True:
            questions = machine.send(tuple(answer(q) for q in questions))
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


# -- names -------------------------------------------------------------------------------------

_LDH_LABEL = re.compile(r"[A-Za-z0-9_-]{1,63}\Z")


def is_query_name(name: str) -> bool:
    """A name a query can be made for: printable ASCII, 2+ labels of 1-63 octets, <= 253.

    Mechanism targets may hold any visible character (RFC 7208 §7.1 macro-literal), but a name
    with an empty or over-long label cannot be asked: such a mechanism does not match (RFC 7208
    leaves it undefined; treating it as non-existent follows §4.3).
    """
    if not name or len(name) > 253 or not all(" " <= c <= "~" for c in name):
        return False
    labels = name.split(".")
    return len(labels) >= 2 and all(0 < len(label) <= 63 for label in labels)


def is_valid_domain(name: str) -> bool:
    """A <domain> check_host() can evaluate (RFC 7208 §4.3): a multi-label host name.

    Letters, digits, '-' and '_' only (so domain literals such as ``[192.0.2.1]`` are not), and
    the last label not all digits (an IP address is not a domain).
    """
    if not is_query_name(name):
        return False
    labels = name.split(".")
    return all(_LDH_LABEL.match(label) for label in labels) and not labels[-1].isdigit()


def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The SMTP client address; an IPv4-mapped IPv6 address is an IPv4 address (RFC 7208 §5)."""
    if "%" in text:
        raise ValueError(f"{text!r}: a zone index is not part of an SMTP client address")
    ip = ipaddress.ip_address(text.strip())
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip
