"""The DNSSEC measure on the lab: signed, unsigned, bogus in three ways, untestable, the AD bit."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import dns.name
import pytest

from mailguard.lab import Lab
from mailguard.measures import dane, dnssec
from mailguard.net import Net
from tests.conftest import codes, run_measure


def run_at(config, domain, now):
    async def go():
        net = Net(config, now=lambda: now)
        try:
            return await dnssec.run(net, domain, config)
        finally:
            await net.aclose()

    return asyncio.run(go())


def only(result, code):
    found = [f for f in result.findings if f.code == code]
    assert len(found) == 1, [f.code for f in result.findings]
    return found[0]


def test_signed_domain_passes_with_evidence(lab):
    result = run_measure(dnssec, "good.test", lab.config())
    assert result.status.value == "pass"
    assert codes(result)["DNSSEC-SIGNED"] == "pass"
    assert [f.subject for f in result.findings if f.code == "DNSSEC-HOST-SECURE"] == ["mx1.good.test", "mx2.good.test"]
    assert result.data["signed"] is True and result.data["status"] == "secure"
    assert result.data["names"]["good.test"]["MX"]["status"] == "secure"
    assert result.data["hosts"] == {"mx1.good.test": "secure", "mx2.good.test": "secure"}
    signed = only(result, "DNSSEC-SIGNED")
    kinds = {e.kind for e in signed.evidence}
    assert kinds == {"dns", "dnssec"}  # the queries, and each link of the chain
    assert any(e.data.get("step") == "DS good.test." for e in signed.evidence)


def test_the_resolvers_ad_bit_is_reported_beside_our_own_verdict(lab):
    result = run_measure(dnssec, "good.test", lab.config())
    ad = only(result, "DNSSEC-RESOLVER-AD")
    assert ad.verdict.value == "info"
    assert ad.params["ad"] == ad.params["total"] == ad.params["secure"] == 7
    assert result.data["names"]["mx1.good.test"]["A"]["resolver_ad"] is True
    assert all(e.data["ad"] for e in ad.evidence)


def test_unsigned_domain_fails_with_its_own_code(lab):
    result = run_measure(dnssec, "weak.test", lab.config())
    found = codes(result)
    assert found["DNSSEC-UNSIGNED"] == "fail" and "DNSSEC-BOGUS" not in found
    assert found["DNSSEC-HOST-UNSIGNED"] == "warn"
    assert result.data["signed"] is False and result.data["names"]["weak.test"]["SOA"]["insecure_at"] == "weak.test."
    assert "opt-out" in only(result, "DNSSEC-UNSIGNED").reason
    assert only(result, "DNSSEC-RESOLVER-AD").params["ad"] == 0


def test_broken_signature_is_bogus_where_it_is_broken(lab):
    result = run_measure(dnssec, "bogus.test", lab.config())
    found = codes(result)
    assert found["DNSSEC-SIGNED"] == "pass"  # the chain and the SOA are fine
    mx = next(f for f in result.findings if f.code == "DNSSEC-RRSET-BOGUS")
    assert (mx.params["rdtype"], mx.params["reason"]) == ("MX", "bad-signature")
    assert found["DNSSEC-HOST-BOGUS"] == "fail"  # found through the CD answer: the resolver refused the MX
    assert only(result, "DNSSEC-RESOLVER-AD").params["servfail"] == 2
    assert result.status.value == "fail"


@pytest.mark.parametrize("domain, reason", [("expired.test", "rrsig-expired"), ("dsbad.test", "ds-mismatch")])
def test_bogus_chain_fails(lab, domain, reason):
    result = run_measure(dnssec, domain, lab.config())
    bogus = only(result, "DNSSEC-BOGUS")
    assert bogus.verdict.value == "fail" and bogus.params["reason"] == reason
    assert result.data["status"] == "bogus" and result.data["signed"] is None
    assert "DNSSEC-RRSET-BOGUS" not in codes(result)  # the one broken link is said once


def test_a_month_later_the_signatures_have_expired(lab):
    result = run_at(lab.config(), "good.test", datetime.now(UTC) + timedelta(days=40))
    assert only(result, "DNSSEC-BOGUS").params["reason"] == "rrsig-expired"


def test_with_the_iana_anchors_the_lab_root_is_not_trusted_and_nothing_is_blamed(lab):
    result = run_measure(dnssec, "good.test", lab.config(trust_anchor=None))
    untested = only(result, "DNSSEC-UNTESTED")
    assert "--trust-anchor" in untested.reason and result.status.value == "not tested"
    assert result.data["names"]["good.test"]["SOA"]["reason"] == "anchor-mismatch"
    assert "20326" in result.data["anchor"] and "38696" in result.data["anchor"]


def test_unusable_anchor_file_is_not_tested(lab, tmp_path):
    bad = tmp_path / "anchor.txt"
    bad.write_text(". IN DS not a ds record\n")
    result = run_measure(dnssec, "good.test", lab.config(trust_anchor=bad))
    assert codes(result) == {"DNSSEC-ANCHOR-UNUSABLE": "not tested"}


@pytest.fixture(scope="module")
def silent_lab():
    with Lab() as running:
        running.dns.silent.add(dns.name.from_text("good.test"))
        yield running


def test_timeouts_are_not_tested_never_fail(silent_lab):
    started = time.monotonic()
    result = run_measure(dnssec, "good.test", silent_lab.config(timeout=0.3))
    assert time.monotonic() - started < 5
    assert codes(result)["DNSSEC-UNTESTED"] == "not tested"
    assert result.status.value == "not tested"
    assert not [f for f in result.findings if f.verdict.value == "fail"]
    assert result.data["names"]["good.test"]["SOA"]["reason"] == "fetch-failed"


def test_registered_and_in_the_domain_area():
    from mailguard.measures import by_name

    assert by_name()["dnssec"].run is dnssec.run and by_name()["dnssec"].area.value == "domain"


def test_a_mail_host_in_a_bogus_zone_is_never_secure(lab):
    """bogusmx.test is signed correctly, but its MX host's address is bogus (bogus.test). The
    address read with CD set is data, not proof: the host is bogus, and DANE cannot pass on it."""
    result = run_measure(dnssec, "bogusmx.test", lab.config())
    assert codes(result)["DNSSEC-HOST-BOGUS"] == "fail"
    assert result.data["hosts"] == {"mail.bogus.test": "bogus"}
    assert result.status.value == "fail"
    dane_result = run_measure(dane, "bogusmx.test", lab.config())
    assert codes(dane_result) == {"DANE-TLSA-BOGUS": "fail"}
    assert not any(f.verdict.value == "pass" for f in dane_result.findings)
