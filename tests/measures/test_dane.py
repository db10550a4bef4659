"""DANE for SMTP: the pure TLSA matcher (certificates made here) and the measure on the lab."""

from __future__ import annotations

import asyncio
import hashlib
import itertools

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from mailguard.core.errors import ParseError
from mailguard.lab import Lab, load_zone_text
from mailguard.lab.dnssec import Fault
from mailguard.lab.pki import spki_sha256
from mailguard.measures import dane
from mailguard.measures.dane import Tlsa, association, match_tlsa, parse_tlsa
from mailguard.net import Net
from tests.conftest import codes, run_measure

# -- certificates made in the test ---------------------------------------------------------------


def der(pem: bytes) -> bytes:
    return x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)


@pytest.fixture(scope="module")
def pki():
    root = trustme.CA()
    issuing = root.create_child_ca()
    leaf = issuing.issue_cert("mx.example.test")
    other = trustme.CA().create_child_ca().issue_cert("mx.example.test")
    chain = tuple(der(b.bytes()) for b in leaf.cert_chain_pems)  # leaf, issuing CA
    stranger = tuple(der(b.bytes()) for b in other.cert_chain_pems)
    return {"chain": chain, "stranger": stranger}


def expected(cert_der: bytes, selector: int, matching: int) -> bytes:
    """The RFC 6698 §2.1 association data, computed independently of the code under test."""
    cert = x509.load_der_x509_certificate(cert_der)
    selected = cert_der if selector == 0 else cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return {0: selected, 1: hashlib.sha256(selected).digest(), 2: hashlib.sha512(selected).digest()}[matching]


COMBINATIONS = list(itertools.product((2, 3), (0, 1), (0, 1, 2)))


@pytest.mark.parametrize("usage, selector, matching", COMBINATIONS)
def test_every_usable_combination_matches_the_right_certificate(pki, usage, selector, matching):
    chain = pki["chain"]
    target = chain[0] if usage == 3 else chain[1]  # DANE-EE: the leaf; DANE-TA: the issuing CA
    record = Tlsa(usage, selector, matching, expected(target, selector, matching))
    result = match_tlsa(record, chain, names=("mx.example.test",))
    assert (result.usable, result.matched, result.reason) == (True, True, "match")
    assert result.position == (0 if usage == 3 else 1)
    assert association(target, selector, matching) == record.data


@pytest.mark.parametrize("usage, selector, matching", COMBINATIONS)
def test_every_combination_spells_out_a_mismatch(pki, usage, selector, matching):
    stranger = pki["stranger"][0 if usage == 3 else 1]
    record = Tlsa(usage, selector, matching, expected(stranger, selector, matching))
    result = match_tlsa(record, pki["chain"])
    assert (result.usable, result.matched, result.reason) == (True, False, "no-match")
    mine = pki["chain"][0 if usage == 3 else 1]
    assert result.computed == (expected(mine, selector, matching).hex(),)
    assert "does not match" in result.detail and ("leaf" if usage == 3 else "issuer #1") in result.detail


@pytest.mark.parametrize("usage", [0, 1])
def test_pkix_usages_are_not_for_smtp(pki, usage):
    record = Tlsa(usage, 0, 1, expected(pki["chain"][0], 0, 1))  # would match, but may not be used
    result = match_tlsa(record, pki["chain"])
    assert (result.usable, result.matched, result.reason) == (False, False, "pkix-usage")


@pytest.mark.parametrize("record, why", [
    (Tlsa(3, 1, 1, b"\x00" * 31), "32 bytes"),
    (Tlsa(3, 1, 2, b"\x00" * 32), "64 bytes"),
    (Tlsa(3, 2, 1, b"\x00" * 32), "selector 2"),
    (Tlsa(3, 1, 3, b"\x00" * 32), "matching type 3"),
    (Tlsa(4, 1, 1, b"\x00" * 32), "usage 4"),
    (Tlsa(3, 1, 0, b""), "empty"),
])
def test_malformed_records_are_unusable(pki, record, why):
    result = match_tlsa(record, pki["chain"])
    assert not result.usable and result.reason == "unusable" and why in result.detail


def test_dane_ee_ignores_names_and_issuers(pki):
    # RFC 7672 §3.1.1: a DANE-EE match authenticates whatever name the certificate carries.
    record = Tlsa(3, 1, 1, expected(pki["chain"][0], 1, 1))
    assert match_tlsa(record, pki["chain"][:1], names=("another.name.test",)).matched


def test_dane_ta_never_matches_the_leaf_itself(pki):
    record = Tlsa(2, 1, 1, expected(pki["chain"][0], 1, 1))
    assert not match_tlsa(record, pki["chain"]).matched


def test_dane_ta_needs_the_anchor_in_the_chain(pki):
    record = Tlsa(2, 1, 1, expected(pki["chain"][1], 1, 1))
    result = match_tlsa(record, pki["chain"][:1])
    assert result.reason == "no-match" and "sent only its leaf" in result.detail


def test_dane_ta_checks_the_name(pki):
    record = Tlsa(2, 1, 1, expected(pki["chain"][1], 1, 1))
    result = match_tlsa(record, pki["chain"], names=("mx.elsewhere.test",))
    assert (result.matched, result.reason) == (False, "name-mismatch")
    assert "mx.example.test" in result.detail


