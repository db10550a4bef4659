"""Why a domain's DNS gives no answers: a lame delegation, found by asking the servers directly.

When the resolver times out or says SERVFAIL for a domain, the user's resolver is rarely to
blame: often the name servers the parent zone delegates the domain to do not answer for it (a
lame delegation, RFC 1912 §2.8). This finds the closest enclosing zone the resolver does answer
for, asks that zone's servers (without recursion) for the referral to the domain's zone
(RFC 1034 §4.3.2), and then asks each delegated server for the zone's SOA. When none of them
answers with authority, the reason names the zone, its servers and what each one did.

``referral_of``, ``why_not_serving`` and ``lame_servers`` are pure; ``explain_silence`` drives them. Every question
has ``config.timeout``; the whole diagnosis has a budget of a few timeouts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype

from ..net import Net
from ..net.dns import NXDOMAIN, OK
from ..net.nsprobe import REFUSED, TIMEOUT, NsObservation

MAX_LEVELS = 8  # parent zones walked up looking for one the resolver answers for
MAX_SERVERS = 4  # name servers asked at each step
MAX_ADDRESSES = 8  # delegated server addresses tried
STEPS = 4  # sequential waits of one timeout at most: NS walk, addresses, referral, SOA probes


@dataclass(frozen=True)
class Referral:
    """A parent server's referral: the zone cut, its name servers and the glue addresses given."""

    zone: str
    hosts: tuple[str, ...]
    glue: tuple[tuple[str, str], ...]  # (host, address)


def referral_of(response: dns.message.Message, qname: str) -> Referral | None:
    """The referral in a non-recursive response for ``qname``, or None if it is not one.

    A referral has no answer, is not authoritative, and carries the NS RRset of a zone at or
    above ``qname`` in its authority section (RFC 1034 §4.3.2 step 3b); glue is the A/AAAA of
    those name servers in the additional section.
    """
    if response.answer or response.flags & dns.flags.AA or response.rcode() != dns.rcode.NOERROR:
        return None
    name = dns.name.from_text(qname)
    cuts = [r for r in response.authority if r.rdtype == dns.rdatatype.NS and name.is_subdomain(r.name)]
    if not cuts:
        return None
    cut = max(cuts, key=lambda r: len(r.name.labels))
    hosts = tuple(sorted({_text(rdata.target) for rdata in cut}))
    glue = tuple((_text(r.name), rdata.address) for r in response.additional
                 if r.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA) and _text(r.name) in hosts
                 for rdata in r)
    return Referral(_text(cut.name), hosts, glue)


# What a server did that shows it does not serve the zone. Anything else it may have done
# (outside the allowed networks, no route from here, a garbled exchange) proves nothing.
_SILENT = frozenset({TIMEOUT, REFUSED})


def why_not_serving(observation: NsObservation) -> str | None:
    """Why a delegated server does not serve its zone, or None when it answers with authority
    (or when what happened proves nothing either way: see :func:`lame_servers`)."""
    if not observation.answered:
        return observation.error or observation.status
    if observation.rcode not in ("NOERROR", "NXDOMAIN"):
        return f"answers {observation.rcode}"
    if "aa" not in observation.flags:
        return "answers without authority for the zone (no AA flag)"
    return None


def lame_servers(observations: Sequence[NsObservation]) -> list[tuple[NsObservation, str]] | None:
    """Every server with why it does not serve the zone, when that is observed of ALL of them;
    None when one serves it, or when one could not be asked (blocked, unreachable, an error)."""
    if not observations or any(not o.answered and o.status not in _SILENT for o in observations):
        return None
    found = [(o, why) for o in observations if (why := why_not_serving(o)) is not None]
    return found if len(found) == len(observations) else None


def describe(referral: Referral, parent: str, silent: list[tuple[NsObservation, str]]) -> str:
    """The one-line reason a report gives for the domain."""
    servers = "; ".join(f"{o.host} ({o.where}): {why}" for o, why in silent)
    return (f"the name servers of {referral.zone} did not answer for it ({servers}). {parent or '.'} "
            f"delegates {referral.zone} to them: a lame delegation, not a fault of the resolver")


async def explain_silence(net: Net, domain: str) -> str | None:
    """A lame delegation above or at ``domain`` that explains the resolver's silence, or None."""
    budget = STEPS * net.config.timeout + 1.0
    try:
        async with asyncio.timeout(budget):
            return await _explain(net, domain)
    except TimeoutError:
        return None


async def _explain(net: Net, domain: str) -> str | None:
    parent = await _enclosing_zone(net, domain)
    if parent is None:
        return None
    zone, hosts = parent
    referral = await _referral(net, hosts, domain)
    if referral is None:
        return None
    servers = await _server_addresses(net, referral)
    if not servers:
        return None
    observations = await asyncio.gather(*(net.ns.query(host, address, referral.zone, "SOA")
                                          for host, address in servers))
    silent = lame_servers(observations)
    return describe(referral, zone, silent) if silent is not None else None


async def _enclosing_zone(net: Net, domain: str) -> tuple[str, tuple[str, ...]] | None:
    """The closest zone above ``domain`` whose NS set the resolver gives: (zone, name servers).

    Every level is asked at once: a resolver that answers nothing at all costs one timeout here,
    not one per label."""
    labels = domain.rstrip(".").split(".")
    zones = [".".join(labels[level:]) for level in range(1, min(len(labels), MAX_LEVELS + 1))]
    answers = await net.dns.query_many([(zone, "NS") for zone in zones])
    for zone, answer in zip(zones, answers, strict=True):
        if answer.status == OK and answer.records:
            return zone, tuple(r.text.rstrip(".").lower() for r in answer.records[:MAX_SERVERS])
        if answer.status == NXDOMAIN:
            return None
    return None


async def _addresses(net: Net, host: str) -> list[str]:
    a, aaaa = await net.dns.query_many([(host, "A"), (host, "AAAA")])
    return [r.text for r in (*a.records, *aaaa.records)]


async def _referral(net: Net, parent_hosts: tuple[str, ...], domain: str) -> Referral | None:
    """The referral for ``domain`` from the first of the parent's servers that answers."""
    found = await asyncio.gather(*(_addresses(net, h) for h in parent_hosts))
    for host, addresses in zip(parent_hosts, found, strict=True):
        for address in addresses[:2]:
            observation = await net.ns.query(host, address, domain, "NS")
            if observation.answered and observation.response is not None:
                return referral_of(observation.response, domain)
    return None


async def _server_addresses(net: Net, referral: Referral) -> list[tuple[str, str]]:
    """(host, address) of each delegated server: the glue, else the resolver's answer."""
    unglued = [h for h in referral.hosts if h not in {g for g, _ in referral.glue}]
    looked_up = await asyncio.gather(*(_addresses(net, h) for h in unglued))
    pairs = list(referral.glue) + [(h, a) for h, found in zip(unglued, looked_up, strict=True) for a in found]
    return list(dict.fromkeys(pairs))[:MAX_ADDRESSES]


def _text(name: dns.name.Name) -> str:
    return name.to_text(omit_final_dot=True).lower()


__all__ = ["Referral", "describe", "explain_silence", "lame_servers", "referral_of", "why_not_serving"]
