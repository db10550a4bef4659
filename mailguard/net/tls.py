"""TLS handshakes: observe what a server offers, whatever its certificate.

Every handshake runs with certificate verification OFF, so that the certificate is always
obtained and reported; it is then validated separately (:func:`mailguard.net.certs.validate`)
against the system roots plus ``--ca-bundle``, at the injected clock's time, for the name we
meant to reach. A bad certificate is therefore a fact in a :class:`TlsObservation`, never a
failed handshake.

Two ways in, one observation out:

* :meth:`TlsProbe.probe` opens a fresh TCP connection and handshakes (HTTPS, port 443);
* :meth:`TlsProbe.handshake` upgrades a stream that is already connected (SMTP after STARTTLS,
  via ``StreamWriter.start_tls``); :mod:`mailguard.net.smtp` drives that.

Version support is probed with one handshake per protocol version, pinned with min/max version
(:func:`probe_versions`); a version the local OpenSSL cannot offer is "cannot test here", never
"off". Cipher probes offer only the phase-out or only the insufficient suites (:func:`probe_ciphers`).
"""

from __future__ import annotations

import asyncio
import ssl
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

from ..core.config import Config
from ..core.errors import ConnectError, ParseError, forget_traceback
from ..core.model import Evidence
from . import certs
from .certs import CertificateFacts, CertValidation, TrustStore
from .guard import check_address
from .limits import HostLimits, OnceCache

# TlsObservation.status
OK = "ok"  # handshake completed
FAILED = "failed"  # the server ended or refused the handshake (alert, reset, garbage)
TIMEOUT = "timeout"  # connected, but the handshake did not finish in time
UNREACHABLE = "unreachable"  # no TCP connection (refused, unreachable, connect timeout, not allowed)
NOT_REACHED = "not-reached"  # the protocol before TLS (SMTP) ended before the handshake
CANNOT_TEST = "cannot test here"  # the local OpenSSL cannot offer what was asked

