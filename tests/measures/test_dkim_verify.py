"""Verifying signed messages against keys the lab publishes: messages the tests sign themselves
(RSA 2048 and Ed25519, both canonicalizations) and the signed example of RFC 8463 Appendix A."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from mailguard.core.mime import parse_message
from mailguard.lab import Lab, load_zone_text
from mailguard.measures.dkim.check import MessageReport, verify_message
from mailguard.net import Net
from tests.dkim_signer import SigningKey, message, new_ed25519, new_rsa, sign

HEAD = """$TTL 300
@ IN SOA ns.sig.test. h.sig.test. 1 2 3 4 5
@ IN NS ns.sig.test.
ns IN A 127.0.0.1
"""


class Keys:
    def __init__(self) -> None:
        self.rsa = new_rsa(2048)
        self.ed = new_ed25519()
        self.other = new_rsa(2048)   # signs, but is published nowhere
        self.revoke = new_rsa(2048)  # published, then revoked after signing

    def zone(self, *, revoked: bool = False) -> str:
        lines = [HEAD, self.rsa.zone_line("rsa._domainkey"), self.ed.zone_line("ed._domainkey"),
                 self.rsa.zone_line("rsa._domainkey.mail"),
                 self.rsa.zone_line("strict._domainkey", extra="t=s; "),
                 self.rsa.zone_line("sha1only._domainkey", extra="h=sha1; "),
                 self.ed.zone_line("testing._domainkey", extra="t=y; ")]
        lines.append('revoke._domainkey IN TXT "v=DKIM1; k=rsa; p="' if revoked
                     else self.revoke.zone_line("revoke._domainkey"))
        return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys()


@pytest.fixture(scope="module")
def siglab(keys: Keys):
    import dns.name

    with Lab() as running:
        running.dns.replace_zone(load_zone_text("sig.test", keys.zone()))
        running.dns.silent.add(dns.name.from_text("silent._domainkey.sig.test"))
        yield running


def check(lab: Lab, raw: bytes, *, now: datetime | None = None, timeout: float = 2.0) -> MessageReport:
    config = lab.config(timeout=timeout)

    async def go() -> MessageReport:
        net = Net(config, now=(lambda: now) if now is not None else lambda: datetime.now(UTC))
        try:
            return await verify_message(net, parse_message(raw), "test.eml")
        finally:
            await net.aclose()

    return asyncio.run(go())


def only(report: MessageReport):
    assert len(report.verifications) == 1
    return report.verifications[0]


# -- what verifies ---------------------------------------------------------------------------------

@pytest.mark.parametrize("canon", ["simple/simple", "simple/relaxed", "relaxed/simple", "relaxed/relaxed"])
@pytest.mark.parametrize("which", ["rsa", "ed"])
def test_signed_messages_verify(siglab, keys, which, canon):
    key: SigningKey = getattr(keys, which)
    v = only(check(siglab, sign(message(), key, domain="sig.test", selector=which, canon=canon)))
    assert (v.result, v.reason) == ("pass", "verified"), v.detail
    assert (v.domain, v.selector, v.canonicalization) == ("sig.test", which, canon)
    assert v.algorithm == ("rsa-sha256" if which == "rsa" else "ed25519-sha256")
    assert (v.key_type, v.key_bits) == (("rsa", 2048) if which == "rsa" else ("ed25519", 256))
    assert v.signed_headers == ("from", "to", "subject", "date") and v.from_signed
    assert v.body_hash_ok and v.signature_ok and v.aligned_strict and v.aligned_relaxed
    assert v.key_evidence is not None
    assert v.key_evidence.data["query"] == {"name": f"{which}._domainkey.sig.test", "type": "TXT"}


@pytest.mark.parametrize("canon", ["simple/simple", "relaxed/relaxed"])
def test_folded_headers_verify(siglab, keys, canon):
    raw = message(subject="A long subject\r\n\tfolded over\r\n  two lines",
                  extra_headers="X-Note: one\r\n two\r\n")
    signed = sign(raw, keys.rsa, domain="sig.test", selector="rsa", canon=canon,
                  headers=("from", "subject", "x-note"))
    assert only(check(siglab, signed)).result == "pass"


def test_relaxed_survives_refolding_simple_does_not(siglab, keys):
    raw = message(subject="A long subject\r\n\tfolded over")
    for canon, expected in (("relaxed/relaxed", "pass"), ("simple/simple", "fail")):
        signed = sign(raw, keys.rsa, domain="sig.test", selector="rsa", canon=canon)
        refolded = signed.replace(b"Subject: A long subject\r\n\tfolded over",
                                  b"Subject:  A long   subject folded\r\n over")
        v = only(check(siglab, refolded))
        assert v.result == expected, canon
    assert (v.reason, v.body_hash_ok, v.signature_ok) == ("signature-mismatch", True, False)


def test_relaxed_body_survives_trailing_white_space(siglab, keys):
    signed = sign(message(), keys.ed, domain="sig.test", selector="ed", canon="relaxed/relaxed")
    assert only(check(siglab, signed.replace(b"attached.", b"attached.  \t") + b"\r\n\r\n")).result == "pass"


def test_bare_lf_file_verifies(siglab, keys):
    signed = sign(message(), keys.rsa, domain="sig.test", selector="rsa", canon="simple/simple")
    report = check(siglab, signed.replace(b"\r\n", b"\n"))
    assert report.newlines_converted and only(report).result == "pass"


# -- what does not, and why: told apart ------------------------------------------------------------------

def test_body_changed_after_signing_is_a_body_hash_failure(siglab, keys):
    signed = sign(message(), keys.rsa, domain="sig.test", selector="rsa")
    v = only(check(siglab, signed.replace(b"attached", b"ATTACHED")))
    assert (v.result, v.reason) == ("fail", "body-hash-mismatch")
    assert v.body_hash_ok is False and v.signature_ok is True  # the headers are still as signed


def test_signed_header_changed_after_signing_is_a_signature_failure(siglab, keys):
    signed = sign(message(), keys.ed, domain="sig.test", selector="ed")
    v = only(check(siglab, signed.replace(b"Subject: Your invoice", b"Subject: Pay this now")))
    assert (v.result, v.reason) == ("fail", "signature-mismatch")
    assert v.body_hash_ok is True and v.signature_ok is False


def test_header_added_after_signing(siglab, keys):
    signed = sign(message(), keys.rsa, domain="sig.test", selector="rsa")
    # a second Subject below the first: verifiers take the bottom one, so the signature breaks
    added = signed.replace(b"Message-ID:", b"Subject: Pay this now\r\nMessage-ID:")
    assert only(check(siglab, added)).reason == "signature-mismatch"
    # a header the signature does not cover may be added (a relay's Received, for example)
    assert only(check(siglab, b"Received: from relay.example\r\n" + signed)).result == "pass"


def test_oversigning_forbids_adding_a_header(siglab, keys):
    signed = sign(message(), keys.rsa, domain="sig.test", selector="rsa",
                  headers=("from", "subject", "subject"))
    assert only(check(siglab, signed)).result == "pass"
    added = signed.replace(b"Message-ID:", b"Subject: second\r\nMessage-ID:")
    assert only(check(siglab, added)).reason == "signature-mismatch"


def test_key_revoked_after_signing_is_a_permerror(siglab, keys):
    signed = sign(message(), keys.revoke, domain="sig.test", selector="revoke")
    assert only(check(siglab, signed)).result == "pass"
    siglab.dns.replace_zone(load_zone_text("sig.test", keys.zone(revoked=True)))
    try:
        v = only(check(siglab, signed))
    finally:
        siglab.dns.replace_zone(load_zone_text("sig.test", keys.zone()))
    assert (v.result, v.reason) == ("permerror", "key-revoked")
    assert '"v=DKIM1; k=rsa; p="' in v.key_evidence.data["records"][0]["data"]


def test_wrong_key_is_a_signature_failure(siglab, keys):
    signed = sign(message(), keys.other, domain="sig.test", selector="rsa")
    v = only(check(siglab, signed))
    assert (v.reason, v.body_hash_ok, v.signature_ok) == ("signature-mismatch", True, False)


def test_body_length_limit_lets_content_be_appended(siglab, keys):
    raw = message()
    length = len(raw.partition(b"\r\n\r\n")[2])
    signed = sign(raw, keys.rsa, domain="sig.test", selector="rsa", canon="simple/simple", length=length)
    v = only(check(siglab, signed + b"P.S. pay to this other account instead.\r\n"))
    assert v.result == "pass" and v.length == length  # which is why l= is flagged


def test_body_shorter_than_l_is_a_permerror(siglab, keys):
    signed = sign(message(), keys.rsa, domain="sig.test", selector="rsa", canon="simple/simple", length=40)
    shortened = signed.replace(b"Dear customer,\r\n\r\nYour invoice is attached.  Regards.\r\n", b"Hi\r\n")
    assert only(check(siglab, shortened)).reason == "body-shorter-than-l"


def test_from_not_signed_is_a_permerror(siglab, keys):
    signed = sign(message(), keys.rsa, domain="sig.test", selector="rsa", headers=("to", "subject"))
    v = only(check(siglab, signed))
    assert (v.result, v.reason, v.from_signed) == ("permerror", "from-not-signed", False)


def test_expiry_uses_the_injected_clock(siglab, keys):
    signed = sign(message(), keys.ed, domain="sig.test", selector="ed", timestamp=1_700_000_000,
                  expires=1_700_086_400)
    before = datetime.fromtimestamp(1_700_000_100, UTC)
    after = datetime.fromtimestamp(1_700_086_401, UTC)
    assert only(check(siglab, signed, now=before)).result == "pass"
    v = only(check(siglab, signed, now=after))
    assert (v.result, v.reason, v.expires) == ("permerror", "expired", 1_700_086_400)


def test_rsa_sha1_is_no_longer_valid(siglab, keys):
    signed = sign(message(), keys.rsa, domain="sig.test", selector="rsa", algorithm="rsa-sha1")
    assert only(check(siglab, signed)).reason == "sha1"


@pytest.mark.parametrize("selector, reason", [
    ("missing", "key-not-found"),
    ("sha1only", "key-hash-not-allowed"),
    ("ed", "key-type-mismatch"),        # an RSA signature against the Ed25519 key
])
def test_key_problems_are_permerrors(siglab, keys, selector, reason):
    v = only(check(siglab, sign(message(), keys.rsa, domain="sig.test", selector=selector)))
    assert (v.result, v.reason) == ("permerror", reason)


def test_strict_key_refuses_a_subdomain_identity(siglab, keys):
    ok = sign(message(), keys.rsa, domain="sig.test", selector="strict", identity="invoices@sig.test")
    assert only(check(siglab, ok)).result == "pass"
    sub = sign(message(), keys.rsa, domain="sig.test", selector="strict", identity="x@mail.sig.test")
    assert only(check(siglab, sub)).reason == "key-strict-identity"


def test_testing_key_still_verifies_and_says_so(siglab, keys):
    v = only(check(siglab, sign(message(), keys.ed, domain="sig.test", selector="testing")))
    assert v.result == "pass" and v.key_testing


def test_silent_key_lookup_is_a_temperror(siglab, keys):
    signed = sign(message(), keys.rsa, domain="sig.test", selector="silent")
    v = only(check(siglab, signed, timeout=0.3))
    assert (v.result, v.reason) == ("temperror", "key-lookup-failed")


def test_malformed_signature_is_a_permerror_beside_a_good_one(siglab, keys):
    signed = sign(message(), keys.ed, domain="sig.test", selector="ed")
    report = check(siglab, b"DKIM-Signature: v=1; a=rsa-sha256; d=sig.test; s=rsa; h=from\r\n" + signed)
    first, second = report.verifications
    assert (first.result, first.reason) == ("permerror", "missing-tag")
    assert second.result == "pass" and len(report.passed) == 1


# -- DMARC alignment of d= with From (RFC 7489 §3.1.1) ------------------------------------------------

def test_subdomain_signer_aligns_relaxed_not_strict(siglab, keys):
    v = only(check(siglab, sign(message(), keys.rsa, domain="mail.sig.test", selector="rsa")))
    assert v.result == "pass" and (v.aligned_strict, v.aligned_relaxed) == (False, True)


def test_other_organization_does_not_align(siglab, keys):
    raw = message(sender="someone@elsewhere.example")
    v = only(check(siglab, sign(raw, keys.rsa, domain="sig.test", selector="rsa")))
    assert v.result == "pass" and (v.aligned_strict, v.aligned_relaxed) == (False, False)


def test_two_from_addresses_leave_alignment_unjudged(siglab, keys):
    raw = message(sender="a@sig.test>, <b@sig.test")
    report = check(siglab, sign(raw, keys.rsa, domain="sig.test", selector="rsa"))
    assert "2 addresses" in report.from_problem and only(report).aligned_relaxed is None


# -- RFC 8463 Appendix A: the signed example, with its two keys in a lab zone ------------------------------

RFC8463_ZONE = """$TTL 300
@ IN SOA ns h 1 2 3 4 5
@ IN NS ns
ns IN A 127.0.0.1
brisbane._domainkey IN TXT "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
test._domainkey IN TXT ("v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR"
    "iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC"
    "DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3"
    "Ip3G+2kryOTIKT+l/K4w3QIDAQAB")
