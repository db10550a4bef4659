"""RPKI route origin validation, pure: Validated ROA Payloads and routes in, validity states out.

Nothing here touches the network or the file system. :mod:`mailguard.measures.rpki.measure` finds the
announced routes of an address (an origin lookup service over DNS), gets VRPs from the source the
user configured, and asks :func:`validate` for the state of each route.

RFC 6811 §2, the whole algorithm:

* a VRP *covers* a route when the VRP's prefix length is at most the route's and their leading
  bits agree;
* a VRP *matches* a route when it covers it, the route's length is at most the VRP's maxLength,
  and the route's origin AS equals the VRP's AS (AS 0 matches nothing: RFC 6483 §4, RFC 7607);
* the route is **valid** when a VRP matches it, **invalid** when VRPs cover it but none matches,
  **not found** when no VRP covers it.

An invalid route is reported with why: ``length`` when a covering VRP names the route's own AS
but its maxLength does not reach the announced length (the owner authorised that AS, just not so
specific a prefix), ``as`` otherwise (no covering VRP names the origin AS).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...core.errors import ParseError

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

VALID, INVALID, NOT_FOUND = "valid", "invalid", "not-found"
REASON_AS, REASON_LENGTH = "as", "length"

MAX_ASN = 2**32 - 1  # RFC 6793: AS numbers are 32 bits
MAX_ORIGIN_RECORDS = 16  # TXT records taken from one origin answer
MAX_ORIGIN_ASNS = 16  # origin ASes taken from one record (MOAS)


# -- the data --------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Vrp:
    """One Validated ROA Payload: (prefix, maxLength, AS), RFC 6811 §2; ``ta``: its trust anchor."""

    prefix: IpNetwork
    max_length: int
    asn: int
    ta: str = field(default="", compare=False)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"asn": f"AS{self.asn}", "prefix": str(self.prefix), "max_length": self.max_length}
        if self.ta:
            out["ta"] = self.ta
        return out


@dataclass(frozen=True)
class Route:
    """A BGP announcement: the prefix and its origin AS."""

    prefix: IpNetwork
    origin: int

    def __str__(self) -> str:
        return f"{self.prefix} AS{self.origin}"


@dataclass(frozen=True)
class RouteValidity:
    """The RFC 6811 state of one route and the VRPs it rests on.

    state: VALID, INVALID or NOT_FOUND; reason: "" or, for INVALID, REASON_AS / REASON_LENGTH.
    matched: the VRPs that match; unmatched_as / unmatched_length: covering VRPs that do not
    (another AS; the route's own AS but a maxLength shorter than the route).
    """

    route: Route
    state: str
    reason: str
    matched: tuple[Vrp, ...] = ()
    unmatched_as: tuple[Vrp, ...] = ()
    unmatched_length: tuple[Vrp, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "prefix": str(self.route.prefix), "origin": f"AS{self.route.origin}", "state": self.state,
            "reason": self.reason or None,
            "matched": [v.to_json() for v in self.matched],
            "unmatched_as": [v.to_json() for v in self.unmatched_as],
            "unmatched_length": [v.to_json() for v in self.unmatched_length],
        }


# -- RFC 6811 ----------------------------------------------------------------------------------------


def covers(vrp: Vrp, prefix: IpNetwork) -> bool:
    """RFC 6811 §2 "Covered": the VRP prefix is the route prefix or a less specific of it."""
    return (vrp.prefix.version == prefix.version and vrp.prefix.prefixlen <= prefix.prefixlen
            and prefix.supernet(new_prefix=vrp.prefix.prefixlen) == vrp.prefix)


def validate(route: Route, vrps: Iterable[Vrp]) -> RouteValidity:
    """The RFC 6811 §2 state of ``route`` against ``vrps`` (any VRPs; those not covering are skipped)."""
    matched: list[Vrp] = []
    other_as: list[Vrp] = []
    too_short: list[Vrp] = []
    for vrp in vrps:
        if not covers(vrp, route.prefix):
            continue
        same_as = vrp.asn == route.origin and vrp.asn != 0  # AS 0 never matches (RFC 6483 §4)
        if not same_as:
            other_as.append(vrp)
        elif route.prefix.prefixlen > vrp.max_length:
            too_short.append(vrp)
        else:
            matched.append(vrp)
    if matched:
        state, reason = VALID, ""
    elif other_as or too_short:
        state, reason = INVALID, REASON_LENGTH if too_short else REASON_AS
    else:
        state, reason = NOT_FOUND, ""
    return RouteValidity(route, state, reason, tuple(sorted(matched)), tuple(sorted(other_as)),
                         tuple(sorted(too_short)))


class VrpTable:
    """VRPs indexed by prefix, so that the VRPs covering a route are found with one dictionary
    lookup per shorter prefix length (at most 33 for IPv4, 129 for IPv6), whatever the table's size."""

    def __init__(self, vrps: Iterable[Vrp], *, source: str = "") -> None:
        self.source = source
        self._by_prefix: dict[IpNetwork, list[Vrp]] = {}
        self._lengths: dict[int, set[int]] = {4: set(), 6: set()}
        count = 0
        for vrp in vrps:
            self._by_prefix.setdefault(vrp.prefix, []).append(vrp)
            self._lengths[vrp.prefix.version].add(vrp.prefix.prefixlen)
            count += 1
        self.count = count

    def __len__(self) -> int:
        return self.count

    def covering(self, prefix: IpNetwork) -> tuple[Vrp, ...]:
        """Every VRP that covers ``prefix``."""
        found: list[Vrp] = []
        for length in sorted(self._lengths[prefix.version]):
            if length > prefix.prefixlen:
                break
            found.extend(self._by_prefix.get(prefix.supernet(new_prefix=length), ()))
        return tuple(found)

    def validate(self, route: Route) -> RouteValidity:
        return validate(route, self.covering(route.prefix))


# -- parsing VRP exports -------------------------------------------------------------------------------


def parse_asn(value: object, where: str = "asn") -> int:
    """``AS64500``, ``as64500``, ``"64500"`` or 64500; ParseError otherwise."""
    if isinstance(value, bool):
        raise ParseError(f"{where}: not an AS number: {value!r}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        digits = text[2:] if text[:2].lower() == "as" else text
        if not digits.isascii() or not digits.isdigit():
            raise ParseError(f"{where}: not an AS number: {value[:40]!r}")
        number = int(digits)
    else:
        raise ParseError(f"{where}: not an AS number: {str(value)[:40]!r}")
    if not 0 <= number <= MAX_ASN:
        raise ParseError(f"{where}: AS number out of range: {number}")
    return number


def parse_prefix(value: object, where: str = "prefix") -> IpNetwork:
    """A prefix in slash notation with no host bits set."""
    if not isinstance(value, str):
        raise ParseError(f"{where}: not a prefix: {str(value)[:60]!r}")
    try:
        return ipaddress.ip_network(value.strip(), strict=True)
    except ValueError as exc:
        raise ParseError(f"{where}: not a prefix: {value[:60]!r} ({exc})") from None


def _max_length(value: object, prefix: IpNetwork, where: str) -> int:
    if value is None:
        return prefix.prefixlen  # absent maxLength is the prefix length (RFC 6482 §3.3)
    if isinstance(value, bool):
        raise ParseError(f"{where}: maxLength is not a number: {value!r}")
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int):
        raise ParseError(f"{where}: maxLength is not a number: {str(value)[:40]!r}")
    if not prefix.prefixlen <= value <= prefix.max_prefixlen:
        raise ParseError(f"{where}: maxLength {value} outside {prefix.prefixlen}-{prefix.max_prefixlen}")
    return value


def vrp_from_json(item: object, where: str) -> Vrp:
    """One VRP object as rpki-client and Routinator write it (``maxLength``, or ``max_length`` as
    in Routinator's validity API)."""
    if not isinstance(item, Mapping):
        raise ParseError(f"{where}: expected an object")
    prefix = parse_prefix(item.get("prefix"), f"{where}.prefix")
    length = item["maxLength"] if "maxLength" in item else item.get("max_length")
    ta = item.get("ta")
    return Vrp(prefix, _max_length(length, prefix, f"{where}.maxLength"),
               parse_asn(item.get("asn"), f"{where}.asn"), ta if isinstance(ta, str) else "")


def parse_vrp_json(data: bytes | str, *, source: str = "") -> VrpTable:
    """A JSON VRP export: ``{"roas": [{"asn": "AS64500" | 64500, "prefix": "192.0.2.0/24",
    "maxLength": 24, "ta": "..."}]}`` as written by ``rpki-client -j`` and ``routinator vrps
    --format json`` (and served at Routinator's ``/json``). ParseError with the entry's index."""
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as exc:
        position = getattr(exc, "pos", None)
        raise ParseError(f"not JSON: {getattr(exc, 'msg', exc)}", position=position) from None
    if not isinstance(document, Mapping) or not isinstance(document.get("roas"), list):
        raise ParseError('not a VRP export: expected an object with a "roas" list')
    roas: list[object] = document["roas"]
    vrps = []
    for index, item in enumerate(roas):
        try:
            vrps.append(vrp_from_json(item, f"roas[{index}]"))
        except ParseError as exc:
            raise ParseError(exc.message, position=index) from None
    return VrpTable(vrps, source=source)


@dataclass(frozen=True)
class ValidityAnswer:
    """Routinator's ``/api/v1/validity/AS/prefix`` answer: its stated state and the covering VRPs
    it lists (matched, unmatched_as and unmatched_length together)."""

    route: Route
    state: str
    covering: tuple[Vrp, ...]


def parse_validity_json(data: bytes | str) -> ValidityAnswer:
    """Parse Routinator's validity answer; ParseError if it is not one."""
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"not JSON: {getattr(exc, 'msg', exc)}", position=getattr(exc, "pos", None)) from None
    try:
        validated = document["validated_route"]
        route_json, validity = validated["route"], validated["validity"]
        route = Route(parse_prefix(route_json["prefix"], "route.prefix"),
                      parse_asn(route_json["origin_asn"], "route.origin_asn"))
        state = validity["state"]
        lists = validity["VRPs"]
        covering = [vrp_from_json(item, f"VRPs.{name}[{i}]")
                    for name in ("matched", "unmatched_as", "unmatched_length")
                    for i, item in enumerate(lists.get(name) or [])]
    except (KeyError, TypeError, AttributeError) as exc:
        raise ParseError(f"not a Routinator validity answer: missing or wrong {exc}") from None
    if state not in (VALID, INVALID, NOT_FOUND):
        raise ParseError(f"not a Routinator validity answer: state {str(state)[:40]!r}")
    return ValidityAnswer(route, state, tuple(covering))