# Protocol versions, oldest first, by the names ssl.SSLObject.version() reports.
VERSIONS: tuple[str, ...] = ("SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
_TLS_VERSION = {
    "SSLv3": ssl.TLSVersion.SSLv3,
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}
_HAS_VERSION = {
    "SSLv3": ssl.HAS_SSLv3,
    "TLSv1": ssl.HAS_TLSv1,
    "TLSv1.1": ssl.HAS_TLSv1_1,
    "TLSv1.2": ssl.HAS_TLSv1_2,
    "TLSv1.3": ssl.HAS_TLSv1_3,
}

# The client offers what a tolerant sending MTA offers: everything OpenSSL still has, so that a
# legacy server still completes a handshake and shows its certificate. Security level 0 lets
# OpenSSL 3 speak TLS 1.0/1.1 and small keys at all; judging is tlseval's job.
DEFAULT_CIPHERS = "DEFAULT:@SECLEVEL=0"
# Only the suites the NCSC-NL guidelines rate "insufficient" / "phase out" (TLS <= 1.2).
INSUFFICIENT_CIPHERS = "eNULL:aNULL:RC4:DES:3DES:EXPORT:MD5:!PSK:!SRP:@SECLEVEL=0"
PHASE_OUT_CIPHERS = "kRSA:!eNULL:!aNULL:!RC4:!DES:!3DES:!MD5:!PSK:@SECLEVEL=0"

MAX_CHAIN = 10  # certificates kept from one presented chain


@dataclass(frozen=True)
class TlsOptions:
    """What the client offers. ``label`` names the attempt in evidence."""

    label: str = "default"
    min_version: str | None = None
    max_version: str | None = None
    ciphers: str = DEFAULT_CIPHERS

    @classmethod
    def only(cls, version: str) -> TlsOptions:
        return cls(label=f"{version} only", min_version=version, max_version=version)


DEFAULT = TlsOptions()


@dataclass(frozen=True)
class TlsObservation:
    """One TLS handshake, as seen from the client.

    host: the name we meant to reach (checked against the certificate); address/port: where.
    sni: the server name sent (None: none sent). options: what was offered.
    status: OK, FAILED, TIMEOUT, UNREACHABLE, NOT_REACHED or CANNOT_TEST; error: why, if not OK.
    version: negotiated protocol (``TLSv1.3``); cipher: OpenSSL suite name; cipher_bits: its secret
        bits; group: key exchange group when the ssl module can tell (Python 3.11 cannot: None).
    chain: the certificates the server presented, leaf first, DER.
    certificates: their parsed facts (only those cryptography could read); cert_error otherwise.
    validation: chain / dates / name, validated separately (None without a handshake).
    """

    host: str
    address: str
    port: int
    sni: str | None
    options: TlsOptions
    status: str
    error: str
    version: str | None
    cipher: str | None
    cipher_bits: int | None
    group: str | None
    chain: tuple[bytes, ...] = field(repr=False)
    certificates: tuple[CertificateFacts, ...]
    cert_error: str
    validation: CertValidation | None
    time: str
    elapsed_ms: float
    evidence: Evidence

    @property
    def ok(self) -> bool:
        return self.status == OK

    @property
    def certificate(self) -> CertificateFacts | None:
        """The leaf's facts, when it could be parsed."""
        return self.certificates[0] if self.certificates and self.chain else None

    @property
    def where(self) -> str:
        return f"{self.host} [{self.address}]:{self.port}"


@dataclass(frozen=True)
class VersionProbe:
    """Does the server accept ``version``? status: accepted / refused / cannot test here / not tested."""

    version: str
    status: str
    reason: str
    evidence: Evidence | None = None


ACCEPTED, REFUSED, NOT_TESTED = "accepted", "refused", "not tested"


@dataclass(frozen=True)
class VersionSupport:
    results: tuple[VersionProbe, ...]

    def status(self, version: str) -> str:
        return next((r.status for r in self.results if r.version == version), NOT_TESTED)

    @property
    def accepted(self) -> tuple[str, ...]:
        return tuple(r.version for r in self.results if r.status == ACCEPTED)

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        return tuple(r.evidence for r in self.results if r.evidence is not None)


@dataclass(frozen=True)
class CipherProbe:
    """Does the server accept a handshake offering only ``category`` suites (``phase-out`` or
    ``insufficient``, TLS <= 1.2)? status as for versions; cipher: the suite it chose."""

    category: str
    status: str
    cipher: str | None
    version: str | None
    reason: str
    evidence: Evidence | None = None


Attempt = Callable[[TlsOptions], Awaitable[TlsObservation]]


# -- contexts ------------------------------------------------------------------------------------


@lru_cache(maxsize=32)
def client_context(options: TlsOptions) -> ssl.SSLContext:
    """A client context that never verifies (the chain is validated separately).
    Raises ssl.SSLError / ValueError when the local OpenSSL cannot offer ``options``."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_ciphers(options.ciphers)
    lowest = next((v for v in VERSIONS if _HAS_VERSION[v]), "TLSv1.2")
    with warnings.catch_warnings():  # offering deprecated versions is the point of a version probe
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = _TLS_VERSION[options.min_version or lowest]
        context.maximum_version = _TLS_VERSION[options.max_version or "TLSv1.3"]
    return context


@lru_cache(maxsize=32)
def local_refusal(options: TlsOptions) -> str:
    """Why the local OpenSSL cannot offer ``options`` ("" if it can): builds a ClientHello in
    memory, so nothing is sent anywhere."""
    for version in (options.min_version, options.max_version):
        if version is not None and not _HAS_VERSION.get(version, False):
            return f"this OpenSSL ({ssl.OPENSSL_VERSION}) has no {version}"
    try:
        context = client_context(options)
        obj = context.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname="mailguard.invalid")
        obj.do_handshake()
    except ssl.SSLWantReadError:
        return ""  # the ClientHello is written; it waits for the server: it can offer this
    except (ssl.SSLError, ValueError) as exc:
        return f"this OpenSSL ({ssl.OPENSSL_VERSION}) cannot offer {options.label}: {exc}"
    return ""


def peer_chain(ssl_object: Any) -> tuple[bytes, ...]:
    """The chain the server sent, leaf first. Python 3.13 has get_unverified_chain(); 3.10-3.12
    have it on the private _sslobj; failing both, the leaf alone."""
    getter = getattr(ssl_object, "get_unverified_chain", None)
    if getter is None:
        inner = getattr(ssl_object, "_sslobj", None)
        getter = getattr(inner, "get_unverified_chain", None)
    if getter is not None:
        try:
            chain = getter() or []
            return tuple(_der(c) for c in chain[:MAX_CHAIN])
        except (ssl.SSLError, ValueError, AttributeError):
            pass
    leaf = ssl_object.getpeercert(binary_form=True)
    return (leaf,) if leaf else ()


def _der(cert: Any) -> bytes:
    if isinstance(cert, bytes):
        return cert
    return bytes(cert.public_bytes(ssl._ssl.ENCODING_DER))  # type: ignore[attr-defined]


# -- the probe on Net ----------------------------------------------------------------------------


class TlsProbe:
    """Handshakes for one scan (``net.tls``): cached, de-duplicated, bounded per host."""

    def __init__(self, config: Config, now: Callable[[], datetime], limits: HostLimits) -> None:
        self.config = config
        self.now = now
        self.limits = limits
        if config.ca_bundle is not None:
            certs.load_bundle(config.ca_bundle)  # a bad --ca-bundle is a usage error, up front
        self._trust: TrustStore | None = None
        self._probes: OnceCache[tuple[Any, ...], TlsObservation] = OnceCache()
        self._versions: OnceCache[tuple[Any, ...], VersionSupport] = OnceCache()
        self._ciphers: OnceCache[tuple[Any, ...], tuple[CipherProbe, ...]] = OnceCache()

    @property
    def trust(self) -> TrustStore:
        if self._trust is None:
            self._trust = certs.trust_store(self.config.ca_bundle)
        return self._trust

    def close(self) -> None:
        for cache in (self._probes, self._versions, self._ciphers):
            cache.close()

    async def probe(
        self, host: str, address: str, port: int, *, sni: str | None = "", options: TlsOptions = DEFAULT
    ) -> TlsObservation:
        """Connect to ``address:port`` and handshake, sending SNI ``host`` (or ``sni``; None for
        none). Once per scan for each (host, address, port, sni, options)."""
        server_name = host if sni == "" else sni
        key = (host.lower(), address, port, server_name, options)
        return await self._probes.get(key, lambda: self._connect(host, address, port, server_name, options))

    async def versions(
        self, host: str, address: str, port: int, *, sni: str | None = "", known: TlsObservation | None = None
    ) -> VersionSupport:
        """Which protocol versions ``address:port`` accepts (direct TLS)."""
        key = (host.lower(), address, port, sni)

        async def attempt(options: TlsOptions) -> TlsObservation:
            return await self.probe(host, address, port, sni=sni, options=options)

        return await self._versions.get(key, lambda: probe_versions(attempt, known))

    async def ciphers(
        self, host: str, address: str, port: int, *, sni: str | None = ""
    ) -> tuple[CipherProbe, ...]:
        """Does ``address:port`` accept phase-out or insufficient cipher suites (direct TLS)?"""
        key = (host.lower(), address, port, sni)

        async def attempt(options: TlsOptions) -> TlsObservation:
            return await self.probe(host, address, port, sni=sni, options=options)

        return await self._ciphers.get(key, lambda: probe_ciphers(attempt))

    async def _connect(
        self, host: str, address: str, port: int, sni: str | None, options: TlsOptions
    ) -> TlsObservation:
        started, stamp = time.monotonic(), self.now().isoformat(timespec="milliseconds")
        refusal = local_refusal(options)
        if refusal:
            return self.unfinished(host, address, port, sni, options, CANNOT_TEST, refusal, started, stamp)
        async with self.limits(address):
            try:
                reader, writer = await open_tcp(address, port, self.config)
            except ConnectError as exc:
                return self.unfinished(
                    host, address, port, sni, options, UNREACHABLE, exc.message, started, stamp
                )
            obs: TlsObservation | None = None
            try:
                obs = await self.handshake(
                    writer,
                    host=host,
                    address=address,
                    port=port,
                    sni=sni,
                    options=options,
                    started=started,
                    stamp=stamp,
                )
                return obs
            finally:
                await close_writer(writer, self.config.timeout, polite=obs is not None and obs.ok)

    async def handshake(
        self,
        writer: asyncio.StreamWriter,
        *,
        host: str,
        address: str,
        port: int,
        sni: str | None,
        options: TlsOptions = DEFAULT,
        started: float | None = None,
        stamp: str | None = None,
    ) -> TlsObservation:
        """Upgrade an open stream to TLS (``StreamWriter.start_tls``) and observe the result.
        The caller owns (and closes) the stream; the handshake ends within ``config.timeout``."""
        started = time.monotonic() if started is None else started
        stamp = stamp or self.now().isoformat(timespec="milliseconds")
        refusal = local_refusal(options)
        if refusal:
            return self.unfinished(host, address, port, sni, options, CANNOT_TEST, refusal, started, stamp)
        timeout = self.config.timeout
        try:
            # asyncio's own handshake timeout is set later than ours, so that a stall always ends
            # here as a timeout rather than as asyncio's "aborting the connection".
            async with asyncio.timeout(timeout):
                await writer.start_tls(
                    client_context(options), server_hostname=sni or None, ssl_handshake_timeout=timeout + 5
                )
        except TimeoutError:
            return self.unfinished(
                host,
                address,
                port,
                sni,
                options,
                TIMEOUT,
                f"handshake not finished within {timeout:g} s",
                started,
                stamp,
            )
        except (ssl.SSLError, OSError, EOFError, ConnectionError, ValueError) as exc:
            error = describe(exc)
            forget_traceback(exc)
            return self.unfinished(host, address, port, sni, options, FAILED, error, started, stamp)
        ssl_object = writer.get_extra_info("ssl_object")
        if ssl_object is None:
            return self.unfinished(
                host, address, port, sni, options, FAILED, "no TLS session", started, stamp
            )
        return self._observed(host, address, port, sni, options, ssl_object, started, stamp)

    def _observed(
        self,
        host: str,
        address: str,
        port: int,
        sni: str | None,
        options: TlsOptions,
        ssl_object: Any,
        started: float,
        stamp: str,
    ) -> TlsObservation:
        now = self.now()
        chain = peer_chain(ssl_object)
        facts: list[CertificateFacts] = []
        cert_error = ""
        for der in chain:
            try:
                facts.append(certs.certificate_facts(der, now))
            except ParseError as exc:
                cert_error = cert_error or exc.message[:300]
                break
        validation = certs.validate(chain, host, self.trust, now)
        cipher = ssl_object.cipher()
        name, bits = (cipher[0], cipher[2]) if cipher else (None, None)
        group_of = getattr(ssl_object, "group", None)  # Python >= 3.15 only
        group = group_of() if callable(group_of) else None
        elapsed = (time.monotonic() - started) * 1000
        obs = TlsObservation(
            host=host,
            address=address,
            port=port,
            sni=sni,
            options=options,
            status=OK,
            error="",
            version=ssl_object.version(),
            cipher=name,
            cipher_bits=bits,
            group=group,
            chain=chain,
            certificates=tuple(facts),
            cert_error=cert_error,
            validation=validation,
            time=stamp,
            elapsed_ms=elapsed,
            evidence=Evidence("tls", ""),
        )
        return replace(obs, evidence=tls_evidence(obs))

    def unfinished(
        self,
        host: str,
        address: str,
        port: int,
        sni: str | None,
        options: TlsOptions,
        status: str,
        error: str,
        started: float,
        stamp: str,
    ) -> TlsObservation:
        """An observation of a handshake that did not complete (or was never attempted)."""
        obs = TlsObservation(
            host=host,
            address=address,
            port=port,
            sni=sni,
            options=options,
            status=status,
            error=error,
            version=None,
            cipher=None,
            cipher_bits=None,
            group=None,
            chain=(),
            certificates=(),
            cert_error="",
            validation=None,
            time=stamp,
            elapsed_ms=(time.monotonic() - started) * 1000,
            evidence=Evidence("tls", ""),
        )
        return replace(obs, evidence=tls_evidence(obs))


# -- version and cipher probing, over any way in -------------------------------------------------


async def probe_versions(attempt: Attempt, known: TlsObservation | None = None) -> VersionSupport:
    """One pinned handshake per protocol version, concurrently; ``known`` (a completed handshake)
    answers for its own version without another connection."""

    async def one(version: str) -> VersionProbe:
        options = TlsOptions.only(version)
        refusal = local_refusal(options)
        if refusal:
            return VersionProbe(version, CANNOT_TEST, refusal)
        if known is not None and known.ok and known.version == version:
            return VersionProbe(version, ACCEPTED, f"negotiated {version} by default", known.evidence)
        obs = await attempt(options)
        return VersionProbe(version, *_outcome(obs, obs.version == version), obs.evidence)

    return VersionSupport(tuple(await asyncio.gather(*(one(v) for v in VERSIONS))))


async def probe_ciphers(attempt: Attempt) -> tuple[CipherProbe, ...]:
    """Offer only phase-out suites, then only insufficient ones (TLS <= 1.2, where they exist)."""

    async def one(category: str, ciphers: str) -> CipherProbe:
        options = TlsOptions(label=f"{category} suites only", max_version="TLSv1.2", ciphers=ciphers)
        refusal = local_refusal(options)
        if refusal:
            return CipherProbe(category, CANNOT_TEST, None, None, refusal)
        obs = await attempt(options)
        status, reason = _outcome(obs, obs.ok)
        return CipherProbe(category, status, obs.cipher, obs.version, reason, obs.evidence)

    return tuple(
        await asyncio.gather(one("phase-out", PHASE_OUT_CIPHERS), one("insufficient", INSUFFICIENT_CIPHERS))
    )


def _outcome(obs: TlsObservation, accepted: bool) -> tuple[str, str]:
    if obs.ok:
        return (
            (ACCEPTED, f"negotiated {obs.version} {obs.cipher}")
            if accepted
            else (REFUSED, f"negotiated {obs.version} instead")
        )
    if obs.status == FAILED:
        return REFUSED, obs.error
    if obs.status == CANNOT_TEST:
        return CANNOT_TEST, obs.error
    return NOT_TESTED, obs.error or obs.status


# -- sockets and evidence --------------------------------------------------------------------------


async def open_tcp(
    address: str, port: int, config: Config
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A TCP connection within ``config.timeout``; ConnectError (refused, unreachable, timed out,
    outside the allowed networks) otherwise."""
    check_address(address, config)
    try:
        async with asyncio.timeout(config.timeout):
            return await asyncio.open_connection(address, port, limit=64 * 1024)
    except TimeoutError as exc:
        raise ConnectError(f"no TCP connection within {config.timeout:g} s", f"{address}:{port}") from exc
    except OSError as exc:
        raise ConnectError(describe(exc), f"{address}:{port}") from exc


async def close_writer(writer: asyncio.StreamWriter, timeout: float, *, polite: bool = True) -> None:
    """Close politely (TLS close_notify) but never wait past ``timeout``; after a stall or a broken
    handshake (``polite=False``) just drop the connection."""
    if not polite:
        writer.transport.abort()
        return
    writer.close()
    try:
        async with asyncio.timeout(min(timeout, 2.0)):
            await writer.wait_closed()
    except (TimeoutError, OSError, ssl.SSLError, ConnectionError):
        writer.transport.abort()
    except asyncio.CancelledError:
        writer.transport.abort()
        raise


def describe(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLError) and exc.reason:
        return f"{exc.reason} ({exc.library or 'ssl'})"[:300]
    if isinstance(exc, ConnectionResetError | BrokenPipeError | EOFError) and not str(exc):
        return "connection closed by the server"
    text = str(exc) or type(exc).__name__
    return text[:300]


def tls_evidence(obs: TlsObservation) -> Evidence:
    where = f"{obs.host} [{obs.address}]:{obs.port}"
    offered = "" if obs.options == DEFAULT else f" offering {obs.options.label}"
    data: dict[str, Any] = {
        "host": obs.host,
        "address": obs.address,
        "port": obs.port,
        "sni": obs.sni,
        "offered": obs.options.label,
        "status": obs.status,
        "time": obs.time,
        "elapsed_ms": round(obs.elapsed_ms, 2),
    }
    if not obs.ok:
        data["error"] = obs.error
        return Evidence(
            "tls", f"TLS {where}{offered}: {obs.status.upper()} {obs.error} ({obs.elapsed_ms:.1f} ms)", data
        )
    data.update(version=obs.version, cipher=obs.cipher, cipher_bits=obs.cipher_bits, group=obs.group)
    leaf = obs.certificate
    cert_text = "no certificate"
    if leaf is not None:
        cert_text = (
            f"cert {leaf.subject} ({leaf.key_type} {leaf.key_curve or leaf.key_bits}, "
            f"until {leaf.not_after:%Y-%m-%d})"
        )
    check = ""
    if obs.validation is not None and obs.options == DEFAULT:
        v = obs.validation
        check = f", chain {v.chain}, name {'ok' if v.name_match else 'mismatch'}"
        data["validation"] = {
            "chain": v.chain,
            "reason": v.reason,
            "name_match": v.name_match,
            "names": list(v.names),
            "at": v.at.isoformat(),
            "verified_chain_length": len(v.verified_chain),
            "profile_issue": v.profile_issue,
        }
    if obs.options == DEFAULT:  # the full chain once, not for every probe
        data["certificates"] = [c.to_json() for c in obs.certificates]
        data["chain_pem"] = [certs.pem(der) for der in obs.chain]
        if obs.cert_error:
            data["cert_error"] = obs.cert_error
    summary = (
        f"TLS {where} SNI {obs.sni or '-'}{offered}: {obs.version} {obs.cipher} "
        f"{cert_text}{check} ({obs.elapsed_ms:.1f} ms)"
    )
    return Evidence("tls", summary, data)
