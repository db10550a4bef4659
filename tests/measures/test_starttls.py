"""The STARTTLS measure against the lab's real SMTP servers on loopback (one case per server)."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest

from mailguard.core.model import MeasureResult
from mailguard.lab import Lab
from mailguard.lab.mail import ipv6_loopback
from mailguard.measures import starttls
from mailguard.net import Net
from tests.conftest import run_measure, run_scan

TIMEOUT = 1.5


def by_code(result: MeasureResult) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in result.findings:
        out.setdefault(f.code, set()).add(f.verdict.value)
    return out


def scan(lab: Lab, domain: str, **overrides: object) -> MeasureResult:
    result = run_measure(starttls, domain, lab.config(timeout=TIMEOUT, **overrides))
    assert all(f.evidence for f in result.findings), "every finding carries its evidence"
    assert result.findings
    return result


def test_good_domain_every_mx_passes(lab: Lab) -> None:
    result = scan(lab, "good.test")
    assert result.status.value == "pass"
    found = by_code(result)
    for code in (
        "STARTTLS-WORKS",
        "TLS-VERSION-GOOD",
        "TLS-CERT-TRUSTED",
        "TLS-CERT-NAME-MATCH",
        "TLS-CERT-EXPIRY-OK",
        "TLS-CERT-KEY-GOOD",
        "TLS-OLD-VERSIONS-REFUSED",
    ):
        assert found[code] == {"pass"}, code
    hosts = {(h["host"], h["address"]): h for h in result.data["hosts"]}
    # good.test's MX hosts are on IPv6 too (::1, the same certificates chosen by SNI)
    assert set(hosts) == {("mx1.good.test", "127.0.0.11"), ("mx2.good.test", "127.0.0.12"),
                          ("mx1.good.test", "::1"), ("mx2.good.test", "::1")}
    assert all(h["starttls"] is True and h["tls"]["cert_valid"] for h in hosts.values())
    assert hosts[("mx1.good.test", "127.0.0.11")]["tls"]["key"] == "RSA 3072"
    assert result.data["all_starttls"] is True
    kinds = {e.kind for e in result.evidence}
    assert {"dns", "smtp", "tls"} <= kinds


def test_weak_domain_phase_out_key_expiring_soon_and_old_versions(lab: Lab) -> None:
    found = by_code(scan(lab, "weak.test"))
    assert found["STARTTLS-WORKS"] == {"pass"}
    assert found["TLS-CERT-KEY-PHASE-OUT"] == {"warn"}
    assert found["TLS-CERT-EXPIRES-SOON"] == {"warn"}
    assert found["TLS-WEAK-SUITES-ACCEPTED"] == {"warn"}  # static RSA key exchange still accepted
    if "TLS-OLD-VERSION-ACCEPTED" not in found:  # the local OpenSSL may refuse to offer TLS 1.0 at all
        assert "TLS-VERSION-UNTESTABLE" in found
    else:
        assert found["TLS-OLD-VERSION-ACCEPTED"] == {"fail"}


def test_wrong_name_is_a_name_failure_not_missing_starttls(lab: Lab) -> None:
    result = scan(lab, "broken.test")
    found = by_code(result)
    assert found["TLS-CERT-NAME-MISMATCH"] == {"fail"}
    assert found["TLS-CERT-TRUSTED"] == {"pass"}
    assert found["STARTTLS-WORKS"] == {"pass"}
    assert "STARTTLS-NOT-OFFERED" not in found
    assert found["STARTTLS-NO-ADDRESS"] == {"not tested"}  # nowhere.broken.test has no address


@pytest.mark.parametrize(
    ("domain", "code", "verdict"),
    [
        ("expired.tls.test", "TLS-CERT-EXPIRED", "fail"),
        ("selfsigned.tls.test", "TLS-CERT-SELF-SIGNED", "fail"),
        ("untrusted.tls.test", "TLS-CERT-UNTRUSTED", "fail"),
    ],
)
def test_bad_certificates_are_reported_with_starttls_working(lab: Lab, domain: str, code: str, verdict: str) -> None:
    result = scan(lab, domain)
    found = by_code(result)
    assert found[code] == {verdict}
    assert found["STARTTLS-WORKS"] == {"pass"}
    entry = result.data["hosts"][0]
    assert entry["starttls"] is True and entry["tls"]["cert_valid"] is False
    tls_evidence = [e for e in result.evidence if e.kind == "tls" and "chain_pem" in e.data]
    assert tls_evidence and tls_evidence[0].data["chain_pem"][0].startswith("-----BEGIN CERTIFICATE-----")


def test_expired_certificate_is_not_called_untrusted(lab: Lab) -> None:
    found = by_code(scan(lab, "expired.tls.test"))
    assert "TLS-CERT-UNTRUSTED" not in found and found["TLS-CERT-TRUSTED"] == {"pass"}


def test_no_starttls_fails(lab: Lab) -> None:
    result = scan(lab, "nostarttls.tls.test")
    assert by_code(result)["STARTTLS-NOT-OFFERED"] == {"fail"}
    assert result.data["hosts"][0]["starttls"] is False
    assert result.data["all_starttls"] is False


def test_silent_banner_ends_at_the_timeout_not_tested(lab: Lab) -> None:
    started = time.monotonic()
    result = scan(lab, "silent.tls.test")
    elapsed = time.monotonic() - started
    assert by_code(result) == {"STARTTLS-NO-BANNER": {"not tested"}}
    assert result.status.value == "not tested"
    assert TIMEOUT * 0.9 <= elapsed < TIMEOUT * 3


def test_handshake_stall_ends_at_the_timeout_not_tested(lab: Lab) -> None:
    started = time.monotonic()
    result = scan(lab, "stall.tls.test")
    elapsed = time.monotonic() - started
    assert by_code(result)["STARTTLS-HANDSHAKE-STALLED"] == {"not tested"}
    assert "STARTTLS-NOT-OFFERED" not in by_code(result)
    assert result.status.value == "not tested"
    assert result.data["hosts"][0]["starttls"] is None
    assert TIMEOUT * 0.9 <= elapsed < TIMEOUT * 3


def test_closed_port_is_not_tested_never_fail(lab: Lab) -> None:
    result = scan(lab, "closed.tls.test")
    assert by_code(result) == {"STARTTLS-UNREACHABLE": {"not tested"}}
    assert "unreachable from here" in result.findings[0].reason
    assert result.data["all_starttls"] is None


def test_refused_session_is_not_tested(lab: Lab) -> None:
    found = by_code(scan(lab, "reject.tls.test"))
    assert found["STARTTLS-SESSION-REFUSED"] == {"not tested"}


def test_tls10_server_where_openssl_allows_it(lab: Lab) -> None:
    found = by_code(scan(lab, "tls10.tls.test"))
    assert found["STARTTLS-WORKS"] == {"pass"}
    assert found.get("TLS-OLD-VERSION-ACCEPTED") == {"fail"} or "TLS-VERSION-UNTESTABLE" in found


@pytest.mark.skipif(not ipv6_loopback(), reason="this machine has no ::1")
def test_every_address_ipv4_and_ipv6(lab: Lab) -> None:
    result = scan(lab, "v6.tls.test")
    addresses = {h["address"] for h in result.data["hosts"]}
    assert addresses == {"127.0.0.40", "::1"}
    subjects = {f.subject for f in result.findings if f.code == "STARTTLS-WORKS"}
    assert subjects == {
        f"mx.v6.tls.test [127.0.0.40]:{lab.smtp.port}",
        f"mx.v6.tls.test [::1]:{lab.smtp.port}",
    }


@pytest.mark.parametrize("domain", ["nomail.test"])
def test_null_mx_has_nothing_to_test(lab: Lab, domain: str) -> None:
    result = scan(lab, domain)
    assert by_code(result) == {"STARTTLS-NULL-MX": {"info"}}
    assert result.data["null_mx"] is True


def test_ca_bundle_adds_the_lab_root(lab: Lab) -> None:
    without = by_code(scan(lab, "good.test", ca_bundle=None))
    assert without["TLS-CERT-UNTRUSTED"] == {"fail"}
    assert by_code(scan(lab, "good.test"))["TLS-CERT-TRUSTED"] == {"pass"}


def test_one_session_per_scan_shared_with_dane(lab: Lab) -> None:
    config = lab.config(timeout=TIMEOUT)

    async def go() -> None:
        net = Net(config)
        try:
            first, second = await asyncio.gather(
                net.smtp.probe("mx1.good.test", "127.0.0.11"), net.smtp.probe("MX1.good.test", "127.0.0.11")
            )
            assert first is second  # concurrent askers share one session
            await starttls.run(net, "good.test", config)
            assert await net.smtp.probe("mx1.good.test", "127.0.0.11") is first
            assert first.tls is not None and first.tls.chain  # the DER chain DANE matches
        finally:
            await net.aclose()

    asyncio.run(go())


def test_full_scan_includes_starttls(lab: Lab) -> None:
    report = run_scan("good.test", dataclasses.replace(lab.config(timeout=TIMEOUT)))
    names = {m.name: m for m in report.measures}
    assert names["starttls"].status.value == "pass"


def test_cli_rejects_a_ca_bundle_without_certificates(lab: Lab, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from mailguard.cli import main

    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate\n")
    result = CliRunner().invoke(main, ["scan", "good.test", "--nameserver", lab.dns.address, "--ca-bundle", str(bad)])
    assert result.exit_code == 2
    assert "CA bundle" in result.output and "Traceback" not in result.output


def hostile(behaviour: str) -> tuple[object, float]:
    """Probe an SMTP server that misbehaves on the wire; return (observation, seconds taken)."""
    from mailguard.core.config import LOOPBACK_ONLY, Config

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if behaviour == "flood":  # endless bytes, never a line end
                while True:
                    writer.write(b"2" * 65536)
                    await writer.drain()
            elif behaviour == "drip":  # one byte of a valid banner at a time, just under the timeout
                for byte in b"220 slow.example ESMTP\r\n":
                    writer.write(bytes([byte]))
                    await writer.drain()
                    await asyncio.sleep(0.25)
            elif behaviour == "not-smtp":
                writer.write(b"SSH-2.0-OpenSSH_9.6\r\n")
                await writer.drain()
                await reader.read(100)
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            writer.transport.abort()

    async def go() -> tuple[object, float]:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        net = Net(Config(nameservers=(("127.0.0.1", 53),), allowed_networks=LOOPBACK_ONLY, timeout=0.4))
        started = time.monotonic()
        try:
            return await net.smtp.probe("mx.hostile.test", "127.0.0.1", port), time.monotonic() - started
        finally:
            await net.aclose()
            server.close()

    return asyncio.run(go())  # type: ignore[no-any-return]


def test_a_flood_without_line_ends_is_cut_off() -> None:
    obs, elapsed = hostile("flood")
    assert obs.status == "protocol-error" and "longer than" in obs.error  # type: ignore[attr-defined]
    assert elapsed < 2


def test_a_dripping_server_ends_at_the_session_cap() -> None:
    obs, elapsed = hostile("drip")
    assert obs.status == "timeout"  # type: ignore[attr-defined]
    assert elapsed < 0.4 * 8 + 1.5


def test_something_else_on_port_25_is_not_smtp() -> None:
    obs, _ = hostile("not-smtp")
    assert obs.status == "protocol-error" and obs.stage == "banner"  # type: ignore[attr-defined]