"""

RFC8463_MESSAGE = b"""\
DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;
 d=football.example.com; i=@football.example.com;
 q=dns/txt; s=brisbane; t=1528637909; h=from : to :
 subject : date : message-id : from : subject : date;
 bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;
 b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus
 Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==
DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;
 d=football.example.com; i=@football.example.com;
 q=dns/txt; s=test; t=1528637909; h=from : to : subject :
 date : message-id : from : subject : date;
 bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;
 b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3
 DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz
 dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=
From: Joe SixPack <joe@football.example.com>
To: Suzie Q <suzie@shopping.example.net>
Subject: Is dinner ready?
Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)
Message-ID: <20030712040037.46341.5F8J@football.example.com>

Hi.

We lost the game.  Are you hungry yet?

Joe.
""".replace(b"\n", b"\r\n")


@pytest.fixture(scope="module")
def rfclab():
    # The RFC's own domain; served only by the lab on loopback, like every lab zone.
    with Lab(extra_zones=[load_zone_text("football.example.com", RFC8463_ZONE)]) as running:
        yield running


def test_rfc8463_example_verifies_with_both_keys(rfclab):
    report = check(rfclab, RFC8463_MESSAGE)
    ed, rsa_ = report.verifications
    assert (ed.result, ed.algorithm, ed.key_type) == ("pass", "ed25519-sha256", "ed25519")
    assert (rsa_.result, rsa_.algorithm, rsa_.key_bits) == ("pass", "rsa-sha256", 1024)
    assert ed.signed_headers == ("from", "to", "subject", "date", "message-id", "from", "subject", "date")
    assert ed.timestamp == 1528637909 and ed.identity == "@football.example.com"
    assert report.from_domain == "football.example.com" and ed.aligned_strict


def test_rfc8463_example_detects_tampering(rfclab):
    tampered = RFC8463_MESSAGE.replace(b"Are you hungry yet?", b"Are you hungry now?")
    assert {(v.result, v.reason) for v in check(rfclab, tampered).verifications} == {
        ("fail", "body-hash-mismatch")}
