"""Authenticated denial of existence: NSEC (RFC 4035 §5.4) and NSEC3 (RFC 5155 §8).

Pure. :func:`collect` keeps the NSEC/NSEC3 records of a response whose signatures verify with
the zone's keys; :func:`prove` says what they prove about a name and type:

- ``nodata``: the name exists without that type (``types`` is its type bitmap; a bitmap with NS
  and without SOA is a delegation point, which is how an unsigned delegation is proven);
- ``nxdomain``: the name does not exist, and no wildcard could have answered;
- ``opt-out``: NSEC3 opt-out covers the name: an unsigned delegation may exist there
  (RFC 5155 §6, §8.6), so whatever is below is insecure;
- ``unproven``: the records present prove neither (``detail`` says what is missing).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass, field

import dns.dnssec
import dns.message
import dns.name
import dns.rdataset
import dns.rdatatype
import dns.rrset

from .sigs import check_rrset, find_sigs

NODATA, NXDOMAIN, OPT_OUT, UNPROVEN = "nodata", "nxdomain", "opt-out", "unproven"

# RFC 9276 §3.2: validators may refuse NSEC3 chains with many iterations (each costs a SHA-1 per
# name hashed); 150 is the cap major validators apply. Hostile answers must not cost seconds.
MAX_NSEC3_ITERATIONS = 150
NSEC3_OPTOUT = 0x01
MAX_DENIAL_RECORDS = 16


@dataclass(frozen=True)
class Denial:
    kind: str
    detail: str
    types: frozenset[int] = field(default_factory=frozenset)
    via: str = ""

    @property
    def proven(self) -> bool:
        return self.kind != UNPROVEN

    @property
    def delegation(self) -> bool:
        """The matching record is at a zone cut seen from the parent: NS without SOA."""
        return dns.rdatatype.NS in self.types and dns.rdatatype.SOA not in self.types


@dataclass(frozen=True)
class DenialRecords:
    """The NSEC and NSEC3 records of a response whose signatures verified, and those that did not."""

    nsec: tuple[tuple[dns.name.Name, object], ...] = ()
    nsec3: tuple[tuple[dns.name.Name, object], ...] = ()
    problems: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()


def bitmap_types(windows: Iterable[tuple[int, bytes]]) -> frozenset[int]:
    """The types an NSEC/NSEC3 type bitmap lists (RFC 4034 §4.1.2)."""
    types: set[int] = set()
    for window, bitmap in windows:
        for index, byte in enumerate(bitmap):
            for bit in range(8):
                if byte & (0x80 >> bit):
                    types.add(window * 256 + index * 8 + bit)
    return frozenset(types)


def type_name(rdtype: int) -> str:
    return dns.rdatatype.to_text(rdtype)  # type: ignore[arg-type]


def type_names(types: Iterable[int]) -> str:
    return " ".join(type_name(t) for t in sorted(types)) or "no types"


def collect(message: dns.message.Message | None, zone: dns.name.Name, keys: dns.rdataset.Rdataset,
            now: float) -> DenialRecords:
    """The authority section's NSEC/NSEC3 records, kept only when signed by ``zone``'s keys."""
    if message is None:
        return DenialRecords()
    nsec: list[tuple[dns.name.Name, object]] = []
    nsec3: list[tuple[dns.name.Name, object]] = []
    problems: list[str] = []
    texts: list[str] = []
    wanted = (dns.rdatatype.NSEC, dns.rdatatype.NSEC3)
    for rrset in [r for r in message.authority if r.rdtype in wanted][:MAX_DENIAL_RECORDS]:
        texts.extend(f"{rrset.name.to_text()} {dns.rdatatype.to_text(rrset.rdtype)} {rd.to_text()}"
                     for rd in rrset)
        check = check_rrset(rrset, find_sigs(message.authority, rrset.name, rrset.rdtype), zone, keys, now)
        if not check.ok:
            problems.append(check.detail)
            continue
        target = nsec if rrset.rdtype == dns.rdatatype.NSEC else nsec3
        target.extend((rrset.name, rdata) for rdata in rrset)
    return DenialRecords(tuple(nsec), tuple(nsec3), tuple(problems), tuple(texts))


def prove(qname: dns.name.Name, rdtype: int, zone: dns.name.Name, records: DenialRecords) -> Denial:
    """What the verified records prove about ``qname``/``rdtype`` in ``zone``."""
    if not qname.is_subdomain(zone):
        return Denial(UNPROVEN, f"{qname} is not in the zone {zone}")
    if records.nsec:
        return _prove_nsec(qname, rdtype, records.nsec)
    if records.nsec3:
        return _prove_nsec3(qname, rdtype, zone, records.nsec3)
    why = "; ".join(records.problems) if records.problems else "no NSEC or NSEC3 record in the answer"
    return Denial(UNPROVEN, why)


def _match_types(owner: dns.name.Name, types: frozenset[int], rdtype: int, via: str) -> Denial:
    """A record matching the name itself: NODATA unless it lists the type (or a CNAME)."""
    if rdtype in types or (dns.rdatatype.CNAME in types and rdtype != dns.rdatatype.CNAME):
        return Denial(UNPROVEN, f"{via} at {owner} lists {type_names(types)}: it does not deny "
                                f"{type_name(rdtype)}", types, via)
    at_cut = dns.rdatatype.NS in types and dns.rdatatype.SOA not in types
    if at_cut and rdtype != dns.rdatatype.DS:
        # RFC 6840 §4.1: the parent's record at a delegation speaks only for the DS type.
        return Denial(UNPROVEN, f"{via} at {owner} comes from the parent side of a delegation", types, via)
    return Denial(NODATA, f"{via} at {owner} lists only {type_names(types)}", types, via)


# -- NSEC (RFC 4034 §4, RFC 4035 §5.4) ---------------------------------------------------------

def _nsec_covers(owner: dns.name.Name, following: dns.name.Name, name: dns.name.Name) -> bool:
    """``name`` falls strictly between an NSEC's owner and its next name (canonical order)."""
    if owner < following:
        return bool(owner < name < following)
    return bool(name > owner or name < following)  # the last NSEC wraps around to the apex


