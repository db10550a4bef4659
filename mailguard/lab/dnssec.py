"""DNSSEC for the lab: its own signed root, signed and deliberately broken zones, made at Lab start.

Keys are generated at every start (ECDSA P-256 for the root, Ed25519 below it: both sign in
microseconds), so no private key is ever stored. :func:`sign_lab` takes the lab's zones and
a table of which to sign and how to break them, and returns:

- the zones, signed, with a lab root zone ``.`` and delegations (NS, and DS for signed children)
  added to every hosted parent, so that a validator can walk from the root as on the internet;
- the trust anchor (the root KSK's DS) as text, which the Lab writes to a file for
  ``Config.trust_anchor``;
- a :class:`DnssecView` the lab's DNS server uses to behave like a validating resolver: AD on
  answers from zones whose chain is intact, SERVFAIL on bogus data unless the query sets CD.

The broken cases (``Fault``): a corrupted RRSIG (the signature bytes flipped), RRSIGs that
expired a day ago, and a DS in the parent that matches none of the child's keys.
``test.`` is signed with NSEC3 and opt-out (as ``.nl`` and ``.com`` are), the rest with NSEC.
"""

from __future__ import annotations

import base64
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import dns.dnssec
import dns.name
import dns.node
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.zone
from dns.dnssecalgs.base import GenericPrivateKey
from dns.dnssecalgs.ecdsa import PrivateECDSAP256SHA256
from dns.dnssecalgs.eddsa import PrivateED25519
from dns.rdtypes.ANY.NSEC3 import NSEC3
from dns.rdtypes.ANY.NSEC3PARAM import NSEC3PARAM
from dns.rdtypes.util import Bitmap


class Fault(enum.StrEnum):
    VALID = "valid"
    BAD_SIGNATURE = "bad-signature"  # the RRSIGs over the MX RRset and the MX hosts' A are corrupted
    EXPIRED = "expired"  # every RRSIG of the zone expired a day ago
    DS_MISMATCH = "ds-mismatch"  # the parent's DS is the digest of a key the zone does not have


# Which lab zones are signed, and how. Every other hosted zone is an unsigned delegation.
DEFAULT_SIGNING: Mapping[str, Fault] = {
    ".": Fault.VALID,
    "test.": Fault.VALID,
    "good.test.": Fault.VALID,
    "bogus.test.": Fault.BAD_SIGNATURE,
    "expired.test.": Fault.EXPIRED,
    "dsbad.test.": Fault.DS_MISMATCH,
    "danebad.test.": Fault.VALID,
    "bogusmx.test.": Fault.VALID,
}
# Zones signed with NSEC3 instead of NSEC, and whether with opt-out (RFC 5155 §6).
NSEC3_ZONES: Mapping[str, bool] = {"test.": True}

ROOT_ZONE = """$TTL 86400
@ IN SOA ns.test. hostmaster.test. 2026112301 1800 900 604800 86400
@ IN NS ns.test.
"""

SIGNATURE_LIFETIME = timedelta(days=30)
KeyPair = tuple[GenericPrivateKey, Any]  # the private key and its DNSKEY rdata


@dataclass(frozen=True)
class DnssecView:
    """What the lab's resolver knows about its zones, to set AD and refuse bogus data honestly."""

    secure: frozenset[dns.name.Name] = frozenset()
    bogus_zones: frozenset[dns.name.Name] = frozenset()
    bogus_rrsets: frozenset[tuple[dns.name.Name, int]] = frozenset()


@dataclass(frozen=True)
class SignedLab:
    zones: tuple[dns.zone.Zone, ...]
    anchor_text: str
    view: DnssecView
    keys: Mapping[dns.name.Name, tuple[KeyPair, ...]]


def sign_lab(zones: Iterable[dns.zone.Zone], signing: Mapping[str, Fault] = DEFAULT_SIGNING,
             *, now: datetime, nsec3: Mapping[str, bool] = NSEC3_ZONES) -> SignedLab:
    by_origin = {z.origin: z for z in zones if z.origin is not None}
    if dns.name.root not in by_origin:
        by_origin[dns.name.root] = dns.zone.from_text(ROOT_ZONE, origin=dns.name.root, relativize=False)
    faults = {dns.name.from_text(k): v for k, v in signing.items()}
    nsec3_origins = {dns.name.from_text(n): opt_out for n, opt_out in nsec3.items()}
    parents = {o: _parent_zone(o, by_origin) for o in by_origin}
    for origin, parent in parents.items():
        if parent is not None:
            _delegate(by_origin[parent], by_origin[origin])
    keys: dict[dns.name.Name, tuple[KeyPair, ...]] = {}
    bogus_rrsets: set[tuple[dns.name.Name, int]] = set()
    for origin in sorted(by_origin, key=len, reverse=True):  # children before parents: DS first
        fault = faults.get(origin)
        if fault is None:
            continue
        zone, parent = by_origin[origin], parents[origin]
        keys[origin] = _keys(origin)
        _sign(zone, keys[origin], fault, now, nsec3_origins.get(origin))
        if parent is not None:
            _add_ds(by_origin[parent], origin, keys[origin][0][1], fault)
        if fault is Fault.BAD_SIGNATURE:
            bogus_rrsets |= _corrupt(zone)
    root_ksk = keys[dns.name.root][0][1] if dns.name.root in keys else None
    anchor = f". IN DS {dns.dnssec.make_ds(dns.name.root, root_ksk, 'SHA256')}\n" if root_ksk else ""
    view = _view(by_origin, parents, faults, bogus_rrsets)
    return SignedLab(tuple(by_origin.values()), anchor, view, keys)


