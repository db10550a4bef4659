"""The one frozen configuration object a scan runs with.

The command line, ``mailguard.toml`` and check profiles all end up here; nothing below the
CLI reads options from anywhere else.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

LOOPBACK_ONLY: tuple[IpNetwork, ...] = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
)


@dataclass(frozen=True)
class Config:
    """Settings for one scan (or one batch of scans).

    nameservers: (host, port) pairs; empty means the system's resolvers (/etc/resolv.conf).
    timeout: seconds for any single network wait (one DNS query, one connect, one read).
    deadline: seconds for a whole domain's scan; what is not done by then is "not tested".
    allowed_networks: non-public networks the user opened (``--allow-network``); by default only
        public addresses are contacted (see :mod:`mailguard.net.guard`).
    public_networks: False confines every connection to ``allowed_networks`` (the lab and the
        tests: loopback only).
    ports: service ports, overridable so the lab can run unprivileged servers.
    eml_files: messages the domain sent (``--eml``); their DKIM-Signature selectors join the
        selectors the DKIM measure examines, and their verification shows which proved DKIM.
    dns_port: the port name servers are asked on directly (the IPv6 measure; the lab's differs).
    rpki_vrps / rpki_url: where Validated ROA Payloads come from (a JSON export of rpki-client or
        Routinator, or a Routinator HTTP endpoint); neither: RPKI is not tested.
    rpki_origin_zone / rpki_origin6_zone: the DNS origin lookup service (prefix and origin AS of an
        address, Team Cymru style) for IPv4 and IPv6 addresses.
    bimi_selectors: BIMI selectors to check besides ``default``; bimi_ca: the CA bundle (PEM)
        mark certificates are checked against; None: their chain is not checked.
    """

    nameservers: tuple[tuple[str, int], ...] = ()
    timeout: float = 5.0
    deadline: float = 60.0
    edns_payload: int = 1232
    dkim_selectors: tuple[str, ...] = ()
    eml_files: tuple[Path, ...] = ()  # signed messages whose DKIM signatures the DKIM measure verifies
    ca_bundle: Path | None = None
    trust_anchor: Path | None = None
    allowed_networks: tuple[IpNetwork, ...] = ()
    public_networks: bool = True
    smtp_port: int = 25
    https_port: int = 443
    http_port: int = 80
    smtp_helo: str = "mailguard.invalid"
    web_hosts: tuple[str, ...] = ()
    measures: tuple[str, ...] = ()  # empty: every registered measure
    fail_on: Literal["warn", "fail"] = "fail"
    lang: Literal["en", "nl"] = "en"
    max_concurrency_per_host: int = 4
    dns_port: int = 53
    rpki_vrps: Path | None = None
    rpki_url: str | None = None
    rpki_origin_zone: str = "origin.asn.cymru.com"
    rpki_origin6_zone: str = "origin6.asn.cymru.com"
    bimi_selectors: tuple[str, ...] = ()
    bimi_ca: Path | None = None
    caa_identities: tuple[tuple[str, str], ...] = ()  # (issuer O or CN, CAA domain) the user named
    dkim_guess: Literal["provider", "all"] = "provider"  # guess the recognised providers' selectors only


def config_to_dict(config: Config) -> dict[str, object]:
    """The settings as plain JSON data, to send a batch's settings to a worker or keep them in a run.

    Paths become strings, networks their CIDR text, tuples lists.
    """
    data: dict[str, object] = {}
    for name in Config.__dataclass_fields__:
        value = getattr(config, name)
        if name == "nameservers":
            value = [[host, port] for host, port in value]
        elif name == "allowed_networks":
            value = [str(n) for n in value]
        data[name] = _plain(value)
    return data


def _plain(value: object) -> object:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def config_from_dict(data: Mapping[str, object]) -> Config:
    """The inverse of :func:`config_to_dict`; unknown keys (from a newer mailguard) are ignored."""
    fields: dict[str, Any] = {}
    for name, value in data.items():
        spec = Config.__dataclass_fields__.get(name)
        if spec is None:
            continue
        if name == "nameservers" and isinstance(value, list):
            value = tuple((str(host), int(port)) for host, port in value)
        elif name == "allowed_networks":
            value = tuple(ipaddress.ip_network(str(n)) for n in value) if isinstance(value, list) else ()
        elif "Path" in str(spec.type) and isinstance(value, list):
            value = tuple(Path(str(v)) for v in value)
        elif "Path" in str(spec.type) and value is not None:
            value = Path(str(value))
        else:
            value = _tuples(value)
        fields[name] = value
    return Config(**fields)


def _tuples(value: object) -> object:
    """JSON lists back to the tuples a frozen Config holds."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value
