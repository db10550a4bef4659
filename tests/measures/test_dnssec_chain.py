"""The chain-of-trust validator, pure: zones signed in the test, answers made in-process."""

from __future__ import annotations

from datetime import timedelta

import dns.message
import dns.rdatatype
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailguard.lab.dnssec import Fault, sign_lab
from mailguard.measures.dnssec import Question, Status, parse_anchors
from tests.dnssec_world import NOW, World


@pytest.fixture(scope="module")
def world() -> World:
    return World()


@pytest.fixture(scope="module")
def world3() -> World:
    """test. signed with NSEC3 and no opt-out, signed.test. with NSEC3 too."""
    return World(nsec3={"test.": False, "signed.test.": False})


@pytest.fixture(scope="module")
def world3_optout() -> World:
    return World(nsec3={"test.": True})


def test_signed_rrset_is_secure(world):
    result = world.validate("signed.test", "MX")
    assert (result.status, result.reason) == (Status.SECURE, "validated")
    assert result.zone == "signed.test."
    steps = [link.step for link in result.links]
    assert steps[0] == "DNSKEY ." and "DS signed.test." in steps and steps[-1] == "MX signed.test."
    assert result.records == ("10 mail.signed.test.",)


@pytest.mark.parametrize("name, rdtype, proof", [
    ("mail.signed.test", "AAAA", "NODATA"),          # the name exists without the type
    ("nothere.signed.test", "A", "NXDOMAIN"),        # the name does not exist, nor a wildcard
    ("deep.signed.test", "A", "NODATA"),             # an empty non-terminal
    ("_25._tcp.mail.signed.test", "TXT", "NODATA"),  # another empty non-terminal's child type
])
@pytest.mark.parametrize("flavour", ["world", "world3"])
def test_denials_are_proven_secure(request, flavour, name, rdtype, proof):
    result = request.getfixturevalue(flavour).validate(name, rdtype)
    assert (result.status, result.reason) == (Status.SECURE, "denial-proven"), result.detail
    assert result.detail.startswith(proof)


def test_wildcard_answer_is_secure_with_its_proof(world):
    result = world.validate("anything.wild.signed.test", "TXT")
    assert result.status == Status.SECURE, result.detail


def test_wildcard_answer_without_proof_is_bogus(world):
    def strip_nsec(question, response):
        response.authority = [r for r in response.authority
                              if r.rdtype != dns.rdatatype.NSEC and r.covers != dns.rdatatype.NSEC]
        return response

    result = world.validate("anything.wild.signed.test", "TXT", mangle=strip_nsec)
    assert (result.status, result.reason) == (Status.BOGUS, "denial-unproven")


def test_alias_reports_its_target(world):
    result = world.validate("alias.signed.test", "A")
    assert result.status == Status.SECURE and result.cname_target == "mail.signed.test"


@pytest.mark.parametrize("flavour", ["world", "world3", "world3_optout"])
def test_unsigned_delegation_is_insecure(request, flavour):
    result = request.getfixturevalue(flavour).validate("mail.unsigned.test", "A")
    assert (result.status, result.reason) == (Status.INSECURE, "unsigned-delegation"), result.detail
    assert result.insecure_at == "unsigned.test."


def test_opt_out_is_named_in_the_proof(world3_optout):
    assert "opt-out" in world3_optout.validate("unsigned.test", "MX").detail


def test_corrupted_signature_is_bogus(world):
    result = world.validate("broken.test", "MX")
    assert (result.status, result.reason) == (Status.BOGUS, "bad-signature")
    assert "does not verify" in result.detail
    assert world.validate("broken.test", "SOA").status == Status.SECURE  # only the MX RRSIG was broken


def test_expired_signatures_are_bogus_and_say_when(world):
    result = world.validate("old.test", "MX")
    assert (result.status, result.reason) == (Status.BOGUS, "rrsig-expired")
    assert (NOW - timedelta(days=1)).strftime("%Y-%m-%d") in result.detail


def test_time_is_injected(world):
    # The same signatures, judged at other times: before their inception, and after expiry.
    early = world.validate("signed.test", "MX", now=NOW - timedelta(days=2))
    assert (early.status, early.reason) == (Status.BOGUS, "rrsig-not-yet-valid")
    late = world.validate("signed.test", "MX", now=NOW + timedelta(days=40))
    assert (late.status, late.reason) == (Status.BOGUS, "rrsig-expired")
    assert world.validate("signed.test", "MX", now=NOW + timedelta(days=29)).status == Status.SECURE


def test_ds_matching_no_key_is_bogus(world):
    result = world.validate("mismatch.test", "MX")
    assert (result.status, result.reason) == (Status.BOGUS, "ds-mismatch")
    assert "matches no DNSKEY of mismatch.test." in result.detail


def test_missing_rrsig_in_a_signed_zone_is_bogus(world):
    def strip_sigs(question, response):
        if question == Question("signed.test", "MX"):
            response.answer = [r for r in response.answer if r.rdtype != dns.rdatatype.RRSIG]
        return response

    result = world.validate("signed.test", "MX", mangle=strip_sigs)
    assert (result.status, result.reason) == (Status.BOGUS, "missing-rrsig")


