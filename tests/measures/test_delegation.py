"""A lame delegation is named as such: which servers of which zone did not answer, never "no
answer from the resolver". Pure tables for the referral reading; the lab's lame.test for the rest
(test.zone delegates it to a server that never answers and to an address with the port closed)."""

from __future__ import annotations

import dataclasses

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rrset
import pytest

from mailguard.core.model import Evidence
from mailguard.lab import LAME_SILENT, ZONES, Lab
from mailguard.lab.dns_server import LabDns, load_zone_dir
from mailguard.measures.delegation import lame_servers, referral_of
from mailguard.net.nsprobe import NsObservation
from mailguard.render import text
from tests.conftest import run_scan


def response(*, authority=(), additional=(), answer=(), aa=False, rcode=dns.rcode.NOERROR):
    query = dns.message.make_query("www.shop.example", "NS")
    message = dns.message.make_response(query)
    message.flags &= ~dns.flags.AA
    if aa:
        message.flags |= dns.flags.AA
    message.set_rcode(rcode)
    message.answer += [dns.rrset.from_text(*r) for r in answer]
    message.authority += [dns.rrset.from_text(*r) for r in authority]
    message.additional += [dns.rrset.from_text(*r) for r in additional]
    return message


NS = ("shop.example.", 3600, "IN", "NS", "ns1.shop.example.", "ns2.host.example.")
GLUE = ("ns1.shop.example.", 3600, "IN", "A", "192.0.2.1")


def test_a_referral_names_the_cut_its_servers_and_their_glue():
    referral = referral_of(response(authority=[NS], additional=[GLUE]), "www.shop.example")
    assert referral is not None
    assert referral.zone == "shop.example"
    assert referral.hosts == ("ns1.shop.example", "ns2.host.example")
    assert referral.glue == (("ns1.shop.example", "192.0.2.1"),)


@pytest.mark.parametrize("message", [
    response(authority=[NS], aa=True),  # authoritative: the name is in this zone, no cut
    response(authority=[NS], answer=[("www.shop.example.", 60, "IN", "A", "192.0.2.9")]),
    response(authority=[NS], rcode=dns.rcode.NXDOMAIN),
    response(authority=[("other.example.", 3600, "IN", "NS", "ns.other.example.")]),  # not above the name
    response(),
])
def test_anything_else_is_not_a_referral(message):
    assert referral_of(message, "www.shop.example") is None


def seen(status, *, rcode="", flags=()):
    return NsObservation("ns.shop.example", "192.0.2.1", 53, "shop.example", "SOA", status, rcode, flags, (),
                         "udp", 1.0, "" if status == "ok" else f"{status}!", Evidence("dns", "", {}))


@pytest.mark.parametrize(("observations", "lame"), [
    ([seen("timeout"), seen("refused")], True),
    ([seen("ok", rcode="NOERROR", flags=("qr",)), seen("timeout")], True),  # answers, not AA
    ([seen("ok", rcode="REFUSED", flags=("qr",))], True),
    ([seen("ok", rcode="NOERROR", flags=("qr", "aa")), seen("timeout")], False),  # one serves it
    ([seen("blocked"), seen("timeout")], False),  # a server not asked proves nothing
    ([seen("unreachable"), seen("timeout")], False),  # no route from here (IPv6)
    ([], False),
])
def test_a_delegation_is_lame_only_when_every_server_was_seen_not_serving(observations, lame):
    assert (lame_servers(observations) is not None) == lame


@pytest.mark.parametrize("domain", ["lame.test", "www.lame.test"])
def test_a_lame_delegation_names_the_zone_and_each_silent_server(lab, domain):
    report = run_scan(domain, lab.config())
    assert report.measures == ()
    error = report.error or ""
    assert "lame delegation" in error and "no answer from the resolver" not in error
    assert "the name servers of lame.test" in error and "test delegates lame.test" in error
    assert f"ns1.lame.test ({LAME_SILENT}:{lab.dns.port}): no answer within" in error
    assert f"ns2.lame.test (127.0.0.55:{lab.dns.port}): port closed" in error
    # the terminal does not send the user to check their own machine or resolver
    said = text.render(report)
    assert "lame delegation" in said and "Is this machine online?" not in said


class TimingOutResolver(LabDns):
    """A resolver that never answers for names in lame.test (instead of saying SERVFAIL)."""

    def handle(self, query, transport):
        name = query.question[0].name if query.question else None
        if name is not None and name.is_subdomain(dns.name.from_text("lame.test")):
            return None
        return super().handle(query, transport)


def test_a_resolver_timing_out_on_a_lame_zone_is_not_blamed(lab: Lab):
    with TimingOutResolver(load_zone_dir(ZONES)) as resolver:
        config = dataclasses.replace(lab.config(), nameservers=((resolver.host, resolver.port),), timeout=0.5)
        report = run_scan("lame.test", config)
    assert "lame delegation" in (report.error or "")


def test_a_servfail_of_a_bogus_zone_is_not_called_lame(lab):
    """dsbad.test: its resolver SERVFAILs (the DS does not match), but its servers answer."""
    report = run_scan("dsbad.test", lab.config())
    assert report.error is None and report.measures


def test_a_resolver_that_never_answers_is_still_said(lab: Lab):
    """Nothing answers at all (not even the parent zone): the resolver is what failed."""
    config = dataclasses.replace(lab.config(), nameservers=((LAME_SILENT, lab.dns.port),), timeout=0.3)
    report = run_scan("good.test", config)
    assert (report.error or "").startswith("no answer from the resolver")