# -- origin lookups (Team Cymru style) ---------------------------------------------------------------


@dataclass(frozen=True)
class Origin:
    """One TXT record of an origin lookup: ``"64500 64501 | 192.0.2.0/24 | NL | ripencc | 2001-01-01"``.

    origins: the origin AS numbers (several when more than one AS announces the prefix);
    prefix: the announced prefix; country/registry/allocated: informational, as given.
    """

    origins: tuple[int, ...]
    prefix: IpNetwork
    country: str = ""
    registry: str = ""
    allocated: str = ""

    @property
    def routes(self) -> tuple[Route, ...]:
        return tuple(Route(self.prefix, asn) for asn in self.origins)


def origin_query(address: str, zone4: str, zone6: str) -> str:
    """The origin lookup name of ``address``: reversed octets under ``zone4`` for IPv4, reversed
    nibbles of the full address under ``zone6`` for IPv6 (as the in-addr/ip6.arpa trees do)."""
    ip = ipaddress.ip_address(address)
    if ip.version == 4:
        labels = str(ip).split(".")[::-1]
        zone = zone4
    else:
        labels = list(ip.exploded.replace(":", ""))[::-1]
        zone = zone6
    return ".".join([*labels, zone.strip(".")])


def parse_origin(text: str) -> Origin:
    """One origin TXT record; ParseError (with the field's position) if it does not follow
    ``ASN[ ASN...] | prefix | CC | registry | date``. Fields after the prefix may be missing."""
    fields = text.split("|")
    if len(fields) < 2:
        raise ParseError("expected 'ASN | prefix | ...'", text, 0)
    asn_text = fields[0].strip()
    if not asn_text:
        raise ParseError("no origin AS", text, 0)
    try:
        asns = tuple(dict.fromkeys(parse_asn(t) for t in asn_text.split()))
    except ParseError as exc:
        raise ParseError(exc.message, text, 0) from None
    if len(asns) > MAX_ORIGIN_ASNS:
        asns = asns[:MAX_ORIGIN_ASNS]
    try:
        prefix = ipaddress.ip_network(fields[1].strip(), strict=False)
    except ValueError:
        raise ParseError(f"not a prefix: {fields[1].strip()[:60]!r}", text, len(fields[0]) + 1) from None
    rest = [f.strip()[:40] for f in fields[2:5]] + ["", "", ""]
    return Origin(asns, prefix, rest[0], rest[1], rest[2])


def origins_for(address: str, texts: Sequence[str]) -> tuple[tuple[Origin, ...], tuple[str, ...]]:
    """The origin records of an answer that parse and whose prefix holds ``address`` (a record for
    another prefix is not about this address), and the problems with the others."""
    ip = ipaddress.ip_address(address)
    found: list[Origin] = []
    problems: list[str] = []
    for text in texts[:MAX_ORIGIN_RECORDS]:
        try:
            origin = parse_origin(text)
        except ParseError as exc:
            problems.append(f"{text[:80]!r}: {exc}")
            continue
        if origin.prefix.version != ip.version or ip not in origin.prefix:
            problems.append(f"{text[:80]!r}: prefix {origin.prefix} does not hold {address}")
            continue
        found.append(origin)
    return tuple(found), tuple(problems)


__all__ = [
    "INVALID", "NOT_FOUND", "REASON_AS", "REASON_LENGTH", "VALID", "Origin", "Route", "RouteValidity",
    "ValidityAnswer", "Vrp", "VrpTable", "covers", "origin_query", "origins_for", "parse_asn",
    "parse_origin", "parse_prefix", "parse_validity_json", "parse_vrp_json", "validate", "vrp_from_json",
]