def _parent_zone(origin: dns.name.Name, zones: Mapping[dns.name.Name, dns.zone.Zone]) -> dns.name.Name | None:
    candidate = origin
    while candidate != dns.name.root:
        candidate = candidate.parent()
        if candidate in zones:
            return candidate
    return None


def _delegate(parent: dns.zone.Zone, child: dns.zone.Zone) -> None:
    """NS records for ``child`` in ``parent`` (copied from the child's apex), as a registry has."""
    assert child.origin is not None
    if parent.get_rdataset(child.origin, dns.rdatatype.NS) is not None:
        return
    apex_ns = child.get_rdataset(child.origin, dns.rdatatype.NS)
    with parent.writer() as txn:
        if apex_ns is not None:
            txn.add(child.origin, apex_ns)
        else:
            txn.add(child.origin, 3600, dns.rdata.from_text("IN", "NS", f"ns.{child.origin}"))


def _keys(origin: dns.name.Name) -> tuple[KeyPair, ...]:
    """A KSK (flags 257, signs the DNSKEY RRset) and a ZSK (256, signs the rest)."""
    kind = PrivateECDSAP256SHA256 if origin == dns.name.root else PrivateED25519
    ksk, zsk = kind.generate(), kind.generate()
    return ((ksk, ksk.public_key().to_dnskey(flags=257)), (zsk, zsk.public_key().to_dnskey(flags=256)))


def _validity(fault: Fault, now: datetime) -> tuple[datetime, datetime]:
    if fault is Fault.EXPIRED:
        return now - timedelta(days=31), now - timedelta(days=1)
    return now - timedelta(hours=1), now + SIGNATURE_LIFETIME


def _sign(zone: dns.zone.Zone, keys: tuple[KeyPair, ...], fault: Fault, now: datetime,
          nsec3_opt_out: bool | None) -> None:
    """Sign with NSEC (``nsec3_opt_out`` None) or NSEC3 with or without opt-out."""
    inception, expiration = _validity(fault, now)
    if nsec3_opt_out is None:
        dns.dnssec.sign_zone(zone, keys=list(keys), inception=inception, expiration=expiration)
        return
    _sign_nsec3(zone, keys, inception, expiration, opt_out=nsec3_opt_out)


def _add_ds(parent: dns.zone.Zone, child: dns.name.Name, ksk: dns.rdata.Rdata, fault: Fault) -> None:
    key = ksk
    if fault is Fault.DS_MISMATCH:  # the digest of a key the child never publishes
        key = PrivateED25519.generate().public_key().to_dnskey(flags=257)
    ds = dns.dnssec.make_ds(child, key, "SHA256")
    with parent.writer() as txn:
        txn.add(child, 3600, ds)


def _corrupt(zone: dns.zone.Zone) -> set[tuple[dns.name.Name, int]]:
    """Flip the signatures over the MX RRset and over the addresses of the zone's own MX hosts."""
    assert zone.origin is not None
    targets: list[tuple[dns.name.Name, int]] = [(zone.origin, dns.rdatatype.MX)]
    mx = zone.get_rdataset(zone.origin, dns.rdatatype.MX)
    for rdata in mx or ():
        if rdata.exchange.is_subdomain(zone.origin):
            targets += [(rdata.exchange, dns.rdatatype.A), (rdata.exchange, dns.rdatatype.AAAA)]
    done = set()
    with zone.writer() as txn:
        for name, covered in targets:
            node = txn.get_node(name)
            sigs = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.RRSIG, covered) if node else None
            if sigs is None:
                continue
            broken = [r.replace(signature=bytes(b ^ 0x5A for b in r.signature)) for r in sigs]
            txn.replace(name, dns.rdataset.from_rdata_list(sigs.ttl, broken))
            done.add((name, covered))
    return done


