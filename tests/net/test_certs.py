"""Certificate facts and validation, pure: lab certificates, a trust store and a moving clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailguard.core.errors import InputError, ParseError
from mailguard.lab.pki import LabPki, spki_sha256
from mailguard.net import certs


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> LabPki:
    return LabPki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def trust(pki: LabPki) -> certs.TrustStore:
    return certs.trust_store(pki.bundle_path, system=False)


def chain_of(cert) -> list[bytes]:  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives.serialization import Encoding

    return [c.public_bytes(Encoding.DER) for c in cert.chain]


@pytest.mark.parametrize(
    ("host", "pattern", "match"),
    [
        ("mx1.example.nl", "mx1.example.nl", True),
        ("MX1.Example.NL.", "mx1.example.nl", True),
        ("mx1.example.nl", "*.example.nl", True),
        ("a.b.example.nl", "*.example.nl", False),  # RFC 6125 §6.4.3: one label only
        ("example.nl", "*.example.nl", False),
        ("mx1.example.nl", "mx*.example.nl", False),  # partial-label wildcards are not honoured
        ("mx1.example.nl", "*.*.nl", False),
        ("example", "*.example", False),
        ("nl", "*", False),
        ("mx1.example.nl", "mx2.example.nl", False),
        ("", "example.nl", False),
    ],
)
def test_name_matching_rfc6125(host: str, pattern: str, match: bool) -> None:
    assert certs.name_matches(host, pattern) is match


def test_ip_hosts_match_ip_sans_only() -> None:
    assert certs.host_matches("192.0.2.1", ["192.0.2.1"], ["192.0.2.1"]) is True
    assert certs.host_matches("192.0.2.1", ["192.0.2.1"], []) is False
    assert certs.host_matches("[2001:db8::1]", [], ["2001:db8:0::1"]) is True


def test_facts_of_rsa_and_ec_certificates(pki: LabPki) -> None:
    rsa = pki.issue(["mx1.good.test", "*.good.test"], key="rsa3072", days_valid=(-1, 30))
    facts = certs.certificate_facts(rsa.der, pki.now)
    assert (facts.key_type, facts.key_bits, facts.key_curve) == ("RSA", 3072, "")
    assert facts.sans == ("mx1.good.test", "*.good.test")
    assert facts.common_name == "mx1.good.test"
    assert facts.days_to_expiry in (29, 30)
    assert facts.issuer == pki.intermediate.cert.subject.rfc4514_string()
    assert not facts.self_signed and not facts.is_ca
    assert facts.signature_hash == "sha256"
    assert facts.spki_sha256 == spki_sha256("rsa3072")
    assert len(facts.sha256) == 64
    ec = certs.certificate_facts(pki.issue(["x.test"], key="ec256").der, pki.now)
    assert (ec.key_type, ec.key_bits, ec.key_curve) == ("EC", 256, "secp256r1")


def test_days_to_expiry_follow_the_injected_clock(pki: LabPki) -> None:
    der = pki.issue(["x.test"], days_valid=(-1, 30)).der
    later = certs.certificate_facts(der, pki.now + timedelta(days=31))
    assert later.expired and later.days_to_expiry < 0
    earlier = certs.certificate_facts(der, pki.now - timedelta(days=2))
    assert earlier.not_yet_valid and not earlier.expired


def test_garbage_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        certs.certificate_facts(b"\x30\x03junk", datetime.now(UTC))


def test_trusted_chain(pki: LabPki, trust: certs.TrustStore) -> None:
    cert = pki.issue(["mx1.good.test"])
    v = certs.validate(chain_of(cert), "mx1.good.test", trust, pki.now)
    assert v.chain == certs.TRUSTED and v.name_match and v.ok
    assert len(v.verified_chain) == 3  # leaf, intermediate, root


def test_wrong_name_is_not_an_untrusted_chain(pki: LabPki, trust: certs.TrustStore) -> None:
    cert = pki.issue(["www.elsewhere.example"])
    v = certs.validate(chain_of(cert), "mail.broken.test", trust, pki.now)
    assert v.chain == certs.TRUSTED
    assert v.name_match is False and not v.ok
    assert v.names == ("www.elsewhere.example",)


def test_expired_is_not_an_untrusted_chain(pki: LabPki, trust: certs.TrustStore) -> None:
    cert = pki.issue(["old.test"], days_valid=(-100, -5))
    v = certs.validate(chain_of(cert), "old.test", trust, pki.now)
    assert v.chain == certs.EXPIRED
    assert "expired on" in v.reason


def test_not_yet_valid(pki: LabPki, trust: certs.TrustStore) -> None:
    cert = pki.issue(["new.test"], days_valid=(5, 50))
    assert certs.validate(chain_of(cert), "new.test", trust, pki.now).chain == certs.NOT_YET_VALID


def test_self_signed_and_unknown_ca(pki: LabPki, trust: certs.TrustStore) -> None:
    own = pki.issue(["self.test"], issuer="self")
    assert certs.validate(chain_of(own), "self.test", trust, pki.now).chain == certs.SELF_SIGNED
    assert certs.certificate_facts(own.der, pki.now).self_signed
    rogue = pki.issue(["rogue.test"], issuer="rogue")
    v = certs.validate(chain_of(rogue), "rogue.test", trust, pki.now)
    assert v.chain == certs.UNTRUSTED
    assert "rogue CA" in v.reason


def test_missing_intermediate_is_untrusted(pki: LabPki, trust: certs.TrustStore) -> None:
    cert = pki.issue(["mx1.good.test"])
    v = certs.validate(chain_of(cert)[:1], "mx1.good.test", trust, pki.now)
    assert v.chain == certs.UNTRUSTED


def test_without_the_lab_bundle_the_lab_is_untrusted(pki: LabPki) -> None:
    cert = pki.issue(["mx1.good.test"])
    system_only = certs.trust_store(None)
    assert certs.validate(chain_of(cert), "mx1.good.test", system_only, pki.now).chain == certs.UNTRUSTED


def test_no_certificate_and_garbage_never_raise(pki: LabPki, trust: certs.TrustStore) -> None:
    assert certs.validate([], "x.test", trust, pki.now).chain == certs.NO_CERTIFICATE
    assert certs.validate([b"junk"], "x.test", trust, pki.now).chain == certs.UNPARSEABLE


def test_bad_ca_bundle_is_an_input_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pem"
    empty.write_text("no certificates here\n")
    with pytest.raises(InputError):
        certs.load_bundle(empty)
