"""The shared TLS evaluation, pure: the NCSC-NL tables, and findings from hand-made observations."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from mailguard.core import messages
from mailguard.core.model import Evidence, Verdict
from mailguard.lab.pki import LabCert, LabPki
from mailguard.measures import tlseval
from mailguard.measures.tlseval import GOOD, INSUFFICIENT, PHASE_OUT, SUFFICIENT
from mailguard.net import certs
from mailguard.net.certs import CertificateFacts
from mailguard.net.tls import (
    ACCEPTED,
    CANNOT_TEST,
    DEFAULT,
    REFUSED,
    CipherProbe,
    TlsObservation,
    VersionProbe,
    VersionSupport,
)


@pytest.mark.parametrize(
    ("version", "level"),
    [
        ("TLSv1.3", GOOD),
        ("TLSv1.2", SUFFICIENT),
        ("TLSv1.1", INSUFFICIENT),
        ("TLSv1", INSUFFICIENT),
        ("SSLv3", INSUFFICIENT),
        ("SSLv2", INSUFFICIENT),
        ("TLSv9", INSUFFICIENT),
    ],
)
def test_versions(version: str, level: str) -> None:
    assert tlseval.version_level(version) == level


@pytest.mark.parametrize(
    ("suite", "level"),
    [
        # TLS 1.3 (RFC 8446 §B.4)
        ("TLS_AES_256_GCM_SHA384", GOOD),
        ("TLS_CHACHA20_POLY1305_SHA256", GOOD),
        ("TLS_AES_128_GCM_SHA256", GOOD),
        ("TLS_AES_128_CCM_SHA256", SUFFICIENT),
        ("TLS_AES_128_CCM_8_SHA256", PHASE_OUT),
        # ECDHE with AEAD: good
        ("ECDHE-ECDSA-AES256-GCM-SHA384", GOOD),
        ("ECDHE-RSA-AES128-GCM-SHA256", GOOD),
        ("ECDHE-RSA-CHACHA20-POLY1305", GOOD),
        # DHE with AEAD, and (EC)DHE with CBC or CCM: sufficient
        ("DHE-RSA-AES256-GCM-SHA384", SUFFICIENT),
        ("DHE-RSA-CHACHA20-POLY1305", SUFFICIENT),
        ("ECDHE-RSA-AES256-SHA384", SUFFICIENT),
        ("ECDHE-ECDSA-AES128-SHA", SUFFICIENT),
        ("DHE-RSA-AES128-SHA256", SUFFICIENT),
        ("ECDHE-ECDSA-AES256-CCM", SUFFICIENT),
        ("ECDHE-ECDSA-AES128-CCM8", PHASE_OUT),
        # static RSA key exchange: phase out
        ("AES256-GCM-SHA384", PHASE_OUT),
        ("AES128-SHA", PHASE_OUT),
        ("AES256-SHA256", PHASE_OUT),
        # insufficient: 3DES, RC4, NULL, EXPORT, anonymous, PSK, DSS, static DH, other ciphers
        ("DES-CBC3-SHA", INSUFFICIENT),
        ("ECDHE-RSA-DES-CBC3-SHA", INSUFFICIENT),
        ("RC4-SHA", INSUFFICIENT),
        ("ECDHE-RSA-RC4-SHA", INSUFFICIENT),
        ("NULL-SHA256", INSUFFICIENT),
        ("ECDHE-RSA-NULL-SHA", INSUFFICIENT),
        ("EXP-RC4-MD5", INSUFFICIENT),
        ("EXP1024-DES-CBC-SHA", INSUFFICIENT),
        ("ADH-AES256-GCM-SHA384", INSUFFICIENT),
        ("AECDH-AES128-SHA", INSUFFICIENT),
        ("PSK-AES256-GCM-SHA384", INSUFFICIENT),
        ("DHE-DSS-AES256-GCM-SHA384", INSUFFICIENT),
        ("DH-RSA-AES256-SHA", INSUFFICIENT),
        ("ECDH-ECDSA-AES128-SHA", INSUFFICIENT),
        ("CAMELLIA256-SHA", INSUFFICIENT),
        ("ECDHE-ARIA256-GCM-SHA384", INSUFFICIENT),
        ("IDEA-CBC-SHA", INSUFFICIENT),
        ("SEED-SHA", INSUFFICIENT),
        ("", INSUFFICIENT),
        ("garbage", INSUFFICIENT),
    ],
)
def test_cipher_suites(suite: str, level: str) -> None:
    assert tlseval.cipher_level(suite) == level


@pytest.mark.parametrize(
    ("group", "level"),
    [
        ("x25519", GOOD),
        ("X448", GOOD),
        ("secp256r1", GOOD),
        ("prime256v1", GOOD),
        ("secp384r1", GOOD),
        ("X25519MLKEM768", GOOD),
        ("ffdhe4096", SUFFICIENT),
        ("ffdhe3072", SUFFICIENT),
        ("ffdhe2048", PHASE_OUT),
        ("secp224r1", INSUFFICIENT),
        ("brainpoolP256r1", INSUFFICIENT),
    ],
)
def test_groups(group: str, level: str) -> None:
    assert tlseval.group_level(group) == level


def facts(**changes: Any) -> CertificateFacts:
    base = dict(
        subject="CN=x",
        issuer="CN=ca",
        common_name="x",
        sans=("x",),
        san_ips=(),
        serial="1",
        not_before=None,
        not_after=None,
        days_to_expiry=90,
        expired=False,
        not_yet_valid=False,
        key_type="RSA",
        key_bits=3072,
        key_curve="",
        signature_algorithm="sha256WithRSAEncryption",
        signature_hash="sha256",
        self_signed=False,
        is_ca=False,
        sha256="",
        spki_sha256="",
    )
    base.update(changes)
    return CertificateFacts(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "level"),
    [
        ({"key_bits": 4096}, GOOD),
        ({"key_bits": 3072}, GOOD),
        ({"key_bits": 2048}, PHASE_OUT),
        ({"key_bits": 1024}, INSUFFICIENT),
        ({"key_type": "EC", "key_bits": 256, "key_curve": "secp256r1"}, GOOD),
        ({"key_type": "EC", "key_bits": 384, "key_curve": "secp384r1"}, GOOD),
        ({"key_type": "EC", "key_bits": 521, "key_curve": "secp521r1"}, SUFFICIENT),
        ({"key_type": "EC", "key_bits": 256, "key_curve": "brainpoolP256r1"}, INSUFFICIENT),
        ({"key_type": "Ed25519", "key_bits": 256}, GOOD),
        ({"key_type": "DSA", "key_bits": 2048}, INSUFFICIENT),
    ],
)
def test_certificate_keys(changes: dict[str, Any], level: str) -> None:
    assert tlseval.key_level(facts(**changes)) == level


@pytest.mark.parametrize(
    ("hash_name", "algorithm", "level"),
    [
        ("sha256", "sha256WithRSAEncryption", GOOD),
        ("sha384", "ecdsa-with-SHA384", GOOD),
        ("sha512", "sha512WithRSAEncryption", GOOD),
        ("sha224", "sha224WithRSAEncryption", PHASE_OUT),
        ("sha1", "sha1WithRSAEncryption", INSUFFICIENT),
        ("md5", "md5WithRSAEncryption", INSUFFICIENT),
        ("", "ed25519", GOOD),
        ("", "1.2.3.4", INSUFFICIENT),
    ],
)
def test_signature_hashes(hash_name: str, algorithm: str, level: str) -> None:
    assert tlseval.signature_level(facts(signature_hash=hash_name, signature_algorithm=algorithm)) == level


def test_every_code_has_english_and_dutch() -> None:
    for code, message in tlseval.MESSAGES.items():
        assert message.en and message.nl, code
        assert messages.lookup(code) is message


# -- evaluate() on observations built by hand (no network) ------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> LabPki:
    return LabPki(tmp_path_factory.mktemp("pki"))


def observe(
    pki: LabPki,
    cert: LabCert,
    host: str,
    *,
    version: str = "TLSv1.3",
    cipher: str = "TLS_AES_256_GCM_SHA384",
    days_later: int = 0,
) -> TlsObservation:
    from cryptography.hazmat.primitives.serialization import Encoding

    now = pki.now + timedelta(days=days_later)
    chain = tuple(c.public_bytes(Encoding.DER) for c in cert.chain)
    trust = certs.trust_store(pki.bundle_path, system=False)
    return TlsObservation(
        host=host,
        address="192.0.2.1",
        port=25,
        sni=host,
        options=DEFAULT,
        status="ok",
        error="",
        version=version,
        cipher=cipher,
        cipher_bits=256,
        group=None,
        chain=chain,
        certificates=tuple(certs.certificate_facts(d, now) for d in chain),
        cert_error="",
        validation=certs.validate(chain, host, trust, now),
        time=now.isoformat(),
        elapsed_ms=1.0,
        evidence=Evidence("tls", f"TLS {host}"),
    )


def verdicts(found: tuple[Any, ...]) -> dict[str, str]:
    return {f.code: f.verdict.value for f in found}


def test_a_good_handshake_passes_everything(pki: LabPki) -> None:
    obs = observe(pki, pki.issue(["mx1.good.test"], key="rsa3072"), "mx1.good.test")
    found = tlseval.evaluate(obs)
    assert {f.verdict for f in found} == {Verdict.PASS}
    assert {
        "TLS-VERSION-GOOD",
        "TLS-CIPHER-GOOD",
        "TLS-CERT-TRUSTED",
        "TLS-CERT-NAME-MATCH",
        "TLS-CERT-EXPIRY-OK",
        "TLS-CERT-KEY-GOOD",
        "TLS-CERT-SIGNATURE-GOOD",
    } <= set(verdicts(found))
    assert all(f.evidence and f.subject == "mx1.good.test:25" for f in found)


def test_phase_out_key_old_version_weak_cipher(pki: LabPki) -> None:
    obs = observe(
        pki,
        pki.issue(["mail.weak.test"], key="rsa2048"),
        "mail.weak.test",
        version="TLSv1",
        cipher="AES128-SHA",
    )
    found = verdicts(tlseval.evaluate(obs))
    assert found["TLS-CERT-KEY-PHASE-OUT"] == "warn"
    assert found["TLS-VERSION-INSUFFICIENT"] == "fail"
    assert found["TLS-CIPHER-PHASE-OUT"] == "warn"


def test_expiry_warns_below_21_days_and_fails_when_expired(pki: LabPki) -> None:
    cert = pki.issue(["x.test"], days_valid=(-10, 30))
    assert verdicts(tlseval.evaluate(observe(pki, cert, "x.test")))["TLS-CERT-EXPIRY-OK"] == "pass"
    assert (
        verdicts(tlseval.evaluate(observe(pki, cert, "x.test", days_later=10)))["TLS-CERT-EXPIRES-SOON"]
        == "warn"
    )
    later = verdicts(tlseval.evaluate(observe(pki, cert, "x.test", days_later=31)))
    assert later["TLS-CERT-EXPIRED"] == "fail"
    assert later["TLS-CERT-TRUSTED"] == "pass"  # expired is told apart from untrusted


def test_wrong_name_self_signed_untrusted_are_distinct(pki: LabPki) -> None:
    wrong = verdicts(tlseval.evaluate(observe(pki, pki.issue(["other.test"]), "x.test")))
    assert wrong["TLS-CERT-NAME-MISMATCH"] == "fail" and wrong["TLS-CERT-TRUSTED"] == "pass"
    own = verdicts(tlseval.evaluate(observe(pki, pki.issue(["x.test"], issuer="self"), "x.test")))
    assert own["TLS-CERT-SELF-SIGNED"] == "fail" and "TLS-CERT-UNTRUSTED" not in own
    rogue = verdicts(tlseval.evaluate(observe(pki, pki.issue(["x.test"], issuer="rogue"), "x.test")))
    assert rogue["TLS-CERT-UNTRUSTED"] == "fail" and rogue["TLS-CERT-NAME-MATCH"] == "pass"


def test_version_probes(pki: LabPki) -> None:
    obs = observe(pki, pki.issue(["x.test"]), "x.test")
    ev = Evidence("tls", "probe")
    versions = VersionSupport(
        (
            VersionProbe("SSLv3", CANNOT_TEST, "no SSLv3 here"),
            VersionProbe("TLSv1", ACCEPTED, "", ev),
            VersionProbe("TLSv1.1", REFUSED, "alert", ev),
            VersionProbe("TLSv1.2", ACCEPTED, "", ev),
            VersionProbe("TLSv1.3", REFUSED, "alert", ev),
        )
    )
    found = tlseval.accepted_versions(versions, obs, "x.test:25")
    by_code = {(f.code, f.params.get("version")): f.verdict.value for f in found}
    assert by_code[("TLS-OLD-VERSION-ACCEPTED", "TLS 1.0")] == "fail"
    assert by_code[("TLS-VERSION-UNTESTABLE", "SSL 3.0")] == "info"  # never "off"
    assert by_code[("TLS-NO-TLS13", None)] == "info"
    assert ("TLS-OLD-VERSIONS-REFUSED", None) not in by_code
    refused = VersionSupport(tuple(VersionProbe(v, REFUSED, "", ev) for v in ("TLSv1", "TLSv1.1")))
    assert [f.code for f in tlseval.accepted_versions(refused, obs, "x")] == ["TLS-OLD-VERSIONS-REFUSED"]


def test_cipher_probes(pki: LabPki) -> None:
    obs = observe(pki, pki.issue(["x.test"]), "x.test")
    ev = Evidence("tls", "probe")
    probes = [
        CipherProbe("phase-out", ACCEPTED, "AES256-GCM-SHA384", "TLSv1.2", "", ev),
        CipherProbe("insufficient", CANNOT_TEST, None, None, "no such suites here"),
    ]
    found = verdicts(tuple(tlseval.weak_suites(probes, obs, "x")))
    assert found == {"TLS-WEAK-SUITES-ACCEPTED": "warn", "TLS-SUITES-UNTESTABLE": "info"}


@pytest.mark.parametrize(
    ("status", "code", "verdict"),
    [
        ("failed", "TLS-HANDSHAKE-FAILED", "fail"),
        ("timeout", "TLS-HANDSHAKE-TIMEOUT", "not tested"),
        ("unreachable", "TLS-UNREACHABLE", "not tested"),
        ("cannot test here", "TLS-CANNOT-TEST", "not tested"),
    ],
)
def test_unfinished_handshakes(pki: LabPki, status: str, code: str, verdict: str) -> None:
    obs = observe(pki, pki.issue(["x.test"]), "x.test")
    from dataclasses import replace

    broken = replace(
        obs, status=status, error="why", version=None, cipher=None, chain=(), certificates=(), validation=None
    )
    assert verdicts(tlseval.evaluate(broken)) == {code: verdict}


def test_summary_for_the_promise_layer(pki: LabPki) -> None:
    data = tlseval.summary(observe(pki, pki.issue(["x.test"], key="rsa2048"), "x.test"))
    assert data["cert_valid"] is True and data["version"] == "TLSv1.3"
    assert data["key_level"] == PHASE_OUT and data["version_level"] == GOOD
