"""The lab's signed DNS, over real UDP: signatures, denial proofs, DS from the parent, AD, SERVFAIL."""

from __future__ import annotations

import dns.dnssec
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from mailguard.measures.dnssec import load_anchors


def ask(lab, name, rdtype, *, do=True, cd=False, ad=False):
    query = dns.message.make_query(name, rdtype, want_dnssec=do)
    if cd:
        query.flags |= dns.flags.CD
    if ad:
        query.flags |= dns.flags.AD
    return dns.query.udp(query, lab.dns.host, port=lab.dns.port, timeout=5)


def types(section):
    return [(r.name.to_text(), dns.rdatatype.to_text(r.rdtype),
             dns.rdatatype.to_text(r.covers) if r.rdtype == dns.rdatatype.RRSIG else "") for r in section]


def test_signed_answers_carry_rrsigs_only_when_do_is_set(lab):
    assert ("good.test.", "RRSIG", "MX") in types(ask(lab, "good.test", "MX").answer)
    assert [t for _, t, _ in types(ask(lab, "good.test", "MX", do=False).answer)] == ["MX"]


def test_ds_is_answered_from_the_parent_zone(lab):
    response = ask(lab, "good.test", "DS")
    sig = next(r for r in response.answer if r.rdtype == dns.rdatatype.RRSIG)
    assert sig[0].signer.to_text() == "test."


@pytest.mark.parametrize("name, rdtype, rcode, proof", [
    ("mx1.good.test", "TXT", dns.rcode.NOERROR, "NSEC"),    # NODATA in an NSEC zone
    ("nope.good.test", "A", dns.rcode.NXDOMAIN, "NSEC"),
    ("weak.test", "DS", dns.rcode.NOERROR, "NSEC3"),      # an opted-out unsigned delegation
    ("nope.test", "A", dns.rcode.NXDOMAIN, "NSEC3"),
])
def test_denials_are_proven_with_signed_nsec_records(lab, name, rdtype, rcode, proof):
    response = ask(lab, name, rdtype)
    assert response.rcode() == rcode and not response.answer
    found = types(response.authority)
    assert any(t == proof for _, t, _ in found) and any(c == proof for _, _, c in found)
    assert all(t not in ("NSEC", "NSEC3") for _, t, _ in types(ask(lab, name, rdtype, do=False).authority))


def test_ad_only_for_secure_zones_and_only_when_asked(lab):
    assert ask(lab, "good.test", "MX").flags & dns.flags.AD
    assert ask(lab, "good.test", "MX", do=False, ad=True).flags & dns.flags.AD
    assert not ask(lab, "good.test", "MX", do=False).flags & dns.flags.AD
    assert not ask(lab, "good.test", "MX", cd=True).flags & dns.flags.AD
    assert not ask(lab, "weak.test", "MX").flags & dns.flags.AD


@pytest.mark.parametrize("name, rdtype", [("bogus.test", "MX"), ("expired.test", "SOA"), ("dsbad.test", "MX")])
def test_bogus_data_is_servfail_unless_checking_is_disabled(lab, name, rdtype):
    assert ask(lab, name, rdtype).rcode() == dns.rcode.SERVFAIL
    checked_by_us = ask(lab, name, rdtype, cd=True)
    assert checked_by_us.rcode() == dns.rcode.NOERROR and checked_by_us.answer


def test_the_lab_hands_out_its_own_root_anchor(lab):
    anchors = load_anchors(lab.config().trust_anchor)
    assert anchors.zone == "." and len(anchors.ds) == 1
    root_keys = ask(lab, ".", "DNSKEY").answer[0]
    assert anchors.ds[0].key_tag in {dns.dnssec.key_id(k) for k in root_keys}