def _view(zones: Mapping[dns.name.Name, dns.zone.Zone], parents: Mapping[dns.name.Name, dns.name.Name | None],
          faults: Mapping[dns.name.Name, Fault], bogus_rrsets: set[tuple[dns.name.Name, int]]) -> DnssecView:
    secure: set[dns.name.Name] = set()
    bogus: set[dns.name.Name] = set()
    for origin in sorted(zones, key=len):  # parents before children
        parent = parents[origin]
        fault = faults.get(origin)
        if parent is not None and parent in bogus or fault in (Fault.EXPIRED, Fault.DS_MISMATCH):
            bogus.add(origin)
        elif fault is not None and (parent is None or parent in secure):
            secure.add(origin)
    return DnssecView(frozenset(secure), frozenset(bogus), frozenset(bogus_rrsets))


# -- NSEC3 with opt-out (RFC 5155 §7.1), which dnspython's sign_zone does not do yet -------------

def _sign_nsec3(zone: dns.zone.Zone, keys: tuple[KeyPair, ...], inception: datetime,
                expiration: datetime, *, opt_out: bool, salt: bytes = b"", iterations: int = 0) -> None:
    origin = zone.origin
    assert origin is not None
    soa = zone.get_rdataset(origin, dns.rdatatype.SOA)
    assert soa is not None
    ksks = [k for k in keys if k[1].flags & 0x0001]
    zsks = [k for k in keys if not k[1].flags & 0x0001] or ksks
    with zone.writer() as txn:
        for _, dnskey in keys:
            txn.add(origin, soa.ttl, dnskey)
        param = NSEC3PARAM(dns.rdataclass.IN, dns.rdatatype.NSEC3PARAM, 1, 0, iterations, salt)  # type: ignore[no-untyped-call]
        txn.add(origin, 0, param)
    cuts = {n for n in zone.nodes if n != origin and zone.get_rdataset(n, dns.rdatatype.NS) is not None}
    chain: dict[dns.name.Name, set[int]] = {}
    with zone.writer() as txn:
        for name in list(zone.nodes):
            if any(name != cut and name.is_subdomain(cut) for cut in cuts):
                continue  # occluded below a delegation: not authoritative
            node = zone.nodes[name]
            types = {rds.rdtype for rds in node.rdatasets}
            signed = {t for t in types if name not in cuts or t == dns.rdatatype.DS}
            if opt_out and name in cuts and dns.rdatatype.DS not in types:
                continue  # opt-out: unsigned delegations get no NSEC3 (RFC 5155 §6)
            for rdtype in signed:
                rdataset = node.get_rdataset(dns.rdataclass.IN, rdtype)
                assert rdataset is not None
                signers = ksks if rdtype == dns.rdatatype.DNSKEY else zsks
                _sign_rrset(txn, name, rdataset, signers, origin, inception, expiration)
            chain[name] = types | ({dns.rdatatype.RRSIG} if signed else set())
            parent = name
            while parent != origin:  # empty non-terminals get an NSEC3 too
                parent = parent.parent()
                chain.setdefault(parent, set())
        flags = 0x01 if opt_out else 0x00
        _nsec3_chain(txn, origin, chain, soa[0].minimum, (flags, salt, iterations), zsks, inception, expiration)


def _sign_rrset(txn: object, name: dns.name.Name, rdataset: dns.rdataset.Rdataset, signers: list[KeyPair],
                origin: dns.name.Name, inception: datetime, expiration: datetime) -> None:
    for private, dnskey in signers:
        rrsig = dns.dnssec.sign((name, rdataset), private, origin, dnskey,
                                inception=inception, expiration=expiration, origin=origin)
        txn.add(name, rdataset.ttl, rrsig)  # type: ignore[attr-defined]


def _nsec3_chain(txn: object, origin: dns.name.Name, chain: Mapping[dns.name.Name, set[int]], ttl: int,
                 params: tuple[int, bytes, int], signers: list[KeyPair], inception: datetime,
                 expiration: datetime) -> None:
    flags, salt, iterations = params
    hashed = sorted((base64.b32hexdecode(dns.dnssec.nsec3_hash(n, salt, iterations, 1)), types)
                    for n, types in chain.items())
    for index, (digest, types) in enumerate(hashed):
        following = hashed[(index + 1) % len(hashed)][0]
        windows = Bitmap.from_rdtypes(sorted(types)).windows if types else ()  # type: ignore[arg-type]
        rdata = NSEC3(dns.rdataclass.IN, dns.rdatatype.NSEC3, 1, flags, iterations, salt,  # type: ignore[no-untyped-call]
                      following, windows)
        owner = dns.name.Name((base64.b32hexencode(digest).lower().rstrip(b"="),) + origin.labels)
        rdataset = dns.rdataset.from_rdata(ttl, rdata)
        txn.add(owner, rdataset)  # type: ignore[attr-defined]
        _sign_rrset(txn, owner, rdataset, signers, origin, inception, expiration)