def test_denial_without_nsec_is_bogus(world):
    def strip_denial(question, response):
        response.authority = [r for r in response.authority if r.rdtype == dns.rdatatype.SOA]
        return response

    result = world.validate("unsigned.test", "MX", mangle=strip_denial)
    assert (result.status, result.reason) == (Status.BOGUS, "denial-unproven")


def test_forged_ds_without_signature_is_bogus(world):
    # An attacker strips the proof that unsigned.test is unsigned and claims a DS without RRSIG.
    def forge(question, response):
        if question == Question("unsigned.test", "DS"):
            forged = dns.message.make_response(dns.message.make_query("unsigned.test", "DS"))
            forged.answer.append(dns.rrset_from_text("unsigned.test.", 300, "IN", "DS", "1 15 2 " + "00" * 32))
            return forged
        return response

    dns.rrset_from_text = __import__("dns.rrset").rrset.from_text
    result = world.validate("mail.unsigned.test", "A", mangle=forge)
    assert (result.status, result.reason) == (Status.BOGUS, "missing-rrsig")


def test_wrong_anchor_is_indeterminate_not_the_domains_fault(world):
    other = sign_lab([], {".": Fault.VALID}, now=NOW)
    result = world.validate("signed.test", "MX", anchors=parse_anchors(other.anchor_text))
    assert (result.status, result.reason) == (Status.INDETERMINATE, "anchor-mismatch")


def test_anchor_given_as_dnskey_works(world):
    ksk = world.signed.keys[__import__("dns.name").name.root][0][1]
    anchors = parse_anchors(f". IN DNSKEY {ksk.to_text()}")
    assert world.validate("signed.test", "MX", anchors=anchors).status == Status.SECURE


def test_timeout_is_indeterminate_not_bogus(world):
    def drop(question, response):
        return None if question == Question("signed.test", "DS") else response

    result = world.validate("signed.test", "MX", mangle=drop)
    assert (result.status, result.reason) == (Status.INDETERMINATE, "fetch-failed")


def test_name_outside_the_anchor_is_indeterminate(world):
    anchors = parse_anchors(world.signed.anchor_text.replace(". IN DS", "test. IN DS"))
    assert world.validate("example", "SOA", anchors=anchors).reason == "no-anchor"


def test_without_prefetch_the_machine_asks_one_step_at_a_time():
    world = World()
    world.validate("mail.signed.test", "A", prefetch=False)
    assert world.asked == [
        Question("", "DNSKEY"), Question("test", "DS"), Question("test", "DNSKEY"),
        Question("signed.test", "DS"), Question("signed.test", "DNSKEY"),
        Question("mail.signed.test", "DS"), Question("mail.signed.test", "A")]


def test_with_prefetch_everything_is_asked_in_one_round():
    world = World()
    from mailguard.measures.dnssec import ChainValidator

    validator = ChainValidator("mail.signed.test", "A", world.anchors, NOW)
    first = validator.needs()
    assert len(first) == 8  # DNSKEY ., DS+DNSKEY of 3 names, the A RRset
    for question in first:
        validator.feed(question, world.answer(question))
    assert validator.needs() == () and validator.result.status == Status.SECURE


def test_many_nsec3_iterations_are_not_processed():
    # RFC 9276 §3.2: a chain with 500 iterations is not hashed (a hostile zone must not cost CPU).
    import dns.name
    import dns.rdata

    from mailguard.measures.dnssec import denial

    zone = dns.name.from_text("z.test")
    rdata = dns.rdata.from_text("IN", "NSEC3", "1 0 500 - 0123456789ABCDEFGHIJKLMNOPQRSTUV A")
    owner = dns.name.from_text("0123456789abcdefghijklmnopqrstuu.z.test")
    proof = denial.prove(dns.name.from_text("x.z.test"), dns.rdatatype.A, zone,
                         denial.DenialRecords(nsec3=((owner, rdata),)))
    assert proof.kind == denial.UNPROVEN and "RFC 9276" in proof.detail


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_mangled_answers_never_crash_and_never_pass_as_secure_with_broken_signatures(world, data):
    """Flip bytes in answers: the validator ends with a verdict, and a changed signed RRset never
    validates (anything the flipped bytes touched is bogus or unusable)."""

    def mangle(question, response):
        wire = bytearray(response.to_wire())
        for _ in range(data.draw(st.integers(1, 4))):
            index = data.draw(st.integers(12, len(wire) - 1))
            wire[index] ^= data.draw(st.integers(1, 255))
        try:
            return dns.message.from_wire(bytes(wire))
        except Exception:
            return None

    name, rdtype = data.draw(st.sampled_from([("signed.test", "MX"), ("nothere.signed.test", "A"),
                                             ("mail.unsigned.test", "A")]))
    result = world.validate(name, rdtype, mangle=mangle)
    assert result.status in set(Status)
    if result.status == Status.SECURE:  # whatever the flipped bits did, a secure answer is the true one
        if name == "signed.test":
            assert [r.lower() for r in result.records] == ["10 mail.signed.test."]
        else:
            assert name == "nothere.signed.test" and result.reason == "denial-proven"
