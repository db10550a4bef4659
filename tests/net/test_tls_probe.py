"""net.tls: direct TLS handshakes (what the website checks use) against real servers on loopback,
with certificates from trustme."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import trustme

from mailguard.core.config import LOOPBACK_ONLY, Config
from mailguard.measures import tlseval
from mailguard.net import Net, certs
from mailguard.net import tls as tls_net

TIMEOUT = 1.0


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def bundle(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def config(bundle: Path | None, **overrides: Any) -> Config:
    base: dict[str, Any] = {
        "nameservers": (("127.0.0.1", 53),),
        "allowed_networks": LOOPBACK_ONLY,
        "timeout": TIMEOUT,
        "ca_bundle": bundle,
    }
    base.update(overrides)
    return Config(**base)


def server_context(ca: trustme.CA, name: str, *, intermediate: bool = False) -> ssl.SSLContext:
    issuer = ca.create_child_ca() if intermediate else ca
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    issuer.issue_cert(name).configure_cert(context)
    return context


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def serve(
    handler: Handler | None = None, context: ssl.SSLContext | None = None
) -> tuple[asyncio.Server, int]:
    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.read(1)  # returns when the client hangs up
        except (OSError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handler or hold, "127.0.0.1", 0, ssl=context)
    return server, server.sockets[0].getsockname()[1]


def run(coro: Awaitable[Any]) -> Any:
    return asyncio.run(coro)  # type: ignore[arg-type]


def test_handshake_reports_facts_and_validates_separately(ca: trustme.CA, bundle: Path) -> None:
    async def go() -> tls_net.TlsObservation:
        server, port = await serve(context=server_context(ca, "www.good.test", intermediate=True))
        net = Net(config(bundle))
        try:
            return await net.tls.probe("www.good.test", "127.0.0.1", port)
        finally:
            await net.aclose()
            server.close()

    obs = run(go())
    assert obs.ok and obs.version in ("TLSv1.3", "TLSv1.2") and obs.cipher
    assert len(obs.chain) == 2  # leaf and the intermediate the server sent
    assert obs.certificate is not None and obs.certificate.sans == ("www.good.test",)
    assert obs.validation is not None and obs.validation.chain == certs.TRUSTED and obs.validation.name_match
    assert obs.evidence.kind == "tls" and "www.good.test" in obs.evidence.summary
    assert {f.verdict.value for f in tlseval.evaluate(obs)} <= {"pass", "info"}


def test_certificate_reported_even_when_untrusted_and_wrong_name(ca: trustme.CA) -> None:
    async def go() -> tls_net.TlsObservation:
        server, port = await serve(context=server_context(ca, "other.test"))
        net = Net(config(None))  # no --ca-bundle: trustme's CA is unknown
        try:
            return await net.tls.probe("www.good.test", "127.0.0.1", port)
        finally:
            await net.aclose()
            server.close()

    obs = run(go())
    assert obs.ok and obs.certificate is not None
    assert obs.validation is not None
    assert obs.validation.chain == certs.UNTRUSTED and not obs.validation.name_match
    codes = {f.code for f in tlseval.evaluate(obs)}
    assert {"TLS-CERT-UNTRUSTED", "TLS-CERT-NAME-MISMATCH"} <= codes


def test_versions_pinned_one_by_one(ca: trustme.CA, bundle: Path) -> None:
    async def go() -> tls_net.VersionSupport:
        context = server_context(ca, "www.good.test")
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        server, port = await serve(context=context)
        net = Net(config(bundle))
        try:
            known = await net.tls.probe("www.good.test", "127.0.0.1", port)
            return await net.tls.versions("www.good.test", "127.0.0.1", port, known=known)
        finally:
            await net.aclose()
            server.close()

    versions = run(go())
    assert versions.status("TLSv1.2") == tls_net.ACCEPTED
    assert versions.status("TLSv1.3") == tls_net.ACCEPTED
    for old in ("TLSv1", "TLSv1.1"):  # refused by the server, or not offerable by this OpenSSL
        assert versions.status(old) in (tls_net.REFUSED, tls_net.CANNOT_TEST)
    assert versions.status("SSLv3") in (tls_net.REFUSED, tls_net.CANNOT_TEST)
    assert versions.status("SSLv3") != "off"


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Plain TCP that reads the ClientHello and never answers it."""
    with contextlib.suppress(OSError):
        while await reader.read(4096):
            pass
    writer.close()


