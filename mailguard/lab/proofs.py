"""Which NSEC or NSEC3 records the lab's DNS server adds to prove that something does not exist.

An authoritative server answering with DO set must prove every NODATA and NXDOMAIN from a
signed zone (RFC 4035 §3.1.3, RFC 5155 §7.2). :class:`ZoneProofs` indexes one signed zone's
chain and returns the owner names whose NSEC/NSEC3 RRsets (with their RRSIGs) go into the
authority section.
"""

from __future__ import annotations

import base64
import bisect
from collections.abc import Set

import dns.dnssec
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.zone


class ZoneProofs:
    def __init__(self, zone: dns.zone.Zone, existing: Set[dns.name.Name]) -> None:
        assert zone.origin is not None
        self.origin = zone.origin
        self.existing = existing
        self.nsec: list[dns.name.Name] = []
        self.nsec3: list[tuple[bytes, dns.name.Name]] = []
        self.salt, self.iterations = b"", 0
        for name, node in zone.nodes.items():
            if node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.NSEC) is not None:
                self.nsec.append(name)
            if node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.NSEC3) is not None:
                digest = base64.b32hexdecode(name.labels[0].upper())
                self.nsec3.append((digest, name))
        self.nsec.sort()
        self.nsec3.sort()
        param = zone.get_rdataset(zone.origin, dns.rdatatype.NSEC3PARAM)
        if param is not None:
            self.salt, self.iterations = param[0].salt, param[0].iterations

    @classmethod
    def of(cls, zone: dns.zone.Zone, existing: Set[dns.name.Name]) -> ZoneProofs | None:
        """The proofs of a signed zone; None for an unsigned one."""
        proofs = cls(zone, existing)
        return proofs if proofs.nsec or proofs.nsec3 else None

    @property
    def rdtype(self) -> dns.rdatatype.RdataType:
        return dns.rdatatype.NSEC3 if self.nsec3 else dns.rdatatype.NSEC

    # -- what goes in the answer ------------------------------------------------------------
    def nodata(self, qname: dns.name.Name) -> list[dns.name.Name]:
        if self.nsec3:
            own = self._nsec3_match(qname)
            return [own] if own is not None else self._closest_encloser(qname)
        return [qname] if qname in self.nsec else [self._nsec_cover(qname)]  # else: an empty non-terminal

    def nxdomain(self, qname: dns.name.Name) -> list[dns.name.Name]:
        encloser = self._encloser(qname)
        wildcard = dns.name.Name((b"*",) + encloser.labels)
        if self.nsec3:
            proof = self._closest_encloser(qname) + [self._nsec3_cover(wildcard)]
        else:
            proof = [self._nsec_cover(qname), self._nsec_cover(wildcard)]
        return list(dict.fromkeys(proof))

    def wildcard(self, qname: dns.name.Name, source: dns.name.Name) -> list[dns.name.Name]:
        """A wildcard answer: prove the name asked for does not exist (RFC 4035 §3.1.3.3)."""
        if self.nsec3:
            next_closer = dns.name.Name(qname.labels[-(len(source.parent()) + 1):])
            return [self._nsec3_cover(next_closer)]
        return [self._nsec_cover(qname)]

    # -- NSEC ---------------------------------------------------------------------------------
    def _nsec_cover(self, name: dns.name.Name) -> dns.name.Name:
        index = bisect.bisect_right(self.nsec, name) - 1
        return self.nsec[index]  # index -1: before the first name, the last NSEC wraps around

    # -- NSEC3 --------------------------------------------------------------------------------
    def _hash(self, name: dns.name.Name) -> bytes:
        return base64.b32hexdecode(dns.dnssec.nsec3_hash(name, self.salt, self.iterations, 1))

    def _nsec3_match(self, name: dns.name.Name) -> dns.name.Name | None:
        digest = self._hash(name)
        index = bisect.bisect_left(self.nsec3, (digest,))
        if index < len(self.nsec3) and self.nsec3[index][0] == digest:
            return self.nsec3[index][1]
        return None

    def _nsec3_cover(self, name: dns.name.Name) -> dns.name.Name:
        index = bisect.bisect_left(self.nsec3, (self._hash(name),)) - 1
        return self.nsec3[index][1]

    def _encloser(self, qname: dns.name.Name) -> dns.name.Name:
        candidate = qname.parent()
        while candidate != self.origin and candidate not in self.existing:
            candidate = candidate.parent()
        return candidate

    def _closest_encloser(self, qname: dns.name.Name) -> list[dns.name.Name]:
        """RFC 5155 §7.2.1: the NSEC3 of the closest encloser and the one covering the next closer."""
        candidate = qname.parent()
        while candidate != self.origin and self._nsec3_match(candidate) is None:
            candidate = candidate.parent()
        matched = self._nsec3_match(candidate)
        next_closer = dns.name.Name(qname.labels[-(len(candidate) + 1):])
        return [n for n in (matched, self._nsec3_cover(next_closer)) if n is not None]