def _usable_cover(owner: dns.name.Name, rdata: object, name: dns.name.Name) -> bool:
    following: dns.name.Name = rdata.next  # type: ignore[attr-defined]
    if not _nsec_covers(owner, following, name):
        return False
    types = bitmap_types(rdata.windows)  # type: ignore[attr-defined]
    at_cut = dns.rdatatype.NS in types and dns.rdatatype.SOA not in types
    # RFC 6840 §4.1: an NSEC at a delegation says nothing about the names below it.
    return not (at_cut and name.is_subdomain(owner))


def _prove_nsec(qname: dns.name.Name, rdtype: int, nsecs: tuple[tuple[dns.name.Name, object], ...]) -> Denial:
    for owner, rdata in nsecs:
        if owner == qname:
            return _match_types(owner, bitmap_types(rdata.windows), rdtype, "NSEC")  # type: ignore[attr-defined]
    cover = next(((o, r) for o, r in nsecs if _usable_cover(o, r, qname)), None)
    if cover is None:
        return Denial(UNPROVEN, f"no NSEC matches or covers {qname}", via="NSEC")
    owner, rdata = cover
    following: dns.name.Name = rdata.next  # type: ignore[attr-defined]
    if following.is_subdomain(qname):
        # the next name is below qname: qname is an empty non-terminal, it exists without data
        return Denial(NODATA, f"{qname} is an empty non-terminal (NSEC {owner} -> {following})", via="NSEC")
    common = max(qname.fullcompare(owner)[2], qname.fullcompare(following)[2])
    encloser = dns.name.Name(qname.labels[-common:])
    wildcard = dns.name.Name((b"*",) + encloser.labels)
    for wowner, wrdata in nsecs:
        if wowner == wildcard:
            found = _match_types(wowner, bitmap_types(wrdata.windows), rdtype, "NSEC")  # type: ignore[attr-defined]
            return found if not found.proven else Denial(NODATA, f"wildcard {found.detail}", found.types, "NSEC")
    if any(_usable_cover(o, r, wildcard) for o, r in nsecs):
        return Denial(NXDOMAIN, f"NSEC {owner} -> {following} covers {qname}, and no wildcard "
                                f"{wildcard} exists", via="NSEC")
    return Denial(UNPROVEN, f"NSEC {owner} -> {following} covers {qname}, but nothing proves that "
                            f"the wildcard {wildcard} does not exist", via="NSEC")


# -- NSEC3 (RFC 5155 §8) ------------------------------------------------------------------------

@dataclass(frozen=True)
class _Chain:
    salt: bytes
    iterations: int
    entries: tuple[tuple[bytes, bytes, object], ...]  # (owner hash, next hash, rdata)

    def hash(self, name: dns.name.Name) -> bytes:
        text = dns.dnssec.nsec3_hash(name, self.salt, self.iterations, 1)
        return base64.b32hexdecode(text)

    def match(self, name: dns.name.Name) -> object | None:
        digest = self.hash(name)
        return next((r for owner, _, r in self.entries if owner == digest), None)

    def cover(self, name: dns.name.Name) -> object | None:
        digest = self.hash(name)
        for owner, following, rdata in self.entries:
            inside = owner < digest < following if owner < following else (digest > owner or digest < following)
            if inside:
                return rdata
        return None