def test_stalled_handshake_ends_at_the_timeout(bundle: Path) -> None:
    async def go() -> tuple[tls_net.TlsObservation, float]:
        server, port = await serve(silent)
        net = Net(config(bundle))
        started = time.monotonic()
        try:
            return await net.tls.probe("www.good.test", "127.0.0.1", port), time.monotonic() - started
        finally:
            await net.aclose()
            server.close()

    obs, elapsed = run(go())
    assert obs.status == tls_net.TIMEOUT
    assert TIMEOUT * 0.9 <= elapsed < TIMEOUT * 3
    assert [f.verdict.value for f in tlseval.evaluate(obs)] == ["not tested"]


def test_garbage_instead_of_tls_is_a_failed_handshake(bundle: Path) -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n" * 10)
        await writer.drain()
        writer.close()

    async def go() -> tls_net.TlsObservation:
        server, port = await serve(garbage)
        net = Net(config(bundle))
        try:
            return await net.tls.probe("www.good.test", "127.0.0.1", port)
        finally:
            await net.aclose()
            server.close()

    obs = run(go())
    assert obs.status == tls_net.FAILED and obs.error
    assert [f.code for f in tlseval.evaluate(obs)] == ["TLS-HANDSHAKE-FAILED"]


def test_unreachable_and_outside_allowed_networks(bundle: Path) -> None:
    async def go() -> tuple[tls_net.TlsObservation, tls_net.TlsObservation]:
        server, port = await serve()
        server.close()
        await server.wait_closed()
        net = Net(config(bundle))
        try:
            closed = await net.tls.probe("www.good.test", "127.0.0.1", port)
            outside = await net.tls.probe("www.good.test", "192.0.2.1", 443)
            return closed, outside
        finally:
            await net.aclose()

    closed, outside = run(go())
    assert closed.status == tls_net.UNREACHABLE
    assert outside.status == tls_net.UNREACHABLE and "not contacted" in outside.error


def test_one_handshake_for_concurrent_askers(ca: trustme.CA, bundle: Path) -> None:
    connections = 0
    context = server_context(ca, "www.good.test")

    async def count(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await asyncio.sleep(0.1)
        writer.close()

    async def go() -> list[tls_net.TlsObservation]:
        server, port = await serve(count, context=context)
        net = Net(config(bundle))
        try:
            return list(
                await asyncio.gather(*(net.tls.probe("www.good.test", "127.0.0.1", port) for _ in range(5)))
            )
        finally:
            await net.aclose()
            server.close()

    results = run(go())
    assert connections == 1
    assert all(r is results[0] for r in results)


def test_connections_per_host_are_bounded(bundle: Path) -> None:
    accepted = 0

    async def stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal accepted
        accepted += 1
        with contextlib.suppress(OSError):
            while await reader.read(4096):
                pass
        writer.close()

    async def go() -> int:
        server, port = await serve(stall)
        net = Net(config(bundle, timeout=5.0, max_concurrency_per_host=2))
        probes = asyncio.gather(*(net.tls.probe(f"h{i}.test", "127.0.0.1", port) for i in range(5)))
        try:
            await asyncio.sleep(0.5)  # two handshakes stall; three wait for a free slot
            return accepted
        finally:
            await net.aclose()
            probes.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await probes
            server.close()

    assert run(go()) == 2


def test_local_refusal_is_cannot_test_never_off() -> None:
    assert tls_net.local_refusal(tls_net.DEFAULT) == ""
    assert tls_net.local_refusal(tls_net.TlsOptions.only("TLSv1.3")) == ""
    if not ssl.HAS_SSLv3:
        assert "SSLv3" in tls_net.local_refusal(tls_net.TlsOptions.only("SSLv3"))


def test_profile_deviation_is_info_not_untrusted(ca: trustme.CA, bundle: Path) -> None:
    """trustme marks the SAN critical beside a subject: OpenSSL accepts it, the strict CA/Browser
    Forum profile does not. Trusted, with the deviation reported as information."""

    async def go() -> tls_net.TlsObservation:
        server, port = await serve(context=server_context(ca, "www.good.test"))
        net = Net(config(bundle))
        try:
            return await net.tls.probe("www.good.test", "127.0.0.1", port)
        finally:
            await net.aclose()
            server.close()

    obs = run(go())
    assert obs.validation is not None and obs.validation.chain == certs.TRUSTED
    assert "critical" in obs.validation.profile_issue
    found = {f.code: f.verdict.value for f in tlseval.evaluate(obs)}
    assert found["TLS-CERT-PROFILE"] == "info" and found["TLS-CERT-TRUSTED"] == "pass"