def test_dane_ta_checks_the_signature_below_the_anchor(pki):
    # A leaf from another CA presented with our issuing CA: the TA matches, the chain does not hold.
    forged = (pki["stranger"][0], pki["chain"][1])
    record = Tlsa(2, 1, 1, expected(pki["chain"][1], 1, 1))
    assert match_tlsa(record, forged).reason == "chain-broken"


def test_no_certificate_is_no_match(pki):
    assert match_tlsa(Tlsa(3, 1, 1, b"\x00" * 32), ()).reason == "no-certificate"


def test_parse_tlsa():
    assert parse_tlsa("3 1 1 AB cd") == Tlsa(3, 1, 1, bytes.fromhex("abcd"))
    for bad in ("3 1 1", "3 x 1 ab", "3 1 1 zz", "256 1 1 ab"):
        with pytest.raises(ParseError):
            parse_tlsa(bad)


# -- the measure on the lab ----------------------------------------------------------------------


def test_matching_tlsa_on_every_mx_host_passes(lab):
    result = run_measure(dane, "good.test", lab.config())
    assert result.status.value == "pass"
    assert [f.code for f in result.findings] == ["DANE-MATCH"] * 4  # mx1 and mx2, over IPv4 and IPv6
    mx1 = result.data["hosts"]["mx1.good.test"]
    assert set(mx1["matches"]["127.0.0.11"].values()) == {"match"}  # both the 3 1 1 and the 2 1 1 record
    assert result.data["dane"] is True
    kinds = {e.kind for e in result.findings[0].evidence}
    assert {"dns", "dnssec", "smtp"} <= kinds


def test_mismatch_is_spelled_out(lab):
    result = run_measure(dane, "danebad.test", lab.config())
    mismatch = next(f for f in result.findings if f.code == "DANE-MISMATCH")
    assert mismatch.verdict.value == "fail"
    assert "3 1 1 9e0ae902b3ef8ade" in mismatch.reason  # the record published
    assert "gives 3 1 1 " + spki_sha256("ec256")[:16] in mismatch.reason  # what the presented leaf gives
    assert codes(result)["DANE-TLSA-PKIX"] == "info"
    assert result.data["dane"] is False


def test_tlsa_in_an_unsigned_zone_is_not_usable(lab):
    result = run_measure(dane, "weak.test", lab.config())
    found = codes(result)
    assert found["DANE-TLSA-INSECURE"] == "warn" and found["DANE-MX-INSECURE"] == "warn"
    assert "DANE-MATCH" not in found and "fail" not in found.values()
    assert result.data["hosts"]["mail.weak.test"]["records"]  # the records are there, and said unusable


def test_bogus_mx_fails(lab):
    assert codes(run_measure(dane, "bogus.test", lab.config()))["DANE-MX-BOGUS"] == "fail"


def test_null_mx_needs_no_dane(lab):
    assert codes(run_measure(dane, "nomail.test", lab.config())) == {"DANE-NO-MX": "info"}


def test_dane_shares_the_starttls_measures_session(lab):
    config = lab.config()

    async def go():
        net = Net(config)
        try:
            outcome = await dane.run(net, "good.test", config)
            session = await net.smtp.probe("mx1.good.test", "127.0.0.11")  # what STARTTLS would get
            return outcome, session
        finally:
            await net.aclose()

    outcome, session = asyncio.run(go())
    assert any(e is session.evidence for e in outcome.evidence)


CASES = """$TTL 300
@ IN SOA ns.danecases.test. h.danecases.test. 1 2 3 4 300
@ IN NS ns.danecases.test.
ns IN A 127.0.0.53
closed IN MX 10 mx.closed
mx.closed IN A 127.0.0.39
_25._tcp.mx.closed IN TLSA 3 1 1 {key}
plain IN MX 10 mx.plain
mx.plain IN A 127.0.0.34
_25._tcp.mx.plain IN TLSA 3 1 1 {key}
none IN MX 10 mx.none
mx.none IN A 127.0.0.11
junk IN MX 10 mx.junk
mx.junk IN A 127.0.0.11
_25._tcp.mx.junk IN TLSA 3 2 1 {key}
_25._tcp.mx.junk IN TLSA 0 0 1 {key}
""".replace("{key}", "00" * 32)


@pytest.fixture(scope="module")
def cases_lab():
    zone = load_zone_text("danecases.test", CASES)
    with Lab(extra_zones=[zone], signing={"danecases.test.": Fault.VALID}) as running:
        yield running


@pytest.mark.parametrize("domain, code, verdict", [
    ("closed.danecases.test", "DANE-PROBE-UNTESTED", "not tested"),  # port 25 unreachable: never fail
    ("plain.danecases.test", "DANE-NO-STARTTLS", "fail"),  # TLSA published, STARTTLS missing
    ("none.danecases.test", "DANE-TLSA-NONE", "warn"),  # a signed zone without TLSA
    ("junk.danecases.test", "DANE-TLSA-UNUSABLE", "warn"),  # an undefined selector and a PKIX record
])
def test_dane_cases(cases_lab, domain, code, verdict):
    result = run_measure(dane, domain, cases_lab.config(timeout=1.0))
    assert codes(result)[code] == verdict, [f.reason for f in result.findings]