def _chain(zone: dns.name.Name, nsec3s: tuple[tuple[dns.name.Name, object], ...]) -> _Chain | str:
    first = nsec3s[0][1]
    alg, iterations, salt = first.algorithm, first.iterations, first.salt  # type: ignore[attr-defined]
    if alg != 1:
        return f"unknown NSEC3 hash algorithm {alg}"
    if iterations > MAX_NSEC3_ITERATIONS:
        return f"NSEC3 with {iterations} iterations: more than validators process (RFC 9276 §3.2)"
    entries = []
    for owner, rdata in nsec3s:
        same = (rdata.algorithm, rdata.iterations, rdata.salt) == (alg, iterations, salt)  # type: ignore[attr-defined]
        if not same or owner.parent() != zone:
            continue
        try:
            digest = base64.b32hexdecode(owner.labels[0].upper())
        except (binascii.Error, ValueError):
            continue
        entries.append((digest, bytes(rdata.next), rdata))  # type: ignore[attr-defined]
    return _Chain(salt, iterations, tuple(entries))


def _prove_nsec3(qname: dns.name.Name, rdtype: int, zone: dns.name.Name,
                 nsec3s: tuple[tuple[dns.name.Name, object], ...]) -> Denial:
    chain = _chain(zone, nsec3s)
    if isinstance(chain, str):
        return Denial(UNPROVEN, chain, via="NSEC3")
    matched = chain.match(qname)
    if matched is not None:
        return _match_types(qname, bitmap_types(matched.windows), rdtype, "NSEC3")  # type: ignore[attr-defined]
    # RFC 5155 §8.3: the closest encloser proof.
    encloser, candidate = None, qname.parent()
    while candidate.is_subdomain(zone):
        record = chain.match(candidate)
        if record is not None:
            types = bitmap_types(record.windows)  # type: ignore[attr-defined]
            if dns.rdatatype.NS in types and dns.rdatatype.SOA not in types and candidate != zone:
                return Denial(UNPROVEN, f"the closest encloser {candidate} is a delegation point", via="NSEC3")
            encloser = candidate
            break
        if candidate == zone:
            break
        candidate = candidate.parent()
    if encloser is None:
        return Denial(UNPROVEN, f"no NSEC3 proves a closest encloser of {qname}", via="NSEC3")
    next_closer = dns.name.Name(qname.labels[-(len(encloser) + 1):])
    covering = chain.cover(next_closer)
    if covering is None:
        return Denial(UNPROVEN, f"no NSEC3 covers the next closer name {next_closer}", via="NSEC3")
    if covering.flags & NSEC3_OPTOUT:  # type: ignore[attr-defined]
        return Denial(OPT_OUT, f"an opt-out NSEC3 covers {next_closer} (closest encloser {encloser}): "
                               "an unsigned delegation may exist there", via="NSEC3")
    wildcard = dns.name.Name((b"*",) + encloser.labels)
    at_wildcard = chain.match(wildcard)
    if at_wildcard is not None:
        found = _match_types(wildcard, bitmap_types(at_wildcard.windows), rdtype, "NSEC3")  # type: ignore[attr-defined]
        return found if not found.proven else Denial(NODATA, f"wildcard {found.detail}", found.types, "NSEC3")
    if chain.cover(wildcard) is not None:
        return Denial(NXDOMAIN, f"NSEC3 proves {encloser} is the closest encloser, {next_closer} and "
                                f"{wildcard} do not exist", via="NSEC3")
    return Denial(UNPROVEN, f"no NSEC3 covers the wildcard {wildcard}", via="NSEC3")


def wildcard_expansion_proven(qname: dns.name.Name, labels: int, zone: dns.name.Name,
                              records: DenialRecords) -> bool:
    """An answer synthesised from a wildcard (RRSIG labels < owner labels) needs proof that the
    name asked for does not exist itself (RFC 4035 §5.3.4, RFC 5155 §8.8)."""
    if records.nsec:
        return any(_usable_cover(o, r, qname) for o, r in records.nsec)
    if records.nsec3:
        chain = _chain(zone, records.nsec3)
        if isinstance(chain, str):
            return False
        next_closer = dns.name.Name(qname.labels[-(labels + 2):])
        return chain.cover(next_closer) is not None
    return False
